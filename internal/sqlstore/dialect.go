package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"tuango/internal/tuango"
)

// engine is everything that differs between SQLite and PostgreSQL.
type engine interface {
	name() string
	// numbered reports whether placeholders are $1, $2, ... rather than ?.
	numbered() bool
	// oneWriter reports whether one writer connection serialises every
	// transaction, so that no row locks are needed and the pool size is
	// fixed.
	oneWriter() bool
	// translate turns a unique violation into tuango's conflict.
	translate(err error) error
	// retryable reports whether a transaction failed only because of
	// contention and may be run again.
	retryable(err error) bool
	// lockMigrations keeps two nodes from migrating at once.
	lockMigrations(ctx context.Context, tx *sql.Tx) error
}

type sqliteEngine struct{}

func (sqliteEngine) name() string    { return "sqlite" }
func (sqliteEngine) numbered() bool  { return false }
func (sqliteEngine) oneWriter() bool { return true }

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

type postgresEngine struct{}

func (postgresEngine) name() string    { return "postgres" }
func (postgresEngine) numbered() bool  { return true }
func (postgresEngine) oneWriter() bool { return false }

func (postgresEngine) translate(err error) error {
	var e *pgconn.PgError
	if errors.As(err, &e) && e.Code == "23505" {
		return &tuango.Error{Code: tuango.CodeConflict, Message: "it already exists"}
	}
	return markUnavailable(err)
}

func (postgresEngine) retryable(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && (e.Code == "40001" || e.Code == "40P01")
}

func (postgresEngine) lockMigrations(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `LOCK TABLE schema_migrations IN EXCLUSIVE MODE`)
	return err
}

var errUnavailable = &tuango.Error{Code: tuango.CodeUnavailable, Message: "the database cannot be reached right now; try again in a moment"}

// unreachable reports whether err says the database could not be reached
// or refused the connection, as opposed to refusing the statement.
func unreachable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		// 08: connection exception; 53: insufficient resources (too many
		// connections); 57P: the server is shutting down or starting;
		// 25006: read-only transaction, from a server that was the primary
		// when the connection was made and is a standby now (a failover).
		// None of them wrote anything.
		return strings.HasPrefix(pg.Code, "08") || strings.HasPrefix(pg.Code, "53") || strings.HasPrefix(pg.Code, "57P") ||
			pg.Code == "25006"
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	switch {
	case errors.As(err, &ne), errors.As(err, &ce),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		// No host of a multi-host --db is the primary yet (target_session_attrs).
		errors.Is(err, pgconn.ErrReadOnlyConnection),
		// A connection cut mid-transaction or mid-read: the server went
		// away, whatever the statement was.
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	// pgx's "conn closed" and "conn busy" after the server dropped the
	// connection are unexported types.
	return err != nil && strings.Contains(err.Error(), "conn closed")
}

// markUnavailable makes an error that means the database cannot be reached
// carry tuango's unavailable code (503 with Retry-After), keeping the
// driver's text for the log.
func markUnavailable(err error) error {
	if err == nil || !unreachable(err) || tuango.ErrorCode(err) == tuango.CodeUnavailable {
		return err
	}
	return fmt.Errorf("%w (%v)", errUnavailable, err)
}

// commitFailed turns a COMMIT's error into what the caller may conclude: a
// connection that died while the COMMIT was on its way leaves the outcome
// unknown (the server may have committed and then died, or a standby may
// have it), which is never a success and never a definite refusal.
func commitFailed(e engine, err error) error {
	if unreachable(err) {
		return fmt.Errorf("sqlstore: commit: %w (%v)", tuango.ErrOutcomeUnknown, err)
	}
	return fmt.Errorf("sqlstore: commit: %w", e.translate(err))
}
