package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"tuango/internal/tuango"
)

// Rule 1: 300 buyers race for 50 units over HTTP. Exactly 50 are sold,
// none twice, and every refusal says sold_out.
func TestFlashSaleSellsExactlyTheStock(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(50, 1, 990)
	buyers := make([]*client, 300)
	for i := range buyers {
		buyers[i] = e.customer()
	}
	var wg sync.WaitGroup
	results := make([]response, len(buyers))
	start := make(chan struct{})
	for i, c := range buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = c.order(deal, 1)
		}()
	}
	close(start)
	wg.Wait()
	ok, refused := 0, map[string]int{}
	for _, r := range results {
		switch r.status {
		case 201:
			ok++
		default:
			refused[r.problem().Code]++
			if r.status != 409 {
				t.Errorf("refusal status = %d %s, want 409", r.status, r.body)
			}
		}
	}
	if ok != 50 || refused[tuango.CodeSoldOut] != 250 || len(refused) != 1 {
		t.Errorf("acknowledged %d, refused %v; want 50 acknowledged and 250 sold_out", ok, refused)
	}
	d := e.deal(deal)
	if d.Remaining() != 0 || d.Reserved != 50 {
		t.Errorf("deal remaining %d reserved %d, want 0 and 50", d.Remaining(), d.Reserved)
	}
	if n := e.count(`SELECT COALESCE(SUM(quantity), 0) FROM order_lines WHERE deal_id = ?`, deal); n != 50 {
		t.Errorf("units in orders = %d, want 50", n)
	}
}

// The per-customer limit holds under concurrent requests from one
// customer, counting all of their live orders.
func TestLimitPerCustomerUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(1000, 3, 500)
	c := e.customer()
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := c.order(deal, 1)
			mu.Lock()
			codes[r.status]++
			mu.Unlock()
			if r.status != 201 && r.problem().Code != tuango.CodeLimitExceeded {
				t.Errorf("refusal = %s, want limit_exceeded", r.body)
			}
		}()
	}
	wg.Wait()
	if codes[201] != 3 {
		t.Errorf("accepted %d orders of 1 unit with limit 3, want 3 (statuses %v)", codes[201], codes)
	}
	if n := e.count(`SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.user_id = ?`, c.userID); n != 3 {
		t.Errorf("units ordered = %d, want 3", n)
	}
	t.Run("a cancelled order frees its units for the limit", func(t *testing.T) {
		var list list[orderView]
		c.mustDo("GET", "/api/v1/orders", nil, 200, &list)
		c.mustDo("POST", "/api/v1/orders/"+list.Items[0].ID+"/cancel", nil, 200, nil)
		if r := c.order(deal, 1); r.status != 201 {
			t.Errorf("order after cancel = %d %s, want 201", r.status, r.body)
		}
		if r := c.order(deal, 1); r.problem().Code != tuango.CodeLimitExceeded {
			t.Errorf("fourth live unit = %s, want limit_exceeded", r.body)
		}
	})
	t.Run("one order over the limit is refused whole", func(t *testing.T) {
		other := e.customer()
		if r := other.order(deal, 4); r.problem().Code != tuango.CodeLimitExceeded {
			t.Errorf("4 units with limit 3 = %s, want limit_exceeded", r.body)
		}
	})
}

