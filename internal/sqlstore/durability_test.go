package sqlstore

import (
	"context"
	"testing"
)

// Rule 2 rests on these settings: WAL with synchronous=FULL on the writer
// (in WAL mode NORMAL can lose a committed transaction on power loss), and
// foreign keys enforced.
func TestSQLiteWriterIsDurable(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pragma := func(name string) string {
		t.Helper()
		db.wmu.Lock()
		defer db.wmu.Unlock()
		var v string
		if err := db.writer.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v); err != nil {
			t.Fatalf("PRAGMA %s: %v", name, err)
		}
		return v
	}
	for name, want := range map[string]string{"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1"} {
		if got := pragma(name); got != want {
			t.Errorf("PRAGMA %s = %s on the writer, want %s", name, got, want)
		}
	}
}
