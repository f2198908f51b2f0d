package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

func TestReadProcStats(t *testing.T) {
	ps, err := readProcStats(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if ps.cpu < 0 || ps.peakRSS <= 0 || ps.kthread {
		t.Errorf("readProcStats(self) = %+v, want CPU time ≥ 0, a peak RSS, and not a kernel thread", ps)
	}
	if ps, err := readProcStats(2); err == nil && !ps.kthread {
		t.Errorf("readProcStats(2) = %+v, want kthreadd to be a kernel thread", ps)
	}
	a := sampleCPU()
	for i := 0; i < 5_000_000; i++ {
		_ = fmt.Sprint(i) // burn a little CPU between the samples
	}
	b := sampleCPU()
	if a.busy <= 0 || b.busy < a.busy || b.kernel < a.kernel || b.userBusy(a) < 0 {
		t.Errorf("sampleCPU = %+v then %+v, want busy time that grows", a, b)
	}
}

// buildTuango builds the real binary the bench starts servers with.
func buildTuango(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tuango")
	if out, err := exec.Command("go", "build", "-o", bin, "tuango/cmd/tuango").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// The whole bench, briefly, against real servers: group commit on and
// off, a closed and an open loop, on SQLite (and PostgreSQL when
// TUANGO_TEST_POSTGRES_URL is set). Only the report's invariants are
// checked, never its timings.
func TestFlashAgainstRealServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildTuango(t)
	small := Defaults
	small.Binary, small.Stock, small.Limit, small.Customers, small.Concurrency = bin, 300, 5, 120, 16
	small.Duration, small.Tail, small.Ceiling = 30*time.Second, 200*time.Millisecond, 200*time.Millisecond
	cases := []struct {
		name string
		cfg  func(c *Config)
	}{
		{"sqlite, group commit on and off, closed loop", func(c *Config) { c.Compare = true }},
		{"sqlite, plain path, open loop", func(c *Config) { c.BatchMax, c.Rate = 1, 1500 }},
	}
	if pg := os.Getenv("TUANGO_TEST_POSTGRES_URL"); pg != "" {
		cases = append(cases, struct {
			name string
			cfg  func(c *Config)
		}{"postgres, group commit on and off", func(c *Config) { c.Compare, c.DB = true, pg }},
			struct {
				name string
				cfg  func(c *Config)
			}{"postgres, three nodes, group commit on and off", func(c *Config) { c.Compare, c.DB, c.Nodes = true, pg, 3 }})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := small
			tc.cfg(&cfg)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			rep, err := Run(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			want := 1
			if cfg.Compare {
				want = 2
			}
			if len(rep.Runs) != want || len(rep.Medians) != want {
				t.Fatalf("%d runs and %d summaries, want %d", len(rep.Runs), len(rep.Medians), want)
			}
			for _, r := range rep.Runs {
				checkRun(t, cfg, r)
			}
		})
	}
}

func checkRun(t *testing.T, cfg Config, r Result) {
	t.Helper()
	v := r.Verify
	if !v.OK() {
		t.Errorf("%s: verification failed: %v", r.Variant, v.Problems)
	}
	if r.Acked > cfg.Stock || v.Oversold != 0 {
		t.Errorf("%s: %d acknowledged of a stock of %d, %d oversold", r.Variant, r.Acked, cfg.Stock, v.Oversold)
	}
	if !v.DBChecked || v.DBMissing != 0 || v.APIMissing != 0 || v.APIChecked == 0 {
		t.Errorf("%s: database checked %v, %d missing there, %d of %d missing through the API; want every acknowledged order found",
			r.Variant, v.DBChecked, v.DBMissing, v.APIMissing, v.APIChecked)
	}
	if v.DBOrders != r.Acked+v.Unacknowledged || v.Reserved != v.DBUnits {
		t.Errorf("%s: database has %d orders (%d units, %d reserved) for %d acknowledged and %d unacknowledged",
			r.Variant, v.DBOrders, v.DBUnits, v.Reserved, r.Acked, v.Unacknowledged)
	}
	statuses := 0
	for _, n := range r.ByStatus {
		statuses += n
	}
	if statuses != r.Sent || r.ByStatus["201"] != r.Acked {
		t.Errorf("%s: statuses %v add up to %d, want %d sent with %d 201s", r.Variant, r.ByStatus, statuses, r.Sent, r.Acked)
	}
	if got := r.Ack.N + r.Refused.N + r.Errors.N; got != r.Sent {
		t.Errorf("%s: %d acked + %d refused + %d errors = %d latencies, want %d sent", r.Variant, r.Ack.N, r.Refused.N, r.Errors.N, got, r.Sent)
	}
	codes := 0
	for _, n := range r.ByCode {
		codes += n
	}
	if codes != r.Sent-r.Acked-r.ByStatus["transport"] {
		t.Errorf("%s: codes %v add up to %d, want one per non-201 answer (%d)", r.Variant, r.ByCode, codes, r.Sent-r.Acked-r.ByStatus["transport"])
	}
	if !r.SoldOut || v.Remaining != 0 || r.Acked+v.Unacknowledged != cfg.Stock {
		t.Errorf("%s: sold out %v, %d remaining, %d acknowledged + %d unacknowledged; want the deal sold out exactly",
			r.Variant, r.SoldOut, v.Remaining, r.Acked, v.Unacknowledged)
	}
	if r.ServerCPUSeconds == nil || r.PeakRSSBytes == nil || *r.PeakRSSBytes <= 0 {
		t.Errorf("%s: no server CPU or peak RSS", r.Variant)
	}
	if cfg.Ceiling > 0 && r.CeilingRPS <= 0 {
		t.Errorf("%s: no /healthz ceiling measured", r.Variant)
	}
	checkNodes(t, cfg, r)
}

// checkNodes checks the per-node figures: one entry per node, every node
// took orders, and their batches carried at least the acknowledged ones.
func checkNodes(t *testing.T, cfg Config, r Result) {
	t.Helper()
	if r.Nodes != cfg.nodes() || len(r.PerNode) != cfg.nodes() {
		t.Fatalf("%s: %d nodes and %d per-node figures, want %d", r.Variant, r.Nodes, len(r.PerNode), cfg.nodes())
	}
	batched, urls := 0, map[string]bool{}
	for i, n := range r.PerNode {
		batched += n.BatchedOrders
		urls[n.URL] = true
		if n.Batches < 1 || n.BatchedOrders < n.Batches || n.MeanBatch < 1 {
			t.Errorf("%s: node %d: %d batches of %d orders (mean %.1f), want each node to have taken orders", r.Variant, i+1, n.Batches, n.BatchedOrders, n.MeanBatch)
		}
		if r.BatchMax == 1 && n.Batches != n.BatchedOrders {
			t.Errorf("%s: node %d: %d batches of %d orders on the plain path, want one order each", r.Variant, i+1, n.Batches, n.BatchedOrders)
		}
	}
	if len(urls) != len(r.PerNode) {
		t.Errorf("%s: nodes %v, want %d different servers", r.Variant, urls, len(r.PerNode))
	}
	if batched < r.Acked {
		t.Errorf("%s: the nodes' batches carried %d orders, fewer than the %d acknowledged", r.Variant, batched, r.Acked)
	}
}
