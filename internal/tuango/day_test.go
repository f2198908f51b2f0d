package tuango_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"tuango/internal/sms"
	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// pay confirms o's payment at the sandbox and applies it as reconciliation
// would, and returns the order as it then is.
func (w *world) pay(t *testing.T, a tuango.Actor, o *tuango.Order) *tuango.Order {
	t.Helper()
	p := w.payment(t, a, o, "pay-"+o.ID)
	must(t, w.sb.Confirm(context.Background(), p.ID, a.UserID))
	w.clock.Advance(tuango.ReconcileAfter + time.Second)
	if _, err := w.svc.Reconcile(context.Background(), 1000); err != nil {
		t.Fatal(err)
	}
	got, err := w.svc.GetOrder(context.Background(), a, o.ID)
	must(t, err)
	return got
}

// leader makes a leader's account and gives it the world's pickup point.
func (w *world) leader(t *testing.T, phone string) tuango.Actor {
	t.Helper()
	ctx := context.Background()
	u, err := w.svc.CreateLeader(ctx, w.op, tuango.NewAccount{Phone: phone, Password: "password-1", Name: "团长"})
	must(t, err)
	leaderID := u.ID
	_, err = w.svc.UpdatePickupPoint(ctx, w.op, w.pp, func(p *tuango.PickupPoint) error { p.LeaderID = leaderID; return nil })
	must(t, err)
	return tuango.Actor{UserID: u.ID, Role: tuango.RoleLeader}
}

func summaryCounts(c *tuango.CutoffRun) [4]int {
	return [4]int{c.ConfirmedOrders, c.CancelledOrders, c.ConfirmedUnits, c.PurchaseOrders}
}

