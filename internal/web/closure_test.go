package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"tuango/internal/sms"
	"tuango/internal/tuango"
)

// notificationsOf reads a customer's inbox through the API, worded in the
// language of acceptLanguage (none when empty).
func notificationsOf(c *client, acceptLanguage string) []notificationView {
	var page listPage[notificationView]
	headers := []string{}
	if acceptLanguage != "" {
		headers = append(headers, "Accept-Language", acceptLanguage)
	}
	c.mustDo("GET", "/api/v1/me/notifications", nil, 200, &page, headers...)
	return page.Items
}

// A closed pickup point's unpaid and paid orders are cancelled and
// refunded by the operator: only once the point is closed for the date,
// each customer is told in the language they read, the refunds go to the
// provider, and a second call changes nothing.
func TestClosedPointOrdersAreCancelledAndRefunded(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sc := newDayScene(e, false, false)
	unpaidBuyer := e.customer()
	unpaid := unpaidBuyer.mustOrder(sc.deal, 2)
	path := "/api/v1/admin/pickup-points/" + e.ppID + "/cancel-orders"
	body := map[string]any{"delivery_date": dayDate}

	if r := e.operator.do("POST", path, body); r.status != 409 || r.problem().Code != tuango.CodePickupPointOpen {
		t.Errorf("cancelling at an open point = %d %s, want 409 pickup_point_open", r.status, r.body)
	}
	if n := e.count(`SELECT COUNT(*) FROM orders WHERE status = 'cancelled'`); n != 0 {
		t.Fatalf("%d orders cancelled at an open point, want 0", n)
	}
	for _, c := range []*client{sc.buyers[0], e.roleUser(tuango.RoleLeader, ""), e.roleUser(tuango.RoleSupplier, e.supplierID)} {
		if r := c.do("POST", path, body); r.status != 403 {
			t.Errorf("a non-operator cancelling = %d %s, want 403", r.status, r.body)
		}
	}
	if r := e.operator.do("POST", "/api/v1/admin/pickup-points/pp_missing/cancel-orders", body); r.status != 404 {
		t.Errorf("a missing point = %d %s, want 404", r.status, r.body)
	}
	if r := e.operator.do("POST", path, map[string]any{"delivery_date": "26-11-2026"}); r.status != 400 || r.problem().Field != "delivery_date" {
		t.Errorf("a bad date = %d %s, want 400 on delivery_date", r.status, r.body)
	}

	e.operator.mustDo("PUT", "/api/v1/admin/pickup-points/"+e.ppID+"/closures", map[string]any{"from": dayDate, "to": dayDate, "reason": "店面装修"}, 200, nil)
	var got cancelOrdersView
	e.operator.mustDo("POST", path, body, 200, &got)
	want := cancelOrdersView{PickupPointID: e.ppID, DeliveryDate: dayDate, Cancelled: 4, RefundedFen: 3 * 1290, Confirmed: 0}
	if got != want {
		t.Errorf("cancel = %+v, want %+v", got, want)
	}
	e.operator.mustDo("POST", path, body, 200, &got)
	if got.Cancelled != 0 || got.RefundedFen != 0 {
		t.Errorf("cancel again = %+v, want nothing cancelled", got)
	}
	for _, o := range append(sc.orders, unpaid) {
		if n := e.count(`SELECT COUNT(*) FROM orders WHERE id = ? AND status = 'cancelled' AND cancel_reason = ?`, o.ID, tuango.CancelPointClosed); n != 1 {
			t.Errorf("order %s is not cancelled for its closed point", o.ID)
		}
	}
	if n := e.count(`SELECT COUNT(*) FROM refunds WHERE reason = ?`, tuango.RefundOrderCancelled); n != 3 {
		t.Errorf("%d refunds, want one per paid order", n)
	}
	if d := e.deal(sc.deal); d.Reserved != 0 {
		t.Errorf("deal reserved %d after the cancellations, want 0 (stock given back)", d.Reserved)
	}
	if _, err := e.svc.SendRefunds(ctx, 100); err != nil {
		t.Fatal(err)
	}
	if n := e.count(`SELECT COUNT(*) FROM refunds WHERE status = 'succeeded'`); n != 3 {
		t.Errorf("%d refunds the provider accepted, want 3", n)
	}

	sender := sms.NewSandbox(e.store, e.clock)
	e.svc.SetSender(sender)
	e.svc.SetTexts(NotificationText)
	if _, err := e.svc.DeliverNotifications(ctx, 100); err != nil {
		t.Fatal(err)
	}
	zhText := "枫林小区·张姐便利店 在 2026-11-26 歇业，您的订单 " + sc.orders[0].ID + " 已取消，¥12.90 将原路退回。"
	enText := "枫林小区·张姐便利店 is closed on 2026-11-26: your order " + sc.orders[0].ID + " is cancelled and ¥12.90 is refunded to how you paid."
	for _, tt := range []struct{ lang, want string }{{"", zhText}, {"zh-CN,zh;q=0.9", zhText}, {"en-US,en;q=0.8", enText}, {"fr", zhText}} {
		items := notificationsOf(sc.buyers[0], tt.lang)
		if len(items) != 1 || items[0].Kind != string(tuango.NotifyClosed) || items[0].OrderID != sc.orders[0].ID || items[0].Text != tt.want {
			t.Errorf("notifications in %q = %+v, want one saying %q", tt.lang, items, tt.want)
		}
	}
	if items := notificationsOf(unpaidBuyer, "en"); len(items) != 1 || !strings.Contains(items[0].Text, "is cancelled") || strings.Contains(items[0].Text, "refunded") {
		t.Errorf("the unpaid order's customer was told %+v, want cancelled with no refund", items)
	}
	var sent string
	must(t, e.db.QueryRowForTest(`SELECT text FROM sandbox_sms WHERE phone = (SELECT phone FROM users WHERE id = ?)`, sc.buyers[0].userID).Scan(&sent))
	if sent != zhText {
		t.Errorf("the SMS said %q, want %q (SMS are in Chinese)", sent, zhText)
	}

	b := pageAs(e, sc.buyers[0])
	if p := b.get("/notifications?lang=en"); !strings.Contains(p.body, "is cancelled and ¥12.90 is refunded") {
		t.Errorf("the inbox page in English lacks the English text:\n%s", p.body)
	}
	if p := b.get("/notifications?lang=zh"); !strings.Contains(p.body, "已取消，¥12.90 将原路退回") {
		t.Errorf("the inbox page in Chinese lacks the Chinese text:\n%s", p.body)
	}
}

