package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"
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
	// ProbeWindow is how long each step of the open-loop probe offers
	// orders.
	ProbeWindow time.Duration
	// Target is the bar: the p99 that accepted orders should see, both
	// when the probe finds the sustainable rate and when overloaded.
	Target time.Duration
	// AdmissionFlags are serve flags for the server with admission
	// control, such as "--admit-orders 64"; none keeps serve's defaults.
	AdmissionFlags []string
	// ServerCPUs and ClientCPUs are the CPUs the servers and this process
	// (the load generator) run on; none for any.
	ServerCPUs, ClientCPUs []int
}

// OverloadDefaults are the overload bench's defaults: twice the rate the
// server sustains with p99 under 200 ms, for 10 s, with up to 4,096
// requests in flight.
var OverloadDefaults = func() OverloadConfig {
	c := Defaults
	c.Concurrency = 4096
	return OverloadConfig{Config: c, Factor: 2, Window: 10 * time.Second, ProbeWindow: 5 * time.Second, Target: 200 * time.Millisecond}
}()

// admissionOff are the serve flags that turn admission control off.
var admissionOff = []string{"--admit-orders", "0", "--admit-pages", "0", "--admit-api", "0"}

// clientBusyMax is the share of its CPUs at which the client is taken to
// be short of CPU.
const clientBusyMax = 0.9

// clientCPUs is how many CPUs the load generator may use.
func (oc OverloadConfig) clientCPUs() int {
	if len(oc.ClientCPUs) > 0 {
		return len(oc.ClientCPUs)
	}
	return runtime.NumCPU()
}

// keptUp is the share of the asked orders the client must send for its
// latency to be the server's.
const keptUp = 0.95

// OverloadRun is one open-loop run: a step of the probe, or an overloaded
// run.
type OverloadRun struct {
	Variant     string  `json:"variant"`
	OfferedRate float64 `json:"offered_per_sec"`
	// Asked is how many orders the offered rate asks for over the window;
	// Sent how many the client sent.
	Asked       int     `json:"asked"`
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
	// PeakInFlight is the most orders the client had waiting at once, of
	// MaxInFlight.
	PeakInFlight int `json:"client_in_flight_peak"`
	// ClientCPU is the load generator's CPU seconds over the window, and
	// ClientBusy its share of the CPUs it may use.
	ClientCPU  float64 `json:"client_cpu_seconds"`
	ClientBusy float64 `json:"client_busy"`
	// Held says the client sent fewer than 95 % of the asked orders
	// because every one of its workers was waiting for the server (and it
	// had CPU to spare): the server's backlog, so the latencies are the
	// server's (and too low: the orders never sent are not in them).
	Held bool `json:"held_by_server"`
	// Valid is false when the client sent fewer than 95 % of the asked
	// orders otherwise, or used 90 % of its CPUs or more: it fell behind
	// on its own CPU, and its backlog would pass for the server's latency.
	Valid bool `json:"valid"`
	// ServerCPU is the server's CPU seconds over the window; OtherLoad the
	// share of the machine other processes used meanwhile: a server short
	// of its CPUs' time was shared with them, not overloaded by the bench.
	ServerCPU float64  `json:"server_cpu_seconds"`
	OtherLoad float64  `json:"other_load"`
	Verified  bool     `json:"verified"`
	Problems  []string `json:"problems,omitempty"`
}