// A whole day on one pickup point, through the service: orders, payments,
// an early cutoff run twice, the lists, dispatch, a sign-off with a
// shortage, pickups and their limits, and an order never collected.
func TestTheDayAfterTheOrder(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 100)
	ctx := context.Background()
	const date = "2026-11-26"
	var paid []*tuango.Order
	var owners []tuango.Actor
	type placing struct {
		who   tuango.Actor
		key   string
		qty   int
		first *tuango.Order
	}
	var placings []placing
	for i := range 4 {
		a := w.customer(t, fmt.Sprintf("1380000100%d", i))
		o := w.order(t, a, "k", i+1)
		placings = append(placings, placing{a, "k", i + 1, o})
		if o.DeliveryDate != date || o.Lines[0].UnitCostFen != 150 {
			t.Fatalf("order = delivery %q, unit cost %d; want %s and the product's 150", o.DeliveryDate, o.Lines[0].UnitCostFen, date)
		}
		paid = append(paid, w.pay(t, a, o))
		owners = append(owners, a)
		if paid[i].Status != tuango.OrderPaid || len(paid[i].PickupCode) != tuango.PickupCodeDigits {
			t.Fatalf("paid order = %s with code %q, want paid with a %d-digit code", paid[i].Status, paid[i].PickupCode, tuango.PickupCodeDigits)
		}
	}
	late := w.customer(t, "13800001009")
	unpaid := w.order(t, late, "k", 5)
	cancelled := w.order(t, late, "k2", 1)
	placings = append(placings, placing{late, "k", 5, unpaid}, placing{late, "k2", 1, cancelled})
	_, err := w.svc.CancelOrder(ctx, late, cancelled.ID)
	must(t, err)

	c, err := w.svc.Cutoff(ctx, w.op, "cty_1", date)
	must(t, err)
	if !c.Early || c.StartedBy != w.op.UserID || summaryCounts(c) != [4]int{4, 2, 10, 1} {
		t.Errorf("cutoff = %+v, want early by the operator: 4 confirmed, 2 cancelled, 10 units, 1 purchase order", c)
	}
	lists, err := w.svc.ListsFor(ctx, w.op, "cty_1", date)
	must(t, err)
	w.clock.Advance(time.Minute)
	again, err := w.svc.RunCutoff(ctx, "cty_1", date, tuango.WorkerID, nil)
	must(t, err)
	if !reflect.DeepEqual(again, c) {
		t.Errorf("second cutoff = %+v, want the first's %+v", again, c)
	}
	lists2, err := w.svc.ListsFor(ctx, w.op, "cty_1", date)
	must(t, err)
	if !reflect.DeepEqual(lists, lists2) {
		t.Errorf("lists after a second cutoff differ:\n%+v\n%+v", lists, lists2)
	}
	po, sl, mf := lists.PurchaseOrders, lists.SortingLists, lists.Manifests
	if len(po) != 1 || po[0].Lines[0].Quantity != 10 || po[0].TotalFen != 1500 || len(sl) != 1 || sl[0].Lines[0].Quantity != 10 ||
		len(mf) != 1 || mf[0].Stops[0].Orders != 4 || mf[0].Stops[0].Lines[0].Quantity != 10 {
		t.Errorf("lists = %+v, want 10 units at 150 fen everywhere, 4 orders at the stop", lists)
	}
	if o, _ := w.svc.GetOrder(ctx, late, unpaid.ID); o.Status != tuango.OrderCancelled || o.CancelReason != tuango.CancelExpired {
		t.Errorf("unpaid order after cutoff = %s (%s), want cancelled (expired)", o.Status, o.CancelReason)
	}
	if _, err := w.svc.PlaceOrder(ctx, late, tuango.PlaceOrderRequest{PickupPointID: w.pp, Items: []tuango.OrderItem{{DealID: w.deal, Quantity: 1}},
		Idem: idem(late.UserID, "after")}); tuango.ErrorCode(err) != tuango.CodeDealNotLive {
		t.Errorf("ordering after an early close = %v, want deal_not_live", err)
	}

	leader := w.leader(t, "13700009001")
	pp, err := w.svc.GetPickupPoint(ctx, w.pp)
	must(t, err)
	n, err := w.svc.Dispatch(ctx, w.op, "rte_none", date)
	if tuango.ErrorCode(err) != tuango.CodeNotFound {
		t.Errorf("Dispatch(missing route) = %d, %v; want not_found", n, err)
	}
	_ = pp
	shipAll(t, w, date)

	// 10 expected, 8 received of which 1 damaged: 3 short, the last placed
	// (4 units) loses 3.
	sign := tuango.SignRequest{DeliveryDate: date, Lines: []tuango.SignLine{{DealID: w.deal, Received: 8, Damaged: 1}}, Idem: idem(leader.UserID, "sign")}
	res, err := w.svc.SignDelivery(ctx, leader, sign)
	must(t, err)
	want := []tuango.LineRefund{{OrderID: paid[3].ID, LineNo: 1, Quantity: 3, AmountFen: 3 * 199}}
	if !reflect.DeepEqual(res.Value.Refunds, want) {
		t.Errorf("refunds = %+v, want %+v", res.Value.Refunds, want)
	}
	if replay, err := w.svc.SignDelivery(ctx, leader, sign); err != nil || !replay.Replayed {
		t.Errorf("the same sign-off again = %v, %v; want a replay", replay, err)
	}
	sign.Idem = idem(leader.UserID, "sign-2")
	if _, err := w.svc.SignDelivery(ctx, leader, sign); tuango.ErrorCode(err) != tuango.CodeAlreadySigned {
		t.Errorf("a second sign-off = %v, want already_signed", err)
	}
	o3, err := w.svc.GetOrder(ctx, owners[3], paid[3].ID)
	must(t, err)
	if o3.Status != tuango.OrderArrived || o3.RefundedFen != 597 || o3.Lines[0].RefundedQuantity != 3 {
		t.Errorf("short order = %s, refunded %d fen, %d units; want arrived, 597, 3", o3.Status, o3.RefundedFen, o3.Lines[0].RefundedQuantity)
	}
	var statuses []tuango.OrderStatus
	for _, e := range o3.Timeline {
		statuses = append(statuses, e.Status)
	}
	if !reflect.DeepEqual(statuses, []tuango.OrderStatus{tuango.OrderPaid, tuango.OrderConfirmed, tuango.OrderShipped, tuango.OrderArrived}) {
		t.Errorf("timeline = %v", statuses)
	}

	got, err := w.svc.VerifyPickup(ctx, leader, paid[0].PickupCode, idem(leader.UserID, "p1"))
	must(t, err)
	if got.Value.Status != tuango.OrderPickedUp || got.Value.ID != paid[0].ID {
		t.Errorf("pickup = %s %s, want %s picked_up", got.Value.ID, got.Value.Status, paid[0].ID)
	}
	if _, err := w.svc.VerifyPickup(ctx, leader, paid[0].PickupCode, idem(leader.UserID, "p2")); tuango.ErrorCode(err) != tuango.CodeAlreadyPickedUp {
		t.Errorf("the same code again = %v, want already_picked_up", err)
	}
	for i := range tuango.PickupMaxFailures {
		if _, err := w.svc.VerifyPickup(ctx, leader, "0000000000", idem(leader.UserID, fmt.Sprint("bad", i))); tuango.ErrorCode(err) != tuango.CodePickupCodeInvalid {
			t.Fatalf("wrong code %d = %v, want pickup_code_invalid", i, err)
		}
	}
	_, err = w.svc.VerifyPickup(ctx, leader, paid[1].PickupCode, idem(leader.UserID, "p3"))
	var e *tuango.Error
	if tuango.ErrorCode(err) != tuango.CodeTooManyAttempts || !asErr(err, &e) || e.RetryAfter <= 0 {
		t.Errorf("after %d wrong codes = %v, want too_many_attempts with a Retry-After", tuango.PickupMaxFailures, err)
	}
	w.clock.Advance(tuango.PickupFailureWindow)
	if _, err := w.svc.VerifyPickup(ctx, leader, paid[1].PickupCode, idem(leader.UserID, "p4")); err != nil {
		t.Errorf("a right code once the window passed = %v", err)
	}

	w.clock.Advance(tuango.DefaultPickupWindow)
	n, err = w.svc.ExpirePickups(ctx, 100)
	must(t, err)
	if n != 2 {
		t.Errorf("ExpirePickups = %d, want the 2 orders never collected", n)
	}
	wantLedgerClean(t, w) // trial balance 0, and the ledger verifies (ledger_test.go)

	// Each order's key sent again after all of the day's moves (paid,
	// confirmed, shipped, arrived short and refunded, picked up, never
	// collected, cancelled, expired) gets the first answer back, as placed.
	for _, p := range placings {
		again, err := w.svc.PlaceOrder(ctx, p.who, tuango.PlaceOrderRequest{PickupPointID: w.pp,
			Items: []tuango.OrderItem{{DealID: w.deal, Quantity: p.qty}}, Idem: idem(p.who.UserID, p.key)})
		if err != nil || !again.Replayed || !reflect.DeepEqual(again.Value, p.first) {
			t.Errorf("order %s's key again at the end of the day = %+v, %v; want a replay of the first answer %+v", p.first.ID, again.Value, err, p.first)
		}
	}
}

