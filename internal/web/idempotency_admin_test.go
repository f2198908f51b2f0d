package web

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// An operator's POST sent twice with one Idempotency-Key acts once: the
// retry gets the first answer's status and bytes, marked as a replay, and
// changes nothing; the key with another body is refused; without a key
// each request acts.
func TestOptionalKeyMakesOperatorPostsExactlyOnce(t *testing.T) {
	e := newEnvConfig(t, storetest.DSN(t), tuango.Config{WebhooksAllowPrivate: true})
	ctx := context.Background()
	from, to := testStart.Format(time.RFC3339), testStart.AddDate(0, 0, 30).Format(time.RFC3339)
	var coupon couponView
	e.operator.mustDo("POST", "/api/v1/admin/coupons", map[string]any{"name": "满40减5", "kind": "threshold", "amount_off_fen": 500, "min_spend_fen": 4000, "valid_from": from, "valid_to": to}, 201, &coupon)
	ann := e.customer()
	customers := []*client{e.customer(), e.customer(), e.customer(), e.customer()} // each issue names a new one
	var inc incidentView
	e.operator.mustDo("POST", "/api/v1/admin/incidents", map[string]any{"name": "支付变慢", "components": []string{"ordering"}, "body": "正在排查"}, 201, &inc)
	count := func(n int, err error) int {
		t.Helper()
		must(t, err)
		return n
	}
	seq := 0
	cases := []struct {
		name, path string
		by         *client
		body       func() map[string]any // a fresh body each call: two unkeyed calls are two intents
		other      map[string]any        // another request under the same key
		effects    func() int
	}{
		{"supplier", "/api/v1/admin/suppliers", e.operator,
			func() map[string]any { seq++; return map[string]any{"name": fmt.Sprint("合作社 ", seq)} },
			map[string]any{"name": "另一家"},
			func() int { s, err := e.store.FindSuppliers(ctx); return count(len(s), err) }},
		{"product", "/api/v1/admin/products", e.operator,
			func() map[string]any {
				seq++
				return map[string]any{"supplier_id": e.supplierID, "name": fmt.Sprint("土豆 ", seq), "category": "蔬菜", "unit": "袋", "cost_fen": 300}
			},
			map[string]any{"supplier_id": e.supplierID, "name": "番茄", "category": "蔬菜", "unit": "袋", "cost_fen": 300},
			func() int { p, err := e.store.FindProducts(ctx, ""); return count(len(p), err) }},
		{"pickup point", "/api/v1/admin/pickup-points", e.operator,
			func() map[string]any {
				seq++
				return map[string]any{"city_id": e.cityID, "name": fmt.Sprint("新小区 ", seq), "address": "岳麓区一路1号", "commission_bps": 500}
			},
			map[string]any{"city_id": e.cityID, "name": "别的小区", "address": "岳麓区二路2号", "commission_bps": 500},
			func() int {
				p, err := e.store.FindPickupPoints(ctx, tuango.PickupPointFilter{})
				return count(len(p), err)
			}},
		{"coupon issued", "/api/v1/admin/coupons/" + coupon.ID + "/issue", e.operator,
			func() map[string]any {
				seq++
				return map[string]any{"user_ids": []string{customers[seq%len(customers)].userID}}
			},
			map[string]any{"user_ids": []string{ann.userID}},
			func() int {
				n := 0
				for _, c := range customers {
					cs, err := e.store.FindCustomerCoupons(ctx, tuango.CustomerCouponFilter{UserID: c.userID})
					n += count(len(cs), err)
				}
				return n
			}},
		{"incident update", "/api/v1/admin/incidents/" + inc.ID + "/updates", e.operator,
			func() map[string]any {
				seq++
				return map[string]any{"status": "identified", "body": fmt.Sprint("找到原因 ", seq)}
			},
			map[string]any{"status": "monitoring", "body": "观察中"},
			func() int { u, err := e.store.FindIncidentUpdates(ctx, []string{inc.ID}); return count(len(u), err) }},
		{"blocklist", "/api/v1/admin/blocklist", e.operator,
			func() map[string]any {
				seq++
				return map[string]any{"cidr": fmt.Sprintf("203.0.%d.0/24", seq), "reason": "扫描器", "expires_at": testStart.Add(time.Hour).Format(time.RFC3339)}
			},
			map[string]any{"cidr": "198.51.100.0/24", "reason": "扫描器", "expires_at": testStart.Add(time.Hour).Format(time.RFC3339)},
			func() int { r, err := e.store.FindSourceRules(ctx, e.clock.Now()); return count(len(r), err) }},
		{"feedback", "/api/v1/feedback", ann,
			func() map[string]any { seq++; return map[string]any{"text": fmt.Sprint("白菜不新鲜 ", seq)} },
			map[string]any{"text": "鸡蛋碎了"},
			func() int {
				f, err := e.store.FindFeedback(ctx, tuango.FeedbackFilter{Limit: 1000})
				return count(len(f), err)
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := c.effects()
			key := newKey()
			body := c.body()
			first := c.by.do("POST", c.path, body, "Idempotency-Key", key)
			if first.status/100 != 2 {
				t.Fatalf("first = %d %s", first.status, first.body)
			}
			if first.header.Get("Idempotent-Replayed") != "" {
				t.Errorf("the first answer says it is a replay")
			}
			again := c.by.do("POST", c.path, body, "Idempotency-Key", key)
			if again.status != first.status || !bytes.Equal(again.body, first.body) {
				t.Errorf("retry = %d %s, want %d %s byte for byte", again.status, again.body, first.status, first.body)
			}
			if again.header.Get("Idempotent-Replayed") != "true" || again.header.Get("Content-Type") != first.header.Get("Content-Type") {
				t.Errorf("retry headers: Idempotent-Replayed %q, Content-Type %q (first %q)", again.header.Get("Idempotent-Replayed"), again.header.Get("Content-Type"), first.header.Get("Content-Type"))
			}
			if got := c.effects(); got != before+1 {
				t.Errorf("after a request and its retry: %d more, want 1", got-before)
			}
			if r := c.by.do("POST", c.path, c.other, "Idempotency-Key", key); r.status != 422 || r.problem().Code != "idempotency_key_reused" {
				t.Errorf("the key with another body = %d %s, want 422 idempotency_key_reused", r.status, r.body)
			}
			if got := c.effects(); got != before+1 {
				t.Errorf("the refused reuse acted: %d more, want 1", got-before)
			}
			// Without a key, two requests are two intents (the coupon's
			// second issue to the same customer is a second coupon).
			c.by.mustDo("POST", c.path, c.body(), first.status, nil)
			c.by.mustDo("POST", c.path, c.body(), first.status, nil)
			if got := c.effects(); got != before+3 {
				t.Errorf("two requests without a key: %d more in all, want 3", got-before)
			}
		})
	}
}

