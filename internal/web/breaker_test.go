package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"tuango/internal/tuango"
)

// orderPage fetches a customer's order page with their session.
func (c *client) orderPage(orderID string) string {
	c.e.t.Helper()
	req, err := http.NewRequest("GET", c.e.srv.URL+"/orders/"+orderID, nil)
	must(c.e.t, err)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.token})
	req.Header.Set("Accept-Language", "zh-CN")
	resp, err := http.DefaultClient.Do(req)
	must(c.e.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		c.e.t.Fatalf("order page = %d %s", resp.StatusCode, b)
	}
	return string(b)
}

func (e *env) setFaults(f map[string]any) {
	e.t.Helper()
	e.operator.mustDo("PUT", "/api/v1/sandbox/faults", f, 200, nil)
}

func (e *env) orderStatus(id string) (tuango.OrderStatus, time.Time) {
	e.t.Helper()
	o, err := e.store.FindOrderByID(context.Background(), id)
	must(e.t, err)
	return o.Status, o.ExpiresAt
}

// The payment provider fails: the breaker opens and payment answers 503
// at once without calling it; no order whose deadline falls in the outage
// expires, however long it lasts, while one due before it still does; the
// stock they hold stays held (no oversell); on recovery payment is offered
// again, a payment is applied once, and the extended orders that are never
// paid expire and give their stock back.
func TestPaymentBreakerHoldsOrdersThroughAnOutage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	deal := e.newDeal(4, 5, 1290)
	early, a, b, late := e.customer(), e.customer(), e.customer(), e.customer()
	due := early.mustOrder(deal, 1) // due 15 minutes from now, before the outage starts
	e.clock.Advance(16 * time.Minute)
	oa := a.mustOrder(deal, 2)
	bBody, bKey := map[string]any{"pickup_point_id": e.ppID, "items": []map[string]any{{"deal_id": deal, "quantity": 1}}}, newKey()
	first := b.do("POST", "/api/v1/orders", bBody, "Idempotency-Key", bKey)
	var ob orderView
	if first.status != 201 || json.Unmarshal(first.body, &ob) != nil {
		t.Fatalf("order = %d %s, want 201", first.status, first.body)
	}
	if r := late.order(deal, 1); r.status != 409 {
		t.Fatalf("a fifth unit with four held = %d %s, want 409 sold out", r.status, r.body)
	}
	paysOf := func(orderID string) int {
		return e.count(`SELECT COUNT(*) FROM payments WHERE order_id = ?`, orderID)
	}

	// The provider refuses: five failures open the breaker.
	e.setFaults(map[string]any{"fail_create": 1})
	for i := 1; i <= 5; i++ {
		r := a.do("POST", "/api/v1/orders/"+oa.ID+"/payments", nil, "Idempotency-Key", newKey())
		if r.status != 503 || r.problem().Code != tuango.CodePaymentUnavailable || r.header.Get("Retry-After") == "" {
			t.Fatalf("payment %d with the provider failing = %d %s (Retry-After %q), want 503 payment_unavailable with Retry-After", i, r.status, r.body, r.header.Get("Retry-After"))
		}
	}
	if st := e.breaker.State(); st != "open" {
		t.Fatalf("breaker after 5 failures = %s, want open", st)
	}
	// Open: the provider is not called at all (a hanging one would make
	// this wait for the call timeout), and nothing is written.
	e.setFaults(map[string]any{"create_delay_ms": 60000})
	before := paysOf(ob.ID)
	r := b.do("POST", "/api/v1/orders/"+ob.ID+"/payments", nil, "Idempotency-Key", newKey())
	if r.status != 503 || r.problem().Code != tuango.CodePaymentUnavailable {
		t.Fatalf("payment with the breaker open = %d %s, want 503 payment_unavailable", r.status, r.body)
	}
	if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 {
		t.Errorf("Retry-After = %q, want whole seconds ≥ 1", r.header.Get("Retry-After"))
	}
	if n := paysOf(ob.ID); n != before {
		t.Errorf("payments of the order after a refusal with the breaker open = %d, want %d: nothing written", n, before)
	}
	if n := e.count(`SELECT COUNT(*) FROM sandbox_payments sp JOIN payments p ON p.id = sp.payment_id WHERE p.order_id = ?`, ob.ID); n != 0 {
		t.Errorf("the provider saw %d payments of an order never sent to it, want 0", n)
	}
	page := b.orderPage(ob.ID)
	if !strings.Contains(page, `id="pay-paused"`) || strings.Contains(page, `/orders/`+ob.ID+`/pay"`) {
		t.Errorf("order page with payment down: want the paused note and no pay button")
	}

	// The outage is recorded for the cluster, from the first failure.
	must(t, e.svc.ReportProvider(ctx, "node-a"))
	outs, err := e.svc.FindProviderOutages(ctx, e.clock.Now().Add(-time.Hour))
	must(t, err)
	if len(outs) != 1 || !outs[0].Open(e.clock.Now()) || outs[0].OpenedBy != "node-a" {
		t.Fatalf("outages = %+v, want one open, opened by node-a", outs)
	}

	// An hour of outage, the expiry sweep running every minute: nobody's
	// order expires but the one due before it began.
	for i := 0; i < 60; i++ {
		e.clock.Advance(time.Minute)
		must(t, e.svc.ReportProvider(ctx, "node-a"))
		if _, err := e.svc.ExpireOrders(ctx, 100); err != nil {
			t.Fatal(err)
		}
		for _, o := range []orderView{oa, ob} {
			if st, exp := e.orderStatus(o.ID); st != tuango.OrderPendingPayment || !exp.After(e.clock.Now()) {
				t.Fatalf("minute %d of the outage: order %s is %s due %v, want pending_payment due later than now %v", i+1, o.ID, st, exp, e.clock.Now())
			}
		}
	}
	if st, _ := e.orderStatus(due.ID); st != tuango.OrderCancelled {
		t.Errorf("the order due before the outage began is %s, want cancelled (expired)", st)
	}
	// Its key sent again gets the first answer, with the first deadline,
	// byte for byte, though the deadline was extended since.
	if r := b.do("POST", "/api/v1/orders", bBody, "Idempotency-Key", bKey); r.status != 201 || string(r.body) != string(first.body) ||
		r.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the order's key again after its deadline was extended = %d %s (replayed %q), want 201 and the first answer %s",
			r.status, r.body, r.header.Get("Idempotent-Replayed"), first.body)
	}
	d := e.deal(deal)
	if d.Remaining() != 1 {
		t.Errorf("deal remaining during the outage = %d, want 1 (three units held by the two unpaid orders)", d.Remaining())
	}
	late.mustOrder(deal, 1) // the expired order's unit, sold again
	if r := late.order(deal, 1); r.status != 409 {
		t.Errorf("one more unit during the outage = %d, want 409 sold out: held stock stays held", r.status)
	}

	// Recovery: the next call after the open period probes, succeeds and
	// closes the breaker; the node reports it and the outage ends.
	e.setFaults(map[string]any{})
	time.Sleep(600 * time.Millisecond) // the breaker's open period, on the wall clock
	e.clock.Advance(time.Second)
	key := newKey()
	var p paymentView
	a.mustDo("POST", "/api/v1/orders/"+oa.ID+"/payments", nil, 201, &p, "Idempotency-Key", key)
	if st := e.breaker.State(); st != "closed" {
		t.Fatalf("breaker after a successful probe = %s, want closed", st)
	}
	must(t, e.svc.ReportProvider(ctx, "node-b"))
	outs, err = e.svc.FindProviderOutages(ctx, e.clock.Now().Add(-2*time.Hour))
	must(t, err)
	if len(outs) != 1 || outs[0].Open(e.clock.Now()) || outs[0].EndedBy != "node-b" {
		t.Fatalf("outages after recovery = %+v, want the one ended by node-b", outs)
	}
	if page := b.orderPage(ob.ID); strings.Contains(page, `id="pay-paused"`) || !strings.Contains(page, `/orders/`+ob.ID+`/pay"`) {
		t.Errorf("order page after recovery: want the pay button (去支付) back and no paused note")
	}

	// Exactly once is unchanged: the same key replays the same payment,
	// two confirmations mark the order paid once.
	var again paymentView
	a.mustDo("POST", "/api/v1/orders/"+oa.ID+"/payments", nil, 201, &again, "Idempotency-Key", key)
	if again.ID != p.ID {
		t.Errorf("replayed payment = %s, want %s", again.ID, p.ID)
	}
	a.mustDo("POST", "/api/v1/sandbox/payments/"+p.ID+"/confirm", nil, 200, nil)
	a.mustDo("POST", "/api/v1/sandbox/payments/"+p.ID+"/confirm", nil, 200, nil)
	a.waitStatus(oa.ID, "paid")
	if n := e.count(`SELECT COUNT(*) FROM payments WHERE order_id = ? AND status = 'succeeded'`, oa.ID); n != 1 {
		t.Errorf("succeeded payments of the paid order = %d, want 1", n)
	}

	// The unpaid order keeps its extension for a while after recovery, then
	// expires like any other and gives its unit back.
	_, exp := e.orderStatus(ob.ID)
	if left := exp.Sub(e.clock.Now()); left < 7*time.Minute {
		t.Errorf("after recovery the unpaid order has %v left to pay, want at least half the order timeout", left)
	}
	e.clock.Advance(exp.Sub(e.clock.Now()) + time.Second)
	if _, err := e.svc.ExpireOrders(ctx, 100); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.orderStatus(ob.ID); st != tuango.OrderCancelled {
		t.Errorf("the unpaid order past its extended deadline is %s, want cancelled", st)
	}
	d = e.deal(deal)
	if d.Remaining() != 1 {
		t.Errorf("deal after the outage: remaining %d, want 1 (2 paid + 1 ordered after of 4)", d.Remaining())
	}
	if n := e.count(`SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE l.deal_id = ? AND o.status <> 'cancelled'`, deal); n > d.Stock {
		t.Errorf("units in live orders = %d > stock %d: oversold", n, d.Stock)
	}
}
