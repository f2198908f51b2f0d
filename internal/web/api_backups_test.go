package web

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"tuango/internal/backup"
)

// The operator lists the backups and drills the nodes recorded, newest
// first, a damaged backup's drill among them as failed; nobody else can;
// a bad limit is a clear 400.
func TestAdminBackupsAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sched := &backup.Schedule{DSN: e.dsn, Dir: t.TempDir(), Node: "node-a", Clock: e.clock, Runs: e.store, Scratch: t.TempDir()}
	if backup.IsPostgres(e.dsn) {
		if err := backup.Tools(); err != nil {
			t.Skip(err)
		}
		u, err := backup.DrillURL(e.dsn)
		if err != nil || backup.EnsureDatabase(ctx, e.dsn, u) != nil {
			t.Fatalf("drill database: %v", err)
		}
		sched.Scratch = u
	}
	if _, err := sched.Backup(ctx); err != nil {
		t.Fatal(err)
	}
	files, err := backup.List(sched.Dir)
	if err != nil || len(files) != 1 {
		t.Fatalf("backups = %v, %v", files, err)
	}
	os.Truncate(files[0], 100)
	e.clock.Advance(time.Minute)
	if _, err := sched.Drill(ctx); err == nil {
		t.Fatal("the drill of a truncated backup succeeded")
	}

	var got struct {
		Items []struct {
			Kind   string `json:"kind"`
			OK     bool   `json:"ok"`
			Node   string `json:"node"`
			File   string `json:"file"`
			Bytes  int64  `json:"bytes"`
			SHA256 string `json:"sha256"`
			Detail string `json:"detail"`
		} `json:"items"`
	}
	e.operator.mustDo("GET", "/api/v1/admin/backups", nil, 200, &got)
	if len(got.Items) != 2 {
		t.Fatalf("items = %+v, want the drill and the backup", got.Items)
	}
	drill, bk := got.Items[0], got.Items[1]
	if drill.Kind != "restore_drill" || drill.OK || !strings.Contains(drill.Detail, "damaged") || drill.File != files[0] {
		t.Errorf("newest = %+v, want the failed drill of %s saying the file is damaged", drill, files[0])
	}
	if bk.Kind != "backup" || !bk.OK || bk.Node != "node-a" || bk.Bytes == 0 || len(bk.SHA256) != 64 {
		t.Errorf("oldest = %+v, want the good backup", bk)
	}
	e.operator.mustDo("GET", "/api/v1/admin/backups?limit=1", nil, 200, &got)
	if len(got.Items) != 1 {
		t.Errorf("limit=1 gave %d items", len(got.Items))
	}
	for _, q := range []string{"?limit=0", "?limit=201", "?limit=x"} {
		e.operator.mustDo("GET", "/api/v1/admin/backups"+q, nil, 400, nil)
	}
	e.customer().mustDo("GET", "/api/v1/admin/backups", nil, 403, nil)
}
