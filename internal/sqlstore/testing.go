package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
)

// QueryRowForTest runs a read-only query outside any transaction, so that
// tests and the fault checker can read the raw tables.
func (db *DB) QueryRowForTest(query string, args ...any) *sql.Row {
	return db.Store().queryRow(context.Background(), query, args...)
}

// OpenRaw opens a plain pool on the database named by dsn, read as Open
// reads it, without migrating and outside any store: the fault checker reads
// the raw tables through it and its tests break them. It also returns the
// engine's name. The caller closes the pool.
func OpenRaw(dsn string) (*sql.DB, string, error) {
	name, driver, src := "sqlite", "sqlite", "file:"+filepath.Join(dsn, "tuango.db")+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	if IsPostgres(dsn) {
		name, driver, src = "postgres", "pgx", dsn
	}
	db, err := sql.Open(driver, src)
	if err != nil {
		return nil, "", fmt.Errorf("sqlstore: open %s raw: %w", name, err)
	}
	db.SetMaxOpenConns(2)
	return db, name, nil
}
