package sqlstore

import (
	"context"
	"time"

	"tuango/internal/tuango"
)

// idempotencySelect reads a key's record from either place it is kept:
// stored (source 0), or as the order the customer placed with the key
// (source 1, see tuango's placed.go). Each branch takes its arguments
// (scope, key) from k, a table of pairs the caller puts in front.
const idempotencySelect = `SELECT 0, r.scope, r.key, r.fingerprint, r.body, r.created_at, '', 0
	FROM k JOIN idempotency_records r ON r.scope = k.scope AND r.key = k.key
	UNION ALL
	SELECT 1, o.user_id, o.idempotency_key, o.idempotency_fingerprint, NULL, o.created_at, o.id, o.placed_expires_at
	FROM k JOIN orders o ON o.user_id = k.scope AND o.idempotency_key = k.key`

// idempotencySelectOne is idempotencySelect for one key, (scope, key)
// twice, without the table of pairs: most of a sell-out's refusals read
// their key alone (see tuango's keyreader.go), and without the table
// such a refusal costs 12-20 % less CPU (BenchmarkSoldOutRefusal/few).
const idempotencySelectOne = `SELECT 0, scope, key, fingerprint, body, created_at, '', 0
	FROM idempotency_records WHERE scope = ? AND key = ?
	UNION ALL
	SELECT 1, user_id, idempotency_key, idempotency_fingerprint, NULL, created_at, id, placed_expires_at
	FROM orders WHERE user_id = ? AND idempotency_key = ?`

type sourcedRecord struct {
	source int
	tuango.IdempotencyRecord
}

func scanIdempotency(sc scanner, r *sourcedRecord) error {
	var created, expires int64
	err := sc.Scan(&r.source, &r.Scope, &r.Key, &r.Fingerprint, &r.Body, &created, &r.OrderID, &expires)
	r.CreatedAt, r.Expires = fromMicros(created), fromMicros(expires)
	return err
}

// FindIdempotency finds the record of a key (see FindIdempotencies).
func (s *Store) FindIdempotency(ctx context.Context, scope, key string) (*tuango.IdempotencyRecord, error) {
	recs, err := s.FindIdempotencies(ctx, []tuango.IdemKey{{Scope: scope, Key: key}})
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, wrap(tuango.ErrNotFound, "find idempotency key")
	}
	return &recs[0], nil
}

// FindIdempotencies finds the records of many keys, each pair looked up by
// the primary key of the stored records and by the orders' (customer, key)
// index: on SQLite up to 128 pairs per statement (padded as inChunks
// pads), on PostgreSQL all of them in one (see postgres_reads.go). A
// key with both (placed before migration 0025 and sent again since, which
// the order's insert refuses) is answered by its stored record.
func (s *Store) FindIdempotencies(ctx context.Context, keys []tuango.IdemKey) ([]tuango.IdempotencyRecord, error) {
	var out []tuango.IdempotencyRecord
	at := map[tuango.IdemKey]int{}
	keep := func(found []sourcedRecord) {
		for _, r := range found {
			k := tuango.IdemKey{Scope: r.Scope, Key: r.Key}
			i, seen := at[k]
			switch {
			case !seen: // the first of a padded or repeated key
				at[k] = len(out)
				out = append(out, r.IdempotencyRecord)
			case r.source == 0:
				out[i] = r.IdempotencyRecord
			}
		}
	}
	var err error
	if len(keys) > 1 && s.db.engine.name() == "postgres" {
		var found []sourcedRecord
		found, err = s.findIdempotenciesPostgres(ctx, keys)
		keep(found)
	} else {
		err = padded(keys, func(part []tuango.IdemKey) error {
			args := make([]any, 0, 2*len(part))
			for _, k := range part {
				args = append(args, k.Scope, k.Key)
			}
			query := idempotencySelectOne
			if len(part) == 1 {
				args = append(args, args...)
			} else {
				// A join from the pairs, not "(scope, key) IN (VALUES ...)":
				// for that, SQLite scans the whole table.
				query = `WITH k(scope, key) AS (VALUES ` + tuples(len(part), 2) + `) ` + idempotencySelect
			}
			found, err := queryAll(s, ctx, scanIdempotency, query, args...)
			keep(found)
			return err
		})
	}
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
