package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"tuango/internal/sqlstore"
	"tuango/internal/tuango"
)

func runCutoff(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("cutoff", "cutoff runs a city's cutoff (截单) for a delivery date: the sale of the city's deals for the date ends\n"+
		"(an early close if the city's cutoff time has not come), unpaid orders expire and paid ones are confirmed.\n"+
		"It prints the summary; run again, it changes nothing and prints the same summary. Progress goes to stderr.", stderr)
	var sf storeFlags
	sf.register(fs)
	city := fs.String("city", "", "the city's id")
	date := fs.String("date", "", "the delivery date, YYYY-MM-DD, local to the city")
	if err := parseFlags(fs, args, getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *city == "" || *date == "" {
		return fmt.Errorf("cutoff needs --city and --date")
	}
	db, err := sqlstore.Open(ctx, sf.dsn())
	if err != nil {
		return err
	}
	defer db.Close()
	svc := tuango.NewService(db.Store(), tuango.SystemClock{}, nil, nil, nil, tuango.Config{BatchMax: 1}, nil)
	defer svc.Close()
	progress := func(moved, total int) {
		fmt.Fprintf(stderr, "cutoff %s %s: %d of %d orders moved\n", *city, *date, moved, total)
	}
	c, err := svc.RunCutoff(ctx, *city, *date, "cli", progress)
	if err != nil {
		return err
	}
	printCutoff(stdout, c)
	return nil
}

// printCutoff prints a cutoff's summary, the same on every run.
func printCutoff(w io.Writer, c *tuango.CutoffRun) {
	early := "at the city's cutoff time"
	if c.Early {
		early = "early, by hand"
	}
	fmt.Fprintf(w, "cutoff of city %s for %s\n  started %s by %s (%s), finished %s\n  confirmed orders: %d\n  cancelled orders: %d\n  confirmed units:  %d\n  purchase orders:  %d\n",
		c.CityID, c.DeliveryDate, c.StartedAt.Format("2006-01-02 15:04:05Z07:00"), c.StartedBy, early, c.FinishedAt.Format("2006-01-02 15:04:05Z07:00"),
		c.ConfirmedOrders, c.CancelledOrders, c.ConfirmedUnits, c.PurchaseOrders)
}