func asErr(err error, e **tuango.Error) bool {
	x, ok := err.(*tuango.Error)
	*e = x
	return ok
}

// shipAll dispatches every route of the world's city.
func shipAll(t *testing.T, w *world, date string) {
	t.Helper()
	ctx := context.Background()
	pp, err := w.svc.GetPickupPoint(ctx, w.pp)
	must(t, err)
	if pp.RouteID == "" {
		// The world's point has no route: give it one.
		s := w.db.Store()
		must(t, s.CreateWarehouse(ctx, &tuango.Warehouse{ID: "wh_c", CityID: "cty_1", Kind: tuango.WarehouseCentral, Name: "中心仓"}))
		must(t, s.CreateWarehouse(ctx, &tuango.Warehouse{ID: "wh_g", CityID: "cty_1", Kind: tuango.WarehouseGrid, Name: "网格仓", ParentID: "wh_c"}))
		must(t, s.CreateRoute(ctx, &tuango.Route{ID: "rte_1", WarehouseID: "wh_g", Name: "一号线"}))
		_, err := w.svc.UpdatePickupPoint(ctx, w.op, w.pp, func(p *tuango.PickupPoint) error { p.RouteID = "rte_1"; return nil })
		must(t, err)
	}
	pp, _ = w.svc.GetPickupPoint(ctx, w.pp)
	if _, err := w.svc.Dispatch(ctx, w.op, pp.RouteID, date); err != nil {
		t.Fatal(err)
	}
}

