package storetest

import (
	"testing"
	"time"

	"tuango/internal/tuango"
)

func testOrderStats(t *testing.T, s tuango.Store) {
	t.Run("OrderStats counts by hour and status, and sums what was paid by the hour it was paid", func(t *testing.T) {
		// A day of its own, so that other tests' orders are not counted.
		day := time.Date(2031, 3, 3, 0, 0, 0, 0, time.UTC).Add(time.Duration(time.Now().UnixNano()%1000) * 24 * time.Hour)
		w := newWorld(t, s)
		deal := w.createDeal(t, 100, 10)
		u := createUser(t, s, tuango.RoleCustomer)
		at := func(h, m int) time.Time {
			return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + 123*time.Microsecond)
		}
		w.createOrder(t, u.ID, tuango.OrderPaid, day.Add(-time.Minute), item{deal, 1}) // the day before: not counted
		w.createOrder(t, u.ID, tuango.OrderPendingPayment, at(9, 5), item{deal, 1})
		paid := w.createOrder(t, u.ID, tuango.OrderPendingPayment, at(9, 50), item{deal, 2})
		late := w.createOrder(t, u.ID, tuango.OrderPendingPayment, at(11, 0), item{deal, 3})
		w.createOrder(t, u.ID, tuango.OrderCancelled, at(11, 59), item{deal, 1})
		for _, p := range []struct {
			o  *tuango.Order
			at time.Time
		}{{paid, at(10, 1)}, {late, at(11, 30)}} {
			p.o.Status, p.o.PaidAt = tuango.OrderPaid, p.at
			ok, err := s.UpdateOrderStatus(t.Context(), p.o, tuango.OrderPendingPayment)
			must(t, err, "UpdateOrderStatus(%s)", p.o.ID)
			if !ok {
				t.Fatalf("UpdateOrderStatus(%s) = false", p.o.ID)
			}
		}
		got, err := s.OrderStats(t.Context(), day)
		must(t, err, "OrderStats(%v)", day)
		want := &tuango.OrderStats{
			Hours: []tuango.HourStats{
				{Hour: day.Add(9 * time.Hour), Placed: 2},
				{Hour: day.Add(10 * time.Hour), PaidFen: 2 * deal.PriceFen},
				{Hour: day.Add(11 * time.Hour), Placed: 2, PaidFen: 3 * deal.PriceFen},
			},
			ByStatus: map[tuango.OrderStatus]int{tuango.OrderPendingPayment: 1, tuango.OrderPaid: 2, tuango.OrderCancelled: 1},
		}
		wantEqual(t, got, want, "OrderStats(%v)", day)

		got, err = s.OrderStats(t.Context(), day.AddDate(0, 0, 1))
		must(t, err, "OrderStats(the next day)")
		wantEqual(t, got, &tuango.OrderStats{ByStatus: map[tuango.OrderStatus]int{}}, "OrderStats(the next day)")
	})
}
