package chaos

import (
	"context"
	"database/sql"

	"tuango/internal/sqlstore"
	"tuango/internal/tuango"
)

// auditChecks adds INVARIANTS 20: the audit log's hash chain verifies from
// the first record to the last, and every money movement (each ledger set)
// has its record, written in the set's transaction, so that no kill can
// leave one without the other.
func (c *checker) auditChecks(ctx context.Context, db *sql.DB) {
	rs, err := sqlstore.LoadAudit(ctx, db)
	d, lerr := sqlstore.LoadLedgerData(ctx, db)
	c.run("audit_chain_verifies", "the audit log's hash chain verifies from the first record to the last", func(v *verdict) {
		if err != nil {
			v.fail("cannot read the audit log: %v", err)
			return
		}
		chained := 0
		for chained < len(rs) && rs[chained].Seq != 0 {
			chained++
		}
		n, b := tuango.CheckAuditChain(0, "", rs[:chained])
		for range n {
			v.pass()
		}
		if b != nil {
			v.fail("%v", b)
		}
	})
	c.run("money_audited", "every ledger set has its audit record (money.<event>, subject the set's key)", func(v *verdict) {
		if err != nil || lerr != nil {
			v.fail("cannot read the audit log or the ledger: %v %v", err, lerr)
			return
		}
		have := map[string]bool{}
		for _, r := range rs {
			have[r.Kind+"\x00"+r.Subject] = true
		}
		for _, s := range d.Sets {
			if have[tuango.AuditMoneyPrefix+string(s.Event)+"\x00"+s.Key] {
				v.pass()
			} else {
				v.fail("ledger set %s (%s, %s) has no audit record", s.ID, s.Event, s.Key)
			}
		}
	})
}
