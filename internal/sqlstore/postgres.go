package sqlstore

import (
	"database/sql"
	"fmt"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

func openPostgres(dsn string) (*DB, error) {
	pool, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open postgres: %w", err)
	}
	pool.SetMaxOpenConns(DefaultMaxConns)
	pool.SetMaxIdleConns(DefaultMaxConns)
	if err := pool.Ping(); err != nil {
		pool.Close()
		return nil, fmt.Errorf("sqlstore: connect to postgres: %w", err)
	}
	return &DB{engine: postgresEngine{}, write: pool, read: pool, rebound: map[string]string{}}, nil
}

// DefaultMaxConns is each node's PostgreSQL pool size by default: three
// nodes stay well inside PostgreSQL's default max_connections of 100, and
// more connections only queue on the hot rows (FIELD-NOTES).
const DefaultMaxConns = 16

// SetMaxConns sets the PostgreSQL pool size; it does nothing on SQLite,
// whose writer is one connection.
func (db *DB) SetMaxConns(n int) {
	if db.engine.oneWriter() || n <= 0 {
		return
	}
	db.write.SetMaxOpenConns(n)
	db.write.SetMaxIdleConns(n)
}
