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
	reader queryer // reads outside a transaction

	mu      sync.Mutex
	rebound map[string]string

	// SQLite: the one writer connection, held for the life of the DB and
	// used only under wmu, with its prepared statements. Parsing SQL was a
	// third of the flash-sale profile before statements were cached.
	wmu    sync.Mutex
	wconn  *sql.Conn
	writer queryer // statements on wconn; hold wmu
	gate   writerGate

	ckpt *checkpointer // SQLite: checkpoints beside the writer
}

// maxCachedStmts bounds each statement cache.
const maxCachedStmts = 256

// Open opens the database named by dsn — a postgres:// URL, or else the path
// of a folder for embedded SQLite — and applies pending migrations.
func Open(ctx context.Context, dsn string) (*DB, error) {
	var db *DB
	var err error
	if IsPostgres(dsn) {
		db, err = openPostgres(dsn)
	} else {
		db, err = openSQLite(dsn)
	}
	if err != nil {
		return nil, err
	}
	if _, err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if db.engine.oneWriter() {
		if db.wconn, err = db.write.Conn(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("sqlstore: take the writer connection: %w", err)
		}
		db.writer = &cached{direct: db.wconn, prepare: db.wconn.PrepareContext}
		db.reader = &cached{direct: db.read, prepare: db.read.PrepareContext}
	}
	return db, nil
}

// IsPostgres reports whether dsn names a PostgreSQL database: a
// postgres:// URL (which may list several hosts, host1:port1,host2:port2)
// or a libpq key=value string that names its host, such as "host=a,b
// dbname=x target_session_attrs=read-write". Anything else is a SQLite
// folder.
func IsPostgres(dsn string) bool {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return true
	}
	first, _, _ := strings.Cut(strings.TrimSpace(dsn), " ")
	key, _, ok := strings.Cut(first, "=")
	return ok && key != "" && strings.Trim(key, "abcdefghijklmnopqrstuvwxyz_") == "" && strings.Contains(" "+dsn, " host=")
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
	// The writer keeps statement journals in memory (temp_store): a
	// multi-row insert of a batch otherwise spills its journal to a temp
	// file, one pwrite per page. Its page cache is 32 MiB, so that a
	// batch's index pages stay cached between batches.
	write, err := sql.Open("sqlite", base+"&_pragma=temp_store(MEMORY)&_pragma=cache_size(-32768)"+
		fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)", walBackstopPages)+"&_txlock=immediate")
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
	ckpt, err := sql.Open("sqlite", base)
	if err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	ckpt.SetMaxOpenConns(1)
	return &DB{engine: sqliteEngine{}, write: write, read: read, rebound: map[string]string{}, ckpt: startCheckpointer(ckpt)}, nil
}

// Close closes the database.
func (db *DB) Close() error {
	if db.wconn != nil {
		db.wmu.Lock()
		db.wconn.Close()
		db.wmu.Unlock()
	}
	err := db.write.Close()
	if db.ckpt != nil {
		db.ckpt.close()
	}
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
	tx queryer // the open transaction, nil outside one
}

var _ tuango.Store = (*Store)(nil)

// boundKey carries, in a context, a transaction that every call on its
// database made with that context joins (see Bind).
type boundKey struct{}

// Bind returns ctx carrying s's open transaction: a call on any Store of
// the same database made with the returned context runs in it, and
// InTx joins it. Outside a transaction Bind returns ctx as it is.
func (s *Store) Bind(ctx context.Context) context.Context {
	if s.tx == nil {
		return ctx
	}
	return context.WithValue(ctx, boundKey{}, s)
}

// in is s, or the transaction of its database that ctx is bound to.
func (s *Store) in(ctx context.Context) *Store {
	if s.tx == nil {
		if b, ok := ctx.Value(boundKey{}).(*Store); ok && b.db == s.db {
			return b
		}
	}
	return s
}

func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s = s.in(ctx)
	q := s.db.q(query)
	var res sql.Result
	var err error
	switch {
	case s.tx != nil:
		res, err = s.tx.ExecContext(ctx, q, args...)
	case s.db.engine.oneWriter():
		asked, got := s.db.lockWriter()
		res, err = s.db.writer.ExecContext(ctx, q, args...)
		s.db.unlockWriter(asked, got)
	default:
		res, err = s.db.write.ExecContext(ctx, q, args...)
	}
	if unreachable(err) {
		return nil, fmt.Errorf("%w (%v)", errUnavailable, err)
	}
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

