package bench

import (
	"math"
	"slices"
	"time"
)

// Latency summarises a set of latencies.
type Latency struct {
	N   int           `json:"n"`
	P50 time.Duration `json:"p50_ns"`
	P95 time.Duration `json:"p95_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
}

// Summarize returns the percentiles of samples, which it sorts in place.
func Summarize(samples []time.Duration) Latency {
	slices.Sort(samples)
	l := Latency{N: len(samples)}
	if len(samples) == 0 {
		return l
	}
	l.P50 = Percentile(samples, 50)
	l.P95 = Percentile(samples, 95)
	l.P99 = Percentile(samples, 99)
	l.Max = samples[len(samples)-1]
	return l
}

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted: the smallest sample that at least p% of the samples do not
// exceed. It returns 0 for no samples.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// Median returns the median of xs (the mean of the middle two for an even
// count), without changing xs; 0 for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Rate returns n events over d per second; 0 if d is not positive.
func Rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// Ratio returns a/b, or 0 when b is 0.
func Ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
