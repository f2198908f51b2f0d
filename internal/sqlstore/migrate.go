package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns an engine's migrations in version order. Files are
// named NNNN_what.sql and the same names exist for every engine.
func migrations(e engine) ([]migration, error) {
	dir := path.Join("migrations", e.name())
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, ent := range entries {
		name := ent.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("sqlstore: migration %s/%s is not named NNNN_what.sql", dir, name)
		}
		b, err := migrationFiles.ReadFile(path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

func latestMigration(e engine) int {
	ms, err := migrations(e)
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// MigrationNames lists the migration file names of an engine, for the test
// that keeps both engines in step.
func MigrationNames(engineName string) ([]string, error) {
	var e engine = sqliteEngine{}
	if engineName == "postgres" {
		e = postgresEngine{}
	}
	ms, err := migrations(e)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, m := range ms {
		names = append(names, m.name)
	}
	return names, nil
}

// migrate applies pending migrations, each in its own transaction, and
// reports how many it applied. Open calls it before it takes the writer.
func (db *DB) migrate(ctx context.Context) (int, error) {
	ms, err := migrations(db.engine)
	if err != nil {
		return 0, err
	}
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return 0, fmt.Errorf("sqlstore: create schema_migrations: %w", err)
	}
	n := 0
	for _, m := range ms {
		applied, err := db.applyMigration(ctx, m)
		if err != nil {
			return n, fmt.Errorf("sqlstore: migration %s: %w", m.name, err)
		}
		if applied {
			n++
		}
	}
	return n, nil
}

func (db *DB) applyMigration(ctx context.Context, m migration) (bool, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if err := db.engine.lockMigrations(ctx, tx); err != nil {
		return false, err
	}
	var n int
	if err := tx.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, CURRENT_TIMESTAMP)`), m.version, m.name); err != nil {
		return false, err
	}
	return true, tx.Commit()
}
