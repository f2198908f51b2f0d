package chaos

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// waitDayQuiet polls the raw tables until the day is over: no order of the
// date waits to be dispatched, signed or collected, no refund is unsent,
// and every notification is sent.
func waitDayQuiet(ctx context.Context, db *sql.DB, dialect, city, date string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var open, refunds, partial, unsent int
		err := db.QueryRowContext(ctx, rebind(dialect, `SELECT
			(SELECT COUNT(*) FROM orders WHERE city_id = ? AND delivery_date = ? AND status IN ('paid', 'confirmed', 'shipped', 'arrived')),
			(SELECT COUNT(*) FROM refunds WHERE status = 'pending'),
			(SELECT COUNT(*) FROM partial_refunds WHERE status = 'pending'),
			(SELECT COUNT(*) FROM outbox WHERE sent_at = 0)`), city, date).Scan(&open, &refunds, &partial, &unsent)
		if err == nil && open == 0 && refunds == 0 && partial == 0 && unsent == 0 {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the day was not over after %s: %d orders of %s still open, %d refunds and %d partial refunds unsent, %d notifications unsent (err %v)",
				timeout, open, date, refunds, partial, unsent, err)
		}
		sleep(ctx, 250*time.Millisecond)
	}
}

func cutoffSummary(confirmed, cancelled, units int) string {
	return fmt.Sprintf("confirmed %d, cancelled %d, units %d", confirmed, cancelled, units)
}

// rebind writes the ? placeholders of q as PostgreSQL's $n.
func rebind(dialect, q string) string {
	if dialect != "postgres" {
		return q
	}
	out := make([]byte, 0, len(q)+8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			out = append(out, fmt.Sprintf("$%d", n)...)
			continue
		}
		out = append(out, q[i])
	}
	return string(out)
}
