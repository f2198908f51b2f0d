package jobs

import (
	"context"
	"errors"
	"fmt"
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

type sweepLog struct {
	declared map[string]time.Duration
	ran      []string
	failed   []string
}

func (l *sweepLog) Sweep(job string, every time.Duration) { l.declared[job] = every }
func (l *sweepLog) SweepRan(job string, took time.Duration, err error, at time.Time) {
	l.ran = append(l.ran, fmt.Sprintf("%s %v %s", job, err != nil, at.Format(time.TimeOnly)))
}
func (l *sweepLog) SweepFailed(job string) { l.failed = append(l.failed, job) }

// The observer hears of each sweep declared, of each run under the lease
// with its error and the clock's time, and of none the lease kept away.
func TestObserverHearsEachSweepRun(t *testing.T) {
	db, err := sqlstore.Open(context.Background(), storetest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clock := tuango.NewManualClock(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC))
	ok := Task{Name: "ok", Every: 10 * time.Second, Run: func(context.Context) (int, error) { return 1, nil }}
	bad := Task{Name: "bad", Every: time.Minute, Run: func(context.Context) (int, error) { return 0, errors.New("boom") }}
	a := NewRunner(db.Store(), clock, "node-a", nil, ok, bad)
	b := NewRunner(db.Store(), clock, "node-b", nil, ok)
	la, lb := &sweepLog{declared: map[string]time.Duration{}}, &sweepLog{declared: map[string]time.Duration{}}
	a.SetObserver(la)
	b.SetObserver(lb)
	ctx := context.Background()
	a.RunOnce(ctx, ok)
	a.RunOnce(ctx, bad)
	b.RunOnce(ctx, ok) // a holds the lease
	if la.declared["ok"] != 10*time.Second || la.declared["bad"] != time.Minute {
		t.Errorf("declared = %v, want ok every 10s and bad every minute", la.declared)
	}
	if want := []string{"ok false 00:00:00", "bad true 00:00:00"}; fmt.Sprint(la.ran) != fmt.Sprint(want) {
		t.Errorf("node a ran %q, want %q", la.ran, want)
	}
	if len(lb.ran) != 0 || len(lb.failed) != 0 {
		t.Errorf("node b, without the lease, told ran %q failed %q; want nothing", lb.ran, lb.failed)
	}
	db.Close()
	clock.Advance(time.Hour)
	a.RunOnce(ctx, ok)
	if fmt.Sprint(la.failed) != "[ok]" {
		t.Errorf("failed = %q after the database closed, want [ok] (its lease could not be read)", la.failed)
	}
}
