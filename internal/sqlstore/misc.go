package sqlstore

import (
	"context"
	"time"

	"tuango/internal/tuango"
)

// FindIdempotency finds the stored response of a key.
func (s *Store) FindIdempotency(ctx context.Context, scope, key string) (*tuango.IdempotencyRecord, error) {
	var r tuango.IdempotencyRecord
	var created int64
	err := s.queryRow(ctx, `SELECT scope, key, fingerprint, status, body, created_at FROM idempotency_records WHERE scope = ? AND key = ?`,
		scope, key).Scan(&r.Scope, &r.Key, &r.Fingerprint, &r.Status, &r.Body, &created)
	if err != nil {
		return nil, wrap(notFound(err), "find idempotency key")
	}
	r.CreatedAt = fromMicros(created)
	return &r, nil
}

// SaveIdempotency stores a key's response; a second one is a conflict.
func (s *Store) SaveIdempotency(ctx context.Context, r *tuango.IdempotencyRecord) error {
	return s.SaveIdempotencies(ctx, []*tuango.IdempotencyRecord{r})
}

// DeleteIdempotencyBefore deletes records created before t.
func (s *Store) DeleteIdempotencyBefore(ctx context.Context, t time.Time) (int, error) {
	res, err := s.exec(ctx, `DELETE FROM idempotency_records WHERE created_at < ?`, micros(t))
	if err != nil {
		return 0, wrap(err, "purge idempotency keys")
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// AcquireLease takes or renews a named lease.
func (s *Store) AcquireLease(ctx context.Context, name, owner string, now, until time.Time) (bool, error) {
	ok, err := s.execOne(ctx, `INSERT INTO job_leases (name, owner, lease_until) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
		WHERE job_leases.lease_until <= ? OR job_leases.owner = excluded.owner`, name, owner, micros(until), micros(now))
	return ok, wrap(err, "acquire lease %s", name)
}

// Setting returns a named setting, storing def first if there is none.
func (s *Store) Setting(ctx context.Context, name, def string) (string, error) {
	if _, err := s.exec(ctx, `INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, def); err != nil {
		return "", wrap(err, "store setting %s", name)
	}
	var v string
	err := s.queryRow(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	return v, wrap(err, "read setting %s", name)
}
