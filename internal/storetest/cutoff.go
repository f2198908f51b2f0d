package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"tuango/internal/tuango"
)

// testCutoffBatch tests what a large cutoff is made of: set-based moves of
// many orders, their timeline and notifications in multi-row inserts, a
// day's orders read page by page, and the cutoff's progress.
func testCutoffBatch(t *testing.T, s tuango.Store) {
	ctx := t.Context
	const date = "2026-11-26"

	t.Run("UpdateOrderStatuses moves only orders still in the status it moves from", func(t *testing.T) {
		w := newWorld(t, s)
		u := createUser(t, s, tuango.RoleCustomer)
		d := w.createDeal(t, 1000, 999)
		var orders []*tuango.Order
		for i := range 130 { // past one statement's 128 ids
			orders = append(orders, w.orderOf(u.ID, tuango.OrderPaid, t0().Add(time.Duration(i)*time.Microsecond), item{d, 1}))
		}
		must(t, s.CreateOrders(ctx(), orders), "CreateOrders")
		// The columns a batch move does not write stay as they are.
		orders[0].PaidAt, orders[0].PickupCode = t0().Add(time.Minute), "1234567890"
		ok, err := s.UpdateOrderStatus(ctx(), orders[0], tuango.OrderPaid)
		wantOK(t, ok, err, true, "UpdateOrderStatus(paid_at, pickup_code)")
		// Under the batch: one order is cancelled, another already confirmed.
		gone, ahead := *orders[5], *orders[129]
		gone.Status, gone.CancelledAt, gone.CancelReason = tuango.OrderCancelled, t0().Add(2*time.Minute), tuango.CancelByCustomer
		ok, err = s.UpdateOrderStatus(ctx(), &gone, tuango.OrderPaid)
		wantOK(t, ok, err, true, "UpdateOrderStatus(cancel one)")
		ahead.Status, ahead.ConfirmedAt = tuango.OrderConfirmed, t0().Add(3*time.Minute)
		ok, err = s.UpdateOrderStatus(ctx(), &ahead, tuango.OrderPaid)
		wantOK(t, ok, err, true, "UpdateOrderStatus(confirm one)")

		ids := []string{"ord_missing"}
		var want []string
		for _, o := range orders {
			ids = append(ids, o.ID)
			if o.ID != gone.ID && o.ID != ahead.ID {
				want = append(want, o.ID)
			}
		}
		at := t0().Add(time.Hour + 7*time.Microsecond)
		var moved []string
		must(t, s.InTx(ctx(), func(tx tuango.Store) error {
			var err error
			moved, err = tx.UpdateOrderStatuses(ctx(), ids, tuango.OrderPaid, tuango.OrderConfirmed, at)
			return err
		}), "UpdateOrderStatuses")
		slices.Sort(moved)
		slices.Sort(want)
		wantIDs(t, moved, want, "UpdateOrderStatuses moved")

		got, err := s.FindOrderByID(ctx(), orders[0].ID)
		must(t, err, "FindOrderByID(moved)")
		next := *orders[0]
		next.Status, next.ConfirmedAt = tuango.OrderConfirmed, at
		wantEqual(t, got, &next, "a moved order")
		got, err = s.FindOrderByID(ctx(), gone.ID)
		must(t, err, "FindOrderByID(cancelled)")
		wantEqual(t, got, &gone, "the order cancelled under the batch")
		got, err = s.FindOrderByID(ctx(), ahead.ID)
		must(t, err, "FindOrderByID(confirmed before)")
		wantEqual(t, got, &ahead, "the order confirmed before the batch keeps its time")

		again, err := s.UpdateOrderStatuses(ctx(), ids, tuango.OrderPaid, tuango.OrderConfirmed, at.Add(time.Hour))
		must(t, err, "UpdateOrderStatuses again, outside a transaction")
		wantIDs(t, again, nil, "UpdateOrderStatuses again moved")
		none, err := s.UpdateOrderStatuses(ctx(), nil, tuango.OrderPaid, tuango.OrderConfirmed, at)
		must(t, err, "UpdateOrderStatuses(no ids)")
		wantIDs(t, none, nil, "UpdateOrderStatuses(no ids) moved")
	})

	t.Run("UpdateOrderStatuses refuses a move that records more than its time", func(t *testing.T) {
		w := newWorld(t, s)
		u := createUser(t, s, tuango.RoleCustomer)
		o := w.createOrder(t, u.ID, tuango.OrderPaid, t0(), item{w.createDeal(t, 10, 5), 1})
		moved, err := s.UpdateOrderStatuses(ctx(), []string{o.ID}, tuango.OrderPaid, tuango.OrderCancelled, t0())
		wantCode(t, err, tuango.CodeInternal, "UpdateOrderStatuses(to cancelled) = %q", moved)
		got, err := s.FindOrderByID(ctx(), o.ID)
		must(t, err, "FindOrderByID")
		wantEqual(t, got.Status, tuango.OrderPaid, "the order after a refused move")
	})

	t.Run("AddOrderEvents records many moves, and a second event into a status none of its batch", func(t *testing.T) {
		w := newWorld(t, s)
		u := createUser(t, s, tuango.RoleCustomer)
		d := w.createDeal(t, 1000, 999)
		var events []tuango.OrderEvent
		var orders []*tuango.Order
		for i := range 65 {
			o := w.orderOf(u.ID, tuango.OrderShipped, t0(), item{d, 1})
			orders = append(orders, o)
			for k, st := range []tuango.OrderStatus{tuango.OrderConfirmed, tuango.OrderShipped} {
				events = append(events, tuango.OrderEvent{OrderID: o.ID, Status: st, At: t0().Add(time.Duration(i*2+k) * time.Microsecond),
					Mover: tuango.MoverWorker, Place: fmt.Sprint("place-", i), Reason: fmt.Sprint("r", k)})
			}
		}
		must(t, s.CreateOrders(ctx(), orders), "CreateOrders")
		must(t, s.AddOrderEvents(ctx(), events), "AddOrderEvents(130)")
		for _, i := range []int{0, 64} {
			got, err := s.FindOrderEvents(ctx(), orders[i].ID)
			must(t, err, "FindOrderEvents(%d)", i)
			wantEqual(t, got, events[i*2:i*2+2], "FindOrderEvents(%d)", i)
		}

		o := w.createOrder(t, u.ID, tuango.OrderConfirmed, t0(), item{d, 1})
		fresh := tuango.OrderEvent{OrderID: o.ID, Status: tuango.OrderConfirmed, At: t0(), Mover: tuango.MoverWorker}
		err := s.InTx(ctx(), func(tx tuango.Store) error {
			return tx.AddOrderEvents(ctx(), []tuango.OrderEvent{fresh, events[0]})
		})
		wantCode(t, err, tuango.CodeConflict, "AddOrderEvents with an event already recorded")
		got, err := s.FindOrderEvents(ctx(), o.ID)
		must(t, err, "FindOrderEvents(the refused batch's other order)")
		wantEqual(t, len(got), 0, "events recorded from the refused batch")
		must(t, s.AddOrderEvents(ctx(), nil), "AddOrderEvents(none)")
	})

	t.Run("AddOutboxMessages writes many messages, each as given", func(t *testing.T) {
		u := createUser(t, s, tuango.RoleCustomer)
		var ms []*tuango.Message
		var want []string
		for i := range 130 {
			m := &tuango.Message{ID: fmt.Sprintf("msg_batch_%s_%03d", u.ID, i), UserID: u.ID, OrderID: fmt.Sprint("ord_", i),
				Kind: tuango.NotifyConfirmed, Text: fmt.Sprintf("您的订单 %d 已截单确认", i), CreatedAt: t0().Add(time.Duration(i) * time.Microsecond)}
			ms, want = append(ms, m), append(want, m.ID)
		}
		must(t, s.AddOutboxMessages(ctx(), ms), "AddOutboxMessages")
		unsent, err := s.FindUnsentMessages(ctx(), 10000)
		must(t, err, "FindUnsentMessages")
		mine := map[string]tuango.Message{}
		for _, m := range unsent {
			if m.UserID == u.ID {
				mine[m.ID] = m
			}
		}
		wantIDs(t, only(ids(unsent, func(m tuango.Message) string { return m.ID }), want...), want, "FindUnsentMessages after AddOutboxMessages")
		for _, i := range []int{0, 129} {
			wantEqual(t, mine[ms[i].ID], *ms[i], "message %d", i)
		}
		err = s.InTx(ctx(), func(tx tuango.Store) error {
			return tx.AddOutboxMessages(ctx(), []*tuango.Message{{ID: newID("msg"), UserID: u.ID, Kind: tuango.NotifyConfirmed, Text: "x", CreatedAt: t0()}, ms[0]})
		})
		wantCode(t, err, tuango.CodeConflict, "AddOutboxMessages with a message already written")
	})

	t.Run("a day's orders are read page by page by key, without their lines if asked", func(t *testing.T) {
		w := newWorld(t, s)
		u := createUser(t, s, tuango.RoleCustomer)
		d := w.createDeal(t, 1000, 999)
		var orders []*tuango.Order
		var want []string
		for i := range 9 {
			// Three orders to each microsecond: pages must split ties by id.
			o := w.orderOf(u.ID, tuango.OrderPaid, t0().Add(time.Duration(i/3)*time.Microsecond), item{d, 1})
			orders = append(orders, o)
		}
		orders = append(orders, w.orderOf(u.ID, tuango.OrderCancelled, t0(), item{d, 1}))
		must(t, s.CreateOrders(ctx(), orders), "CreateOrders")
		slices.SortFunc(orders[:9], func(a, b *tuango.Order) int {
			if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
		for _, o := range orders[:9] {
			want = append(want, o.ID)
		}
		var got []string
		var after *tuango.Order
		for page := 0; ; page++ {
			os, err := s.FindOrders(ctx(), tuango.OrderFilter{CityID: w.city.ID, DeliveryDate: date, Status: tuango.OrderPaid, DayAfter: after, WithoutLines: true, Limit: 2})
			must(t, err, "FindOrders(page %d)", page)
			if len(os) == 0 {
				break
			}
			for _, o := range os {
				if o.Lines != nil {
					t.Errorf("order %s has lines %+v, want none read", o.ID, o.Lines)
				}
				got = append(got, o.ID)
			}
			after = &os[len(os)-1]
			if page > 10 {
				t.Fatal("the pages never end")
			}
		}
		wantIDs(t, got, want, "a day's paid orders, page by page")
		n, err := s.CountDeliveryOrders(ctx(), w.city.ID, date, []tuango.OrderStatus{tuango.OrderPaid, tuango.OrderPendingPayment})
		must(t, err, "CountDeliveryOrders")
		wantEqual(t, n, 9, "CountDeliveryOrders(paid or unpaid)")
		n, err = s.CountDeliveryOrders(ctx(), w.city.ID, "2026-11-27", []tuango.OrderStatus{tuango.OrderPaid})
		must(t, err, "CountDeliveryOrders(another date)")
		wantEqual(t, n, 0, "CountDeliveryOrders(another date)")
	})

	t.Run("a running cutoff counts its progress, and stops counting once finished", func(t *testing.T) {
		w := newWorld(t, s)
		ok, err := s.SetCutoffTotal(ctx(), w.city.ID, date, 10)
		wantOK(t, ok, err, false, "SetCutoffTotal before the cutoff started")
		c := &tuango.CutoffRun{CityID: w.city.ID, DeliveryDate: date, StartedAt: t0(), StartedBy: tuango.WorkerID}
		must(t, s.CreateCutoff(ctx(), c), "CreateCutoff")
		ok, err = s.SetCutoffTotal(ctx(), w.city.ID, date, 10)
		wantOK(t, ok, err, true, "SetCutoffTotal")
		for _, n := range []int{4, 3} {
			must(t, s.InTx(ctx(), func(tx tuango.Store) error {
				ok, err := tx.AddCutoffMoved(ctx(), w.city.ID, date, n)
				wantOK(t, ok, err, true, "AddCutoffMoved(%d)", n)
				return err
			}), "a chunk's transaction")
		}
		got, err := s.FindCutoff(ctx(), w.city.ID, date)
		must(t, err, "FindCutoff")
		wantEqual(t, [2]int{got.MovedOrders, got.TotalOrders}, [2]int{7, 10}, "moved and total")
		// Resumed after a crash, with 5 orders left: 7 moved of 12.
		ok, err = s.SetCutoffTotal(ctx(), w.city.ID, date, 5)
		wantOK(t, ok, err, true, "SetCutoffTotal on resuming")
		got, err = s.FindCutoff(ctx(), w.city.ID, date)
		must(t, err, "FindCutoff")
		wantEqual(t, [2]int{got.MovedOrders, got.TotalOrders}, [2]int{7, 12}, "moved and total after resuming")
		// A chunk whose transaction fails counts nothing.
		s.InTx(ctx(), func(tx tuango.Store) error {
			tx.AddCutoffMoved(ctx(), w.city.ID, date, 100)
			return tuango.Errorf(tuango.CodeConflict, "the chunk failed")
		})
		done := *got
		done.FinishedAt, done.ConfirmedOrders = t0().Add(time.Minute), 12
		ok, err = s.FinishCutoff(ctx(), &done)
		wantOK(t, ok, err, true, "FinishCutoff")
		ok, err = s.AddCutoffMoved(ctx(), w.city.ID, date, 1)
		wantOK(t, ok, err, false, "AddCutoffMoved after the finish")
		ok, err = s.SetCutoffTotal(ctx(), w.city.ID, date, 1)
		wantOK(t, ok, err, false, "SetCutoffTotal after the finish")
		got, err = s.FindCutoff(ctx(), w.city.ID, date)
		must(t, err, "FindCutoff after the finish")
		wantEqual(t, got, &done, "the finished cutoff")
	})
}
