package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"tuango/internal/payment"
	"tuango/internal/tuango"
)

// pay places an order and starts paying for it.
func (c *client) pay(dealID string) (orderView, paymentView) {
	c.e.t.Helper()
	o := c.mustOrder(dealID, 1)
	var p paymentView
	c.mustDo("POST", "/api/v1/orders/"+o.ID+"/payments", nil, 201, &p, "Idempotency-Key", newKey())
	return o, p
}

// waitStatus polls an order until it has the wanted status.
func (c *client) waitStatus(orderID, want string) orderView {
	c.e.t.Helper()
	var o orderView
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		c.mustDo("GET", "/api/v1/orders/"+orderID, nil, 200, &o)
		if o.Status == want {
			return o
		}
	}
	c.e.t.Fatalf("order %s is %s, want %s", orderID, o.Status, want)
	return o
}

// notify sends a hand-made notification as the sandbox would.
func (e *env) notify(key []byte, ts time.Time, paymentID, txn string, amount tuango.Fen, eventID string) response {
	e.t.Helper()
	body := fmt.Sprintf(`{"id":%q,"create_time":%q,"event_type":"TRANSACTION.SUCCESS","resource_type":"plaintext","resource":{"out_trade_no":%q,"transaction_id":%q,"trade_state":"SUCCESS","amount":{"total":%d,"currency":"CNY"},"success_time":%q}}`,
		eventID, ts.Format(time.RFC3339), paymentID, txn, amount, ts.Format(time.RFC3339))
	tsStr := strconv.FormatInt(ts.Unix(), 10)
	c := &client{e: e}
	return c.do("POST", payment.NotifyPath, []byte(body), "Wechatpay-Timestamp", tsStr, "Wechatpay-Nonce", "n-"+eventID,
		"Wechatpay-Signature", payment.Sign(key, tsStr, "n-"+eventID, []byte(body)), "Wechatpay-Serial", "sandbox")
}

func TestPaymentHappyPath(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(10, 5, 1290)
	c := e.customer()
	o, p := c.pay(deal)
	if p.Status != "pending" || p.AmountFen != 1290 || p.OrderID != o.ID || !strings.Contains(p.PayURL, "/sandbox/pay/"+p.ID) {
		t.Fatalf("payment = %+v", p)
	}
	var again paymentView
	c.mustDo("POST", "/api/v1/orders/"+o.ID+"/payments", nil, 201, &again, "Idempotency-Key", newKey())
	if again.ID != p.ID {
		t.Errorf("second payment with a new key = %s, want the pending %s reused", again.ID, p.ID)
	}
	c.mustDo("POST", "/api/v1/sandbox/payments/"+p.ID+"/confirm", nil, 200, nil)
	paid := c.waitStatus(o.ID, "paid")
	if paid.PaidAt == "" {
		t.Error("paid order has no paid_at")
	}
	var got paymentView
	c.mustDo("GET", "/api/v1/payments/"+p.ID, nil, 200, &got)
	if got.Status != "succeeded" || got.ProviderTxnID == "" {
		t.Errorf("payment after notification = %+v", got)
	}
	if r := e.customer().do("POST", "/api/v1/sandbox/payments/"+p.ID+"/confirm", nil); r.status != 404 {
		t.Errorf("another customer confirming = %d, want 404", r.status)
	}
	if r := c.do("POST", "/api/v1/orders/"+o.ID+"/payments", nil, "Idempotency-Key", newKey()); r.problem().Code != tuango.CodeOrderNotPayable {
		t.Errorf("paying a paid order = %s, want order_not_payable", r.body)
	}
}

