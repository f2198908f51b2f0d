package tuango

import (
	"testing"
	"time"
)

// The rules of placing an order, decided without a store: a state built
// by hand, one request, one verdict.

var decideNow = time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)

// decideState is a city with an open and a closed pickup point, a point in
// another city, and deals in every condition a rule looks at.
func decideState() *orderState {
	live := func(id, city string, stock, reserved, limit int) *Deal {
		return &Deal{ID: id, CityID: city, Title: id, PriceFen: 990, ListPriceFen: 1290, Stock: stock, Reserved: reserved,
			LimitPerCustomer: limit, SaleStartsAt: decideNow.Add(-time.Hour), SaleEndsAt: decideNow.Add(13 * time.Hour), DeliveryDate: "2026-11-26"}
	}
	st := &orderState{pps: map[string]*PickupPoint{}, deals: map[string]*Deal{}, costs: map[string]Fen{"d_rice": 700, "d_eggs": 610, "d_soon": 500}, units: map[unitKey]int{},
		taken: map[string]int{}, added: map[unitKey]int{}}
	for _, pp := range []*PickupPoint{
		{ID: "pp_open", CityID: "cty_cs", CommissionBps: 800, Active: true},
		{ID: "pp_closed", CityID: "cty_cs", CommissionBps: 800, Active: false},
		{ID: "pp_far", CityID: "cty_xt", CommissionBps: 500, Active: true},
	} {
		st.pps[pp.ID] = pp
	}
	for _, d := range []*Deal{
		live("d_eggs", "cty_cs", 10, 2, 5),
		live("d_rice", "cty_cs", 100, 0, 10),
		live("d_empty", "cty_cs", 10, 10, 5),
		live("d_last", "cty_cs", 10, 9, 5),
		live("d_other_city", "cty_xt", 10, 0, 5),
	} {
		st.deals[d.ID] = d
	}
	notYet := live("d_not_yet", "cty_cs", 10, 0, 5)
	notYet.SaleStartsAt = decideNow.Add(time.Minute)
	ended := live("d_ended", "cty_cs", 10, 0, 5)
	ended.SaleEndsAt = decideNow
	soon := live("d_soon", "cty_cs", 10, 0, 5)
	soon.SaleEndsAt = decideNow.Add(5 * time.Minute)
	later := live("d_later", "cty_cs", 10, 0, 5)
	later.DeliveryDate = "2026-11-27"
	for _, d := range []*Deal{notYet, ended, soon, later} {
		st.deals[d.ID] = d
	}
	st.shut = []Closure{
		{CityID: "cty_xt", From: "2026-11-26", To: "2026-11-26", Reason: "春节休市"},
		{PickupPointID: "pp_resting", From: "2026-11-25", To: "2026-11-27", Reason: "店主休假"},
	}
	st.pps["pp_resting"] = &PickupPoint{ID: "pp_resting", CityID: "cty_cs", CommissionBps: 800, Active: true}
	st.units[unitKey{"usr_a", "d_eggs"}] = 4 // a's other live orders hold 4 of the limit of 5
	return st
}

func orderOf(pp string, items ...OrderItem) PlaceOrderRequest {
	return PlaceOrderRequest{UserID: "usr_a", PickupPointID: pp, Items: items, Idem: &Idempotency{Scope: "usr_a", Key: "k"}}
}

var decideTerms = orderTerms{id: "ord_1", now: decideNow, timeout: 15 * time.Minute, flash: 5 * time.Minute}