// An order's lines are all accepted or none: a sold-out second line
// leaves the first deal's stock untouched.
func TestOrderIsAllOrNothing(t *testing.T) {
	e := newEnv(t)
	plenty, scarce := e.newDeal(100, 5, 300), e.newDeal(1, 5, 300)
	c := e.customer()
	r := c.do("POST", "/api/v1/orders", map[string]any{"pickup_point_id": e.ppID, "items": []map[string]any{
		{"deal_id": plenty, "quantity": 2}, {"deal_id": scarce, "quantity": 2}}}, "Idempotency-Key", newKey())
	if r.status != 409 || r.problem().Code != tuango.CodeSoldOut {
		t.Fatalf("order = %d %s, want 409 sold_out", r.status, r.body)
	}
	if p := r.problem(); p.Field != "items[1].deal_id" {
		t.Errorf("field = %q, want items[1].deal_id", p.Field)
	}
	if d := e.deal(plenty); d.Reserved != 0 {
		t.Errorf("first line's deal reserved %d after a refused order, want 0", d.Reserved)
	}
	if n := e.count(`SELECT COUNT(*) FROM orders`); n != 0 {
		t.Errorf("orders = %d, want 0", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM customer_deal_units WHERE units > 0`); n != 0 {
		t.Errorf("limit counters = %d, want 0", n)
	}
	o := c.mustOrder(plenty, 2)
	if o.TotalFen != 600 || len(o.Items) != 1 || o.Items[0].UnitPriceFen != 300 || o.Items[0].CommissionBps != 800 {
		t.Errorf("order = %+v, want total 600 with price and commission snapshotted", o)
	}
	if want := testStart.Add(tuango.DefaultOrderTimeout).Format(time.RFC3339Nano); o.ExpiresAt != want {
		t.Errorf("expires_at = %s, want %s", o.ExpiresAt, want)
	}
}

func TestIdempotency(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(100, 10, 700)
	c := e.customer()
	body := []byte(fmt.Sprintf(`{"pickup_point_id":%q,"items":[{"deal_id":%q,"quantity":2}]}`, e.ppID, deal))

	t.Run("a replay returns the first response byte for byte and changes nothing", func(t *testing.T) {
		key := newKey()
		first := c.do("POST", "/api/v1/orders", body, "Idempotency-Key", key)
		if first.status != 201 {
			t.Fatalf("first = %d %s", first.status, first.body)
		}
		e.clock.Advance(time.Minute)
		again := c.do("POST", "/api/v1/orders", body, "Idempotency-Key", key)
		if again.status != 201 || !bytes.Equal(again.body, first.body) {
			t.Errorf("replay = %d %s, want 201 %s", again.status, again.body, first.body)
		}
		if again.header.Get("Idempotent-Replayed") != "true" {
			t.Error("replay lacks Idempotent-Replayed: true")
		}
		if d := e.deal(deal); d.Reserved != 2 {
			t.Errorf("reserved = %d after a replay, want 2", d.Reserved)
		}
	})
	t.Run("the same key with another body is 422 and changes nothing", func(t *testing.T) {
		key := newKey()
		c.mustDo("POST", "/api/v1/orders", body, 201, nil, "Idempotency-Key", key)
		before := e.count(`SELECT COUNT(*) FROM orders`)
		other := bytes.Replace(body, []byte(`"quantity":2`), []byte(`"quantity":3`), 1)
		r := c.do("POST", "/api/v1/orders", other, "Idempotency-Key", key)
		if r.status != 422 || r.problem().Code != tuango.CodeIdemKeyReused {
			t.Errorf("reused key = %d %s, want 422 idempotency_key_reused", r.status, r.body)
		}
		if n := e.count(`SELECT COUNT(*) FROM orders`); n != before {
			t.Errorf("orders = %d, want %d", n, before)
		}
	})
	t.Run("a missing key is 400", func(t *testing.T) {
		r := c.do("POST", "/api/v1/orders", body)
		if r.status != 400 || r.problem().Code != tuango.CodeIdemKeyMissing {
			t.Errorf("no key = %d %s, want 400 idempotency_key_missing", r.status, r.body)
		}
	})
	t.Run("keys belong to their user", func(t *testing.T) {
		key := newKey()
		c.mustDo("POST", "/api/v1/orders", body, 201, nil, "Idempotency-Key", key)
		other := e.customer()
		r := other.do("POST", "/api/v1/orders", body, "Idempotency-Key", key)
		var o orderView
		json.Unmarshal(r.body, &o)
		if r.status != 201 || o.UserID != other.userID {
			t.Errorf("another user's same key = %d %s, want their own new order", r.status, r.body)
		}
	})
	t.Run("concurrent duplicates make one order", func(t *testing.T) {
		buyer := e.customer()
		key := newKey()
		var wg sync.WaitGroup
		results := make([]response, 40)
		for i := range results {
			wg.Add(1)
			go func() { defer wg.Done(); results[i] = buyer.do("POST", "/api/v1/orders", body, "Idempotency-Key", key) }()
		}
		wg.Wait()
		var created []byte
		for _, r := range results {
			switch {
			case r.status == 201:
				if created != nil && !bytes.Equal(created, r.body) {
					t.Errorf("two different 201 bodies for one key:\n%s\n%s", created, r.body)
				}
				created = r.body
			case r.status == 409 && r.problem().Code == tuango.CodeIdemKeyInFlight:
			default:
				t.Errorf("duplicate = %d %s, want 201 or 409 idempotency_key_in_flight", r.status, r.body)
			}
		}
		if n := e.count(`SELECT COUNT(*) FROM orders WHERE user_id = ?`, buyer.userID); n != 1 {
			t.Errorf("orders for one key = %d, want 1", n)
		}
	})
}

// Rule 6: a foreign id answers exactly as a missing one.
func TestOrdersAreVisibleOnlyToTheirOwner(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(10, 5, 100)
	alice, bob := e.customer(), e.customer()
	o := alice.mustOrder(deal, 1)
	foreign := bob.do("GET", "/api/v1/orders/"+o.ID, nil)
	missing := bob.do("GET", "/api/v1/orders/ord_doesnotexist", nil)
	if foreign.status != 404 || missing.status != 404 || foreign.problem().Detail != missing.problem().Detail {
		t.Errorf("foreign = %d %s, missing = %d %s; want the same 404", foreign.status, foreign.body, missing.status, missing.body)
	}
	for _, path := range []string{"/api/v1/orders/" + o.ID + "/cancel", "/api/v1/orders/" + o.ID + "/payments"} {
		if r := bob.do("POST", path, nil, "Idempotency-Key", newKey()); r.status != 404 {
			t.Errorf("POST %s by another customer = %d %s, want 404", path, r.status, r.body)
		}
	}
	var list list[orderView]
	bob.mustDo("GET", "/api/v1/orders", nil, 200, &list)
	if len(list.Items) != 0 {
		t.Errorf("bob's list has %d orders, want 0", len(list.Items))
	}
	alice.mustDo("GET", "/api/v1/orders/"+o.ID, nil, 200, nil)
	if d := e.deal(deal); d.Reserved != 1 {
		t.Errorf("reserved = %d after bob's attempts, want 1", d.Reserved)
	}
	t.Run("no token is 401", func(t *testing.T) {
		anon := &client{e: e}
		if r := anon.do("GET", "/api/v1/orders", nil); r.status != 401 || r.problem().Code != tuango.CodeUnauthorized {
			t.Errorf("anonymous = %d %s, want 401", r.status, r.body)
		}
	})
}

func TestCancelReturnsStock(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(5, 5, 100)
	c := e.customer()
	o := c.mustOrder(deal, 3)
	var got orderView
	c.mustDo("POST", "/api/v1/orders/"+o.ID+"/cancel", nil, 200, &got)
	if got.Status != "cancelled" || got.CancelReason != "customer" {
		t.Errorf("cancelled order = %+v", got)
	}
	if d := e.deal(deal); d.Reserved != 0 {
		t.Errorf("reserved = %d after cancel, want 0", d.Reserved)
	}
	if r := c.do("POST", "/api/v1/orders/"+o.ID+"/cancel", nil); r.status != 409 || r.problem().Code != tuango.CodeOrderNotCancellable {
		t.Errorf("second cancel = %d %s, want 409 order_not_cancellable", r.status, r.body)
	}
	if d := e.deal(deal); d.Reserved != 0 {
		t.Errorf("reserved = %d after a second cancel, want 0", d.Reserved)
	}
}

func TestDealsForAPickupPoint(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(5, 2, 100)
	anon := &client{e: e}
	var got list[dealView]
	anon.mustDo("GET", "/api/v1/deals?pickup_point_id="+e.ppID, nil, 200, &got)
	if len(got.Items) != 1 || got.Items[0].ID != deal || got.Items[0].StockRemaining != 5 || got.Items[0].Stock != nil {
		t.Errorf("deals = %+v, want the one deal with 5 remaining and no operator fields", got.Items)
	}
	e.clock.Advance(24 * time.Hour)
	anon.mustDo("GET", "/api/v1/deals?pickup_point_id="+e.ppID, nil, 200, &got)
	if len(got.Items) != 0 {
		t.Errorf("deals after the sale = %d, want 0", len(got.Items))
	}
	if r := anon.do("GET", "/api/v1/deals", nil); r.status != 400 || r.problem().Field != "pickup_point_id" {
		t.Errorf("deals without a pickup point = %d %s, want 400 naming pickup_point_id", r.status, r.body)
	}
	c := e.customer()
	c.mustDo("PUT", "/api/v1/me/pickup-point", map[string]any{"pickup_point_id": e.otherPPID}, 200, nil)
	var me userView
	c.mustDo("GET", "/api/v1/me", nil, 200, &me)
	if me.HomePickupPointID != e.otherPPID {
		t.Errorf("home pickup point = %q, want %q", me.HomePickupPointID, e.otherPPID)
	}
	if r := c.order(deal, 1); r.problem().Code != tuango.CodeDealNotLive {
		t.Errorf("order after the sale = %s, want deal_not_live", r.body)
	}
}
