package sqlstore_test

import (
	"testing"

	"tuango/internal/sqlstore"
	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) tuango.Store { return openStore(t, t.TempDir()) })
}

// openStore opens the database named by dsn and closes it when t ends.
func openStore(t *testing.T, dsn string) tuango.Store {
	t.Helper()
	db, err := sqlstore.Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("sqlstore.Open() = %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
	})
	return db.Store()
}
