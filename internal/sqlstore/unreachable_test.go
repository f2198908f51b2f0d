package sqlstore

import (
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
