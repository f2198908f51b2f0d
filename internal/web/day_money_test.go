package web

import (
	"testing"
	"time"

	"tuango/internal/payment"
	"tuango/internal/tuango"
)

// dayPlaced is one order of the whole-day test, with its customer, its
// city, the last view of it and its payment and coupon, if any.
type dayPlaced struct {
	c      *client
	city   *dayCity
	o      orderView
	pay    string
	coupon string // the customer's coupon (customer_coupons id) the order names
}

// dayCommissionBps is the rate the whole-day test gives every point.
const dayCommissionBps = 800

// dayMoney is the money side of the whole-day test: a coupon the operator
// issues, the after-sales requests and their outcomes, and the payouts.
// It keeps its own records, so that the statements can be recomputed
// without the ledger code.
type dayMoney struct {
	t      *testing.T
	e      *env
	coupon couponView
	ps     *payment.PayoutSandbox
	// after-sales outcomes, counted
	small, approved, rejected int
	late                      string // a request left pending past the window, approved after the release
	// paid out, by party
	withdrawn map[string]tuango.Fen // leader user id → withdrawals paid
	settled   tuango.Fen
}

func newDayMoney(t *testing.T, e *env) *dayMoney {
	m := &dayMoney{t: t, e: e, withdrawn: map[string]tuango.Fen{}}
	from, to := testStart.Add(-time.Hour).Format(time.RFC3339), testStart.Add(60*24*time.Hour).Format(time.RFC3339)
	e.operator.mustDo("POST", "/api/v1/admin/coupons", map[string]any{"name": "满9减3", "kind": "threshold", "amount_off_fen": 300, "min_spend_fen": 900,
		"valid_from": from, "valid_to": to}, 201, &m.coupon)
	m.ps = payment.NewPayoutSandbox(e.store, e.clock)
	e.svc.SetPayoutProvider(m.ps)
	return m
}

// usesCoupon says which of the day's orders carry a coupon: one in ten,
// among them orders that will be paid, cancelled after paying and never
// paid.
func usesCoupon(i int) bool { return i%20 == 0 || i%20 == 7 || i%20 == 9 }

// issue gives c the day's coupon through the API and returns the
// customer's coupon id, read back from GET /api/v1/me/coupons.
func (m *dayMoney) issue(c *client) string {
	m.t.Helper()
	var issued struct{ Issued int }
	m.e.operator.mustDo("POST", "/api/v1/admin/coupons/"+m.coupon.ID+"/issue", map[string]any{"user_ids": []string{c.userID}}, 200, &issued)
	if issued.Issued != 1 {
		m.t.Fatalf("issued %d coupons to one customer, want 1", issued.Issued)
	}
	mine := m.coupons(c)
	if len(mine) != 1 || mine[0].Status != "available" {
		m.t.Fatalf("a customer's coupons after the issue = %+v, want one available", mine)
	}
	return mine[0].ID
}

func (m *dayMoney) coupons(c *client) []customerCouponView {
	m.t.Helper()
	var mine struct{ Items []customerCouponView }
	c.mustDo("GET", "/api/v1/me/coupons", nil, 200, &mine)
	return mine.Items
}

// checkCouponsAfterCutoff: a coupon on a confirmed order is used by it; on
// a cancelled one (by its customer, or expired unpaid at the cutoff) it is
// given back, available again. Each order's discount is the coupon's.
func (m *dayMoney) checkCouponsAfterCutoff(all []*dayPlaced) {
	m.t.Helper()
	used, cancelled, expired := 0, 0, 0
	for _, p := range all {
		if p.coupon == "" {
			if p.o.DiscountFen != 0 {
				m.t.Errorf("order %s has no coupon but a discount of %d", p.o.ID, p.o.DiscountFen)
			}
			continue
		}
		var paid tuango.Fen
		for _, l := range p.o.Items {
			paid += l.PaidFen
		}
		if p.o.DiscountFen != m.coupon.AmountOffFen || paid != p.o.TotalFen-m.coupon.AmountOffFen {
			m.t.Errorf("order %s with the coupon: discount %d, lines paid %d of %d; want %d off", p.o.ID, p.o.DiscountFen, paid, p.o.TotalFen, m.coupon.AmountOffFen)
		}
		mine := m.coupons(p.c)
		if len(mine) != 1 {
			m.t.Errorf("the customer of %s holds %d coupons, want 1", p.o.ID, len(mine))
			continue
		}
		switch p.o.Status {
		case "confirmed":
			used++
			if mine[0].Status != "used" || mine[0].OrderID != p.o.ID {
				m.t.Errorf("the coupon of confirmed order %s is %s on %q, want used by it", p.o.ID, mine[0].Status, mine[0].OrderID)
			}
		case "cancelled":
			if p.pay != "" {
				cancelled++ // paid, then cancelled by its customer
			} else {
				expired++ // never paid, expired by the cutoff
			}
			if mine[0].Status != "available" || mine[0].OrderID != "" {
				m.t.Errorf("the coupon of cancelled order %s is %s on %q, want it given back, available", p.o.ID, mine[0].Status, mine[0].OrderID)
			}
		}
	}
	if used == 0 || cancelled == 0 || expired == 0 {
		m.t.Errorf("%d coupons used, %d given back by a cancel and %d by an expiry; want some of each", used, cancelled, expired)
	}
}

