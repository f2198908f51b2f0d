package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is everything one invocation measured.
type Report struct {
	Command string        `json:"command,omitempty"`
	Machine Machine       `json:"machine"`
	Config  ConfigSummary `json:"config"`
	Runs    []Result      `json:"runs"`
	Medians []Summary     `json:"medians"`
	// Discarded runs shared the machine with more than --max-other-load
	// and were run again.
	Discarded []Discarded `json:"discarded,omitempty"`
	// SpeedUp is the median orders/s with group commit over the median
	// without, when comparing.
	SpeedUp float64 `json:"group_commit_speedup,omitempty"`
}

// Discarded is a run thrown away because other processes took the CPU.
type Discarded struct {
	Variant      string  `json:"variant"`
	Repeat       int     `json:"repeat"`
	OtherLoad    float64 `json:"other_load"`
	OrdersPerSec float64 `json:"orders_per_sec"`
}

// ConfigSummary is the part of the configuration that shapes the figures.
type ConfigSummary struct {
	Engine      string  `json:"engine"`
	Nodes       int     `json:"nodes"`
	URL         string  `json:"url,omitempty"`
	Stock       int     `json:"stock"`
	Limit       int     `json:"limit_per_customer"`
	Customers   int     `json:"customers"`
	MaxUnpaid   int     `json:"max_unpaid_orders"`
	Concurrency int     `json:"concurrency"`
	Rate        float64 `json:"rate,omitempty"`
	Duration    string  `json:"duration"`
	BatchMax    int     `json:"order_batch_max"`
	BatchWindow string  `json:"order_batch_window"`
	Repeat      int     `json:"repeat"`
}

func (c *Config) summary() ConfigSummary {
	engine := "sqlite"
	switch {
	case c.URL != "":
		engine = "remote"
	case c.DB != "":
		engine = "postgres"
	}
	nodes := c.nodes()
	if c.URL != "" {
		nodes = 1
	}
	return ConfigSummary{Engine: engine, Nodes: nodes, URL: c.URL, Stock: c.Stock, Limit: c.Limit, Customers: c.Customers, MaxUnpaid: c.MaxUnpaid, Concurrency: c.Concurrency,
		Rate: c.Rate, Duration: c.Duration.String(), BatchMax: c.BatchMax, BatchWindow: c.BatchWindow.String(), Repeat: c.Repeat}
}

// Machine describes where the figures were taken.
type Machine struct {
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model,omitempty"`
	MemoryMiB int64  `json:"memory_mib,omitempty"`
	Kernel    string `json:"kernel,omitempty"`
	Go        string `json:"go"`
	Date      string `json:"date"`
}

func describeMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), Date: time.Now().UTC().Format(time.RFC3339)}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			m.MemoryMiB = kb >> 10
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "linux " + strings.TrimSpace(string(b))
	}
	return m
}

// Result is one run: one server, one flash deal.
type Result struct {
	Variant  string `json:"variant"`
	Engine   string `json:"engine"`
	BatchMax int    `json:"order_batch_max,omitempty"`
	Repeat   int    `json:"repeat"`
	DealID   string `json:"deal_id"`
	// Nodes is how many servers shared the load; PerNode is what each did
	// (servers the bench started only).
	Nodes   int       `json:"nodes"`
	PerNode []NodeRun `json:"per_node,omitempty"`

	Sent  int `json:"sent"`
	Acked int `json:"acked"`
	// PeakInFlight is the most orders the client had waiting at once.
	PeakInFlight int `json:"client_in_flight_peak"`
	// Elapsed runs from the first order sent to the last acknowledged.
	Elapsed      time.Duration `json:"elapsed_ns"`
	OrdersPerSec float64       `json:"orders_per_sec"`
	SoldOut      bool          `json:"sold_out"`
	SoldOutAfter time.Duration `json:"sold_out_after_ns,omitempty"`

	Ack     Latency `json:"acked_latency"`
	Refused Latency `json:"refused_latency"`
	// AfterSellOut is the refusals sent once the deal was seen sold out.
	AfterSellOut Latency        `json:"refused_after_sell_out_latency"`
	Errors       Latency        `json:"error_latency"`
	ByStatus     map[string]int `json:"by_status"`
	ByCode       map[string]int `json:"by_code"`

	// Server figures, when the bench started the servers: CPU seconds over
	// the flash phase summed over the nodes, and the largest peak resident
	// set of one since it started.
	ServerCPUSeconds *float64 `json:"server_cpu_seconds,omitempty"`
	PeakRSSBytes     *int64   `json:"server_peak_rss_bytes,omitempty"`
	// BenchCPUSeconds is the load generator's own CPU over the flash phase:
	// it shares the machine with the server.
	BenchCPUSeconds float64 `json:"bench_cpu_seconds"`
	// DBCPUSeconds is the CPU of the PostgreSQL backends serving the
	// bench's database over the flash phase, when PostgreSQL runs on this
	// machine.
	DBCPUSeconds *float64 `json:"postgres_cpu_seconds,omitempty"`
	// OtherLoad is the share of the machine's CPU that other user
	// processes used during the flash phase (0 to 1; the kernel's own work,
	// such as disk flushes and loopback networking, is not counted): above
	// a few percent the run shared the machine and its figures are low.
	OtherLoad float64 `json:"other_load"`

	CeilingRPS     float64 `json:"healthz_ceiling_per_sec,omitempty"`
	CeilingLatency Latency `json:"healthz_latency"`
	OfCeiling      float64 `json:"orders_of_ceiling,omitempty"`

	Verify     Verification `json:"verification"`
	CPUProfile string       `json:"cpu_profile,omitempty"`
}

