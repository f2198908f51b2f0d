package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"tuango/internal/tuango"
)

// pickedUp has one new customer per quantity order the deal, pay, and
// (after the cutoff, dispatch and sign-off) collect, through the API. It
// returns the customers and their order ids.
func (e *env) pickedUp(deal string, qtys ...int) ([]*client, []string) {
	t := e.t
	t.Helper()
	ctx := context.Background()
	must(t, e.store.CreateWarehouse(ctx, &tuango.Warehouse{ID: "wh_c", CityID: e.cityID, Kind: tuango.WarehouseCentral, Name: "中心仓"}))
	must(t, e.store.CreateWarehouse(ctx, &tuango.Warehouse{ID: "wh_g", CityID: e.cityID, Kind: tuango.WarehouseGrid, Name: "网格仓", ParentID: "wh_c"}))
	must(t, e.store.CreateRoute(ctx, &tuango.Route{ID: "rte_1", WarehouseID: "wh_g", Name: "一号线"}))
	leader := e.roleUser(tuango.RoleLeader, "")
	e.operator.mustDo("PATCH", "/api/v1/admin/pickup-points/"+e.ppID, map[string]any{"route_id": "rte_1", "leader_id": leader.userID}, 200, nil)
	var buyers []*client
	var orders []orderView
	total := 0
	for _, q := range qtys {
		c := e.customer()
		var o orderView
		c.mustDo("POST", "/api/v1/orders", map[string]any{"pickup_point_id": e.ppID, "items": []map[string]any{{"deal_id": deal, "quantity": q}}}, 201, &o, "Idempotency-Key", newKey())
		var p paymentView
		c.mustDo("POST", "/api/v1/orders/"+o.ID+"/payments", nil, 201, &p, "Idempotency-Key", newKey())
		c.mustDo("POST", "/api/v1/sandbox/payments/"+p.ID+"/confirm", nil, 200, nil)
		orders = append(orders, c.waitStatus(o.ID, "paid"))
		buyers = append(buyers, c)
		total += q
	}
	e.operator.mustDo("POST", "/api/v1/admin/cutoffs", map[string]any{"city_id": e.cityID, "delivery_date": "2026-11-26"}, 200, nil)
	e.operator.mustDo("POST", "/api/v1/admin/routes/rte_1/dispatch", map[string]any{"delivery_date": "2026-11-26"}, 200, nil)
	leader.mustDo("POST", "/api/v1/leader/deliveries/2026-11-26/sign", map[string]any{"lines": []map[string]any{{"deal_id": deal, "received": total}}}, 200, nil, "Idempotency-Key", newKey())
	var ids []string
	for i, o := range orders {
		leader.mustDo("POST", "/api/v1/leader/pickups", map[string]any{"code": o.PickupCode}, 200, nil, "Idempotency-Key", newKey())
		ids = append(ids, orders[i].ID)
	}
	return buyers, ids
}