// afterSales asks for refunds on one picked-up order in ten, within the
// window: the whole of its first line. A refund at or under the automatic
// limit is approved at once (small); the rest wait, and the operator
// approves one in two and rejects the others.
func (m *dayMoney) afterSales(all []*dayPlaced) {
	m.t.Helper()
	n := 0
	for _, p := range all {
		p.c.mustDo("GET", "/api/v1/orders/"+p.o.ID, nil, 200, &p.o)
		if p.o.Status != "picked_up" {
			continue
		}
		n++
		if n%10 != 0 {
			continue
		}
		l := p.o.Items[0]
		units := l.Quantity - l.RefundedQty
		if units == 0 {
			continue
		}
		// What the units carry (the coupon's share taken off), computed here.
		want := l.PaidFen*tuango.Fen(l.RefundedQty+units)/tuango.Fen(l.Quantity) - l.PaidFen*tuango.Fen(l.RefundedQty)/tuango.Fen(l.Quantity)
		var as afterSaleView
		p.c.mustDo("POST", "/api/v1/orders/"+p.o.ID+"/after-sales", map[string]any{"line_no": l.LineNo, "quantity": units, "reason": "quality", "note": "不新鲜"},
			201, &as, "Idempotency-Key", newKey())
		if as.RefundFen != want {
			m.t.Errorf("after-sales on %s line %d × %d: refund %d, want %d", p.o.ID, l.LineNo, units, as.RefundFen, want)
		}
		switch {
		case want <= 2000:
			if as.Status != "approved" || as.ApprovedByRule != "small" {
				m.t.Errorf("a refund of %d fen is %s (%q), want approved as small", want, as.Status, as.ApprovedByRule)
			}
			m.small++
		case as.Status != "pending":
			m.t.Errorf("a refund of %d fen is %s, want pending", want, as.Status)
		case m.late == "":
			m.late = as.ID
		case (m.approved+m.rejected)%2 == 0:
			m.e.operator.mustDo("POST", "/api/v1/admin/after-sales/"+as.ID+"/approve", nil, 200, &as)
			m.approved++
		default:
			m.e.operator.mustDo("POST", "/api/v1/admin/after-sales/"+as.ID+"/reject", map[string]any{"reason": "取货时已当面验货"}, 200, &as)
			m.rejected++
		}
	}
	if m.small == 0 || m.approved == 0 || m.rejected == 0 {
		m.t.Errorf("after-sales: %d small, %d approved, %d rejected; want some of each", m.small, m.approved, m.rejected)
	}
}

// windowClosed: once the clock passed the window, a picked-up order's
// request is refused.
func (m *dayMoney) windowClosed(all []*dayPlaced) {
	m.t.Helper()
	for _, p := range all {
		if p.o.Status != "picked_up" || p.o.Items[0].RefundedQty == p.o.Items[0].Quantity {
			continue
		}
		r := p.c.do("POST", "/api/v1/orders/"+p.o.ID+"/after-sales", map[string]any{"line_no": p.o.Items[0].LineNo, "quantity": 1, "reason": "quality"}, "Idempotency-Key", newKey())
		if pr := r.problem(); r.status != 409 || pr.Code != tuango.CodeAfterSalesWindowClosed {
			m.t.Errorf("after-sales after the window = %d %s, want 409 after_sales_window_closed", r.status, r.body)
		}
		return
	}
	m.t.Errorf("no picked-up order to ask about after the window")
}

