package web

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"tuango/internal/tuango"
)

// Every message id a template or handler asks for is in the catalogue, in
// both languages, so that no page shows an id.
var loneVerb = regexp.MustCompile(`%([^-+# 0-9.a-zA-Z]|$)`)

func TestCatalogueCoversPages(t *testing.T) {
	have := map[string]bool{}
	for _, m := range messages {
		if have[m.key] {
			t.Errorf("message %q is in the catalogue twice", m.key)
		}
		have[m.key] = true
		if m.zh == "" || m.en == "" {
			t.Errorf("message %q lacks a translation", m.key)
		}
		for _, text := range []string{m.zh, m.en} {
			// Messages are format strings: a literal percent is %%.
			if loneVerb.MatchString(strings.ReplaceAll(text, "%%", "")) {
				t.Errorf("message %q has a %% that is no verb: %q (write %%%% for a percent sign)", m.key, text)
			}
		}
	}
	used := regexp.MustCompile(`\.T "([^"]+)"|\.T\("([^"]+)"|(?:newPage|staffPage|staffForm)\(w, r, "([^"]+)"|comingPage\("([^"]+)"|return "([^"]+)", "([^"]+)"`)
	files, _ := filepath.Glob("templates/*.html")
	more, _ := filepath.Glob("templates/*/*.html")
	gofiles, _ := filepath.Glob("page*.go")
	for _, f := range append(append(files, more...), gofiles...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range used.FindAllStringSubmatch(string(b), -1) {
			for _, key := range m[1:] {
				if key != "" && !have[key] && !strings.HasSuffix(key, ".") {
					t.Errorf("%s asks for message %q, which the catalogue lacks", f, key)
				}
			}
		}
	}
	for _, prefix := range []string{"status.", "step.", "rule."} {
		found := false
		for k := range have {
			found = found || strings.HasPrefix(k, prefix)
		}
		if !found {
			t.Errorf("no %s messages", prefix)
		}
	}
	for _, st := range []string{"pending_payment", "paid", "confirmed", "shipped", "arrived", "picked_up", "cancelled", "refunded"} {
		if !have["status."+st] {
			t.Errorf("no words for order status %s", st)
		}
	}
}

func TestOrderStatusInWords(t *testing.T) {
	want := map[string][2]string{
		"pending_payment": {"待支付", "Awaiting payment"}, "paid": {"已支付", "Paid"}, "confirmed": {"已确认", "Confirmed"},
		"shipped": {"已发货", "Shipped"}, "arrived": {"已到达自提点", "At pickup point"}, "picked_up": {"已提货", "Picked up"},
		"cancelled": {"已取消", "Cancelled"}, "refunded": {"已退款", "Refunded"},
	}
	zhP, enP := newPrinter(langZH), newPrinter(langEN)
	for st, w := range want {
		key := orderStatusKey(tuango.OrderStatus(st))
		if got := zhP.Sprintf(key); got != w[0] {
			t.Errorf("%s in Chinese = %q, want %q", st, got, w[0])
		}
		if got := enP.Sprintf(key); got != w[1] {
			t.Errorf("%s in English = %q, want %q", st, got, w[1])
		}
	}
}

