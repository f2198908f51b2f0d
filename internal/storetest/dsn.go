package storetest

import (
	"os"
	"testing"
)

// DSN returns where a test's database lives: a fresh folder for embedded
// SQLite, or a fresh PostgreSQL schema (see PostgresDSN) when
// TUANGO_TEST_DB=postgres. Opening the same DSN again reopens the same data,
// as a restarted node would; opening it twice at once is two nodes.
func DSN(t *testing.T) string {
	t.Helper()
	switch engine := os.Getenv("TUANGO_TEST_DB"); engine {
	case "", "sqlite":
		return t.TempDir()
	case "postgres":
		if os.Getenv("TUANGO_TEST_POSTGRES_URL") == "" {
			t.Fatal("TUANGO_TEST_DB=postgres needs TUANGO_TEST_POSTGRES_URL")
		}
		return PostgresDSN(t)
	default:
		t.Fatalf("TUANGO_TEST_DB=%q: want sqlite or postgres", engine)
	}
	return ""
}
