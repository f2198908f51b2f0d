package tuango_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"tuango/internal/sqlstore"
	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// ledgerSets returns the store's sets by event, each checked to balance.
func ledgerSets(t *testing.T, w *world) map[tuango.LedgerEvent][]tuango.LedgerSet {
	t.Helper()
	d, err := w.db.LedgerData(context.Background())
	must(t, err)
	m := map[tuango.LedgerEvent][]tuango.LedgerSet{}
	for _, s := range d.Sets {
		var sum tuango.Fen
		for _, tr := range s.Transfers {
			sum += tr.AmountFen
		}
		if sum != 0 {
			t.Errorf("set %s (%s) sums to %d fen", s.Key, s.Event, sum)
		}
		m[s.Event] = append(m[s.Event], s)
	}
	return m
}

// wantLedgerClean checks that the trial balance is zero and verification
// finds nothing wrong.
func wantLedgerClean(t *testing.T, w *world) *tuango.LedgerReport {
	t.Helper()
	ctx := context.Background()
	tb, err := w.svc.TrialBalance(ctx, w.op)
	must(t, err)
	if tb.TotalFen != 0 || len(tb.Accounts) == 0 {
		t.Errorf("trial balance = %+v, want accounts summing to 0", tb)
	}
	d, err := w.db.LedgerData(ctx)
	must(t, err)
	r := tuango.VerifyLedger(*d)
	for _, v := range r.Violations {
		t.Errorf("ledger: %s", v)
	}
	return &r
}

func balanceOf(t *testing.T, w *world, account string) tuango.Fen {
	t.Helper()
	tb, err := w.svc.TrialBalance(context.Background(), w.op)
	must(t, err)
	for _, b := range tb.Accounts {
		if b.Account == account {
			return b.BalanceFen
		}
	}
	return 0
}

func amountIn(s tuango.LedgerSet, account string) tuango.Fen {
	var f tuango.Fen
	for _, t := range s.Transfers {
		if t.Account == account {
			f += t.AmountFen
		}
	}
	return f
}

// dayToPickup pays n orders of qty units each, runs the cutoff, ships and
// signs for them with short units short, and returns the orders, their
// owners and the leader.
func dayToPickup(t *testing.T, w *world, phone string, qtys []int, short int) ([]*tuango.Order, []tuango.Actor, tuango.Actor) {
	t.Helper()
	ctx := context.Background()
	const date = "2026-11-26"
	var orders []*tuango.Order
	var owners []tuango.Actor
	expected := 0
	for i, q := range qtys {
		a := w.customer(t, fmt.Sprintf("%s%02d", phone, i))
		orders = append(orders, w.pay(t, a, w.order(t, a, "k", q)))
		owners = append(owners, a)
		expected += q
	}
	_, err := w.svc.Cutoff(ctx, w.op, "cty_1", date)
	must(t, err)
	leader := w.leader(t, phone+"99")
	shipAll(t, w, date)
	_, err = w.svc.SignDelivery(ctx, leader, tuango.SignRequest{DeliveryDate: date,
		Lines: []tuango.SignLine{{DealID: w.deal, Received: expected - short}}, Idem: idem(leader.UserID, "sign")})
	must(t, err)
	for i := range orders {
		orders[i], err = w.svc.GetOrder(ctx, owners[i], orders[i].ID)
		must(t, err)
	}
	return orders, owners, leader
}

