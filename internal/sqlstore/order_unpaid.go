package sqlstore

import (
	"context"
	"time"
)

// CountUnpaidOrders counts each customer's orders awaiting payment whose
// deadline has not passed. Both engines count them in orders_user_unpaid,
// which holds only the orders awaiting payment, searched by customer:
// both planners otherwise choose orders_status_expiry, and count through
// every unpaid order of every customer, in a flash sale all the sale's
// orders for every batch.
func (s *Store) CountUnpaidOrders(ctx context.Context, userIDs []string, now time.Time) (map[string]int, error) {
	out := map[string]int{}
	type row struct {
		user string
		n    int
	}
	scan := func(sc scanner, r *row) error { return sc.Scan(&r.user, &r.n) }
	if s.db.engine.name() == "postgres" {
		rows, err := queryAll(s, ctx, scan, postgresCountUnpaid, userIDs, micros(now))
		for _, r := range rows {
			out[r.user] = r.n
		}
		return out, wrap(err, "count unpaid orders")
	}
	err := inChunks(userIDs, func(marks string, args []any) error {
		rows, err := queryAll(s, ctx, scan, sqliteCountUnpaid(marks), append(args, micros(now))...)
		for _, r := range rows {
			out[r.user] = r.n
		}
		return err
	})
	return out, wrap(err, "count unpaid orders")
}

// sqliteCountUnpaid is CountUnpaidOrders' statement on SQLite, for the
// customers in marks. Left to choose, SQLite's planner searches
// orders_status_expiry (all the unpaid orders) here; INDEXED BY holds it
// to the customers' entries, and makes the statement fail rather than
// scan if the index is ever gone.
func sqliteCountUnpaid(marks string) string {
	return `SELECT user_id, COUNT(*) FROM orders INDEXED BY orders_user_unpaid
		WHERE user_id IN (` + marks + `) AND status = 'pending_payment' AND expires_at > ? GROUP BY user_id`
}
