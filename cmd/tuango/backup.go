package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"time"

	"tuango/internal/backup"
	"tuango/internal/jobs"
	"tuango/internal/tuango"
)

const backupHelp = `backup writes a backup of the database while it keeps serving: an online,
consistent snapshot (SQLite: VACUUM INTO; PostgreSQL: pg_dump of one
snapshot), compressed, with a manifest holding its sha256, engine, schema
version, time and every table's row count.

  tuango backup --to DIR [--data DIR | --db URL]`

const restoreHelp = `restore checks a backup and restores it. The checksum is verified first:
a truncated, bit-flipped or empty file exits 1 and nothing is written. A
folder or database holding data is refused unless --force (stop every node
using it first). The restored copy's integrity and row counts are checked
before it replaces anything.

  tuango restore --from FILE --data DIR [--force]
  tuango restore --from FILE --db URL [--force]
  tuango restore --from FILE --drill [--scratch DIR|URL]
      restore into a scratch place and run every check of the hourly drill`

func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("backup", backupHelp, stderr)
	var sf storeFlags
	sf.register(fs)
	to := fs.String("to", "", "folder to write the backup into (created if missing)")
	if err := parseFlags(fs, args, getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *to == "" {
		return errors.New("backup: say where with --to DIR")
	}
	res, err := backup.Take(ctx, sf.dsn(), *to, time.Now(), nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup: wrote %s (%d bytes, %s, schema %d, sha256 %s)\n", res.Path, res.Bytes, res.Manifest.Engine, res.Manifest.SchemaVersion, res.Manifest.PayloadSHA256)
	printRows(stdout, res.Manifest.Rows)
	return nil
}

func runRestore(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("restore", restoreHelp, stderr)
	from := fs.String("from", "", "the backup file to restore")
	data := fs.String("data", "", "SQLite: the data folder to restore into")
	db := fs.String("db", "", "PostgreSQL: the postgres://... URL of the database to restore into")
	force := fs.Bool("force", false, "replace the data that is there (every node using it must be stopped)")
	drill := fs.Bool("drill", false, "restore into a scratch place and run the drill's checks; the live data is not touched")
	scratch := fs.String("scratch", "", "with --drill: a folder (SQLite) or postgres://... URL (PostgreSQL) to restore into (default a temporary folder)")
	if err := parseFlags(fs, args, getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *from == "" {
		return errors.New("restore: say which backup with --from FILE")
	}
	if *drill {
		rep := backup.Drill(ctx, *from, *scratch)
		for _, c := range rep.Checks {
			fmt.Fprintf(stdout, "  %-32s %6d checked, %d violations\n", c.Name, c.Checked, c.Violations)
		}
		if !rep.OK() {
			return fmt.Errorf("restore drill of %s %s", *from, rep.Summary())
		}
		fmt.Fprintf(stdout, "restore drill of %s: %s\n", *from, rep.Summary())
		return nil
	}
	target := *data
	switch {
	case *db != "" && *data != "":
		return errors.New("restore: give --data DIR or --db URL, not both")
	case *db != "":
		if !backup.IsPostgres(*db) {
			return fmt.Errorf("restore: --db wants a postgres:// URL, not %q", *db)
		}
		target = *db
	case *data == "":
		return errors.New("restore: say where with --data DIR (SQLite) or --db URL (PostgreSQL)")
	}
	if _, err := os.Stat(*from); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	m, err := backup.Restore(ctx, *from, target, *force)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restore: %s (%s, schema %d, taken %s) restored; integrity and row counts checked\n",
		*from, m.Engine, m.SchemaVersion, m.TakenAt.Format(time.RFC3339))
	printRows(stdout, m.Rows)
	return nil
}

func printRows(w io.Writer, rows map[string]int64) {
	names := make([]string, 0, len(rows))
	for n := range rows {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if rows[n] > 0 {
			fmt.Fprintf(w, "  %-28s %10d rows\n", n, rows[n])
		}
	}
}

// backupFlags configure serve's scheduled backups and restore drills.
type backupFlags struct {
	dir        string
	every      time.Duration
	keep       int
	drillEvery time.Duration
	scratch    string
}

func (b *backupFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&b.dir, "backup-dir", "", "folder for scheduled backups, the same (shared) folder on every node; empty: no scheduled backups or drills")
	fs.DurationVar(&b.every, "backup-every", backup.Every, "how often the backup sweep takes a backup")
	fs.IntVar(&b.keep, "backup-keep", 48, "how many scheduled backups to keep in --backup-dir (0: all)")
	fs.DurationVar(&b.drillEvery, "restore-drill-every", backup.Every, "how often the latest good backup is restored into a scratch place and checked")
	fs.StringVar(&b.scratch, "restore-drill-scratch", "", "where drills restore: a folder (SQLite, default the temporary folder) or a postgres://... URL (default the database NAME_drill on the same server)")
}

// sweeps returns the backup and drill sweeps, or none without --backup-dir.
func (b *backupFlags) sweeps(dsn, node string, runs backup.Runs, clock tuango.Clock, log *slog.Logger) []jobs.Task {
	if b.dir == "" {
		return nil
	}
	return jobs.BackupSweeps(backup.Schedule{DSN: dsn, Dir: b.dir, Keep: b.keep, Scratch: b.scratch, Node: node, Clock: clock, Runs: runs, Log: log},
		b.every, b.drillEvery)
}