// OverloadReport is what the overload bench measured.
type OverloadReport struct {
	Command string  `json:"command,omitempty"`
	Machine Machine `json:"machine"`
	Engine  string  `json:"engine"`
	// ServerCPUs and ClientCPUs are where the servers and the load
	// generator ran; empty for anywhere.
	ServerCPUs []int `json:"server_cpus,omitempty"`
	ClientCPUs []int `json:"client_cpus,omitempty"`
	// ClosedLoop is the orders/s of the flash bench's closed loop of 256
	// buyers, where the probe starts.
	ClosedLoop    float64       `json:"closed_loop_per_sec,omitempty"`
	ClosedLoopP99 time.Duration `json:"closed_loop_p99_ns,omitempty"`
	// Probe are the open-loop steps, without admission control, that
	// found the sustainable rate.
	Probe []OverloadRun `json:"probe,omitempty"`
	// Sustainable is the highest rate a step of the probe carried whole
	// with p99 under Target (or --rate as given).
	Sustainable  float64       `json:"sustainable_per_sec"`
	MeasuredRate bool          `json:"sustainable_measured"`
	Target       time.Duration `json:"target_p99_ns"`
	Factor       float64       `json:"factor"`
	Window       string        `json:"window"`
	MaxInFlight  int           `json:"client_in_flight_max"`
	Runs         []OverloadRun `json:"runs"`
	// SheddingPaysOff is the bar: with admission control, in a valid run,
	// the accepted orders' p99 is under Target.
	SheddingPaysOff bool `json:"accepted_p99_under_target_with_admission"`
}