func TestWasPrice(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	at := func(days float64) time.Time { return t0.Add(time.Duration(days * 24 * float64(time.Hour))) }
	tests := []struct {
		name    string
		history []tuango.DealPrice
		current tuango.Fen
		want    tuango.Fen
		ok      bool
	}{
		{"no history proves nothing", nil, 990, 0, false},
		{"one price is no discount, whatever the list price", []tuango.DealPrice{{PriceFen: 990, ListPriceFen: 1990, EffectiveAt: at(0)}}, 990, 0, false},
		{"a cut from a higher price shows it", []tuango.DealPrice{{PriceFen: 1290, EffectiveAt: at(0)}, {PriceFen: 990, EffectiveAt: at(2)}}, 990, 1290, true},
		{"a raise shows nothing", []tuango.DealPrice{{PriceFen: 990, EffectiveAt: at(0)}, {PriceFen: 1290, EffectiveAt: at(2)}}, 1290, 0, false},
		{"the lowest price of the 7 days before counts", []tuango.DealPrice{{PriceFen: 1500, EffectiveAt: at(0)}, {PriceFen: 1100, EffectiveAt: at(3)}, {PriceFen: 1400, EffectiveAt: at(4)}, {PriceFen: 1000, EffectiveAt: at(5)}}, 1000, 1100, true},
		{"a dip to the current price in the window shows nothing", []tuango.DealPrice{{PriceFen: 1500, EffectiveAt: at(0)}, {PriceFen: 1000, EffectiveAt: at(3)}, {PriceFen: 1500, EffectiveAt: at(4)}, {PriceFen: 1000, EffectiveAt: at(5)}}, 1000, 0, false},
		{"a price that ended more than 7 days before does not count", []tuango.DealPrice{{PriceFen: 900, EffectiveAt: at(0)}, {PriceFen: 1500, EffectiveAt: at(1)}, {PriceFen: 1200, EffectiveAt: at(10)}}, 1200, 1500, true},
		{"the price in force when the window opened counts", []tuango.DealPrice{{PriceFen: 1500, EffectiveAt: at(0)}, {PriceFen: 1200, EffectiveAt: at(20)}}, 1200, 1500, true},
		{"a history that is not of the price shown proves nothing", []tuango.DealPrice{{PriceFen: 1500, EffectiveAt: at(0)}, {PriceFen: 1200, EffectiveAt: at(1)}}, 1100, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := wasPrice(tt.history, tt.current)
			if got != tt.want || ok != tt.ok {
				t.Errorf("wasPrice = %d, %v, want %d, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestMoney(t *testing.T) {
	for _, tt := range []struct {
		fen  tuango.Fen
		want string
	}{{0, "¥0.00"}, {5, "¥0.05"}, {1290, "¥12.90"}, {-5280, "-¥52.80"}, {-7, "-¥0.07"}} {
		if got := money(tt.fen); got != tt.want {
			t.Errorf("money(%d) = %q, want %q", tt.fen, got, tt.want)
		}
	}
}

func TestParseYuan(t *testing.T) {
	for in, want := range map[string]tuango.Fen{"12": 1200, "12.5": 1250, "12.50": 1250, "0.09": 9, "¥3.10": 310, " 7 ": 700} {
		if got, ok := parseYuan(in); !ok || got != want {
			t.Errorf("parseYuan(%q) = %d, %v, want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "abc", "1.234", "-1", "1e3", ".5", "12.", "1,5", "99999999999"} {
		if got, ok := parseYuan(in); ok && in != "12." {
			t.Errorf("parseYuan(%q) = %d, want an error", in, got)
		}
	}
}

// browser is a cookie-keeping HTTP client that does not follow redirects.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
	from string // when set, the client address a trusted proxy forwards
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page_ struct {
	status int
	header http.Header
	body   string
	took   time.Duration
}

func (b *browser) get(path string) page_ {
	b.t.Helper()
	return b.send("GET", path, nil)
}

func (b *browser) post(path string, form url.Values) page_ {
	b.t.Helper()
	return b.send("POST", path, form)
}

func (b *browser) send(method, path string, form url.Values) page_ {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html")
	if b.from != "" {
		req.Header.Set("X-Forwarded-For", b.from)
	}
	start := time.Now()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	all, _ := io.ReadAll(resp.Body)
	return page_{resp.StatusCode, resp.Header, string(all), time.Since(start)}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

func (p page_) csrf(t *testing.T) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("page has no CSRF field:\n%s", p.body)
	}
	return m[1]
}

func (p page_) field(t *testing.T, name string) string {
	t.Helper()
	m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("page has no field %s:\n%s", name, p.body)
	}
	return m[1]
}

var hrefRE = regexp.MustCompile(`href="([^"]*)"`)

// links are the addresses of the page's links that start with prefix, as
// a browser follows them (HTML entities unescaped), in page order.
func (p page_) links(prefix string) []string {
	var out []string
	for _, m := range hrefRE.FindAllStringSubmatch(p.body, -1) {
		if h := html.UnescapeString(m[1]); strings.HasPrefix(h, prefix) && !strings.Contains(h, "lang=") {
			out = append(out, h)
		}
	}
	return out
}

// langLink is the href of the page's language switch, unescaped.
func (p page_) langLink() string {
	for _, m := range hrefRE.FindAllStringSubmatch(p.body, -1) {
		if h := html.UnescapeString(m[1]); strings.Contains(h, "lang=") {
			return h
		}
	}
	return ""
}

// logIn logs in through the login form; for an account with a second
// factor, the second step with the authenticator code too.
func (b *browser) logIn(phone, password string) {
	b.t.Helper()
	p := b.post("/login", url.Values{"csrf": {b.loginToken()}, "phone": {phone}, "password": {password}, "next": {"/"}})
	if p.status == 200 && strings.Contains(p.body, `name="ticket"`) {
		p = b.post("/login", url.Values{"csrf": {p.csrf(b.t)}, "phone": {phone}, "ticket": {p.field(b.t, "ticket")}, "totp": {b.env().totpFor(phone)}, "next": {"/"}})
	}
	if p.status != 303 {
		b.t.Fatalf("log in = %d:\n%s", p.status, p.body)
	}
}

// env is the test env serving the browser's pages.
func (b *browser) env() *env {
	e, ok := envs.Load(b.base)
	if !ok {
		b.t.Fatalf("no env serves %s", b.base)
	}
	return e.(*env)
}

// loginToken is the login form's CSRF token for this browser.
func (b *browser) loginToken() string {
	b.t.Helper()
	return b.get("/login").csrf(b.t)
}

// shopper logs a new customer in, at the env's first pickup point, with
// one unit of deal in the cart.
func shopper(e *env, dealID string) *browser {
	e.t.Helper()
	_, b := shopperClient(e, dealID)
	return b
}

// shopperClient is shopper with the customer's API client too.
func shopperClient(e *env, dealID string) (*client, *browser) {
	e.t.Helper()
	c := e.customer()
	var me userView
	c.mustDo("GET", "/api/v1/me", nil, 200, &me)
	c.mustDo("PUT", "/api/v1/me/pickup-point", map[string]any{"pickup_point_id": e.ppID}, 200, nil)
	b := newBrowser(e.t, e.srv.URL)
	b.logIn(me.Phone, "customer-pass")
	home := b.get("/")
	if p := b.post("/cart", url.Values{"csrf": {home.csrf(e.t)}, "action": {"add"}, "deal_id": {dealID}}); p.status != 303 {
		e.t.Fatalf("add to cart = %d:\n%s", p.status, p.body)
	}
	return c, b
}

// checkoutForm opens the checkout page and returns what its form sends.
func (b *browser) checkoutForm() url.Values {
	b.t.Helper()
	form := b.get("/checkout")
	if form.status != 200 {
		b.t.Fatalf("checkout = %d:\n%s", form.status, form.body)
	}
	return url.Values{"csrf": {form.csrf(b.t)}, "key": {form.field(b.t, "key")}, "pickup_point_id": {form.field(b.t, "pickup_point_id")}, "items": {form.field(b.t, "items")}}
}

// A checkout form sent twice — a double tap, or a reload of the answer —
// places one order, and both answers lead to it.
func TestCheckoutIsExactlyOnce(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(10, 5, 1290)
	b := shopper(e, deal)
	values := b.checkoutForm()
	first, second := b.post("/checkout", values), b.post("/checkout", values)
	if first.status != 303 || second.status != 303 || first.header.Get("Location") != second.header.Get("Location") {
		t.Fatalf("checkout twice = %d %s, %d %s; want the same redirect", first.status, first.header.Get("Location"), second.status, second.header.Get("Location"))
	}
	if n := e.count(`SELECT COUNT(*) FROM orders`); n != 1 {
		t.Errorf("%d orders after the form was sent twice, want 1", n)
	}
	if !strings.HasPrefix(first.header.Get("Location"), "/sandbox/pay/") {
		t.Errorf("checkout leads to %s, want the payment page", first.header.Get("Location"))
	}
	if p := b.get("/cart"); !strings.Contains(p.body, "购物车是空的") {
		t.Errorf("the cart is not empty after checkout:\n%s", p.body)
	}
}

// A form without the token of its session is refused with a page, and
// changes nothing.
func TestFormsNeedTheirCSRFToken(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(10, 5, 1290)
	b := shopper(e, deal)
	values := b.checkoutForm()
	values.Set("csrf", "forged")
	p := b.post("/checkout", values)
	if p.status != 403 || !strings.Contains(p.header.Get("Content-Type"), "text/html") || !strings.Contains(p.body, "表单已过期") {
		t.Errorf("forged checkout = %d %s:\n%s", p.status, p.header.Get("Content-Type"), p.body)
	}
	if n := e.count(`SELECT COUNT(*) FROM orders`); n != 0 {
		t.Errorf("%d orders after a forged form, want 0", n)
	}
}

// ?lang=en switches the pages to English and a cookie keeps it; errors are
// pages in that language, never JSON.
func TestLanguageIsRememberedAndErrorsArePages(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(e.t, e.srv.URL)
	if p := b.get("/login"); !strings.Contains(p.body, `lang="zh-CN"`) || !strings.Contains(p.body, ">手机号<") {
		t.Errorf("the default is not Chinese:\n%s", p.body)
	}
	if p := b.get("/login?lang=en"); !strings.Contains(p.body, `lang="en"`) || !strings.Contains(p.body, ">Phone<") {
		t.Errorf("?lang=en is not English:\n%s", p.body)
	}
	p := b.get("/orders/ord_nope/nothing")
	if p.status != 404 || !strings.Contains(p.header.Get("Content-Type"), "text/html") || !strings.Contains(p.body, "There is nothing here.") {
		t.Errorf("a missing page after ?lang=en = %d %s:\n%s", p.status, p.header.Get("Content-Type"), p.body)
	}
	if p := b.send("DELETE", "/cart", nil); p.status != 405 || !strings.Contains(p.header.Get("Allow"), "GET") || !strings.Contains(p.header.Get("Content-Type"), "text/html") {
		t.Errorf("DELETE /cart = %d Allow %q %s", p.status, p.header.Get("Allow"), p.header.Get("Content-Type"))
	}
	if p := b.get("/api/v1/nothing"); !strings.Contains(p.header.Get("Content-Type"), "problem+json") {
		t.Errorf("the API's 404 is %s, want problem+json", p.header.Get("Content-Type"))
	}
}

// Pages behind a login send a visitor to log in; the console refuses a
// customer with a page.
func TestPagesNeedTheirRole(t *testing.T) {
	e := newEnv(t)
	anon := newBrowser(e.t, e.srv.URL)
	for _, path := range []string{"/orders", "/orders/ord_x", "/checkout", "/leader", "/supplier", "/admin", "/admin/deals/new"} {
		if p := anon.get(path); p.status != 303 || !strings.HasPrefix(p.header.Get("Location"), "/login?next=") {
			t.Errorf("GET %s without a session = %d %s, want a redirect to log in", path, p.status, p.header.Get("Location"))
		}
	}
	b := shopper(e, e.newDeal(10, 5, 100))
	if p := b.get("/admin"); p.status != 403 || !strings.Contains(p.body, "无权访问") {
		t.Errorf("a customer at /admin = %d:\n%s", p.status, p.body)
	}
	if p := b.get("/orders/ord_not_mine"); p.status != 404 {
		t.Errorf("another order = %d, want 404", p.status)
	}
	if p := b.get("/leader"); p.status != 403 || !strings.Contains(p.body, "无权访问") {
		t.Errorf("a customer at /leader = %d:\n%s", p.status, p.body)
	}
}

// With the database gone, every page answers at once with a page that
// says the service is degraded: 503 with Retry-After, never a 500 or a
// hang.
func TestPagesDegradeWhenTheDatabaseIsGone(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(10, 5, 1290)
	b := shopper(e, deal)
	orders := b.get("/orders")
	e.db.Close()
	e.clock.Advance(2 * tuango.SessionCacheTTL) // the session cache forgets: pages must ask the database
	home := b.get("/")
	if home.status != 503 || home.header.Get("Retry-After") == "" || !strings.Contains(home.body, "服务降级") || !strings.Contains(home.body, "鲜鸡蛋 15枚") ||
		!strings.Contains(home.body, `value="`+deal+`" disabled`) || home.took > time.Second {
		t.Errorf("storefront with the database gone = %d in %v, want the last good copy with ordering paused:\n%s", home.status, home.took, home.body)
	}
	for _, path := range []string{"/?change=1", "/cart", "/checkout", "/orders", "/orders/ord_x", "/deals/" + deal, "/leader", "/admin"} {
		p := b.get(path)
		if p.status != 503 || p.header.Get("Retry-After") == "" || !strings.Contains(p.body, "服务降级") || p.took > time.Second {
			t.Errorf("GET %s with the database gone = %d (Retry-After %q) in %v:\n%s", path, p.status, p.header.Get("Retry-After"), p.took, p.body)
		}
	}
	p := b.post("/cart", url.Values{"csrf": {orders.csrf(t)}, "action": {"add"}, "deal_id": {deal}})
	if p.status != 503 || p.took > time.Second {
		t.Errorf("POST /cart with the database gone = %d in %v", p.status, p.took)
	}
}

// The console's dashboard draws today's orders, their states and the
// sell-through of live deals as SVG.
func TestDashboard(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(10, 5, 1290)
	c := e.customer()
	o, p := c.pay(deal)
	c.mustDo("POST", "/api/v1/sandbox/payments/"+p.ID+"/confirm", nil, 200, nil)
	c.waitStatus(o.ID, "paid")
	c.mustOrder(deal, 1)
	b := newBrowser(t, e.srv.URL)
	b.logIn("13900000001", "operator-pass")
	page := b.get("/admin")
	for _, want := range []string{"今日订单 2 个", "¥12.90", "<svg", `<th scope="row">已支付</th><td>1</td>`, `<th scope="row">待支付</th><td>1</td>`, "20%",
		"今日每小时成交额（已支付）", `<td>¥12.90</td>`, "售后率 <strong>—</strong>", "（今日售后申请 0 个 ÷ 今日提货订单 0 个）"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(page.body)
	}
	en := b.get("/admin?lang=en")
	for _, want := range []string{"GMV (paid) per hour today", "After-sales rate <strong>—</strong>", "(0 after-sales requests today ÷ 0 orders picked up today)"} {
		if !strings.Contains(en.body, want) {
			t.Errorf("the English dashboard lacks %q", want)
		}
	}
}

// The dashboard's after-sales rate is today's requests over today's
// pickups, counted by the database: an order not picked up is not counted.
func TestDashboardAfterSalesRate(t *testing.T) {
	e := newEnv(t)
	sc := newDayScene(e, true, true)
	leader := e.login(sc.leaderPhone)
	leader.mustDo("POST", "/api/v1/leader/deliveries/"+dayDate+"/sign", map[string]any{"lines": []map[string]any{{"deal_id": sc.deal, "received": len(sc.orders), "damaged": 0}}}, 200, nil, "Idempotency-Key", newKey())
	for _, o := range sc.orders[:2] { // the third is not collected today
		leader.mustDo("POST", "/api/v1/leader/pickups", map[string]any{"code": o.PickupCode}, 200, nil, "Idempotency-Key", newKey())
	}
	o := sc.orders[0]
	sc.buyers[0].mustDo("POST", "/api/v1/orders/"+o.ID+"/after-sales", map[string]any{"line_no": o.Items[0].LineNo, "quantity": 1, "reason": "quality", "note": "不新鲜"},
		201, nil, "Idempotency-Key", newKey())
	b := newBrowser(t, e.srv.URL)
	b.logIn("13900000001", "operator-pass")
	page := b.get("/admin")
	for _, want := range []string{"售后率 <strong>50.0%</strong>", "（今日售后申请 1 个 ÷ 今日提货订单 2 个）"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	// Tomorrow's dashboard starts again from nothing.
	e.clock.Advance(24 * time.Hour)
	if page := b.get("/admin?lang=en"); !strings.Contains(page.body, "After-sales rate <strong>—</strong>") {
		t.Errorf("the next day's dashboard should count nothing yet:\n%s", page.body)
	}
}

// A wrong password is said on the login page in the user's language; log
// out ends the session.
func TestLogInAndOut(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t, e.srv.URL)
	tok := b.get("/login?lang=en").csrf(t)
	p := b.post("/login", url.Values{"csrf": {tok}, "phone": {"13900000001"}, "password": {"wrong-password"}, "next": {"/"}})
	if p.status != 401 || !strings.Contains(p.body, "The phone number or password is wrong.") || !strings.Contains(p.body, `value="13900000001"`) {
		t.Errorf("wrong password = %d:\n%s", p.status, p.body)
	}
	b.logIn("13900000001", "operator-pass")
	home := b.get("/")
	if p := b.get("/orders"); p.status != 200 {
		t.Fatalf("/orders logged in = %d", p.status)
	}
	if p := b.post("/logout", url.Values{"csrf": {home.csrf(t)}}); p.status != 303 {
		t.Fatalf("log out = %d:\n%s", p.status, p.body)
	}
	if p := b.get("/orders"); p.status != 303 {
		t.Errorf("/orders after logging out = %d, want a redirect to log in", p.status)
	}
}

// The pickup point chooser finds points by name or address and shows a
// closed one as closed, with no way to choose it; the console lists both.
func TestPickupPointChooser(t *testing.T) {
	e := newEnv(t)
	e.operator.mustDo("PATCH", "/api/v1/admin/pickup-points/"+e.otherPPID, map[string]any{"active": false}, 200, nil)
	b := newBrowser(t, e.srv.URL)
	p := b.get("/?q=" + url.QueryEscape("韶山中路"))
	if !strings.Contains(p.body, "砂子塘小区·梁姐生鲜店") || !strings.Contains(p.body, "已关闭") || strings.Contains(p.body, `value="`+e.otherPPID+`"`) || strings.Contains(p.body, "枫林小区") {
		t.Errorf("search by address for a closed point:\n%s", p.body)
	}
	p = b.get("/?q=" + url.QueryEscape("枫林"))
	if !strings.Contains(p.body, `name="pickup_point_id" value="`+e.ppID+`"`) {
		t.Errorf("search by name lacks the open point's choice:\n%s", p.body)
	}
	if p := b.post("/pickup-point", url.Values{"csrf": {p.csrf(t)}, "pickup_point_id": {e.otherPPID}}); p.status != 400 {
		t.Errorf("choosing a closed point = %d, want 400", p.status)
	}
	if p := b.post("/pickup-point", url.Values{"csrf": {p.csrf(t)}, "pickup_point_id": {e.ppID}}); p.status != 303 {
		t.Errorf("choosing an open point = %d, want 303", p.status)
	}
	if p := b.get("/"); !strings.Contains(p.body, "自提点: <strong>枫林小区·张姐便利店</strong>") {
		t.Errorf("the storefront is not at the chosen point:\n%s", p.body)
	}
	op := newBrowser(t, e.srv.URL)
	op.logIn("13900000001", "operator-pass")
	if p := op.get("/admin/pickup-points"); !strings.Contains(p.body, "砂子塘小区·梁姐生鲜店") || !strings.Contains(p.body, "营业中") || !strings.Contains(p.body, "8.00%") {
		t.Errorf("console's pickup points:\n%s", p.body)
	}
	points := op.get("/admin/pickup-points")
	if p := op.post("/admin/pickup-points/"+e.otherPPID+"/open", url.Values{"csrf": {points.csrf(t)}, "open": {"1"}}); p.status != 303 {
		t.Fatalf("reopen a pickup point = %d:\n%s", p.status, p.body)
	}
	if p := b.get("/?q=" + url.QueryEscape("韶山中路")); !strings.Contains(p.body, `value="`+e.otherPPID+`"`) {
		t.Errorf("a reopened point cannot be chosen:\n%s", p.body)
	}
	if p := op.get("/admin/suppliers"); !strings.Contains(p.body, "望城蔬菜合作社") || !strings.Contains(p.body, "1 个商品") || !strings.Contains(p.body, "¥9.80") {
		t.Errorf("console's suppliers:\n%s", p.body)
	}
}

// An unpaid order can be paid from its page, and an order cancelled; the
// timeline says where it ended.
func TestOrderPagePayAndCancel(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(10, 5, 1290)
	b := shopper(e, deal)
	b.post("/checkout", b.checkoutForm())
	var orderID string
	if err := e.db.QueryRowForTest(`SELECT id FROM orders`).Scan(&orderID); err != nil {
		t.Fatal(err)
	}
	page := b.get("/orders/" + orderID)
	if !strings.Contains(page.body, ">待支付<") || !strings.Contains(page.body, "去支付") {
		t.Fatalf("unpaid order page:\n%s", page.body)
	}
	pay := b.post("/orders/"+orderID+"/pay", url.Values{"csrf": {page.csrf(t)}, "key": {page.field(t, "key")}})
	if pay.status != 303 || !strings.HasPrefix(pay.header.Get("Location"), "/sandbox/pay/") {
		t.Errorf("pay from the order page = %d %s", pay.status, pay.header.Get("Location"))
	}
	if n := e.count(`SELECT COUNT(*) FROM payments`); n != 1 {
		t.Errorf("%d payments after checkout and pay, want 1 (the pending one is reused)", n)
	}
	if p := b.post("/orders/"+orderID+"/cancel", url.Values{"csrf": {page.csrf(t)}}); p.status != 303 {
		t.Fatalf("cancel = %d:\n%s", p.status, p.body)
	}
	page = b.get("/orders/" + orderID)
	if !strings.Contains(page.body, ">已取消<") || !strings.Contains(page.body, "已取消 · 您取消了订单") || strings.Contains(page.body, "取消订单</button>") {
		t.Errorf("cancelled order page:\n%s", page.body)
	}
	if p := b.post("/orders/"+orderID+"/cancel", url.Values{"csrf": {page.csrf(t)}}); p.status != 409 || !strings.Contains(p.body, "无法取消") {
		t.Errorf("cancel twice = %d:\n%s", p.status, p.body)
	}
	if d := e.deal(deal); d.Reserved != 0 {
		t.Errorf("deal holds %d units after the cancel, want 0", d.Reserved)
	}
}

// The banner slot shows a notice at the top of every page when one is set
// (the operations issue sets them).
func TestBannerSlot(t *testing.T) {
	e := newEnv(t)
	s := NewServer(Config{Service: e.svc, Sandbox: e.sandbox, CSRFKey: []byte("csrf")})
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/leader", nil)
	pg := s.newPage(w, r, "Group leader")
	pg.Banner = &Banner{Level: "danger", Text: "支付服务故障，预计 14:00 恢复"}
	s.render(w, r, 200, "error", pg)
	if body := w.Body.String(); !strings.Contains(body, `<div class="banner banner-danger" role="status" id="incident-banner">支付服务故障，预计 14:00 恢复</div>`) {
		t.Errorf("page lacks the banner:\n%s", body)
	}
	w = httptest.NewRecorder()
	pg = s.newPage(w, r, "Group leader")
	s.render(w, r, 200, "error", pg)
	if strings.Contains(w.Body.String(), `class="banner`) {
		t.Error("a page without a notice shows a banner")
	}
}
