package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"tuango/internal/payment"
	"tuango/internal/sqlstore"
	"tuango/internal/tuango"
)

const ledgerHelp = `ledger checks and maintains the double-entry ledger.

  tuango ledger verify [--db URL | --data DIR]
      recompute every balance from the journal and check every rule: each
      set balances, the trial balance is 0, no party's account is negative,
      every paid order has exactly one capture, refunds stay within each
      line's paid amount and each payment's capture, the sandbox provider's
      payments and refunds agree with the ledger. Exit 0 with a summary, or
      exit 1 listing each violation.
  tuango ledger backfill [--db URL | --data DIR]
      bring data older than the ledger into it, once (serve and demo do this
      at start).
`

func runLedger(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "verify" && args[0] != "backfill") {
		fmt.Fprint(stderr, ledgerHelp)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return nil
		}
		return fmt.Errorf("ledger: say verify or backfill")
	}
	fs := newFlags("ledger "+args[0], ledgerHelp, stderr)
	var sf storeFlags
	sf.register(fs)
	if err := parseFlags(fs, args[1:], getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	db, err := sqlstore.Open(ctx, sf.dsn())
	if err != nil {
		return err
	}
	defer db.Close()
	if args[0] == "backfill" {
		clock := tuango.SystemClock{}
		sandbox := payment.NewSandbox(db.Store(), clock, nil, "", nil)
		defer sandbox.Close()
		svc := tuango.NewService(db.Store(), clock, nil, nil, sandbox, tuango.Config{}, nil)
		n, err := svc.BackfillLedger(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "ledger backfill: %d sets posted\n", n)
		return nil
	}
	d, err := db.LedgerData(ctx)
	if err != nil {
		return err
	}
	r := tuango.VerifyLedger(*d)
	fmt.Fprintf(stdout, "ledger verify (%s): %d sets, %d transfers, %d orders, %d payments, %d refunds\n",
		db.Engine(), r.Sets, r.Transfers, len(d.Orders), len(d.Payments), len(d.Refunds))
	for _, b := range r.Balances {
		fmt.Fprintf(stdout, "  %-48s %14d fen\n", b.Account, b.BalanceFen)
	}
	fmt.Fprintf(stdout, "  %-48s %14d fen\n", "total", r.TotalFen)
	if len(r.Violations) == 0 {
		fmt.Fprintln(stdout, "ledger verify: every rule holds")
		return nil
	}
	for _, v := range r.Violations {
		fmt.Fprintln(stdout, "VIOLATION", v)
	}
	return fmt.Errorf("ledger verify: %d violations", len(r.Violations))
}
