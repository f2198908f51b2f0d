package storetest

import (
	"testing"
	"time"

	"tuango/internal/tuango"
)

func testOrder(t *testing.T, s tuango.Store) {
	t.Run("order round-trips with lines in line_no order", func(t *testing.T) {
		w := newWorld(t, s)
		u := createUser(t, s, tuango.RoleCustomer)
		a, b, c := w.createDeal(t, 10, 5), w.createDeal(t, 10, 5), w.createDeal(t, 10, 5)
		o := w.orderOf(u.ID, tuango.OrderPendingPayment, t0(), item{a, 1}, item{b, 2}, item{c, 3})
		stored := *o
		stored.Lines = []tuango.OrderLine{o.Lines[2], o.Lines[0], o.Lines[1]}
		must(t, s.CreateOrder(t.Context(), &stored), "CreateOrder(%s)", o.ID)
		got, err := s.FindOrderByID(t.Context(), o.ID)
		must(t, err, "FindOrderByID(%s)", o.ID)
		wantEqual(t, got, o, "FindOrderByID(%s)", o.ID)
	})

	t.Run("missing order is not found", func(t *testing.T) {
		id := newID("missing")
		_, err := s.FindOrderByID(t.Context(), id)
		wantNotFound(t, err, "FindOrderByID(%s)", id)
	})

	t.Run("second order with one id is conflict", func(t *testing.T) {
		w := newWorld(t, s)
		u := createUser(t, s, tuango.RoleCustomer)
		o := w.createOrder(t, u.ID, tuango.OrderPendingPayment, t0(), item{w.createDeal(t, 10, 5), 1})
		wantCode(t, s.CreateOrder(t.Context(), o), tuango.CodeConflict, "CreateOrder(%s) again", o.ID)
	})

	t.Run("a user's orders are listed newest first with their lines", func(t *testing.T) {
		w := newWorld(t, s)
		u, other := createUser(t, s, tuango.RoleCustomer), createUser(t, s, tuango.RoleCustomer)
		d := w.createDeal(t, 100, 50)
		middle := w.createOrder(t, u.ID, tuango.OrderPaid, t0().Add(time.Minute), item{d, 2})
		oldest := w.createOrder(t, u.ID, tuango.OrderPendingPayment, t0(), item{d, 1})
		newest := w.createOrder(t, u.ID, tuango.OrderCancelled, t0().Add(2*time.Minute), item{d, 3}, item{w.createDeal(t, 5, 5), 1})
		w.createOrder(t, other.ID, tuango.OrderPendingPayment, t0().Add(time.Minute), item{d, 1})

		got, err := s.FindOrders(t.Context(), tuango.OrderFilter{UserID: u.ID})
		must(t, err, "FindOrders(user)")
		wantEqual(t, got, []tuango.Order{*newest, *middle, *oldest}, "FindOrders(user)")

		got, err = s.FindOrders(t.Context(), tuango.OrderFilter{UserID: u.ID, Limit: 2})
		must(t, err, "FindOrders(user, limit 2)")
		wantIDs(t, ids(got, orderID), []string{newest.ID, middle.ID}, "FindOrders(user, limit 2)")

		got, err = s.FindOrders(t.Context(), tuango.OrderFilter{UserID: u.ID, Status: tuango.OrderPaid})
		must(t, err, "FindOrders(user, paid)")
		wantIDs(t, ids(got, orderID), []string{middle.ID}, "FindOrders(user, paid)")
	})

	t.Run("more orders than one lookup takes are listed with all their lines", func(t *testing.T) {
		w := newWorld(t, s)
		u := createUser(t, s, tuango.RoleCustomer)
		d, d2 := w.createDeal(t, 1000, 1000), w.createDeal(t, 1000, 1000)
		var orders []*tuango.Order
		for i := range 130 { // lines are looked up 128 orders at a time
			items := []item{{d, 1 + i%3}}
			if i%2 == 0 {
				items = append(items, item{d2, 1})
			}
			orders = append(orders, w.orderOf(u.ID, tuango.OrderPendingPayment, t0().Add(time.Duration(i)*time.Second), items...))
		}
		must(t, s.CreateOrders(t.Context(), orders), "CreateOrders(130)")
		var want []tuango.Order
		for i := len(orders) - 1; i >= 0; i-- {
			want = append(want, *orders[i])
		}
		got, err := s.FindOrders(t.Context(), tuango.OrderFilter{UserID: u.ID})
		must(t, err, "FindOrders(user with 130 orders)")
		wantEqual(t, got, want, "FindOrders(user with 130 orders)")
	})

	t.Run("overdue orders are listed by payment deadline", func(t *testing.T) {
		w := newWorld(t, s)
		u := createUser(t, s, tuango.RoleCustomer)
		d := w.createDeal(t, 100, 50)
		due := func(status tuango.OrderStatus, created, expires time.Time) *tuango.Order {
			o := w.orderOf(u.ID, status, created, item{d, 1})
			o.ExpiresAt = expires
			must(t, s.CreateOrder(t.Context(), o), "CreateOrder(%s)", o.ID)
			return o
		}
		now := t0()
		late := due(tuango.OrderPendingPayment, now.Add(-20*time.Minute), now.Add(-time.Minute))
		later := due(tuango.OrderPendingPayment, now.Add(-30*time.Minute), now.Add(-time.Second))
		earliest := due(tuango.OrderPendingPayment, now.Add(-10*time.Minute), now.Add(-10*time.Minute))
		due(tuango.OrderPendingPayment, now.Add(-time.Minute), now.Add(time.Minute))
		due(tuango.OrderPaid, now.Add(-time.Hour), now.Add(-time.Hour))

		f := tuango.OrderFilter{Status: tuango.OrderPendingPayment, ExpiresBefore: now}
		got, err := s.FindOrders(t.Context(), f)
		must(t, err, "FindOrders(pending, expires before now)")
		mine := only(ids(got, orderID), earliest.ID, late.ID, later.ID)
		wantIDs(t, mine, []string{earliest.ID, late.ID, later.ID}, "FindOrders(pending, expires before now)")
		for _, o := range got {
			if o.Status != tuango.OrderPendingPayment || o.ExpiresAt.After(now) {
				t.Errorf("FindOrders(pending, expires before now) returned %s, %s, due %v", o.ID, o.Status, o.ExpiresAt)
			}
		}
	})

	t.Run("CreateOrders writes every order and line", func(t *testing.T) {
		w := newWorld(t, s)
		d1, d2 := w.createDeal(t, 1000, 50), w.createDeal(t, 1000, 50)
		var orders []*tuango.Order
		for i := range 150 {
			items := []item{{d1, 1 + i%3}}
			if i%5 == 0 {
				items = append(items, item{d2, 2})
			}
			orders = append(orders, w.orderOf(createUser(t, s, tuango.RoleCustomer).ID, tuango.OrderPendingPayment, t0(), items...))
		}
		must(t, s.CreateOrders(t.Context(), orders), "CreateOrders(150)")
		for _, o := range orders {
			got, err := s.FindOrderByID(t.Context(), o.ID)
			if err != nil {
				t.Errorf("FindOrderByID(%s) = %v", o.ID, err)
				continue
			}
			wantEqual(t, got, o, "FindOrderByID(%s) after CreateOrders", o.ID)
		}
	})

	t.Run("UpdateOrderStatus writes the moved columns only from the given status", func(t *testing.T) {
		w := newWorld(t, s)
		u := createUser(t, s, tuango.RoleCustomer)
		o := w.createOrder(t, u.ID, tuango.OrderPendingPayment, t0(), item{w.createDeal(t, 10, 5), 1})
		paid := *o
		paid.Status, paid.PaidAt = tuango.OrderPaid, t0().Add(time.Minute+7*time.Microsecond)
		cancelled := paid
		cancelled.Status, cancelled.CancelledAt, cancelled.CancelReason = tuango.OrderCancelled, t0().Add(time.Hour+9*time.Microsecond), tuango.CancelByCustomer
		steps := []struct {
			name string
			to   *tuango.Order
			from tuango.OrderStatus
			want bool
			then *tuango.Order // the order as found afterwards
		}{
			{"pending → paid", &paid, tuango.OrderPendingPayment, true, &paid},
			{"pending → cancelled once paid", &cancelled, tuango.OrderPendingPayment, false, &paid},
			{"paid → cancelled", &cancelled, tuango.OrderPaid, true, &cancelled},
			{"paid → paid once cancelled", &paid, tuango.OrderPaid, false, &cancelled},
		}
		for _, st := range steps {
			ok, err := s.UpdateOrderStatus(t.Context(), st.to, st.from)
			wantOK(t, ok, err, st.want, "%s: UpdateOrderStatus(%s, from %s)", st.name, st.to.Status, st.from)
			got, err := s.FindOrderByID(t.Context(), o.ID)
			must(t, err, "FindOrderByID(%s)", o.ID)
			wantEqual(t, got, st.then, "%s: FindOrderByID(%s)", st.name, o.ID)
		}

		missing := paid
		missing.ID = newID("missing")
		ok, err := s.UpdateOrderStatus(t.Context(), &missing, tuango.OrderPendingPayment)
		wantOK(t, ok, err, false, "UpdateOrderStatus(missing order)")
	})

	t.Run("CountLiveUnits counts only pending and paid orders", func(t *testing.T) {
		w := newWorld(t, s)
		u, other := createUser(t, s, tuango.RoleCustomer), createUser(t, s, tuango.RoleCustomer)
		d, otherDeal := w.createDeal(t, 100, 50), w.createDeal(t, 100, 50)
		pending := w.createOrder(t, u.ID, tuango.OrderPendingPayment, t0(), item{d, 2}, item{otherDeal, 5})
		w.createOrder(t, u.ID, tuango.OrderPaid, t0(), item{otherDeal, 1}, item{d, 3})
		w.createOrder(t, u.ID, tuango.OrderCancelled, t0(), item{d, 4})
		w.createOrder(t, other.ID, tuango.OrderPaid, t0(), item{d, 7})

		n, err := s.CountLiveUnits(t.Context(), u.ID, d.ID)
		must(t, err, "CountLiveUnits")
		if n != 5 {
			t.Errorf("CountLiveUnits(user, deal) = %d, want 5 (2 pending + 3 paid)", n)
		}
		cancelled := *pending
		cancelled.Status, cancelled.CancelledAt, cancelled.CancelReason = tuango.OrderCancelled, t0(), tuango.CancelExpired
		ok, err := s.UpdateOrderStatus(t.Context(), &cancelled, tuango.OrderPendingPayment)
		wantOK(t, ok, err, true, "UpdateOrderStatus(pending → cancelled)")
		n, err = s.CountLiveUnits(t.Context(), u.ID, d.ID)
		must(t, err, "CountLiveUnits")
		if n != 3 {
			t.Errorf("CountLiveUnits(user, deal) after cancelling the pending order = %d, want 3", n)
		}
		n, err = s.CountLiveUnits(t.Context(), createUser(t, s, tuango.RoleCustomer).ID, d.ID)
		must(t, err, "CountLiveUnits")
		if n != 0 {
			t.Errorf("CountLiveUnits(user without orders, deal) = %d, want 0", n)
		}
	})
}

func orderID(o tuango.Order) string { return o.ID }
