package tuango_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// coupon defines a coupon of kind valid around the world's now and issues
// it to the given customers; it returns each one's customer coupon id.
func (w *world) coupon(t *testing.T, kind tuango.CouponKind, off, min tuango.Fen, to ...tuango.Actor) (*tuango.Coupon, map[string]string) {
	t.Helper()
	ctx := context.Background()
	c := &tuango.Coupon{Name: "满30减5", Kind: kind, AmountOffFen: off, MinSpendFen: min, ValidFrom: t0.Add(-time.Hour), ValidTo: t0.Add(2 * time.Hour)}
	must(t, w.svc.CreateCoupon(ctx, w.op, c))
	held := map[string]string{}
	if len(to) == 0 {
		return c, held
	}
	var ids []string
	for _, a := range to {
		ids = append(ids, a.UserID)
	}
	n, err := w.svc.IssueCoupon(ctx, w.op, c.ID, tuango.IssueRequest{UserIDs: ids})
	must(t, err)
	if n != len(to) {
		t.Fatalf("issued %d, want %d", n, len(to))
	}
	for _, a := range to {
		mine, err := w.svc.MyCoupons(ctx, a)
		must(t, err)
		for _, m := range mine {
			if m.CouponID == c.ID {
				held[a.UserID] = m.ID
			}
		}
	}
	return c, held
}

func (w *world) orderWith(svc *tuango.Service, a tuango.Actor, qty int, coupon, key string) (tuango.Once[*tuango.Order], error) {
	return svc.PlaceOrder(context.Background(), a, tuango.PlaceOrderRequest{PickupPointID: w.pp, CouponID: coupon,
		Items: []tuango.OrderItem{{DealID: w.deal, Quantity: qty}}, Idem: idem(a.UserID, key)})
}

func couponStatus(t *testing.T, w *world, a tuango.Actor, id string) tuango.CouponStatus {
	t.Helper()
	mine, err := w.svc.MyCoupons(context.Background(), a)
	must(t, err)
	for _, m := range mine {
		if m.ID == id {
			return m.StatusAt(w.clock.Now())
		}
	}
	t.Fatalf("%s holds no coupon %s", a.UserID, id)
	return ""
}

