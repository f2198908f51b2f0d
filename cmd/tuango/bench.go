package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"tuango/internal/bench"
)

const benchUsage = `Usage: tuango bench <benchmark> [flags]

Benchmarks:
  flash   a flash sale on one hot deal over HTTP: orders/s until sold out,
          latencies, server CPU and memory, then checks nothing was oversold
          and every acknowledged order is there
  cutoff  one city's cutoff of --lines order lines while another city
          orders: the cutoff's time, peak heap, the other city's p99
  overload  finds the order rate a server sustains, then offers twice it
          to a server with admission control and to one without: accepted
          p99, shed share, accepted orders/s of each

Run tuango bench flash --help (or cutoff --help, overload --help) for its flags.
`

const flashHelp = `flash starts a server of its own (this binary, demo data, on a fresh
SQLite folder or a fresh PostgreSQL database) or targets --url, creates a
flash deal, logs in the customers, and drives 1-unit orders until the deal
sells out or --duration passes. Then it verifies the deal and the orders,
and measures the ceiling: the same client against GET /healthz.

  tuango bench flash --compare --repeat 3
  tuango bench flash --compare --repeat 3 --db 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'
  tuango bench flash --compare --nodes 3 --db 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'
  tuango bench flash --url http://10.0.0.5:8080 --rate 2000`

func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, benchUsage)
		if len(args) == 0 {
			return errors.New("bench: which benchmark? (flash, cutoff, overload)")
		}
		return nil
	}
	switch args[0] {
	case "flash":
		return runBenchFlash(ctx, args[1:], getenv, stdout, stderr)
	case "cutoff":
		return runBenchCutoff(ctx, args[1:], getenv, stdout, stderr)
	case "overload":
		return runBenchOverload(ctx, args[1:], getenv, stdout, stderr)
	}
	fmt.Fprint(stderr, benchUsage)
	return fmt.Errorf("bench: unknown benchmark %q", args[0])
}

func runBenchFlash(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("bench flash", flashHelp, stderr)
	cfg := bench.Defaults
	fs.StringVar(&cfg.URL, "url", "", "an existing server to load instead of starting one (then no server CPU or memory, and no database check)")
	fs.StringVar(&cfg.OperatorPhone, "operator-phone", cfg.OperatorPhone, "the operator who creates the flash deal (with --url)")
	fs.StringVar(&cfg.OperatorPassword, "operator-password", cfg.OperatorPassword, "that operator's password")
	fs.StringVar(&cfg.OperatorTOTPSecret, "operator-totp-secret", cfg.OperatorTOTPSecret, "that operator's authenticator (TOTP) secret in base32, from which the bench computes the second factor")
	fs.StringVar(&cfg.DB, "db", "", "postgres://... admin URL: each run creates a fresh database on it (dropped afterwards); empty for embedded SQLite")
	fs.IntVar(&cfg.Nodes, "nodes", cfg.Nodes, "servers started on the one PostgreSQL database (--db), the first seeding it; the buyers' connections are spread over them in turn (SQLite: 1)")
	fs.IntVar(&cfg.Stock, "stock", cfg.Stock, "units of the flash deal")
	fs.IntVar(&cfg.Limit, "limit", cfg.Limit, "units per customer")
	fs.IntVar(&cfg.Customers, "customers", cfg.Customers, "virtual customers: the demo's 500, then accounts registered for the bench")
	fs.IntVar(&cfg.MaxUnpaid, "max-unpaid-orders", cfg.MaxUnpaid, "the servers' cap on a customer's unpaid orders (0: none; serve's default is 5, which needs --customers of at least a fifth of --stock)")
	fs.IntVar(&cfg.Concurrency, "concurrency", cfg.Concurrency, "workers in a closed loop; with --rate, requests in flight at most")
	fs.Float64Var(&cfg.Rate, "rate", 0, "orders per second in an open loop, latency measured from the intended send time; 0 for a closed loop")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "the longest a run drives orders if the deal does not sell out")
	fs.DurationVar(&cfg.Tail, "tail", cfg.Tail, "how long to go on after sell-out, measuring refusals")
	fs.IntVar(&cfg.MaxRequests, "max-requests", cfg.MaxRequests, "the most orders a run sends")
	fs.DurationVar(&cfg.Ceiling, "ceiling", cfg.Ceiling, "how long to measure the same client against GET /healthz (0 skips it)")
	fs.IntVar(&cfg.BatchMax, "order-batch-max", cfg.BatchMax, "the server's --order-batch-max (1 is the plain path, group commit off)")
	fs.DurationVar(&cfg.BatchWindow, "order-batch-window", cfg.BatchWindow, "the server's --order-batch-window")
	fs.BoolVar(&cfg.Compare, "compare", false, "run group commit on (--order-batch-max) and off (1) back to back, each on a fresh server")
	fs.IntVar(&cfg.Repeat, "repeat", cfg.Repeat, "runs of each variant; the report gives medians")
	fs.Float64Var(&cfg.MaxOtherLoad, "max-other-load", 0, "if above 0, wait before each run until other processes use less than this share of the CPU (0.1 is 10%), and run again a run during which they used more (3 times at most)")
	fs.StringVar(&cfg.CPUProfile, "server-cpu-profile", "", "write the server's CPU profile over the flash phase of the first run to this file (with --compare: FILE.on.ext and FILE.off.ext)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	if err := parseFlags(fs, args, getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if cfg.URL == "" {
		bin, err := os.Executable()
		if err != nil {
			return fmt.Errorf("bench: find this binary to start servers with: %w", err)
		}
		cfg.Binary = bin
	}
	if !*quiet {
		cfg.Progress = stderr
	}
	rep, err := bench.Run(ctx, cfg)
	if rep == nil {
		return err
	}
	rep.Command = "tuango bench flash " + strings.Join(args, " ")
	return writeBenchReport(stdout, rep, *asJSON, err)
}