// Every money event posts exactly one balanced set, in its transaction:
// captures, a cancelled paid order's refund, a payment landing on a
// cancelled order and its refund, a shortage at sign-off, pickups, an
// order never collected, refunds paid back, commission released.
func TestEveryMoneyEventPostsOneBalancedSet(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 100)
	ctx := context.Background()

	// A paid order cancelled before the cutoff, and a payment confirmed at
	// the provider for an order the customer cancels meanwhile.
	c := w.customer(t, "13900000001")
	cancelled := w.pay(t, c, w.order(t, c, "c1", 2))
	_, err := w.svc.CancelOrder(ctx, c, cancelled.ID)
	must(t, err)
	lateOrder := w.order(t, c, "c2", 1)
	lateP := w.payment(t, c, lateOrder, "pay-late")
	must(t, w.sb.Confirm(ctx, lateP.ID, c.UserID))
	_, err = w.svc.CancelOrder(ctx, c, lateOrder.ID)
	must(t, err)
	w.clock.Advance(tuango.ReconcileAfter + time.Second)
	_, err = w.svc.Reconcile(ctx, 100)
	must(t, err)

	// Three orders of 2, 1 and 3 units; 2 units short: the last loses 2.
	orders, _, leader := dayToPickup(t, w, "139000001", []int{2, 1, 3}, 2)
	sets := ledgerSets(t, w)
	if n := len(sets[tuango.EventPaymentCaptured]); n != 5 {
		t.Errorf("captures = %d, want 5 (3 delivered, 1 cancelled, 1 late)", n)
	}
	grants := sets[tuango.EventRefundGranted]
	if len(grants) != 3 {
		t.Fatalf("refunds granted = %+v, want 3 (the cancellation, the late payment, the shortage)", grants)
	}
	for _, g := range grants {
		if g.OrderID == orders[2].ID && (g.LineNo != 1 || amountIn(g, tuango.AccountRefunds) != 2*199 || amountIn(g, tuango.AccountCustomerPayments) != -2*199) {
			t.Errorf("shortage refund set = %+v, want 398 fen of line 1 from customer_payments to refunds", g)
		}
	}
	if got := balanceOf(t, w, tuango.AccountRefunds); got != 2*199+199+2*199 {
		t.Errorf("refunds owed = %d, want 995 until the provider pays them back", got)
	}

	// The refund job pays them back: one set each, and a second run posts
	// nothing.
	n, err := w.svc.SendRefunds(ctx, 100)
	must(t, err)
	if n != 3 {
		t.Errorf("SendRefunds = %d, want 3", n)
	}
	if n, _ := w.svc.SendRefunds(ctx, 100); n != 0 {
		t.Errorf("SendRefunds again = %d, want 0", n)
	}
	if got := balanceOf(t, w, tuango.AccountRefunds); got != 0 {
		t.Errorf("refunds owed after the provider paid = %d, want 0", got)
	}
	if n := len(ledgerSets(t, w)[tuango.EventRefundPaid]); n != 3 {
		t.Errorf("refunds paid sets = %d, want 3", n)
	}

	// Pick up the first order: 2 units of 199 at cost 150 and 5%.
	_, err = w.svc.VerifyPickup(ctx, leader, orders[0].PickupCode, idem(leader.UserID, "p0"))
	must(t, err)
	_, err = w.svc.VerifyPickup(ctx, leader, orders[2].PickupCode, idem(leader.UserID, "p2"))
	must(t, err)
	sets = ledgerSets(t, w)
	pickups := sets[tuango.EventPickupCompleted]
	if len(pickups) != 2 {
		t.Fatalf("pickup sets = %d, want 2", len(pickups))
	}
	sup := supplierOf(t, w)
	want := map[string]struct{ paid, cost, k tuango.Fen }{
		orders[0].ID: {398, 300, 20}, // 19.9 rounds to 20
		orders[2].ID: {199, 150, 10}, // one unit left of three: 9.95 rounds to 10
	}
	for _, p := range pickups {
		wv := want[p.OrderID]
		if amountIn(p, tuango.AccountCustomerPayments) != -wv.paid || amountIn(p, tuango.SupplierPayable(sup)) != wv.cost ||
			amountIn(p, tuango.CommissionFrozen(leader.UserID)) != wv.k || amountIn(p, tuango.AccountPlatformRevenue) != wv.paid-wv.cost-wv.k {
			t.Errorf("pickup set of %s = %+v, want paid %d, cost %d, commission %d, the rest revenue", p.OrderID, p.Transfers, wv.paid, wv.cost, wv.k)
		}
	}

	// The second order is never collected: the supplier is owed, no
	// commission.
	w.clock.Advance(tuango.DefaultPickupWindow + time.Hour)
	n, err = w.svc.ExpirePickups(ctx, 100)
	must(t, err)
	if n != 1 {
		t.Fatalf("ExpirePickups = %d, want 1", n)
	}
	un := ledgerSets(t, w)[tuango.EventOrderUnclaimed]
	if len(un) != 1 || amountIn(un[0], tuango.SupplierPayable(sup)) != 150 || amountIn(un[0], tuango.AccountPlatformRevenue) != 49 {
		t.Errorf("unclaimed sets = %+v, want one owing the supplier 150, revenue 49", un)
	}

	// 48 hours after the pickups the commission is released, once.
	n, err = w.svc.ReleaseCommissions(ctx, 100)
	must(t, err)
	if n != 2 {
		t.Errorf("ReleaseCommissions = %d, want 2 (the window closed long ago)", n)
	}
	if n, _ := w.svc.ReleaseCommissions(ctx, 100); n != 0 {
		t.Errorf("ReleaseCommissions again = %d, want 0", n)
	}
	if f, a := balanceOf(t, w, tuango.CommissionFrozen(leader.UserID)), balanceOf(t, w, tuango.CommissionAvailable(leader.UserID)); f != 0 || a != 30 {
		t.Errorf("leader commission frozen %d, available %d; want 0 and 30", f, a)
	}
	if got := balanceOf(t, w, tuango.AccountCustomerPayments); got != 0 {
		t.Errorf("customer money held after every order ended = %d, want 0", got)
	}
	if got := balanceOf(t, w, tuango.AccountProviderClearing); got != -(398 + 199 + 597 - 398) {
		t.Errorf("provider clearing = %d, want minus what the provider keeps for the platform", got)
	}
	wantLedgerClean(t, w)
}

