package backup

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"

	"tuango/internal/chaos"
	"tuango/internal/sqlstore"
)

// DrillReport is what a restore drill found.
type DrillReport struct {
	Manifest Manifest
	Tables   int
	Rows     int64
	Checks   []chaos.CheckResult // the invariant checker's and the ledger's rules
	Problems []string            // every rule broken, or why the drill could not run
}

// OK reports whether the backup restored and every check held.
func (r DrillReport) OK() bool { return len(r.Problems) == 0 }

// Summary is one line on what the drill did and found.
func (r DrillReport) Summary() string {
	if !r.OK() {
		return "FAILED: " + strings.Join(r.Problems, "; ")
	}
	checked := 0
	for _, c := range r.Checks {
		checked += c.Checked
	}
	how := "integrity_check, foreign_key_check and row counts ok"
	if r.Manifest.Engine == "postgres" {
		how = "psql restored it in one transaction, every constraint rebuilt; row counts ok"
	}
	return fmt.Sprintf("restored %d tables, %d rows (schema %d, taken %s); %s; %d rules held over %d checks",
		r.Tables, r.Rows, r.Manifest.SchemaVersion, r.Manifest.TakenAt.Format("2006-01-02T15:04:05Z"), how, len(r.Checks), checked)
}

// Drill restores the backup at file into a scratch place — a new folder
// under scratch for SQLite, the database at the postgres:// URL scratch for
// PostgreSQL (its copy of the schema is replaced, then dropped) — and runs
// the integrity checks, the row counts against the manifest, the invariant
// checker's data rules and the ledger's verification on the copy. The live
// database is never touched.
func Drill(ctx context.Context, file, scratch string) DrillReport {
	var r DrillReport
	fail := func(err error) DrillReport {
		r.Problems = append(r.Problems, err.Error())
		return r
	}
	m, _, err := Verify(file)
	if err != nil {
		return fail(err)
	}
	r.Manifest, r.Tables = m, len(m.Rows)
	for _, n := range m.Rows {
		r.Rows += n
	}
	var raw *sql.DB
	var drop string
	dialect := m.Engine
	switch m.Engine {
	case "sqlite":
		if scratch != "" {
			if err := os.MkdirAll(scratch, 0o700); err != nil {
				return fail(err)
			}
		}
		dir, err := os.MkdirTemp(scratch, "tuango-drill-*")
		if err != nil {
			return fail(fmt.Errorf("backup: drill folder: %w", err))
		}
		defer os.RemoveAll(dir)
		if _, err := Restore(ctx, file, dir, false); err != nil {
			return fail(err)
		}
		if raw, _, err = sqlstore.OpenRaw(dir); err != nil {
			return fail(err)
		}
	case "postgres":
		if !IsPostgres(scratch) {
			return fail(fmt.Errorf("backup: a PostgreSQL drill needs a scratch database URL, not %q", scratch))
		}
		if _, err := Restore(ctx, file, scratch, true); err != nil {
			return fail(err)
		}
		u, err := withSearchPath(scratch, m.Schema)
		if err != nil {
			return fail(err)
		}
		if raw, err = sql.Open("pgx", u); err != nil {
			return fail(err)
		}
		drop = `DROP SCHEMA IF EXISTS ` + quotePG(m.Schema) + ` CASCADE` // the copy goes once checked
	default:
		return fail(fmt.Errorf("backup: unknown engine %q", m.Engine))
	}
	defer func() {
		if drop != "" {
			raw.ExecContext(context.WithoutCancel(ctx), drop)
		}
		raw.Close()
	}()
	rep := chaos.CheckData(ctx, raw, dialect)
	if rep.Err != nil {
		return fail(rep.Err)
	}
	r.Checks = rep.Checks
	for _, c := range rep.Checks {
		for _, s := range c.Samples {
			r.Problems = append(r.Problems, c.Name+": "+s)
		}
		if c.Violations > len(c.Samples) {
			r.Problems = append(r.Problems, fmt.Sprintf("%s: %d more", c.Name, c.Violations-len(c.Samples)))
		}
	}
	return r
}

// withSearchPath returns the URL with its search_path set to schema.
func withSearchPath(dsn, schema string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// DrillURL derives the scratch database of a PostgreSQL drill from the live
// database's URL: the same server, the database named NAME_drill.
func DrillURL(dsn string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		name = "postgres"
	}
	u.Path = "/" + name + "_drill"
	return u.String(), nil
}

// EnsureDatabase creates the database the URL target names, connecting
// through the database at via, if it does not exist yet.
func EnsureDatabase(ctx context.Context, via, target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	name := strings.TrimPrefix(u.Path, "/")
	db, err := sql.Open("pgx", via)
	if err != nil {
		return err
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
		return fmt.Errorf("backup: look for database %s: %w", name, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := db.ExecContext(ctx, `CREATE DATABASE `+quotePG(name)); err != nil && !strings.Contains(err.Error(), "already exists") {
		return fmt.Errorf("backup: create the drill's scratch database %s (or give --drill-db): %w", name, err)
	}
	return nil
}
