package sqlstore

import (
	"context"
	"time"

	"tuango/internal/tuango"
)

func scanIdempotency(sc scanner, r *tuango.IdempotencyRecord) error {
	var created int64
	err := sc.Scan(&r.Scope, &r.Key, &r.Fingerprint, &r.Body, &created)
	r.CreatedAt = fromMicros(created)
	return err
}

// FindIdempotency finds the stored response of a key.
func (s *Store) FindIdempotency(ctx context.Context, scope, key string) (*tuango.IdempotencyRecord, error) {
	var r tuango.IdempotencyRecord
	err := scanIdempotency(s.queryRow(ctx, `SELECT scope, key, fingerprint, body, created_at FROM idempotency_records WHERE scope = ? AND key = ?`,
		scope, key), &r)
	if err != nil {
		return nil, wrap(notFound(err), "find idempotency key")
	}
	return &r, nil
}

// FindIdempotencies finds the records of many keys, up to 128 pairs per
// statement (padded as inChunks pads), each pair looked up by the primary
// key.
func (s *Store) FindIdempotencies(ctx context.Context, keys []tuango.IdemKey) ([]tuango.IdempotencyRecord, error) {
	var out []tuango.IdempotencyRecord
	seen := map[tuango.IdemKey]bool{}
	err := padded(keys, func(part []tuango.IdemKey) error {
		args := make([]any, 0, 2*len(part))
		for _, k := range part {
			args = append(args, k.Scope, k.Key)
		}
		// A join from the pairs, not "(scope, key) IN (VALUES ...)": for
		// that, SQLite scans the whole table.
		found, err := queryAll(s, ctx, scanIdempotency, `WITH k(scope, key) AS (VALUES `+tuples(len(part), 2)+`)
			SELECT r.scope, r.key, r.fingerprint, r.body, r.created_at
			FROM k JOIN idempotency_records r ON r.scope = k.scope AND r.key = k.key`, args...)
		for _, r := range found {
			if k := (tuango.IdemKey{Scope: r.Scope, Key: r.Key}); !seen[k] { // a padded or repeated key
				seen[k] = true
				out = append(out, r)
			}
		}
		return err
	})
	if err != nil {
		return nil, wrap(err, "find %d idempotency keys", len(keys))
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
		// status held the HTTP status when records stored responses; answers
		// are now the domain's own (see tuango.IdempotencyRecord), and it is 0.
		rows[i] = []any{r.Scope, r.Key, r.Fingerprint, 0, r.Body, micros(r.CreatedAt)}
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
