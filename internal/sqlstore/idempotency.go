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
	err := s.queryRow(ctx, `SELECT scope, key, fingerprint, status, body, created_at FROM idempotency_records WHERE scope = ? AND key = ?`,
		scope, key).Scan(&r.Scope, &r.Key, &r.Fingerprint, &r.Status, &r.Body, &created)
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
			SELECT r.scope, r.key, r.fingerprint, r.status, r.body, r.created_at
			FROM k JOIN idempotency_records r ON r.scope = k.scope AND r.key = k.key`, args...)
		if err != nil {
			return nil, wrap(err, "find %d idempotency keys", len(keys))
		}
		for rows.Next() {
			var r tuango.IdempotencyRecord
			var created int64
			if err := rows.Scan(&r.Scope, &r.Key, &r.Fingerprint, &r.Status, &r.Body, &created); err != nil {
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

// SaveIdempotencies stores records; an existing key is a conflict.
func (s *Store) SaveIdempotencies(ctx context.Context, rs []*tuango.IdempotencyRecord) error {
	rows := make([][]any, len(rs))
	for i, r := range rs {
		rows[i] = []any{r.Scope, r.Key, r.Fingerprint, r.Status, r.Body, micros(r.CreatedAt)}
	}
	err := s.insertRows(ctx, `INSERT INTO idempotency_records (scope, key, fingerprint, status, body, created_at)`, "", 6, rows)
	return wrap(s.db.engine.translate(err), "save %d idempotency keys", len(rs))
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
