package backup_test

import (
	"context"
	"database/sql"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"tuango/internal/backup"
	"tuango/internal/sqlstore"
)

func sqliteShop(t *testing.T) *shop {
	t.Helper()
	s := openShop(t)
	if backup.IsPostgres(s.dsn) {
		t.Skip("continuous replication is SQLite's (Litestream); PostgreSQL's is pgBackRest or WAL-G")
	}
	return s
}

// has counts the orders of ids present in the SQLite database in dir.
func has(t *testing.T, dir string, ids []string) int {
	t.Helper()
	raw, _, err := sqlstore.OpenRaw(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	return countIDs(t, raw, ids)
}

func countIDs(t *testing.T, raw *sql.DB, ids []string) int {
	t.Helper()
	n := 0
	for _, id := range ids {
		var c int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM orders WHERE id = ?`, id).Scan(&c); err != nil {
			t.Fatal(err)
		}
		n += c
	}
	return n
}

// Replication to a folder, live beside the service's own writer: without
// asking for a sync, what was acknowledged is in the replica within the
// interval (the recovery point), and a restore to an instant between two
// batches brings back the first batch and not the second.
func TestReplicaToAFolderRestoresToAPointInTime(t *testing.T) {
	s := sqliteShop(t)
	ctx := context.Background()
	rdir := filepath.Join(t.TempDir(), "replica")
	cfg := backup.ReplicaConfig{Dir: rdir, Interval: 200 * time.Millisecond}
	rep, err := backup.Replicate(ctx, s.dsn, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer rep.Close(ctx)

	var first, second []string
	for i := 20; i < 40; i++ {
		first = append(first, s.order(t, i, "first"))
	}
	time.Sleep(1500 * time.Millisecond)
	between := time.Now()
	time.Sleep(1500 * time.Millisecond)
	for i := 40; i < 60; i++ {
		second = append(second, s.order(t, i, "second"))
	}
	acked := time.Now()
	// The recovery point: poll the replica until the second batch is there.
	var took time.Duration
	for {
		dir := filepath.Join(t.TempDir(), "latest")
		if err := backup.RestoreReplica(ctx, cfg, dir, time.Time{}, false); err != nil {
			t.Fatalf("restore the latest: %v", err)
		}
		if has(t, dir, first) == len(first) && has(t, dir, second) == len(second) {
			took = time.Since(acked)
			break
		}
		if time.Since(acked) > 10*time.Second {
			t.Fatalf("after 10 s the replica has %d of %d of the last orders", has(t, dir, second), len(second))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("the last acknowledged orders were in the replica %v later (interval %v)", took.Round(10*time.Millisecond), cfg.Interval)

	pit := filepath.Join(t.TempDir(), "pit")
	if err := backup.RestoreReplica(ctx, cfg, pit, between, false); err != nil {
		t.Fatalf("restore to %s: %v", between.Format(time.RFC3339Nano), err)
	}
	if got1, got2 := has(t, pit, first), has(t, pit, second); got1 != len(first) || got2 != 0 {
		t.Errorf("restored to between the batches: %d of %d of the first, %d of the second; want all and none", got1, len(first), got2)
	}
	// The live folder is refused without --force.
	if err := backup.RestoreReplica(ctx, cfg, s.dsn, time.Time{}, false); !errors.Is(err, backup.ErrLive) {
		t.Errorf("restore over the live folder = %v, want ErrLive", err)
	}
}

// Replication to an S3-compatible store (gofakes3, in process).
func TestReplicaToS3(t *testing.T) {
	s := sqliteShop(t)
	ctx := context.Background()
	// The AWS SDK loads AWS_CA_BUNDLE into its own HTTP client, which
	// Litestream's client cannot take (see docs/operations.md); the fake
	// store is plain HTTP and needs none.
	t.Setenv("AWS_CA_BUNDLE", "")
	os.Unsetenv("AWS_CA_BUNDLE")
	mem := s3mem.New()
	if err := mem.CreateBucket("tuango-replica"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(mem).Server())
	defer srv.Close()
	cfg := backup.ReplicaConfig{S3: "s3://tuango-replica/changsha", S3Endpoint: srv.URL, S3AccessKeyID: "test", S3SecretAccessKey: "test", Interval: 200 * time.Millisecond}
	rep, err := backup.Replicate(ctx, s.dsn, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := 20; i < 50; i++ {
		ids = append(ids, s.order(t, i, "s3"))
	}
	if err := rep.Sync(ctx); err != nil {
		t.Fatalf("sync: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "from-s3")
	if err := backup.RestoreReplica(ctx, cfg, dir, time.Time{}, false); err != nil {
		t.Fatalf("restore from S3: %v", err)
	}
	if got := has(t, dir, ids); got != len(ids) {
		t.Errorf("restored from S3: %d of %d orders", got, len(ids))
	}
	if err := rep.Close(ctx); err != nil {
		t.Errorf("close: %v", err)
	}
	if _, err := backup.Replicate(ctx, s.dsn, backup.ReplicaConfig{Dir: t.TempDir(), S3: cfg.S3}); err == nil {
		t.Error("replicating to a folder and a bucket at once was accepted")
	}
}