func TestDecideRefuses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		req     PlaceOrderRequest
		code    string
		field   string
		emptied string
	}{
		{"a closed pickup point", orderOf("pp_closed", OrderItem{"d_rice", 1}), CodeInvalid, "pickup_point_id", ""},
		{"a missing pickup point", orderOf("pp_nope", OrderItem{"d_rice", 1}), CodeInvalid, "pickup_point_id", ""},
		{"a deal not sold at the pickup point's city", orderOf("pp_far", OrderItem{"d_rice", 1}), CodeInvalid, "items[0].deal_id", ""},
		{"a deal of another city at an open point", orderOf("pp_open", OrderItem{"d_other_city", 1}), CodeInvalid, "items[0].deal_id", ""},
		{"a missing deal", orderOf("pp_open", OrderItem{"d_nope", 1}), CodeInvalid, "items[0].deal_id", ""},
		{"a sale not open yet", orderOf("pp_open", OrderItem{"d_not_yet", 1}), CodeDealNotLive, "items[0].deal_id", ""},
		{"a sale that has ended", orderOf("pp_open", OrderItem{"d_ended", 1}), CodeDealNotLive, "items[0].deal_id", ""},
		{"sold out, and remembered as empty", orderOf("pp_open", OrderItem{"d_empty", 1}), CodeSoldOut, "items[0].deal_id", "d_empty"},
		{"more than remain, not empty", orderOf("pp_open", OrderItem{"d_last", 2}), CodeSoldOut, "items[0].deal_id", ""},
		{"over the limit counting other orders", orderOf("pp_open", OrderItem{"d_eggs", 2}), CodeLimitExceeded, "items[0].deal_id", ""},
		{"a pickup point closed on the delivery date", orderOf("pp_resting", OrderItem{"d_rice", 1}), CodePickupPointClosed, "pickup_point_id", ""},
		{"a city closed on the delivery date", orderOf("pp_far", OrderItem{"d_other_city", 1}), CodeCityClosed, "", ""},
		{"deals delivered on two dates", orderOf("pp_open", OrderItem{"d_rice", 1}, OrderItem{"d_later", 1}), CodeInvalid, "items[0].deal_id", ""},
		{"one bad line refuses the whole order, naming it", orderOf("pp_open", OrderItem{"d_rice", 1}, OrderItem{"d_empty", 1}), CodeSoldOut, "items[1].deal_id", "d_empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := decideState()
			v := decide(st, tc.req, decideTerms)
			var e *Error
			if v.order != nil || v.err == nil {
				t.Fatalf("decide = order %v, err %v; want a refusal", v.order, v.err)
			}
			if ErrorCode(v.err) != tc.code || (asError(v.err, &e) && e.Field != tc.field) {
				t.Errorf("decide = %v, want code %s on field %s", v.err, tc.code, tc.field)
			}
			if v.emptied != tc.emptied {
				t.Errorf("emptied = %q, want %q", v.emptied, tc.emptied)
			}
			if st.deals["d_rice"].Reserved != 0 || len(st.taken) != 0 || len(st.added) != 0 {
				t.Error("decide changed the state")
			}
		})
	}
}

func asError(err error, e **Error) bool {
	x, ok := err.(*Error)
	*e = x
	return ok
}

