package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"tuango/internal/tuango"
)

// dayScene is a delivery day ready for the leader: a route through the
// env's first pickup point, its leader (who logs in with leaderPhone), and
// three customers' paid orders of one unit each, cut off and dispatched
// unless told otherwise.
type dayScene struct {
	deal, leaderPhone, supplierPhone string
	buyers                           []*client
	orders                           []orderView
}

const dayDate = "2026-11-26"

func newDayScene(e *env, cutoff, dispatch bool) *dayScene {
	e.t.Helper()
	ctx := context.Background()
	sc := &dayScene{deal: e.newDeal(100, 10, 1290)}
	must(e.t, e.store.CreateWarehouse(ctx, &tuango.Warehouse{ID: "wh_c", CityID: e.cityID, Kind: tuango.WarehouseCentral, Name: "中心仓"}))
	must(e.t, e.store.CreateWarehouse(ctx, &tuango.Warehouse{ID: "wh_g", CityID: e.cityID, Kind: tuango.WarehouseGrid, Name: "网格仓", ParentID: "wh_c"}))
	must(e.t, e.store.CreateRoute(ctx, &tuango.Route{ID: "rte_1", WarehouseID: "wh_g", Name: "一号线"}))
	sc.leaderPhone = fmt.Sprintf("135%08d", phoneSeq.Add(1))
	if _, err := e.svc.CreateUser(ctx, tuango.NewAccount{Phone: sc.leaderPhone, Password: "operator-pass", Name: "张姐", Role: tuango.RoleLeader}); err != nil {
		e.t.Fatal(err)
	}
	sc.supplierPhone = fmt.Sprintf("135%08d", phoneSeq.Add(1))
	if _, err := e.svc.CreateUser(ctx, tuango.NewAccount{Phone: sc.supplierPhone, Password: "operator-pass", Name: "合作社", Role: tuango.RoleSupplier, SupplierID: e.supplierID}); err != nil {
		e.t.Fatal(err)
	}
	leader := e.login(sc.leaderPhone)
	e.operator.mustDo("PATCH", "/api/v1/admin/pickup-points/"+e.ppID, map[string]any{"route_id": "rte_1", "leader_id": leader.userID}, 200, nil)
	for range 3 {
		c := e.customer()
		o, p := c.pay(sc.deal)
		c.mustDo("POST", "/api/v1/sandbox/payments/"+p.ID+"/confirm", nil, 200, nil)
		sc.orders = append(sc.orders, c.waitStatus(o.ID, "paid"))
		sc.buyers = append(sc.buyers, c)
		e.clock.Advance(time.Second) // the last placed loses first
	}
	if cutoff {
		e.operator.mustDo("POST", "/api/v1/admin/cutoffs", map[string]any{"city_id": e.cityID, "delivery_date": dayDate}, 200, nil)
	}
	if dispatch {
		e.operator.mustDo("POST", "/api/v1/admin/routes/rte_1/dispatch", map[string]any{"delivery_date": dayDate}, 200, nil)
	}
	return sc
}

