package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"tuango/internal/tuango"
)

// engine is everything that differs between SQLite and PostgreSQL.
type engine interface {
	name() string
	// numbered reports whether placeholders are $1, $2, ... rather than ?.
	numbered() bool
	// translate turns a unique violation into tuango's conflict.
	translate(err error) error
	// retryable reports whether a transaction failed only because of
	// contention and may be run again.
	retryable(err error) bool
	// lockMigrations keeps two nodes from migrating at once.
	lockMigrations(ctx context.Context, tx *sql.Tx) error
}

type sqliteEngine struct{}

func (sqliteEngine) name() string   { return "sqlite" }
func (sqliteEngine) numbered() bool { return false }

func (sqliteEngine) translate(err error) error {
	var e *sqlite.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &tuango.Error{Code: tuango.CodeConflict, Message: "it already exists"}
		}
	}
	return err
}

func (sqliteEngine) retryable(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && (e.Code()&0xff == sqlite3.SQLITE_BUSY)
}

func (sqliteEngine) lockMigrations(context.Context, *sql.Tx) error {
	return nil // BEGIN IMMEDIATE already holds the one write lock
}

// micros stores a time as microseconds since the epoch; zero stays zero.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros reads a time stored by micros.
func fromMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

// placeholders returns "?, ?, ?" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
