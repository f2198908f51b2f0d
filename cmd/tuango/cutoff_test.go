package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"tuango/internal/auth"
	"tuango/internal/demo"
	"tuango/internal/sqlstore"
)

// tuango cutoff prints the summary, the same on a second run; before the
// city's cutoff time it is an early close.
func TestCutoffCommandIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := demo.Seed(ctx, db.Store(), auth.NewHasher(auth.Params{Time: 1, Memory: 64, Threads: 1}, 1), time.Now(), 1)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"cutoff", "--data", dir, "--city", sum.CityID, "--date", sum.DeliveryDate}
	var first, second, errb bytes.Buffer
	if err := run(ctx, args, env(nil), nil, &first, &errb); err != nil {
		t.Fatalf("cutoff: %v\n%s", err, errb.String())
	}
	if err := run(ctx, args, env(nil), nil, &second, &errb); err != nil {
		t.Fatalf("cutoff again: %v\n%s", err, errb.String())
	}
	if first.String() != second.String() || !strings.Contains(first.String(), "early, by hand") || !strings.Contains(first.String(), "confirmed orders: 0") {
		t.Errorf("summaries differ or are wrong:\n%s\n%s", first.String(), second.String())
	}
	if err := run(ctx, []string{"cutoff", "--data", dir, "--city", sum.CityID}, env(nil), nil, &first, &errb); err == nil {
		t.Error("cutoff without --date succeeded, want an error")
	}
}

// tuango bench cutoff runs end to end on a small day.
func TestBenchCutoffRuns(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"bench", "cutoff", "--lines", "300", "--buyers", "2"}, env(nil), nil, &out, &errb); err != nil {
		t.Fatalf("bench cutoff: %v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "300 order lines in 100 orders cut off") || !strings.Contains(out.String(), "p99") {
		t.Errorf("bench cutoff printed:\n%s", out.String())
	}
}
