package web

import (
	"net/url"
	"strings"
	"sync"
	"testing"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// A customer holds at most MaxUnpaidOrders unpaid orders, also when many
// are placed at once: each in its own transaction (concurrent on
// PostgreSQL) or together in one group commit.
func TestMaxUnpaidOrders(t *testing.T) {
	for _, tc := range []struct {
		name     string
		batchMax int
	}{{"one transaction per order", 1}, {"group commit", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			const max, tries = 3, 8
			e := newEnvConfig(t, storetest.DSN(t), tuango.Config{MaxUnpaidOrders: max, BatchMax: tc.batchMax})
			c := e.customer()
			deals := make([]string, tries)
			for i := range deals {
				deals[i] = e.newDeal(10, 5, 990)
			}
			answers := make([]response, tries)
			var wg sync.WaitGroup
			for i := range tries {
				wg.Go(func() { answers[i] = c.order(deals[i], 1) })
			}
			wg.Wait()
			placed := 0
			for _, r := range answers {
				switch {
				case r.status == 201:
					placed++
				case r.status != 409 || r.problem().Code != "too_many_unpaid_orders":
					t.Errorf("order = %d %s, want 201 or 409 too_many_unpaid_orders", r.status, r.body)
				}
			}
			if n := e.count(`SELECT COUNT(*) FROM orders WHERE user_id = ? AND status = 'pending_payment'`, c.userID); placed != max || n != max {
				t.Errorf("%d orders placed at once, %d unpaid in the database; want %d", placed, n, max)
			}
			// Another customer is not held back by this one.
			e.customer().mustOrder(deals[0], 1)
			// Once the unpaid orders lapse, the customer may order again.
			e.clock.Advance(tuango.DefaultOrderTimeout + 1e9)
			c.mustOrder(deals[1], 1)
		})
	}
}

// The checkout page says, in the user's language, why an order past the
// cap is refused.
func TestCheckoutPastTheUnpaidCap(t *testing.T) {
	e := newEnvConfig(t, storetest.DSN(t), tuango.Config{MaxUnpaidOrders: 1})
	deal := e.newDeal(10, 5, 990)
	b := shopper(e, deal)
	if p := b.post("/checkout", b.checkoutForm()); p.status != 303 {
		t.Fatalf("first checkout = %d:\n%s", p.status, p.body)
	}
	home := b.get("/")
	if p := b.post("/cart", url.Values{"csrf": {home.csrf(t)}, "action": {"add"}, "deal_id": {deal}}); p.status != 303 {
		t.Fatalf("add to cart = %d:\n%s", p.status, p.body)
	}
	if p := b.post("/checkout", b.checkoutForm()); p.status != 409 || !strings.Contains(p.body, "你有太多订单还没付款：请先付款或取消一个，再下新订单。") {
		t.Errorf("second checkout = %d, want 409 saying why:\n%s", p.status, p.body)
	}
	if n := e.count(`SELECT COUNT(*) FROM orders`); n != 1 {
		t.Errorf("%d orders, want 1", n)
	}
}
