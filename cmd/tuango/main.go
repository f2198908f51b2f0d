// Command tuango is the community group-buying platform: one binary that
// serves, migrates, seeds demo data and administers.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // city time zones work on machines without a zone database

	"tuango/internal/tuango"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tuango:", err)
		os.Exit(1)
	}
}

const usage = `tuango — community group buying that does not go missing

Usage: tuango <command> [flags]

Commands:
  demo      start on embedded SQLite with demo data (seeded on first start)
  serve     serve on existing data, without seeding
  migrate   apply database migrations and exit
  cutoff    run a city's cutoff for a delivery date: tuango cutoff --city ID --date YYYY-MM-DD
  admin     manage accounts: tuango admin create --phone P --password-file F
  bench     load generators: tuango bench flash
  chaos     the fault test: kill nodes during a flash sale, then check every rule
  ledger    check the books: tuango ledger verify [--db URL]
  backup    write a checksummed, compressed backup: tuango backup --to DIR
  restore   check and restore a backup: tuango restore --from FILE --data DIR [--force]
  audit     check the audit log's hash chain: tuango audit verify [--db URL]
  incident  post on the status page: tuango incident open|update|resolve|postmortem
  status    copy the status page elsewhere: tuango status export --from URL --to DIR [--every 15s]
  block     the block list: tuango block add|list|remove (bans by detection included)
  allow     the allow list: tuango allow add|list|remove

Every flag has an environment variable: --order-timeout is TUANGO_ORDER_TIMEOUT.
Run tuango <command> --help for a command's flags.
`

// run is the whole program, with its dependencies passed in for tests.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	defer armCPUProfile(getenv, stderr)()
	switch args[0] {
	case "demo":
		tuneGC(getenv)
		return runServe(ctx, args[1:], getenv, stdout, stderr, true)
	case "serve":
		tuneGC(getenv)
		return runServe(ctx, args[1:], getenv, stdout, stderr, false)
	case "migrate":
		return runMigrate(ctx, args[1:], getenv, stdout, stderr)
	case "admin":
		return runAdmin(ctx, args[1:], getenv, stdout, stderr)
	case "cutoff":
		return runCutoff(ctx, args[1:], getenv, stdout, stderr)
	case "bench":
		tuneGC(getenv) // the load generator shares the server's cores
		return runBench(ctx, args[1:], getenv, stdout, stderr)
	case "chaos":
		return runChaos(ctx, args[1:], getenv, stdout, stderr)
	case "ledger":
		return runLedger(ctx, args[1:], getenv, stdout, stderr)
	case "backup":
		return runBackup(ctx, args[1:], getenv, stdout, stderr)
	case "restore":
		return runRestore(ctx, args[1:], getenv, stdout, stderr)
	case "audit":
		return runAudit(ctx, args[1:], getenv, stdout, stderr)
	case "incident":
		return runIncident(ctx, args[1:], getenv, stdout, stderr)
	case "status":
		return runStatus(ctx, args[1:], getenv, stdout, stderr)
	case "block":
		return runSourceList(ctx, tuango.ListBlock, args[1:], getenv, stdout, stderr)
	case "allow":
		return runSourceList(ctx, tuango.ListAllow, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
