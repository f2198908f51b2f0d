package sqlstore

import (
	"context"
	"database/sql"
)

// QueryRowForTest runs a read-only query on the writer connection, so that
// tests and the fault checker can read the raw tables.
func (db *DB) QueryRowForTest(query string, args ...any) *sql.Row {
	return db.write.QueryRowContext(context.Background(), db.q(query), args...)
}
