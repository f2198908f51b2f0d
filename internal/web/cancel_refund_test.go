package web

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"strconv"
	"strings"
	"testing"

	"tuango/internal/tuango"
)

// A paid order the customer cancels says its money goes back: the answer
// and the order carry the refund beside refunded_fen (which stays the
// refunds of goods short or damaged), pending until the provider pays it
// back and then succeeded; the order page says so in the reader's
// language; the customer is told once, in their language; and the order's
// placement still replays byte for byte.
func TestCancelledPaidOrderSaysItIsRefunded(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	deal := e.newDeal(10, 5, 5280)
	c := e.customer()
	key := newKey()
	placeBody := map[string]any{"pickup_point_id": e.ppID, "items": []map[string]any{{"deal_id": deal, "quantity": 1}}}
	placed := c.mustDo("POST", "/api/v1/orders", placeBody, 201, nil, "Idempotency-Key", key)
	var o orderView
	must(t, json.Unmarshal(placed.body, &o))
	var p paymentView
	c.mustDo("POST", "/api/v1/orders/"+o.ID+"/payments", nil, 201, &p, "Idempotency-Key", newKey())
	c.mustDo("POST", "/api/v1/sandbox/payments/"+p.ID+"/confirm", nil, 200, nil)
	c.waitStatus(o.ID, "paid")

	var cancelled orderView
	c.mustDo("POST", "/api/v1/orders/"+o.ID+"/cancel", nil, 200, &cancelled)
	if cancelled.Status != "cancelled" || cancelled.CancelRefundFen != 5280 || cancelled.CancelRefundStatus != "pending" || cancelled.RefundedFen != 0 {
		t.Errorf("cancel answered status %s, cancel_refund_fen %d (%s), refunded_fen %d; want cancelled, 5280 pending, refunded_fen 0",
			cancelled.Status, cancelled.CancelRefundFen, cancelled.CancelRefundStatus, cancelled.RefundedFen)
	}
	var got orderView
	c.mustDo("GET", "/api/v1/orders/"+o.ID, nil, 200, &got)
	if got.CancelRefundFen != 5280 || got.CancelRefundStatus != "pending" {
		t.Errorf("the order reads cancel_refund_fen %d (%s), want 5280 pending", got.CancelRefundFen, got.CancelRefundStatus)
	}
	b := pageAs(e, c)
	for path, want := range map[string]string{"/orders/" + o.ID + "?lang=zh": "退款处理中：¥52.80", "/orders/" + o.ID + "?lang=en": "Refund in progress: ¥52.80"} {
		if pg := b.get(path); !strings.Contains(pg.body, want) {
			t.Errorf("GET %s lacks %q:\n%s", path, want, pg.body)
		}
	}

	if n, err := e.svc.DeliverNotifications(ctx, 100); err != nil || n != 1 {
		t.Errorf("DeliverNotifications = %d, %v; want the one message of the cancel", n, err)
	}
	zh := "您的订单 " + o.ID + " 已取消，¥52.80 将原路退回。"
	en := "Your order " + o.ID + " is cancelled: ¥52.80 is refunded to how you paid."
	for lang, want := range map[string]string{"": zh, "en": en} {
		items := notificationsOf(c, lang)
		if len(items) != 1 || items[0].Kind != string(tuango.NotifyCancelRefunded) || items[0].OrderID != o.ID || items[0].Text != want {
			t.Errorf("notifications in %q = %+v, want one saying %q", lang, items, want)
		}
	}
	if pg := b.get("/notifications?lang=en"); !strings.Contains(pg.body, "is cancelled: ¥52.80 is refunded") {
		t.Errorf("the inbox page in English lacks the refund:\n%s", pg.body)
	}

	if n, err := e.svc.SendRefunds(ctx, 100); err != nil || n != 1 {
		t.Fatalf("SendRefunds = %d, %v; want 1", n, err)
	}
	c.mustDo("GET", "/api/v1/orders/"+o.ID, nil, 200, &got)
	if got.CancelRefundFen != 5280 || got.CancelRefundStatus != "succeeded" || got.RefundedFen != 0 {
		t.Errorf("once paid back the order reads cancel_refund_fen %d (%s), refunded_fen %d; want 5280 succeeded, 0",
			got.CancelRefundFen, got.CancelRefundStatus, got.RefundedFen)
	}
	var all listPage[orderView]
	c.mustDo("GET", "/api/v1/orders", nil, 200, &all)
	if len(all.Items) != 1 || all.Items[0].CancelRefundFen != 5280 || all.Items[0].CancelRefundStatus != "succeeded" {
		t.Errorf("the list = %+v, want the order with its refund", all.Items)
	}
	for path, want := range map[string]string{"/orders/" + o.ID + "?lang=zh": "已退款 ¥52.80", "/orders/" + o.ID + "?lang=en": "Refunded ¥52.80"} {
		if pg := b.get(path); !strings.Contains(pg.body, want) || strings.Contains(pg.body, "退款处理中") {
			t.Errorf("GET %s lacks %q (or still says in progress):\n%s", path, want, pg.body)
		}
	}

	if n, err := e.svc.DeliverNotifications(ctx, 100); err != nil || n != 0 {
		t.Errorf("DeliverNotifications again = %d, %v; want 0", n, err)
	}
	if n := e.count(`SELECT COUNT(*) FROM outbox WHERE order_id = ?`, o.ID); n != 1 {
		t.Errorf("%d messages written for the order, want 1", n)
	}
	if r := c.do("POST", "/api/v1/orders/"+o.ID+"/cancel", nil); r.status != 409 {
		t.Errorf("cancel again = %d %s, want 409", r.status, r.body)
	}
	if items := notificationsOf(c, ""); len(items) != 1 {
		t.Errorf("after a second cancel the customer has %d notifications, want 1", len(items))
	}
	replay := c.mustDo("POST", "/api/v1/orders", placeBody, 201, nil, "Idempotency-Key", key)
	if !bytes.Equal(replay.body, placed.body) {
		t.Errorf("the placement's replay after the cancel and refund =\n%s\nwant the first answer\n%s", replay.body, placed.body)
	}
}