// approveLate: a request asked in time may be decided after the window
// closed; its order's commission stayed frozen until then, so its refund
// takes the commission back from what is frozen, and the release follows.
func (m *dayMoney) approveLate(all []*dayPlaced) {
	m.t.Helper()
	var as afterSaleView
	m.e.operator.mustDo("POST", "/api/v1/admin/after-sales/"+m.late+"/approve", nil, 200, &as)
	if as.Status != "approved" {
		m.t.Errorf("the late approval of %s = %+v", m.late, as)
	}
	m.approved++
	for _, p := range all {
		if p.o.ID == as.OrderID {
			p.c.mustDo("GET", "/api/v1/orders/"+p.o.ID, nil, 200, &p.o)
			if l := p.o.Items[as.LineNo-1]; l.RefundedQty != l.Quantity || l.RefundedFen != l.PaidFen {
				m.t.Errorf("order %s line %d after the late approval: refunded %d of %d units, %d of %d fen", p.o.ID, l.LineNo, l.RefundedQty, l.Quantity, l.RefundedFen, l.PaidFen)
			}
		}
	}
}

// payouts: the leader with the most commission withdraws twice — the
// first payout is taken and then failed by the provider (returned), the
// second refused once at sending and paid at the next sweep — and the
// supplier's days so far are settled, paid by the sweep.
func (m *dayMoney) payouts(cities []*dayCity, sweep func(string)) {
	m.t.Helper()
	var best *client
	var most tuango.Fen
	for _, c := range cities {
		for _, leader := range c.leaders {
			var bal leaderWithdrawalsView
			leader.mustDo("GET", "/api/v1/leader/withdrawals", nil, 200, &bal)
			if bal.FrozenFen != 0 {
				m.t.Errorf("leader %s has %d fen frozen after the window and the release", leader.userID, bal.FrozenFen)
			}
			if bal.AvailableFen > most {
				best, most = leader, bal.AvailableFen
			}
		}
	}
	if best == nil || most < 400 {
		m.t.Fatalf("no leader has commission to withdraw (most %d fen)", most)
	}
	withdraw := func(amount tuango.Fen, faults payment.PayoutFaults, want string) {
		m.e.clock.Advance(time.Minute) // the leader's history lists the newest first
		var p payoutView
		best.mustDo("POST", "/api/v1/leader/withdrawals", map[string]any{"amount_fen": amount}, 201, &p, "Idempotency-Key", newKey())
		m.e.operator.mustDo("POST", "/api/v1/admin/withdrawals/"+p.ID+"/approve", nil, 200, &p)
		m.ps.SetFaults(faults)
		sweep("send_payouts")
		m.ps.SetFaults(payment.PayoutFaults{})
		sweep("send_payouts")
		sweep("send_payouts")
		var bal leaderWithdrawalsView
		best.mustDo("GET", "/api/v1/leader/withdrawals", nil, 200, &bal)
		status := ""
		for _, it := range bal.Items {
			if it.ID == p.ID {
				status = it.Status
			}
		}
		if status != want || bal.PendingFen != 0 {
			m.t.Errorf("withdrawal %s is %q (%d fen pending) after the sweeps, want %s: %+v", p.ID, status, bal.PendingFen, want, bal.Items)
		}
		if want == "paid" {
			m.withdrawn[best.userID] += amount
		}
	}
	withdraw(most/2, payment.PayoutFaults{Fail: 1}, "failed")
	withdraw(most/2, payment.PayoutFaults{FailSend: 1}, "paid")

	yesterday := m.e.clock.Now().Add(8*time.Hour - 24*time.Hour).Format(time.DateOnly)
	var sts list[settlementView]
	m.e.operator.mustDo("POST", "/api/v1/admin/settlements", map[string]any{"to": yesterday, "supplier_id": m.e.supplierID}, 200, &sts)
	if len(sts.Items) != 1 || sts.Items[0].AmountFen <= 0 || sts.Items[0].Payout == nil {
		m.t.Fatalf("settlement = %+v, want one paying the supplier", sts)
	}
	m.ps.SetFaults(payment.PayoutFaults{FailSend: 1})
	sweep("send_payouts")
	m.ps.SetFaults(payment.PayoutFaults{})
	sweep("send_payouts")
	sweep("send_payouts")
	if n := m.e.count(`SELECT COUNT(*) FROM payouts WHERE id = ? AND status = 'paid'`, sts.Items[0].Payout.ID); n != 1 {
		m.t.Errorf("the settlement's payout is not paid after the sweeps")
	}
	m.settled = sts.Items[0].AmountFen
}

