package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// OverloadConfig is one invocation of the overload bench: find the rate a
// server sustains, then offer Factor times it in an open loop, to a server
// with admission control and to one without, and compare what the
// accepted requests saw.
type OverloadConfig struct {
	Config
	// Factor is how many times the sustainable rate is offered.
	Factor float64
	// Window is how long each overloaded run offers orders.
	Window time.Duration
	// AdmissionFlags are serve flags for the server with admission
	// control, such as "--admit-orders 64"; none keeps serve's defaults.
	AdmissionFlags []string
}

// OverloadDefaults are the overload bench's defaults: twice the rate of
// the flash bench's closed loop of 256 buyers, for 10 s, with up to 4,096
// requests in flight.
var OverloadDefaults = func() OverloadConfig {
	c := Defaults
	c.Concurrency = 4096
	return OverloadConfig{Config: c, Factor: 2, Window: 10 * time.Second}
}()

// admissionOff are the serve flags that turn admission control off.
var admissionOff = []string{"--admit-orders", "0", "--admit-pages", "0", "--admit-api", "0"}

// OverloadRun is one overloaded run.
type OverloadRun struct {
	Variant     string  `json:"variant"`
	OfferedRate float64 `json:"offered_per_sec"`
	Sent        int     `json:"sent"`
	Accepted    int     `json:"accepted"`
	AcceptedPer float64 `json:"accepted_per_sec"`
	Accept      Latency `json:"accepted_latency"`
	Shed        int     `json:"shed"`
	ShedShare   float64 `json:"shed_share"`
	// Unaccepted is the latency of the answers neither accepted nor
	// refused with a 4xx: shed ones, 5xx errors, transport failures.
	Unaccepted Latency `json:"unaccepted_latency"`
	// Other are answers neither accepted nor shed: refusals, errors,
	// transport failures.
	Other    int            `json:"other"`
	ByStatus map[string]int `json:"by_status"`
	Verified bool           `json:"verified"`
	Problems []string       `json:"problems,omitempty"`
}

// OverloadReport is what the overload bench measured.
type OverloadReport struct {
	Command string  `json:"command,omitempty"`
	Machine Machine `json:"machine"`
	Engine  string  `json:"engine"`
	// Sustainable is the rate the server sustained (the closed loop's
	// orders/s, or --rate as given).
	Sustainable     float64       `json:"sustainable_per_sec"`
	SustainedP99    time.Duration `json:"sustained_p99_ns,omitempty"`
	MeasuredRate    bool          `json:"sustainable_measured"`
	Factor          float64       `json:"factor"`
	Window          string        `json:"window"`
	MaxInFlight     int           `json:"client_in_flight_max"`
	Runs            []OverloadRun `json:"runs"`
	SheddingPaysOff bool          `json:"accepted_p99_under_200ms_with_admission"`
}

