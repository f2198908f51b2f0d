package tuango_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

const asDate = "2026-11-26"

// pickedUp takes one order per quantity (by new customers, in that order)
// through payment, cutoff, dispatch and a sign-off that received short
// units fewer than ordered, and hands over every order but the last
// `keep` ones. It returns the owners and their orders as they end.
func pickedUp(t *testing.T, w *world, short, keep int, qtys ...int) ([]tuango.Actor, []*tuango.Order) {
	t.Helper()
	ctx := context.Background()
	var owners []tuango.Actor
	var orders []*tuango.Order
	total := 0
	for i, q := range qtys {
		a := w.customer(t, fmt.Sprintf("1390000%04d", i))
		orders = append(orders, w.pay(t, a, w.order(t, a, "k", q)))
		owners = append(owners, a)
		total += q
	}
	_, err := w.svc.Cutoff(ctx, w.op, "cty_1", asDate)
	must(t, err)
	leader := w.leader(t, "13700008001")
	shipAll(t, w, asDate)
	_, err = w.svc.SignDelivery(ctx, leader, tuango.SignRequest{DeliveryDate: asDate,
		Lines: []tuango.SignLine{{DealID: w.deal, Received: total - short}}, Idem: idem(leader.UserID, "sign")})
	must(t, err)
	for i, o := range orders[:len(orders)-keep] {
		_, err := w.svc.VerifyPickup(ctx, leader, o.PickupCode, idem(leader.UserID, "pick-"+o.ID))
		must(t, err)
		orders[i], err = w.svc.GetOrder(ctx, owners[i], o.ID)
		must(t, err)
	}
	return owners, orders
}

func ask(w *world, svc *tuango.Service, a tuango.Actor, o *tuango.Order, qty int, reason tuango.AfterSalesReason, key string) (tuango.Once[*tuango.AfterSale], error) {
	return svc.RequestAfterSale(context.Background(), a, tuango.AfterSalesRequest{OrderID: o.ID, LineNo: 1, Quantity: qty,
		Reason: reason, Note: "烂了", Idem: idem(a.UserID, key)})
}

// lineRefunds reads an order's first line and sums the partial refunds
// recorded against it.
func lineRefunds(t *testing.T, w *world, a tuango.Actor, orderID string) (tuango.OrderLine, tuango.Fen, int) {
	t.Helper()
	ctx := context.Background()
	o, err := w.svc.GetOrder(ctx, a, orderID)
	must(t, err)
	pays, err := w.db.Store().FindPayments(ctx, tuango.PaymentFilter{OrderID: orderID, Status: tuango.PaymentSucceeded})
	must(t, err)
	var sum tuango.Fen
	units := 0
	for _, p := range pays {
		rs, err := w.db.Store().FindRefunds(ctx, p.ID, "", 0)
		must(t, err)
		for _, r := range rs {
			if r.OrderID == orderID && r.LineNo == 1 {
				sum += r.AmountFen
				units += r.Quantity
			}
		}
	}
	return o.Lines[0], sum, units
}

