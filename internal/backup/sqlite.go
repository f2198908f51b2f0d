package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// dbFile is the database's name inside a data folder (as sqlstore names it).
const dbFile = "tuango.db"

// snapshotSQLite copies a consistent snapshot of the database in dataDir
// into w. VACUUM INTO reads one read transaction's view, so the server's
// writer goes on committing meanwhile; the copy is compact and has no WAL.
func snapshotSQLite(ctx context.Context, dataDir, workDir string, w io.Writer, m *Manifest) error {
	src := filepath.Join(dataDir, dbFile)
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("backup: no database at %s: %w", src, err)
	}
	snap := filepath.Join(workDir, fmt.Sprintf(".snapshot-%d.db", os.Getpid()))
	os.Remove(snap)
	defer os.Remove(snap)
	db, err := sql.Open("sqlite", "file:"+src+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("backup: open %s: %w", src, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, snap); err != nil {
		return fmt.Errorf("backup: snapshot %s: %w", src, err)
	}
	// Counted in the snapshot itself, so they describe exactly what is kept.
	if err := describeSQLite(ctx, snap, m); err != nil {
		return err
	}
	f, err := os.Open(snap)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("backup: compress the snapshot: %w", err)
	}
	return nil
}

// describeSQLite fills the manifest's schema version and row counts from
// the database file at path.
func describeSQLite(ctx context.Context, path string, m *Manifest) error {
	db, err := openSQLiteFile(path)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := countRows(ctx, db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`, quoteSQLite)
	if err != nil {
		return err
	}
	m.Rows = rows
	return db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&m.SchemaVersion)
}

func openSQLiteFile(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)")
	if err != nil {
		return nil, fmt.Errorf("backup: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

func quoteSQLite(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// countRows counts the rows of every table listed by query.
func countRows(ctx context.Context, db interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, query string, quote func(string) string, args ...any) (map[string]int64, error) {
	rs, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("backup: list tables: %w", err)
	}
	var names []string
	for rs.Next() {
		var n string
		if err := rs.Scan(&n); err != nil {
			rs.Close()
			return nil, err
		}
		names = append(names, n)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, n := range names {
		var c int64
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+quote(n)).Scan(&c); err != nil {
			return nil, fmt.Errorf("backup: count %s: %w", n, err)
		}
		out[n] = c
	}
	return out, nil
}

// restoreSQLite writes the snapshot next to the target database, checks
// it, and only then moves it into place.
func restoreSQLite(ctx context.Context, open func() (io.ReadCloser, error), m Manifest, dataDir string, force bool) error {
	dst := filepath.Join(dataDir, dbFile)
	if err := refuseLive(dst, force); err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("backup: create %s: %w", dataDir, err)
	}
	tmp := dst + ".restoring"
	defer os.Remove(tmp)
	if err := unpack(open, tmp); err != nil {
		return err
	}
	return moveIntoPlace(ctx, tmp, dst, m)
}

// refuseLive refuses a database file that holds data, unless force.
func refuseLive(dst string, force bool) error {
	if st, err := os.Stat(dst); err == nil && st.Size() > 0 && !force {
		return fmt.Errorf("backup: %w: %s exists; stop every node using it and restore with --force to replace it", ErrLive, dst)
	}
	return nil
}

// moveIntoPlace checks the restored copy at tmp and renames it to dst.
func moveIntoPlace(ctx context.Context, tmp, dst string, m Manifest) error {
	if problems := CheckSQLite(ctx, tmp, m); len(problems) > 0 {
		return fmt.Errorf("backup: the restored copy fails its checks, %s is left as it was: %s", dst, strings.Join(problems, "; "))
	}
	// The old database's WAL must go before the new file arrives, or
	// SQLite would replay the old frames onto it.
	for _, ext := range []string{"-wal", "-shm"} {
		if err := os.Remove(dst + ext); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("backup: %w", err)
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return syncDir(filepath.Dir(dst))
}

// unpack writes the uncompressed payload to path and syncs it.
func unpack(open func() (io.ReadCloser, error), path string) error {
	r, err := open()
	if err != nil {
		return err
	}
	defer r.Close()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return fmt.Errorf("backup: unpack: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// CheckSQLite runs SQLite's own integrity and foreign-key checks on the
// database file at path and compares its row counts with the manifest's
// (when it has them), returning what is wrong.
func CheckSQLite(ctx context.Context, path string, m Manifest) []string {
	db, err := openSQLiteFile(path)
	if err != nil {
		return []string{err.Error()}
	}
	defer db.Close()
	var problems []string
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check(1)`).Scan(&res); err != nil {
		return []string{fmt.Sprintf("integrity_check: %v", err)}
	} else if res != "ok" {
		problems = append(problems, "integrity_check: "+res)
	}
	rs, err := db.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		problems = append(problems, fmt.Sprintf("foreign_key_check: %v", err))
	} else {
		n := 0
		for rs.Next() {
			n++
		}
		rs.Close()
		if n > 0 {
			problems = append(problems, fmt.Sprintf("foreign_key_check: %d rows point at nothing", n))
		}
	}
	if m.Rows == nil {
		return problems
	}
	got, err := countRows(ctx, db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`, quoteSQLite)
	if err != nil {
		return append(problems, err.Error())
	}
	return append(problems, compareRows(m.Rows, got)...)
}

// compareRows lists the tables whose counts differ from the manifest's.
func compareRows(want, got map[string]int64) []string {
	var out []string
	for t, n := range want {
		if g, ok := got[t]; !ok {
			out = append(out, fmt.Sprintf("table %s is missing", t))
		} else if g != n {
			out = append(out, fmt.Sprintf("table %s has %d rows, the manifest %d", t, g, n))
		}
	}
	for t := range got {
		if _, ok := want[t]; !ok {
			out = append(out, fmt.Sprintf("table %s is not in the manifest", t))
		}
	}
	return out
}
