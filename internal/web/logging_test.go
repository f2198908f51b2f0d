package web

import (
	"testing"
	"time"
)

// Past its rate the request log keeps every server error and every slow
// request, leaves the other requests out, and its next ordinary line
// says how many it left out.
func TestRequestLogSamplesOrdinaryRequestsOnly(t *testing.T) {
	l := newRequestLogger(RequestLogConfig{PerSecond: 10, Burst: 2, Slow: 500 * time.Millisecond})
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	fast := time.Millisecond
	for i := range 2 {
		if n, ok := l.keep(t0, 201, false, fast); !ok || n != 0 {
			t.Fatalf("ordinary request %d within the burst: kept %v, skipped %d; want kept, 0", i, ok, n)
		}
	}
	for i, tc := range []struct {
		status int
		shed   bool
		took   time.Duration
		keep   bool
	}{
		{201, false, fast, false},
		{409, false, fast, false},
		{500, false, fast, true},
		{503, false, fast, true},
		{503, true, fast, false}, // shed by admission control: counted, sampled
		{503, true, time.Second, true},
		{200, false, time.Second, true},
		{201, false, fast, false},
	} {
		if _, ok := l.keep(t0, tc.status, tc.shed, tc.took); ok != tc.keep {
			t.Errorf("request %d (%d, shed %v, in %v) past the rate: kept %v, want %v", i, tc.status, tc.shed, tc.took, ok, tc.keep)
		}
	}
	// A tenth of a second later one more ordinary line is due.
	n, ok := l.keep(t0.Add(100*time.Millisecond), 200, false, fast)
	if !ok || n != 4 {
		t.Errorf("the next ordinary line: kept %v, skipped %d; want kept, 4 left out before it", ok, n)
	}
	every := newRequestLogger(RequestLogConfig{})
	for i := range 1000 {
		if n, ok := every.keep(t0, 200, false, fast); !ok || n != 0 {
			t.Fatalf("with no rate, request %d: kept %v, skipped %d; want every request kept", i, ok, n)
		}
	}
}