func TestCouponAppliedUsedAndGivenBack(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 500)
	ctx := context.Background()
	ann, bob := w.customer(t, "13800000001"), w.customer(t, "13800000002")
	_, held := w.coupon(t, tuango.CouponThreshold, 500, 3000, ann, bob)

	t.Run("an order with a coupon pays its total less the discount", func(t *testing.T) {
		ans, err := w.orderWith(w.svc, ann, 20, held[ann.UserID], "k1") // 20 × 199 = 3980
		must(t, err)
		o := ans.Value
		if o.TotalFen != 3980 || o.DiscountFen != 500 || o.PayableFen() != 3480 || o.Lines[0].PaidFen != 3480 {
			t.Fatalf("order = total %d discount %d line paid %d, want 3980 500 3480", o.TotalFen, o.DiscountFen, o.Lines[0].PaidFen)
		}
		got, err := w.svc.GetOrder(ctx, ann, o.ID)
		must(t, err)
		if got.DiscountFen != 500 || got.CustomerCouponID != held[ann.UserID] || got.Lines[0].PaidFen != 3480 {
			t.Errorf("stored order = discount %d coupon %q paid %d", got.DiscountFen, got.CustomerCouponID, got.Lines[0].PaidFen)
		}
		if p := w.payment(t, ann, o, "pay-k1"); p.AmountFen != 3480 {
			t.Errorf("payment = %d fen, want 3480", p.AmountFen)
		}
		if s := couponStatus(t, w, ann, held[ann.UserID]); s != tuango.CouponUsed {
			t.Errorf("coupon after use = %s, want used", s)
		}
		if _, err := w.orderWith(w.svc, ann, 20, held[ann.UserID], "k2"); tuango.ErrorCode(err) != tuango.CodeCouponNotApplicable {
			t.Errorf("second order with a used coupon = %v, want coupon_not_applicable", err)
		}
		// A replay of the first key gets the first answer, not a refusal.
		again, err := w.orderWith(w.svc, ann, 20, held[ann.UserID], "k1")
		if err != nil || !again.Replayed || again.Value.ID != o.ID {
			t.Errorf("replay = %+v, %v; want the first order", again, err)
		}
		if _, err := w.svc.CancelOrder(ctx, ann, o.ID); err != nil {
			t.Fatal(err)
		}
		if s := couponStatus(t, w, ann, held[ann.UserID]); s != tuango.CouponAvailable {
			t.Errorf("coupon after cancel = %s, want available", s)
		}
	})
	t.Run("an expired order gives its coupon back", func(t *testing.T) {
		_, err := w.orderWith(w.svc, ann, 20, held[ann.UserID], "k3")
		must(t, err)
		w.clock.Advance(tuango.DefaultOrderTimeout + time.Second)
		if n, err := w.svc.ExpireOrders(ctx, 100); err != nil || n != 1 {
			t.Fatalf("ExpireOrders = %d, %v; want 1", n, err)
		}
		if s := couponStatus(t, w, ann, held[ann.UserID]); s != tuango.CouponAvailable {
			t.Errorf("coupon after expiry = %s, want available", s)
		}
	})
	for _, tc := range []struct {
		name   string
		who    tuango.Actor
		qty    int
		coupon string
	}{
		{"another customer's coupon", bob, 20, held[ann.UserID]},
		{"a coupon that does not exist", bob, 20, "ucp_nothere"},
		{"below the minimum spend", bob, 15, held[bob.UserID]}, // 2985 < 3000
	} {
		t.Run(tc.name+" is not applicable", func(t *testing.T) {
			_, err := w.orderWith(w.svc, tc.who, tc.qty, tc.coupon, "na-"+tc.name)
			if tuango.ErrorCode(err) != tuango.CodeCouponNotApplicable {
				t.Errorf("order = %v, want coupon_not_applicable", err)
			}
		})
	}
	t.Run("an expired coupon is not applicable", func(t *testing.T) {
		w.clock.Advance(2 * time.Hour)
		if s := couponStatus(t, w, bob, held[bob.UserID]); s != tuango.CouponExpired {
			t.Errorf("status = %s, want expired", s)
		}
		if _, err := w.orderWith(w.svc, bob, 20, held[bob.UserID], "late"); tuango.ErrorCode(err) != tuango.CodeCouponNotApplicable {
			t.Errorf("order = %v, want coupon_not_applicable", err)
		}
	})
}

func TestNewCustomerCouponOnlyBeforeTheFirstPayment(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 500)
	ctx := context.Background()
	old, fresh := w.customer(t, "13800000011"), w.customer(t, "13800000012")
	first, err := w.orderWith(w.svc, old, 1, "", "first")
	must(t, err)
	w.pay(t, old, first.Value)
	c, _ := w.coupon(t, tuango.CouponNewCustomer, 300, 1000)
	n, err := w.svc.IssueCoupon(ctx, w.op, c.ID, tuango.IssueRequest{AllNewCustomers: true})
	must(t, err)
	if n != 1 {
		t.Fatalf("issued to all new customers = %d, want 1 (only %s is new)", n, fresh.UserID)
	}
	if n, err := w.svc.IssueCoupon(ctx, w.op, c.ID, tuango.IssueRequest{UserIDs: []string{fresh.UserID, old.UserID}}); err != nil || n != 1 {
		t.Errorf("reissue = %d, %v; want 1 (the holder is skipped)", n, err)
	}
	for _, a := range []tuango.Actor{old, fresh} {
		mine, err := w.svc.MyCoupons(ctx, a)
		must(t, err)
		ans, err := w.orderWith(w.svc, a, 10, mine[0].ID, "new-"+a.UserID)
		switch {
		case a == fresh && (err != nil || ans.Value.DiscountFen != 300):
			t.Errorf("new customer's order = %+v, %v; want a discount of 300", ans.Value, err)
		case a == old && tuango.ErrorCode(err) != tuango.CodeCouponNotApplicable:
			t.Errorf("paying customer's order = %v, want coupon_not_applicable", err)
		}
	}
}

