package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"tuango/internal/chaos"
)

const chaosHelp = `chaos is the fault test: it starts tuango nodes on 127.0.0.1 (three on a
fresh PostgreSQL database, and one on embedded SQLite), drives a flash sale
of a few hot deals with virtual customers who order, pay, cancel and retry,
SIGKILLs a random node every few seconds and SIGSTOPs one once, then waits
for quiet and checks every rule from the history and the raw tables. It
prints a summary per scenario and fails on any violation.

--scenario failover is the database's death instead: the nodes run on a
pg_auto_failover set-up made for the run (a monitor, a primary and a
synchronous standby on 127.0.0.1; needs pg_autoctl), whose primary is
SIGKILLed mid-sale, brought back as a standby, and the promoted one killed
in its turn. It also checks that no answer was a 500, that every 503 had
Retry-After, that ordering came back within 30 s of each death and that
every unknown outcome settled. --weak runs it on an asynchronous standby
and reports what that lost, without failing.`

func runChaos(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("chaos", chaosHelp, stderr)
	scenario := fs.String("scenario", "both", "postgres, sqlite, both, or failover (the PostgreSQL primary killed twice; not part of both)")
	nodes := fs.Int("nodes", 3, "tuango nodes in the PostgreSQL scenario (SQLite runs one)")
	duration := fs.Duration("duration", 60*time.Second, "how long the customers buy and the nemesis strikes, per scenario")
	customers := fs.Int("customers", 200, "virtual customers (at most the demo's 500)")
	killEvery := fs.Duration("kill-every", 3*time.Second, "how often the nemesis SIGKILLs a random node")
	seed := fs.Uint64("seed", 0, "seed of every random choice (0 picks one from the clock); printed so that a run can be repeated")
	pgURL := fs.String("pg-url", "", "PostgreSQL URL to create the run's database through (default TUANGO_TEST_POSTGRES_URL, else "+chaos.DefaultAdminURL+")")
	historyDir := fs.String("history-dir", "", "folder for the histories (JSON lines), setups and node logs (default a new temporary folder)")
	noDay := fs.Bool("no-day", false, "stop after the sale: skip the day after it (cutoff, dispatch, sign-offs and pickups under kills)")
	keep := fs.Bool("keep", false, "keep the run's database or data folder for inspection")
	weak := fs.Bool("weak", false, "failover scenario: an asynchronous standby (synchronous_commit local), to measure what it loses")
	nodeFlags := fs.String("node-flags", "", "more flags for every node, separated by spaces, such as --order-batch-max=1 (the nodes ignore TUANGO_* variables)")
	if err := parseFlags(fs, args, getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	var scenarios []string
	switch *scenario {
	case "both":
		scenarios = []string{"postgres", "sqlite"}
	case "postgres", "sqlite", "failover":
		scenarios = []string{*scenario}
	default:
		return fmt.Errorf("--scenario %q: want postgres, sqlite, both or failover", *scenario)
	}
	if *weak && *scenario != "failover" {
		return fmt.Errorf("--weak is for --scenario failover only")
	}
	if *seed == 0 {
		*seed = uint64(time.Now().UnixNano())
	}
	if *historyDir == "" {
		dir, err := os.MkdirTemp("", "tuango-chaos-")
		if err != nil {
			return err
		}
		*historyDir = dir
	}
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("chaos: find the tuango binary: %w", err)
	}
	fmt.Fprintf(stdout, "chaos: seed %d (repeat with --seed %d); histories in %s\n", *seed, *seed, *historyDir)
	var failed []string
	for _, sc := range scenarios {
		r, err := chaos.Run(ctx, chaos.Config{Scenario: sc, Binary: bin, Nodes: *nodes, Duration: *duration, Customers: *customers, NoDay: *noDay,
			KillEvery: *killEvery, Seed: *seed, AdminURL: *pgURL, HistoryDir: *historyDir, Keep: *keep,
			NodeFlags: strings.Fields(*nodeFlags), Progress: stderr, Weak: *weak})
		if err != nil {
			return fmt.Errorf("chaos %s: %w", sc, err)
		}
		fmt.Fprintln(stdout)
		r.Print(stdout)
		switch {
		case r.Err != nil:
			failed = append(failed, fmt.Sprintf("%s: not checked: %v", sc, r.Err))
		case !r.Ok() && *weak:
			fmt.Fprintf(stdout, "weakened set-up: %d violations — what an asynchronous standby lost in this run\n", r.Violations())
		case !r.Ok():
			failed = append(failed, fmt.Sprintf("%s: %d violations", sc, r.Violations()))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("chaos: the rules did not hold (%s); seed %d", strings.Join(failed, "; "), *seed)
	}
	return nil
}
