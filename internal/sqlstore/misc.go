package sqlstore

import (
	"context"
	"strings"
	"time"

	"tuango/internal/tuango"
)

// FindIdempotency finds the stored response of a key.
func (s *Store) FindIdempotency(ctx context.Context, scope, key string) (*tuango.IdempotencyRecord, error) {
	var r tuango.IdempotencyRecord
	var created int64
	err := s.queryRow(ctx, `SELECT scope, key, fingerprint, body, created_at FROM idempotency_records WHERE scope = ? AND key = ?`,
		scope, key).Scan(&r.Scope, &r.Key, &r.Fingerprint, &r.Body, &created)
	if err != nil {
		return nil, wrap(notFound(err), "find idempotency key")
	}
	r.CreatedAt = fromMicros(created)
	return &r, nil
}

// FindIdempotencies finds the records of many keys, up to 128 pairs per
// statement (padded as inChunks pads), each pair looked up by the primary
// key.
func (s *Store) FindIdempotencies(ctx context.Context, keys []tuango.IdemKey) ([]tuango.IdempotencyRecord, error) {
	var out []tuango.IdempotencyRecord
	seen := map[tuango.IdemKey]bool{}
	for len(keys) > 0 {
		n := min(len(keys), chunkSizes[0])
		c := readChunk(n)
		args := make([]any, 0, 2*c)
		for i := range c {
			k := keys[min(i, n-1)]
			args = append(args, k.Scope, k.Key)
		}
		// A join from the pairs, not "(scope, key) IN (VALUES ...)": for
		// that, SQLite scans the whole table.
		rows, err := s.query(ctx, `WITH k(scope, key) AS (VALUES `+strings.TrimSuffix(strings.Repeat("(?, ?), ", c), ", ")+`)
			SELECT r.scope, r.key, r.fingerprint, r.body, r.created_at
			FROM k JOIN idempotency_records r ON r.scope = k.scope AND r.key = k.key`, args...)
		if err != nil {
			return nil, wrap(err, "find %d idempotency keys", len(keys))
		}
		for rows.Next() {
			var r tuango.IdempotencyRecord
			var created int64
			if err := rows.Scan(&r.Scope, &r.Key, &r.Fingerprint, &r.Body, &created); err != nil {
				rows.Close()
				return nil, wrap(err, "find idempotency keys")
			}
			if k := (tuango.IdemKey{Scope: r.Scope, Key: r.Key}); !seen[k] { // a padded or repeated key
				seen[k] = true
				r.CreatedAt = fromMicros(created)
				out = append(out, r)
			}
		}
		if err := rows.Close(); err != nil {
			return nil, wrap(err, "find idempotency keys")
		}
		if err := rows.Err(); err != nil {
			return nil, wrap(err, "find idempotency keys")
		}
		keys = keys[n:]
	}
	return out, nil
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
