package storetest

import (
	"fmt"
	"testing"
	"time"

	"tuango/internal/tuango"
)

func testDelivery(t *testing.T, s tuango.Store) {
	ctx := t.Context
	t.Run("delivery columns, refunded lines and the timeline round-trip", func(t *testing.T) {
		w := newWorld(t, s)
		u := createUser(t, s, tuango.RoleCustomer)
		d := w.createDeal(t, 10, 5)
		o := w.createOrder(t, u.ID, tuango.OrderShipped, t0(), item{d, 3})
		next := *o
		next.Lines = append([]tuango.OrderLine(nil), o.Lines...)
		at := t0().Add(time.Hour + 3*time.Microsecond)
		next.Status, next.ArrivedAt, next.PickupCode, next.RefundedFen = tuango.OrderArrived, at, "0123456789", 1990
		next.Lines[0].RefundedQuantity, next.Lines[0].RefundedFen = 1, 1990
		ok, err := s.UpdateOrderStatus(ctx(), &next, tuango.OrderShipped)
		wantOK(t, ok, err, true, "UpdateOrderStatus(shipped → arrived)")
		got, err := s.FindOrderByID(ctx(), o.ID)
		must(t, err, "FindOrderByID")
		wantEqual(t, got, &next, "FindOrderByID after the move")

		ev := tuango.OrderEvent{OrderID: o.ID, Status: tuango.OrderArrived, At: at, Mover: tuango.MoverLeader, ActorID: w.leader.ID, Place: w.point.ID}
		must(t, s.AddOrderEvent(ctx(), &ev), "AddOrderEvent")
		wantCode(t, s.AddOrderEvent(ctx(), &ev), tuango.CodeConflict, "AddOrderEvent twice")
		evs, err := s.FindOrderEvents(ctx(), o.ID)
		must(t, err, "FindOrderEvents")
		wantEqual(t, evs, []tuango.OrderEvent{ev}, "FindOrderEvents")
	})

	t.Run("a pickup code finds only its point's order", func(t *testing.T) {
		w := newWorld(t, s)
		u := createUser(t, s, tuango.RoleCustomer)
		o := w.orderOf(u.ID, tuango.OrderArrived, t0(), item{w.createDeal(t, 10, 5), 1})
		o.PickupCode = "5550001111"
		must(t, s.CreateOrder(ctx(), o), "CreateOrder")
		next := *o
		ok, err := s.UpdateOrderStatus(ctx(), &next, tuango.OrderArrived)
		wantOK(t, ok, err, true, "UpdateOrderStatus writes the code")
		got, err := s.FindOrderByPickupCode(ctx(), w.point.ID, "5550001111")
		must(t, err, "FindOrderByPickupCode")
		wantIDs(t, []string{got.ID}, []string{o.ID}, "FindOrderByPickupCode")
		_, err = s.FindOrderByPickupCode(ctx(), newWorld(t, s).point.ID, "5550001111")
		wantNotFound(t, err, "FindOrderByPickupCode(another point)")
		next.Status = tuango.OrderPickedUp
		ok, err = s.UpdateOrderStatus(ctx(), &next, tuango.OrderArrived)
		wantOK(t, ok, err, true, "UpdateOrderStatus(picked up)")
		got, err = s.FindOrderByPickupCode(ctx(), w.point.ID, "5550001111")
		must(t, err, "FindOrderByPickupCode(picked up)")
		if got.Status != tuango.OrderPickedUp {
			t.Errorf("FindOrderByPickupCode(picked up) status = %s, want picked_up", got.Status)
		}
		_, err = s.FindOrderByPickupCode(ctx(), w.point.ID, "5550001112")
		wantNotFound(t, err, "FindOrderByPickupCode(wrong code)")
	})

	t.Run("wrong pickup codes are counted per leader within a window", func(t *testing.T) {
		w := newWorld(t, s)
		other := createUser(t, s, tuango.RoleLeader)
		for i, v := range []tuango.PickupVerification{
			{LeaderID: w.leader.ID, OK: false, At: t0().Add(-20 * time.Minute)},
			{LeaderID: w.leader.ID, OK: false, At: t0().Add(-5 * time.Minute)},
			{LeaderID: w.leader.ID, OK: false, At: t0().Add(-time.Minute)},
			{LeaderID: w.leader.ID, OK: true, At: t0()},
			{LeaderID: other.ID, OK: false, At: t0()},
		} {
			v.ID, v.PickupPointID = newID("pv"), w.point.ID
			must(t, s.AddPickupVerification(ctx(), &v), "AddPickupVerification(%d)", i)
		}
		n, oldest, err := s.CountFailedPickups(ctx(), w.leader.ID, t0().Add(-10*time.Minute))
		must(t, err, "CountFailedPickups")
		if n != 2 || !oldest.Equal(t0().Add(-5*time.Minute)) {
			t.Errorf("CountFailedPickups = %d since %v, want 2 since %v", n, oldest, t0().Add(-5*time.Minute))
		}
	})

	t.Run("a day's orders and units are found per city and date", func(t *testing.T) {
		w := newWorld(t, s)
		u := createUser(t, s, tuango.RoleCustomer)
		d, e := w.createDeal(t, 100, 50), w.createDeal(t, 100, 50)
		a := w.createOrder(t, u.ID, tuango.OrderConfirmed, t0(), item{d, 2}, item{e, 1})
		b := w.createOrder(t, u.ID, tuango.OrderShipped, t0().Add(time.Second), item{d, 3})
		w.createOrder(t, u.ID, tuango.OrderCancelled, t0().Add(2*time.Second), item{d, 7})
		got, err := s.FindOrders(ctx(), tuango.OrderFilter{CityID: w.city.ID, DeliveryDate: "2026-11-26", Statuses: tuango.DeliveredStatuses})
		must(t, err, "FindOrders(city, date)")
		wantIDs(t, ids(got, orderID), []string{a.ID, b.ID}, "FindOrders(city, date), oldest first")
		got, err = s.FindOrders(ctx(), tuango.OrderFilter{PickupPointID: w.point.ID, DeliveryDate: "2026-11-26", Status: tuango.OrderShipped})
		must(t, err, "FindOrders(point, date, shipped)")
		wantIDs(t, ids(got, orderID), []string{b.ID}, "FindOrders(point, date, shipped)")

		sum, err := s.SumDeliveryUnits(ctx(), w.city.ID, "2026-11-26", tuango.DeliveredStatuses)
		must(t, err, "SumDeliveryUnits")
		cost := w.product.CostFen
		want := []tuango.PointDealUnits{{PickupPointID: w.point.ID, DealID: d.ID, UnitCostFen: cost, Quantity: 5}, {PickupPointID: w.point.ID, DealID: e.ID, UnitCostFen: cost, Quantity: 1}}
		if d.ID > e.ID {
			want[0], want[1] = want[1], want[0]
		}
		wantEqual(t, sum, tuango.DeliveryUnits{Units: want, Orders: map[string]int{w.point.ID: 2}}, "SumDeliveryUnits")
	})

	t.Run("a cutoff starts once and finishes once", func(t *testing.T) {
		w := newWorld(t, s)
		w.createDeal(t, 10, 5)
		dates, err := s.FindUncutDates(ctx(), w.city.ID)
		must(t, err, "FindUncutDates")
		wantIDs(t, dates, []string{"2026-11-26"}, "FindUncutDates before")
		c := &tuango.CutoffRun{CityID: w.city.ID, DeliveryDate: "2026-11-26", StartedAt: t0(), StartedBy: "usr_x", Early: true}
		must(t, s.CreateCutoff(ctx(), c), "CreateCutoff")
		wantCode(t, s.CreateCutoff(ctx(), c), tuango.CodeConflict, "CreateCutoff twice")
		_, err = s.FindCutoff(ctx(), w.city.ID, "2026-11-27")
		wantNotFound(t, err, "FindCutoff(another date)")
		done := *c
		done.FinishedAt, done.ConfirmedOrders, done.CancelledOrders, done.PurchaseOrders, done.ConfirmedUnits = t0().Add(time.Minute), 3, 2, 1, 9
		ok, err := s.FinishCutoff(ctx(), &done)
		wantOK(t, ok, err, true, "FinishCutoff")
		again := done
		again.ConfirmedOrders = 99
		ok, err = s.FinishCutoff(ctx(), &again)
		wantOK(t, ok, err, false, "FinishCutoff twice")
		got, err := s.FindCutoff(ctx(), w.city.ID, "2026-11-26")
		must(t, err, "FindCutoff")
		wantEqual(t, got, &done, "FindCutoff")
		dates, err = s.FindUncutDates(ctx(), w.city.ID)
		must(t, err, "FindUncutDates after")
		wantIDs(t, dates, nil, "FindUncutDates after")
	})

	t.Run("a payment has several partial refunds, one per line and reason", func(t *testing.T) {
		w := newWorld(t, s)
		u := createUser(t, s, tuango.RoleCustomer)
		o := w.createOrder(t, u.ID, tuango.OrderShipped, t0(), item{w.createDeal(t, 10, 5), 2}, item{w.createDeal(t, 10, 5), 1})
		p := w.createPayment(t, o, t0())
		part := func(line, qty int) *tuango.Refund {
			r := refundOf(p, t0().Add(time.Duration(line)*time.Second))
			r.LineNo, r.Quantity, r.AmountFen, r.Reason = line, qty, o.Lines[line-1].UnitPriceFen*tuango.Fen(qty), tuango.RefundShortage
			return r
		}
		r1, r2 := part(1, 1), part(2, 1)
		must(t, s.CreateRefund(ctx(), r1), "CreateRefund(line 1)")
		must(t, s.CreateRefund(ctx(), r2), "CreateRefund(line 2)")
		wantCode(t, s.CreateRefund(ctx(), part(1, 1)), tuango.CodeConflict, "CreateRefund(line 1 again)")
		got, err := s.FindRefunds(ctx(), p.ID, "", 0)
		must(t, err, "FindRefunds")
		wantEqual(t, got, []tuango.Refund{*r1, *r2}, "FindRefunds")
		ok, err := s.SetRefundStatus(ctx(), r2.ID, tuango.RefundPending, tuango.RefundSucceeded, t0().Add(time.Hour))
		wantOK(t, ok, err, true, "SetRefundStatus(partial)")
		got, err = s.FindRefunds(ctx(), p.ID, tuango.RefundPending, 0)
		must(t, err, "FindRefunds(pending)")
		wantEqual(t, got, []tuango.Refund{*r1}, "FindRefunds(pending)")
	})
}

