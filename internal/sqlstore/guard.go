package sqlstore

import (
	"context"
	"time"

	"tuango/internal/tuango"
)

// BumpGuardVersion adds one to the lists' change count; the UPDATE holds
// the row's lock on PostgreSQL until the transaction ends.
func (s *Store) BumpGuardVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.queryRow(ctx, `UPDATE guard_version SET version = version + 1 WHERE id = 1 RETURNING version`).Scan(&v)
	return v, wrap(err, "bump guard version")
}

// GuardVersion reads the lists' change count.
func (s *Store) GuardVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.queryRow(ctx, `SELECT version FROM guard_version WHERE id = 1`).Scan(&v)
	return v, wrap(err, "read guard version")
}

// AddSourceRule inserts one rule.
func (s *Store) AddSourceRule(ctx context.Context, r *tuango.SourceRule) error {
	_, err := s.exec(ctx, `INSERT INTO source_rules (id, list, cidr, reason, origin, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.List, r.CIDR, r.Reason, r.Origin, r.CreatedBy, micros(r.CreatedAt), micros(r.ExpiresAt))
	return wrap(err, "add source rule %s", r.CIDR)
}

// EndSourceRules ends list's live rules for cidr at now.
func (s *Store) EndSourceRules(ctx context.Context, list, cidr string, now time.Time) (int, error) {
	res, err := s.exec(ctx, `UPDATE source_rules SET expires_at = ? WHERE list = ? AND cidr = ? AND (expires_at = 0 OR expires_at > ?)`,
		micros(now), list, cidr, micros(now))
	if err != nil {
		return 0, wrap(err, "end source rules of %s", cidr)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// FindSourceRules returns the rules live at now, oldest first.
func (s *Store) FindSourceRules(ctx context.Context, now time.Time) ([]tuango.SourceRule, error) {
	rows, err := s.query(ctx, `SELECT id, list, cidr, reason, origin, created_by, created_at, expires_at FROM source_rules
		WHERE expires_at = 0 OR expires_at > ? ORDER BY created_at, id`, micros(now))
	if err != nil {
		return nil, wrap(err, "find source rules")
	}
	defer rows.Close()
	out := []tuango.SourceRule{}
	for rows.Next() {
		var r tuango.SourceRule
		var created, expires int64
		if err := rows.Scan(&r.ID, &r.List, &r.CIDR, &r.Reason, &r.Origin, &r.CreatedBy, &created, &expires); err != nil {
			return nil, wrap(err, "scan source rule")
		}
		r.CreatedAt, r.ExpiresAt = fromMicros(created), fromMicros(expires)
		out = append(out, r)
	}
	return out, wrap(rows.Err(), "find source rules")
}

// CountDetectionBans counts cidr's bans by detection since since.
func (s *Store) CountDetectionBans(ctx context.Context, cidr string, since time.Time) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM source_rules WHERE list = 'block' AND origin <> 'operator' AND cidr = ? AND created_at >= ?`,
		cidr, micros(since)).Scan(&n)
	return n, wrap(err, "count bans of %s", cidr)
}

// PurgeSourceRules deletes rules that ended before before.
func (s *Store) PurgeSourceRules(ctx context.Context, before time.Time) (int, error) {
	res, err := s.exec(ctx, `DELETE FROM source_rules WHERE expires_at <> 0 AND expires_at < ?`, micros(before))
	if err != nil {
		return 0, wrap(err, "purge source rules")
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