func TestNotificationsDuplicatedAreAppliedOnce(t *testing.T) {
	e := newEnv(t)
	e.sandbox.SetFaults(payment.Faults{Duplicate: 1})
	deal := e.newDeal(10, 5, 500)
	c := e.customer()
	o, p := c.pay(deal)
	c.mustDo("POST", "/api/v1/sandbox/payments/"+p.ID+"/confirm", nil, 200, nil)
	c.mustDo("POST", "/api/v1/sandbox/payments/"+p.ID+"/confirm", nil, 200, nil) // the customer taps twice
	c.waitStatus(o.ID, "paid")
	e.sandbox.Close() // wait for every copy to be delivered
	if n := e.count(`SELECT COUNT(*) FROM provider_events`); n != 1 {
		t.Errorf("provider events = %d, want 1 (one event, delivered four times)", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM payments WHERE status = 'succeeded'`); n != 1 {
		t.Errorf("succeeded payments = %d, want 1", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM refunds`); n != 0 {
		t.Errorf("refunds = %d, want 0", n)
	}
}

func TestNotificationsForgedStaleOrWrongAreRefused(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(10, 5, 800)
	c := e.customer()
	o, p := c.pay(deal)
	now := e.clock.Now()
	tests := []struct {
		name       string
		key        []byte
		ts         time.Time
		amount     tuango.Fen
		wantStatus int
		wantCode   string
	}{
		{"signed with another key", []byte("forger"), now, 800, 401, tuango.CodeBadSignature},
		{"older than the replay window", e.key, now.Add(-301 * time.Second), 800, 400, tuango.CodeStaleNotification},
		{"from the future", e.key, now.Add(301 * time.Second), 800, 400, tuango.CodeStaleNotification},
		{"for another amount", e.key, now, 1, 400, tuango.CodeAmountMismatch},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.notify(tt.key, tt.ts, p.ID, "txn", tt.amount, fmt.Sprintf("EV-bad-%d", i))
			if r.status != tt.wantStatus || r.problem().Code != tt.wantCode {
				t.Errorf("= %d %s, want %d %s", r.status, r.body, tt.wantStatus, tt.wantCode)
			}
		})
	}
	t.Run("a tampered body fails the signature", func(t *testing.T) {
		ts := strconv.FormatInt(now.Unix(), 10)
		body := `{"id":"EV-x","event_type":"TRANSACTION.SUCCESS","resource":{"out_trade_no":"` + p.ID + `","transaction_id":"t","trade_state":"SUCCESS","amount":{"total":800}}}`
		sig := payment.Sign(e.key, ts, "nonce", []byte(body))
		r := (&client{e: e}).do("POST", payment.NotifyPath, []byte(strings.Replace(body, "800", "801", 1)),
			"Wechatpay-Timestamp", ts, "Wechatpay-Nonce", "nonce", "Wechatpay-Signature", sig)
		if r.status != 401 {
			t.Errorf("= %d %s, want 401", r.status, r.body)
		}
	})
	var got orderView
	c.mustDo("GET", "/api/v1/orders/"+o.ID, nil, 200, &got)
	if got.Status != "pending_payment" {
		t.Errorf("order after refused notifications = %s, want pending_payment", got.Status)
	}
	if n := e.count(`SELECT COUNT(*) FROM provider_events`); n != 0 {
		t.Errorf("provider events = %d, want 0", n)
	}
}

// Notifications may arrive in any order and after reconciliation: each
// is applied once and nothing moves backwards.
func TestNotificationsReorderedAndLate(t *testing.T) {
	e := newEnv(t)
	e.sandbox.SetFaults(payment.Faults{Drop: 1})
	deal := e.newDeal(10, 5, 300)
	c := e.customer()
	o1, p1 := c.pay(deal)
	o2, p2 := c.pay(deal)
	for _, id := range []string{p1.ID, p2.ID} {
		c.mustDo("POST", "/api/v1/sandbox/payments/"+id+"/confirm", nil, 200, nil)
	}
	now := e.clock.Now()
	if r := e.notify(e.key, now, p2.ID, "txn2", 300, "EV-2"); r.status != 204 {
		t.Fatalf("second payment's notification = %d %s", r.status, r.body)
	}
	if r := e.notify(e.key, now, p1.ID, "txn1", 300, "EV-1"); r.status != 204 {
		t.Fatalf("first payment's notification = %d %s", r.status, r.body)
	}
	c.waitStatus(o1.ID, "paid")
	c.waitStatus(o2.ID, "paid")
	// A stale copy of the first event, and a new event for a paid payment.
	if r := e.notify(e.key, now, p1.ID, "txn1", 300, "EV-1"); r.status != 204 {
		t.Errorf("duplicate = %d %s, want 204", r.status, r.body)
	}
	if r := e.notify(e.key, now, p1.ID, "txn1", 300, "EV-1-again"); r.status != 204 {
		t.Errorf("second event of a paid payment = %d %s, want 204", r.status, r.body)
	}
	c.waitStatus(o1.ID, "paid")
	if n := e.count(`SELECT COUNT(*) FROM refunds`); n != 0 {
		t.Errorf("refunds = %d, want 0", n)
	}
}

