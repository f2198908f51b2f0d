package storetest

import (
	"testing"
	"time"

	"tuango/internal/tuango"
)

func testUnpaidOrders(t *testing.T, s tuango.Store) {
	w := newWorld(t, s)
	d := w.createDeal(t, 100, 50)
	a, b, none := createUser(t, s, tuango.RoleCustomer), createUser(t, s, tuango.RoleCustomer), createUser(t, s, tuango.RoleCustomer)
	w.createOrder(t, a.ID, tuango.OrderPendingPayment, t0(), item{d, 1})
	w.createOrder(t, a.ID, tuango.OrderPendingPayment, t0().Add(-time.Minute), item{d, 1})
	w.createOrder(t, a.ID, tuango.OrderPendingPayment, t0().Add(-time.Hour), item{d, 1}) // past its deadline
	w.createOrder(t, a.ID, tuango.OrderPaid, t0(), item{d, 1})
	w.createOrder(t, b.ID, tuango.OrderPendingPayment, t0(), item{d, 1})
	w.createOrder(t, none.ID, tuango.OrderCancelled, t0(), item{d, 1})

	got, err := s.CountUnpaidOrders(t.Context(), []string{a.ID, b.ID, none.ID, "usr_missing"}, t0())
	must(t, err, "CountUnpaidOrders")
	wantEqual(t, got, map[string]int{a.ID: 2, b.ID: 1}, "CountUnpaidOrders")
	got, err = s.CountUnpaidOrders(t.Context(), nil, t0())
	must(t, err, "CountUnpaidOrders(none)")
	wantEqual(t, got, map[string]int{}, "CountUnpaidOrders(none)")
}