func supplierOf(t *testing.T, w *world) string {
	t.Helper()
	d, err := w.db.Store().FindDealByID(context.Background(), w.deal)
	must(t, err)
	p, err := w.db.Store().FindProductByID(context.Background(), d.ProductID)
	must(t, err)
	return p.SupplierID
}

// The release waits for the city's after-sales window, and a refund of a
// line after pickup takes back the units' cost from the supplier and the
// commission in proportion, from frozen before the release and from
// available after it, until nothing is left of a line refunded in full.
func TestRefundAfterPickupReversesCommissionInProportion(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 100)
	ctx := context.Background()
	orders, _, leader := dayToPickup(t, w, "139000002", []int{4}, 0)
	_, err := w.svc.VerifyPickup(ctx, leader, orders[0].PickupCode, idem(leader.UserID, "p"))
	must(t, err)
	frozen, avail, sup := tuango.CommissionFrozen(leader.UserID), tuango.CommissionAvailable(leader.UserID), supplierOf(t, w)
	if got := balanceOf(t, w, frozen); got != 40 { // 5% of 796 = 39.8
		t.Fatalf("frozen = %d, want 40", got)
	}
	// One unit back while frozen: the commission on 597 is 30, 10 reversed.
	_, err = w.svc.RefundAfterPickup(ctx, orders[0].ID, 1, 1, 199, "missing")
	must(t, err)
	if f, s := balanceOf(t, w, frozen), balanceOf(t, w, tuango.SupplierPayable(sup)); f != 30 || s != 450 {
		t.Errorf("after one unit back: frozen %d, supplier %d; want 30, 450", f, s)
	}
	if _, err := w.svc.RefundAfterPickup(ctx, orders[0].ID, 1, 1, 598, "other"); tuango.ErrorCode(err) != tuango.CodeRefundExceedsPaid {
		t.Errorf("refunding more than is left = %v, want refund_exceeds_paid", err)
	}

	// The city's window is 72 hours: not released at 48.
	must(t, w.svc.SetAfterSalesWindow(ctx, w.op, "cty_1", 72))
	w.clock.Advance(49 * time.Hour)
	if n, err := w.svc.ReleaseCommissions(ctx, 100); err != nil || n != 0 {
		t.Errorf("release inside the city's window = %d, %v; want 0", n, err)
	}
	w.clock.Advance(24 * time.Hour)
	if n, err := w.svc.ReleaseCommissions(ctx, 100); err != nil || n != 1 {
		t.Errorf("release after the city's window = %d, %v; want 1", n, err)
	}
	if f, a := balanceOf(t, w, frozen), balanceOf(t, w, avail); f != 0 || a != 30 {
		t.Errorf("released: frozen %d, available %d; want 0, 30", f, a)
	}
	// One unit damaged, refunded at 100 fen: the supplier loses its cost,
	// the commission on 497 is 24.85 → 25, 5 reversed from available.
	_, err = w.svc.RefundAfterPickup(ctx, orders[0].ID, 1, 1, 100, "damaged")
	must(t, err)
	if a, s := balanceOf(t, w, avail), balanceOf(t, w, tuango.SupplierPayable(sup)); a != 25 || s != 300 {
		t.Errorf("after a second refund: available %d, supplier %d; want 25, 300", a, s)
	}
	// The rest, two units: nothing is left for anyone.
	_, err = w.svc.RefundAfterPickup(ctx, orders[0].ID, 1, 2, 497, "quality")
	must(t, err)
	if a, s := balanceOf(t, w, avail), balanceOf(t, w, tuango.SupplierPayable(sup)); a != 0 || s != 0 {
		t.Errorf("after the whole line came back: available %d, supplier %d; want 0, 0", a, s)
	}
	n := len(ledgerSets(t, w)[tuango.EventRefundAfterPickup])
	if n != 3 {
		t.Errorf("after-pickup refund sets = %d, want 3", n)
	}
	_, err = w.svc.SendRefunds(ctx, 100)
	must(t, err)
	wantLedgerClean(t, w)
}

