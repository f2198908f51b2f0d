package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"tuango/internal/demo"
	"tuango/internal/sqlstore"
)

// Config says which fault test to run and how hard.
type Config struct {
	Scenario   string // "postgres" (Nodes nodes on one database), "sqlite" (one node) or "failover" (Nodes nodes on a pg_auto_failover set-up)
	Binary     string // the tuango binary to run as nodes
	Nodes      int
	Duration   time.Duration // how long the faults and the customers go on
	Customers  int
	KillEvery  time.Duration
	Seed       uint64
	AdminURL   string // PostgreSQL URL to create the run's database through
	HistoryDir string // where the history, setup and node logs go
	Keep       bool   // keep the database afterwards
	// NoDay skips the day after the sale: the cutoff, dispatch, sign-offs
	// and pickups under kills.
	NoDay bool
	// NodeFlags are added to every node's command line, after the fault
	// test's own, such as --order-batch-max=1.
	NodeFlags []string
	Progress  io.Writer
	// Weak runs the failover drill on an asynchronous standby
	// (synchronous_commit local), to measure what that loses.
	Weak bool
}

// The nodes' settings: short deadlines so that a run reaches quiet soon,
// cheap password hashing, and a sandbox that drops, duplicates and delays
// notifications.
var nodeFlags = []string{"--max-unpaid-orders", "0", "--sandbox", "--ids", "off", "--rate-limit", "off", "--waf", "off", "--order-timeout", "5s", "--sweep-interval", "300ms", "--reconcile-after", "2s",
	"--argon2-memory-kib", "64", "--argon2-passes", "1", "--log-level", "warn",
	"--sandbox-faults", "drop=0.2,duplicate=0.2,delay=300ms", "--pickup-window", dayPickupWindow.String()}

// Run runs one scenario of the fault test and checks it. The error is for a
// run that could not be carried out; violations are in the report.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if err := cfg.validate(); err != nil {
		return Report{}, err
	}
	say := func(format string, args ...any) {
		fmt.Fprintf(cfg.Progress, "chaos %s: "+format+"\n", append([]any{cfg.Scenario}, args...)...)
	}
	prefix := fmt.Sprintf("%s-%d", cfg.Scenario, cfg.Seed)
	rec, err := NewRecorder(filepath.Join(cfg.HistoryDir, "history-"+prefix+".jsonl"))
	if err != nil {
		return Report{}, err
	}
	defer rec.Close()

	var ha *HA
	var dsn string
	if cfg.Scenario == "failover" {
		if ha, err = StartHA(ctx, "", say); err != nil {
			return Report{}, err
		}
		defer ha.Close() // the servers and their folder, database and all
		name, err := haDatabase(ctx, ha, cfg.Weak)
		if err != nil {
			return Report{}, err
		}
		dsn = ha.URL(name)
		cfg.NodeFlags = append(failoverNodeFlags(ha, name), cfg.NodeFlags...)
		say("database on pg_auto_failover (%s)", HATimings())
	} else {
		var cleanup func()
		if dsn, cleanup, err = cfg.database(ctx, say); err != nil {
			return Report{}, err
		}
		defer cleanup()
	}
	nodes, err := cfg.nodes(dsn, prefix)
	if err != nil {
		return Report{}, err
	}
	defer func() {
		for _, n := range nodes {
			n.kill()
			n.log.Close()
		}
	}()
	if err := startNodes(ctx, nodes); err != nil {
		return Report{}, err
	}
	say("%d node(s) ready on %s", len(nodes), addrs(nodes))

	setup := Setup{Scenario: cfg.Scenario, Seed: cfg.Seed, Nodes: len(nodes), Duration: cfg.Duration,
		Deals: map[string]DealSetup{}, Customers: map[int]string{}}
	c := newClient(nodes, rec)
	s, err := openSale(ctx, c, rand.New(rand.NewPCG(cfg.Seed, 1)), cfg.Customers, &setup)
	if err != nil {
		return Report{}, err
	}
	say("%d hot deals on sale, %d customers logged in; faults on for %s", len(s.deals), len(s.customers), cfg.Duration)

	var fo *FailoverResult
	if ha != nil {
		res := cfg.driveFailover(ctx, c, s, ha, rec, say)
		fo = &res
	} else {
		cfg.drive(ctx, c, s, nodes, rec)
	}
	if err := ctx.Err(); err != nil {
		return Report{}, err
	}
	if err := ensureUp(ctx, nodes, rec); err != nil {
		return Report{}, err
	}
	say("faults off, every node up again; waiting for quiet")
	raw, dialect, err := sqlstore.OpenRaw(dsn)
	if err != nil {
		return Report{}, err
	}
	defer raw.Close()
	quietAt, quietErr := waitQuiet(ctx, raw, quietTimeout)
	if quietErr == nil && !cfg.NoDay {
		say("quiet at %s; playing the day after the sale with faults on", quietAt.Format("15:04:05.000"))
		if err := cfg.playDay(ctx, c, s, nodes, rec, raw, dialect, say); err != nil {
			return Report{}, err
		}
		say("the day is played, every node up; waiting for every delivery, refund and notification")
		quietErr = waitDayQuiet(ctx, raw, dialect, s.city, s.date, dayQuietTimeout)
		setup.Day = true
		quietAt = time.Now().UTC()
	}
	setup.QuietAt = quietAt
	for _, n := range nodes {
		n.shutdown(10 * time.Second)
	}
	if err := cfg.saveSetup(prefix, setup); err != nil {
		return Report{}, err
	}
	if err := rec.Close(); err != nil {
		return Report{}, err
	}
	say("quiet at %s; checking", quietAt.Format("15:04:05.000"))
	r := Check(ctx, rec.History(), raw, dialect, setup)
	r.HistoryPath = rec.f.Name()
	if fo != nil {
		measureBack(rec.History(), fo.Failovers)
		r.Failover = fo
		r.Checks = append(r.Checks, failoverChecks(*fo)...)
	}
	if quietErr != nil {
		r.Notes = append(r.Notes, quietErr.Error())
	}
	return r, cfg.saveReport(prefix, r)
}

