package chaos

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is what a fault test found: what was done to the system, and how
// each rule held.
type Report struct {
	Setup    Setup
	Requests map[string]*OpCount // by operation type
	Kills    int
	Restarts int
	Stops    int
	// KillsDuring counts the kills aimed at one of the day's requests, by
	// its operation.
	KillsDuring map[string]int
	Orders      OrderCounts
	Settled     map[string]*Settled // outcome-unknown operations, by type
	Checks      []CheckResult
	// Notes are facts about the run worth a reader's attention, such as a
	// quiet time that was never reached.
	Notes       []string
	HistoryPath string
	// Err is set when the checker could not read what it checks.
	Err error
	// Failover is the failover drill's own account, nil in other runs.
	Failover *FailoverResult
}

// OpCount counts one operation type's attempts and how they completed.
type OpCount struct {
	Invoked, OK, Fail, Info int
	Refused                 map[string]int // fail completions by problem code
}

// Settled counts outcome-unknown operations by what the final state says.
type Settled struct{ Happened, NotHappened int }

// OrderCounts describes the final orders.
type OrderCounts struct {
	Total, Paid, Cancelled, Expired, Pending, Payments, Refunds int
}

// CheckResult is one rule's verdict: how many things it checked, how many
// broke it, and a few of those described.
type CheckResult struct {
	Name       string
	Rule       string
	Checked    int
	Violations int
	Samples    []string
}

// Ok reports whether every rule held.
func (r Report) Ok() bool { return r.Err == nil && r.Violations() == 0 }

// Violations counts every violation of every rule.
func (r Report) Violations() int {
	n := 0
	for _, c := range r.Checks {
		n += c.Violations
	}
	return n
}

func newReport(h History, s Setup) Report {
	r := Report{Setup: s, Requests: map[string]*OpCount{}, KillsDuring: map[string]int{}}
	for _, f := range OpTypes {
		r.Requests[f] = &OpCount{Refused: map[string]int{}}
	}
	comp := h.Completions()
	for _, op := range h {
		if op.Type == Nemesis {
			switch op.F {
			case Kill:
				r.Kills++
				if what, ok := strings.CutPrefix(op.Error, "SIGKILL during "); ok {
					f, detail, _ := strings.Cut(what, ": ")
					r.KillsDuring[f]++
					if detail != "" {
						r.Notes = append(r.Notes, fmt.Sprintf("%s killed during %s: %s", op.Node, f, detail))
					}
				}
			case Start:
				if !strings.HasPrefix(op.Error, "failed") {
					r.Restarts++
				}
			case Stop:
				r.Stops++
			}
			continue
		}
		c := r.Requests[op.F]
		if c == nil {
			continue
		}
		switch op.Type {
		case Invoke:
			c.Invoked++
			if _, done := comp[op.ID]; !done {
				c.Info++
			}
		case OK:
			c.OK++
		case Fail:
			c.Fail++
			c.Refused[op.Code]++
		case Info:
			c.Info++
		}
	}
	return r
}

func countOrders(t *tables) OrderCounts {
	c := OrderCounts{Total: len(t.orders), Payments: len(t.payments), Refunds: len(t.refunds)}
	for _, o := range t.orders {
		switch {
		case o.status == "paid":
			c.Paid++
		case o.status == "cancelled" && o.reason == "expired":
			c.Expired++
		case o.status == "cancelled":
			c.Cancelled++
		case o.status == "pending_payment":
			c.Pending++
		}
	}
	return c
}

// Print writes the summary table.
func (r Report) Print(w io.Writer) {
	s := r.Setup
	fmt.Fprintf(w, "tuango chaos: scenario %s, seed %d, %d node(s), %s, %d customers\n", s.Scenario, s.Seed, s.Nodes, s.Duration, len(s.Customers))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "request\tsent\tacknowledged\trefused\tunknown (info)\tinfo happened\tinfo did not\t")
	total := OpCount{}
	for _, f := range OpTypes {
		c, st := r.Requests[f], r.Settled[f]
		if st == nil {
			st = &Settled{}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t\n", f, c.Invoked, c.OK, c.Fail, c.Info, st.Happened, st.NotHappened)
		total.Invoked, total.OK, total.Fail, total.Info = total.Invoked+c.Invoked, total.OK+c.OK, total.Fail+c.Fail, total.Info+c.Info
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t%d\t\t\t\n", total.Invoked, total.OK, total.Fail, total.Info)
	tw.Flush()
	refused := map[string]int{}
	for _, c := range r.Requests {
		for code, n := range c.Refused {
			refused[code] += n
		}
	}
	var parts []string
	for _, code := range slices.Sorted(maps.Keys(refused)) {
		parts = append(parts, fmt.Sprintf("%s %d", code, refused[code]))
	}
	fmt.Fprintf(w, "refused by code: %s\n", strings.Join(parts, ", "))
	fmt.Fprintf(w, "nemesis: %d kills (SIGKILL), %d restarts, %d stops (SIGSTOP/SIGCONT)\n", r.Kills, r.Restarts, r.Stops)
	if s.Day {
		var during []string
		for _, f := range []string{CutoffOp, DispatchOp, SignOp, "notify", PickupOp} {
			during = append(during, fmt.Sprintf("%s %d", f, r.KillsDuring[f]))
		}
		fmt.Fprintf(w, "the day after the sale (%s, %s): nodes killed under a request: %s\n", s.City, s.DeliveryDate, strings.Join(during, ", "))
	}
	o := r.Orders
	fmt.Fprintf(w, "final orders: %d (paid %d, cancelled by customer %d, expired %d, pending %d); payments %d, refunds %d\n",
		o.Total, o.Paid, o.Cancelled, o.Expired, o.Pending, o.Payments, o.Refunds)
	if !s.QuietAt.IsZero() {
		fmt.Fprintf(w, "quiet at %s\n", s.QuietAt.Format(time.RFC3339))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if f := r.Failover; f != nil {
		f.print(w)
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "invariant\tchecked\tviolations\trule")
	for _, c := range r.Checks {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", c.Name, c.Checked, c.Violations, c.Rule)
	}
	tw.Flush()
	for _, c := range r.Checks {
		for _, sample := range c.Samples {
			fmt.Fprintf(w, "  VIOLATION %s: %s\n", c.Name, sample)
		}
		if c.Violations > len(c.Samples) {
			fmt.Fprintf(w, "  ... and %d more %s violations\n", c.Violations-len(c.Samples), c.Name)
		}
	}
	if r.HistoryPath != "" {
		fmt.Fprintf(w, "history: %s\n", r.HistoryPath)
	}
	switch {
	case r.Err != nil:
		fmt.Fprintf(w, "result: NOT CHECKED: %v\n", r.Err)
	case r.Ok():
		fmt.Fprintf(w, "result: OK, %d invariants checked, 0 violations\n", len(r.Checks))
	default:
		fmt.Fprintf(w, "result: FAILED, %d violations\n", r.Violations())
	}
}