func testOutbox(t *testing.T, s tuango.Store) {
	ctx := t.Context
	t.Run("a message goes from the outbox to the inbox once and is sent once", func(t *testing.T) {
		u := createUser(t, s, tuango.RoleCustomer)
		var msgs []*tuango.Message
		for i := range 3 {
			// Ids sort as they were made, as SortableIDs do.
			m := &tuango.Message{ID: fmt.Sprintf("msg_%d_%s", i, newID("x")), UserID: u.ID, OrderID: "ord_x", Kind: tuango.NotifyConfirmed, Text: "已确认", CreatedAt: t0().Add(time.Duration(i) * time.Second)}
			must(t, s.AddOutbox(ctx(), m), "AddOutbox(%d)", i)
			msgs = append(msgs, m)
		}
		unsent, err := s.FindUnsentMessages(ctx(), 1000)
		must(t, err, "FindUnsentMessages")
		wantIDs(t, only(ids(unsent, msgID), msgs[0].ID, msgs[1].ID, msgs[2].ID), []string{msgs[0].ID, msgs[1].ID, msgs[2].ID}, "FindUnsentMessages, oldest first")
		for _, m := range msgs {
			must(t, s.AddToInbox(ctx(), m), "AddToInbox(%s)", m.ID)
			must(t, s.AddToInbox(ctx(), m), "AddToInbox(%s) again", m.ID)
		}
		ok, err := s.MarkMessageSent(ctx(), msgs[0].ID, t0())
		wantOK(t, ok, err, true, "MarkMessageSent")
		ok, err = s.MarkMessageSent(ctx(), msgs[0].ID, t0())
		wantOK(t, ok, err, false, "MarkMessageSent again")
		unsent, err = s.FindUnsentMessages(ctx(), 1000)
		must(t, err, "FindUnsentMessages after one was sent")
		wantIDs(t, only(ids(unsent, msgID), msgs[0].ID, msgs[1].ID, msgs[2].ID), []string{msgs[1].ID, msgs[2].ID}, "FindUnsentMessages after one was sent")

		page, err := s.FindInbox(ctx(), u.ID, "", 2)
		must(t, err, "FindInbox")
		want := []tuango.Message{*msgs[2], *msgs[1]}
		wantEqual(t, page, want, "FindInbox, newest first")
		page, err = s.FindInbox(ctx(), u.ID, msgs[1].ID, 2)
		must(t, err, "FindInbox(before)")
		wantEqual(t, page, []tuango.Message{*msgs[0]}, "FindInbox(before the second)")
	})

	t.Run("a message's kind and parameters come back as written, with no text", func(t *testing.T) {
		u := createUser(t, s, tuango.RoleCustomer)
		m := &tuango.Message{ID: "msg_p_" + newID("x"), UserID: u.ID, OrderID: "ord_p", Kind: tuango.NotifyMoved, CreatedAt: t0(),
			Params: tuango.NotifyParams{Date: "2026-03-02", Point: "幸福里", ToPoint: "Sunny \"Court\"", ToAddress: "1 路", RefundFen: 1234, Until: "2026-03-05T10:00:00Z", Reason: "装修"}}
		must(t, s.AddOutbox(ctx(), m), "AddOutbox")
		unsent, err := s.FindUnsentMessages(ctx(), 10000)
		must(t, err, "FindUnsentMessages")
		var got *tuango.Message
		for i := range unsent {
			if unsent[i].ID == m.ID {
				got = &unsent[i]
			}
		}
		if got == nil {
			t.Fatalf("FindUnsentMessages: %s missing", m.ID)
		}
		wantEqual(t, *got, *m, "FindUnsentMessages(with parameters)")
		must(t, s.AddToInbox(ctx(), got), "AddToInbox")
		page, err := s.FindInbox(ctx(), u.ID, "", 10)
		must(t, err, "FindInbox")
		wantEqual(t, page, []tuango.Message{*m}, "FindInbox(with parameters)")
	})

	t.Run("an order's customer is reminded once", func(t *testing.T) {
		w := newWorld(t, s)
		o := w.createOrder(t, createUser(t, s, tuango.RoleCustomer).ID, tuango.OrderArrived, t0(), item{w.createDeal(t, 10, 5), 1})
		next := *o
		next.ArrivedAt = t0()
		ok, err := s.UpdateOrderStatus(ctx(), &next, tuango.OrderArrived)
		wantOK(t, ok, err, true, "UpdateOrderStatus(arrived_at)")
		f := tuango.OrderFilter{Status: tuango.OrderArrived, ArrivedBefore: t0().Add(time.Hour), Unreminded: true}
		due, err := s.FindOrders(ctx(), f)
		must(t, err, "FindOrders(unreminded)")
		wantContains(t, ids(due, orderID), o.ID, "FindOrders(unreminded)")
		ok, err = s.MarkReminded(ctx(), o.ID, t0())
		wantOK(t, ok, err, true, "MarkReminded")
		ok, err = s.MarkReminded(ctx(), o.ID, t0())
		wantOK(t, ok, err, false, "MarkReminded again")
		due, err = s.FindOrders(ctx(), f)
		must(t, err, "FindOrders(unreminded) after")
		if len(only(ids(due, orderID), o.ID)) != 0 {
			t.Errorf("FindOrders(unreminded) still finds %s", o.ID)
		}
	})
}