// Two services on one database sweep the releases at once: each order's
// commission is released exactly once.
func TestCommissionReleasedOnceByTwoServices(t *testing.T) {
	dsn := storetest.DSN(t)
	w := newWorld(t, dsn, 200)
	ctx := context.Background()
	qtys := make([]int, 12)
	for i := range qtys {
		qtys[i] = 1 + i%3
	}
	orders, _, leader := dayToPickup(t, w, "139000003", qtys, 0)
	for i, o := range orders {
		_, err := w.svc.VerifyPickup(ctx, leader, o.PickupCode, idem(leader.UserID, fmt.Sprint("p", i)))
		must(t, err)
	}
	frozen := balanceOf(t, w, tuango.CommissionFrozen(leader.UserID))
	other := newWorld(t, dsn, 200)
	w.clock.Advance(tuango.DefaultAfterSalesWindow + time.Minute)
	other.clock.Advance(w.clock.Now().Sub(other.clock.Now()))
	var wg sync.WaitGroup
	counts := make([]int, 4)
	for i := range counts {
		svc := w.svc
		if i%2 == 1 {
			svc = other.svc
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := svc.ReleaseCommissions(ctx, 5)
			for err == nil && n > 0 {
				counts[i] += n
				n, err = svc.ReleaseCommissions(ctx, 5)
			}
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, n := range counts {
		total += n
	}
	if total != len(orders) {
		t.Errorf("releases counted %v = %d, want %d, one per order", counts, total, len(orders))
	}
	if n := len(ledgerSets(t, w)[tuango.EventCommissionReleased]); n != len(orders) {
		t.Errorf("release sets = %d, want %d", n, len(orders))
	}
	if f, a := balanceOf(t, w, tuango.CommissionFrozen(leader.UserID)), balanceOf(t, w, tuango.CommissionAvailable(leader.UserID)); f != 0 || a != frozen {
		t.Errorf("frozen %d, available %d; want 0 and %d", f, a, frozen)
	}
	wantLedgerClean(t, w)
}

// Data older than the ledger is brought in once, and a replayed event never
// posts twice.
func TestBackfillBringsOldDataInOnce(t *testing.T) {
	dsn := storetest.DSN(t)
	w := newWorld(t, dsn, 100)
	ctx := context.Background()
	orders, _, leader := dayToPickup(t, w, "139000004", []int{2, 3}, 1)
	_, err := w.svc.VerifyPickup(ctx, leader, orders[0].PickupCode, idem(leader.UserID, "p"))
	must(t, err)
	_, err = w.svc.SendRefunds(ctx, 100)
	must(t, err)
	before := ledgerSets(t, w)
	// As if these events happened before the ledger existed.
	raw, _, err := sqlstore.OpenRaw(dsn)
	must(t, err)
	defer raw.Close()
	mustExec(t, raw, `DELETE FROM ledger_transfers`)
	mustExec(t, raw, `DELETE FROM ledger_sets`)
	if d, _ := w.db.LedgerData(ctx); len(tuango.VerifyLedger(*d).Violations) == 0 {
		t.Fatal("an empty ledger over paid orders verifies clean")
	}
	n, err := w.svc.BackfillLedger(ctx)
	must(t, err)
	after := ledgerSets(t, w)
	for _, ev := range []tuango.LedgerEvent{tuango.EventPaymentCaptured, tuango.EventRefundGranted, tuango.EventRefundPaid, tuango.EventPickupCompleted} {
		if len(after[ev]) != len(before[ev]) || len(before[ev]) == 0 {
			t.Errorf("%s: %d sets live, %d backfilled", ev, len(before[ev]), len(after[ev]))
		}
	}
	if n != 2+1+1+1 {
		t.Errorf("BackfillLedger = %d, want 5 sets", n)
	}
	if n, err := w.svc.BackfillLedger(ctx); err != nil || n != 0 {
		t.Errorf("BackfillLedger again = %d, %v; want 0", n, err)
	}
	// A notification delivered again posts nothing more.
	n1 := len(after[tuango.EventPaymentCaptured])
	_, err = w.svc.Reconcile(ctx, 100)
	must(t, err)
	if n2 := len(ledgerSets(t, w)[tuango.EventPaymentCaptured]); n2 != n1 {
		t.Errorf("captures after a replay = %d, want %d", n2, n1)
	}
	wantLedgerClean(t, w)
}

func mustExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// Verification catches each kind of violation in a database broken on
// purpose, one at a time, and a posting made outside its state change's
// transaction (the deliberately broken build) with a crash in between.
func TestVerifyCatchesEachViolation(t *testing.T) {
	dsn := storetest.DSN(t)
	w := newWorld(t, dsn, 100)
	ctx := context.Background()
	orders, _, leader := dayToPickup(t, w, "139000005", []int{2, 3}, 1)
	_, err := w.svc.VerifyPickup(ctx, leader, orders[0].PickupCode, idem(leader.UserID, "p"))
	must(t, err)
	_, err = w.svc.SendRefunds(ctx, 100)
	must(t, err)
	wantLedgerClean(t, w)
	raw, engine, err := sqlstore.OpenRaw(dsn)
	must(t, err)
	defer raw.Close()
	q := func(s string) string { // numbered placeholders on PostgreSQL
		if engine != "postgres" {
			return s
		}
		for i := 1; strings.Contains(s, "?"); i++ {
			s = strings.Replace(s, "?", fmt.Sprintf("$%d", i), 1)
		}
		return s
	}
	var capture, pickup string
	must(t, raw.QueryRow(q(`SELECT id FROM ledger_sets WHERE event = 'payment_captured' AND order_id = ?`), orders[1].ID).Scan(&capture))
	must(t, raw.QueryRow(q(`SELECT id FROM ledger_sets WHERE event = 'pickup_completed' AND order_id = ?`), orders[0].ID).Scan(&pickup))
	set := func(id, event, key, order string, at int64, transfers ...any) (string, string) {
		mustExec(t, raw, q(`INSERT INTO ledger_sets (id, event, event_key, order_id, payment_id, refund_id, line_no, at) VALUES (?, ?, ?, ?, '', '', 0, ?)`), id, event, key, order, at)
		for i := 0; i < len(transfers); i += 2 {
			mustExec(t, raw, q(`INSERT INTO ledger_transfers (set_id, n, account, amount_fen, order_id, at) VALUES (?, ?, ?, ?, ?, ?)`), id, i/2+1, transfers[i], transfers[i+1], order, at)
		}
		return `DELETE FROM ledger_transfers WHERE set_id = '` + id + `'`, `DELETE FROM ledger_sets WHERE id = '` + id + `'`
	}
	cases := []struct {
		kind   string
		break_ func() []string // breaks the database and returns how to mend it
	}{
		{tuango.ViolationUnbalancedSet, func() []string {
			mustExec(t, raw, q(`UPDATE ledger_transfers SET amount_fen = amount_fen + 1 WHERE set_id = ? AND account = 'provider_clearing'`), capture)
			return []string{q(`UPDATE ledger_transfers SET amount_fen = amount_fen - 1 WHERE set_id = '` + capture + `' AND account = 'provider_clearing'`)}
		}},
		{tuango.ViolationTrialBalance, func() []string {
			a, b := set("lgs_broken1", "pickup_completed", "broken1", "", 1, "platform_revenue", 7)
			return []string{a, b}
		}},
		{tuango.ViolationNegativeBalance, func() []string {
			a, b := set("lgs_broken2", "pickup_completed", "broken2", "", 1, "supplier_payable:nobody", -5, "platform_revenue", 5)
			return []string{a, b}
		}},
		{tuango.ViolationCapture, func() []string {
			a, b := set("lgs_broken3", "payment_captured", "broken3", orders[1].ID, 1, "provider_clearing", -10, "customer_payments", 10)
			mustExec(t, raw, q(`UPDATE ledger_sets SET payment_id = (SELECT payment_id FROM ledger_sets WHERE id = ?) WHERE id = 'lgs_broken3'`), capture)
			return []string{a, b}
		}},
		{tuango.ViolationRefundUnposted, func() []string {
			mustExec(t, raw, q(`UPDATE partial_refunds SET amount_fen = amount_fen - 1 WHERE order_id = ?`), orders[1].ID)
			return []string{q(`UPDATE partial_refunds SET amount_fen = amount_fen + 1 WHERE order_id = '` + orders[1].ID + `'`)}
		}},
		{tuango.ViolationRefundExceedsLine, func() []string {
			mustExec(t, raw, q(`UPDATE partial_refunds SET amount_fen = amount_fen + 1000 WHERE order_id = ?`), orders[1].ID)
			return []string{q(`UPDATE partial_refunds SET amount_fen = amount_fen - 1000 WHERE order_id = '` + orders[1].ID + `'`)}
		}},
		{tuango.ViolationRefundExceedsPaid, func() []string {
			mustExec(t, raw, q(`UPDATE partial_refunds SET amount_fen = amount_fen + 1000 WHERE order_id = ?`), orders[1].ID)
			return []string{q(`UPDATE partial_refunds SET amount_fen = amount_fen - 1000 WHERE order_id = '` + orders[1].ID + `'`)}
		}},
		{tuango.ViolationProvider, func() []string {
			mustExec(t, raw, `UPDATE sandbox_payments SET amount_fen = amount_fen + 1`)
			return []string{`UPDATE sandbox_payments SET amount_fen = amount_fen - 1`}
		}},
		{tuango.ViolationCustomerMoney, func() []string {
			a, b := set("lgs_broken4", "pickup_completed", "broken4", orders[0].ID, 1, "customer_payments", 3, "platform_revenue", -3)
			return []string{a, b}
		}},
		{tuango.ViolationHandover, func() []string {
			mustExec(t, raw, q(`UPDATE order_lines SET unit_cost_fen = unit_cost_fen + 1 WHERE order_id = ?`), orders[0].ID)
			return []string{q(`UPDATE order_lines SET unit_cost_fen = unit_cost_fen - 1 WHERE order_id = '` + orders[0].ID + `'`)}
		}},
	}
	for _, c := range cases {
		mend := c.break_()
		d, err := sqlstore.LoadLedgerData(ctx, raw)
		must(t, err)
		found := false
		for _, v := range tuango.VerifyLedger(*d).Violations {
			found = found || v.Kind == c.kind
		}
		if !found {
			t.Errorf("%s: not reported in %v", c.kind, tuango.VerifyLedger(*d).Violations)
		}
		for _, m := range mend {
			mustExec(t, raw, m)
		}
		d, err = sqlstore.LoadLedgerData(ctx, raw)
		must(t, err)
		if vs := tuango.VerifyLedger(*d).Violations; len(vs) != 0 {
			t.Fatalf("%s: mended database still reports %v", c.kind, vs)
		}
	}
}

// The deliberately broken build: postings go through their own
// transaction, and the node dies before the state change commits.
// Verification catches it.
func TestPostingOutsideTheTransactionIsCaught(t *testing.T) {
	dsn := storetest.DSN(t)
	w := newWorld(t, dsn, 100)
	ctx := context.Background()
	raw, _, err := sqlstore.OpenRaw(dsn)
	must(t, err)
	defer raw.Close()
	// The posting is its own transaction, which (on SQLite's one writer)
	// runs once the state change's has ended: here the state change's
	// crashes first.
	crash := fmt.Errorf("the node died before the payment's transaction committed")
	var outside []*tuango.LedgerSet
	restore := tuango.SetPostHook(func(ctx context.Context, _ tuango.Store, set *tuango.LedgerSet) error {
		outside = append(outside, set)
		return crash
	})
	defer restore()
	c := w.customer(t, "13900000698")
	o := w.order(t, c, "k", 1)
	p := w.payment(t, c, o, "pay")
	must(t, w.sb.Confirm(ctx, p.ID, c.UserID))
	w.clock.Advance(tuango.ReconcileAfter + time.Second)
	if _, err := w.svc.Reconcile(ctx, 100); err == nil {
		t.Error("the crash was not reported")
	}
	restore()
	for _, set := range outside {
		must(t, w.db.Store().PostLedgerSet(ctx, set))
	}
	d, err := sqlstore.LoadLedgerData(ctx, raw)
	must(t, err)
	found := false
	for _, v := range tuango.VerifyLedger(*d).Violations {
		found = found || (v.Kind == tuango.ViolationCapture && strings.Contains(v.Detail, p.ID))
	}
	if !found {
		t.Errorf("a capture posted outside its transaction was not caught: %v", tuango.VerifyLedger(*d).Violations)
	}
}

// A coupon's discount is carried by the platform when the goods are handed
// over (coupon_subsidy, as much as the discount), and comes back in
// proportion when units are refunded after pickup; the books balance at
// every step.
func TestCouponSubsidyCarriedAtHandover(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 100)
	ctx := context.Background()
	const date = "2026-11-26"
	a := w.customer(t, "13900000301")
	_, held := w.coupon(t, tuango.CouponThreshold, 100, 500, a)
	placed, err := w.orderWith(w.svc, a, 4, held[a.UserID], "c")
	must(t, err)
	o := w.pay(t, a, placed.Value)
	if o.DiscountFen != 100 {
		t.Fatalf("discount = %d, want 100", o.DiscountFen)
	}
	_, err = w.svc.Cutoff(ctx, w.op, "cty_1", date)
	must(t, err)
	leader := w.leader(t, "13900000399")
	shipAll(t, w, date)
	_, err = w.svc.SignDelivery(ctx, leader, tuango.SignRequest{DeliveryDate: date,
		Lines: []tuango.SignLine{{DealID: w.deal, Received: 4}}, Idem: idem(leader.UserID, "sign")})
	must(t, err)
	if got := balanceOf(t, w, tuango.AccountCouponSubsidy); got != 0 {
		t.Errorf("subsidy before the handover = %d, want 0", got)
	}
	_, err = w.svc.VerifyPickup(ctx, leader, o.PickupCode, idem(leader.UserID, "p"))
	must(t, err)
	if got := balanceOf(t, w, tuango.AccountCouponSubsidy); got != -100 {
		t.Errorf("subsidy after the handover = %d, want -100 (the discount)", got)
	}
	// 796 list, 696 paid: the commission is 5% of what was paid.
	if got := balanceOf(t, w, tuango.CommissionFrozen(leader.UserID)); got != 35 {
		t.Errorf("commission = %d, want 35 (5%% of 696 = 34.8)", got)
	}
	wantLedgerClean(t, w)
	// Every unit back after pickup: what was paid is refunded, the subsidy
	// is given back with the units, nothing is left for anyone.
	o, err = w.svc.GetOrder(ctx, a, o.ID)
	must(t, err)
	l := o.Lines[0]
	_, err = w.svc.RefundAfterPickup(ctx, o.ID, l.LineNo, 1, l.RefundFor(1), "missing")
	must(t, err)
	if got := balanceOf(t, w, tuango.AccountCouponSubsidy); got != -75 {
		t.Errorf("subsidy after one unit of four back = %d, want -75", got)
	}
	o, err = w.svc.GetOrder(ctx, a, o.ID)
	must(t, err)
	l = o.Lines[0]
	_, err = w.svc.RefundAfterPickup(ctx, o.ID, l.LineNo, 3, l.RefundFor(3), "quality")
	must(t, err)
	for _, acct := range []string{tuango.AccountCouponSubsidy, tuango.CommissionFrozen(leader.UserID), tuango.SupplierPayable(supplierOf(t, w))} {
		if got := balanceOf(t, w, acct); got != 0 {
			t.Errorf("%s after the whole line came back = %d, want 0", acct, got)
		}
	}
	wantLedgerClean(t, w)
}
