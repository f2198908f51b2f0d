package bench

import (
	"math"
	"testing"
	"time"
)

func ms2d(xs ...float64) []time.Duration {
	out := make([]time.Duration, len(xs))
	for i, x := range xs {
		out[i] = time.Duration(x * float64(time.Millisecond))
	}
	return out
}

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"no samples give zero", nil, 99, 0},
		{"one sample is every percentile", ms2d(7), 50, 7 * time.Millisecond},
		{"p100 is the largest", ms2d(1, 2, 3), 100, 3 * time.Millisecond},
		{"p50 of an even count is the lower middle (nearest rank)", ms2d(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p50 of an odd count is the middle", ms2d(1, 2, 3, 4, 5), 50, 3 * time.Millisecond},
		{"p99 of 1..100 ms is 99 ms", hundred, 99, 99 * time.Millisecond},
		{"p95 of 1..100 ms is 95 ms", hundred, 95, 95 * time.Millisecond},
		{"p99 of 10 samples is the largest", ms2d(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		{"a tiny p is the smallest", ms2d(4, 5, 6), 0.001, 4 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	t.Run("sorts and summarises unsorted samples", func(t *testing.T) {
		got := Summarize(ms2d(9, 1, 5, 3, 7, 2, 8, 4, 6, 10))
		want := Latency{N: 10, P50: 5 * time.Millisecond, P95: 10 * time.Millisecond, P99: 10 * time.Millisecond, Max: 10 * time.Millisecond}
		if got != want {
			t.Errorf("Summarize = %+v, want %+v", got, want)
		}
	})
	t.Run("no samples is all zero", func(t *testing.T) {
		if got := Summarize(nil); got != (Latency{}) {
			t.Errorf("Summarize(nil) = %+v, want zero", got)
		}
	})
}

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		want float64
	}{
		{"none is zero", nil, 0},
		{"one is itself", []float64{4}, 4},
		{"odd count takes the middle", []float64{30, 10, 20}, 20},
		{"even count averages the middle two", []float64{4, 1, 3, 2}, 2.5},
		{"an outlier does not move it", []float64{100, 101, 99, 1e9, 0}, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]float64(nil), tt.xs...)
			if got := Median(in); got != tt.want {
				t.Errorf("Median(%v) = %v, want %v", tt.xs, got, tt.want)
			}
			for i := range in {
				if in[i] != tt.xs[i] {
					t.Fatalf("Median reordered its input: %v", in)
				}
			}
		})
	}
}

func TestRate(t *testing.T) {
	tests := []struct {
		name string
		n    int
		d    time.Duration
		want float64
	}{
		{"per second", 5000, 2 * time.Second, 2500},
		{"under a second", 30, 100 * time.Millisecond, 300},
		{"zero time is zero, not infinity", 10, 0, 0},
		{"negative time is zero", 10, -time.Second, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Rate(tt.n, tt.d); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("Rate(%d, %v) = %v, want %v", tt.n, tt.d, got, tt.want)
			}
		})
	}
	if got := Ratio(1, 0); got != 0 {
		t.Errorf("Ratio(1, 0) = %v, want 0", got)
	}
	if got := Ratio(3, 4); got != 0.75 {
		t.Errorf("Ratio(3, 4) = %v, want 0.75", got)
	}
}

func TestSummarizeMedians(t *testing.T) {
	cpu := func(x float64) *float64 { return &x }
	rss := func(x int64) *int64 { return &x }
	run := func(v string, ops float64, p99 time.Duration) Result {
		return Result{Variant: v, OrdersPerSec: ops, Ack: Latency{N: 10, P99: p99}, ServerCPUSeconds: cpu(ops / 1000), PeakRSSBytes: rss(int64(ops))}
	}
	rep := &Report{Runs: []Result{
		run("group commit", 30000, 9*time.Millisecond), run("plain", 3000, 90*time.Millisecond),
		run("plain", 2000, 80*time.Millisecond), run("group commit", 10000, 7*time.Millisecond),
		run("group commit", 20000, 8*time.Millisecond), run("plain", 4000, 70*time.Millisecond),
	}}
	rep.Runs[4].Verify.fail("one order missing")
	rep.Runs[4].Verify.DBMissing = 1
	rep.summarize([]variant{{name: "group commit", batchMax: 512}, {name: "plain", batchMax: 1}})
	if len(rep.Medians) != 2 {
		t.Fatalf("%d summaries, want 2", len(rep.Medians))
	}
	on, off := rep.Medians[0], rep.Medians[1]
	if on.OrdersPerSec != 20000 || on.Ack.P99 != 8*time.Millisecond || *on.ServerCPUSeconds != 20 || *on.PeakRSSBytes != 20000 {
		t.Errorf("group commit medians = %+v, want 20000/s, p99 8ms, 20 s CPU", on)
	}
	if off.OrdersPerSec != 3000 || off.Ack.P99 != 80*time.Millisecond {
		t.Errorf("plain medians = %+v, want 3000/s, p99 80ms", off)
	}
	if rep.SpeedUp != 20000.0/3000 {
		t.Errorf("speed-up = %v, want %v", rep.SpeedUp, 20000.0/3000)
	}
	if on.Verified || on.Missing != 1 || !off.Verified {
		t.Errorf("verified on=%v (missing %d) off=%v; want a failed run to fail its variant only", on.Verified, on.Missing, off.Verified)
	}
}
