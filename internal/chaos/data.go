package chaos

import (
	"context"
	"database/sql"
	"fmt"
)

// CheckData runs the rules that need no history, only the rows of db
// (dialect "sqlite" or "postgres"): stock never oversold, customers' limits
// and counters, the provider agreeing with payments, every order's moves
// legal, pickups once, refunds within what was paid, and the ledger's
// rules. The restore drill runs it on a restored backup, where no history
// exists; the rules that judge requests against their answers need Check.
func CheckData(ctx context.Context, db *sql.DB, dialect string) Report {
	r := newReport(nil, Setup{})
	if dialect != "sqlite" && dialect != "postgres" {
		r.Err = fmt.Errorf("chaos: unknown dialect %q", dialect)
		return r
	}
	t, err := loadTables(ctx, db)
	if err != nil {
		r.Err = err
		return r
	}
	c := &checker{t: t, x: indexHistory(nil, Setup{})}
	c.run("no_oversell", "per deal: 0 ≤ reserved ≤ stock and reserved = units in live orders", c.noOversell)
	c.run("customer_limits", "per (customer, deal): live units ≤ limit, and the stored counter equals them", c.limits)
	c.run("reconciliation_closes", "provider payments and refunds = tuango's, per payment", c.reconciliation)
	c.run("legal_transitions", "every order's recorded moves are moves of the state machine, ending in its status", c.legalTransitions)
	c.run("pickup_code_once", "an order is handed over at most once, only at its own pickup point, and picked up only so", c.pickupOnce)
	c.run("refunds_within_paid", "per line and per payment, refunds never exceed what was paid, at the price paid, and the stored sums agree", c.refundsWithinPaid)
	c.ledgerChecks(ctx, db)
	r.Checks = c.results
	r.Orders = countOrders(t)
	return r
}
