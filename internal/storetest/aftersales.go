package storetest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"tuango/internal/tuango"
)

func (w *world) afterSaleOf(o *tuango.Order, lineNo, qty int, status tuango.AfterSalesStatus, created time.Time) *tuango.AfterSale {
	return &tuango.AfterSale{ID: newID("as"), OrderID: o.ID, LineNo: lineNo, UserID: o.UserID, Quantity: qty,
		Reason: tuango.AfterSalesDamaged, Note: "压坏了两个", Status: status, RefundFen: 1990, CreatedAt: created}
}

func testAfterSales(t *testing.T, s tuango.Store) {
	w := newWorld(t, s)
	d := w.createDeal(t, 100, 0)

	t.Run("a request round-trips and is listed by order and by status in id order", func(t *testing.T) {
		u := createUser(t, s, tuango.RoleCustomer)
		o := w.createOrder(t, u.ID, tuango.OrderPickedUp, t0(), item{d, 3}, item{d, 1})
		a := w.afterSaleOf(o, 1, 2, tuango.AfterSalesPending, t0())
		b := w.afterSaleOf(o, 2, 1, tuango.AfterSalesApproved, t0().Add(time.Second))
		b.ApprovedByRule, b.DecidedAt, b.RefundID = tuango.AutoSmall, t0().Add(time.Second), "rfd_x"
		must(t, s.CreateAfterSale(t.Context(), a), "CreateAfterSale(a)")
		must(t, s.CreateAfterSale(t.Context(), b), "CreateAfterSale(b)")
		got, err := s.FindAfterSaleByID(t.Context(), b.ID)
		must(t, err, "FindAfterSaleByID(%s)", b.ID)
		wantEqual(t, got, b, "FindAfterSaleByID(%s)", b.ID)
		all, err := s.FindAfterSales(t.Context(), tuango.AfterSalesFilter{OrderID: o.ID})
		must(t, err, "FindAfterSales(order)")
		wantIDs(t, ids(all, func(x tuango.AfterSale) string { return x.ID }), []string{a.ID, b.ID}, "FindAfterSales(order)")
		pending, err := s.FindAfterSales(t.Context(), tuango.AfterSalesFilter{OrderID: o.ID, Status: tuango.AfterSalesPending})
		must(t, err, "FindAfterSales(order, pending)")
		wantIDs(t, ids(pending, func(x tuango.AfterSale) string { return x.ID }), []string{a.ID}, "FindAfterSales(order, pending)")
		_, err = s.FindAfterSaleByID(t.Context(), newID("as"))
		wantNotFound(t, err, "FindAfterSaleByID(missing)")
	})

	t.Run("a page by status starts after its cursor", func(t *testing.T) {
		u := createUser(t, s, tuango.RoleCustomer)
		o := w.createOrder(t, u.ID, tuango.OrderPickedUp, t0(), item{d, 1}, item{d, 1}, item{d, 1})
		want := []string{newID("as"), newID("as"), newID("as")}
		slices.Sort(want) // ids order the list, as the service's sortable ids do
		for i := 1; i <= 3; i++ {
			as := w.afterSaleOf(o, i, 1, tuango.AfterSalesPending, t0())
			as.ID = want[i-1]
			must(t, s.CreateAfterSale(t.Context(), as), "CreateAfterSale(%d)", i)
		}
		got, err := s.FindAfterSales(t.Context(), tuango.AfterSalesFilter{Status: tuango.AfterSalesPending, After: want[0], Limit: 1000})
		must(t, err, "FindAfterSales(pending after)")
		wantIDs(t, only(ids(got, func(x tuango.AfterSale) string { return x.ID }), want...), want[1:], "FindAfterSales(pending, after first)")
		got, err = s.FindAfterSales(t.Context(), tuango.AfterSalesFilter{Status: tuango.AfterSalesPending, After: want[0], Limit: 1})
		must(t, err, "FindAfterSales(limit 1)")
		if len(got) != 1 {
			t.Errorf("FindAfterSales(limit 1) = %d items, want 1", len(got))
		}
	})

	t.Run("a second pending request for a line is refused with after_sales_open", func(t *testing.T) {
		u := createUser(t, s, tuango.RoleCustomer)
		o := w.createOrder(t, u.ID, tuango.OrderPickedUp, t0(), item{d, 3})
		must(t, s.CreateAfterSale(t.Context(), w.afterSaleOf(o, 1, 1, tuango.AfterSalesPending, t0())), "CreateAfterSale(first)")
		wantCode(t, s.CreateAfterSale(t.Context(), w.afterSaleOf(o, 1, 1, tuango.AfterSalesPending, t0())), tuango.CodeAfterSalesOpen, "CreateAfterSale(second pending)")
		must(t, s.CreateAfterSale(t.Context(), w.afterSaleOf(o, 1, 1, tuango.AfterSalesApproved, t0())), "CreateAfterSale(approved beside pending)")
	})

	t.Run("a decision is written once", func(t *testing.T) {
		u := createUser(t, s, tuango.RoleCustomer)
		o := w.createOrder(t, u.ID, tuango.OrderPickedUp, t0(), item{d, 3})
		as := w.afterSaleOf(o, 1, 1, tuango.AfterSalesPending, t0())
		must(t, s.CreateAfterSale(t.Context(), as), "CreateAfterSale")
		as.Status, as.RejectReason, as.DecidedBy, as.DecidedAt, as.RefundFen = tuango.AfterSalesRejected, "照片看不出问题", "op", t0().Add(time.Hour), 0
		ok, err := s.DecideAfterSale(t.Context(), as)
		wantOK(t, ok, err, true, "DecideAfterSale(pending)")
		got, err := s.FindAfterSaleByID(t.Context(), as.ID)
		must(t, err, "FindAfterSaleByID")
		wantEqual(t, got, as, "after the decision")
		as.Status = tuango.AfterSalesApproved
		ok, err = s.DecideAfterSale(t.Context(), as)
		wantOK(t, ok, err, false, "DecideAfterSale(already rejected)")
		// The pending slot is free again.
		must(t, s.CreateAfterSale(t.Context(), w.afterSaleOf(o, 1, 1, tuango.AfterSalesPending, t0())), "CreateAfterSale(after a decision)")
	})

	t.Run("a line refund is guarded by what it had, its quantity and its paid amount", func(t *testing.T) {
		u := createUser(t, s, tuango.RoleCustomer)
		o := w.createOrder(t, u.ID, tuango.OrderPickedUp, t0(), item{d, 3}) // 3 × 1990 = 5970
		ok, err := s.RefundOrderLine(t.Context(), o.ID, 1, 0, 2, 3980)
		wantOK(t, ok, err, true, "RefundOrderLine(2 of 3)")
		ok, err = s.RefundOrderLine(t.Context(), o.ID, 1, 0, 1, 1990)
		wantOK(t, ok, err, false, "RefundOrderLine(stale refunded quantity)")
		ok, err = s.RefundOrderLine(t.Context(), o.ID, 1, 2, 2, 1990)
		wantOK(t, ok, err, false, "RefundOrderLine(past the quantity)")
		ok, err = s.RefundOrderLine(t.Context(), o.ID, 1, 2, 1, 1991)
		wantOK(t, ok, err, false, "RefundOrderLine(past the paid amount)")
		ok, err = s.RefundOrderLine(t.Context(), o.ID, 1, 2, 1, 1990)
		wantOK(t, ok, err, true, "RefundOrderLine(the last unit)")
		got, err := s.FindOrderByID(t.Context(), o.ID)
		must(t, err, "FindOrderByID")
		if l := got.Lines[0]; l.RefundedQuantity != 3 || l.RefundedFen != 5970 || got.RefundedFen != 5970 {
			t.Errorf("after refunds: line %d units / %d fen, order %d fen; want 3 / 5970, 5970", l.RefundedQuantity, l.RefundedFen, got.RefundedFen)
		}
	})

	t.Run("concurrent line refunds from the same state: one wins", func(t *testing.T) {
		u := createUser(t, s, tuango.RoleCustomer)
		o := w.createOrder(t, u.ID, tuango.OrderPickedUp, t0(), item{d, 2})
		var wg sync.WaitGroup
		wins := make([]bool, 4)
		for i := range wins {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = s.InTx(t.Context(), func(tx tuango.Store) error {
					if err := tx.LockOrderForAfterSales(t.Context(), o.ID); err != nil {
						return err
					}
					ok, err := tx.RefundOrderLine(t.Context(), o.ID, 1, 0, 2, 3980)
					wins[i] = ok && err == nil
					return err
				})
			}()
		}
		wg.Wait()
		n := 0
		for _, ok := range wins {
			if ok {
				n++
			}
		}
		got, err := s.FindOrderByID(t.Context(), o.ID)
		must(t, err, "FindOrderByID")
		if n != 1 || got.Lines[0].RefundedFen != 3980 || got.RefundedFen != 3980 {
			t.Errorf("%d refunds won, line refunded %d fen, order %d; want 1, 3980, 3980", n, got.Lines[0].RefundedFen, got.RefundedFen)
		}
	})

	t.Run("a city's window defaults to 48 hours and can be set", func(t *testing.T) {
		c := createCity(t, s)
		got, err := s.FindAfterSalesWindow(t.Context(), c.ID)
		must(t, err, "FindAfterSalesWindow")
		if got != tuango.DefaultAfterSalesWindow {
			t.Errorf("FindAfterSalesWindow(new city) = %v, want %v", got, tuango.DefaultAfterSalesWindow)
		}
		must(t, s.SetAfterSalesWindow(t.Context(), c.ID, 72), "SetAfterSalesWindow(72)")
		got, err = s.FindAfterSalesWindow(t.Context(), c.ID)
		must(t, err, "FindAfterSalesWindow")
		if got != 72*time.Hour {
			t.Errorf("FindAfterSalesWindow after setting 72 = %v, want 72h", got)
		}
		wantNotFound(t, s.SetAfterSalesWindow(t.Context(), newID("city"), 24), "SetAfterSalesWindow(missing city)")
		_, err = s.FindAfterSalesWindow(t.Context(), newID("city"))
		wantNotFound(t, err, "FindAfterSalesWindow(missing city)")
	})
}
