package jobs

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"tuango/internal/sqlstore"
	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// Two nodes share one lease: only the holder runs a sweep, and when the
// holder stops renewing, the other takes over after the lease lapses.
func TestLeaseRunsEachSweepOnOneNode(t *testing.T) {
	db, err := sqlstore.Open(context.Background(), storetest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clock := tuango.NewManualClock(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC))
	var runsA, runsB atomic.Int32
	taskA := Task{Name: "sweep", Every: 10 * time.Second, Run: func(context.Context) (int, error) { runsA.Add(1); return 0, nil }}
	taskB := taskA
	taskB.Run = func(context.Context) (int, error) { runsB.Add(1); return 0, nil }
	a := NewRunner(db.Store(), clock, "node-a", nil, taskA)
	b := NewRunner(db.Store(), clock, "node-b", nil, taskB)
	ctx := context.Background()

	a.RunOnce(ctx, taskA)
	b.RunOnce(ctx, taskB)
	if runsA.Load() != 1 || runsB.Load() != 0 {
		t.Fatalf("runs a=%d b=%d, want a=1 b=0", runsA.Load(), runsB.Load())
	}
	clock.Advance(10 * time.Second) // a renews on schedule
	a.RunOnce(ctx, taskA)
	b.RunOnce(ctx, taskB)
	if runsA.Load() != 2 || runsB.Load() != 0 {
		t.Fatalf("after renewal runs a=%d b=%d, want a=2 b=0", runsA.Load(), runsB.Load())
	}
	clock.Advance(10 * time.Second) // a has died; its lease has lapsed
	b.RunOnce(ctx, taskB)
	if runsB.Load() != 1 {
		t.Fatalf("b runs = %d after a's lease lapsed, want 1", runsB.Load())
	}
}
