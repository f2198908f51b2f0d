package chaos

import (
	"testing"
	"time"
)

// The drill's own checks catch what they are for: a 500, a 5xx without
// Retry-After, a failover whose ordering never came back or came back
// late, one that promoted nobody, a missing round, an unsettled key.
func TestFailoverChecksCatchEachFault(t *testing.T) {
	at := time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)
	good := func() FailoverResult {
		return FailoverResult{
			Failovers: []Failover{{Killed: "node1", At: at, Back: 8 * time.Second, Promoted: "node2"},
				{Killed: "node2", At: at.Add(time.Minute), Back: 9 * time.Second, Promoted: "node1"}},
			Answers:   map[string]int{"201": 10, "409": 5, "503": 7, noAnswer + " (timeout)": 1},
			SettledOK: 1, SettledRefused: 2,
		}
	}
	violations := func(r FailoverResult) map[string]int {
		out := map[string]int{}
		for _, c := range failoverChecks(r) {
			out[c.Name] = c.Violations
		}
		return out
	}
	if v := violations(good()); v["no_500"]+v["ordering_back"]+v["keys_settled"] != 0 {
		t.Fatalf("a clean drill has violations: %v", v)
	}
	for _, tc := range []struct {
		name  string
		spoil func(*FailoverResult)
		check string
	}{
		{"an answer of 500", func(r *FailoverResult) { r.Answers["500"] = 1 }, "no_500"},
		{"an answer of 502", func(r *FailoverResult) { r.Answers["502"] = 2 }, "no_500"},
		{"a 503 without Retry-After", func(r *FailoverResult) { r.NoRetryAfter = 1 }, "no_500"},
		{"ordering never back", func(r *FailoverResult) { r.Failovers[1].Back = 0 }, "ordering_back"},
		{"ordering back after 31 s", func(r *FailoverResult) { r.Failovers[0].Back = 31 * time.Second }, "ordering_back"},
		{"the killed node promoted", func(r *FailoverResult) { r.Failovers[0].Promoted = "node1" }, "ordering_back"},
		{"one round only", func(r *FailoverResult) { r.Failovers = r.Failovers[:1] }, "ordering_back"},
		{"a key still unknown", func(r *FailoverResult) { r.Unsettled = 1 }, "keys_settled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := good()
			tc.spoil(&r)
			if v := violations(r); v[tc.check] == 0 {
				t.Errorf("%s: %s found nothing (%v)", tc.name, tc.check, v)
			}
		})
	}
}

// Ordering back is measured from the kill to the first acknowledgement of
// an order sent after it, not of one sent before and answered late.
func TestMeasureBackCountsOnlyOrdersSentAfterTheKill(t *testing.T) {
	kill := time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)
	h := History{
		{ID: 1, Type: Invoke, F: PlaceOrder, Time: kill.Add(-time.Second)},
		{ID: 1, Type: OK, F: PlaceOrder, Time: kill.Add(time.Second)}, // sent before the kill
		{ID: 2, Type: Invoke, F: PlaceOrder, Time: kill.Add(2 * time.Second)},
		{ID: 2, Type: Info, F: PlaceOrder, Time: kill.Add(3 * time.Second)},
		{ID: 3, Type: Invoke, F: CancelOrder, Time: kill.Add(4 * time.Second)},
		{ID: 3, Type: OK, F: CancelOrder, Time: kill.Add(5 * time.Second)},
		{ID: 4, Type: Invoke, F: PlaceOrder, Time: kill.Add(6 * time.Second)},
		{ID: 4, Type: OK, F: PlaceOrder, Time: kill.Add(7500 * time.Millisecond)},
	}
	fs := []Failover{{Killed: "node1", At: kill}, {Killed: "node2", At: kill.Add(time.Hour)}}
	measureBack(h, fs)
	if fs[0].Back != 7500*time.Millisecond {
		t.Errorf("ordering back = %v, want 7.5s", fs[0].Back)
	}
	if fs[1].Back != 0 {
		t.Errorf("a kill with no order acknowledged after it: back = %v, want 0", fs[1].Back)
	}
}