func TestCouponValidation(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 10)
	for _, tc := range []struct {
		name  string
		c     tuango.Coupon
		field string
	}{
		{"no name", tuango.Coupon{Kind: "threshold", AmountOffFen: 1, MinSpendFen: 2}, "name"},
		{"unknown kind", tuango.Coupon{Name: "x", Kind: "gift", AmountOffFen: 1, MinSpendFen: 2}, "kind"},
		{"nothing off", tuango.Coupon{Name: "x", Kind: "threshold", MinSpendFen: 2}, "amount_off_fen"},
		{"more off than the minimum spend", tuango.Coupon{Name: "x", Kind: "threshold", AmountOffFen: 500, MinSpendFen: 500}, "min_spend_fen"},
		{"valid to before valid from", tuango.Coupon{Name: "x", Kind: "threshold", AmountOffFen: 1, MinSpendFen: 2, ValidFrom: t0, ValidTo: t0}, "valid_to"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.c.ValidFrom.IsZero() {
				tc.c.ValidFrom, tc.c.ValidTo = t0, t0.Add(time.Hour)
			}
			err := w.svc.CreateCoupon(context.Background(), w.op, &tc.c)
			var e *tuango.Error
			if !asErr(err, &e) || e.Code != tuango.CodeInvalid || e.Field != tc.field {
				t.Errorf("CreateCoupon = %v, want validation_failed on %s", err, tc.field)
			}
		})
	}
	cust := w.customer(t, "13800000021")
	c := tuango.Coupon{Name: "x", Kind: "threshold", AmountOffFen: 1, MinSpendFen: 2, ValidFrom: t0, ValidTo: t0.Add(time.Hour)}
	if err := w.svc.CreateCoupon(context.Background(), cust, &c); tuango.ErrorCode(err) != tuango.CodeForbidden {
		t.Errorf("a customer creating a coupon = %v, want forbidden", err)
	}
}

// Orders racing with one coupon, on one node's batch and on two nodes:
// exactly one gets it.
func TestCouponRaceHasOneWinner(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   tuango.Config
		nodes int
	}{
		{"plain path", tuango.Config{BatchMax: 1}, 2},
		{"group commit", tuango.Config{BatchMax: 64, BatchWindow: 2 * time.Millisecond}, 1},
		{"group commit on two nodes", tuango.Config{BatchMax: 64}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, storetest.DSN(t), 500)
			ann := w.customer(t, "13800000031")
			_, held := w.coupon(t, tuango.CouponThreshold, 100, 1000, ann)
			nodes := make([]*tuango.Service, tc.nodes)
			for i := range nodes {
				nodes[i] = w.node(tc.cfg)
				defer nodes[i].Close()
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			won, refused := 0, 0
			for i := 0; i < 12; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := w.orderWith(nodes[i%len(nodes)], ann, 6, held[ann.UserID], fmt.Sprintf("race-%d", i))
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						won++
					case tuango.ErrorCode(err) == tuango.CodeCouponNotApplicable:
						refused++
					default:
						t.Errorf("order %d = %v", i, err)
					}
				}()
			}
			wg.Wait()
			if won != 1 || refused != 11 {
				t.Errorf("won %d, refused %d; want 1 and 11", won, refused)
			}
			orders, _, err := w.svc.ListOrders(context.Background(), ann, 50, "")
			must(t, err)
			with := 0
			for _, o := range orders {
				if o.CustomerCouponID != "" {
					with++
				}
			}
			if with != 1 {
				t.Errorf("%d orders carry the coupon, want 1", with)
			}
		})
	}
}

