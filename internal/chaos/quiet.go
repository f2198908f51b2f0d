package chaos

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Quiet: every order's deadline has passed long enough ago for the expiry
// sweep, the reconciliation poll (after --reconcile-after, every five sweep
// intervals) and the refund sweep to have acted.
const (
	quietSlack   = 4 * time.Second
	quietTimeout = 90 * time.Second
)

// waitQuiet polls the raw tables until nothing is left for a job to do: no
// unpaid order, no refund unsent, no payment the provider took that tuango
// has not applied, and every deadline quietSlack in the past. It returns the
// time it found the system quiet, or the time it gave up and why.
func waitQuiet(ctx context.Context, db *sql.DB, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	var last string
	for {
		var pending, refunds, unapplied int
		var lastDeadline int64
		err := db.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM orders WHERE status = 'pending_payment'),
			(SELECT COALESCE(MAX(expires_at), 0) FROM orders),
			(SELECT COUNT(*) FROM refunds WHERE status = 'pending'),
			(SELECT COUNT(*) FROM payments p JOIN sandbox_payments s ON s.payment_id = p.id WHERE p.status = 'pending' AND s.status = 'paid')`).
			Scan(&pending, &lastDeadline, &refunds, &unapplied)
		now := time.Now()
		if err == nil && pending == 0 && refunds == 0 && unapplied == 0 && now.After(micros(lastDeadline).Add(quietSlack)) {
			return now.UTC(), nil
		}
		last = fmt.Sprintf("%d unpaid orders, %d refunds unsent, %d payments taken but not applied, last deadline %s (err %v)",
			pending, refunds, unapplied, micros(lastDeadline).Format("15:04:05.000"), err)
		if now.After(deadline) || ctx.Err() != nil {
			return now.UTC(), fmt.Errorf("not quiet after %s: %s", timeout, last)
		}
		sleep(ctx, 250*time.Millisecond)
	}
}
