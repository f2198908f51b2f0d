// Package bench is tuango's load generator: a flash sale driven over HTTP
// against a real server, measured, and then verified against the rules
// (nothing oversold, every acknowledged order present).
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// Run runs the bench and returns its report. The error is non-nil when a
// run could not be completed or a verification failed; the report then
// holds what was measured.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	rep := &Report{Machine: describeMachine(), Config: cfg.summary()}
	vs := cfg.variants()
	profiled := map[string]bool{}
	for i := range cfg.Repeat {
		order := vs
		// Alternate which variant goes first, so that drift on a shared
		// machine does not always favour the same one.
		if len(vs) == 2 && i%2 == 1 {
			order = []variant{vs[1], vs[0]}
		}
		for _, v := range order {
			profile := ""
			if cfg.CPUProfile != "" && !profiled[v.name] {
				profile = profilePath(cfg.CPUProfile, v, len(vs) > 1)
				profiled[v.name] = true
			}
			if err := rep.measure(ctx, &cfg, v, i+1, profile); err != nil {
				rep.summarize(vs)
				return rep, err
			}
		}
	}
	rep.summarize(vs)
	for _, r := range rep.Runs {
		if !r.Verify.OK() {
			return rep, fmt.Errorf("bench: verification failed in run %d (%s): %s", r.Repeat, r.Variant, strings.Join(r.Verify.Problems, "; "))
		}
	}
	return rep, nil
}

// measure makes run number repeat of variant v and adds it to the report.
// With MaxOtherLoad it first waits for a quiet machine, and runs again a
// run that shared it (never one whose verification failed).
func (rep *Report) measure(ctx context.Context, cfg *Config, v variant, repeat int, profile string) error {
	for attempt := 0; ; attempt++ {
		if cfg.MaxOtherLoad > 0 {
			waitIdle(ctx, cfg.MaxOtherLoad, 5*time.Minute)
		}
		cfg.progress("%s, %s, run %d of %d", rep.Config.Engine, v.describe(cfg.BatchWindow), repeat, cfg.Repeat)
		res, err := runOnce(ctx, cfg, v, repeat, profile)
		if err == nil && cfg.MaxOtherLoad > 0 && res.OtherLoad > cfg.MaxOtherLoad && attempt < 3 && res.Verify.OK() {
			cfg.progress("  discarded: other processes used %.0f%% of the CPU (%.0f orders/s); running it again", 100*res.OtherLoad, res.OrdersPerSec)
			rep.Discarded = append(rep.Discarded, Discarded{Variant: v.name, Repeat: repeat, OtherLoad: res.OtherLoad, OrdersPerSec: res.OrdersPerSec})
			continue
		}
		if res != nil {
			rep.Runs = append(rep.Runs, *res)
			cfg.progress("  %.0f orders/s, %d acknowledged, p99 %s, verified: %s", res.OrdersPerSec, res.Acked, ms(res.Ack.P99), res.Verify.summary())
		}
		return err
	}
}

// runOnce is one flash sale on one server, or on cfg.Nodes servers of
// one PostgreSQL database: set up, drive, measure, verify, and measure the
// ceiling.
func runOnce(ctx context.Context, cfg *Config, v variant, repeat int, profile string) (_ *Result, err error) {
	res := &Result{Variant: v.name, BatchMax: v.batchMax, Repeat: repeat, Engine: "remote", Nodes: 1}
	bases := []string{cfg.URL}
	var cl *cluster
	defer func() {
		if err != nil && cl != nil {
			err = fmt.Errorf("%w\nthe server's log ends with:\n%s", err, cl.logs())
		}
	}()
	if cfg.URL == "" {
		res.Engine, res.Nodes = "sqlite", cfg.nodes()
		if cfg.DB != "" {
			res.Engine = "postgres"
		}
		cfg.progress("  starting %d server(s) on fresh %s data", res.Nodes, res.Engine)
		c, err := startCluster(ctx, serverOptions{binary: cfg.Binary, pgAdmin: cfg.DB, batchMax: v.batchMax, batchWindow: cfg.BatchWindow, maxUnpaid: cfg.MaxUnpaid, profile: profile != "", extra: v.extra, cpus: v.cpus}, res.Nodes)
		if err != nil {
			return nil, err // with the server's log already
		}
		cl = c
		defer cl.stop()
		bases = cl.urls()
	}
	for _, base := range bases {
		if err := checkLocal(base, cfg.URL != ""); err != nil {
			return nil, err
		}
	}
	a := newAPI(bases[0], cfg.Concurrency)
	defer a.close()

	l, opToken, dealID, err := setUp(ctx, cfg, a)
	if err != nil {
		return nil, err
	}
	res.DealID = dealID
	// Worker i sends to node i mod N, over connections of its own.
	var lcs []*loadClient
	closeLoad := func() {
		for _, lc := range lcs {
			lc.close()
		}
	}
	defer closeLoad()
	for _, base := range bases {
		lc, err := newLoadClient(base, cfg.Concurrency/len(bases)+1)
		if err != nil {
			return nil, err
		}
		lcs = append(lcs, lc)
	}
	l.hcs = lcs
	var srvs []*server
	var bm *batchMeter
	if cl != nil {
		srvs = cl.nodes
		if bm, err = startBatchMeter(ctx, bases); err != nil {
			return nil, err
		}
	}
	m, err := startMeter(srvs, profile != "")
	if err != nil {
		return nil, err
	}
	cfg.progress("  driving orders: %d workers over %d node(s), %s", cfg.Concurrency, len(bases), loopName(cfg.Rate))
	fr := l.run(ctx)
	nodeCPU, err := m.stop(res, fr.finished.Sub(fr.start))
	if err != nil {
		return nil, err
	}
	res.fill(fr)
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	if bm != nil {
		if res.PerNode, err = bm.stop(ctx, res.Elapsed); err != nil {
			return res, err
		}
		for i := range res.PerNode {
			res.PerNode[i].CPUSeconds = nodeCPU[i]
		}
	}

	sample := 0
	if cl != nil {
		sample = 1000
	}
	cfg.progress("  verifying %d acknowledged orders", res.Acked)
	verify, err := verifyAPI(ctx, a, opToken, dealID, fr.acked, sample)
	if err != nil {
		return res, fmt.Errorf("bench: verify: %w", err)
	}
	res.Verify = *verify
	if cfg.Ceiling > 0 {
		res.CeilingRPS, res.CeilingLatency = ceiling(ctx, lcs, cfg.Concurrency, cfg.Ceiling, cfg.MaxRequests)
		res.OfCeiling = Ratio(res.OrdersPerSec, res.CeilingRPS)
	}
	// Close the connections before the servers drain: each waits up to 5 s
	// for one that was opened but never used.
	closeLoad()
	a.close()
	if cl != nil {
		cl.shutdown()
		if err := verifyDB(ctx, cl.first(), dealID, fr.acked, &res.Verify); err != nil {
			return res, fmt.Errorf("bench: verify in the database: %w", err)
		}
		if profile != "" {
			if err := copyFile(cl.first().profilePath(), profile); err != nil {
				return res, fmt.Errorf("bench: the server wrote no CPU profile (does it support TUANGO_CPU_PROFILE?): %w", err)
			}
			res.CPUProfile = profile
		}
	}
	return res, nil
}