// A shortage on an order with a coupon refunds what the customer paid for
// the missing units, never the list amount; every unit short refunds
// exactly the order's payment.
func TestShortageRefundsThePaidAmount(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 100)
	ctx := context.Background()
	const date = "2026-11-26"
	ann, bob := w.customer(t, "13800000041"), w.customer(t, "13800000042")
	_, held := w.coupon(t, tuango.CouponThreshold, 100, 1000, ann, bob)
	a, err := w.orderWith(w.svc, ann, 7, held[ann.UserID], "a") // 1393, pays 1293
	must(t, err)
	w.pay(t, ann, a.Value)
	b, err := w.orderWith(w.svc, bob, 6, held[bob.UserID], "b") // 1194, pays 1094
	must(t, err)
	w.pay(t, bob, b.Value)
	_, err = w.svc.Cutoff(ctx, w.op, "cty_1", date)
	must(t, err)
	leader := w.leader(t, "13700009041")
	shipAll(t, w, date)
	// 13 expected, 4 received: bob's 6 (placed last) all short, then 3 of ann's.
	res, err := w.svc.SignDelivery(ctx, leader, tuango.SignRequest{DeliveryDate: date, Lines: []tuango.SignLine{{DealID: w.deal, Received: 4}},
		Idem: idem(leader.UserID, "sign")})
	must(t, err)
	got := map[string]tuango.Fen{}
	for _, r := range res.Value.Refunds {
		got[r.OrderID] = r.AmountFen
	}
	// ann: 1293 × 3/7 = 554.1 → 554.
	if got[b.Value.ID] != 1094 || got[a.Value.ID] != 554 {
		t.Errorf("refunds = %v, want bob's whole 1094 and ann's 554 for 3 of 7 units", got)
	}
	bo, err := w.svc.GetOrder(ctx, bob, b.Value.ID)
	must(t, err)
	if bo.Status != tuango.OrderRefunded || bo.RefundedFen != bo.PayableFen() {
		t.Errorf("bob's order = %s refunded %d, want refunded with all of its %d", bo.Status, bo.RefundedFen, bo.PayableFen())
	}
}

// The cutoff expires an unpaid order, and its coupon comes back.
func TestCutoffGivesBackTheCouponOfAnUnpaidOrder(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 100)
	ann := w.customer(t, "13800000051")
	_, held := w.coupon(t, tuango.CouponThreshold, 100, 1000, ann)
	o, err := w.orderWith(w.svc, ann, 6, held[ann.UserID], "unpaid")
	must(t, err)
	if _, err := w.svc.Cutoff(context.Background(), w.op, "cty_1", o.Value.DeliveryDate); err != nil {
		t.Fatal(err)
	}
	got, err := w.svc.GetOrder(context.Background(), ann, o.Value.ID)
	must(t, err)
	if got.Status != tuango.OrderCancelled {
		t.Fatalf("unpaid order after the cutoff = %s, want cancelled", got.Status)
	}
	if s := couponStatus(t, w, ann, held[ann.UserID]); s != tuango.CouponAvailable {
		t.Errorf("coupon after the cutoff = %s, want available", s)
	}
}

// Cancelling a closed point's paid orders gives back what each customer
// paid — the total less the coupon — and says that amount, as the
// refund itself does; the operator's sum is the refunds'.
func TestClosedPointRefundsWhatWasPaid(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 100)
	ctx := context.Background()
	a := w.customer(t, "13800007001")
	_, held := w.coupon(t, tuango.CouponThreshold, 100, 300, a)
	ans, err := w.orderWith(w.svc, a, 2, held[a.UserID], "c1") // 2 × 1.99 = 3.98, 1.00 off
	must(t, err)
	o := w.pay(t, a, ans.Value)
	if o.PayableFen() != 298 {
		t.Fatalf("payable = %d, want 298", o.PayableFen())
	}
	must(t, w.svc.ClosePickupPoint(ctx, w.op, w.pp, &tuango.Closure{From: o.DeliveryDate, To: o.DeliveryDate, Reason: "停电"}))
	res, err := w.svc.CancelClosedOrders(ctx, w.op, w.pp, o.DeliveryDate)
	must(t, err)
	if res.Cancelled != 1 || res.RefundedFen != 298 {
		t.Errorf("CancelClosedOrders = %+v, want 1 cancelled and 298 refunded (what was paid)", res)
	}
	msgs, err := w.db.Store().FindUnsentMessages(ctx, 1000)
	must(t, err)
	for _, m := range msgs {
		if m.OrderID == o.ID && m.Kind == tuango.NotifyClosed && m.Params.RefundFen != 298 {
			t.Errorf("the closure's notification says %d refunded, want 298", m.Params.RefundFen)
		}
	}
}