// A notification that never comes is found by reconciliation.
func TestReconciliationFindsMissingNotifications(t *testing.T) {
	e := newEnv(t)
	e.sandbox.SetFaults(payment.Faults{Drop: 1})
	deal := e.newDeal(10, 5, 450)
	c := e.customer()
	o, p := c.pay(deal)
	_, unpaid := c.pay(deal)
	c.mustDo("POST", "/api/v1/sandbox/payments/"+p.ID+"/confirm", nil, 200, nil)
	ctx := context.Background()
	if n, err := e.svc.Reconcile(ctx, 100); err != nil || n != 0 {
		t.Errorf("Reconcile before the wait = %d, %v; want 0 (too early to ask)", n, err)
	}
	e.clock.Advance(tuango.ReconcileAfter + time.Second)
	if n, err := e.svc.Reconcile(ctx, 100); err != nil || n != 1 {
		t.Errorf("Reconcile = %d, %v; want 1", n, err)
	}
	c.waitStatus(o.ID, "paid")
	if n, err := e.svc.Reconcile(ctx, 100); err != nil || n != 0 {
		t.Errorf("second Reconcile = %d, %v; want 0", n, err)
	}
	var still paymentView
	c.mustDo("GET", "/api/v1/payments/"+unpaid.ID, nil, 200, &still)
	if still.Status != "pending" {
		t.Errorf("unconfirmed payment = %s, want pending", still.Status)
	}
}

// A payment that lands on a cancelled order is refunded, exactly once.
func TestLatePaymentOnCancelledOrderIsRefundedOnce(t *testing.T) {
	for _, how := range []string{"cancelled", "expired"} {
		t.Run(how, func(t *testing.T) {
			e := newEnv(t)
			e.sandbox.SetFaults(payment.Faults{Duplicate: 1})
			deal := e.newDeal(10, 5, 990)
			c := e.customer()
			o, p := c.pay(deal)
			if how == "cancelled" {
				c.mustDo("POST", "/api/v1/orders/"+o.ID+"/cancel", nil, 200, nil)
			} else {
				e.clock.Advance(tuango.DefaultOrderTimeout + time.Second)
				if n, err := e.svc.ExpireOrders(context.Background(), 100); err != nil || n != 1 {
					t.Fatalf("ExpireOrders = %d, %v; want 1", n, err)
				}
			}
			c.mustDo("POST", "/api/v1/sandbox/payments/"+p.ID+"/confirm", nil, 200, nil)
			e.sandbox.Close()
			e.clock.Advance(tuango.ReconcileAfter + time.Second)
			if _, err := e.svc.Reconcile(context.Background(), 100); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if _, err := e.svc.SendRefunds(context.Background(), 100); err != nil {
					t.Fatal(err)
				}
			}
			var got orderView
			c.mustDo("GET", "/api/v1/orders/"+o.ID, nil, 200, &got)
			if got.Status != "cancelled" || got.CancelRefundFen != 990 || got.CancelRefundStatus != "succeeded" {
				t.Errorf("order = %s with cancel_refund_fen %d (%s), want cancelled with 990 succeeded", got.Status, got.CancelRefundFen, got.CancelRefundStatus)
			}
			if _, err := e.svc.DeliverNotifications(context.Background(), 100); err != nil {
				t.Fatal(err)
			}
			if items := notificationsOf(c, ""); len(items) != 1 || items[0].Kind != string(tuango.NotifyCancelRefunded) || !strings.Contains(items[0].Text, "¥9.90 将原路退回") {
				t.Errorf("the customer was told %+v, want once that ¥9.90 is refunded", items)
			}
			if n := e.count(`SELECT COUNT(*) FROM refunds WHERE payment_id = ? AND status = 'succeeded' AND amount_fen = 990`, p.ID); n != 1 {
				t.Errorf("succeeded refunds = %d, want 1", n)
			}
			if n := e.count(`SELECT COUNT(*) FROM sandbox_refunds WHERE payment_id = ?`, p.ID); n != 1 {
				t.Errorf("refunds at the provider = %d, want 1", n)
			}
			if d := e.deal(deal); d.Reserved != 0 {
				t.Errorf("reserved = %d, want 0", d.Reserved)
			}
		})
	}
}