// commission is a line's commission on what stays paid, rounded to the
// nearest fen, halves up.
func commission(paid tuango.Fen, bps int) tuango.Fen {
	return (paid*tuango.Fen(bps) + 5000) / 10000
}

// checkBooks ends the day: the trial balance is 0, the ledger verifies,
// each leader's and the supplier's statement for the whole period equals
// what the test computes from the orders, and the coupon subsidy is the
// discounts on what was handed over.
func (m *dayMoney) checkBooks(all []*dayPlaced, cities []*dayCity, unitCost tuango.Fen) {
	m.t.Helper()
	var payable, subsidy tuango.Fen
	earned := map[string]tuango.Fen{} // pickup point → commission
	for _, p := range all {
		if p.o.Status != "picked_up" && p.o.Status != "unclaimed" {
			continue
		}
		for _, l := range p.o.Items {
			kept := l.Quantity - l.RefundedQty
			stays := l.PaidFen - l.RefundedFen
			payable += unitCost * tuango.Fen(kept)
			subsidy += l.UnitPriceFen*tuango.Fen(kept) - stays
			if p.o.Status == "picked_up" {
				if l.CommissionBps != dayCommissionBps {
					m.t.Errorf("order %s line %d: commission_bps %d, the point's %d", p.o.ID, l.LineNo, l.CommissionBps, dayCommissionBps)
				}
				earned[p.o.PickupPointID] += commission(stays, dayCommissionBps)
			}
		}
	}

	var tb trialBalanceView
	m.e.operator.mustDo("GET", "/api/v1/admin/ledger/trial-balance", nil, 200, &tb)
	if tb.TotalFen != 0 {
		m.t.Errorf("trial balance = %d, want 0", tb.TotalFen)
	}
	var couponSubsidy tuango.Fen
	for _, a := range tb.Accounts {
		if a.Account == "coupon_subsidy" {
			couponSubsidy = a.BalanceFen
		}
	}
	if subsidy <= 0 || couponSubsidy != -subsidy {
		m.t.Errorf("coupon_subsidy = %d, want minus the %d fen of discounts on the goods handed over", couponSubsidy, subsidy)
	}
	wantLedgerVerified(m.t, m.e)
	var commissions tuango.Fen
	for _, k := range earned {
		commissions += k
	}
	m.t.Logf("money: %d after-sales small, %d approved, %d rejected; payable %d, settled %d, commission %d, withdrawn %v, coupon discounts %d",
		m.small, m.approved, m.rejected, payable, m.settled, commissions, m.withdrawn, subsidy)

	period := "?from=2026-11-01&to=" + m.e.clock.Now().Add(8*time.Hour).Format(time.DateOnly)
	var st statementView
	m.e.roleUser(tuango.RoleSupplier, m.e.supplierID).mustDo("GET", "/api/v1/supplier/statement"+period, nil, 200, &st)
	if want := payable - m.settled; st.OpeningFen != 0 || tuango.Fen(st.ClosingFen) != want || tuango.Fen(st.AvailableFen) != want {
		m.t.Errorf("supplier statement: opening %d closing %d available %d; want 0 and %d (%d payable for the goods less %d settled)",
			st.OpeningFen, st.ClosingFen, st.AvailableFen, want, payable, m.settled)
	}
	for _, c := range cities {
		for pp, leader := range c.leaders {
			var st statementView
			leader.mustDo("GET", "/api/v1/leader/statement"+period, nil, 200, &st)
			want := earned[pp] - m.withdrawn[leader.userID]
			if st.OpeningFen != 0 || tuango.Fen(st.ClosingFen) != want || tuango.Fen(st.AvailableFen) != want || st.FrozenFen != 0 {
				m.t.Errorf("leader of %s: opening %d closing %d available %d frozen %d; want 0, %d, %d, 0 (%d earned less %d withdrawn)",
					pp, st.OpeningFen, st.ClosingFen, st.AvailableFen, st.FrozenFen, want, want, earned[pp], m.withdrawn[leader.userID])
			}
		}
	}
}