// RunOverload runs the overload bench.
func RunOverload(ctx context.Context, oc OverloadConfig) (*OverloadReport, error) {
	cfg := oc.Config
	if oc.Factor < 1 || oc.Window <= 0 || oc.ProbeWindow <= 0 || oc.Target <= 0 {
		return nil, errors.New("bench: --factor must be at least 1, --window, --probe-window and --target positive")
	}
	if cfg.URL != "" {
		return nil, errors.New("bench: overload starts servers of its own, with and without admission control; it does not go with --url")
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	for _, c := range oc.ServerCPUs {
		if slices.Contains(oc.ClientCPUs, c) {
			return nil, fmt.Errorf("bench: CPU %d is in both --server-cpus and --client-cpus", c)
		}
	}
	if len(oc.ClientCPUs) > 0 {
		// Before any load: threads started from now on inherit the mask.
		if err := pinSelf(oc.ClientCPUs); err != nil {
			return nil, err
		}
	}
	rep := &OverloadReport{Machine: describeMachine(), Engine: cfg.summary().Engine, ServerCPUs: oc.ServerCPUs, ClientCPUs: oc.ClientCPUs,
		Target: oc.Target, Factor: oc.Factor, Window: oc.Window.String(), MaxInFlight: cfg.Concurrency}
	on := variant{name: "admission control", batchMax: cfg.BatchMax, extra: oc.AdmissionFlags, cpus: oc.ServerCPUs}
	if len(oc.AdmissionFlags) > 0 {
		on.name += " (" + strings.Join(oc.AdmissionFlags, " ") + ")"
	}
	off := variant{name: "no admission control", batchMax: cfg.BatchMax, extra: admissionOff, cpus: oc.ServerCPUs}

	rep.Sustainable = cfg.Rate
	if rep.Sustainable == 0 {
		if err := rep.probe(ctx, oc, off); err != nil {
			return rep, err
		}
	}
	offered := oc.Factor * rep.Sustainable
	for _, r := range []struct {
		v   variant
		tag string // of the profile's file name
	}{{on, ".on"}, {off, ".off"}} {
		v, profile := r.v, ""
		if cfg.CPUProfile != "" {
			ext := filepath.Ext(cfg.CPUProfile)
			profile = strings.TrimSuffix(cfg.CPUProfile, ext) + r.tag + ext
		}
		cfg.progress("%s: offering %.0f orders/s (%.1f× %.0f) for %s", v.name, offered, oc.Factor, rep.Sustainable, oc.Window)
		or, err := openLoop(ctx, cfg, v, offered, oc.Window, oc.clientCPUs(), profile)
		if err != nil {
			return rep, err
		}
		rep.Runs = append(rep.Runs, or)
	}
	rep.SheddingPaysOff = rep.Runs[0].Valid && rep.Runs[0].Accept.P99 < oc.Target
	for _, r := range rep.Runs {
		if !r.Verified {
			return rep, fmt.Errorf("bench: verification failed (%s): %s", r.Variant, strings.Join(r.Problems, "; "))
		}
	}
	return rep, nil
}

// probe finds the sustainable rate: the highest open-loop rate that a
// server without admission control carries whole (every order accepted,
// the client keeping up, never at its in-flight cap) with p99 under the
// target. It starts from the flash bench's closed loop of 256 buyers,
// steps up by a quarter while a rate passes (down by a fifth while it
// fails), then tries once between the last rate that passed and the
// first that failed.
func (rep *OverloadReport) probe(ctx context.Context, oc OverloadConfig, v variant) error {
	cfg := oc.Config
	closed := cfg
	closed.Concurrency, closed.Ceiling, closed.Repeat = Defaults.Concurrency, 0, 1
	cfg.progress("probe: a closed loop of %d buyers, no admission control", closed.Concurrency)
	res, err := runOnce(ctx, &closed, v, 1, "")
	if err != nil {
		return err
	}
	if !res.Verify.OK() {
		return fmt.Errorf("bench: the closed-loop run failed verification: %s", strings.Join(res.Verify.Problems, "; "))
	}
	rep.ClosedLoop, rep.ClosedLoopP99 = res.OrdersPerSec, res.Ack.P99
	cfg.progress("  %.0f orders/s, p99 %s ms", res.OrdersPerSec, ms(res.Ack.P99))

	passes := func(r OverloadRun) bool {
		return r.Valid && r.Verified && !r.Held && r.Accepted >= r.Sent && r.Accept.P99 < oc.Target
	}
	step := func(rate float64) (bool, error) {
		cfg.progress("probe: offering %.0f orders/s for %s, no admission control", rate, oc.ProbeWindow)
		r, err := openLoop(ctx, cfg, v, rate, oc.ProbeWindow, oc.clientCPUs(), "")
		if err != nil {
			return false, err
		}
		rep.Probe = append(rep.Probe, r)
		return passes(r), nil
	}
	var pass, fail float64
	for rate, i := res.OrdersPerSec, 0; i < 8 && (pass == 0 || fail == 0); i++ {
		ok, err := step(rate)
		if err != nil {
			return err
		}
		if ok {
			pass, rate = rate, rate*1.25
		} else {
			fail, rate = rate, rate*0.8
		}
	}
	if pass == 0 {
		return fmt.Errorf("bench: no rate down to %.0f orders/s was carried with p99 under %s", fail, oc.Target)
	}
	if fail != 0 {
		mid := (pass + fail) / 2
		ok, err := step(mid)
		if err != nil {
			return err
		}
		if ok {
			pass = mid
		}
	}
	rep.Sustainable, rep.MeasuredRate = pass, true
	cfg.progress("probe: sustainable %.0f orders/s", pass)
	return nil
}

// openLoop offers rate orders/s for window to a fresh server of variant v
// and says what the accepted ones saw; profile, if set, receives the
// server's CPU profile over the window.
func openLoop(ctx context.Context, cfg Config, v variant, rate float64, window time.Duration, clientCPUs int, profile string) (OverloadRun, error) {
	run := cfg
	run.Rate, run.Duration, run.Tail, run.Ceiling, run.Repeat = rate, window, 0, 0, 1
	// Enough stock and per-customer limit that nothing sells out: every
	// refusal is then the server's choice, not the deal's.
	run.Stock = int(rate*window.Seconds()*1.5) + 1000
	run.Limit = run.Stock/run.Customers + 1
	run.MaxRequests = run.Stock
	res, err := runOnce(ctx, &run, v, 1, profile)
	if err != nil {
		return OverloadRun{}, err
	}
	or := OverloadRun{Variant: v.name, OfferedRate: rate, Asked: int(rate * window.Seconds()), Sent: res.Sent, Accepted: res.Acked,
		AcceptedPer: res.OrdersPerSec, Accept: res.Ack, Shed: res.ByCode[codeOverloaded], Unaccepted: res.Errors, ByStatus: res.ByStatus,
		PeakInFlight: res.PeakInFlight, OtherLoad: res.OtherLoad, Verified: res.Verify.OK(), Problems: res.Verify.Problems}
	if res.ServerCPUSeconds != nil {
		or.ServerCPU = *res.ServerCPUSeconds
	}
	or.Other = or.Sent - or.Accepted - or.Shed
	or.ShedShare = Ratio(float64(or.Shed), float64(or.Sent))
	or.ClientCPU = res.BenchCPUSeconds
	or.ClientBusy = Ratio(or.ClientCPU, res.Elapsed.Seconds()*float64(clientCPUs))
	behind, starved := float64(or.Sent) < keptUp*float64(or.Asked), or.ClientBusy >= clientBusyMax
	or.Held = behind && !starved && or.PeakInFlight >= cfg.Concurrency
	or.Valid = (!behind && !starved) || or.Held
	cfg.progress("  sent %d of %d asked (%.1f%%, at most %d in flight)%s; accepted %d (%.0f/s), p99 %s ms; shed %.1f%%; other %d; server CPU %.1f s, client CPU %.1f s (%.0f%% of its CPUs), other load %.0f%%",
		or.Sent, or.Asked, 100*Ratio(float64(or.Sent), float64(or.Asked)), or.PeakInFlight, or.note(), or.Accepted, or.AcceptedPer,
		ms(or.Accept.P99), 100*or.ShedShare, or.Other, or.ServerCPU, or.ClientCPU, 100*or.ClientBusy, 100*or.OtherLoad)
	return or, nil
}

// note says what to make of a run whose client sent too few.
func (r OverloadRun) note() string {
	switch {
	case !r.Valid:
		return " NOT VALID: the client fell behind on its own CPU"
	case r.Held:
		return ", held back by the server"
	}
	return ""
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
		how = fmt.Sprintf("the most an open loop carried whole with p99 under %s ms; the closed loop of 256 buyers did %.0f/s, p99 %s ms",
			ms(rep.Target), rep.ClosedLoop, ms(rep.ClosedLoopP99))
	}
	pinned := "anywhere"
	if len(rep.ServerCPUs) > 0 || len(rep.ClientCPUs) > 0 {
		pinned = fmt.Sprintf("server on CPUs %v, client on CPUs %v", rep.ServerCPUs, rep.ClientCPUs)
	}
	fmt.Fprintf(w, "%s on %s, %d CPUs (%s), %s\n", rep.Engine, rep.Machine.CPUModel, rep.Machine.CPUs, pinned, rep.Machine.Date)
	fmt.Fprintf(w, "sustainable: %.0f orders/s (%s); offered %.1f× = %.0f orders/s for %s, at most %d in flight\n\n",
		rep.Sustainable, how, rep.Factor, rep.Factor*rep.Sustainable, rep.Window, rep.MaxInFlight)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "variant\toffered/s\tasked\tsent\taccepted\taccepted/s\taccepted p50 ms\taccepted p99 ms\tshed\tshed/5xx p99 ms\tother\tpeak in flight\tserver CPU s\tclient CPU s\tother load\t\t")
	row := func(name string, r OverloadRun) {
		fmt.Fprintf(tw, "%s\t%.0f\t%d\t%d\t%d\t%.0f\t%s\t%s\t%.1f%%\t%s\t%d\t%d\t%.1f\t%.1f\t%.0f%%\t%s\t\n", name, r.OfferedRate, r.Asked, r.Sent, r.Accepted,
			r.AcceptedPer, ms(r.Accept.P50), ms(r.Accept.P99), 100*r.ShedShare, ms(r.Unaccepted.P99), r.Other, r.PeakInFlight, r.ServerCPU, r.ClientCPU, 100*r.OtherLoad,
			strings.TrimPrefix(r.note(), ", "))
	}
	for _, r := range rep.Probe {
		row("probe, "+r.Variant, r)
	}
	for _, r := range rep.Runs {
		row(r.Variant, r)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	bar := "not met"
	if rep.SheddingPaysOff {
		bar = "met"
	}
	_, err := fmt.Fprintf(w, "\nthe bar, accepted p99 under %s ms with admission control in a valid run: %s\n", ms(rep.Target), bar)
	return err
}