// A cutoff racing late payments and cancellations leaves every order in
// exactly one of: confirmed and counted in the lists, or cancelled and in
// none; every payment on a cancelled order is refunded.
func TestCutoffRacingLatePaymentsAndCancellations(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 1000)
	ctx := context.Background()
	const date = "2026-11-26"
	type placed struct {
		a tuango.Actor
		o *tuango.Order
	}
	var late, cancels []placed
	for i := range 50 {
		a := w.customer(t, fmt.Sprintf("138000020%02d", i))
		o := w.order(t, a, "k", 1+i%3)
		p := w.payment(t, a, o, "p")
		must(t, w.sb.Confirm(ctx, p.ID, a.UserID)) // paid at the provider, not yet heard of
		late = append(late, placed{a, o})
		b := w.customer(t, fmt.Sprintf("138000030%02d", i))
		paid := w.pay(t, b, w.order(t, b, "k", 1+i%2))
		cancels = append(cancels, placed{b, paid})
	}
	w.clock.Advance(tuango.ReconcileAfter + time.Second)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		for range 5 {
			if _, err := w.svc.Reconcile(ctx, 7); err != nil {
				t.Error(err)
			}
		}
	}()
	go func() {
		defer wg.Done()
		for _, c := range cancels {
			w.svc.CancelOrder(ctx, c.a, c.o.ID) // refused once the sale closed
		}
	}()
	var summary *tuango.CutoffRun
	go func() {
		defer wg.Done()
		var err error
		summary, err = w.svc.RunCutoff(ctx, "cty_1", date, tuango.WorkerID, nil)
		if err != nil {
			t.Error(err)
		}
	}()
	wg.Wait()
	if _, err := w.svc.Reconcile(ctx, 1000); err != nil { // the payments still unheard of land after the cutoff
		t.Fatal(err)
	}
	confirmedUnits, confirmed, cancelled := 0, 0, 0
	for _, p := range append(late, cancels...) {
		o, err := w.svc.GetOrder(ctx, p.a, p.o.ID)
		must(t, err)
		switch o.Status {
		case tuango.OrderConfirmed:
			confirmed++
			confirmedUnits += o.Lines[0].Quantity
		case tuango.OrderCancelled:
			cancelled++
			pays, err := w.db.Store().FindPayments(ctx, tuango.PaymentFilter{OrderID: o.ID, Status: tuango.PaymentSucceeded})
			must(t, err)
			for _, pay := range pays {
				refunds, err := w.db.Store().FindRefunds(ctx, pay.ID, "", 0)
				must(t, err)
				if len(refunds) != 1 || refunds[0].AmountFen != pay.AmountFen {
					t.Errorf("cancelled order %s: payment %s has refunds %+v, want one whole refund", o.ID, pay.ID, refunds)
				}
			}
		default:
			t.Errorf("order %s is %s after the cutoff, want confirmed or cancelled", o.ID, o.Status)
		}
	}
	lists, err := w.svc.ListsFor(ctx, w.op, "cty_1", date)
	must(t, err)
	units := 0
	for _, l := range lists.PurchaseOrders[0].Lines {
		units += l.Quantity
	}
	if units != confirmedUnits || summary.ConfirmedUnits != confirmedUnits || summary.ConfirmedOrders != confirmed || summary.CancelledOrders != cancelled {
		t.Errorf("lists count %d units, summary %+v; the orders say %d confirmed (%d units), %d cancelled", units, summary, confirmed, confirmedUnits, cancelled)
	}
}

// Every notification reaches the inbox and the SMS sender exactly once,
// also when the sender fails, when a send is made but its success is lost
// (the node dies right after sending), and when the node that wrote the
// event dies before any sweep: another node on the same data delivers.
func TestNotificationsDeliveredExactlyOnce(t *testing.T) {
	dsn := storetest.DSN(t)
	w := newWorld(t, dsn, 100)
	ctx := context.Background()
	const date = "2026-11-26"
	var owners []tuango.Actor
	for i := range 6 {
		a := w.customer(t, fmt.Sprintf("1380000400%d", i))
		w.pay(t, a, w.order(t, a, "k", 1))
		owners = append(owners, a)
	}
	if _, err := w.svc.RunCutoff(ctx, "cty_1", date, tuango.WorkerID, nil); err != nil {
		t.Fatal(err)
	}
	w.db.Close() // the node dies before its worker swept the outbox

	other := newWorld(t, dsn, 100)
	store := other.db.Store()
	sender := sms.NewSandbox(store, other.clock)
	other.svc.SetSender(sender)
	sender.SetFaults(sms.Faults{LoseAckRate: 1})
	if n, err := other.svc.DeliverNotifications(ctx, 100); err != nil || n != 0 {
		t.Fatalf("a sweep whose sends all lose their answer = %d, %v; want 0 recorded sent", n, err)
	}
	sender.SetFaults(sms.Faults{FailRate: 0.5})
	for range 5 {
		if _, err := other.svc.DeliverNotifications(ctx, 100); err != nil {
			t.Fatal(err)
		}
	}
	sender.SetFaults(sms.Faults{})
	for {
		n, err := other.svc.DeliverNotifications(ctx, 100)
		must(t, err)
		if n == 0 {
			break
		}
	}
	if n, err := store.CountSMS(ctx, ""); err != nil || n != 6 {
		t.Errorf("SMS sent = %d, %v; want one per confirmed order, 6", n, err)
	}
	for _, a := range owners {
		msgs, next, err := other.svc.Notifications(ctx, a, 0, "")
		must(t, err)
		if len(msgs) != 1 || msgs[0].Kind != tuango.NotifyConfirmed || next != "" {
			t.Errorf("inbox of %s = %+v (next %q), want one order_confirmed", a.UserID, msgs, next)
		}
	}
}
