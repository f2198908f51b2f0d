package backup

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"os/exec"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// PostgreSQL backups are pg_dump's plain SQL of tuango's schema, restored
// by psql in one transaction. The dump and the row counts in its manifest
// read the same snapshot: a REPEATABLE READ transaction exports it and
// pg_dump --snapshot dumps exactly that.

// Tools reports whether pg_dump and psql are on PATH.
func Tools() error {
	for _, t := range []string{"pg_dump", "psql"} {
		if _, err := exec.LookPath(t); err != nil {
			return fmt.Errorf("backup: %s is not installed (Debian: apt-get install postgresql-client): %w", t, err)
		}
	}
	return nil
}

// libpqURL turns tuango's database URL into one libpq tools accept,
// dropping the parameters only pgx understands, and returns the schema
// the URL's search_path names (public by default).
func libpqURL(dsn string) (string, string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", "", fmt.Errorf("backup: the database URL: %w", err)
	}
	q := u.Query()
	schema := "public"
	if sp := q.Get("search_path"); sp != "" {
		schema = strings.TrimSpace(strings.Split(sp, ",")[0])
	}
	q.Del("search_path")
	u.RawQuery = q.Encode()
	return u.String(), schema, nil
}

func quotePG(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

const pgTables = `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name`

func dumpPostgres(ctx context.Context, dsn string, w io.Writer, m *Manifest) error {
	if err := Tools(); err != nil {
		return err
	}
	tool, schema, err := libpqURL(dsn)
	if err != nil {
		return err
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return fmt.Errorf("backup: open postgres: %w", err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("backup: begin the snapshot: %w", err)
	}
	defer tx.Rollback()
	var snapshot string
	if err := tx.QueryRowContext(ctx, `SELECT pg_export_snapshot()`).Scan(&snapshot); err != nil {
		return fmt.Errorf("backup: export the snapshot: %w", err)
	}
	q := func(t string) string { return quotePG(schema) + "." + quotePG(t) }
	if m.Rows, err = countRows(ctx, tx, pgTables, q, schema); err != nil {
		return err
	}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM `+q("schema_migrations")).Scan(&m.SchemaVersion); err != nil {
		return fmt.Errorf("backup: read the schema version: %w", err)
	}
	m.Schema = schema
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "pg_dump", "--dbname="+tool, "--snapshot="+snapshot, "--schema="+schema,
		"--no-owner", "--no-privileges", "--format=plain")
	cmd.Stdout, cmd.Stderr = w, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("backup: pg_dump: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// restorePostgres restores the dump's schema into the database at target:
// the schema is dropped and made again from the dump in one transaction,
// so a failure leaves the database as it was.
func restorePostgres(ctx context.Context, open func() (io.ReadCloser, error), m Manifest, target string, force bool) error {
	if err := Tools(); err != nil {
		return err
	}
	tool, _, err := libpqURL(target)
	if err != nil {
		return err
	}
	if m.Schema == "" {
		return corrupt("the manifest names no schema")
	}
	db, err := sql.Open("pgx", target)
	if err != nil {
		return fmt.Errorf("backup: open postgres: %w", err)
	}
	defer db.Close()
	var tables int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = $1`, m.Schema).Scan(&tables); err != nil {
		return fmt.Errorf("backup: look at the target: %w", err)
	}
	if tables > 0 && !force {
		return fmt.Errorf("backup: %w: schema %s of the target database has %d tables; stop every node using it and restore with --force to replace it", ErrLive, m.Schema, tables)
	}
	r, err := open()
	if err != nil {
		return err
	}
	defer r.Close()
	prefix := "DROP SCHEMA IF EXISTS " + quotePG(m.Schema) + " CASCADE;\n"
	if m.Schema == "public" {
		prefix += "CREATE SCHEMA public;\n" // pg_dump takes public as given
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "psql", "--dbname="+tool, "--no-psqlrc", "--quiet", "--single-transaction",
		"--set=ON_ERROR_STOP=1", "--file=-")
	cmd.Stdin = io.MultiReader(strings.NewReader(prefix), r)
	cmd.Stdout, cmd.Stderr = io.Discard, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("backup: psql restore (nothing was changed): %w: %s", err, lastLines(out.String(), 5))
	}
	return CheckPostgres(ctx, db, m)
}

// CheckPostgres compares the row counts of the restored schema with the
// manifest's and reports what differs as an error.
func CheckPostgres(ctx context.Context, db *sql.DB, m Manifest) error {
	q := func(t string) string { return quotePG(m.Schema) + "." + quotePG(t) }
	got, err := countRows(ctx, db, pgTables, q, m.Schema)
	if err != nil {
		return err
	}
	if problems := compareRows(m.Rows, got); len(problems) > 0 {
		return fmt.Errorf("backup: the restored copy differs from its manifest: %s", strings.Join(problems, "; "))
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