// A keyed operator POST that is refused stores nothing under its key and
// leaves nothing half-written: the key then serves the corrected request.
func TestOptionalKeyOfARefusedPostStaysUnused(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sups, err := e.store.FindSuppliers(ctx)
	must(t, err)
	key := newKey()
	r := e.operator.do("POST", "/api/v1/admin/suppliers", map[string]any{"name": ""}, "Idempotency-Key", key)
	if r.status != 400 || r.problem().Field != "name" {
		t.Fatalf("a supplier without a name = %d %s, want 400 on name", r.status, r.body)
	}
	if r.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("a refusal says it is a replay")
	}
	var sup supplierView
	e.operator.mustDo("POST", "/api/v1/admin/suppliers", map[string]any{"name": "望城合作社"}, 201, &sup, "Idempotency-Key", key)
	after, err := e.store.FindSuppliers(ctx)
	must(t, err)
	if len(after) != len(sups)+1 || sup.Name != "望城合作社" {
		t.Errorf("suppliers %d → %d, made %+v: want one, the corrected one", len(sups), len(after), sup)
	}
	// Its replay did nothing, and the audit log says it once.
	if r := e.operator.do("POST", "/api/v1/admin/suppliers", map[string]any{"name": "望城合作社"}, "Idempotency-Key", key); r.status != 201 || r.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the retry = %d %s, want the 201 replayed", r.status, r.body)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_records WHERE kind = 'operator.POST /api/v1/admin/suppliers' AND detail LIKE '%望城合作社%'`); n != 1 {
		t.Errorf("%d audit records of the supplier's creation and its replay, want 1", n)
	}
	// A key of bad shape is refused before anything is done.
	if r := e.operator.do("POST", "/api/v1/admin/suppliers", map[string]any{"name": "又一家"}, "Idempotency-Key", "has space"); r.status != 400 || r.problem().Field != "Idempotency-Key" {
		t.Errorf("a key with a space = %d %s, want 400 on Idempotency-Key", r.status, r.body)
	}
	if again, _ := e.store.FindSuppliers(ctx); len(again) != len(after) {
		t.Errorf("the refused key's request made a supplier")
	}
}

// The key is recorded in the effect's transaction: two requests with one
// key at once make one supplier, whichever node-local order they run in.
func TestOptionalKeyConcurrentRetriesActOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sups, err := e.store.FindSuppliers(ctx)
	must(t, err)
	key := newKey()
	body := map[string]any{"name": "并发合作社"}
	answers := make(chan response, 8)
	for range 8 {
		go func() { answers <- e.operator.do("POST", "/api/v1/admin/suppliers", body, "Idempotency-Key", key) }()
	}
	var made []byte
	for range 8 {
		r := <-answers
		switch r.status {
		case 201:
			if made != nil && !bytes.Equal(made, r.body) {
				t.Errorf("two different answers for one key: %s and %s", made, r.body)
			}
			made = r.body
		case 409: // still in flight on this node: the IETF draft's answer
		default:
			t.Errorf("concurrent retry = %d %s", r.status, r.body)
		}
	}
	after, err := e.store.FindSuppliers(ctx)
	must(t, err)
	if len(after) != len(sups)+1 {
		t.Errorf("8 concurrent requests with one key made %d suppliers, want 1", len(after)-len(sups))
	}
}