// The customer's order list carries each cancelled order's own refund,
// read for the whole page at once: refunds paid out and pending, an
// order cancelled unpaid with none, a live order with none, and another
// customer's refund nowhere; each page of a paged list the same.
func TestOrderListCarriesEachCancelledOrdersRefund(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, other := e.customer(), e.customer()
	place := func(c *client, price tuango.Fen, qty int) string {
		t.Helper()
		body := map[string]any{"pickup_point_id": e.ppID, "items": []map[string]any{{"deal_id": e.newDeal(10, 5, price), "quantity": qty}}}
		var o orderView
		c.mustDo("POST", "/api/v1/orders", body, 201, &o, "Idempotency-Key", newKey())
		return o.ID
	}
	pay := func(c *client, id string) {
		t.Helper()
		var p paymentView
		c.mustDo("POST", "/api/v1/orders/"+id+"/payments", nil, 201, &p, "Idempotency-Key", newKey())
		c.mustDo("POST", "/api/v1/sandbox/payments/"+p.ID+"/confirm", nil, 200, nil)
		c.waitStatus(id, "paid")
	}
	cancel := func(c *client, id string) {
		t.Helper()
		c.mustDo("POST", "/api/v1/orders/"+id+"/cancel", nil, 200, nil)
	}

	paidBack1, paidBack2 := place(c, 1010, 1), place(c, 2020, 2)
	for _, id := range []string{paidBack1, paidBack2} {
		pay(c, id)
		cancel(c, id)
	}
	theirs := place(other, 9090, 1)
	pay(other, theirs)
	cancel(other, theirs)
	if n, err := e.svc.SendRefunds(ctx, 100); err != nil || n != 3 {
		t.Fatalf("SendRefunds = %d, %v; want 3", n, err)
	}
	pending := place(c, 3030, 3)
	pay(c, pending)
	cancel(c, pending)
	unpaid := place(c, 4040, 1)
	cancel(c, unpaid)
	live := place(c, 5050, 1)
	pay(c, live)

	type refund struct {
		Status string
		Fen    tuango.Fen
		Refund string
	}
	want := map[string]refund{
		paidBack1: {"cancelled", 1010, "succeeded"},
		paidBack2: {"cancelled", 4040, "succeeded"},
		pending:   {"cancelled", 9090, "pending"},
		unpaid:    {"cancelled", 0, ""},
		live:      {"paid", 0, ""},
	}
	for _, limit := range []int{0, 2} {
		got := map[string]refund{}
		for cursor, pages := "", 0; pages == 0 || cursor != ""; pages++ {
			path := "/api/v1/orders?cursor=" + cursor
			if limit > 0 {
				path += "&limit=" + strconv.Itoa(limit)
			}
			var pg listPage[orderView]
			c.mustDo("GET", path, nil, 200, &pg)
			for _, o := range pg.Items {
				got[o.ID] = refund{o.Status, o.CancelRefundFen, o.CancelRefundStatus}
			}
			cursor = pg.NextCursor
		}
		if !maps.Equal(got, want) {
			t.Errorf("GET /api/v1/orders with limit %d: orders and their refunds =\n%+v\nwant\n%+v", limit, got, want)
		}
	}
}