func TestDecideAccepts(t *testing.T) {
	st := decideState()
	req := orderOf("pp_open", OrderItem{"d_rice", 3}, OrderItem{"d_eggs", 1}, OrderItem{"d_soon", 2})
	v := decide(st, req, decideTerms)
	if v.err != nil {
		t.Fatalf("decide = %v, want the order accepted", v.err)
	}
	o := v.order
	if o.ID != "ord_1" || o.UserID != "usr_a" || o.PickupPointID != "pp_open" || o.CityID != "cty_cs" || o.Status != OrderPendingPayment || o.IdempotencyKey != "k" {
		t.Errorf("order = %+v, want ord_1 of usr_a at pp_open in cty_cs, pending payment, key k", o)
	}
	if !o.CreatedAt.Equal(decideNow) {
		t.Errorf("CreatedAt = %v, want %v", o.CreatedAt, decideNow)
	}
	t.Run("the payment deadline is the earlier of the timeout and a deal's sale end", func(t *testing.T) {
		if want := decideNow.Add(5 * time.Minute); !o.ExpiresAt.Equal(want) {
			t.Errorf("ExpiresAt = %v, want %v (d_soon's sale end)", o.ExpiresAt, want)
		}
		v := decide(decideState(), orderOf("pp_open", OrderItem{"d_rice", 1}), decideTerms)
		if want := decideNow.Add(15 * time.Minute); !v.order.ExpiresAt.Equal(want) {
			t.Errorf("ExpiresAt = %v, want %v (the timeout)", v.order.ExpiresAt, want)
		}
	})
	t.Run("the order is delivered on its deals' date", func(t *testing.T) {
		if o.DeliveryDate != "2026-11-26" {
			t.Errorf("DeliveryDate = %q, want 2026-11-26", o.DeliveryDate)
		}
	})
	t.Run("lines keep the request's order and snapshot price, commission and the product's cost, and without a coupon each pays its amount", func(t *testing.T) {
		want := []OrderLine{
			{OrderID: "ord_1", LineNo: 1, DealID: "d_rice", Title: "d_rice", Quantity: 3, UnitPriceFen: 990, AmountFen: 2970, PaidFen: 2970, CommissionBps: 800, UnitCostFen: 700},
			{OrderID: "ord_1", LineNo: 2, DealID: "d_eggs", Title: "d_eggs", Quantity: 1, UnitPriceFen: 990, AmountFen: 990, PaidFen: 990, CommissionBps: 800, UnitCostFen: 610},
			{OrderID: "ord_1", LineNo: 3, DealID: "d_soon", Title: "d_soon", Quantity: 2, UnitPriceFen: 990, AmountFen: 1980, PaidFen: 1980, CommissionBps: 800, UnitCostFen: 500},
		}
		if len(o.Lines) != len(want) {
			t.Fatalf("lines = %+v, want %+v", o.Lines, want)
		}
		for i := range want {
			if o.Lines[i] != want[i] {
				t.Errorf("line %d = %+v, want %+v", i, o.Lines[i], want[i])
			}
		}
		if o.TotalFen != 2970+990+1980 {
			t.Errorf("TotalFen = %d, want %d", o.TotalFen, 2970+990+1980)
		}
	})
	t.Run("take makes the next order see the stock and the limit taken", func(t *testing.T) {
		st.take(o)
		if st.deals["d_rice"].Reserved != 3 || st.taken["d_rice"] != 3 || st.units[unitKey{"usr_a", "d_eggs"}] != 5 || st.added[unitKey{"usr_a", "d_eggs"}] != 1 {
			t.Fatalf("after take: reserved %d, taken %d, units %d, added %d", st.deals["d_rice"].Reserved, st.taken["d_rice"], st.units[unitKey{"usr_a", "d_eggs"}], st.added[unitKey{"usr_a", "d_eggs"}])
		}
		again := decide(st, orderOf("pp_open", OrderItem{"d_eggs", 1}), decideTerms)
		if ErrorCode(again.err) != CodeLimitExceeded {
			t.Errorf("a second order of d_eggs = %v, want limit_exceeded (5 of 5 held)", again.err)
		}
		if v := decide(st, orderOf("pp_open", OrderItem{"d_rice", 98}), decideTerms); ErrorCode(v.err) != CodeSoldOut {
			t.Errorf("98 of d_rice with 97 left = %v, want sold_out", v.err)
		}
		if v := decide(st, orderOf("pp_open", OrderItem{"d_rice", 8}), decideTerms); ErrorCode(v.err) != CodeLimitExceeded {
			t.Errorf("8 more of d_rice with 3 of 10 held = %v, want limit_exceeded", v.err)
		}
		rows := st.addedUnits()
		if len(rows) != 3 || rows[0] != (LimitUnits{UserID: "usr_a", DealID: "d_eggs", Units: 1}) {
			t.Errorf("addedUnits = %+v, want one row per deal, in deal order, d_eggs first", rows)
		}
	})
}

// A line of a flash deal makes the whole order's hold the flash timeout;
// a sale ending sooner still ends it sooner.
func TestDecideFlashHold(t *testing.T) {
	for _, tc := range []struct {
		name  string
		items []OrderItem
		ends  time.Duration // the flash deal's sale end after now
		want  time.Duration
	}{
		{"a normal order", []OrderItem{{"d_rice", 1}}, time.Hour, 15 * time.Minute},
		{"a flash order", []OrderItem{{"d_flash", 1}}, time.Hour, 5 * time.Minute},
		{"a mixed cart", []OrderItem{{"d_rice", 1}, {"d_flash", 1}}, time.Hour, 5 * time.Minute},
		{"a flash sale ending sooner", []OrderItem{{"d_rice", 1}, {"d_flash", 1}}, 3 * time.Minute, 3 * time.Minute},
	} {
		st := decideState()
		f := *st.deals["d_rice"]
		f.ID, f.Title, f.Flash, f.SaleEndsAt = "d_flash", "d_flash", true, decideNow.Add(tc.ends)
		st.deals[f.ID] = &f
		v := decide(st, orderOf("pp_open", tc.items...), decideTerms)
		if v.err != nil {
			t.Fatalf("%s: decide = %v", tc.name, v.err)
		}
		if got := v.order.ExpiresAt.Sub(decideNow); got != tc.want {
			t.Errorf("%s: expires %s after now, want %s", tc.name, got, tc.want)
		}
	}
}
