package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
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

Run tuango bench flash --help (or cutoff --help) for its flags.
`

const flashHelp = `flash starts a server of its own (this binary, demo data, on a fresh
SQLite folder or a fresh PostgreSQL database) or targets --url, creates a
flash deal, logs in the customers, and drives 1-unit orders until the deal
sells out or --duration passes. Then it verifies the deal and the orders,
and measures the ceiling: the same client against GET /healthz.

  tuango bench flash --compare --repeat 3
  tuango bench flash --compare --repeat 3 --db 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'
  tuango bench flash --url http://10.0.0.5:8080 --rate 2000`

func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, benchUsage)
		if len(args) == 0 {
			return errors.New("bench: which benchmark? (flash, cutoff)")
		}
		return nil
	}
	switch args[0] {
	case "flash":
		return runBenchFlash(ctx, args[1:], getenv, stdout, stderr)
	case "cutoff":
		return runBenchCutoff(ctx, args[1:], getenv, stdout, stderr)
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
	fs.IntVar(&cfg.Stock, "stock", cfg.Stock, "units of the flash deal")
	fs.IntVar(&cfg.Limit, "limit", cfg.Limit, "units per customer")
	fs.IntVar(&cfg.Customers, "customers", cfg.Customers, "virtual customers: the demo's 500, then accounts registered for the bench")
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
	if rep != nil {
		rep.Command = "tuango bench flash " + strings.Join(args, " ")
		var werr error
		if *asJSON {
			werr = rep.WriteJSON(stdout)
		} else {
			werr = rep.WriteTable(stdout)
		}
		if err == nil {
			err = werr
		}
	}
	return err
}