func (r *Result) fill(fr *flashRun) {
	r.Sent, r.Acked, r.PeakInFlight = fr.sent, len(fr.acked), fr.peakInFlight
	if r.Acked > 0 {
		r.Elapsed = fr.lastAck.Sub(fr.start)
	}
	r.OrdersPerSec = Rate(r.Acked, r.Elapsed)
	if !fr.soldOut.IsZero() {
		r.SoldOut, r.SoldOutAfter = true, fr.soldOut.Sub(fr.start)
	}
	r.Ack, r.Refused, r.Errors = Summarize(fr.ackLat), Summarize(fr.refusedLat), Summarize(fr.errLat)
	r.AfterSellOut = Summarize(fr.afterLat)
	r.ByStatus, r.ByCode = fr.byStatus, fr.byCode
}

// Summary is the medians of a variant's runs.
type Summary struct {
	Variant          string   `json:"variant"`
	Runs             int      `json:"runs"`
	OrdersPerSec     float64  `json:"orders_per_sec"`
	Ack              Latency  `json:"acked_latency"`
	Refused          Latency  `json:"refused_latency"`
	CeilingRPS       float64  `json:"healthz_ceiling_per_sec,omitempty"`
	CeilingLatency   Latency  `json:"healthz_latency"`
	OfCeiling        float64  `json:"orders_of_ceiling,omitempty"`
	AfterSellOut     Latency  `json:"refused_after_sell_out_latency"`
	ServerCPUSeconds *float64 `json:"server_cpu_seconds,omitempty"`
	PeakRSSBytes     *int64   `json:"server_peak_rss_bytes,omitempty"`
	BenchCPUSeconds  float64  `json:"bench_cpu_seconds"`
	DBCPUSeconds     *float64 `json:"postgres_cpu_seconds,omitempty"`
	OtherLoad        float64  `json:"other_load"`
	// Oversold and Missing add up every run: both must be 0.
	Oversold int  `json:"oversold"`
	Missing  int  `json:"missing"`
	Verified bool `json:"verified"`
}

func (rep *Report) summarize(vs []variant) {
	for _, v := range vs {
		var runs []Result
		for _, r := range rep.Runs {
			if r.Variant == v.name {
				runs = append(runs, r)
			}
		}
		if len(runs) == 0 {
			continue
		}
		med := func(f func(r Result) float64) float64 {
			xs := make([]float64, len(runs))
			for i, r := range runs {
				xs[i] = f(r)
			}
			return Median(xs)
		}
		dur := func(f func(r Result) time.Duration) time.Duration {
			return time.Duration(med(func(r Result) float64 { return float64(f(r)) }))
		}
		lat := func(f func(r Result) Latency) Latency {
			return Latency{
				N:   int(med(func(r Result) float64 { return float64(f(r).N) })),
				P50: dur(func(r Result) time.Duration { return f(r).P50 }), P95: dur(func(r Result) time.Duration { return f(r).P95 }),
				P99: dur(func(r Result) time.Duration { return f(r).P99 }), Max: dur(func(r Result) time.Duration { return f(r).Max }),
			}
		}
		s := Summary{Variant: v.name, Runs: len(runs), Verified: true,
			OrdersPerSec:    med(func(r Result) float64 { return r.OrdersPerSec }),
			Ack:             lat(func(r Result) Latency { return r.Ack }),
			Refused:         lat(func(r Result) Latency { return r.Refused }),
			CeilingRPS:      med(func(r Result) float64 { return r.CeilingRPS }),
			CeilingLatency:  lat(func(r Result) Latency { return r.CeilingLatency }),
			OfCeiling:       med(func(r Result) float64 { return r.OfCeiling }),
			AfterSellOut:    lat(func(r Result) Latency { return r.AfterSellOut }),
			BenchCPUSeconds: med(func(r Result) float64 { return r.BenchCPUSeconds }),
			OtherLoad:       med(func(r Result) float64 { return r.OtherLoad }),
		}
		if runs[0].DBCPUSeconds != nil {
			db := med(func(r Result) float64 { return *r.DBCPUSeconds })
			s.DBCPUSeconds = &db
		}
		if runs[0].ServerCPUSeconds != nil {
			cpu := med(func(r Result) float64 { return *r.ServerCPUSeconds })
			rss := int64(med(func(r Result) float64 { return float64(*r.PeakRSSBytes) }))
			s.ServerCPUSeconds, s.PeakRSSBytes = &cpu, &rss
		}
		for _, r := range runs {
			s.Oversold += r.Verify.Oversold
			s.Missing += r.Verify.APIMissing + r.Verify.DBMissing
			s.Verified = s.Verified && r.Verify.OK()
		}
		rep.Medians = append(rep.Medians, s)
	}
	if len(rep.Medians) == 2 {
		rep.SpeedUp = Ratio(rep.Medians[0].OrdersPerSec, rep.Medians[1].OrdersPerSec)
	}
}

