package backup

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Ext ends every backup file's name.
const Ext = ".tgbak"

// ErrLive is wrapped when a restore would overwrite data without --force.
var ErrLive = errors.New("the target holds data")

// Result is one backup written.
type Result struct {
	Path     string
	Bytes    int64 // the file's size
	Manifest Manifest
}

// IsPostgres reports whether dsn names a PostgreSQL database rather than
// an SQLite data folder.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Take writes a backup of the database named by dsn (a data folder, or a
// postgres:// URL) into dir while it keeps serving, named by engine and
// time, and returns it. now is the caller's clock; extra goes into the
// manifest as it is.
func Take(ctx context.Context, dsn, dir string, now time.Time, extra map[string]string) (Result, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Result{}, fmt.Errorf("backup: create %s: %w", dir, err)
	}
	payload, err := os.CreateTemp(dir, ".payload-*")
	if err != nil {
		return Result{}, fmt.Errorf("backup: %w", err)
	}
	defer func() { payload.Close(); os.Remove(payload.Name()) }()
	hw := newHashingWriter(payload)
	gz := gzip.NewWriter(hw)
	raw := &countingWriter{w: gz}
	m := Manifest{TakenAt: now.UTC().Truncate(time.Second), Extra: extra}
	if IsPostgres(dsn) {
		m.Engine = "postgres"
		err = dumpPostgres(ctx, dsn, raw, &m)
	} else {
		m.Engine = "sqlite"
		err = snapshotSQLite(ctx, dsn, dir, raw, &m)
	}
	if err != nil {
		return Result{}, err
	}
	if err := gz.Close(); err != nil {
		return Result{}, fmt.Errorf("backup: compress: %w", err)
	}
	m.RawBytes, m.PayloadBytes, m.PayloadSHA256 = raw.n, hw.n, hw.sum()
	path := filepath.Join(dir, fmt.Sprintf("tuango-%s-%s%s", m.Engine, m.TakenAt.Format("20060102T150405Z"), Ext))
	if _, err := os.Stat(path); err == nil {
		// Two backups in one second: the second gets a suffix.
		path = strings.TrimSuffix(path, Ext) + fmt.Sprintf("-%d", now.UnixNano()%1e9) + Ext
	}
	if err := writeFile(path, m, payload); err != nil {
		return Result{}, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return Result{}, fmt.Errorf("backup: %w", err)
	}
	return Result{Path: path, Bytes: st.Size(), Manifest: m}, nil
}

// Restore checks the backup at file and restores it: into the data folder
// target (SQLite) or the database at the postgres:// URL target. A damaged
// file is refused (ErrCorrupt) before anything is written; a target
// holding data is refused (ErrLive) unless force. The restored copy's
// integrity and row counts are checked before it takes the target's place.
func Restore(ctx context.Context, file, target string, force bool) (Manifest, error) {
	m, start, err := Verify(file)
	if err != nil {
		return Manifest{}, err
	}
	switch {
	case m.Engine == "sqlite" && IsPostgres(target):
		return m, fmt.Errorf("backup: %s is an SQLite backup; restore it with --data DIR, not --db", file)
	case m.Engine == "postgres" && !IsPostgres(target):
		return m, fmt.Errorf("backup: %s is a PostgreSQL dump; restore it with --db postgres://…, not --data", file)
	case m.Engine != "sqlite" && m.Engine != "postgres":
		return m, fmt.Errorf("backup: %s is of an unknown engine %q", file, m.Engine)
	}
	open := func() (io.ReadCloser, error) { return openPayload(file, start) }
	if m.Engine == "sqlite" {
		return m, restoreSQLite(ctx, open, m, target, force)
	}
	return m, restorePostgres(ctx, open, m, target, force)
}

// openPayload returns the uncompressed payload of a verified file.
func openPayload(file string, start int64) (io.ReadCloser, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	gz, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, corrupt("%s: the payload is not gzip: %v", file, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{gz, f}, nil
}

// List returns the backup files in dir, newest first.
func List(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() && strings.HasPrefix(e.Name(), "tuango-") && strings.HasSuffix(e.Name(), Ext) {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	// The names sort by time: engine, then a UTC stamp.
	sort.Sort(sort.Reverse(sort.StringSlice(out)))
	return out, nil
}

// Prune keeps the newest keep backups in dir and removes the rest,
// returning how many it removed.
func Prune(dir string, keep int) (int, error) {
	files, err := List(dir)
	if err != nil || keep <= 0 || len(files) <= keep {
		return 0, err
	}
	n := 0
	for _, f := range files[keep:] {
		if err := os.Remove(f); err != nil {
			return n, fmt.Errorf("backup: prune: %w", err)
		}
		n++
	}
	return n, nil
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