func TestPayingAnExpiredOrderIsRefused(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(10, 5, 100)
	c := e.customer()
	o := c.mustOrder(deal, 1)
	e.clock.Advance(tuango.DefaultOrderTimeout)
	r := c.do("POST", "/api/v1/orders/"+o.ID+"/payments", nil, "Idempotency-Key", newKey())
	if r.status != 409 || r.problem().Code != tuango.CodeOrderNotPayable {
		t.Errorf("= %d %s, want 409 order_not_payable", r.status, r.body)
	}
	if n := e.count(`SELECT COUNT(*) FROM payments`); n != 0 {
		t.Errorf("payments = %d, want 0", n)
	}
}

// The sandbox page: log in with a cookie, confirm with a CSRF token.
func TestSandboxPage(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(10, 5, 1234)
	c := e.customer()
	o, p := c.pay(deal)
	jar := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := jar.Get(e.srv.URL + "/sandbox/pay/" + p.ID)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("page without a session = %d %s, want a redirect to /login", resp.StatusCode, resp.Header.Get("Location"))
	}
	var me userView
	c.mustDo("GET", "/api/v1/me", nil, 200, &me)
	login := newBrowser(t, e.srv.URL)
	tok := login.loginToken()
	anon, _ := url.Parse(e.srv.URL)
	req, _ := http.NewRequest("POST", e.srv.URL+"/login", strings.NewReader(url.Values{"csrf": {tok}, "phone": {me.Phone}, "password": {"customer-pass"}, "next": {"/sandbox/pay/" + p.ID}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range login.c.Jar.Cookies(anon) {
		req.AddCookie(c)
	}
	resp, err = jar.Do(req)
	must(t, err)
	resp.Body.Close()
	cookie := resp.Cookies()
	if resp.StatusCode != 303 || len(cookie) == 0 || !cookie[0].HttpOnly {
		t.Fatalf("login form = %d, cookies %v", resp.StatusCode, cookie)
	}
	req, _ = http.NewRequest("GET", e.srv.URL+"/sandbox/pay/"+p.ID, nil)
	req.AddCookie(cookie[0])
	resp, err = jar.Do(req)
	must(t, err)
	var page strings.Builder
	buf := make([]byte, 4096)
	for n, _ := resp.Body.Read(buf); n > 0; n, _ = resp.Body.Read(buf) {
		page.Write(buf[:n])
	}
	resp.Body.Close()
	if !strings.Contains(page.String(), "¥12.34") {
		t.Errorf("page lacks the amount ¥12.34:\n%s", page.String())
	}
	i := strings.Index(page.String(), `name="csrf" value="`)
	if i < 0 {
		t.Fatal("page has no CSRF field")
	}
	token := page.String()[i+len(`name="csrf" value="`):]
	token = token[:strings.Index(token, `"`)]
	post := func(csrf string) int {
		req, _ := http.NewRequest("POST", e.srv.URL+"/sandbox/pay/"+p.ID, strings.NewReader("csrf="+csrf))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(cookie[0])
		resp, err := jar.Do(req)
		must(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post("forged"); got != 403 {
		t.Errorf("confirm with a forged CSRF token = %d, want 403", got)
	}
	if got := post(token); got != 303 {
		t.Errorf("confirm = %d, want 303", got)
	}
	c.waitStatus(o.ID, "paid")
	var pv map[string]any
	c.mustDo("GET", "/api/v1/payments/"+p.ID, nil, 200, &pv)
	b, _ := json.Marshal(pv)
	if pv["status"] != "succeeded" {
		t.Errorf("payment = %s", b)
	}
}
