// Package sqlstore is tuango's one store implementation: database/sql over
// embedded SQLite (modernc.org/sqlite) and PostgreSQL (pgx), with the same
// SQL text for both wherever they agree.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"tuango/internal/tuango"
)

// DB is an open database: one writer and a pool of readers. On SQLite the
// writer is a single connection, so that every write, the job queue's
// included, goes through one writer; on PostgreSQL both are the same pool.
type DB struct {
	engine engine
	write  *sql.DB
	read   *sql.DB

	mu      sync.Mutex
	rebound map[string]string
}

// Open opens the database named by dsn — a postgres:// URL, or else the path
// of a folder for embedded SQLite — and applies pending migrations.
func Open(ctx context.Context, dsn string) (*DB, error) {
	var db *DB
	var err error
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		db, err = openPostgres(dsn)
	} else {
		db, err = openSQLite(dsn)
	}
	if err != nil {
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func openSQLite(dir string) (*DB, error) {
	if dir == "" {
		return nil, errors.New("sqlstore: no data folder given")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sqlstore: create data folder: %w", err)
	}
	path := filepath.Join(dir, "tuango.db")
	// synchronous=FULL: in WAL mode NORMAL can lose a committed
	// transaction on power loss, and a 2xx promises the order is on disk.
	base := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)"
	write, err := sql.Open("sqlite", base+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	read, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	read.SetMaxOpenConns(4)
	read.SetMaxIdleConns(4)
	read.SetConnMaxIdleTime(0)
	if err := write.Ping(); err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	return &DB{engine: sqliteEngine{}, write: write, read: read, rebound: map[string]string{}}, nil
}

// Close closes the database.
func (db *DB) Close() error {
	err := db.write.Close()
	if db.read != db.write {
		if rerr := db.read.Close(); err == nil {
			err = rerr
		}
	}
	return err
}

// Engine names the database engine: "sqlite" or "postgres".
func (db *DB) Engine() string { return db.engine.name() }

// Store returns the tuango.Store over this database.
func (db *DB) Store() *Store { return &Store{db: db} }

// q returns query in the engine's placeholder style.
func (db *DB) q(query string) string {
	if !db.engine.numbered() {
		return query
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if r, ok := db.rebound[query]; ok {
		return r
	}
	r := rebind(query)
	db.rebound[query] = r
	return r
}

// rebind turns ? placeholders into $1, $2, ... outside string literals.
func rebind(query string) string {
	var b strings.Builder
	n, inStr := 0, false
	for _, c := range query {
		switch {
		case c == '\'':
			inStr = !inStr
		case c == '?' && !inStr:
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Store implements tuango.Store. Outside a transaction reads go to the
// reader pool and each write stands alone on the writer.
type Store struct {
	db *DB
	tx *sql.Tx
}

var _ tuango.Store = (*Store)(nil)

func (s *Store) reader() queryer {
	if s.tx != nil {
		return s.tx
	}
	return s.db.read
}

func (s *Store) writer() queryer {
	if s.tx != nil {
		return s.tx
	}
	return s.db.write
}

func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := s.writer().ExecContext(ctx, s.db.q(query), args...)
	return res, s.db.engine.translate(err)
}

// execOne runs a guarded write and reports whether it changed a row.
func (s *Store) execOne(ctx context.Context, query string, args ...any) (bool, error) {
	res, err := s.exec(ctx, query, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return s.reader().QueryContext(ctx, s.db.q(query), args...)
}

func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return s.reader().QueryRowContext(ctx, s.db.q(query), args...)
}

// InTx runs fn in one transaction on the writer; a nested call joins it.
func (s *Store) InTx(ctx context.Context, fn func(tx tuango.Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	for attempt := 1; ; attempt++ {
		err := s.inTx(ctx, fn)
		if err == nil || !s.db.engine.retryable(err) || attempt == 5 {
			return err
		}
	}
}

func (s *Store) inTx(ctx context.Context, fn func(tx tuango.Store) error) error {
	tx, err := s.db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", s.db.engine.translate(err))
	}
	committed := false
	// Roll back on error, panic or runtime.Goexit (t.Fatal in a test):
	// on SQLite an open transaction holds the only writer.
	defer func() {
		if !committed {
			tx.Rollback()
		}
	}()
	if err := fn(&Store{db: s.db, tx: tx}); err != nil {
		return err
	}
	committed = true
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: commit: %w", s.db.engine.translate(err))
	}
	return nil
}

// Ping checks that the database answers and its migrations are current.
func (s *Store) Ping(ctx context.Context) error {
	var v int
	if err := s.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return fmt.Errorf("sqlstore: ping: %w", err)
	}
	if want := latestMigration(s.db.engine); v != want {
		return fmt.Errorf("sqlstore: schema is at version %d, this binary needs %d: run tuango migrate", v, want)
	}
	return nil
}

// notFound turns sql.ErrNoRows into tuango's not_found.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return tuango.ErrNotFound
	}
	return err
}
