package web

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"tuango/internal/tuango"
)

// The API round-trips a deal's flash flag, in the operator's and the
// customer's views, and a flash deal's order expires after the flash
// timeout while a normal one's waits the order timeout.
func TestFlashDealThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	normal := e.newDeal(10, 5, 990)
	var d dealView
	e.operator.mustDo("POST", "/api/v1/admin/deals", []byte(dealBody(e, `"flash":true`)), 201, &d)
	if !d.Flash {
		t.Fatalf("created with flash true, answered %+v", d)
	}
	if !e.deal(d.ID).Flash {
		t.Fatal("created with flash true, stored false")
	}
	var got dealView
	e.operator.mustDo("GET", "/api/v1/admin/deals/"+d.ID, nil, 200, &got)
	if !got.Flash {
		t.Errorf("GET admin deal: flash = false, want true")
	}
	var list struct{ Items []dealView }
	e.customer().mustDo("GET", "/api/v1/deals?pickup_point_id="+e.ppID, nil, 200, &list)
	seen := map[string]bool{}
	for _, v := range list.Items {
		seen[v.ID] = v.Flash
	}
	if f, ok := seen[d.ID]; !ok || !f {
		t.Errorf("the customer's deal list shows the flash deal as flash=%v (listed %v), want true", f, ok)
	}
	if seen[normal] {
		t.Errorf("the customer's deal list shows the normal deal as flash")
	}

	c := e.customer()
	for _, tc := range []struct {
		deal string
		want time.Duration
	}{{normal, tuango.DefaultOrderTimeout}, {d.ID, tuango.DefaultFlashOrderTimeout}} {
		o := c.mustOrder(tc.deal, 1)
		created, err1 := time.Parse(time.RFC3339Nano, o.CreatedAt)
		expires, err2 := time.Parse(time.RFC3339Nano, o.ExpiresAt)
		if err1 != nil || err2 != nil {
			t.Fatalf("order times %q, %q: %v %v", o.CreatedAt, o.ExpiresAt, err1, err2)
		}
		if got := expires.Sub(created); got != tc.want {
			t.Errorf("order of %s expires %s after creation, want %s", tc.deal, got, tc.want)
		}
	}

	var patched dealView
	e.operator.mustDo("PATCH", "/api/v1/admin/deals/"+d.ID, map[string]any{"flash": false}, 200, &patched)
	if patched.Flash || e.deal(d.ID).Flash {
		t.Errorf("PATCH flash false: answered %v, stored %v; want false", patched.Flash, e.deal(d.ID).Flash)
	}
	e.operator.mustDo("PATCH", "/api/v1/admin/deals/"+d.ID, map[string]any{"title": "改名"}, 200, &patched)
	e.operator.mustDo("PATCH", "/api/v1/admin/deals/"+d.ID, map[string]any{"flash": true}, 200, &patched)
	e.operator.mustDo("PATCH", "/api/v1/admin/deals/"+d.ID, map[string]any{"title": "再改名"}, 200, &patched)
	if !patched.Flash {
		t.Errorf("a PATCH without flash turned it off")
	}
}

// The deal editor's 秒杀 box shows the flag, saves it checked and
// unchecked, and says in the operator's language what it does.
func TestDealEditorSavesTheFlashBox(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(10, 5, 990)
	b := newBrowser(t, e.srv.URL)
	b.logIn("13900000001", "operator-pass")
	checked := `name="flash" value="1" style="width:auto" aria-describedby="flash-hint" checked`
	page := b.get("/admin/deals/" + deal)
	if page.status != 200 || !strings.Contains(page.body, `name="flash"`) || strings.Contains(page.body, checked) {
		t.Fatalf("editor of a normal deal = %d, want an unchecked flash box:\n%s", page.status, page.body)
	}
	for _, want := range []string{"秒杀", "只占库存 5 分钟（其他团购 15 分钟）"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the editor lacks %q", want)
		}
	}
	if en := b.get("/admin/deals/" + deal + "?lang=en"); !strings.Contains(en.body, "Flash deal") || !strings.Contains(en.body, "holds its stock for 5 minutes (other deals: 15)") {
		t.Errorf("the English editor lacks the flash box or its hint")
	}
	form := func(p page_, flash bool) url.Values {
		v := url.Values{"csrf": {p.csrf(t)}}
		for _, f := range []string{"title", "price", "list_price", "stock", "limit", "sale_starts_at", "sale_ends_at", "delivery_date"} {
			m := regexp.MustCompile(`name="` + f + `" type="[^"]*" value="([^"]*)"`).FindStringSubmatch(p.body)
			if m == nil {
				t.Fatalf("the editor has no field %s", f)
			}
			v.Set(f, html.UnescapeString(m[1]))
		}
		d := e.deal(deal)
		v.Set("product_id", d.ProductID)
		v.Set("city_id", d.CityID)
		if flash {
			v.Set("flash", "1")
		}
		return v
	}
	for _, flash := range []bool{true, false, true} {
		p := b.post("/admin/deals/"+deal, form(page, flash))
		if p.status != 303 {
			t.Fatalf("save with flash %v = %d:\n%s", flash, p.status, p.body)
		}
		if got := e.deal(deal).Flash; got != flash {
			t.Fatalf("saved with the box %v, stored %v", flash, got)
		}
		page = b.get("/admin/deals/" + deal)
		if strings.Contains(page.body, checked) != flash {
			t.Fatalf("after saving with the box %v the editor shows it checked=%v", flash, !flash)
		}
	}
	// A new deal published with the box is a flash deal.
	neu := b.get("/admin/deals/new")
	v := form(neu, true)
	v.Set("title", "【秒杀】鸡蛋")
	v.Set("price", "9.90")
	v.Set("list_price", "19.90")
	if p := b.post("/admin/deals", v); p.status != 303 {
		t.Fatalf("publish = %d:\n%s", p.status, p.body)
	}
	if n := e.count(`SELECT COUNT(*) FROM deals WHERE title = ? AND flash`, "【秒杀】鸡蛋"); n != 1 {
		t.Errorf("flash deals titled 【秒杀】鸡蛋 = %d, want 1", n)
	}
}

