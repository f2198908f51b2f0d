package web

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// A closed pickup point in a browser, in Chinese: the operator opens the
// point's closure page from the pickup points list, closes it for the
// delivery date, sees its three orders, ticks the box and moves them to
// the other point of the route. The API then shows the orders at the new
// point, and each customer has been told.
func TestBrowserOperatorMovesAClosedPointsOrders(t *testing.T) {
	e := newEnv(t)
	sc := newDayScene(e, false, false)
	e.operator.mustDo("PATCH", "/api/v1/admin/pickup-points/"+e.otherPPID, map[string]any{"route_id": "rte_1"}, 200, nil)

	op := newTab(t, e.srv.URL)
	op.logIn(zh, "13900000001", "operator-pass")
	op.openUp("/admin/pickup-points")
	op.click("link", "歇业与订单: 枫林小区·张姐便利店")
	op.openUp(strings.TrimPrefix(op.location(), e.srv.URL) + "?date=" + dayDate)
	op.do(chromedp.SetValue(chromedp.ID("from"), dayDate), chromedp.SetValue(chromedp.ID("to"), dayDate))
	op.fill("原因（顾客可见）", "店面装修")
	op.click("button", "设置歇业")
	if got := op.text("#point-closed"); !strings.Contains(got, "2026-11-26") {
		t.Fatalf("after closing: %q", got)
	}
	if got := op.text("#affected-count"); got != "3" {
		t.Fatalf("orders affected = %q, want 3", got)
	}
	op.screenshot("admin-closure")
	op.do(chromedp.SetValue(chromedp.ID("to_pickup_point_id"), e.otherPPID), chromedp.Click(chromedp.ID("move-confirm")))
	op.click("button", "改自提点")
	if got := op.text("#moved"); !strings.Contains(got, "3 个订单") {
		t.Fatalf("after moving: %q", got)
	}
	op.screenshot("admin-closure-moved")

	if _, err := e.svc.DeliverNotifications(context.Background(), 100); err != nil {
		t.Fatal(err)
	}
	for i, c := range sc.buyers {
		var o orderView
		c.mustDo("GET", "/api/v1/orders/"+sc.orders[i].ID, nil, 200, &o)
		if o.PickupPointID != e.otherPPID || o.Status != "paid" {
			t.Errorf("order %s after the move = point %s, %s; want %s, paid", o.ID, o.PickupPointID, o.Status, e.otherPPID)
		}
		items := notificationsOf(c, "")
		if len(items) != 1 || items[0].Kind != "order_moved" || items[0].OrderID != o.ID ||
			items[0].Text != "枫林小区·张姐便利店 暂停营业，您的订单 "+o.ID+" 改到 砂子塘小区·梁姐生鲜店（雨花区韶山中路203号）取货。" {
			t.Errorf("customer %d was told %+v, want the move", i, items)
		}
	}
}