// A leader signs for the day's delivery with one unit short; the form
// refunds the last order once, and sending it again changes nothing. Bad
// counts are shown in the leader's language and write nothing; other roles
// are refused.
func TestLeaderSignsForTheDelivery(t *testing.T) {
	e := newEnv(t)
	sc := newDayScene(e, true, true)
	b := newBrowser(t, e.srv.URL)
	b.logIn(sc.leaderPhone, "operator-pass")
	home := b.get("/leader?date=" + dayDate)
	if home.status != 200 || !strings.Contains(home.body, "确认签收") || !strings.Contains(home.body, "应到 3 件") || !strings.Contains(home.body, ">提货码<") {
		t.Fatalf("leader page = %d:\n%s", home.status, home.body)
	}
	form := func(p page_, received, damaged string) url.Values {
		return url.Values{"csrf": {p.csrf(t)}, "key": {p.field(t, "key")}, "deal_id": {sc.deal},
			"received_" + sc.deal: {received}, "damaged_" + sc.deal: {damaged}}
	}
	t.Run("bad counts are shown and write nothing", func(t *testing.T) {
		for _, tc := range []struct{ received, damaged, want string }{{"abc", "0", "实收须是"}, {"3", "4", "损坏须是"}, {"-1", "0", "实收须是"}} {
			p := b.post("/leader/deliveries/"+dayDate+"/sign", form(home, tc.received, tc.damaged))
			if p.status != 400 || !strings.Contains(p.body, tc.want) {
				t.Errorf("received %q damaged %q = %d, want 400 with %q:\n%s", tc.received, tc.damaged, p.status, tc.want, p.body)
			}
		}
		if n := e.count(`SELECT COUNT(*) FROM orders WHERE status = 'shipped'`); n != 3 {
			t.Errorf("%d orders still shipped after bad forms, want 3", n)
		}
	})
	t.Run("another role is refused", func(t *testing.T) {
		c := newBrowser(t, e.srv.URL)
		c.logIn("13900000001", "operator-pass")
		p := c.get("/orders")
		if r := c.post("/leader/deliveries/"+dayDate+"/sign", url.Values{"csrf": {p.csrf(t)}, "key": {"k1"}, "deal_id": {sc.deal}, "received_" + sc.deal: {"0"}, "damaged_" + sc.deal: {"0"}}); r.status != 403 {
			t.Errorf("an operator signing = %d, want 403", r.status)
		}
	})
	if pr := b.get("/leader/pick-list?date=" + dayDate + "&format=print"); pr.status != 200 || !strings.Contains(pr.body, "2026-11-26 拣货单") || strings.Count(pr.body, "鲜鸡蛋 15枚") != 3 {
		t.Errorf("pick list print view = %d:\n%s", pr.status, pr.body)
	}
	if c := b.get("/leader/pick-list?date=" + dayDate + "&format=csv"); c.status != 200 || strings.Count(c.body, "\n") != 4 || strings.Contains(c.body, sc.orders[0].PickupCode) {
		t.Errorf("pick list CSV = %d:\n%s", c.status, c.body)
	}
	t.Run("the pick list without a format is its print view, and a bad one says what is wrong", func(t *testing.T) {
		for _, c := range []struct {
			path   string
			status int
			want   []string
		}{
			{"/leader/pick-list", 200, []string{"@media print", "2026-11-25 拣货单"}}, // today's, as the README links it
			{"/leader/pick-list?date=" + dayDate, 200, []string{"@media print", "2026-11-26 拣货单", "鲜鸡蛋 15枚"}},
			{"/leader/pick-list?date=" + dayDate + "&format=pdf", 400, []string{"没有这种格式", "format=csv", "format=print"}},
			{"/leader/pick-list?date=2026-99-01", 400, []string{"这不是有效的日期"}},
			{"/leader/pick-list?date=" + dayDate + "&format=pdf&lang=en", 400, []string{"There is no such format"}},
		} {
			p := b.get(c.path)
			for _, w := range c.want {
				if p.status != c.status || !strings.Contains(p.body, w) {
					t.Errorf("GET %s = %d, want %d with %q:\n%s", c.path, p.status, c.status, w, p.body)
				}
			}
		}
		b.get("/leader?lang=zh")
	})
	values := form(home, "3", "1")
	p := b.post("/leader/deliveries/"+dayDate+"/sign", values)
	if p.status != 200 || !strings.Contains(p.body, "已签收") || !strings.Contains(p.body, sc.orders[2].ID) || !strings.Contains(p.body, "¥12.90") {
		t.Fatalf("sign-off = %d:\n%s", p.status, p.body)
	}
	again := b.post("/leader/deliveries/"+dayDate+"/sign", values) // a reload of the answer
	if again.status != 200 || !strings.Contains(again.body, sc.orders[2].ID) {
		t.Errorf("the same form again = %d, want the same answer:\n%s", again.status, again.body)
	}
	if n := e.count(`SELECT COUNT(*) FROM partial_refunds`); n != 1 {
		t.Errorf("%d partial refunds, want 1", n)
	}
	if p := b.post("/leader/deliveries/"+dayDate+"/sign", form(b.get("/leader?date="+dayDate), "3", "0")); p.status != 409 || !strings.Contains(p.body, "已经签收过了") || strings.Contains(p.body, ">确认签收<") {
		t.Errorf("a second sign-off = %d, want 409 saying it is signed, with no form:\n%s", p.status, p.body)
	}
}