func messagesOf(t *testing.T, w *world, userID string, kind tuango.NotificationKind) []tuango.Message {
	t.Helper()
	msgs, err := w.db.Store().FindUnsentMessages(context.Background(), 10000)
	must(t, err)
	var out []tuango.Message
	for _, m := range msgs {
		if m.UserID == userID && m.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

func TestAfterSalesRequestsAndDecisions(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 200)
	ctx := context.Background()
	owners, orders := pickedUp(t, w, 0, 1, 20, 20, 3)
	ann, bob, carl := owners[0], owners[1], owners[2]
	pickedAt := orders[0].PickedUpAt

	t.Run("bad input is refused before anything changes", func(t *testing.T) {
		for name, req := range map[string]tuango.AfterSalesRequest{
			"no quantity": {OrderID: orders[0].ID, LineNo: 1, Reason: tuango.AfterSalesDamaged},
			"bad reason":  {OrderID: orders[0].ID, LineNo: 1, Quantity: 1, Reason: "regret"},
			"no line":     {OrderID: orders[0].ID, Quantity: 1, Reason: tuango.AfterSalesDamaged},
			"long note":   {OrderID: orders[0].ID, LineNo: 1, Quantity: 1, Reason: tuango.AfterSalesOther, Note: strings.Repeat("长", 501)},
		} {
			req.Idem = idem(ann.UserID, "bad-"+name)
			if _, err := w.svc.RequestAfterSale(ctx, ann, req); tuango.ErrorCode(err) != tuango.CodeInvalid {
				t.Errorf("%s: RequestAfterSale = %v, want validation_failed", name, err)
			}
		}
		_, err := w.svc.RequestAfterSale(ctx, ann, tuango.AfterSalesRequest{OrderID: orders[0].ID, LineNo: 2, Quantity: 1,
			Reason: tuango.AfterSalesDamaged, Idem: idem(ann.UserID, "line2")})
		if tuango.ErrorCode(err) != tuango.CodeInvalid {
			t.Errorf("a line the order does not have = %v, want validation_failed", err)
		}
		if _, err := ask(w, w.svc, ann, orders[0], 1, tuango.AfterSalesDamaged, ""); tuango.ErrorCode(err) != tuango.CodeIdemKeyMissing {
			t.Errorf("no key = %v, want idempotency_key_missing", err)
		}
	})

	t.Run("a foreign order is not found, one not picked up is outside the window", func(t *testing.T) {
		if _, err := ask(w, w.svc, bob, orders[0], 1, tuango.AfterSalesDamaged, "foreign"); tuango.ErrorCode(err) != tuango.CodeNotFound {
			t.Errorf("bob asking about ann's order = %v, want not_found", err)
		}
		if _, err := ask(w, w.svc, carl, orders[2], 1, tuango.AfterSalesDamaged, "arrived"); tuango.ErrorCode(err) != tuango.CodeAfterSalesWindowClosed {
			t.Errorf("an order not picked up = %v, want after_sales_window_closed", err)
		}
	})

	t.Run("a small refund is approved at once, refunded and told, once per key", func(t *testing.T) {
		ans, err := ask(w, w.svc, ann, orders[0], 5, tuango.AfterSalesDamaged, "small")
		must(t, err)
		as := ans.Value
		if as.Status != tuango.AfterSalesApproved || as.ApprovedByRule != tuango.AutoSmall || as.RefundFen != 5*199 || as.RefundID == "" {
			t.Fatalf("small request = %+v, want approved by the small rule with 995 fen refunded", as)
		}
		again, err := ask(w, w.svc, ann, orders[0], 5, tuango.AfterSalesDamaged, "small")
		must(t, err)
		if !again.Replayed || again.Value.ID != as.ID {
			t.Errorf("the same key again = %+v, want the first answer replayed", again)
		}
		l, sum, units := lineRefunds(t, w, ann, orders[0].ID)
		if l.RefundedQuantity != 5 || l.RefundedFen != 995 || sum != 995 || units != 5 {
			t.Errorf("line after the refund = %d units %d fen, refunds %d fen %d units; want 5, 995, 995, 5", l.RefundedQuantity, l.RefundedFen, sum, units)
		}
		o, err := w.svc.GetOrder(ctx, ann, orders[0].ID)
		must(t, err)
		if o.Status != tuango.OrderPickedUp || o.RefundedFen != 995 {
			t.Errorf("order = %s refunded %d, want picked_up with 995 refunded", o.Status, o.RefundedFen)
		}
		if n := len(messagesOf(t, w, ann.UserID, tuango.NotifyAfterSalesApproved)); n != 1 {
			t.Errorf("%d approval notifications, want 1", n)
		}
	})

	var pending *tuango.AfterSale
	t.Run("a large refund waits; one open request per line; never more than is left", func(t *testing.T) {
		if _, err := ask(w, w.svc, ann, orders[0], 16, tuango.AfterSalesQuality, "too many"); tuango.ErrorCode(err) != tuango.CodeRefundExceedsPaid {
			t.Errorf("16 of the 15 units left = %v, want refund_exceeds_paid", err)
		}
		ans, err := ask(w, w.svc, ann, orders[0], 15, tuango.AfterSalesQuality, "large")
		must(t, err)
		pending = ans.Value
		if pending.Status != tuango.AfterSalesPending || pending.RefundFen != 15*199 {
			t.Fatalf("large request = %+v, want pending for 2985 fen", pending)
		}
		if _, err := ask(w, w.svc, ann, orders[0], 1, tuango.AfterSalesOther, "second"); tuango.ErrorCode(err) != tuango.CodeAfterSalesOpen {
			t.Errorf("a second request while one is open = %v, want after_sales_open", err)
		}
		items, _, err := w.svc.AfterSalesQueue(ctx, w.op, tuango.AfterSalesPending, 0, "")
		must(t, err)
		if len(items) != 1 || items[0].ID != pending.ID {
			t.Errorf("pending queue = %+v, want only %s", items, pending.ID)
		}
		if _, _, err := w.svc.AfterSalesQueue(ctx, ann, tuango.AfterSalesPending, 0, ""); tuango.ErrorCode(err) != tuango.CodeForbidden {
			t.Errorf("a customer reading the queue = %v, want forbidden", err)
		}
	})

	t.Run("an operator approves once, and the line is then refunded whole and no more", func(t *testing.T) {
		if _, err := w.svc.ApproveAfterSale(ctx, ann, pending.ID); tuango.ErrorCode(err) != tuango.CodeForbidden {
			t.Errorf("a customer approving = %v, want forbidden", err)
		}
		as, err := w.svc.ApproveAfterSale(ctx, w.op, pending.ID)
		must(t, err)
		if as.Status != tuango.AfterSalesApproved || as.RefundFen != 2985 || as.DecidedBy != w.op.UserID || as.ApprovedByRule != "" {
			t.Errorf("approved = %+v, want approved by the operator for 2985", as)
		}
		if _, err := w.svc.ApproveAfterSale(ctx, w.op, pending.ID); tuango.ErrorCode(err) != tuango.CodeAfterSalesDecided {
			t.Errorf("approving twice = %v, want after_sales_decided", err)
		}
		if _, err := w.svc.RejectAfterSale(ctx, w.op, pending.ID, "no"); tuango.ErrorCode(err) != tuango.CodeAfterSalesDecided {
			t.Errorf("rejecting an approved one = %v, want after_sales_decided", err)
		}
		l, sum, _ := lineRefunds(t, w, ann, orders[0].ID)
		if l.RefundedQuantity != 20 || l.RefundedFen != l.PaidFen || sum != l.PaidFen {
			t.Errorf("line = %d units %d fen (refunds %d) of %d paid, want all 20 units and exactly what was paid", l.RefundedQuantity, l.RefundedFen, sum, l.PaidFen)
		}
		if _, err := ask(w, w.svc, ann, orders[0], 1, tuango.AfterSalesOther, "after all"); tuango.ErrorCode(err) != tuango.CodeRefundExceedsPaid {
			t.Errorf("asking after everything was refunded = %v, want refund_exceeds_paid", err)
		}
	})

	t.Run("a rejection needs a reason, which the customer is told", func(t *testing.T) {
		ans, err := ask(w, w.svc, bob, orders[1], 12, tuango.AfterSalesQuality, "bob")
		must(t, err)
		if _, err := w.svc.RejectAfterSale(ctx, w.op, ans.Value.ID, "  "); tuango.ErrorCode(err) != tuango.CodeInvalid {
			t.Errorf("reject without a reason = %v, want validation_failed", err)
		}
		as, err := w.svc.RejectAfterSale(ctx, w.op, ans.Value.ID, "照片显示完好")
		must(t, err)
		if as.Status != tuango.AfterSalesRejected || as.RejectReason != "照片显示完好" || as.RefundFen != 0 {
			t.Errorf("rejected = %+v", as)
		}
		msgs := messagesOf(t, w, bob.UserID, tuango.NotifyAfterSalesRejected)
		if len(msgs) != 1 || msgs[0].Params.Reason != "照片显示完好" {
			t.Errorf("rejection notifications = %+v, want one naming the reason", msgs)
		}
		l, _, _ := lineRefunds(t, w, bob, orders[1].ID)
		if l.RefundedQuantity != 0 {
			t.Errorf("rejected line refunded %d units, want 0", l.RefundedQuantity)
		}
		mine, err := w.svc.OrderAfterSales(ctx, bob, orders[1].ID)
		must(t, err)
		if len(mine) != 1 || mine[0].Status != tuango.AfterSalesRejected {
			t.Errorf("bob's requests = %+v, want the rejected one", mine)
		}
		if _, err := w.svc.OrderAfterSales(ctx, ann, orders[1].ID); tuango.ErrorCode(err) != tuango.CodeNotFound {
			t.Errorf("ann reading bob's requests = %v, want not_found", err)
		}
	})

	t.Run("the window closes 48 hours after pickup, and follows the city's setting", func(t *testing.T) {
		w.clock.Advance(pickedAt.Add(tuango.DefaultAfterSalesWindow - time.Second).Sub(w.clock.Now()))
		if _, err := ask(w, w.svc, bob, orders[1], 1, tuango.AfterSalesMissing, "just in"); err != nil {
			t.Errorf("a second before the window closes = %v, want accepted", err)
		}
		w.clock.Advance(time.Second)
		if _, err := ask(w, w.svc, bob, orders[1], 1, tuango.AfterSalesMissing, "late"); tuango.ErrorCode(err) != tuango.CodeAfterSalesWindowClosed {
			t.Errorf("at the window's end = %v, want after_sales_window_closed", err)
		}
		must(t, w.svc.SetAfterSalesWindow(ctx, w.op, "cty_1", 72))
		if _, err := ask(w, w.svc, bob, orders[1], 1, tuango.AfterSalesMissing, "longer"); err != nil {
			t.Errorf("inside a 72-hour window = %v, want accepted", err)
		}
		if err := w.svc.SetAfterSalesWindow(ctx, bob, "cty_1", 1); tuango.ErrorCode(err) != tuango.CodeForbidden {
			t.Errorf("a customer setting the window = %v, want forbidden", err)
		}
	})
	wantLedgerClean(t, w) // every approved refund posted its set in its transaction
}

// A shortage the leader reported at sign-off corroborates a request for
// missing or damaged units of that line, up to the units reported.
func TestAfterSalesShortageRule(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 200)
	owners, orders := pickedUp(t, w, 4, 0, 10, 10) // the last placed loses 4
	strict := tuango.NewService(w.db.Store(), w.clock, nil, nil, w.sb, tuango.Config{AfterSalesAutoFen: -1}, nil)
	defer strict.Close()
	eve, first := owners[1], owners[0]
	if orders[1].Lines[0].RefundedQuantity != 4 {
		t.Fatalf("the sign-off refunded %d units of the last order, want 4", orders[1].Lines[0].RefundedQuantity)
	}
	ans, err := ask(w, strict, eve, orders[1], 2, tuango.AfterSalesMissing, "short")
	must(t, err)
	if ans.Value.Status != tuango.AfterSalesApproved || ans.Value.ApprovedByRule != tuango.AutoShortage {
		t.Errorf("missing units of a short line = %+v, want approved by the shortage rule", ans.Value)
	}
	for _, c := range []struct {
		name   string
		a      tuango.Actor
		o      *tuango.Order
		qty    int
		reason tuango.AfterSalesReason
	}{
		{"quality is not corroborated", first, orders[0], 1, tuango.AfterSalesQuality},
		{"a line not reported short", first, orders[0], 1, tuango.AfterSalesMissing},
	} {
		ans, err := ask(w, strict, c.a, c.o, c.qty, c.reason, c.name)
		must(t, err)
		if ans.Value.Status != tuango.AfterSalesPending {
			t.Errorf("%s: %+v, want pending", c.name, ans.Value)
		}
		if c.reason == tuango.AfterSalesQuality {
			_, err := strict.RejectAfterSale(context.Background(), w.op, ans.Value.ID, "x")
			must(t, err)
		}
	}
	ans, err = ask(w, strict, eve, orders[1], 3, tuango.AfterSalesMissing, "more than short") // 2 + 3 > 4
	must(t, err)
	if ans.Value.Status != tuango.AfterSalesPending {
		t.Errorf("more units than the leader reported = %+v, want pending", ans.Value)
	}
	wantLedgerClean(t, w) // every approved refund posted its set in its transaction
}

