package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"tuango/internal/sqlstore"
	"tuango/internal/tuango"
)

const sourceListHelp = `%[1]s manages the %[1]s list, which every node enforces within a second.

  tuango %[1]s add CIDR --reason WHY [--for 24h | --until 2026-12-01T00:00:00+08:00]
  tuango %[1]s list
  tuango %[1]s remove CIDR

CIDR is an address (203.0.113.7, 2001:db8::1) or a range (203.0.113.0/24).`

// runSourceList is "tuango block ..." and "tuango allow ...": the lists
// as the API manages them, for an operator at the database's side.
func runSourceList(ctx context.Context, list string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "list" && args[0] != "remove") {
		fmt.Fprintf(stderr, sourceListHelp+"\n", list)
		return fmt.Errorf("%s: want add, list or remove", list)
	}
	verb, rest := args[0], args[1:]
	var cidr string
	if verb != "list" {
		if len(rest) == 0 || rest[0] == "" || rest[0][0] == '-' {
			return fmt.Errorf("%s %s: give the address or CIDR first, such as tuango %s %s 203.0.113.7", list, verb, list, verb)
		}
		cidr, rest = rest[0], rest[1:]
	}
	fs := newFlags(list+" "+verb, fmt.Sprintf(sourceListHelp, list), stderr)
	var sf storeFlags
	sf.register(fs)
	reason := fs.String("reason", "", "why (add): whoever reads the list later needs to know")
	forD := fs.Duration("for", 0, "how long the rule lasts (add; default: no end)")
	until := fs.String("until", "", "when the rule ends, as RFC 3339 (add; instead of --for)")
	if err := parseFlags(fs, rest, getenv); err != nil {
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
	clock := tuango.SystemClock{}
	svc := tuango.NewService(db.Store(), clock, nil, nil, nil, tuango.Config{}, nil)
	cli := tuango.CLIActor
	switch verb {
	case "add":
		in := tuango.SourceRuleInput{CIDR: cidr, Reason: *reason}
		switch {
		case *forD != 0 && *until != "":
			return fmt.Errorf("%s add: give --for or --until, not both", list)
		case *forD < 0:
			return fmt.Errorf("%s add: --for must be positive", list)
		case *forD > 0:
			in.ExpiresAt = clock.Now().Add(*forD)
		case *until != "":
			t, err := time.Parse(time.RFC3339, *until)
			if err != nil {
				return fmt.Errorf("%s add: --until %q: write it as RFC 3339, such as 2026-12-01T00:00:00+08:00", list, *until)
			}
			in.ExpiresAt = t
		}
		r, err := svc.AddSourceRule(ctx, cli, list, in)
		if err != nil {
			return fmt.Errorf("%s add: %w", list, err)
		}
		fmt.Fprintf(stdout, "added %s to the %s list (%s), %s\n", r.CIDR, list, r.ID, ends(r.ExpiresAt))
	case "remove":
		n, err := svc.RemoveSourceRules(ctx, cli, list, cidr)
		if err != nil {
			return fmt.Errorf("%s remove: %w", list, err)
		}
		fmt.Fprintf(stdout, "removed %s from the %s list (%d rules ended)\n", cidr, list, n)
	case "list":
		rs, err := svc.ListSourceRules(ctx, cli, list)
		if err != nil {
			return fmt.Errorf("%s list: %w", list, err)
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CIDR\tORIGIN\tBY\tSINCE\tENDS\tREASON")
		for _, r := range rs {
			end := "never"
			if !r.ExpiresAt.IsZero() {
				end = r.ExpiresAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.CIDR, r.Origin, r.CreatedBy, r.CreatedAt.Format(time.RFC3339), end, r.Reason)
		}
		tw.Flush()
		fmt.Fprintf(stdout, "%d live rules\n", len(rs))
	}
	return nil
}

func ends(t time.Time) string {
	if t.IsZero() {
		return "with no end"
	}
	return "until " + t.Format(time.RFC3339)
}
