package web

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

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

// sendTwice sends the form of formPage that posts to path, with fields,
// twice with the key it was rendered with (between, if not nil, runs
// between the two), and checks that the second answer is the first's: the
// same status and redirect, or the same page. A page answer that shows
// the form again shows it with a new key: the one sent is used up, and
// the form sent again from that page (other dates, another supplier)
// must act, not replay or be refused as the key reused.
func sendTwice(t *testing.T, op *browser, formPage, path string, fields url.Values, between func()) page_ {
	t.Helper()
	p := op.get(formPage)
	key := formKeyOf(t, p, path)
	form := url.Values{"csrf": {p.csrf(t)}, "key": {key}}
	for k, v := range fields {
		form[k] = v
	}
	first := op.post(path, form)
	if first.status != 303 && first.status != 200 {
		t.Fatalf("first submit = %d:\n%s", first.status, first.body)
	}
	if between != nil {
		between()
	}
	again := op.post(path, form)
	if again.status != first.status || again.header.Get("Location") != first.header.Get("Location") {
		t.Errorf("second submit = %d to %q, want the first's %d to %q", again.status, again.header.Get("Location"), first.status, first.header.Get("Location"))
	}
	if first.status == 200 && again.body != first.body {
		t.Errorf("second submit's page differs from the first's:\n%s\n--- the first's:\n%s", again.body, first.body)
	}
	if first.status == 200 && strings.Contains(first.body, `method="post" action="`+path+`"`) && formKeyOf(t, first, path) == key {
		t.Errorf("the answer shows the form posting to %s again with the key it was sent with, %s, which is used", path, key)
	}
	return first
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
			before := e.count(tt.effects)
			sendTwice(t, op, tt.formPage, tt.path, tt.form, nil)
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

// formEffect counts, with query and args, what a form makes or changes;
// want is how much the form sent twice adds to the count.
type formEffect struct {
	query string
	args  []any
	want  int
}

// The console forms that move orders or money, sent twice with their key,
// act once and answer the same twice. Each needs its scene: orders at a
// closed pickup point, a resolved incident, an after-sales request
// waiting, a leader's withdrawal waiting, a supplier's sales to settle.
// The effects are read back from the database: orders moved or cancelled,
// refunds, ledger sets, payouts, customers told, and the operator's
// action in the audit trail, once.
func TestConsoleMoneyFormsActOncePerKey(t *testing.T) {
	audited := func(route string) formEffect {
		return formEffect{`SELECT COUNT(*) FROM audit_records WHERE kind = ?`, []any{tuango.AuditOperatorPrefix + "POST " + route}, 1}
	}
	withdrawal := func(e *env) string { // a leader's withdrawal of ¥1, waiting
		_, leader, _ := commissionScene(e)
		var p payoutView
		leader.mustDo("POST", "/api/v1/leader/withdrawals", map[string]any{"amount_fen": 100}, 201, &p, "Idempotency-Key", newKey())
		return p.ID
	}
	afterSale := func(e *env) string { // ¥24 asked back for 8 of 10 units, waiting for the operator
		deal := e.newDeal(100, 20, 300)
		buyers, orders := e.pickedUp(deal, 10)
		var as afterSaleView
		buyers[0].mustDo("POST", "/api/v1/orders/"+orders[0]+"/after-sales", map[string]any{"line_no": 1, "quantity": 8, "reason": "quality", "note": "不新鲜"},
			201, &as, "Idempotency-Key", newKey())
		if as.Status != "pending" {
			e.t.Fatalf("the after-sales request is %s, want it pending", as.Status)
		}
		return as.ID
	}
	for _, tt := range []struct {
		name string
		// scene readies what the form needs, and says which page shows it,
		// where it posts, what it sends, and what it does.
		scene func(e *env) (formPage, path string, form url.Values, effects []formEffect)
		check func(t *testing.T, e *env, first page_) // more about the first answer and the state, if not nil
	}{
		{"pickup point move orders", func(e *env) (string, string, url.Values, []formEffect) {
			newDayScene(e, false, false)
			e.operator.mustDo("PATCH", "/api/v1/admin/pickup-points/"+e.otherPPID, map[string]any{"route_id": "rte_1"}, 200, nil)
			e.operator.mustDo("PUT", "/api/v1/admin/pickup-points/"+e.ppID+"/closures", map[string]any{"from": dayDate, "to": dayDate, "reason": "店面装修"}, 200, nil)
			base := "/admin/pickup-points/" + e.ppID
			return base + "/closure?date=" + dayDate, base + "/move-orders",
				url.Values{"date": {dayDate}, "to_pickup_point_id": {e.otherPPID}, "confirm": {"yes"}}, []formEffect{
					{`SELECT COUNT(*) FROM orders WHERE pickup_point_id = ?`, []any{e.otherPPID}, 3},
					{`SELECT COUNT(*) FROM outbox WHERE kind = ?`, []any{string(tuango.NotifyMoved)}, 3},
					audited("/admin/pickup-points/{id}/move-orders"),
				}
		}, func(t *testing.T, e *env, first page_) {
			if !strings.Contains(first.body, "已改自提点：3 个订单") {
				t.Errorf("the move's answer does not say it moved 3 orders:\n%s", first.body)
			}
		}},
		{"pickup point cancel orders", func(e *env) (string, string, url.Values, []formEffect) {
			newDayScene(e, false, false)
			e.operator.mustDo("PUT", "/api/v1/admin/pickup-points/"+e.ppID+"/closures", map[string]any{"from": dayDate, "to": dayDate, "reason": "店面装修"}, 200, nil)
			base := "/admin/pickup-points/" + e.ppID
			return base + "/closure?date=" + dayDate, base + "/cancel-orders",
				url.Values{"date": {dayDate}, "confirm": {"yes"}}, []formEffect{
					{`SELECT COUNT(*) FROM orders WHERE status = 'cancelled' AND cancel_reason = ?`, []any{string(tuango.CancelPointClosed)}, 3},
					{`SELECT COUNT(*) FROM refunds WHERE reason = ?`, []any{string(tuango.RefundOrderCancelled)}, 3},
					{`SELECT COALESCE(SUM(amount_fen), 0) FROM refunds`, nil, 3 * 1290},
					{`SELECT COUNT(*) FROM outbox WHERE kind = ?`, []any{string(tuango.NotifyClosed)}, 3},
					audited("/admin/pickup-points/{id}/cancel-orders"),
				}
		}, func(t *testing.T, e *env, first page_) {
			if !strings.Contains(first.body, "已取消 3 个订单") {
				t.Errorf("the cancel's answer does not say it cancelled 3 orders:\n%s", first.body)
			}
		}},
		{"incident postmortem", func(e *env) (string, string, url.Values, []formEffect) {
			var inc incidentView
			e.operator.mustDo("POST", "/api/v1/admin/incidents", map[string]any{"name": "支付变慢", "components": []string{"ordering"}, "body": "正在排查"}, 201, &inc)
			e.operator.mustDo("POST", "/api/v1/admin/incidents/"+inc.ID+"/updates", map[string]any{"status": "resolved", "body": "已恢复"}, 201, nil)
			return "/admin/incidents", "/admin/incidents/" + inc.ID + "/postmortem",
				url.Values{"body": {"发生了什么：支付渠道限流。\n\n影响：212 笔订单延迟支付。"}}, []formEffect{
					{`SELECT COUNT(*) FROM incidents WHERE postmortem <> ''`, nil, 1},
					audited("/admin/incidents/{id}/postmortem"),
				}
		}, func(t *testing.T, e *env, first page_) {
			// Published at the first submit: the second, a minute later,
			// would publish it again at its own time.
			id := strings.TrimPrefix(first.header.Get("Location"), "/admin/incidents?done=postmortem#incident-")
			inc, _, err := e.svc.GetIncident(context.Background(), id)
			must(t, err)
			if at := e.clock.Now().Add(-time.Minute); !inc.PostmortemAt.Equal(at) {
				t.Errorf("the postmortem was published at %s, want at the first submit, %s", inc.PostmortemAt, at)
			}
		}},
		{"after-sales approve", func(e *env) (string, string, url.Values, []formEffect) {
			id := afterSale(e)
			return "/admin/after-sales", "/admin/after-sales/" + id + "/approve", url.Values{}, []formEffect{
				{`SELECT COUNT(*) FROM after_sales WHERE id = ? AND status = 'approved'`, []any{id}, 1},
				{`SELECT COUNT(*) FROM partial_refunds`, nil, 1},
				{`SELECT COALESCE(SUM(amount_fen), 0) FROM partial_refunds`, nil, 2400},
				{`SELECT COUNT(*) FROM ledger_sets`, nil, 1},
				audited("/admin/after-sales/{id}/approve"),
			}
		}, nil},
		{"after-sales reject", func(e *env) (string, string, url.Values, []formEffect) {
			id := afterSale(e)
			return "/admin/after-sales", "/admin/after-sales/" + id + "/reject", url.Values{"reason": {"取货时已当面验货"}}, []formEffect{
				{`SELECT COUNT(*) FROM after_sales WHERE id = ? AND status = 'rejected'`, []any{id}, 1},
				{`SELECT COUNT(*) FROM partial_refunds`, nil, 0},
				{`SELECT COUNT(*) FROM outbox`, nil, 1},
				audited("/admin/after-sales/{id}/reject"),
			}
		}, nil},
		{"withdrawal approve", func(e *env) (string, string, url.Values, []formEffect) {
			id := withdrawal(e)
			return "/admin/withdrawals?status=requested", "/admin/withdrawals/" + id + "/approve", url.Values{}, []formEffect{
				{`SELECT COUNT(*) FROM payouts WHERE id = ? AND status = 'approved'`, []any{id}, 1},
				{`SELECT COUNT(*) FROM payouts`, nil, 0},
				audited("/admin/withdrawals/{id}/approve"),
			}
		}, func(t *testing.T, e *env, first page_) {
			for range 2 {
				if _, err := e.svc.SendPayouts(context.Background(), 100); err != nil {
					t.Fatal(err)
				}
			}
			if n := e.count(`SELECT COUNT(*) FROM sandbox_payouts`); n != 1 {
				t.Errorf("%d payouts at the provider, want 1", n)
			}
			wantLedgerVerified(t, e)
		}},
		{"withdrawal reject", func(e *env) (string, string, url.Values, []formEffect) {
			id := withdrawal(e)
			return "/admin/withdrawals?status=requested", "/admin/withdrawals/" + id + "/reject", url.Values{"reason": {"账户信息有误"}}, []formEffect{
				{`SELECT COUNT(*) FROM payouts WHERE id = ? AND status = 'rejected'`, []any{id}, 1},
				{`SELECT COUNT(*) FROM ledger_sets`, nil, 1}, // the hold given back
				{`SELECT COUNT(*) FROM outbox WHERE kind = ?`, []any{string(tuango.NotifyWithdrawalRejected)}, 1},
				audited("/admin/withdrawals/{id}/reject"),
			}
		}, func(t *testing.T, e *env, first page_) { wantLedgerVerified(t, e) }},
		{"settlement", func(e *env) (string, string, url.Values, []formEffect) {
			commissionScene(e)
			yesterday := e.clock.Now().Add(8*time.Hour - 24*time.Hour).Format(time.DateOnly)
			return "/admin/settlements", "/admin/settlements", url.Values{"supplier_id": {""}, "to": {yesterday}}, []formEffect{
				{`SELECT COUNT(*) FROM payouts WHERE kind = 'settlement' AND party_id = ? AND period_to = ?`, []any{e.supplierID, yesterday}, 1},
				{`SELECT COUNT(*) FROM payouts`, nil, 1},
				{`SELECT COUNT(*) FROM ledger_sets`, nil, 1},
				audited("/admin/settlements"),
			}
		}, func(t *testing.T, e *env, first page_) {
			if !strings.Contains(first.body, `id="settle-total"`) || strings.Contains(first.body, "¥0.00") || strings.Contains(first.body, "该日期已结算") {
				t.Errorf("the settlement's answer does not say what it paid:\n%s", first.body)
			}
			wantLedgerVerified(t, e)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			formPage, path, form, effects := tt.scene(e)
			op := newBrowser(t, e.srv.URL)
			op.logIn("13900000001", "operator-pass")
			before := make([]int, len(effects))
			for i, f := range effects {
				before[i] = e.count(f.query, f.args...)
			}
			first := sendTwice(t, op, formPage, path, form, func() { e.clock.Advance(time.Minute) })
			for i, f := range effects {
				if n := e.count(f.query, f.args...) - before[i]; n != f.want {
					t.Errorf("the form sent twice added %d to %s %v, want %d", n, f.query, f.args, f.want)
				}
			}
			if tt.check != nil {
				tt.check(t, e, first)
			}
		})
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
