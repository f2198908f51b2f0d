package storetest

import (
	"testing"
	"time"

	"tuango/internal/tuango"
)

func createCoupon(t *testing.T, s tuango.Store, kind tuango.CouponKind, created time.Time) *tuango.Coupon {
	t.Helper()
	c := &tuango.Coupon{ID: newID("cpn"), Name: "满30减5", Kind: kind, AmountOffFen: 500, MinSpendFen: 3000,
		ValidFrom: t0(), ValidTo: t0().Add(48 * time.Hour), CreatedBy: "op", CreatedAt: created}
	must(t, s.CreateCoupon(t.Context(), c), "CreateCoupon(%s)", c.ID)
	return c
}

func testCoupon(t *testing.T, s tuango.Store) {
	t.Run("a coupon round-trips and coupons are listed newest first", func(t *testing.T) {
		a := createCoupon(t, s, tuango.CouponThreshold, t0())
		b := createCoupon(t, s, tuango.CouponNewCustomer, t0().Add(time.Second))
		got, err := s.FindCouponByID(t.Context(), a.ID)
		must(t, err, "FindCouponByID(%s)", a.ID)
		wantEqual(t, got, a, "FindCouponByID(%s)", a.ID)
		all, err := s.FindCoupons(t.Context())
		must(t, err, "FindCoupons")
		ia, ib := -1, -1
		for i, c := range all {
			switch c.ID {
			case a.ID:
				ia = i
			case b.ID:
				ib = i
			}
		}
		if ia < 0 || ib < 0 || ib > ia {
			t.Errorf("FindCoupons: %s at %d, %s at %d; want both, the newer first", a.ID, ia, b.ID, ib)
		}
		_, err = s.FindCouponByID(t.Context(), newID("cpn"))
		wantNotFound(t, err, "FindCouponByID(missing)")
	})

	t.Run("a coupon with more off than its minimum spend is refused", func(t *testing.T) {
		c := &tuango.Coupon{ID: newID("cpn"), Name: "x", Kind: tuango.CouponThreshold, AmountOffFen: 500, MinSpendFen: 500,
			ValidFrom: t0(), ValidTo: t0().Add(time.Hour), CreatedBy: "op", CreatedAt: t0()}
		if err := s.CreateCoupon(t.Context(), c); err == nil {
			t.Errorf("CreateCoupon(amount off = min spend) = nil, want an error")
		}
	})

	t.Run("a customer holds a coupon once", func(t *testing.T) {
		c := createCoupon(t, s, tuango.CouponThreshold, t0())
		u, v := createUser(t, s, tuango.RoleCustomer), createUser(t, s, tuango.RoleCustomer)
		issue := func(users ...*tuango.User) int {
			var cs []*tuango.CustomerCoupon
			for _, x := range users {
				cs = append(cs, &tuango.CustomerCoupon{ID: newID("ucp"), CouponID: c.ID, UserID: x.ID, Status: tuango.CouponAvailable, IssuedAt: t0()})
			}
			n, err := s.IssueCoupons(t.Context(), cs)
			must(t, err, "IssueCoupons")
			return n
		}
		if n := issue(u); n != 1 {
			t.Errorf("IssueCoupons(u) = %d, want 1", n)
		}
		if n := issue(u, v); n != 1 {
			t.Errorf("IssueCoupons(u, v) after u = %d, want 1", n)
		}
		mine, err := s.FindCustomerCoupons(t.Context(), tuango.CustomerCouponFilter{UserID: u.ID})
		must(t, err, "FindCustomerCoupons(u)")
		if len(mine) != 1 || mine[0].CouponID != c.ID || mine[0].UserID != u.ID || mine[0].Status != tuango.CouponAvailable {
			t.Fatalf("FindCustomerCoupons(u) = %+v, want one available of %s", mine, c.ID)
		}
		wantEqual(t, mine[0].Coupon, *c, "the coupon's terms with u's coupon")
		byID, err := s.FindCustomerCoupons(t.Context(), tuango.CustomerCouponFilter{IDs: []string{mine[0].ID, newID("ucp"), mine[0].ID}})
		must(t, err, "FindCustomerCoupons(ids)")
		wantEqual(t, byID, mine, "FindCustomerCoupons(ids)")
		other, err := s.FindCustomerCoupons(t.Context(), tuango.CustomerCouponFilter{UserID: v.ID, IDs: []string{mine[0].ID}})
		must(t, err, "FindCustomerCoupons(v, u's id)")
		if len(other) != 0 {
			t.Errorf("FindCustomerCoupons(v, u's id) = %+v, want none", other)
		}
	})

	t.Run("a coupon is used once and returned only by its order", func(t *testing.T) {
		c := createCoupon(t, s, tuango.CouponThreshold, t0())
		u := createUser(t, s, tuango.RoleCustomer)
		cc := &tuango.CustomerCoupon{ID: newID("ucp"), CouponID: c.ID, UserID: u.ID, Status: tuango.CouponAvailable, IssuedAt: t0()}
		_, err := s.IssueCoupons(t.Context(), []*tuango.CustomerCoupon{cc})
		must(t, err, "IssueCoupons")
		use := func(order string) bool {
			ok, err := s.UseCustomerCoupon(t.Context(), cc.ID, order, t0().Add(time.Minute))
			must(t, err, "UseCustomerCoupon")
			return ok
		}
		back := func(order string) bool {
			ok, err := s.ReturnCustomerCoupon(t.Context(), cc.ID, order)
			must(t, err, "ReturnCustomerCoupon")
			return ok
		}
		if !use("ord_a") || use("ord_b") {
			t.Fatalf("UseCustomerCoupon twice: want the first only")
		}
		got, err := s.FindCustomerCoupons(t.Context(), tuango.CustomerCouponFilter{IDs: []string{cc.ID}})
		must(t, err, "FindCustomerCoupons")
		if got[0].Status != tuango.CouponUsed || got[0].OrderID != "ord_a" || !got[0].UsedAt.Equal(t0().Add(time.Minute)) {
			t.Errorf("used coupon = %+v", got[0])
		}
		if back("ord_b") || !back("ord_a") || back("ord_a") {
			t.Errorf("ReturnCustomerCoupon: want only ord_a, once")
		}
		if !use("ord_b") {
			t.Errorf("UseCustomerCoupon after its return = false, want true")
		}
	})

	t.Run("a new customer is one who never paid for an order", func(t *testing.T) {
		w := newWorld(t, s)
		fresh, payer, pending := createUser(t, s, tuango.RoleCustomer), createUser(t, s, tuango.RoleCustomer), createUser(t, s, tuango.RoleCustomer)
		leader := createUser(t, s, tuango.RoleLeader)
		d := w.createDeal(t, 100, 50)
		w.createOrder(t, pending.ID, tuango.OrderPendingPayment, t0(), item{d, 1})
		o := w.orderOf(payer.ID, tuango.OrderCancelled, t0(), item{d, 1})
		o.PaidAt, o.CancelledAt = t0().Add(time.Minute), t0().Add(2*time.Minute)
		must(t, s.CreateOrder(t.Context(), o), "CreateOrder")
		_, err := s.UpdateOrderStatus(t.Context(), o, tuango.OrderCancelled)
		must(t, err, "UpdateOrderStatus")
		for _, tc := range []struct {
			u    *tuango.User
			paid bool
		}{{fresh, false}, {pending, false}, {payer, true}} {
			got, err := s.HasPaidOrder(t.Context(), tc.u.ID)
			must(t, err, "HasPaidOrder")
			if got != tc.paid {
				t.Errorf("HasPaidOrder(%s) = %v, want %v", tc.u.ID, got, tc.paid)
			}
		}
		ids, err := s.FindNewCustomers(t.Context())
		must(t, err, "FindNewCustomers")
		wantContains(t, ids, fresh.ID, "FindNewCustomers")
		wantContains(t, ids, pending.ID, "FindNewCustomers")
		for _, id := range ids {
			if id == payer.ID || id == leader.ID {
				t.Errorf("FindNewCustomers includes %s", id)
			}
		}
	})

	t.Run("an order keeps its coupon, discount and paid amounts", func(t *testing.T) {
		w := newWorld(t, s)
		u := createUser(t, s, tuango.RoleCustomer)
		a, b := w.createDeal(t, 10, 5), w.createDeal(t, 10, 5)
		o := w.orderOf(u.ID, tuango.OrderPendingPayment, t0(), item{a, 1}, item{b, 2})
		o.CustomerCouponID, o.DiscountFen = newID("ucp"), 500
		o.Lines[0].PaidFen -= 167
		o.Lines[1].PaidFen -= 333
		must(t, s.CreateOrder(t.Context(), o), "CreateOrder")
		got, err := s.FindOrderByID(t.Context(), o.ID)
		must(t, err, "FindOrderByID")
		wantEqual(t, got, o, "FindOrderByID")
	})

	t.Run("a refund of a line a coupon made free is written", func(t *testing.T) {
		w := newWorld(t, s)
		u := createUser(t, s, tuango.RoleCustomer)
		a, b := w.createDeal(t, 10, 5), w.createDeal(t, 10, 5)
		o := w.orderOf(u.ID, tuango.OrderPaid, t0(), item{a, 1}, item{b, 1})
		o.CustomerCouponID, o.DiscountFen = newID("ucp"), o.Lines[0].AmountFen
		o.Lines[0].PaidFen = 0
		must(t, s.CreateOrder(t.Context(), o), "CreateOrder")
		o.Lines[0].RefundedQuantity = 1 // refunds nothing: it was paid nothing
		ok, err := s.UpdateOrderStatus(t.Context(), o, tuango.OrderPaid)
		must(t, err, "UpdateOrderStatus")
		got, err := s.FindOrderByID(t.Context(), o.ID)
		must(t, err, "FindOrderByID")
		if !ok || got.Lines[0].RefundedQuantity != 1 {
			t.Errorf("UpdateOrderStatus = %v; line 1 refunded %d units, want 1", ok, got.Lines[0].RefundedQuantity)
		}
	})
}
