package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// PostgresDSN returns the URL of a fresh, empty schema in the PostgreSQL
// database named by TUANGO_TEST_POSTGRES_URL, dropped when the test ends. It
// skips the test when that variable is not set.
func PostgresDSN(t *testing.T) string {
	t.Helper()
	base := os.Getenv("TUANGO_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("TUANGO_TEST_POSTGRES_URL is not set")
	}
	u, err := url.Parse(base)
	must(t, err, "url.Parse(TUANGO_TEST_POSTGRES_URL)")
	var b [8]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])

	db, err := sql.Open("pgx", base)
	must(t, err, "sql.Open(TUANGO_TEST_POSTGRES_URL)")
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(t.Context(), `CREATE SCHEMA `+schema); err != nil {
		db.Close()
		t.Fatalf("CREATE SCHEMA %s = %v", schema, err)
	}
	// Registered first, so it runs after the cleanups of whoever opens the
	// schema: the store is closed before its schema is dropped.
	t.Cleanup(func() {
		defer db.Close()
		if _, err := db.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("DROP SCHEMA %s = %v", schema, err)
		}
	})

	// pgx sends query parameters it does not know as run-time parameters.
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