// A leader verifies a customer's pickup code; a wrong code says so in the
// leader's language, and too many wrong codes answer a page that says to
// wait (429 with Retry-After).
func TestLeaderVerifiesAPickupCode(t *testing.T) {
	e := newEnv(t)
	sc := newDayScene(e, true, true)
	leader := e.login(sc.leaderPhone)
	leader.mustDo("POST", "/api/v1/leader/deliveries/"+dayDate+"/sign", map[string]any{"lines": []any{}}, 200, nil, "Idempotency-Key", newKey())
	b := newBrowser(t, e.srv.URL)
	b.logIn(sc.leaderPhone, "operator-pass")
	verify := func(code string) page_ {
		home := b.get("/leader?date=" + dayDate + "&lang=en")
		return b.post("/leader/pickups", url.Values{"csrf": {home.csrf(t)}, "key": {home.field(t, "key")}, "date": {dayDate}, "code": {code}})
	}
	p := verify("0000000000")
	if p.status != 404 || !strings.Contains(p.body, "This pickup code is wrong") {
		t.Errorf("a wrong code = %d:\n%s", p.status, p.body)
	}
	if p := verify(""); p.status != 400 || !strings.Contains(p.body, "Enter the customer&#39;s pickup code.") {
		t.Errorf("no code = %d:\n%s", p.status, p.body)
	}
	p = verify(sc.orders[0].PickupCode)
	if p.status != 200 || !strings.Contains(p.body, "Handed over: order "+sc.orders[0].ID) {
		t.Fatalf("the right code = %d:\n%s", p.status, p.body)
	}
	if p := verify(sc.orders[0].PickupCode); p.status != 409 || !strings.Contains(p.body, "already picked up") {
		t.Errorf("the code again = %d:\n%s", p.status, p.body)
	}
	for i := range tuango.PickupMaxFailures {
		verify(fmt.Sprint(i))
	}
	p = verify(sc.orders[1].PickupCode)
	if p.status != 429 || p.header.Get("Retry-After") == "" || !strings.Contains(p.body, "wait a few minutes") {
		t.Errorf("after too many wrong codes = %d (Retry-After %q):\n%s", p.status, p.header.Get("Retry-After"), p.body)
	}
	if n := e.count(`SELECT COUNT(*) FROM orders WHERE status = 'picked_up'`); n != 1 {
		t.Errorf("%d orders picked up, want 1", n)
	}
}

// A leader closes their point for dates; a bad range is shown and closes
// nothing.
func TestLeaderClosesThePoint(t *testing.T) {
	e := newEnv(t)
	sc := newDayScene(e, false, false)
	b := newBrowser(t, e.srv.URL)
	b.logIn(sc.leaderPhone, "operator-pass")
	home := b.get("/leader")
	close := func(from, to, reason string) page_ {
		return b.post("/leader/closures", url.Values{"csrf": {home.csrf(t)}, "from": {from}, "to": {to}, "reason": {reason}})
	}
	if p := close("2026-12-03", "2026-12-01", "回老家"); p.status != 400 || !strings.Contains(p.body, "不早于开始日期") {
		t.Errorf("to before from = %d:\n%s", p.status, p.body)
	}
	if n := e.count(`SELECT COUNT(*) FROM pickup_point_closures`); n != 0 {
		t.Errorf("%d closures after a bad form, want 0", n)
	}
	if p := close("2026-12-01", "2026-12-03", "回老家"); p.status != 200 || !strings.Contains(p.body, "已设置 2026-12-01 至 2026-12-03 歇业") {
		t.Errorf("close = %d:\n%s", p.status, p.body)
	}
	if n := e.count(`SELECT COUNT(*) FROM pickup_point_closures`); n != 1 {
		t.Errorf("%d closures, want 1", n)
	}
	op := newBrowser(t, e.srv.URL)
	op.logIn("13900000001", "operator-pass")
	if p := op.post("/leader/closures", url.Values{"csrf": {op.get("/orders").csrf(t)}, "from": {"2026-12-05"}, "to": {"2026-12-06"}, "reason": {"x"}}); p.status != 403 {
		t.Errorf("an operator at the leader's closure form = %d, want 403", p.status)
	}
	customer := pageAs(e, sc.buyers[0])
	if p := customer.post("/leader/pickups", url.Values{"csrf": {customer.get("/orders").csrf(t)}, "key": {"k-1"}, "code": {"0000000000"}}); p.status != 403 {
		t.Errorf("a customer verifying a code = %d, want 403", p.status)
	}
	if n := e.count(`SELECT COUNT(*) FROM pickup_point_closures`); n != 1 {
		t.Errorf("%d closures after refused forms, want 1", n)
	}
}

