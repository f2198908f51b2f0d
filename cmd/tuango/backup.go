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
	"strings"
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
      restore into a scratch place and run every check of the hourly drill
  tuango restore --from REPLICA --data DIR [--at RFC3339] [--force]
      SQLite: restore from a Litestream replica (a folder, or s3://bucket/path
      with --s3-endpoint and the S3 credentials) as it was at --at (default
      the latest)`

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
	at := fs.String("at", "", "with a replica: the instant to restore to, RFC 3339 (default the latest)")
	var rf replicaFlags
	rf.registerS3(fs)
	if err := parseFlags(fs, args, getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *from == "" {
		return errors.New("restore: say which backup with --from FILE (or a replica: --from DIR or s3://bucket/path)")
	}
	if backup.IsReplica(*from) {
		return restoreReplica(ctx, *from, *data, *db, *at, *force, rf, stdout)
	}
	if *at != "" {
		return errors.New("restore: --at needs a replica (--from DIR or s3://…); a backup file restores to the moment it was taken")
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

// restoreReplica restores a Litestream replica into a data folder.
func restoreReplica(ctx context.Context, from, data, db, at string, force bool, rf replicaFlags, stdout io.Writer) error {
	if db != "" || data == "" {
		return errors.New("restore: a replica is of an SQLite database: restore it with --data DIR")
	}
	var when time.Time
	if at != "" {
		t, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			return fmt.Errorf("restore: --at %q: want RFC 3339, such as 2026-12-01T03:04:05Z", at)
		}
		when = t
	}
	cfg := rf.config()
	cfg.Dir, cfg.S3 = "", ""
	if strings.HasPrefix(from, "s3://") {
		cfg.S3 = from
	} else {
		cfg.Dir = from
	}
	if err := backup.RestoreReplica(ctx, cfg, data, when, force); err != nil {
		return err
	}
	point := "the latest point"
	if !when.IsZero() {
		point = when.UTC().Format(time.RFC3339Nano)
	}
	fmt.Fprintf(stdout, "restore: replica %s restored into %s as at %s; integrity and foreign keys checked\n", from, data, point)
	return nil
}

// replicaFlags configure Litestream's continuous replication (serve) and
// where a replica is read from (restore).
type replicaFlags struct {
	dir, s3, endpoint, region, keyID, secret string
	interval                                 time.Duration
}

func (r *replicaFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&r.dir, "replicate-to", "", "SQLite: replicate the database continuously (Litestream) to this folder, best on another disk or machine")
	fs.StringVar(&r.s3, "replicate-s3", "", "SQLite: replicate continuously to s3://bucket/path instead (an S3-compatible store: see --s3-endpoint)")
	fs.DurationVar(&r.interval, "replicate-interval", time.Second, "how often changes are shipped to the replica: the recovery point")
	r.registerS3(fs)
}

func (r *replicaFlags) registerS3(fs *flag.FlagSet) {
	fs.StringVar(&r.endpoint, "s3-endpoint", "", "URL of an S3-compatible service such as MinIO (empty: AWS S3)")
	fs.StringVar(&r.region, "s3-region", "us-east-1", "the bucket's region")
	fs.StringVar(&r.keyID, "s3-access-key-id", "", "S3 access key id (better given as TUANGO_S3_ACCESS_KEY_ID)")
	fs.StringVar(&r.secret, "s3-secret-access-key", "", "S3 secret key (give it as TUANGO_S3_SECRET_ACCESS_KEY: a flag shows in the process list)")
}

func (r replicaFlags) config() backup.ReplicaConfig {
	return backup.ReplicaConfig{Dir: r.dir, S3: r.s3, S3Endpoint: r.endpoint, S3Region: r.region, S3AccessKeyID: r.keyID,
		S3SecretAccessKey: r.secret, Interval: r.interval}
}

// replicate starts replication if asked; stop is to be called after the
// database is closed.
func (r replicaFlags) replicate(ctx context.Context, dsn string, log *slog.Logger) (stop func(), err error) {
	cfg := r.config()
	if !cfg.Enabled() {
		return func() {}, nil
	}
	if backup.IsPostgres(dsn) {
		return nil, errors.New("--replicate-to and --replicate-s3 replicate SQLite; PostgreSQL's point-in-time recovery is pgBackRest or WAL-G (docs/deploy.md)")
	}
	cfg.Log = log
	rep, err := backup.Replicate(ctx, dsn, cfg)
	if err != nil {
		return nil, err
	}
	return func() {
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := rep.Close(cctx); err != nil {
			log.Error("replication: the last changes may not have been shipped", "err", err)
		}
	}, nil
}
