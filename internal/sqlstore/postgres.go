package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"tuango/internal/tuango"
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
	if db.wconn != nil || n <= 0 {
		return
	}
	db.write.SetMaxOpenConns(n)
	db.write.SetMaxIdleConns(n)
}

type postgresEngine struct{}

func (postgresEngine) name() string   { return "postgres" }
func (postgresEngine) numbered() bool { return true }

func (postgresEngine) translate(err error) error {
	var e *pgconn.PgError
	if errors.As(err, &e) && e.Code == "23505" {
		return &tuango.Error{Code: tuango.CodeConflict, Message: "it already exists"}
	}
	return err
}

func (postgresEngine) retryable(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && (e.Code == "40001" || e.Code == "40P01")
}

func (postgresEngine) lockMigrations(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `LOCK TABLE schema_migrations IN EXCLUSIVE MODE`)
	return err
}
