package tuango_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// recorder is an Observer that keeps what it is told.
type recorder struct {
	mu      sync.Mutex
	batches []int
	placed  map[string]int
	fen     tuango.Fen
	cutoffs []string
}

func (r *recorder) OrderBatch(size int, wait time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, size)
}

func (r *recorder) OrderPlaced(city string, total tuango.Fen) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.placed[city]++
	r.fen += total
}

func (r *recorder) RefundSent(tuango.Fen) {}

func (r *recorder) CutoffRan(city string, took time.Duration, result string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cutoffs = append(r.cutoffs, city+" "+result)
}

// The observer hears of each new order once (a replay is not one), of
// each batch, and of each cutoff run with its result; CutoffLag counts
// from the cutoff's time until it has run.
func TestObserverAndCutoffLag(t *testing.T) {
	for _, cfg := range []tuango.Config{{BatchMax: 1}, {BatchMax: 64}} {
		w := newWorld(t, storetest.DSN(t), 50)
		ctx := context.Background()
		svc := w.node(cfg)
		defer svc.Close()
		rec := &recorder{placed: map[string]int{}}
		svc.SetObserver(rec)
		buyer := w.customer(t, "13700009999")
		for _, key := range []string{"a", "b", "a"} {
			if _, err := w.placeOne(svc, buyer, idem(buyer.UserID, key)); err != nil {
				t.Fatal(err)
			}
		}
		if rec.placed["cty_1"] != 2 || rec.fen != 2*199 || len(rec.batches) != 3 {
			t.Errorf("BatchMax %d: placed %v, %d fen, batches %v; want 2 orders in cty_1, 398 fen, 3 batches", cfg.BatchMax, rec.placed, rec.fen, rec.batches)
		}

		lag, err := svc.CutoffLag(ctx)
		if err != nil || lag["cty_1"] != 0 {
			t.Fatalf("lag before the cutoff time = %v, %v; want 0", lag, err)
		}
		due := time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC) // 23:00 in 长沙
		w.clock.Advance(due.Add(20 * time.Minute).Sub(w.clock.Now()))
		if lag, err = svc.CutoffLag(ctx); err != nil || lag["cty_1"] != 20*time.Minute {
			t.Errorf("lag 20 minutes past the cutoff = %v, %v; want 20m", lag, err)
		}
		for range 2 {
			if _, err := svc.Cutoff(ctx, w.op, "cty_1", "2026-11-26"); err != nil {
				t.Fatal(err)
			}
			w.clock.Advance(time.Second)
		}
		if len(rec.cutoffs) != 2 || rec.cutoffs[0] != "cty_1 ok" || rec.cutoffs[1] != "cty_1 already_done" {
			t.Errorf("cutoffs told = %q, want ok then already_done", rec.cutoffs)
		}
		if lag, err = svc.CutoffLag(ctx); err != nil || lag["cty_1"] != 0 {
			t.Errorf("lag after the cutoff = %v, %v; want 0", lag, err)
		}
	}
}