// Requests and approvals racing on one line never refund it past what was
// paid for it, and every unit refunded has its refund row.
func TestAfterSalesRaces(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 200)
	ctx := context.Background()
	owners, orders := pickedUp(t, w, 0, 0, 10, 20)
	dave, fay := owners[0], owners[1]

	t.Run("concurrent small requests for more than is left", func(t *testing.T) {
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start // all at once
				_, errs[i] = ask(w, w.svc, dave, orders[0], 6, tuango.AfterSalesDamaged, fmt.Sprint("race-", i))
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch tuango.ErrorCode(err) {
			case "":
				ok++
			case tuango.CodeRefundExceedsPaid, tuango.CodeConflict:
			default:
				t.Errorf("racing request = %v, want success, refund_exceeds_paid or conflict", err)
			}
		}
		l, sum, units := lineRefunds(t, w, dave, orders[0].ID)
		if ok != 1 || l.RefundedQuantity != 6 || l.RefundedFen != 6*199 || sum != l.RefundedFen || units != 6 {
			t.Errorf("%d won; line %d units %d fen, refunds %d fen %d units; want 1 and 6 units, 1194 fen everywhere", ok, l.RefundedQuantity, l.RefundedFen, sum, units)
		}
	})

	t.Run("concurrent approvals of one request refund it once", func(t *testing.T) {
		ans, err := ask(w, w.svc, fay, orders[1], 20, tuango.AfterSalesQuality, "all")
		must(t, err)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = w.svc.ApproveAfterSale(ctx, w.op, ans.Value.ID)
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch tuango.ErrorCode(err) {
			case "":
				ok++
			case tuango.CodeAfterSalesDecided, tuango.CodeConflict:
			default:
				t.Errorf("racing approval = %v", err)
			}
		}
		l, sum, units := lineRefunds(t, w, fay, orders[1].ID)
		if ok != 1 || l.RefundedQuantity != 20 || l.RefundedFen != l.PaidFen || sum != l.PaidFen || units != 20 {
			t.Errorf("%d approvals won; line %d units %d fen, refunds %d fen %d units, paid %d", ok, l.RefundedQuantity, l.RefundedFen, sum, units, l.PaidFen)
		}
	})
	wantLedgerClean(t, w) // every approved refund posted its set in its transaction
}