// pageAs logs the API client's account in to the pages.
func pageAs(e *env, c *client) *browser {
	e.t.Helper()
	var me userView
	c.mustDo("GET", "/api/v1/me", nil, 200, &me)
	b := newBrowser(e.t, e.srv.URL)
	pw := "customer-pass"
	if me.Role != string(tuango.RoleCustomer) {
		pw = "operator-pass"
	}
	b.logIn(me.Phone, pw)
	return b
}

// The customer's order page shows the pickup code (owner only, once paid)
// with its QR, the timeline of the order's moves, and what was refunded;
// the inbox lists what they were told.
func TestOrderPageShowsThePickupCodeAndTimeline(t *testing.T) {
	e := newEnv(t)
	sc := newDayScene(e, true, true)
	leader := e.login(sc.leaderPhone)
	leader.mustDo("POST", "/api/v1/leader/deliveries/"+dayDate+"/sign", map[string]any{"lines": []map[string]any{{"deal_id": sc.deal, "received": 2, "damaged": 0}}}, 200, nil, "Idempotency-Key", newKey())
	if _, err := e.svc.DeliverNotifications(context.Background(), 100); err != nil {
		t.Fatal(err)
	}
	owner := pageAs(e, sc.buyers[0])
	p := owner.get("/orders/" + sc.orders[0].ID)
	for _, want := range []string{`data-pickup-code="` + sc.orders[0].PickupCode + `"`, "/orders/" + sc.orders[0].ID + "/pickup-code.png", ">已到达自提点<", "已确认（截单）", "已发货"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("order page lacks %q", want)
		}
	}
	if n := strings.Count(p.body, `<li class="done">`); n != 5 {
		t.Errorf("an arrived order's timeline has %d steps done, want 5 (ordered to arrived)", n)
	}
	png := owner.get("/orders/" + sc.orders[0].ID + "/pickup-code.png")
	if png.status != 200 || png.header.Get("Content-Type") != "image/png" || !strings.HasPrefix(png.body, "\x89PNG") {
		t.Errorf("the QR with the session = %d %s", png.status, png.header.Get("Content-Type"))
	}
	other := pageAs(e, sc.buyers[1])
	if p := other.get("/orders/" + sc.orders[0].ID + "/pickup-code.png"); p.status != 404 || strings.HasPrefix(p.body, "\x89PNG") {
		t.Errorf("another customer's QR = %d, want 404", p.status)
	}
	if p := newBrowser(t, e.srv.URL).get("/orders/" + sc.orders[0].ID + "/pickup-code.png"); p.status != 303 {
		t.Errorf("the QR without a session = %d, want a redirect to log in", p.status)
	}
	short := pageAs(e, sc.buyers[2])
	p = short.get("/orders/" + sc.orders[2].ID + "?lang=en")
	if !strings.Contains(p.body, `data-refunded-fen="1290"`) || !strings.Contains(p.body, "Refunded for what was short or damaged: ¥12.90") || !strings.Contains(p.body, ">Refunded<") || strings.Contains(p.body, "data-pickup-code") {
		t.Errorf("the refunded order's page:\n%s", p.body)
	}
	if p := short.get("/notifications"); !strings.Contains(p.body, "Short, refunded") || !strings.Contains(p.body, "with some goods short or damaged: ¥12.90 is refunded") {
		t.Errorf("inbox:\n%s", p.body)
	}
}

