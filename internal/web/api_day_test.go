package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"tuango/internal/tuango"
)

// roleUser makes an account of a role (a supplier's bound to supplierID)
// and logs it in.
func (e *env) roleUser(role tuango.Role, supplierID string) *client {
	e.t.Helper()
	phone := fmt.Sprintf("136%08d", phoneSeq.Add(1))
	if _, err := e.svc.CreateUser(e.t.Context(), tuango.NewAccount{Phone: phone, Password: "operator-pass", Name: "账号", Role: role, SupplierID: supplierID}); err != nil {
		e.t.Fatal(err)
	}
	return e.login(phone)
}

// The day after the order through the API: cutoff twice, the lists as
// JSON and CSV, the supplier's own purchase orders, dispatch, the leader's
// delivery and sign-off with a shortage, the pickup code and its QR, and
// pickups, with foreign ids answering 404.
func TestTheDayThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	deal := e.newDeal(100, 10, 1290)
	must(t, e.store.CreateWarehouse(ctx, &tuango.Warehouse{ID: "wh_c", CityID: e.cityID, Kind: tuango.WarehouseCentral, Name: "中心仓"}))
	must(t, e.store.CreateWarehouse(ctx, &tuango.Warehouse{ID: "wh_g", CityID: e.cityID, Kind: tuango.WarehouseGrid, Name: "网格仓", ParentID: "wh_c"}))
	must(t, e.store.CreateRoute(ctx, &tuango.Route{ID: "rte_1", WarehouseID: "wh_g", Name: "一号线"}))
	leader, otherLeader := e.roleUser(tuango.RoleLeader, ""), e.roleUser(tuango.RoleLeader, "")
	e.operator.mustDo("PATCH", "/api/v1/admin/pickup-points/"+e.ppID, map[string]any{"route_id": "rte_1", "leader_id": leader.userID}, 200, nil)
	e.operator.mustDo("PATCH", "/api/v1/admin/pickup-points/"+e.otherPPID, map[string]any{"leader_id": otherLeader.userID}, 200, nil)

	var buyers []*client
	var orders []orderView
	for range 3 {
		c := e.customer()
		o, p := c.pay(deal)
		c.mustDo("POST", "/api/v1/sandbox/payments/"+p.ID+"/confirm", nil, 200, nil)
		orders = append(orders, c.waitStatus(o.ID, "paid"))
		buyers = append(buyers, c)
		e.clock.Advance(time.Second) // the last placed loses first
	}
	if orders[0].PickupCode == "" || orders[0].DeliveryDate != "2026-11-26" {
		t.Errorf("paid order = code %q, delivery %q; want a code and 2026-11-26", orders[0].PickupCode, orders[0].DeliveryDate)
	}

	body := map[string]any{"city_id": e.cityID, "delivery_date": "2026-11-26"}
	e.operator.mustDo("GET", "/api/v1/admin/cutoffs/"+e.cityID+"/2026-11-26", nil, 404, nil)
	first := e.operator.mustDo("POST", "/api/v1/admin/cutoffs", body, 200, nil)
	second := e.operator.mustDo("POST", "/api/v1/admin/cutoffs", body, 200, nil)
	got := e.operator.mustDo("GET", "/api/v1/admin/cutoffs/"+e.cityID+"/2026-11-26", nil, 200, nil)
	if !bytes.Equal(first.body, second.body) || !bytes.Equal(first.body, got.body) {
		t.Errorf("cutoff answers differ:\n%s%s%s", first.body, second.body, got.body)
	}
	var c cutoffView
	json.Unmarshal(first.body, &c)
	if c.ConfirmedOrders != 3 || c.ConfirmedUnits != 3 || c.PurchaseOrders != 1 || !c.Early {
		t.Errorf("cutoff = %+v, want 3 orders, 3 units, 1 purchase order, early", c)
	}

	q := "?city_id=" + e.cityID + "&date=2026-11-26"
	var pos struct{ Items []purchaseOrderView }
	e.operator.mustDo("GET", "/api/v1/admin/purchase-orders"+q, nil, 200, &pos)
	if len(pos.Items) != 1 || pos.Items[0].Lines[0].Quantity != 3 || pos.Items[0].Lines[0].UnitCostFen != 980 || pos.Items[0].TotalFen != 2940 {
		t.Errorf("purchase orders = %+v, want 3 eggs at 980 fen", pos)
	}
	csv := e.operator.mustDo("GET", "/api/v1/admin/manifests"+q+"&format=csv", nil, 200, nil)
	if ct, cd := csv.header.Get("Content-Type"), csv.header.Get("Content-Disposition"); !strings.HasPrefix(ct, "text/csv") || !strings.Contains(cd, "manifests-") ||
		!strings.Contains(string(csv.body), "rte_1,0,"+e.ppID+",3,") {
		t.Errorf("manifest CSV = %s %s\n%s", ct, cd, csv.body)
	}
	xlsx := e.operator.mustDo("GET", "/api/v1/admin/purchase-orders"+q+"&format=xlsx", nil, 200, nil)
	if ct, cd := xlsx.header.Get("Content-Type"), xlsx.header.Get("Content-Disposition"); !strings.Contains(ct, "spreadsheetml") || !strings.HasSuffix(cd, `.xlsx"`) || !bytes.HasPrefix(xlsx.body, []byte("PK")) {
		t.Errorf("purchase orders XLSX = %s %s, %d bytes", ct, cd, len(xlsx.body))
	}
	var sl struct{ Items []sortingListView }
	e.operator.mustDo("GET", "/api/v1/admin/sorting-lists"+q, nil, 200, &sl)
	if len(sl.Items) != 1 || sl.Items[0].WarehouseID != "wh_g" || sl.Items[0].Lines[0].Quantity != 3 {
		t.Errorf("sorting lists = %+v, want 3 units at wh_g", sl)
	}
	e.operator.mustDo("GET", "/api/v1/admin/purchase-orders?city_id="+e.cityID+"&date=2026-11-27", nil, 404, nil)

	var mine struct{ Items []purchaseOrderView }
	e.roleUser(tuango.RoleSupplier, e.supplierID).mustDo("GET", "/api/v1/supplier/purchase-orders?date=2026-11-26", nil, 200, &mine)
	if len(mine.Items) != 1 || mine.Items[0].SupplierID != e.supplierID {
		t.Errorf("the supplier's purchase orders = %+v, want its one", mine)
	}
	e.roleUser(tuango.RoleSupplier, "sup_other").mustDo("GET", "/api/v1/supplier/purchase-orders?date=2026-11-26", nil, 200, &mine)
	if len(mine.Items) != 0 {
		t.Errorf("another supplier sees %+v, want nothing", mine)
	}

	e.clock.Advance(time.Hour) // the next morning's messages come after the cutoff's
	var d dispatchView
	e.operator.mustDo("POST", "/api/v1/admin/routes/rte_1/dispatch", map[string]any{"delivery_date": "2026-11-26"}, 200, &d)
	if d.Shipped != 3 {
		t.Errorf("dispatch shipped %d, want 3", d.Shipped)
	}
	var del deliveryView
	leader.mustDo("GET", "/api/v1/leader/deliveries/2026-11-26", nil, 200, &del)
	if del.PickupPointID != e.ppID || len(del.Orders) != 3 || len(del.Lines) != 1 || del.Lines[0].Quantity != 3 {
		t.Errorf("delivery = %+v, want 3 orders of 3 units at %s", del, e.ppID)
	}
	pick := leader.mustDo("GET", "/api/v1/leader/deliveries/2026-11-26?format=csv", nil, 200, nil)
	if !strings.HasPrefix(pick.header.Get("Content-Type"), "text/csv") || strings.Count(string(pick.body), "\n") != 4 {
		t.Errorf("pick list CSV = %s\n%s", pick.header.Get("Content-Type"), pick.body)
	}
	otherLeader.mustDo("GET", "/api/v1/leader/deliveries/2026-11-26", nil, 200, &del)
	if len(del.Orders) != 0 {
		t.Errorf("another point's leader sees %+v, want nothing", del)
	}

	sign := map[string]any{"lines": []map[string]any{{"deal_id": deal, "received": 3, "damaged": 1}}}
	var res signView
	leader.mustDo("POST", "/api/v1/leader/deliveries/2026-11-26/sign", sign, 200, &res, "Idempotency-Key", "sign-1")
	if len(res.Refunds) != 1 || res.Refunds[0].OrderID != orders[2].ID || res.Refunds[0].AmountFen != 1290 {
		t.Errorf("refunds = %+v, want the last order's one unit, 1290 fen", res.Refunds)
	}
	if r := leader.do("POST", "/api/v1/leader/deliveries/2026-11-26/sign", sign, "Idempotency-Key", "sign-2"); r.status != 409 || r.problem().Code != tuango.CodeAlreadySigned {
		t.Errorf("second sign-off = %d %s, want 409 already_signed", r.status, r.body)
	}

	var o orderView
	buyers[0].mustDo("GET", "/api/v1/orders/"+orders[0].ID, nil, 200, &o)
	if o.Status != "arrived" || len(o.Timeline) != 5 || o.PickupCode == "" {
		t.Errorf("order = %s, timeline %+v, code %q; want arrived with 5 steps and its code", o.Status, o.Timeline, o.PickupCode)
	}
	png := buyers[0].mustDo("GET", "/api/v1/orders/"+orders[0].ID+"/pickup-code.png", nil, 200, nil)
	if png.header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(png.body, []byte("\x89PNG")) {
		t.Errorf("pickup code QR = %s, %d bytes", png.header.Get("Content-Type"), len(png.body))
	}
	buyers[1].mustDo("GET", "/api/v1/orders/"+orders[0].ID+"/pickup-code.png", nil, 404, nil)

	code := map[string]any{"code": o.PickupCode}
	if r := otherLeader.do("POST", "/api/v1/leader/pickups", code, "Idempotency-Key", newKey()); r.status != 404 || r.problem().Code != tuango.CodePickupCodeInvalid {
		t.Errorf("another point's leader verifying = %d %s, want 404 pickup_code_invalid", r.status, r.body)
	}
	var picked orderView
	leader.mustDo("POST", "/api/v1/leader/pickups", code, 200, &picked, "Idempotency-Key", "pick-1")
	if picked.Status != "picked_up" || picked.ID != orders[0].ID {
		t.Errorf("pickup = %s %s, want %s picked_up", picked.ID, picked.Status, orders[0].ID)
	}
	if r := leader.do("POST", "/api/v1/leader/pickups", code, "Idempotency-Key", "pick-2"); r.status != 409 || r.problem().Code != tuango.CodeAlreadyPickedUp {
		t.Errorf("the code again = %d %s, want 409 already_picked_up", r.status, r.body)
	}
	for i := range tuango.PickupMaxFailures {
		leader.mustDo("POST", "/api/v1/leader/pickups", map[string]any{"code": fmt.Sprint(i)}, 404, nil, "Idempotency-Key", newKey())
	}
	if r := leader.do("POST", "/api/v1/leader/pickups", code, "Idempotency-Key", newKey()); r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Errorf("after too many wrong codes = %d (Retry-After %q), want 429 with Retry-After", r.status, r.header.Get("Retry-After"))
	}

	if _, err := e.svc.DeliverNotifications(ctx, 100); err != nil {
		t.Fatal(err)
	}
	var inbox struct {
		Items      []notificationView
		NextCursor string `json:"next_cursor"`
	}
	buyers[2].mustDo("GET", "/api/v1/me/notifications?limit=1", nil, 200, &inbox)
	if len(inbox.Items) != 1 || inbox.Items[0].Kind != "order_short" || inbox.NextCursor == "" {
		t.Errorf("first page of the short order's owner = %+v, want order_short and a cursor", inbox)
	}
	buyers[2].mustDo("GET", "/api/v1/me/notifications?limit=1&cursor="+inbox.NextCursor, nil, 200, &inbox)
	if len(inbox.Items) != 1 || inbox.Items[0].Kind != "order_confirmed" || inbox.NextCursor != "" {
		t.Errorf("second page = %+v, want order_confirmed and no cursor", inbox)
	}
}

