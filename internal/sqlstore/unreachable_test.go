package sqlstore

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"tuango/internal/tuango"
)

// A database that cannot be reached is 503 for the client, not 500.
func TestUnreachableDatabaseIsUnavailable(t *testing.T) {
	for _, code := range []string{"53300", "08006", "57P03"} {
		err := wrap(&pgconn.PgError{Code: code}, "find deal %s", "d")
		if got := tuango.ErrorCode(err); got != tuango.CodeUnavailable {
			t.Errorf("PostgreSQL %s: ErrorCode = %q, want unavailable", code, got)
		}
	}
	if got := tuango.ErrorCode(wrap(&pgconn.PgError{Code: "23505"}, "x")); got == tuango.CodeUnavailable {
		t.Error("a unique violation was taken for an unreachable database")
	}
}

// Every way a connection dies — refused, reset, cut mid-read, closed,
// terminated by the server — is unavailable, whichever path (a statement,
// BEGIN or COMMIT) met it.
func TestDeadConnectionsAreUnavailable(t *testing.T) {
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	cases := map[string]error{
		"connection refused":      dial,
		"connect error":           fmt.Errorf("failed to connect: %w", &pgconn.ConnectError{Config: &pgconn.Config{}}),
		"admin shutdown 57P01":    &pgconn.PgError{Code: "57P01", Severity: "FATAL"},
		"cut mid-read":            fmt.Errorf("failed to receive message: %w", io.ErrUnexpectedEOF),
		"EOF":                     io.EOF,
		"broken pipe":             fmt.Errorf("write: %w", syscall.EPIPE),
		"connection reset":        fmt.Errorf("read: %w", syscall.ECONNRESET),
		"bad connection":          driver.ErrBadConn,
		"connection already done": sql.ErrConnDone,
		"pgx conn closed":         errors.New("conn closed"),
	}
	for name, err := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tuango.ErrorCode(postgresEngine{}.translate(err)); got != tuango.CodeUnavailable {
				t.Errorf("translate: ErrorCode = %q, want unavailable", got)
			}
			if got := tuango.ErrorCode(wrap(err, "x")); got != tuango.CodeUnavailable {
				t.Errorf("wrap: ErrorCode = %q, want unavailable", got)
			}
		})
	}
	for name, err := range map[string]error{"unique violation": &pgconn.PgError{Code: "23505"}, "syntax error": &pgconn.PgError{Code: "42601"}, "no rows": sql.ErrNoRows} {
		if got := tuango.ErrorCode(postgresEngine{}.translate(err)); got == tuango.CodeUnavailable {
			t.Errorf("%s was taken for an unreachable database", name)
		}
	}
}