// A supplier sees its own purchase orders for a date, downloads them as
// CSV and XLSX and prints them; another supplier sees none, and other
// roles are refused.
func TestSupplierPurchaseOrdersPage(t *testing.T) {
	e := newEnv(t)
	sc := newDayScene(e, true, false)
	b := newBrowser(t, e.srv.URL)
	b.logIn(sc.supplierPhone, "operator-pass")
	p := b.get("/supplier") // tomorrow's, the delivery of tonight's cutoff
	if p.status != 200 || !strings.Contains(p.body, "2026-11-26 的采购单") || !strings.Contains(p.body, "鲜鸡蛋 15枚") || !strings.Contains(p.body, "¥9.80") || !strings.Contains(p.body, "合计 ¥29.40") {
		t.Fatalf("supplier page = %d:\n%s", p.status, p.body)
	}
	csv := b.get("/supplier/purchase-orders?date=" + dayDate + "&format=csv")
	if csv.status != 200 || !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") || !strings.Contains(csv.body, e.supplierID) || !strings.Contains(csv.header.Get("Content-Disposition"), "purchase-orders-2026-11-26.csv") {
		t.Errorf("CSV = %d %s:\n%s", csv.status, csv.header.Get("Content-Type"), csv.body)
	}
	if x := b.get("/supplier/purchase-orders?date=" + dayDate + "&format=xlsx"); x.status != 200 || !strings.HasPrefix(x.body, "PK") {
		t.Errorf("XLSX = %d %s", x.status, x.header.Get("Content-Type"))
	}
	if pr := b.get("/supplier/purchase-orders?date=" + dayDate + "&format=print&lang=en"); pr.status != 200 || !strings.Contains(pr.body, "@media print") || !strings.Contains(pr.body, "Purchase orders for 2026-11-26") {
		t.Errorf("print view = %d:\n%s", pr.status, pr.body)
	}
	if bad := b.get("/supplier/purchase-orders?date=" + dayDate + "&format=pdf"); bad.status != 400 || !strings.Contains(bad.header.Get("Content-Type"), "text/html") || !strings.Contains(bad.body, "There is no such format") {
		t.Errorf("format=pdf = %d %s:\n%s", bad.status, bad.header.Get("Content-Type"), bad.body)
	}
	other := pageAs(e, e.roleUser(tuango.RoleSupplier, "sup_other"))
	if p := other.get("/supplier?date=" + dayDate); p.status != 200 || strings.Contains(p.body, "鲜鸡蛋") {
		t.Errorf("another supplier's page = %d:\n%s", p.status, p.body)
	}
	if p := pageAs(e, sc.buyers[0]).get("/supplier/purchase-orders?date=" + dayDate + "&format=csv"); p.status != 403 {
		t.Errorf("a customer downloading = %d, want 403", p.status)
	}
	t.Run("the page's links keep its date", func(t *testing.T) {
		e.clock.Advance(24 * time.Hour) // the default date is now the day after the page's (the browser reads English since ?lang=en above)
		p := b.get("/supplier?date=" + dayDate)
		links := p.links("/supplier/purchase-orders?")
		if len(links) != 3 {
			t.Fatalf("download links = %q, want CSV, XLSX and print:\n%s", links, p.body)
		}
		if c := b.get(links[0]); c.status != 200 || !strings.Contains(c.header.Get("Content-Disposition"), "purchase-orders-"+dayDate+".csv") {
			t.Errorf("CSV (%s) = %d %q, want the page's date", links[0], c.status, c.header.Get("Content-Disposition"))
		}
		if x := b.get(links[1]); x.status != 200 || !strings.Contains(x.header.Get("Content-Disposition"), "purchase-orders-"+dayDate+".xlsx") {
			t.Errorf("XLSX (%s) = %d %q, want the page's date", links[1], x.status, x.header.Get("Content-Disposition"))
		}
		if pr := b.get(links[2]); pr.status != 200 || !strings.Contains(pr.body, "Purchase orders for "+dayDate) || !strings.Contains(pr.body, "鲜鸡蛋 15枚") {
			t.Errorf("print (%s) = %d, want the page's date:\n%s", links[2], pr.status, pr.body)
		}
	})
}