// Closed dates refuse orders with a clear code; a leader closes only their
// own point, another's answering 404.
func TestClosuresRefuseOrdering(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(100, 10, 990)
	leader, other := e.roleUser(tuango.RoleLeader, ""), e.roleUser(tuango.RoleLeader, "")
	e.operator.mustDo("PATCH", "/api/v1/admin/pickup-points/"+e.otherPPID, map[string]any{"leader_id": leader.userID}, 200, nil)
	early := e.customer()
	var placed orderView
	early.mustDo("POST", "/api/v1/orders", map[string]any{"pickup_point_id": e.otherPPID, "items": []map[string]any{{"deal_id": deal, "quantity": 1}}}, 201, &placed, "Idempotency-Key", newKey())
	closure := map[string]any{"from": "2026-11-26", "to": "2026-11-28", "reason": "店主休假"}
	other.mustDo("PUT", "/api/v1/admin/pickup-points/"+e.otherPPID+"/closures", closure, 404, nil)
	leader.mustDo("PUT", "/api/v1/admin/pickup-points/"+e.otherPPID+"/closures", closure, 200, nil)
	c := e.customer()
	r := c.do("POST", "/api/v1/orders", map[string]any{"pickup_point_id": e.otherPPID, "items": []map[string]any{{"deal_id": deal, "quantity": 1}}}, "Idempotency-Key", newKey())
	if r.status != 409 || r.problem().Code != tuango.CodePickupPointClosed || !strings.Contains(r.problem().Detail, "店主休假") {
		t.Errorf("ordering at a closed point = %d %s, want 409 pickup_point_closed with the reason", r.status, r.body)
	}
	c.mustOrder(deal, 1) // the other point is open
	var mv moveOrdersView
	e.operator.mustDo("POST", "/api/v1/admin/pickup-points/"+e.otherPPID+"/move-orders", map[string]any{"to_pickup_point_id": e.ppID, "delivery_date": "2026-11-26"}, 200, &mv)
	var moved orderView
	early.mustDo("GET", "/api/v1/orders/"+placed.ID, nil, 200, &moved)
	if mv.Moved != 1 || moved.PickupPointID != e.ppID {
		t.Errorf("moving the closed point's orders = %+v, the order now at %s; want it moved to %s", mv, moved.PickupPointID, e.ppID)
	}
	e.operator.mustDo("POST", "/api/v1/admin/pickup-points/"+e.otherPPID+"/move-orders", map[string]any{"to_pickup_point_id": e.otherPPID, "delivery_date": "2026-11-26"}, 400, nil)
	e.operator.mustDo("PUT", "/api/v1/admin/cities/"+e.cityID+"/closures/2026-11-26", map[string]any{"reason": "暴雨停运"}, 200, nil)
	if r := c.order(deal, 1); r.status != 409 || r.problem().Code != tuango.CodeCityClosed {
		t.Errorf("ordering in a closed city = %d %s, want 409 city_closed", r.status, r.body)
	}
}