func msgID(m tuango.Message) string { return m.ID }

func testClosure(t *testing.T, s tuango.Store) {
	ctx := t.Context
	t.Run("an order moves to another point once, with its code", func(t *testing.T) {
		w := newWorld(t, s)
		other := createPickupPoint(t, s, w.city.ID, w.route.ID, "")
		o := w.createOrder(t, createUser(t, s, tuango.RoleCustomer).ID, tuango.OrderConfirmed, t0(), item{w.createDeal(t, 10, 5), 1})
		ok, err := s.MoveOrderPickupPoint(ctx(), o.ID, tuango.OrderConfirmed, w.point.ID, other.ID, "7770001111")
		wantOK(t, ok, err, true, "MoveOrderPickupPoint")
		ok, err = s.MoveOrderPickupPoint(ctx(), o.ID, tuango.OrderConfirmed, w.point.ID, other.ID, "7770001111")
		wantOK(t, ok, err, false, "MoveOrderPickupPoint again")
		got, err := s.FindOrderByID(ctx(), o.ID)
		must(t, err, "FindOrderByID")
		if got.PickupPointID != other.ID || got.PickupCode != "7770001111" {
			t.Errorf("moved order = point %s code %q, want %s and 7770001111", got.PickupPointID, got.PickupCode, other.ID)
		}
	})

	t.Run("closures of cities and points are found from a date", func(t *testing.T) {
		w := newWorld(t, s)
		city := tuango.Closure{CityID: w.city.ID, From: "2026-11-26", To: "2026-11-26", Reason: "休市", ClosedBy: "usr_op", CreatedAt: t0()}
		must(t, s.SaveCityClosure(ctx(), &city), "SaveCityClosure")
		city.Reason = "暴雨停运"
		must(t, s.SaveCityClosure(ctx(), &city), "SaveCityClosure again")
		old := tuango.Closure{ID: newID("ppc"), PickupPointID: w.point.ID, From: "2026-11-01", To: "2026-11-03", Reason: "装修", ClosedBy: w.leader.ID, CreatedAt: t0()}
		cur := tuango.Closure{ID: newID("ppc"), PickupPointID: w.point.ID, From: "2026-11-25", To: "2026-11-28", Reason: "休假", ClosedBy: w.leader.ID, CreatedAt: t0()}
		must(t, s.AddPickupPointClosure(ctx(), &old), "AddPickupPointClosure(old)")
		must(t, s.AddPickupPointClosure(ctx(), &cur), "AddPickupPointClosure(current)")
		got, err := s.FindClosures(ctx(), []string{w.city.ID}, []string{w.point.ID}, "2026-11-20")
		must(t, err, "FindClosures")
		city.ID, city.PickupPointID = "", ""
		wantEqual(t, got, []tuango.Closure{city, cur}, "FindClosures")
	})
}