// WriteJSON writes the report as indented JSON.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// WriteTable writes the report as aligned text.
func (rep *Report) WriteTable(w io.Writer) error {
	c, m := rep.Config, rep.Machine
	loop := "closed loop"
	if c.Rate > 0 {
		loop = fmt.Sprintf("open loop at %.0f orders/s", c.Rate)
	}
	nodes := ""
	if c.Nodes > 1 {
		nodes = fmt.Sprintf(" on %d nodes", c.Nodes)
	}
	capped := ""
	if c.MaxUnpaid > 0 {
		capped = fmt.Sprintf(", at most %d unpaid orders each", c.MaxUnpaid)
	}
	fmt.Fprintf(w, "tuango bench flash: %s%s, %d buyers (%s), one deal of %d units, limit %d per customer, %d customers%s\n",
		c.Engine, nodes, c.Concurrency, loop, c.Stock, c.Limit, c.Customers, capped)
	fmt.Fprintf(w, "machine: %d CPUs (%s), %d MiB, %s, %s, %s\n", m.CPUs, m.CPUModel, m.MemoryMiB, m.Kernel, m.Go, m.Date)
	if rep.Command != "" {
		fmt.Fprintf(w, "command: %s\n", rep.Command)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "variant\trun\torders/s\tacked\tacked p50\tp95\tp99\tmax\trefused p50\tp95\tp99\tmax\tsold-out p99\thealthz/s\thealthz p99\tof ceiling\tserver cpu\tpg cpu\tbench cpu\tother load\tpeak RSS\tverified\t")
	for _, s := range rep.Medians {
		for _, r := range rep.Runs {
			if r.Variant != s.Variant {
				continue
			}
			fmt.Fprintf(tw, "%s\t%d\t%.0f\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Variant, r.Repeat, r.OrdersPerSec, r.Acked,
				ms(r.Ack.P50), ms(r.Ack.P95), ms(r.Ack.P99), ms(r.Ack.Max), ms(r.Refused.P50), ms(r.Refused.P95), ms(r.Refused.P99), ms(r.Refused.Max), ms(r.AfterSellOut.P99),
				perSec(r.CeilingRPS), ms(r.CeilingLatency.P99), percent(r.OfCeiling), cpuSeconds(r.ServerCPUSeconds), cpuSeconds(r.DBCPUSeconds), cpuSeconds(&r.BenchCPUSeconds), percent0(r.OtherLoad), mib(r.PeakRSSBytes), r.Verify.summary())
		}
		if s.Runs > 1 {
			verified := "ok"
			if !s.Verified {
				verified = "FAILED"
			}
			fmt.Fprintf(tw, "%s\tmedian\t%.0f\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", s.Variant, s.OrdersPerSec, s.Ack.N,
				ms(s.Ack.P50), ms(s.Ack.P95), ms(s.Ack.P99), ms(s.Ack.Max), ms(s.Refused.P50), ms(s.Refused.P95), ms(s.Refused.P99), ms(s.Refused.Max), ms(s.AfterSellOut.P99),
				perSec(s.CeilingRPS), ms(s.CeilingLatency.P99), percent(s.OfCeiling), cpuSeconds(s.ServerCPUSeconds), cpuSeconds(s.DBCPUSeconds), cpuSeconds(&s.BenchCPUSeconds), percent0(s.OtherLoad), mib(s.PeakRSSBytes), verified)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if rep.SpeedUp > 0 {
		fmt.Fprintf(w, "\ngroup commit ÷ plain path (medians of orders/s): %.1f×\n", rep.SpeedUp)
	}
	for _, d := range rep.Discarded {
		fmt.Fprintf(w, "discarded and run again: %s #%d, other processes used %.0f%% of the CPU (%.0f orders/s)\n", d.Variant, d.Repeat, 100*d.OtherLoad, d.OrdersPerSec)
	}
	fmt.Fprint(w, legend)
	rep.writeNodes(w)
	fmt.Fprintln(w, "\nanswers:")
	for _, r := range rep.Runs {
		fmt.Fprintf(w, "  %s #%d: sent %d; %s; codes %s", r.Variant, r.Repeat, r.Sent, counts(r.ByStatus), counts(r.ByCode))
		if r.SoldOut {
			fmt.Fprintf(w, "; sold out after %s", r.SoldOutAfter.Round(time.Millisecond))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "\nverification:")
	for _, r := range rep.Runs {
		v := r.Verify
		fmt.Fprintf(w, "  %s #%d: %s: stock %d, reserved %d, remaining %d, acked %d, oversold %d; %d/%d fetched back through the API",
			r.Variant, r.Repeat, v.summary(), v.Stock, v.Reserved, v.Remaining, v.AckedUnits, v.Oversold, v.APIChecked-v.APIMissing, v.APIChecked)
		if v.DBChecked {
			fmt.Fprintf(w, "; database: %d live orders, %d units, %d acked missing, %d unacknowledged", v.DBOrders, v.DBUnits, v.DBMissing, v.Unacknowledged)
		}
		fmt.Fprintln(w)
		for _, p := range v.Problems {
			fmt.Fprintf(w, "    PROBLEM: %s\n", p)
		}
		if r.CPUProfile != "" {
			fmt.Fprintf(w, "    server CPU profile of the flash phase: %s (go tool pprof -top %s)\n", r.CPUProfile, r.CPUProfile)
		}
	}
	return nil
}

const legend = `
latencies in ms: acked from send (open loop: from the intended send time) to the 201; refused likewise to the 4xx;
sold-out p99: refusals sent after the first sold_out answer. orders/s: acknowledged orders ÷ time from the first
order sent to the last acknowledged. cpu: seconds over the flash phase (pg: the backends of the bench's database,
the WAL writer, checkpointer and background writer). other load: the machine's CPU used by other user processes
meanwhile (kernel threads and interrupts not counted); above a few % the run shared the machine.
peak RSS: the server's VmHWM since it started (seeding included).
`

// writeNodes lists each node's group-commit batches and CPU per run.
func (rep *Report) writeNodes(w io.Writer) {
	fmt.Fprintln(w, "\nnodes (batches: group-commit transactions over the sale, from /metrics; cpu: over the flash phase):")
	for _, r := range rep.Runs {
		if len(r.PerNode) == 0 {
			continue
		}
		var batches, orders int
		var cpu float64
		for _, n := range r.PerNode {
			batches, orders, cpu = batches+n.Batches, orders+n.BatchedOrders, cpu+n.CPUSeconds
		}
		perOrder := func(x float64) float64 { return 1e6 * Ratio(x, float64(r.Acked)) }
		fmt.Fprintf(w, "  %s #%d: %d node(s), %.0f batches/s in all, mean batch %.1f orders; CPU per acknowledged order: servers %.0f µs, bench %.0f µs",
			r.Variant, r.Repeat, len(r.PerNode), Rate(batches, r.Elapsed), Ratio(float64(orders), float64(batches)), perOrder(cpu), perOrder(r.BenchCPUSeconds))
		if r.DBCPUSeconds != nil {
			fmt.Fprintf(w, ", PostgreSQL %.0f µs", perOrder(*r.DBCPUSeconds))
		}
		fmt.Fprintln(w)
		for i, n := range r.PerNode {
			fmt.Fprintf(w, "    node %d %s: %d batches (%.0f/s), %d orders, mean batch %.1f, cpu %.1fs\n", i+1, n.URL, n.Batches, n.BatchesPerSec, n.BatchedOrders, n.MeanBatch, n.CPUSeconds)
		}
	}
}

func (v *Verification) summary() string {
	if v.OK() {
		return "ok"
	}
	return "FAILED"
}

func ms(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond))
}

func perSec(x float64) string {
	if x == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", x)
}

func percent(x float64) string {
	if x == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", 100*x)
}

func percent0(x float64) string { return fmt.Sprintf("%.0f%%", 100*x) }

func cpuSeconds(x *float64) string {
	if x == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.1fs", *x)
}

func mib(x *int64) string {
	if x == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.0f MiB", float64(*x)/(1<<20))
}

// counts lists a count map as "k×n" sorted by key.
func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		name := k
		if name == "" {
			name = "(none)"
		}
		parts = append(parts, fmt.Sprintf("%s×%d", name, m[k]))
	}
	return strings.Join(parts, " ")
}
