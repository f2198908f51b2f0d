package sqlstore

import (
	"context"

	"tuango/internal/tuango"
)

// PostgreSQL plans a prepared statement once for every value, and a plan
// made while a table was small lasts until the table is next analyzed,
// which during a flash sale on a fresh deal can be a minute and tens of
// thousands of orders away. For a batch's lookups by many keys the
// statements below ask for what no table size can turn into a scan: one
// index probe per key, in a LATERAL subquery with LIMIT 1 that the planner
// cannot flatten into a hash join over the whole table. Measured in a
// three-node sale of 40,000 units (docs/benchmarks.md, "The eighth day"):
// the join from VALUES became a sequential scan of orders, 12 ms a batch,
// and the limit counters a read of every counter of the hot deal, 3 ms a
// batch under its lock; and under the cap on unpaid orders the count of a
// batch's customers' unpaid orders read every unpaid order of the sale
// ("The ninth day"). Each takes one array per column, so one text serves
// every batch size. SQLite plans each statement's join order from its
// indexes, not from the table's size, and keeps the forms of
// FindIdempotencies and FindLimitUnits; its count of unpaid orders is held
// to its index by INDEXED BY (order_unpaid.go).

const postgresFindIdempotencies = `SELECT 0, r.scope, r.key, r.fingerprint, r.body, r.created_at, '', 0
	FROM unnest($1::text[], $2::text[]) AS k(scope, key)
	CROSS JOIN LATERAL (SELECT scope, key, fingerprint, body, created_at FROM idempotency_records
		WHERE scope = k.scope AND key = k.key LIMIT 1) r
	UNION ALL
	SELECT 1, o.user_id, o.idempotency_key, o.idempotency_fingerprint, NULL, o.created_at, o.id, o.placed_expires_at
	FROM unnest($1::text[], $2::text[]) AS k(scope, key)
	CROSS JOIN LATERAL (SELECT user_id, idempotency_key, idempotency_fingerprint, created_at, id, placed_expires_at FROM orders
		WHERE user_id = k.scope AND idempotency_key = k.key LIMIT 1) o`

const postgresFindLimitUnits = `SELECT c.user_id, c.units FROM unnest($2::text[]) AS u(id)
	CROSS JOIN LATERAL (SELECT user_id, units FROM customer_deal_units WHERE deal_id = $1 AND user_id = u.id LIMIT 1) c`

// postgresCountUnpaid names the collation of orders_user_unpaid's
// predicate (migration 0027), which orders_status_expiry's status column
// does not have: that index cannot serve the status, and the count probes
// orders_user_unpaid by customer.
const postgresCountUnpaid = `SELECT u.id, c.n FROM unnest($1::text[]) AS u(id)
	CROSS JOIN LATERAL (SELECT count(*) AS n FROM orders
		WHERE user_id = u.id AND status = 'pending_payment' COLLATE "C" AND expires_at > $2) c
	WHERE c.n > 0`

// findIdempotenciesPostgres is FindIdempotencies' statement on PostgreSQL:
// every key of keys at once, each looked up by its index.
func (s *Store) findIdempotenciesPostgres(ctx context.Context, keys []tuango.IdemKey) ([]sourcedRecord, error) {
	scopes, names := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		scopes[i], names[i] = k.Scope, k.Key
	}
	return queryAll(s, ctx, scanIdempotency, postgresFindIdempotencies, scopes, names)
}

// findLimitUnitsPostgres is FindLimitUnits' statement on PostgreSQL.
func (s *Store) findLimitUnitsPostgres(ctx context.Context, dealID string, userIDs []string) ([]tuango.LimitUnits, error) {
	return queryAll(s, ctx, func(sc scanner, l *tuango.LimitUnits) error { return sc.Scan(&l.UserID, &l.Units) },
		postgresFindLimitUnits, dealID, userIDs)
}
