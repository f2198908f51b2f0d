package web

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"tuango/internal/tuango"
)

// A day through a real server — registration and login, a wrong password,
// ordering, payment, a refused notification, cutoff, dispatch, sign-off,
// a wrong pickup code and the right one — leaves a log of JSON lines in UTC,
// each request's lines with its id, and none of the secrets it used.
func TestLogsCarryRequestIDsAndNoSecrets(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	deal := e.newDeal(100, 10, 1290)
	must(t, e.store.CreateWarehouse(ctx, &tuango.Warehouse{ID: "wh_c", CityID: e.cityID, Kind: tuango.WarehouseCentral, Name: "中心仓"}))
	must(t, e.store.CreateWarehouse(ctx, &tuango.Warehouse{ID: "wh_g", CityID: e.cityID, Kind: tuango.WarehouseGrid, Name: "网格仓", ParentID: "wh_c"}))
	must(t, e.store.CreateRoute(ctx, &tuango.Route{ID: "rte_1", WarehouseID: "wh_g", Name: "一号线"}))
	leader := e.roleUser(tuango.RoleLeader, "")
	e.operator.mustDo("PATCH", "/api/v1/admin/pickup-points/"+e.ppID, map[string]any{"route_id": "rte_1", "leader_id": leader.userID}, 200, nil)

	c := e.customer()
	(&client{e: e}).do("POST", "/api/v1/auth/login", map[string]any{"phone": "13900000001", "password": "wrong-secret-pass"})
	o, p := c.pay(deal)
	bad := e.notify([]byte("not-the-merchant-key"), e.clock.Now(), p.ID, "txn-secret-4711", 1290, "evt-1")
	if bad.status < 400 {
		t.Fatalf("a notification with a bad signature = %d, want refused", bad.status)
	}
	c.mustDo("POST", "/api/v1/sandbox/payments/"+p.ID+"/confirm", nil, 200, nil)
	paid := c.waitStatus(o.ID, "paid")
	e.operator.mustDo("POST", "/api/v1/admin/cutoffs", map[string]any{"city_id": e.cityID, "delivery_date": "2026-11-26"}, 200, nil)
	e.clock.Advance(time.Hour)
	e.operator.mustDo("POST", "/api/v1/admin/routes/rte_1/dispatch", map[string]any{"delivery_date": "2026-11-26"}, 200, nil)
	leader.mustDo("POST", "/api/v1/leader/deliveries/2026-11-26/sign", map[string]any{"lines": []map[string]any{{"deal_id": deal, "received": 1}}}, 200, nil, "Idempotency-Key", newKey())
	leader.do("POST", "/api/v1/leader/pickups", map[string]any{"code": "000000"}, "Idempotency-Key", newKey())
	leader.mustDo("POST", "/api/v1/leader/pickups", map[string]any{"code": paid.PickupCode}, 200, nil, "Idempotency-Key", newKey())
	traced := c.do("GET", "/api/v1/orders/"+o.ID, nil, "X-Request-Id", "trace-from-the-balancer")
	if got := traced.header.Get("X-Request-Id"); got != "trace-from-the-balancer" {
		t.Errorf("X-Request-Id out = %q, want the one sent in", got)
	}
	// A failure logged inside a request carries that request's id.
	e.db.Close()
	failed := c.do("GET", "/api/v1/orders/"+o.ID, nil, "X-Request-Id", "trace-of-a-failure")

	logs := e.logs.String()
	if paid.PickupCode == "" {
		t.Fatal("the paid order has no pickup code to look for")
	}
	secrets := map[string]string{
		"a password":                   "customer-pass",
		"the operator's password":      "operator-pass",
		"a wrong password":             "wrong-secret-pass",
		"the customer's session token": c.token,
		"the leader's session token":   leader.token,
		"the merchant key":             string(e.key),
		"the CSRF key":                 string(e.csrfKey),
		"the provider's transaction":   "txn-secret-4711",
	}
	for what, s := range secrets {
		if s != "" && strings.Contains(logs, s) {
			t.Errorf("the log holds %s (%q)", what, s)
		}
	}
	if regexp.MustCompile(`\b` + regexp.QuoteMeta(paid.PickupCode) + `\b`).MatchString(logs) {
		t.Errorf("the log holds the pickup code %s", paid.PickupCode)
	}
	if strings.Contains(logs, "Bearer ") || strings.Contains(logs, "Wechatpay-Signature") {
		t.Error("the log holds an Authorization or signature header")
	}

	ids := map[string]int{}
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Errorf("a log line is not JSON: %q", l)
			continue
		}
		ts, _ := rec["time"].(string)
		if at, err := time.Parse(time.RFC3339Nano, ts); err != nil || !strings.HasSuffix(ts, "Z") || at.Location() != time.UTC {
			t.Errorf("log time %q is not UTC", ts)
		}
		id, _ := rec["request_id"].(string)
		if rec["msg"] == "request" && id == "" {
			t.Errorf("a request line without request_id: %s", l)
		}
		ids[id]++
	}
	if ids["trace-from-the-balancer"] != 1 {
		t.Errorf("lines with the request id sent in = %d, want 1", ids["trace-from-the-balancer"])
	}
	if failed.status < 500 || ids["trace-of-a-failure"] < 2 {
		t.Errorf("the failed request = %d with %d log lines under its id, want a 5xx with the failure and the request line", failed.status, ids["trace-of-a-failure"])
	}
	if len(lines) < 15 {
		t.Errorf("%d log lines, want one per request at least", len(lines))
	}
}
