package sqlstore

import (
	"context"
	"database/sql"
)

// QueryRowForTest runs a read-only query outside any transaction, so that
// tests and the fault checker can read the raw tables.
func (db *DB) QueryRowForTest(query string, args ...any) *sql.Row {
	return db.Store().queryRow(context.Background(), query, args...)
}

// SQL returns the writer pool, so that the fault checker can read the raw
// tables and its tests can break them.
func (db *DB) SQL() *sql.DB { return db.write }