// benchReport is a bench's report, written as a table or as JSON.
type benchReport interface {
	WriteJSON(io.Writer) error
	WriteTable(io.Writer) error
}

// writeBenchReport writes rep and returns the bench's error, or else the
// writing's.
func writeBenchReport(w io.Writer, rep benchReport, asJSON bool, err error) error {
	write := rep.WriteTable
	if asJSON {
		write = rep.WriteJSON
	}
	if werr := write(w); err == nil {
		err = werr
	}
	return err
}

const overloadHelp = `overload measures admission control. It starts servers of its own
(this binary, demo data, fresh SQLite or a fresh PostgreSQL database) on
--server-cpus, and runs its own load generator on --client-cpus, so that a
client short of CPU does not pass its backlog off as the server's latency
(on 2 CPUs the defaults are CPU 0 for the server and CPU 1 for the
client; give both as '' to share every CPU). It finds the rate a server
without admission control sustains: from the flash bench's closed loop of
256 buyers, open-loop steps of --probe-window find the highest rate
carried whole with p99 under --target (or --rate, as given). Then it
offers --factor times that in an open loop (latency from each order's
intended send time) for --window, once to a fresh server with admission
control (serve's defaults) and once to one without (--admit-orders 0
--admit-pages 0 --admit-api 0), and reports for each the orders asked
and sent, the accepted orders' p50 and p99, the share shed with 503
overloaded, and the accepted orders/s. A run whose client sent fewer
than 95% of the orders asked while it had workers to spare is marked not
valid. Both runs are verified like the flash bench's: nothing oversold,
every accepted order present.

  tuango bench overload
  tuango bench overload --server-cpus 0 --client-cpus 1 --concurrency 1024
  tuango bench overload --db 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'`

func runBenchOverload(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("bench overload", overloadHelp, stderr)
	oc := bench.OverloadDefaults
	fs.StringVar(&oc.DB, "db", "", "postgres://... admin URL: each run creates a fresh database on it (dropped afterwards); empty for embedded SQLite")
	fs.Float64Var(&oc.Rate, "rate", 0, "the sustainable rate in orders/s, if known; 0 measures it first")
	fs.Float64Var(&oc.Factor, "factor", oc.Factor, "how many times the sustainable rate to offer")
	fs.DurationVar(&oc.Window, "window", oc.Window, "how long each overloaded run offers orders")
	fs.DurationVar(&oc.ProbeWindow, "probe-window", oc.ProbeWindow, "how long each step of the probe for the sustainable rate offers orders")
	fs.DurationVar(&oc.Target, "target", oc.Target, "the accepted orders' p99 that the sustainable rate keeps and admission control should keep at --factor times it")
	serverCPUs, clientCPUs := bench.DefaultCPUs(runtime.NumCPU())
	fs.StringVar(&serverCPUs, "server-cpus", serverCPUs, "CPUs the servers run on, such as 0 or 0-1 ('' for any; the default is the first half of this machine's)")
	fs.StringVar(&clientCPUs, "client-cpus", clientCPUs, "CPUs the load generator (this process) runs on ('' for any; the default is the second half)")
	fs.IntVar(&oc.Concurrency, "concurrency", oc.Concurrency, "the load generator's requests in flight at most while overloading")
	fs.IntVar(&oc.Customers, "customers", oc.Customers, "virtual customers")
	fs.IntVar(&oc.BatchMax, "order-batch-max", oc.BatchMax, "the servers' --order-batch-max")
	fs.StringVar(&oc.CPUProfile, "server-cpu-profile", "", "write the servers' CPU profiles over the overloaded runs to FILE.on.ext (admission control) and FILE.off.ext")
	admission := fs.String("admission-flags", "", `serve flags for the server with admission control, such as "--admit-orders 64 --admit-wait 20ms" (default: serve's defaults)`)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	if err := parseFlags(fs, args, getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	for _, f := range strings.Fields(*admission) {
		if !strings.HasPrefix(f, "--admit-") && strings.HasPrefix(f, "-") {
			return fmt.Errorf("bench: --admission-flags takes --admit-* flags only, not %s", f)
		}
		oc.AdmissionFlags = append(oc.AdmissionFlags, f)
	}
	for _, c := range []struct {
		list string
		to   *[]int
	}{{serverCPUs, &oc.ServerCPUs}, {clientCPUs, &oc.ClientCPUs}} {
		if strings.TrimSpace(c.list) == "" {
			continue
		}
		cpus, err := bench.ParseCPUs(c.list)
		if err != nil {
			return err
		}
		*c.to = cpus
	}
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: find this binary to start servers with: %w", err)
	}
	oc.Binary = bin
	if !*quiet {
		oc.Progress = stderr
	}
	rep, err := bench.RunOverload(ctx, oc)
	if rep == nil {
		return err
	}
	rep.Command = "tuango bench overload " + strings.Join(args, " ")
	return writeBenchReport(stdout, rep, *asJSON, err)
}
