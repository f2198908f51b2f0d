package web

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// formKeyOf is the key of the form on p that posts to action.
func formKeyOf(t *testing.T, p page_, action string) string {
	t.Helper()
	i := strings.Index(p.body, `method="post" action="`+action+`"`)
	if i < 0 {
		t.Fatalf("page has no form posting to %s:\n%s", action, p.body)
	}
	m := regexp.MustCompile(`<form |name="key" value="([^"]*)"`).FindAllStringSubmatch(p.body[i:], 2)
	if len(m) == 0 || m[0][1] == "" {
		t.Fatalf("the form posting to %s has no key:\n%s", action, p.body[i:])
	}
	return m[0][1]
}

// An operator's console form that creates or triggers something, sent
// twice with the key it was rendered with (a double click, a reload of
// the answer), acts once, and the second submit gets the first answer:
// the same redirect, or the same page.
func TestConsoleFormsActOncePerKey(t *testing.T) {
	e := newEnvConfig(t, storetest.DSN(t), tuango.Config{WebhooksAllowPrivate: true})
	var coupon couponView
	e.operator.mustDo("POST", "/api/v1/admin/coupons", map[string]any{"name": "满40减5", "kind": "threshold", "amount_off_fen": 500, "min_spend_fen": 4000,
		"valid_from": testStart.Format("2006-01-02T15:04:05Z"), "valid_to": testStart.AddDate(0, 0, 30).Format("2006-01-02T15:04:05Z")}, 201, &coupon)
	var inc incidentView
	e.operator.mustDo("POST", "/api/v1/admin/incidents", map[string]any{"name": "支付变慢", "components": []string{"ordering"}, "body": "正在排查"}, 201, &inc)
	var me userView
	cust := e.customer()
	cust.mustDo("GET", "/api/v1/me", nil, 200, &me)

	op := newBrowser(t, e.srv.URL)
	op.logIn("13900000001", "operator-pass")
	for _, tt := range []struct {
		name, formPage, path string
		form                 url.Values
		effects              string // counts what the form makes
	}{
		{"supplier", "/admin/suppliers/new", "/admin/suppliers",
			url.Values{"name": {"望城合作社"}, "contact": {"王经理"}}, `SELECT COUNT(*) FROM suppliers`},
		{"product", "/admin/products/new", "/admin/products",
			url.Values{"supplier_id": {e.supplierID}, "name": {"土豆"}, "category": {"蔬菜"}, "unit": {"袋"}, "cost_fen": {"3.00"}}, `SELECT COUNT(*) FROM products`},
		{"deal", "/admin/deals/new", "/admin/deals",
			url.Values{"product_id": {e.productID}, "city_id": {e.cityID}, "title": {"土豆 5斤"}, "price": {"9.90"}, "list_price": {"12.00"}, "stock": {"100"}, "limit": {"5"},
				"sale_starts_at": {"2026-11-25T10:00"}, "sale_ends_at": {"2026-11-25T23:00"}, "delivery_date": {"2026-11-26"}}, `SELECT COUNT(*) FROM deals`},
		{"pickup point", "/admin/pickup-points/new", "/admin/pickup-points",
			url.Values{"name": {"新小区"}, "address": {"岳麓区一路1号"}, "city_id": {e.cityID}, "commission_bps": {"5"}, "active": {"1"}}, `SELECT COUNT(*) FROM pickup_points`},
		{"leader", "/admin/leaders", "/admin/leaders",
			url.Values{"name": {"李团长"}, "phone": {"13700000123"}, "password": {"leader-pass-1"}}, `SELECT COUNT(*) FROM users WHERE role = 'leader'`},
		{"coupon", "/admin/coupons", "/admin/coupons",
			url.Values{"name": {"满30减5"}, "kind": {"threshold"}, "amount_off": {"5"}, "min_spend": {"30"}, "valid_from": {"2026-11-25T10:00"}, "valid_to": {"2026-12-25T23:00"}},
			`SELECT COUNT(*) FROM coupons`},
		{"coupon issued", "/admin/coupons", "/admin/coupons/" + coupon.ID + "/issue",
			url.Values{"phones": {me.Phone}}, `SELECT COUNT(*) FROM customer_coupons`},
		{"incident", "/admin/incidents", "/admin/incidents",
			url.Values{"kind": {"incident"}, "name": {"长沙下单变慢"}, "impact": {"major"}, "components": {"ordering"}, "state": {"degraded_performance"}, "body": {"正在处理。"}},
			`SELECT COUNT(*) FROM incidents`},
		{"incident update", "/admin/incidents", "/admin/incidents/" + inc.ID + "/updates",
			url.Values{"status": {"identified"}, "body": {"找到原因"}}, `SELECT COUNT(*) FROM incident_updates`},
		{"webhook", "/admin/webhooks", "/admin/webhooks",
			url.Values{"url": {"http://127.0.0.1:9/hook"}, "secret": {"a-secret-of-enough-length"}, "events": {"order.paid"}}, `SELECT COUNT(*) FROM webhooks`},
		{"blocklist", "/admin/security", "/admin/security",
			url.Values{"list": {"block"}, "cidr": {"203.0.113.0/24"}, "reason": {"扫描器"}, "hours": {"2"}}, `SELECT COUNT(*) FROM source_rules`},
		{"pickup point closure", "/admin/pickup-points/" + e.ppID + "/closure", "/admin/pickup-points/" + e.ppID + "/closures",
			url.Values{"date": {"2026-11-27"}, "from": {"2026-11-27"}, "to": {"2026-11-28"}, "reason": {"装修"}}, `SELECT COUNT(*) FROM pickup_point_closures`},
		{"city closure", "/admin/day?city_id=" + e.cityID + "&date=2026-11-28", "/admin/cities/" + e.cityID + "/closures",
			url.Values{"date": {"2026-11-28"}, "reason": {"暴雪"}}, `SELECT COUNT(*) FROM city_closures`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := op.get(tt.formPage)
			form := url.Values{"csrf": {p.csrf(t)}, "key": {formKeyOf(t, p, tt.path)}}
			for k, v := range tt.form {
				form[k] = v
			}
			before := e.count(tt.effects)
			first := op.post(tt.path, form)
			if first.status != 303 && first.status != 200 {
				t.Fatalf("first submit = %d:\n%s", first.status, first.body)
			}
			again := op.post(tt.path, form)
			if again.status != first.status || again.header.Get("Location") != first.header.Get("Location") {
				t.Errorf("second submit = %d to %q, want the first's %d to %q", again.status, again.header.Get("Location"), first.status, first.header.Get("Location"))
			}
			if first.status == 200 && again.body != first.body {
				t.Errorf("second submit's page differs from the first's")
			}
			if n := e.count(tt.effects) - before; n != 1 {
				t.Errorf("the form sent twice made %d, want 1", n)
			}
		})
	}
}

