package web

import (
	"testing"
	"time"

	"tuango/internal/tuango"
)

func TestCouponsOverHTTP(t *testing.T) {
	e := newEnv(t)
	from, to := testStart.Add(-time.Hour).Format(time.RFC3339), testStart.Add(48*time.Hour).Format(time.RFC3339)
	ann, bob := e.customer(), e.customer()

	t.Run("bad coupons are refused with the field at fault", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"nothing off", map[string]any{"name": "x", "kind": "threshold", "amount_off_fen": 0, "min_spend_fen": 100, "valid_from": from, "valid_to": to}, "amount_off_fen"},
			{"more off than the minimum", map[string]any{"name": "x", "kind": "threshold", "amount_off_fen": 500, "min_spend_fen": 400, "valid_from": from, "valid_to": to}, "min_spend_fen"},
			{"an unknown kind", map[string]any{"name": "x", "kind": "gift", "amount_off_fen": 5, "min_spend_fen": 400, "valid_from": from, "valid_to": to}, "kind"},
			{"valid_to before valid_from", map[string]any{"name": "x", "kind": "threshold", "amount_off_fen": 5, "min_spend_fen": 400, "valid_from": to, "valid_to": from}, "valid_to"},
			{"no valid_from", map[string]any{"name": "x", "kind": "threshold", "amount_off_fen": 5, "min_spend_fen": 400, "valid_to": to}, "valid_from"},
		} {
			r := e.operator.do("POST", "/api/v1/admin/coupons", tc.body)
			if p := r.problem(); r.status != 400 || p.Code != tuango.CodeInvalid || p.Field != tc.field {
				t.Errorf("%s: %d %s, want 400 validation_failed on %s", tc.name, r.status, r.body, tc.field)
			}
		}
		if r := ann.do("POST", "/api/v1/admin/coupons", map[string]any{"name": "x", "kind": "threshold", "amount_off_fen": 5, "min_spend_fen": 400, "valid_from": from, "valid_to": to}); r.status != 403 {
			t.Errorf("a customer creating a coupon = %d, want 403", r.status)
		}
		if n := e.count(`SELECT COUNT(*) FROM coupons`); n != 0 {
			t.Errorf("%d coupons stored after refusals, want 0", n)
		}
	})

	var c couponView
	e.operator.mustDo("POST", "/api/v1/admin/coupons", map[string]any{"name": "满20减3", "kind": "threshold", "amount_off_fen": 300, "min_spend_fen": 2000, "valid_from": from, "valid_to": to}, 201, &c)
	var issued struct{ Issued int }
	e.operator.mustDo("POST", "/api/v1/admin/coupons/"+c.ID+"/issue", map[string]any{"user_ids": []string{ann.userID, bob.userID}}, 200, &issued)
	if issued.Issued != 2 {
		t.Errorf("issued = %d, want 2", issued.Issued)
	}
	e.operator.mustDo("POST", "/api/v1/admin/coupons/"+c.ID+"/issue", map[string]any{"user_ids": []string{ann.userID}}, 200, &issued)
	if issued.Issued != 0 {
		t.Errorf("reissue = %d, want 0", issued.Issued)
	}
	if r := e.operator.do("POST", "/api/v1/admin/coupons/"+c.ID+"/issue", map[string]any{"user_ids": []string{"usr_nobody"}}); r.status != 400 || r.problem().Field != "user_ids[0]" {
		t.Errorf("issue to nobody = %d %s, want 400 on user_ids[0]", r.status, r.body)
	}
	if r := e.operator.do("POST", "/api/v1/admin/coupons/cpn_nothere/issue", map[string]any{"all_new_customers": true}); r.status != 404 {
		t.Errorf("issue of a missing coupon = %d, want 404", r.status)
	}

	var mine struct{ Items []customerCouponView }
	ann.mustDo("GET", "/api/v1/me/coupons", nil, 200, &mine)
	if len(mine.Items) != 1 || mine.Items[0].CouponID != c.ID || mine.Items[0].Status != "available" || mine.Items[0].AmountOffFen != 300 || mine.Items[0].ValidTo == "" {
		t.Fatalf("ann's coupons = %+v, want one available 满20减3", mine.Items)
	}
	mineID := mine.Items[0].ID

	deal := e.newDeal(100, 20, 990)
	d2 := e.newDeal(100, 20, 500)
	body := func(coupon string) map[string]any {
		return map[string]any{"pickup_point_id": e.ppID, "coupon_id": coupon, "items": []map[string]any{{"deal_id": deal, "quantity": 2}, {"deal_id": d2, "quantity": 1}}}
	}
	t.Run("an order with a coupon carries the discount on its lines", func(t *testing.T) {
		if r := bob.do("POST", "/api/v1/orders", body(mineID), "Idempotency-Key", newKey()); r.status != 409 || r.problem().Code != tuango.CodeCouponNotApplicable || r.problem().Field != "coupon_id" {
			t.Errorf("bob with ann's coupon = %d %s, want 409 coupon_not_applicable", r.status, r.body)
		}
		var o orderView
		ann.mustDo("POST", "/api/v1/orders", body(mineID), 201, &o, "Idempotency-Key", newKey())
		// 2480 in all: 300 × 1980/2480 = 239.5, 300 × 500/2480 = 60.5; the tie goes to line 1.
		if o.TotalFen != 2480 || o.DiscountFen != 300 || o.CouponID != mineID || o.Items[0].PaidFen != 1980-240 || o.Items[1].PaidFen != 500-60 {
			t.Errorf("order = total %d discount %d coupon %s paid %d %d", o.TotalFen, o.DiscountFen, o.CouponID, o.Items[0].PaidFen, o.Items[1].PaidFen)
		}
		var p paymentView
		ann.mustDo("POST", "/api/v1/orders/"+o.ID+"/payments", nil, 201, &p, "Idempotency-Key", newKey())
		if p.AmountFen != 2180 {
			t.Errorf("payment = %d fen, want 2180", p.AmountFen)
		}
		ann.mustDo("GET", "/api/v1/me/coupons", nil, 200, &mine)
		if mine.Items[0].Status != "used" || mine.Items[0].OrderID != o.ID {
			t.Errorf("ann's coupon after the order = %+v, want used on %s", mine.Items[0], o.ID)
		}
		if r := ann.do("POST", "/api/v1/orders", body(mineID), "Idempotency-Key", newKey()); r.status != 409 || r.problem().Code != tuango.CodeCouponNotApplicable {
			t.Errorf("the coupon again = %d %s, want 409 coupon_not_applicable", r.status, r.body)
		}
		ann.mustDo("POST", "/api/v1/orders/"+o.ID+"/cancel", nil, 200, nil)
		ann.mustDo("GET", "/api/v1/me/coupons", nil, 200, &mine)
		if mine.Items[0].Status != "available" {
			t.Errorf("ann's coupon after cancelling = %s, want available", mine.Items[0].Status)
		}
		var plain orderView
		ann.mustDo("POST", "/api/v1/orders", body(""), 201, &plain, "Idempotency-Key", newKey())
		if plain.DiscountFen != 0 || plain.Items[0].PaidFen != plain.Items[0].AmountFen {
			t.Errorf("an order without a coupon = discount %d, paid %d of %d", plain.DiscountFen, plain.Items[0].PaidFen, plain.Items[0].AmountFen)
		}
	})
}