// RunOverload runs the overload bench.
func RunOverload(ctx context.Context, oc OverloadConfig) (*OverloadReport, error) {
	cfg := oc.Config
	if oc.Factor < 1 || oc.Window <= 0 {
		return nil, errors.New("bench: --factor must be at least 1 and --window positive")
	}
	if cfg.URL != "" {
		return nil, errors.New("bench: overload starts servers of its own, with and without admission control; it does not go with --url")
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	rep := &OverloadReport{Machine: describeMachine(), Engine: cfg.summary().Engine, Factor: oc.Factor, Window: oc.Window.String(), MaxInFlight: cfg.Concurrency}
	on := variant{name: "admission control", batchMax: cfg.BatchMax, extra: oc.AdmissionFlags}
	if len(oc.AdmissionFlags) > 0 {
		on.name += " (" + strings.Join(oc.AdmissionFlags, " ") + ")"
	}
	off := variant{name: "no admission control", batchMax: cfg.BatchMax, extra: admissionOff}

	rep.Sustainable = cfg.Rate
	if rep.Sustainable == 0 {
		// The flash bench's closed loop: 256 buyers, each sending the next
		// order when the last is answered, can only go as fast as the
		// server answers.
		probe := cfg
		probe.Concurrency, probe.Ceiling, probe.Repeat = Defaults.Concurrency, 0, 1
		cfg.progress("finding the sustainable rate: a closed loop of %d buyers, admission control on", probe.Concurrency)
		res, err := runOnce(ctx, &probe, on, 1, "")
		if err != nil {
			return rep, err
		}
		if !res.Verify.OK() {
			return rep, fmt.Errorf("bench: the closed-loop run failed verification: %s", strings.Join(res.Verify.Problems, "; "))
		}
		rep.Sustainable, rep.SustainedP99, rep.MeasuredRate = res.OrdersPerSec, res.Ack.P99, true
		cfg.progress("  sustained %.0f orders/s, p99 %s ms", res.OrdersPerSec, ms(res.Ack.P99))
	}
	offered := oc.Factor * rep.Sustainable
	for _, v := range []variant{on, off} {
		run := cfg
		run.Rate, run.Duration, run.Tail, run.Ceiling, run.Repeat = offered, oc.Window, 0, 0, 1
		// Enough stock and per-customer limit that nothing sells out: every
		// refusal is then the server's choice, not the deal's.
		run.Stock = int(offered*oc.Window.Seconds()*1.5) + 1000
		run.Limit = run.Stock/run.Customers + 1
		run.MaxRequests = run.Stock
		cfg.progress("%s: offering %.0f orders/s (%.1f× %.0f) for %s", v.name, offered, oc.Factor, rep.Sustainable, oc.Window)
		res, err := runOnce(ctx, &run, v, 1, "")
		if err != nil {
			return rep, err
		}
		or := OverloadRun{Variant: v.name, OfferedRate: offered, Sent: res.Sent, Accepted: res.Acked, AcceptedPer: res.OrdersPerSec,
			Accept: res.Ack, Shed: res.ByCode[codeOverloaded], Unaccepted: res.Errors, ByStatus: res.ByStatus,
			Verified: res.Verify.OK(), Problems: res.Verify.Problems}
		or.Other = or.Sent - or.Accepted - or.Shed
		or.ShedShare = Ratio(float64(or.Shed), float64(or.Sent))
		rep.Runs = append(rep.Runs, or)
		cfg.progress("  accepted %d (%.0f/s), p99 %s ms; shed %.1f%%; other %d", or.Accepted, or.AcceptedPer, ms(or.Accept.P99), 100*or.ShedShare, or.Other)
	}
	rep.SheddingPaysOff = rep.Runs[0].Accept.P99 < 200*time.Millisecond
	for _, r := range rep.Runs {
		if !r.Verified {
			return rep, fmt.Errorf("bench: verification failed (%s): %s", r.Variant, strings.Join(r.Problems, "; "))
		}
	}
	return rep, nil
}

// codeOverloaded is the problem code of a request admission control shed.
const codeOverloaded = "overloaded"

// WriteJSON writes the report as JSON.
func (rep *OverloadReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// WriteTable writes the report for people.
func (rep *OverloadReport) WriteTable(w io.Writer) error {
	how := "given with --rate"
	if rep.MeasuredRate {
		how = fmt.Sprintf("a closed loop of 256 buyers, p99 %s ms", ms(rep.SustainedP99))
	}
	fmt.Fprintf(w, "%s on %s, %d CPUs, %s\n", rep.Engine, rep.Machine.CPUModel, rep.Machine.CPUs, rep.Machine.Date)
	fmt.Fprintf(w, "sustainable: %.0f orders/s (%s); offered %.1f× = %.0f orders/s for %s, at most %d in flight\n\n",
		rep.Sustainable, how, rep.Factor, rep.Factor*rep.Sustainable, rep.Window, rep.MaxInFlight)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "variant\tsent\taccepted\taccepted/s\taccepted p50 ms\taccepted p99 ms\tshed\tshed/5xx p99 ms\tother\t")
	for _, r := range rep.Runs {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%.1f%%\t%s\t%d\t\n", r.Variant, r.Sent, r.Accepted, r.AcceptedPer, ms(r.Accept.P50), ms(r.Accept.P99),
			100*r.ShedShare, ms(r.Unaccepted.P99), r.Other)
	}
	return tw.Flush()
}