// After-sales through the API: the contract's answers, a replay, the
// operator's queue and decisions, and other people's ids answering 404.
func TestAfterSalesThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(100, 20, 300) // 3 yuan a unit
	buyers, orders := e.pickedUp(deal, 10, 10)
	ann, bob := buyers[0], buyers[1]
	path := "/api/v1/orders/" + orders[0] + "/after-sales"
	ask := func(c *client, p string, body map[string]any, key string) response {
		return c.do("POST", p, body, "Idempotency-Key", key)
	}
	req := func(qty int, reason string) map[string]any {
		return map[string]any{"line_no": 1, "quantity": qty, "reason": reason, "note": "坏了"}
	}

	for _, c := range []struct {
		name   string
		who    *client
		path   string
		body   map[string]any
		status int
		code   string
	}{
		{"bad reason", ann, path, req(1, "regret"), 400, tuango.CodeInvalid},
		{"zero quantity", ann, path, req(0, "damaged"), 400, tuango.CodeInvalid},
		{"unknown field", ann, path, map[string]any{"line_no": 1, "quantity": 1, "reason": "damaged", "photo": "x"}, 400, tuango.CodeInvalid},
		{"foreign order", bob, path, req(1, "damaged"), 404, tuango.CodeNotFound},
		{"more than the line", ann, path, req(11, "damaged"), 409, tuango.CodeRefundExceedsPaid},
	} {
		if r := ask(c.who, c.path, c.body, newKey()); r.status != c.status || r.problem().Code != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, r.status, r.body, c.status, c.code)
		}
	}
	if r := ann.do("POST", path, req(1, "damaged")); r.status != 400 || r.problem().Code != tuango.CodeIdemKeyMissing {
		t.Errorf("no key: %d %s, want 400 idempotency_key_missing", r.status, r.body)
	}

	var small afterSaleView
	ann.mustDo("POST", path, req(2, "damaged"), 201, &small, "Idempotency-Key", "as-small")
	if small.Status != "approved" || small.RefundFen != 600 || small.ApprovedByRule != "small" || small.ID == "" {
		t.Errorf("small request = %+v, want approved, 600 fen", small)
	}
	first := ann.mustDo("POST", path, req(2, "damaged"), 201, nil, "Idempotency-Key", "as-small")
	if first.header.Get("Idempotent-Replayed") != "true" || !strings.Contains(string(first.body), small.ID) {
		t.Errorf("replay = %s %s, want the first answer replayed", first.header, first.body)
	}
	if r := ask(ann, path, req(3, "damaged"), "as-small"); r.status != 422 || r.problem().Code != tuango.CodeIdemKeyReused {
		t.Errorf("the key with another body = %d %s, want 422", r.status, r.body)
	}

	var big afterSaleView
	ann.mustDo("POST", path, req(8, "quality"), 201, &big, "Idempotency-Key", newKey())
	if big.Status != "pending" || big.RefundFen != 2400 {
		t.Errorf("large request = %+v, want pending for 2400 fen", big)
	}
	if r := ask(ann, path, req(1, "other"), newKey()); r.status != 409 || r.problem().Code != tuango.CodeAfterSalesOpen {
		t.Errorf("second open request = %d %s, want 409 after_sales_open", r.status, r.body)
	}
	e.clock.Advance(time.Second) // the queue is oldest first
	var bigBob afterSaleView
	bob.mustDo("POST", "/api/v1/orders/"+orders[1]+"/after-sales", req(9, "missing"), 201, &bigBob, "Idempotency-Key", newKey())

	ann.mustDo("GET", "/api/v1/admin/after-sales?status=pending", nil, 403, nil)
	var q listPage[afterSaleView]
	e.operator.mustDo("GET", "/api/v1/admin/after-sales?status=pending&limit=1", nil, 200, &q)
	if len(q.Items) != 1 || q.Items[0].ID != big.ID || q.NextCursor == "" {
		t.Errorf("first page = %+v, want ann's request and a cursor", q)
	}
	e.operator.mustDo("GET", "/api/v1/admin/after-sales?status=pending&limit=1&cursor="+q.NextCursor, nil, 200, &q)
	if len(q.Items) != 1 || q.Items[0].ID != bigBob.ID || q.NextCursor != "" {
		t.Errorf("second page = %+v, want bob's request and no cursor", q)
	}
	if r := e.operator.do("GET", "/api/v1/admin/after-sales?status=maybe", nil); r.status != 400 {
		t.Errorf("bad status = %d %s, want 400", r.status, r.body)
	}

	var approved afterSaleView
	e.operator.mustDo("POST", "/api/v1/admin/after-sales/"+big.ID+"/approve", nil, 200, &approved)
	if approved.Status != "approved" || approved.RefundFen != 2400 {
		t.Errorf("approved = %+v", approved)
	}
	if r := e.operator.do("POST", "/api/v1/admin/after-sales/"+big.ID+"/approve", nil); r.status != 409 || r.problem().Code != tuango.CodeAfterSalesDecided {
		t.Errorf("approve twice = %d %s, want 409 after_sales_decided", r.status, r.body)
	}
	e.operator.mustDo("POST", "/api/v1/admin/after-sales/as_missing/approve", nil, 404, nil)
	bob.mustDo("POST", "/api/v1/admin/after-sales/"+bigBob.ID+"/reject", map[string]any{"reason": "x"}, 403, nil)
	if r := e.operator.do("POST", "/api/v1/admin/after-sales/"+bigBob.ID+"/reject", map[string]any{"reason": ""}); r.status != 400 || r.problem().Field != "reason" {
		t.Errorf("reject without a reason = %d %s, want 400 on reason", r.status, r.body)
	}
	var rejected afterSaleView
	e.operator.mustDo("POST", "/api/v1/admin/after-sales/"+bigBob.ID+"/reject", map[string]any{"reason": "取货时已当面验货"}, 200, &rejected)
	if rejected.Status != "rejected" || rejected.RejectReason != "取货时已当面验货" {
		t.Errorf("rejected = %+v", rejected)
	}

	var o orderView
	ann.mustDo("GET", "/api/v1/orders/"+orders[0], nil, 200, &o)
	if o.Status != "picked_up" || o.RefundedFen != 3000 || o.Items[0].RefundedQty != 10 {
		t.Errorf("ann's order = %s refunded %d fen, %d units; want picked_up with everything, 3000 fen, refunded", o.Status, o.RefundedFen, o.Items[0].RefundedQty)
	}
	if r := ask(ann, path, req(1, "other"), newKey()); r.status != 409 || r.problem().Code != tuango.CodeRefundExceedsPaid {
		t.Errorf("after everything was refunded = %d %s, want 409 refund_exceeds_paid", r.status, r.body)
	}
	var mine listPage[afterSaleView]
	bob.mustDo("GET", "/api/v1/orders/"+orders[1]+"/after-sales", nil, 200, &mine)
	if len(mine.Items) != 1 || mine.Items[0].RejectReason != "取货时已当面验货" {
		t.Errorf("bob's requests = %+v", mine)
	}
	ann.mustDo("GET", "/api/v1/orders/"+orders[1]+"/after-sales", nil, 404, nil)

	e.operator.mustDo("PUT", "/api/v1/admin/cities/"+e.cityID+"/after-sales-window", map[string]any{"hours": 1}, 200, nil)
	e.clock.Advance(2 * time.Hour)
	if r := ask(bob, "/api/v1/orders/"+orders[1]+"/after-sales", req(1, "missing"), newKey()); r.status != 409 || r.problem().Code != tuango.CodeAfterSalesWindowClosed {
		t.Errorf("after a 1-hour window = %d %s, want 409 after_sales_window_closed", r.status, r.body)
	}
	e.operator.mustDo("PUT", "/api/v1/admin/cities/cty_none/after-sales-window", map[string]any{"hours": 1}, 404, nil)
	e.operator.mustDo("PUT", "/api/v1/admin/cities/"+e.cityID+"/after-sales-window", map[string]any{"hours": 0}, 400, nil)
}