// A message stored before texts were worded at read time keeps its text,
// in every language.
func TestOldNotificationsKeepTheirText(t *testing.T) {
	e := newEnv(t)
	c := e.customer()
	m := &tuango.Message{ID: "msg_old", UserID: c.userID, Kind: tuango.NotifyConfirmed, Text: "您的订单 ord_1 已截单确认。", CreatedAt: e.clock.Now()}
	must(t, e.store.AddToInbox(context.Background(), m))
	for _, lang := range []string{"", "en"} {
		if items := notificationsOf(c, lang); len(items) != 1 || items[0].Text != m.Text {
			t.Errorf("an old notification in %q = %+v, want its stored text", lang, items)
		}
	}
}

// The operator's closure page: closing the point, the date's orders
// counted, moving them needs the box ticked, errors in the page's
// language, then moving them to the other point of the route.
func TestClosurePageMovesAndCancels(t *testing.T) {
	e := newEnv(t)
	sc := newDayScene(e, false, false)
	e.operator.mustDo("PATCH", "/api/v1/admin/pickup-points/"+e.otherPPID, map[string]any{"route_id": "rte_1"}, 200, nil)
	op := newBrowser(t, e.srv.URL)
	op.logIn("13900000001", "operator-pass")
	base := "/admin/pickup-points/" + e.ppID
	pg := op.get(base + "/closure?date=" + dayDate)
	if pg.status != 200 || !strings.Contains(pg.body, "砂子塘小区·梁姐生鲜店") || !strings.Contains(pg.body, `id="affected-count">3<`) {
		t.Fatalf("closure page = %d:\n%s", pg.status, pg.body)
	}
	form := func(extra url.Values) url.Values {
		v := url.Values{"csrf": {pg.csrf(t)}, "date": {dayDate}}
		for k, x := range extra {
			v[k] = x
		}
		return v
	}
	if p := op.post(base+"/cancel-orders?lang=zh", form(url.Values{"confirm": {"yes"}})); p.status != 409 || !strings.Contains(p.body, "照常营业") {
		t.Errorf("cancel at an open point = %d:\n%s", p.status, p.body)
	}
	if p := op.post(base+"/closures?lang=en", form(url.Values{"from": {dayDate}, "to": {"2026-11-01"}, "reason": {"装修"}})); p.status != 400 || !strings.Contains(p.body, "not before the first") {
		t.Errorf("a closure ending before it starts = %d:\n%s", p.status, p.body)
	}
	if p := op.post(base+"/closures?lang=zh", form(url.Values{"from": {dayDate}, "to": {dayDate}, "reason": {"装修"}})); p.status != 200 || !strings.Contains(p.body, "2026-11-26 歇业：装修") {
		t.Errorf("closing = %d:\n%s", p.status, p.body)
	}
	if p := op.post(base+"/move-orders?lang=zh", form(url.Values{"to_pickup_point_id": {e.otherPPID}})); p.status != 400 || !strings.Contains(p.body, "请勾选确认框") {
		t.Errorf("moving without the box ticked = %d:\n%s", p.status, p.body)
	}
	if p := op.post(base+"/move-orders?lang=en", form(url.Values{"to_pickup_point_id": {e.ppID}, "confirm": {"yes"}})); p.status != 400 || !strings.Contains(p.body, "Choose another open pickup point of the same route") {
		t.Errorf("moving to the same point = %d:\n%s", p.status, p.body)
	}
	if n := e.count(`SELECT COUNT(*) FROM orders WHERE pickup_point_id = ?`, e.otherPPID); n != 0 {
		t.Fatalf("%d orders moved by refused forms, want 0", n)
	}
	if p := op.post(base+"/move-orders?lang=zh", form(url.Values{"to_pickup_point_id": {e.otherPPID}, "confirm": {"yes"}})); p.status != 200 || !strings.Contains(p.body, "已改自提点：3 个订单") {
		t.Errorf("moving = %d:\n%s", p.status, p.body)
	}
	if n := e.count(`SELECT COUNT(*) FROM orders WHERE pickup_point_id = ?`, e.otherPPID); n != 3 {
		t.Errorf("%d orders at the other point, want 3", n)
	}
	if p := op.post(base+"/cancel-orders?lang=zh", form(url.Values{"confirm": {"yes"}})); p.status != 200 || !strings.Contains(p.body, "已取消 0 个订单") {
		t.Errorf("cancel after the move = %d:\n%s", p.status, p.body)
	}
	customer := pageAs(e, sc.buyers[0])
	if p := customer.get(base + "/closure?date=" + dayDate); p.status != 403 {
		t.Errorf("a customer at the closure page = %d, want 403", p.status)
	}
}

