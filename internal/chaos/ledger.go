package chaos

import (
	"context"
	"database/sql"
	"slices"

	"tuango/internal/sqlstore"
	"tuango/internal/tuango"
)

// ledgerChecks adds the ledger's rules (INVARIANTS 15–19) to the checks,
// computed by the same verification as tuango ledger verify, from the raw
// tables: the journal and the records it must agree with.
func (c *checker) ledgerChecks(ctx context.Context, db *sql.DB) {
	d, err := sqlstore.LoadLedgerData(ctx, db)
	var r tuango.LedgerReport
	if err == nil {
		r = tuango.VerifyLedger(*d)
	}
	rule := func(name, text string, checked int, kinds ...string) {
		c.run(name, text, func(v *verdict) {
			if err != nil {
				v.fail("cannot read the ledger: %v", err)
				return
			}
			for _, x := range r.Violations {
				if slices.Contains(kinds, x.Kind) {
					v.fail("%s", x)
				}
			}
			for range checked - v.r.Violations {
				v.pass()
			}
		})
	}
	var sets, orders, payments int
	if d != nil {
		sets, orders, payments = len(d.Sets), len(d.Orders), len(d.Payments)+len(d.Refunds)
	}
	rule("ledger_sets_balance", "every transfer set sums to zero; the trial balance is zero", sets+1,
		tuango.ViolationUnbalancedSet, tuango.ViolationTrialBalance)
	rule("ledger_balances_fold", "every balance is the fold of the journal, and no party's account is negative", len(r.Balances),
		tuango.ViolationNegativeBalance)
	rule("ledger_event_once", "each money event has exactly one set, committed with its state change", payments+orders,
		tuango.ViolationCapture, tuango.ViolationRefundUnposted, tuango.ViolationCustomerMoney)
	rule("ledger_parties", "payables and commissions match orders, rates and costs; refunds within what was paid; the provider agrees", payments+orders,
		tuango.ViolationHandover, tuango.ViolationRefundExceedsLine, tuango.ViolationRefundExceedsPaid, tuango.ViolationProvider)
}