// A console form refused for its fields stores nothing under its key: the
// form shown again keeps the key, and the corrected submit with it acts,
// once.
func TestConsoleFormRefusedKeepsItsKey(t *testing.T) {
	e := newEnv(t)
	op := newBrowser(t, e.srv.URL)
	op.logIn("13900000001", "operator-pass")
	p := op.get("/admin/suppliers/new")
	key := formKeyOf(t, p, "/admin/suppliers")
	before := e.count(`SELECT COUNT(*) FROM suppliers`)
	bad := op.post("/admin/suppliers", url.Values{"csrf": {p.csrf(t)}, "key": {key}, "name": {""}, "contact": {"王经理"}})
	if bad.status != 400 || !strings.Contains(bad.body, chinese(t, "rule.supplier.name")) {
		t.Fatalf("a supplier without a name = %d, want 400 saying so:\n%s", bad.status, bad.body)
	}
	if got := formKeyOf(t, bad, "/admin/suppliers"); got != key {
		t.Errorf("the form shown again has key %q, want the one it was sent with, %q", got, key)
	}
	if n := e.count(`SELECT COUNT(*) FROM idempotency_records WHERE key = ?`, key); n != 0 {
		t.Errorf("the refused submit stored %d records under its key, want none", n)
	}
	fixed := url.Values{"csrf": {bad.csrf(t)}, "key": {key}, "name": {"望城合作社"}, "contact": {"王经理"}}
	first := op.post("/admin/suppliers", fixed)
	again := op.post("/admin/suppliers", fixed)
	if first.status != 303 || again.status != 303 || again.header.Get("Location") != first.header.Get("Location") {
		t.Errorf("the corrected form twice = %d %q, %d %q; want one redirect, twice", first.status, first.header.Get("Location"), again.status, again.header.Get("Location"))
	}
	if n := e.count(`SELECT COUNT(*) FROM suppliers`) - before; n != 1 {
		t.Errorf("the refused, corrected and repeated form made %d suppliers, want 1", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_records WHERE kind = 'operator.POST /admin/suppliers' AND detail LIKE '%望城合作社%'`); n != 1 {
		t.Errorf("%d audit records of the supplier's creation and its replay, want 1", n)
	}
}

// The key of a console form sent again with other contents (the form
// edited after it was sent, then sent back) is refused with a page that
// says so in the operator's language, and makes nothing.
func TestConsoleFormKeyReusedIsSaid(t *testing.T) {
	e := newEnv(t)
	op := newBrowser(t, e.srv.URL)
	op.logIn("13900000001", "operator-pass")
	p := op.get("/admin/suppliers/new")
	form := url.Values{"csrf": {p.csrf(t)}, "key": {formKeyOf(t, p, "/admin/suppliers")}, "name": {"望城合作社"}, "contact": {"王经理"}}
	if r := op.post("/admin/suppliers", form); r.status != 303 {
		t.Fatalf("the supplier form = %d:\n%s", r.status, r.body)
	}
	before := e.count(`SELECT COUNT(*) FROM suppliers`)
	form.Set("name", "另一家合作社")
	r := op.post("/admin/suppliers", form)
	if r.status != 422 || !strings.Contains(r.body, chinese(t, "error.key_reused")) {
		t.Errorf("the key with another supplier = %d, want 422 saying the form was sent with other contents:\n%s", r.status, r.body)
	}
	op.get("/admin/suppliers/new?lang=en")
	if r := op.post("/admin/suppliers", form); r.status != 422 || !strings.Contains(r.body, "already sent with different contents") {
		t.Errorf("the key with another supplier, in English = %d:\n%s", r.status, r.body)
	}
	if n := e.count(`SELECT COUNT(*) FROM suppliers`); n != before {
		t.Errorf("the refused reuse made %d suppliers", n-before)
	}
}

// A console form whose answer is a page showing the form again (the
// closure page after closing some dates) shows it with a new key: sent
// from that page for other dates, it closes those too, rather than be
// refused as the first key sent with other contents.
func TestConsoleFormAnsweredShowsANewKey(t *testing.T) {
	e := newEnv(t)
	op := newBrowser(t, e.srv.URL)
	op.logIn("13900000001", "operator-pass")
	path := "/admin/pickup-points/" + e.ppID + "/closures"
	p := op.get("/admin/pickup-points/" + e.ppID + "/closure")
	for _, dates := range [][2]string{{"2026-11-27", "2026-11-28"}, {"2026-12-01", "2026-12-02"}} {
		p = op.post(path, url.Values{"csrf": {p.csrf(t)}, "key": {formKeyOf(t, p, path)}, "from": {dates[0]}, "to": {dates[1]}, "reason": {"装修"}})
		if p.status != 200 || !strings.Contains(p.body, dates[0]+" 至 "+dates[1]) {
			t.Fatalf("closing %s to %s from the page = %d:\n%s", dates[0], dates[1], p.status, p.body)
		}
	}
	if n := e.count(`SELECT COUNT(*) FROM pickup_point_closures`); n != 2 {
		t.Errorf("%d closures, want 2", n)
	}
}