// The operator closes a city for a date, runs the cutoff and sees its
// summary and lists (each downloadable and printable), and dispatches the
// route; bad input is shown in the operator's language and writes
// nothing, and other roles are refused.
func TestOperatorRunsTheDay(t *testing.T) {
	e := newEnv(t)
	sc := newDayScene(e, false, false)
	b := newBrowser(t, e.srv.URL)
	b.logIn("13900000001", "operator-pass")
	q := "?city_id=" + e.cityID + "&date=" + dayDate
	day := b.get("/admin/day" + q)
	if day.status != 200 || !strings.Contains(day.body, "对 2026-11-26 截单") || !strings.Contains(day.body, "一号线") {
		t.Fatalf("day page = %d:\n%s", day.status, day.body)
	}
	csrf := day.csrf(t)

	if p := b.post("/admin/cities/"+e.cityID+"/closures", url.Values{"csrf": {csrf}, "date": {"2026-11-30"}, "reason": {""}}); p.status != 400 || !strings.Contains(p.body, "请填写休市原因") {
		t.Errorf("closing without a reason = %d:\n%s", p.status, p.body)
	}
	if n := e.count(`SELECT COUNT(*) FROM city_closures`); n != 0 {
		t.Errorf("%d city closures after a bad form, want 0", n)
	}
	if p := b.post("/admin/cities/"+e.cityID+"/closures", url.Values{"csrf": {csrf}, "date": {"2026-11-30"}, "reason": {"台风"}}); p.status != 200 || !strings.Contains(p.body, "已设置 2026-11-30 休市") {
		t.Errorf("close the city = %d:\n%s", p.status, p.body)
	}
	if p := b.get("/admin/day" + q); !strings.Contains(p.body, "2026-11-30: 台风") {
		t.Errorf("the calendar lacks the closure:\n%s", p.body)
	}

	if p := b.post("/admin/cutoffs", url.Values{"csrf": {csrf}, "city_id": {e.cityID}, "date": {"26/11/2026"}}); p.status != 400 || !strings.Contains(p.body, "请选择配送日期") {
		t.Errorf("a cutoff with a bad date = %d:\n%s", p.status, p.body)
	}
	if n := e.count(`SELECT COUNT(*) FROM cutoffs`); n != 0 {
		t.Errorf("%d cutoffs after a bad form, want 0", n)
	}
	p := b.post("/admin/cutoffs", url.Values{"csrf": {csrf}, "city_id": {e.cityID}, "date": {dayDate}})
	for _, want := range []string{`id="cutoff-summary"`, "<dd>3</dd>", "提前截单，操作人 运营", "望城蔬菜合作社", "枫林小区·张姐便利店", "/admin/lists/manifests?"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("after the cutoff the page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("%d:\n%s", p.status, p.body)
	}
	if again := b.post("/admin/cutoffs", url.Values{"csrf": {csrf}, "city_id": {e.cityID}, "date": {dayDate}}); again.status != 200 || !strings.Contains(again.body, `id="cutoff-summary"`) {
		t.Errorf("the cutoff again = %d", again.status)
	}
	for _, kind := range []string{"purchase-orders", "sorting-lists", "manifests"} { // the page's own links, as a browser follows them
		links := p.links("/admin/lists/" + kind + "?")
		if len(links) != 3 {
			t.Fatalf("%s links = %q, want CSV, XLSX and print", kind, links)
		}
		file := kind + "-" + e.cityID + "-" + dayDate
		if c := b.get(links[0]); c.status != 200 || !strings.HasPrefix(c.header.Get("Content-Type"), "text/csv") || !strings.Contains(c.header.Get("Content-Disposition"), file+".csv") {
			t.Errorf("%s CSV (%s) = %d %s %s", kind, links[0], c.status, c.header.Get("Content-Type"), c.header.Get("Content-Disposition"))
		}
		if x := b.get(links[1]); x.status != 200 || !strings.HasPrefix(x.body, "PK") || !strings.Contains(x.header.Get("Content-Disposition"), file+".xlsx") {
			t.Errorf("%s XLSX (%s) = %d %s", kind, links[1], x.status, x.header.Get("Content-Disposition"))
		}
		if pr := b.get(links[2]); pr.status != 200 || !strings.Contains(pr.body, "@media print") || !strings.Contains(pr.body, "鲜鸡蛋 15枚") {
			t.Errorf("%s print (%s) = %d:\n%s", kind, links[2], pr.status, pr.body)
		}
	}
	if p := b.post("/admin/routes/rte_1/dispatch", url.Values{"csrf": {csrf}, "city_id": {e.cityID}, "date": {"tomorrow"}}); p.status != 400 || !strings.Contains(p.body, "请选择配送日期") {
		t.Errorf("dispatch with a bad date = %d:\n%s", p.status, p.body)
	}
	// Sent twice with its key (a double click), the dispatch ships once and
	// both answers say what the first did.
	dispatch := url.Values{"csrf": {csrf}, "key": {formKeyOf(t, p, "/admin/routes/rte_1/dispatch")}, "city_id": {e.cityID}, "date": {dayDate}}
	first, again := b.post("/admin/routes/rte_1/dispatch", dispatch), b.post("/admin/routes/rte_1/dispatch", dispatch)
	if first.status != 200 || !strings.Contains(first.body, "3 个订单已发货") {
		t.Errorf("dispatch = %d:\n%s", first.status, first.body)
	}
	if again.status != first.status || again.body != first.body {
		t.Errorf("dispatch again = %d, want the first answer again:\n%s", again.status, again.body)
	}
	if n := e.count(`SELECT COUNT(*) FROM orders WHERE status = 'shipped'`); n != 3 {
		t.Errorf("%d orders shipped, want 3", n)
	}
	leader := pageAs(e, e.login(sc.leaderPhone))
	home := leader.get("/orders")
	if p := leader.post("/admin/cutoffs", url.Values{"csrf": {home.csrf(t)}, "city_id": {e.cityID}, "date": {"2026-11-27"}}); p.status != 403 {
		t.Errorf("a leader running a cutoff = %d, want 403", p.status)
	}
	if p := leader.post("/admin/routes/rte_1/dispatch", url.Values{"csrf": {home.csrf(t)}, "city_id": {e.cityID}, "date": {dayDate}}); p.status != 403 {
		t.Errorf("a leader dispatching = %d, want 403", p.status)
	}
	if p := leader.post("/admin/cities/"+e.cityID+"/closures", url.Values{"csrf": {home.csrf(t)}, "date": {"2026-12-01"}, "reason": {"x"}}); p.status != 403 {
		t.Errorf("a leader closing the city = %d, want 403", p.status)
	}
	if n := e.count(`SELECT COUNT(*) FROM city_closures`); n != 1 {
		t.Errorf("%d city closures after refused forms, want 1", n)
	}
	if p := leader.get("/admin/lists/manifests" + q + "&format=csv"); p.status != 403 {
		t.Errorf("a leader downloading a manifest = %d, want 403", p.status)
	}
}

// The day page refuses a date that is not one or a city that does not
// exist, in the operator's language, and offers nothing to run for it.
func TestOperatorDayRefusesABadCityOrDate(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t, e.srv.URL)
	b.logIn("13900000001", "operator-pass")
	for _, c := range []struct {
		name, query string
		status      int
		want        string
	}{
		{"a month that does not exist", "city_id=" + e.cityID + "&date=2026-99-01", 400, "这不是有效的日期"},
		{"a day that does not exist", "city_id=" + e.cityID + "&date=2026-02-30", 400, "这不是有效的日期"},
		{"not a date", "city_id=" + e.cityID + "&date=tomorrow", 400, "这不是有效的日期"},
		{"an unknown city", "city_id=bogus&date=2026-12-04", 404, "没有这个城市"},
		{"both, the date first", "city_id=bogus&date=2026-99-01", 400, "这不是有效的日期"},
		{"in English", "city_id=bogus&date=2026-12-04&lang=en", 404, "There is no such city"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := b.get("/admin/day?" + c.query)
			if p.status != c.status || !strings.Contains(p.body, `id="day-error"`) || !strings.Contains(p.body, c.want) ||
				strings.Contains(p.body, `action="/admin/cutoffs"`) || strings.Contains(p.body, "/closures") || strings.Contains(p.body, "/dispatch") {
				t.Errorf("GET /admin/day?%s = %d, want %d saying %q with no form to run:\n%s", c.query, p.status, c.status, c.want, p.body)
			}
		})
	}
	b.get("/admin/day?lang=zh")
	if p := b.get("/admin/day?city_id=" + e.cityID + "&date=2026-12-04"); p.status != 200 || strings.Contains(p.body, `id="day-error"`) || !strings.Contains(p.body, "对 2026-12-04 截单") {
		t.Errorf("a good city and date = %d:\n%s", p.status, p.body)
	}
}
