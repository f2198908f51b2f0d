package sqlstore

import (
	"context"
	"time"
)

// CountUnpaidOrders counts each customer's orders awaiting payment whose
// deadline has not passed.
func (s *Store) CountUnpaidOrders(ctx context.Context, userIDs []string, now time.Time) (map[string]int, error) {
	out := map[string]int{}
	err := inChunks(userIDs, func(marks string, args []any) error {
		type row struct {
			user string
			n    int
		}
		rows, err := queryAll(s, ctx, func(sc scanner, r *row) error { return sc.Scan(&r.user, &r.n) },
			`SELECT user_id, COUNT(*) FROM orders WHERE user_id IN (`+marks+`) AND status = 'pending_payment' AND expires_at > ? GROUP BY user_id`,
			append(args, micros(now))...)
		for _, r := range rows {
			out[r.user] = r.n
		}
		return err
	})
	return out, wrap(err, "count unpaid orders")
}
