package chaos

import (
	"strings"
	"testing"
)

// The ledger's checks pass on a real run and report a broken journal: a
// set that does not balance, a capture posted twice, a party's account
// below zero.
func TestLedgerChecksCatchABrokenJournal(t *testing.T) {
	f := newFixture(t)
	f.play()
	r := f.check(f.rec.History(), f.setup)
	for _, c := range r.Checks {
		if strings.HasPrefix(c.Name, "ledger_") && (c.Violations != 0 || c.Checked == 0) {
			t.Errorf("%s on a consistent run: %+v", c.Name, c)
		}
	}
	f.exec(`UPDATE ledger_transfers SET amount_fen = amount_fen + 1 WHERE account = 'provider_clearing' AND n = 1
		AND set_id = (SELECT MIN(id) FROM ledger_sets WHERE event = 'payment_captured')`)
	f.exec(`INSERT INTO ledger_sets (id, event, event_key, order_id, payment_id, refund_id, line_no, at)
		SELECT 'lgs_twice', event, 'twice', order_id, payment_id, '', 0, at FROM ledger_sets WHERE event = 'payment_captured' ORDER BY id LIMIT 1`)
	f.exec(`INSERT INTO ledger_transfers (set_id, n, account, amount_fen, order_id, at) VALUES ('lgs_twice', 1, 'supplier_payable:x', -3, '', 1)`)
	f.exec(`INSERT INTO ledger_transfers (set_id, n, account, amount_fen, order_id, at) VALUES ('lgs_twice', 2, 'platform_revenue', 3, '', 1)`)
	r = f.check(f.rec.History(), f.setup)
	got := map[string]int{}
	for _, c := range r.Checks {
		got[c.Name] = c.Violations
	}
	for _, name := range []string{"ledger_sets_balance", "ledger_balances_fold", "ledger_event_once"} {
		if got[name] == 0 {
			t.Errorf("%s did not report the broken journal: %v", name, got)
		}
	}
	if r.Ok() {
		t.Error("the report of a broken journal is OK")
	}
}