// waitIdle waits, at most limit, until user processes keep the machine's
// CPU busy less than share (0 to 1) over two seconds; nothing of the
// bench runs then.
func waitIdle(ctx context.Context, share float64, limit time.Duration) {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline) && ctx.Err() == nil; {
		before, start := sampleCPU(), time.Now()
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Second):
		}
		busy := sampleCPU().userBusy(before).Seconds() / time.Since(start).Seconds() / float64(runtime.NumCPU())
		if busy < share {
			return
		}
	}
}

// setUp creates the flash deal and logs the customers in, and returns
// the load that will buy it, the operator's token and the deal's id.
func setUp(ctx context.Context, cfg *Config, a *api) (*load, string, string, error) {
	opToken, err := a.loginStaff(ctx, cfg.OperatorPhone, cfg.OperatorPassword, cfg.OperatorTOTPSecret)
	if err != nil {
		return nil, "", "", fmt.Errorf("bench: log in the operator %s: %w", cfg.OperatorPhone, err)
	}
	deal, pps, err := a.createFlashDeal(ctx, opToken, cfg.Stock, cfg.Limit)
	if err != nil {
		return nil, "", "", fmt.Errorf("bench: create the flash deal: %w", err)
	}
	cfg.progress("  deal %s: %d units, %d per customer; logging in %d customers", deal.ID, cfg.Stock, cfg.Limit, cfg.Customers)
	tokens, err := customers(ctx, a, cfg.Customers)
	if err != nil {
		return nil, "", "", err
	}
	l := &load{url: a.base, concurrency: cfg.Concurrency, rate: cfg.Rate, duration: cfg.Duration, tail: cfg.Tail,
		maxRequests: cfg.MaxRequests, tokens: tokens, bodies: orderBodies(deal.ID, pps), keyPrefix: "bench-" + randomHex(6) + "-"}
	return l, opToken, deal.ID, nil
}

func loopName(rate float64) string {
	if rate > 0 {
		return fmt.Sprintf("open loop at %.0f orders/s", rate)
	}
	return "closed loop"
}

// checkLocal refuses to load anything but 127.0.0.1 unless --url chose
// another host.
func checkLocal(base string, chosen bool) error {
	if chosen {
		return nil
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		return fmt.Errorf("bench: the server started at %s, not on 127.0.0.1", base)
	}
	return nil
}

// customers logs in n virtual customers, eight at a time: the demo's 500
// first, then accounts registered for the bench.
func customers(ctx context.Context, a *api, n int) ([]string, error) {
	tokens := make([]string, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	for i := range n {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			phone, password := fmt.Sprintf("139%08d", 1001+i), "tuango-demo"
			if i >= 500 {
				phone, password = fmt.Sprintf("137%08d", i), "tuango-bench"
			}
			tok, err := a.login(ctx, phone, password, true)
			if err != nil {
				err = fmt.Errorf("bench: customer %s: %w", phone, err)
			}
			tokens[i] = tok
			errs <- err
		}()
	}
	var first error
	for range n {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return tokens, first
}

// orderBodies are the bodies of 1-unit orders of the deal, one per pickup
// point.
func orderBodies(dealID string, pps []string) [][]byte {
	var bodies [][]byte
	for _, pp := range pps {
		bodies = append(bodies, fmt.Appendf(nil, `{"pickup_point_id":%q,"items":[{"deal_id":%q,"quantity":1}]}`, pp, dealID))
	}
	return bodies
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}