func (s *Store) readerQ() queryer {
	switch {
	case s.tx != nil:
		return s.tx
	case s.db.reader != nil:
		return s.db.reader
	}
	return s.db.read
}

func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s = s.in(ctx)
	rows, err := s.readerQ().QueryContext(ctx, s.db.q(query), args...)
	return rows, markUnavailable(err) // a read that met no server is 503, like a write
}

func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	s = s.in(ctx)
	return s.readerQ().QueryRowContext(ctx, s.db.q(query), args...)
}

// InTx runs fn in one transaction on the writer; a nested call joins it,
// and so does a call with a context bound to it.
func (s *Store) InTx(ctx context.Context, fn func(tx tuango.Store) error) error {
	if s = s.in(ctx); s.tx != nil {
		return fn(s)
	}
	for attempt := 1; ; attempt++ {
		var err error
		if s.db.engine.oneWriter() {
			err = s.db.inSQLiteTx(ctx, fn)
		} else {
			err = s.db.inSQLTx(ctx, fn)
		}
		if err == nil || !s.db.engine.retryable(err) || attempt == 5 {
			// Whatever statement met a dead connection, the caller sees
			// unavailable, not internal.
			return markUnavailable(err)
		}
	}
}

// inSQLiteTx runs fn in BEGIN IMMEDIATE ... COMMIT on the one writer
// connection, holding it for the whole transaction.
func (db *DB) inSQLiteTx(ctx context.Context, fn func(tx tuango.Store) error) error {
	defer db.unlockWriter(db.lockWriter())
	w := db.writer
	// BEGIN, COMMIT and ROLLBACK must not be cut short by a caller leaving.
	bg := context.WithoutCancel(ctx)
	if _, err := w.ExecContext(bg, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("sqlstore: begin: %w", db.engine.translate(err))
	}
	committed := false
	// Roll back on error, panic or runtime.Goexit (t.Fatal in a test):
	// an open transaction holds the only writer.
	defer func() {
		if !committed {
			w.ExecContext(bg, "ROLLBACK")
		}
	}()
	if err := fn(&Store{db: db, tx: w}); err != nil {
		return err
	}
	if _, err := w.ExecContext(bg, "COMMIT"); err != nil {
		return commitFailed(db.engine, err)
	}
	committed = true
	return nil
}

// inSQLTx runs fn in a database/sql transaction (PostgreSQL).
func (db *DB) inSQLTx(ctx context.Context, fn func(tx tuango.Store) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", db.engine.translate(err))
	}
	committed := false
	defer func() {
		if !committed {
			tx.Rollback()
		}
	}()
	if err := fn(&Store{db: db, tx: tx}); err != nil {
		return err
	}
	committed = true
	if err := tx.Commit(); err != nil {
		return commitFailed(db.engine, err)
	}
	return nil
}

// cached runs statements through prepared statements kept by query text
// (SQLite; pgx caches its own). Past maxCachedStmts, queries such as IN
// lists of many lengths are parsed each time.
type cached struct {
	direct  queryer
	prepare func(ctx context.Context, query string) (*sql.Stmt, error)

	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func (c *cached) stmt(ctx context.Context, q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[q]; ok {
		return st
	}
	if len(c.stmts) >= maxCachedStmts {
		return nil
	}
	st, err := c.prepare(ctx, q)
	if err != nil {
		return nil // the direct call reports the error
	}
	if c.stmts == nil {
		c.stmts = map[string]*sql.Stmt{}
	}
	c.stmts[q] = st
	return st
}

func (c *cached) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := c.stmt(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.direct.ExecContext(ctx, q, args...)
}

func (c *cached) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := c.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.direct.QueryContext(ctx, q, args...)
}

func (c *cached) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := c.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.direct.QueryRowContext(ctx, q, args...)
}

// Ping checks that the database answers and its schema is at least the
// version this binary needs.
func (s *Store) Ping(ctx context.Context) error {
	var v int
	if err := s.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return fmt.Errorf("sqlstore: ping: %w", err)
	}
	// A newer schema is fine: during a rolling upgrade the new release
	// migrates first and the old nodes keep serving, so every migration
	// must stay compatible with the release before it (add, never drop or
	// rename, in the same release).
	if want := latestMigration(s.db.engine); v < want {
		return fmt.Errorf("sqlstore: schema is at version %d, this binary needs %d: run tuango migrate", v, want)
	}
	return nil
}