// A request asked in time and still pending when the window closes holds
// its order's commission frozen until it is decided: a leader who
// withdraws everything available is never taken below zero by the refund.
func TestCommissionWaitsForAnOpenRequest(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 100)
	ctx := context.Background()
	owners, orders := pickedUp(t, w, 0, 0, 20)
	ans, err := ask(w, w.svc, owners[0], orders[0], 20, tuango.AfterSalesQuality, "late")
	must(t, err)
	if ans.Value.Status != tuango.AfterSalesPending {
		t.Fatalf("a %d-fen request = %+v, want pending", orders[0].Lines[0].PaidFen, ans.Value)
	}
	pp, err := w.db.Store().FindPickupPointByID(ctx, w.pp)
	must(t, err)
	leader := tuango.Actor{UserID: pp.LeaderID, Role: tuango.RoleLeader}
	w.clock.Advance(tuango.DefaultAfterSalesWindow + time.Hour)
	if n, err := w.svc.ReleaseCommissions(ctx, 100); err != nil || n != 0 {
		t.Errorf("release while a request is open = %d, %v; want 0", n, err)
	}
	if got := balanceOf(t, w, tuango.CommissionAvailable(leader.UserID)); got != 0 {
		t.Errorf("available while a request is open = %d, want 0", got)
	}
	if _, err := w.svc.RequestWithdrawal(ctx, leader, 100, idem(leader.UserID, "w")); tuango.ErrorCode(err) != tuango.CodeInsufficientBalance {
		t.Errorf("withdrawing the held commission = %v, want insufficient_balance", err)
	}
	_, err = w.svc.ApproveAfterSale(ctx, w.op, ans.Value.ID)
	must(t, err)
	if n, err := w.svc.ReleaseCommissions(ctx, 100); err != nil || n != 1 {
		t.Errorf("release after the decision = %d, %v; want 1", n, err)
	}
	for _, acct := range []string{tuango.CommissionFrozen(leader.UserID), tuango.CommissionAvailable(leader.UserID)} {
		if got := balanceOf(t, w, acct); got != 0 {
			t.Errorf("%s after the whole line came back = %d, want 0", acct, got)
		}
	}
	wantLedgerClean(t, w)
}
