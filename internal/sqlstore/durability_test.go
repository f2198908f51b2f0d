package sqlstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tuango/internal/tuango"
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

// The WAL is copied back into the database file beside the writer: after
// a burst of commits well under the writer's own backstop, the database
// file grows to hold them without the writer checkpointing.
func TestSQLiteCheckpointsBesideTheWriter(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := db.Store()
	size := func() int64 {
		fi, err := os.Stat(filepath.Join(dir, "tuango.db"))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	body := []byte(strings.Repeat("x", 2000))
	for i := range 1500 { // some 1,500 pages of WAL, a tenth of the backstop
		rec := &tuango.IdempotencyRecord{Scope: "s", Key: fmt.Sprint("k", i), Fingerprint: "f", Body: body, CreatedAt: time.Unix(1, 0)}
		if err := st.InTx(ctx, func(tx tuango.Store) error { return tx.SaveIdempotency(ctx, rec) }); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for size() < before+1500*2000 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := size(); got < before+1500*2000 {
		t.Errorf("database file is %d bytes after 1,500 commits of 2 kB (was %d): the WAL was not checkpointed", got, before)
	}
}

// Closing a database twice is harmless: nothing panics, and the data
// opens again afterwards.
func TestSQLiteClosesTwice(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	rec := &tuango.IdempotencyRecord{Scope: "s", Key: "k", Fingerprint: "f", Body: []byte("{}"), CreatedAt: time.Unix(1, 0)}
	if err := db.Store().SaveIdempotency(ctx, rec); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db.Close()
	db, err = Open(ctx, dir)
	if err != nil {
		t.Fatalf("open after closing twice: %v", err)
	}
	defer db.Close()
	if _, err := db.Store().FindIdempotency(ctx, "s", "k"); err != nil {
		t.Errorf("the record after closing twice and opening again: %v", err)
	}
}