// startNodes starts every node; the first start seeds the demo data,
// exactly once, before the others start.
func startNodes(ctx context.Context, nodes []*node) error {
	if err := nodes[0].start(ctx, "demo"); err != nil {
		return err
	}
	for _, n := range nodes[1:] {
		if err := n.start(ctx, "serve"); err != nil {
			return err
		}
	}
	return nil
}

// drive runs the customers and the nemesis for the configured duration.
// Each has a random stream of its own, from the seed.
func (cfg *Config) drive(ctx context.Context, c *client, s *sale, nodes []*node, rec *Recorder) {
	ctx, stop := context.WithTimeout(ctx, cfg.Duration)
	defer stop()
	ns := &nemesis{nodes: nodes, rec: rec, rng: rand.New(rand.NewPCG(cfg.Seed, 2)), killEvery: cfg.KillEvery}
	ns.stopAt = cfg.Duration/4 + time.Duration(ns.rng.Int64N(int64(cfg.Duration/3)+1))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); ns.run(ctx) }()
	for _, cu := range s.customers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cu.run(ctx, c, rand.New(rand.NewPCG(cfg.Seed, 1000+uint64(cu.proc))), s.deals)
		}()
	}
	wg.Wait()
}

func (cfg *Config) validate() error {
	if err := supported(); err != nil {
		return err
	}
	switch {
	case cfg.Scenario != "postgres" && cfg.Scenario != "sqlite" && cfg.Scenario != "failover":
		return fmt.Errorf("chaos: scenario %q: want postgres, sqlite or failover", cfg.Scenario)
	case cfg.Weak && cfg.Scenario != "failover":
		return errors.New("chaos: a weak standby is for the failover scenario only")
	case cfg.Binary == "":
		return errors.New("chaos: no tuango binary given")
	case cfg.Duration <= 0 || cfg.Duration > 24*time.Hour:
		return fmt.Errorf("chaos: duration %s: want more than 0 and at most 24h", cfg.Duration)
	case cfg.Customers < 1 || cfg.Customers > demo.NumCustomers:
		return fmt.Errorf("chaos: %d customers: want 1 to %d (the demo's customers)", cfg.Customers, demo.NumCustomers)
	case cfg.KillEvery < 100*time.Millisecond:
		return fmt.Errorf("chaos: kill every %s: want at least 100ms", cfg.KillEvery)
	case cfg.HistoryDir == "":
		return errors.New("chaos: no history folder given")
	}
	if cfg.Scenario == "sqlite" {
		cfg.Nodes = 1 // embedded SQLite is one node
	}
	if cfg.Scenario == "failover" {
		cfg.NoDay = true // the drill is the sale through two failovers
	}
	if cfg.Nodes < 1 || cfg.Nodes > 9 {
		return fmt.Errorf("chaos: %d nodes: want 1 to 9", cfg.Nodes)
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	return os.MkdirAll(cfg.HistoryDir, 0o755)
}

func (cfg *Config) saveSetup(prefix string, s Setup) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(cfg.HistoryDir, "setup-"+prefix+".json"), b, 0o644)
}

// saveReport keeps the printed report beside the history it describes.
func (cfg *Config) saveReport(prefix string, r Report) error {
	var b bytes.Buffer
	r.Print(&b)
	return os.WriteFile(filepath.Join(cfg.HistoryDir, "report-"+prefix+".txt"), b.Bytes(), 0o644)
}

func addrs(nodes []*node) string {
	s := ""
	for i, n := range nodes {
		if i > 0 {
			s += ", "
		}
		s += n.name + "=" + n.addr
	}
	return s
}
