package chaos

import (
	"context"
	"time"

	"tuango/internal/sms"
	"tuango/internal/tuango"
)

// playDay plays the day after the fixture's sale through tuango's own
// service: two more orders paid (K and L), the cutoff, the route
// dispatched, a sign-off with one unit of d1 short (K, placed last, loses
// it), A and L picked up, K left to become unclaimed, the partial refund
// sent, and every notification delivered by an SMS sender that fails and
// loses answers at first. Each request of the day is recorded as the
// fault test records it.
func (f *fixture) playDay() {
	f.t.Helper()
	ctx := context.Background()
	f.place(1, "K", "k", Item{f.d1, 2})
	f.pay(1, "K", "k-pay")
	f.confirm(1, "K")
	f.place(2, "L", "l", Item{f.d2, 2})
	f.pay(2, "L", "l-pay")
	f.confirm(2, "L")
	date := f.clock.Now().Add(24 * time.Hour).Format(time.DateOnly)
	f.setup.City, f.setup.DeliveryDate, f.setup.Day = f.city, date, true
	op := tuango.Actor{UserID: "usr_operator", Role: tuango.RoleOperator}
	leader := tuango.Actor{UserID: f.leader, Role: tuango.RoleLeader}
	must := func(err error) {
		f.t.Helper()
		if err != nil {
			f.t.Fatal(err)
		}
	}

	inv := f.rec.Invoke(Op{Process: dayProcess, F: CutoffOp, Node: "n1"})
	run, err := f.svc.Cutoff(ctx, op, f.city, date)
	f.complete(inv, err, Op{State: cutoffSummary(run.ConfirmedOrders, run.CancelledOrders, run.ConfirmedUnits)})
	lists, err := f.svc.ListsFor(ctx, op, f.city, date)
	must(err)
	del, err := f.svc.LeaderDelivery(ctx, leader, date)
	must(err)
	units := map[string]map[string]int{listPurchaseOrders: {}, listSorting: {}, listManifests: {}, listPick: {}}
	for _, p := range lists.PurchaseOrders {
		for _, l := range p.Lines {
			units[listPurchaseOrders][l.ProductID] += l.Quantity
		}
	}
	for _, s := range lists.SortingLists {
		for _, l := range s.Lines {
			units[listSorting][l.ProductID] += l.Quantity
		}
	}
	for _, m := range lists.Manifests {
		for _, st := range m.Stops {
			for _, l := range st.Lines {
				units[listManifests][l.ProductID] += l.Quantity
			}
		}
	}
	for _, l := range del.Lines {
		units[listPick][l.ProductID] += l.Quantity
	}
	inv = f.rec.Invoke(Op{Process: dayProcess, F: ListsOp})
	f.rec.Complete(inv, Op{Type: OK, Status: 200, Units: units})

	inv = f.rec.Invoke(Op{Process: dayProcess, F: DispatchOp, Node: "n1", Route: "rte_1"})
	_, err = f.svc.Dispatch(ctx, op, "rte_1", date)
	f.complete(inv, err, Op{State: "shipped"})

	sign := []SignLine{{DealID: f.d1, Expected: 4, Received: 3}, {DealID: f.d2, Expected: 2, Received: 2}}
	inv = f.rec.Invoke(Op{Process: dayProcess, F: SignOp, Key: "sign", Node: "n1", PickupPoint: f.pp, Sign: sign})
	req := tuango.SignRequest{DeliveryDate: date, Idem: &tuango.Idempotency{Scope: f.leader, Key: "sign", Fingerprint: "sign"}}
	for _, l := range sign {
		req.Lines = append(req.Lines, tuango.SignLine{DealID: l.DealID, Received: l.Received, Damaged: l.Damaged})
	}
	ans, err := f.svc.SignDelivery(ctx, leader, req)
	var ack Op
	if err == nil {
		for _, r := range ans.Value.Refunds {
			ack.Refunds = append(ack.Refunds, RefundLine{OrderID: r.OrderID, LineNo: r.LineNo, Quantity: r.Quantity, AmountFen: int64(r.AmountFen)})
		}
	}
	f.complete(inv, err, ack)

	for _, name := range []string{"A", "L"} {
		o, err := f.svc.GetOrder(ctx, tuango.Actor{UserID: map[string]string{"A": f.setup.Customers[0], "L": f.setup.Customers[2]}[name], Role: tuango.RoleCustomer}, f.orders[name])
		must(err)
		inv := f.rec.Invoke(Op{Process: dayProcess, F: PickupOp, Key: "pickup-" + name, Node: "n1", PickupPoint: f.pp, OrderID: o.ID, PickupCode: o.PickupCode})
		got, err := f.svc.VerifyPickup(ctx, leader, o.PickupCode, &tuango.Idempotency{Scope: f.leader, Key: "pickup-" + name, Fingerprint: o.PickupCode})
		var ack Op
		if err == nil {
			ack.OrderID = got.Value.ID
		}
		f.complete(inv, err, ack)
	}

	f.clock.Advance(tuango.DefaultPickupWindow + time.Hour)
	_, err = f.svc.ExpirePickups(ctx, 100)
	must(err)
	_, err = f.svc.SendRefunds(ctx, 100)
	must(err)
	sender := sms.NewSandbox(f.db, f.clock)
	f.svc.SetSender(sender)
	sender.SetFaults(sms.Faults{FailRate: 0.5, LoseAckRate: 0.5})
	for range 5 {
		_, err := f.svc.DeliverNotifications(ctx, 100)
		must(err)
	}
	sender.SetFaults(sms.Faults{})
	for {
		n, err := f.svc.DeliverNotifications(ctx, 100)
		must(err)
		if n == 0 {
			break
		}
	}
	f.setup.QuietAt = f.clock.Now()
}