// Every list pages with limit and cursor, in a stable order.
func TestListsPage(t *testing.T) {
	e := newEnv(t)
	var first, second struct {
		Items      []pickupPointView
		NextCursor string `json:"next_cursor"`
	}
	c := &client{e: e}
	c.mustDo("GET", "/api/v1/pickup-points?limit=1", nil, 200, &first)
	if len(first.Items) != 1 || first.NextCursor == "" {
		t.Fatalf("first page = %+v, want one point and a cursor", first)
	}
	c.mustDo("GET", "/api/v1/pickup-points?limit=1&cursor="+first.NextCursor, nil, 200, &second)
	if len(second.Items) != 1 || second.Items[0].ID == first.Items[0].ID || second.NextCursor != "" {
		t.Errorf("second page = %+v, want the other point and no cursor", second)
	}
	if r := c.do("GET", "/api/v1/pickup-points?cursor=nonsense", nil); r.status != 400 || r.problem().Field != "cursor" {
		t.Errorf("a foreign cursor = %d %s, want 400 on cursor", r.status, r.body)
	}
	if r := c.do("GET", "/api/v1/pickup-points?limit=9999", nil); r.status != 400 || r.problem().Field != "limit" {
		t.Errorf("limit 9999 = %d %s, want 400 on limit", r.status, r.body)
	}
}
