package sqlstore_test

import (
	"slices"
	"testing"

	"tuango/internal/sqlstore"
)

func TestMigrationNamesMatch(t *testing.T) {
	sqlite, err := sqlstore.MigrationNames("sqlite")
	if err != nil {
		t.Fatalf(`MigrationNames("sqlite") = %v`, err)
	}
	postgres, err := sqlstore.MigrationNames("postgres")
	if err != nil {
		t.Fatalf(`MigrationNames("postgres") = %v`, err)
	}
	if len(sqlite) == 0 {
		t.Errorf(`MigrationNames("sqlite") = none, want at least one`)
	}
	if !slices.Equal(postgres, sqlite) {
		t.Errorf(`MigrationNames("postgres") = %q, want %q, the same as MigrationNames("sqlite")`, postgres, sqlite)
	}
}