// Once a city's cutoff for a date has begun, the deal editor and the API
// refuse a deal on sale for that date, saying why and what to do, and the
// editor keeps what was typed; the next date is fine.
func TestDealEditorRefusesADateCutOff(t *testing.T) {
	e := newEnv(t)
	e.newDeal(10, 5, 1290)
	e.operator.mustDo("POST", "/api/v1/admin/cutoffs", map[string]any{"city_id": e.cityID, "delivery_date": "2026-11-26"}, 200, nil)
	body := func(delivery string) map[string]any {
		return map[string]any{"product_id": e.productID, "city_id": e.cityID, "price_fen": 990, "list_price_fen": 1990, "stock": 10, "limit_per_customer": 2,
			"sale_starts_at": testStart.Add(-time.Hour).Format(time.RFC3339), "sale_ends_at": "2026-11-25T22:00:00+08:00", "delivery_date": delivery}
	}
	r := e.operator.do("POST", "/api/v1/admin/deals", body("2026-11-26"))
	if p := r.problem(); r.status != 409 || p.Code != tuango.CodeCutoffPassed || p.Field != "delivery_date" {
		t.Errorf("POST a deal for a date cut off = %d %s, want 409 cutoff_passed on delivery_date", r.status, r.body)
	}

	b := newBrowser(t, e.srv.URL)
	b.logIn("13900000001", "operator-pass")
	neu := b.get("/admin/deals/new")
	v := url.Values{"csrf": {neu.csrf(t)}, "product_id": {e.productID}, "city_id": {e.cityID}, "title": {"晚到的白菜"}, "price": {"9.90"}, "list_price": {"19.90"},
		"stock": {"10"}, "limit": {"2"}, "sale_starts_at": {"2026-11-25T09:00"}, "sale_ends_at": {"2026-11-25T22:00"}, "delivery_date": {"2026-11-26"}}
	p := b.post("/admin/deals", v)
	for _, want := range []string{"2026-11-26 的截单已经开始", "请选择更晚的取货日期", `value="晚到的白菜"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the editor refusing a date cut off lacks %q", want)
		}
	}
	if p.status != 409 || t.Failed() {
		t.Fatalf("publish for a date cut off = %d:\n%s", p.status, p.body)
	}
	if n := e.count(`SELECT COUNT(*) FROM deals WHERE title = ?`, "晚到的白菜"); n != 0 {
		t.Errorf("%d deals saved for a date cut off, want 0", n)
	}
	v.Set("delivery_date", "2026-11-27")
	v.Set("sale_ends_at", "2026-11-26T22:00")
	if p := b.post("/admin/deals", v); p.status != 303 {
		t.Errorf("publish for the next date = %d:\n%s", p.status, p.body)
	}
}

// A new deal whose sale would already be over, or whose price is past
// what tuango takes, is refused with a message that says so.
func TestDealEditorRefusesAPastSaleAndAHugePrice(t *testing.T) {
	e := newEnv(t)
	r := e.operator.do("POST", "/api/v1/admin/deals", map[string]any{"product_id": e.productID, "city_id": e.cityID, "price_fen": 990, "list_price_fen": 1990,
		"stock": 10, "limit_per_customer": 2, "sale_starts_at": testStart.Add(-3 * time.Hour).Format(time.RFC3339), "sale_ends_at": testStart.Add(-time.Hour).Format(time.RFC3339),
		"delivery_date": "2026-11-26"})
	if p := r.problem(); r.status != 400 || p.Field != "sale_ends_at" {
		t.Errorf("POST a deal whose sale is over = %d %s, want 400 on sale_ends_at", r.status, r.body)
	}
	b := newBrowser(t, e.srv.URL)
	b.logIn("13900000001", "operator-pass")
	neu := b.get("/admin/deals/new")
	v := url.Values{"csrf": {neu.csrf(t)}, "product_id": {e.productID}, "city_id": {e.cityID}, "title": {"过期的白菜"}, "price": {"9.90"}, "list_price": {"19.90"},
		"stock": {"10"}, "limit": {"2"}, "sale_starts_at": {"2026-11-25T06:00"}, "sale_ends_at": {"2026-11-25T09:00"}, "delivery_date": {"2026-11-26"}}
	if p := b.post("/admin/deals", v); p.status != 400 || !strings.Contains(p.body, "截单时间已经过去") {
		t.Errorf("publish with the sale over = %d, want 400 saying the cutoff has passed:\n%s", p.status, p.body)
	}
	v.Set("sale_ends_at", "2026-11-25T22:00")
	v.Set("price", "99999999999")
	if p := b.post("/admin/deals", v); p.status != 400 || !strings.Contains(p.body, "0.01 至 1 亿元之间") {
		t.Errorf("publish with a price of 99999999999 = %d, want 400 giving the range:\n%s", p.status, p.body)
	}
	if n := e.count(`SELECT COUNT(*) FROM deals WHERE title = ?`, "过期的白菜"); n != 0 {
		t.Errorf("%d deals saved, want 0", n)
	}
}
