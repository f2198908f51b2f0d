package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
	"tuango/internal/webhook"
)

// The HTTP contract of webhooks: 201 without the secret, refusals that
// name the field, 204 then 404 on delete, staff only; and a delivery that
// reaches a real receiver signed as documented.
func TestWebhooksOverHTTP(t *testing.T) {
	e := newEnvConfig(t, storetest.DSN(t), tuango.Config{WebhooksAllowPrivate: true})
	e.svc.SetWebhookSender(webhook.New(true))
	const secret = "http-test-secret-0123"
	var mu sync.Mutex
	got := map[string]string{} // delivery id -> body
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !webhook.Verify(secret, body, r.Header.Get("X-Tuango-Signature")) || r.Header.Get("X-Tuango-Event") != "incident.updated" {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		got[r.Header.Get("X-Tuango-Delivery")] = string(body)
		mu.Unlock()
	}))
	defer rc.Close()

	var hook webhookView
	r := e.operator.mustDo("POST", "/api/v1/admin/webhooks", map[string]any{"url": rc.URL + "/in", "secret": secret, "events": []string{"incident.updated"}}, 201, &hook)
	if strings.Contains(string(r.body), secret) || hook.ID == "" || hook.URL != rc.URL+"/in" {
		t.Errorf("created = %s, want the webhook without its secret", r.body)
	}
	for name, tt := range map[string]struct {
		body  map[string]any
		field string
	}{
		"ftp":          {map[string]any{"url": "ftp://example.com/", "secret": secret, "events": []string{"*"}}, "url"},
		"short secret": {map[string]any{"url": "https://example.com/", "secret": "x", "events": []string{"*"}}, "secret"},
		"no events":    {map[string]any{"url": "https://example.com/", "secret": secret, "events": []string{}}, "events"},
	} {
		r := e.operator.do("POST", "/api/v1/admin/webhooks", tt.body)
		if r.status != 400 || r.problem().Field != tt.field {
			t.Errorf("%s: = %d %s, want 400 naming %s", name, r.status, r.body, tt.field)
		}
	}
	if r := e.customer().do("POST", "/api/v1/admin/webhooks", map[string]any{"url": "https://example.com/", "secret": secret, "events": []string{"*"}}); r.status != 403 {
		t.Errorf("a customer's POST = %d, want 403", r.status)
	}
	var list struct{ Items []webhookView }
	e.operator.mustDo("GET", "/api/v1/admin/webhooks", nil, 200, &list)
	if len(list.Items) != 1 {
		t.Fatalf("webhooks = %+v, want the one created", list.Items)
	}

	ctx := context.Background()
	if err := e.svc.Announce(ctx, tuango.Announcement{ID: "inc_1-upd_1", Event: "incident.updated", Kind: tuango.NotifyIncident,
		Params: tuango.NotifyParams{Incident: "下单失败", Status: "investigating"}, Payload: json.RawMessage(`{"status":"investigating"}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.FanOutAnnouncements(ctx, 1000); err != nil {
		t.Fatal(err)
	}
	if n, err := e.svc.DeliverWebhooks(ctx, 50); err != nil || n != 1 {
		t.Fatalf("DeliverWebhooks = %d, %v; want 1", n, err)
	}
	var ds struct{ Items []webhookDeliveryView }
	e.operator.mustDo("GET", "/api/v1/admin/webhooks/"+hook.ID+"/deliveries?status=delivered", nil, 200, &ds)
	mu.Lock()
	if len(ds.Items) != 1 || got[ds.Items[0].ID] == "" || !strings.Contains(got[ds.Items[0].ID], `"id":"inc_1-upd_1"`) {
		t.Errorf("deliveries %+v, received %v: want the one delivery, received under its id", ds.Items, got)
	}
	mu.Unlock()
	if r := e.operator.do("GET", "/api/v1/admin/webhooks/"+hook.ID+"/deliveries?status=lost", nil); r.status != 400 {
		t.Errorf("status=lost = %d, want 400", r.status)
	}

	e.operator.mustDo("DELETE", "/api/v1/admin/webhooks/"+hook.ID, nil, 204, nil)
	e.operator.mustDo("DELETE", "/api/v1/admin/webhooks/"+hook.ID, nil, 404, nil)
	e.operator.mustDo("GET", "/api/v1/admin/webhooks", nil, 200, &list)
	if len(list.Items) != 0 {
		t.Errorf("after the delete: %+v", list.Items)
	}
}

// Without --webhooks-allow-private, a webhook on this machine is refused.
func TestWebhookToLoopbackRefusedByDefault(t *testing.T) {
	e := newEnv(t)
	r := e.operator.do("POST", "/api/v1/admin/webhooks", map[string]any{"url": "http://127.0.0.1:9/x", "secret": "a-secret-of-24-characters", "events": []string{"*"}})
	if r.status != 400 || r.problem().Field != "url" || !strings.Contains(r.problem().Detail, "private or local") {
		t.Errorf("= %d %s, want 400 on url saying why", r.status, r.body)
	}
}

func TestFeedbackOverHTTP(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(100, 10, 990)
	me, other := e.customer(), e.customer()
	mine, theirs := me.mustOrder(deal, 1), other.mustOrder(deal, 1)

	var f feedbackView
	me.mustDo("POST", "/api/v1/feedback", map[string]any{"text": "白菜不新鲜", "order_id": mine.ID}, 201, &f)
	if f.OrderID != mine.ID || f.Text != "白菜不新鲜" {
		t.Errorf("feedback = %+v", f)
	}
	if r := me.do("POST", "/api/v1/feedback", map[string]any{"text": "x", "order_id": theirs.ID}); r.status != 404 {
		t.Errorf("on another's order = %d %s, want 404", r.status, r.body)
	}
	if r := me.do("POST", "/api/v1/feedback", map[string]any{"text": ""}); r.status != 400 || r.problem().Field != "text" {
		t.Errorf("empty = %d %s, want 400 on text", r.status, r.body)
	}
	if r := me.do("POST", "/api/v1/feedback", map[string]any{"text": strings.Repeat("x", 1001)}); r.status != 400 {
		t.Errorf("too long = %d, want 400", r.status)
	}
	if r := (&client{e: e}).do("POST", "/api/v1/feedback", map[string]any{"text": "hi"}); r.status != 401 {
		t.Errorf("anonymous = %d, want 401", r.status)
	}
	for range tuango.MaxFeedbacks - 1 {
		me.mustDo("POST", "/api/v1/feedback", map[string]any{"text": "还有"}, 201, nil)
	}
	r := me.do("POST", "/api/v1/feedback", map[string]any{"text": "one too many"})
	if r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Errorf("past the limit = %d (Retry-After %q), want 429 with Retry-After", r.status, r.header.Get("Retry-After"))
	}

	var q struct{ Items []feedbackView }
	e.operator.mustDo("GET", "/api/v1/admin/feedback", nil, 200, &q)
	if len(q.Items) != tuango.MaxFeedbacks || !strings.Contains(string(e.operator.do("GET", "/api/v1/admin/feedback", nil).body), f.ID) {
		t.Fatalf("queue = %+v, want %d with the first", q.Items, tuango.MaxFeedbacks)
	}
	var h feedbackView
	e.operator.mustDo("POST", "/api/v1/admin/feedback/"+f.ID+"/handle", nil, 200, &h)
	if h.HandledAt == "" {
		t.Errorf("handled = %+v", h)
	}
	e.operator.mustDo("POST", "/api/v1/admin/feedback/fbk_missing/handle", nil, 404, nil)
	e.operator.mustDo("GET", "/api/v1/admin/feedback?status=handled", nil, 200, &q)
	if len(q.Items) != 1 || q.Items[0].ID != f.ID {
		t.Errorf("handled = %+v", q.Items)
	}
	if r := me.do("GET", "/api/v1/admin/feedback", nil); r.status != 403 {
		t.Errorf("a customer's queue = %d, want 403", r.status)
	}
}

// The issue's drill: the database stops under orders, they answer 503,
// and after it is back the apology coupons go to exactly the customers
// whose orders failed — not to one whose order went through, nor to one
// who did not order.
func TestApologyCouponsAfterAnOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a private PostgreSQL cluster")
	}
	pg := storetest.StartPostgres(t)
	e := newEnvAt(t, pg.URL)
	deal := e.newDeal(1000, 10, 990)
	failedA, failedB, fine, idle := e.customer(), e.customer(), e.customer(), e.customer()
	fine.mustOrder(deal, 1)
	failedB.mustDo("PUT", "/api/v1/me/pickup-point", map[string]any{"pickup_point_id": e.ppID}, 200, nil)
	cached := e.customer() // its session stays in the node's cache: known without the database
	cached.mustDo("GET", "/api/v1/me", nil, 200, nil)
	from := e.clock.Now()
	e.clock.Advance(tuango.SessionCacheTTL - time.Second) // the others' sessions have left the cache
	failedA.mustDo("GET", "/api/v1/me", nil, 200, nil)
	e.clock.Advance(2 * time.Second)
	cached.mustDo("GET", "/api/v1/me", nil, 200, nil) // within its TTL: cached again

	pg.Stop("fast")
	for _, c := range []*client{failedA, failedB, failedB, cached} {
		if r := c.order(deal, 1); r.status != 503 || r.header.Get("Retry-After") == "" {
			t.Errorf("an order with the database stopped = %d %s, want 503 with Retry-After", r.status, r.body)
		}
	}
	if held, _ := e.svc.NotedFailures(); held != 3 {
		t.Errorf("the node noted %d failures, want 3 (one per customer)", held)
	}
	if _, err := e.svc.FlushOrderFailures(context.Background()); err == nil {
		t.Error("the flush succeeded with the database stopped")
	}
	if held, _ := e.svc.NotedFailures(); held != 3 {
		t.Errorf("after a failed flush the node holds %d, want the 3 kept", held)
	}
	pg.Start()
	var n int
	var err error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if n, err = e.svc.FlushOrderFailures(context.Background()); err == nil {
			break
		}
	}
	if err != nil || n != 3 {
		t.Fatalf("FlushOrderFailures after the restart = %d, %v; want 3", n, err)
	}
	to := e.clock.Now().Add(time.Minute)
	spec := tuango.ApologySpec{AmountOffFen: 300, MinSpendFen: 1000, ValidDays: 7}
	issued, err := e.svc.IssueApologyCoupons(context.Background(), "inc_outage", from, to, []string{e.cityID}, spec)
	if err != nil || issued != 3 {
		t.Fatalf("IssueApologyCoupons = %d, %v; want 3", issued, err)
	}
	for _, c := range []struct {
		who  *client
		want int
	}{{failedA, 1}, {failedB, 1}, {cached, 1}, {fine, 0}, {idle, 0}} {
		var mine struct{ Items []customerCouponView }
		c.who.mustDo("GET", "/api/v1/me/coupons", nil, 200, &mine)
		if len(mine.Items) != c.want {
			t.Errorf("%s holds %d coupons, want %d", c.who.userID, len(mine.Items), c.want)
		}
	}
	if again, err := e.svc.IssueApologyCoupons(context.Background(), "inc_outage", from, to, []string{e.cityID}, spec); err != nil || again != 0 {
		t.Errorf("a second issue = %d, %v; want 0", again, err)
	}
}
