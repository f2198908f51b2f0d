package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"tuango/internal/tuango"
)

const auditColumns = `id, at, actor_id, actor_role, source, kind, subject, detail, seq, prev_hash, hash`

func scanAudit(sc scanner, r *tuango.AuditRecord) error {
	var at int64
	var seq sql.NullInt64
	var prev, hash sql.NullString
	err := sc.Scan(&r.ID, &at, &r.ActorID, &r.ActorRole, &r.Source, &r.Kind, &r.Subject, &r.Detail, &seq, &prev, &hash)
	r.At, r.Seq, r.PrevHash, r.Hash = fromMicros(at), seq.Int64, prev.String, hash.String
	return err
}

// AppendAudit stores a waiting record, once per id.
func (s *Store) AppendAudit(ctx context.Context, r *tuango.AuditRecord) error {
	_, err := s.exec(ctx, `INSERT INTO audit_records (id, at, actor_id, actor_role, source, kind, subject, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		r.ID, micros(r.At), r.ActorID, r.ActorRole, r.Source, r.Kind, r.Subject, r.Detail)
	return wrap(err, "append audit record %s", r.ID)
}

// FindUnchainedAudit returns waiting records, oldest first.
func (s *Store) FindUnchainedAudit(ctx context.Context, limit int) ([]tuango.AuditRecord, error) {
	rs, err := queryAll(s, ctx, scanAudit, `SELECT `+auditColumns+` FROM audit_records WHERE seq IS NULL ORDER BY at, id LIMIT ?`, limit)
	return rs, wrap(err, "find unchained audit records")
}

// FindAuditHead returns the last chained record's seq and hash.
func (s *Store) FindAuditHead(ctx context.Context) (int64, string, error) {
	var seq int64
	var hash string
	err := s.queryRow(ctx, `SELECT seq, hash FROM audit_records WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1`).Scan(&seq, &hash)
	if err == sql.ErrNoRows {
		return 0, "", nil
	}
	return seq, hash, wrap(err, "find audit head")
}

// ChainAudit writes the chain columns of waiting records.
func (s *Store) ChainAudit(ctx context.Context, rs []tuango.AuditRecord) error {
	return s.InTx(ctx, func(tx tuango.Store) error {
		t := tx.(*Store)
		for _, r := range rs {
			res, err := t.exec(ctx, `UPDATE audit_records SET seq = ?, prev_hash = ?, hash = ? WHERE id = ? AND seq IS NULL`, r.Seq, r.PrevHash, r.Hash, r.ID)
			if err != nil {
				return wrap(err, "chain audit record %s", r.ID)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return &tuango.Error{Code: tuango.CodeConflict, Message: "audit record " + r.ID + " is chained already"}
			}
		}
		return nil
	})
}

// FindAuditChain returns chained records after a seq, in order.
func (s *Store) FindAuditChain(ctx context.Context, after int64, limit int) ([]tuango.AuditRecord, error) {
	rs, err := queryAll(s, ctx, scanAudit, `SELECT `+auditColumns+` FROM audit_records WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	return rs, wrap(err, "find audit chain after %d", after)
}

// FindAudit lists records newest first (by id, which sorts by time).
func (s *Store) FindAudit(ctx context.Context, f tuango.AuditFilter) ([]tuango.AuditRecord, error) {
	var where []string
	var args []any
	add := func(cond string, v any) { where, args = append(where, cond), append(args, v) }
	if f.ActorID != "" {
		add("actor_id = ?", f.ActorID)
	}
	if k, ok := strings.CutSuffix(f.Kind, "."); ok && k != "" {
		add("kind >= ?", k+".") // a prefix: "." sorts just before "/"
		add("kind < ?", k+"/")
	} else if f.Kind != "" {
		add("kind = ?", f.Kind)
	}
	if !f.From.IsZero() {
		add("at >= ?", micros(f.From))
	}
	if !f.To.IsZero() {
		add("at < ?", micros(f.To))
	}
	if f.Before != "" {
		add("id < ?", f.Before)
	}
	q := `SELECT ` + auditColumns + ` FROM audit_records` + whereClause(where) + ` ORDER BY id DESC LIMIT ?`
	rs, err := queryAll(s, ctx, scanAudit, q, append(args, f.Limit)...)
	return rs, wrap(err, "find audit records")
}

// CountUnchainedAudit counts the waiting records and the oldest's time.
func (s *Store) CountUnchainedAudit(ctx context.Context) (int, time.Time, error) {
	var n int
	var oldest int64
	err := s.queryRow(ctx, `SELECT COUNT(*), COALESCE(MIN(at), 0) FROM audit_records WHERE seq IS NULL`).Scan(&n, &oldest)
	if err != nil {
		return 0, time.Time{}, wrap(err, "count unchained audit records")
	}
	if n == 0 {
		return 0, time.Time{}, nil
	}
	return n, fromMicros(oldest), nil
}

// LoadAudit reads every audit record from a raw pool, the chained ones in
// seq order and then the waiting ones: for the fault checker, which
// trusts no view of the system under test.
func LoadAudit(ctx context.Context, db *sql.DB) ([]tuango.AuditRecord, error) {
	rows, err := db.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_records ORDER BY seq IS NULL, seq, at, id`)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: load audit records: %w", err)
	}
	defer rows.Close()
	var out []tuango.AuditRecord
	for rows.Next() {
		var r tuango.AuditRecord
		if err := scanAudit(rows, &r); err != nil {
			return nil, fmt.Errorf("sqlstore: load audit records: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
