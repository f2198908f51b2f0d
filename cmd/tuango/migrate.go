package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"tuango/internal/sqlstore"
)

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", "migrate applies the database migrations this binary carries, then exits.", stderr)
	var sf storeFlags
	sf.register(fs)
	if err := parseFlags(fs, args, getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	// Open applies pending migrations; report what it did.
	db, err := sqlstore.Open(ctx, sf.dsn())
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Store().Ping(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s database is at the current schema version\n", db.Engine())
	return nil
}