// A closure cannot begin before today in the point's city (China time,
// from the service's clock): the API answers 400 validation_failed on
// from, the leader's form says so, and nothing is closed. Today is fine.
func TestClosureCannotBeginInThePast(t *testing.T) {
	e := newEnv(t)
	sc := newDayScene(e, false, false)
	path := "/api/v1/admin/pickup-points/" + e.ppID + "/closures"
	closures := func() int { return e.count(`SELECT COUNT(*) FROM pickup_point_closures`) }

	// testStart is 2026-11-25 10:00 in 长沙.
	if r := e.operator.do("PUT", path, map[string]any{"from": "2026-11-24", "to": "2026-11-26", "reason": "停电"}); r.status != 400 ||
		r.problem().Code != tuango.CodeInvalid || r.problem().Field != "from" {
		t.Errorf("a closure from yesterday = %d %s, want 400 validation_failed on from", r.status, r.body)
	}
	if n := closures(); n != 0 {
		t.Fatalf("%d closures after a refused one, want 0", n)
	}
	e.operator.mustDo("PUT", path, map[string]any{"from": "2026-11-25", "to": "2026-11-25", "reason": "停电"}, 200, nil)

	e.clock.Advance(14*time.Hour + 30*time.Minute) // 2026-11-25 16:30 UTC: 00:30 on the 26th in China
	if r := e.operator.do("PUT", path, map[string]any{"from": "2026-11-25", "to": "2026-11-27", "reason": "停电"}); r.status != 400 || r.problem().Field != "from" {
		t.Errorf("a closure from the 25th past midnight in China = %d %s, want 400 on from (still the 25th in UTC)", r.status, r.body)
	}

	b := newBrowser(t, e.srv.URL)
	b.logIn(sc.leaderPhone, "operator-pass")
	home := b.get("/leader")
	for lang, want := range map[string]string{"zh": "不早于今天", "en": "today or later"} {
		p := b.post("/leader/closures?lang="+lang, url.Values{"csrf": {home.csrf(t)}, "from": {"2026-11-01"}, "to": {"2026-11-02"}, "reason": {"回老家"}})
		if p.status != 400 || !strings.Contains(p.body, want) || strings.Contains(p.body, "2026-11-01 至 2026-11-02 歇业") {
			t.Errorf("the leader closing past dates (%s) = %d, want 400 saying %q:\n%s", lang, p.status, want, p.body)
		}
	}
	if n := closures(); n != 1 {
		t.Errorf("%d closures after the refused ones, want only today's", n)
	}
	if p := b.post("/leader/closures?lang=zh", url.Values{"csrf": {home.csrf(t)}, "from": {"2026-11-26"}, "to": {"2026-11-26"}, "reason": {"回老家"}}); p.status != 200 {
		t.Errorf("the leader closing today = %d:\n%s", p.status, p.body)
	}
}
