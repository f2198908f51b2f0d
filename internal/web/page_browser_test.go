package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tuango/internal/tuango"
)

// words are the page contract's accessible names and texts in one language.
type words struct {
	lang                                           string // the ?lang= value
	phone, password, login                         string
	totp                                           string // the second step's field
	search, searchBox, pickHere                    string
	addToCart, checkOut, placeOrder, confirmPay    string
	viewOrder, paid, pickupOnMark                  string
	newDeal, publish, save, priceLabel, priceError string
}

var zh = words{lang: "zh", phone: "手机号", password: "密码", login: "登录", totp: "验证器动态码",
	search: "搜索", searchBox: "按名称或地址搜索", pickHere: "在此取货",
	addToCart: "加入购物车", checkOut: "去结算", placeOrder: "提交订单", confirmPay: "确认支付",
	viewOrder: "查看订单", paid: "已支付", pickupOnMark: "到自提点取货",
	newDeal: "新建团购", publish: "发布团购", save: "保存", priceLabel: "团购价（元）", priceError: "请填写 0.01 至 1 亿元之间的金额，最多两位小数，例如 12.50。"}

var en = words{lang: "en", phone: "Phone", password: "Password", login: "Log in", totp: "Authenticator code",
	search: "Search", searchBox: "Search by name or address", pickHere: "Pick up here",
	addToCart: "Add to cart", checkOut: "Check out", placeOrder: "Place order", confirmPay: "Confirm payment",
	viewOrder: "View the order", paid: "Paid", pickupOnMark: "Pickup on",
	newDeal: "New deal", publish: "Publish deal", save: "Save deal", priceLabel: "Price (yuan)", priceError: "Enter an amount from 0.01 to 100,000,000 with at most two decimals, such as 12.50."}

// logIn logs in through the login page, in the words' language.
func (b *tab) logIn(w words, phone, password string) {
	b.t.Helper()
	b.open("/login?lang=" + w.lang)
	b.fill(w.phone, phone)
	b.fill(w.password, password)
	b.click("button", w.login)
	e, ok := envs.Load(b.base)
	if code := ""; ok && strings.HasPrefix(b.location(), b.base+"/login") {
		if code = e.(*env).totpFor(phone); code != "" {
			b.fill(w.totp, code)
			b.click("button", w.login)
		}
	}
}

// pickPickupPoint searches for a pickup point and chooses it.
func (b *tab) pickPickupPoint(w words, query string) {
	b.t.Helper()
	b.open("/?change=1")
	b.do(chromedp.SetValue("searchbox", query, byName("searchbox", w.searchBox)))
	b.click("button", w.search)
	b.click("button", w.pickHere)
}

// waitForText reloads the page until the selector's text is want.
func (b *tab) waitForText(css, want string) {
	b.t.Helper()
	var got string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if got = b.text(css); got == want {
			return
		}
		b.do(chromedp.Reload())
	}
	b.t.Fatalf("%s at %s says %q, want %q", css, b.location(), got, want)
}

// A customer logs in, picks a pickup point, buys a deal through the
// sandbox payment page and sees the order paid, in Chinese and in English.
func TestBrowserCustomerBuysADeal(t *testing.T) {
	for _, w := range []words{zh, en} {
		t.Run(w.lang, func(t *testing.T) {
			e := newEnv(t)
			dealID := e.newDeal(10, 5, 1290)
			c := e.customer()
			var me userView
			c.mustDo("GET", "/api/v1/me", nil, 200, &me)
			b := newTab(t, e.srv.URL)
			shots := w.lang == "zh" // every page once, in the default language

			b.open("/login?lang=" + w.lang)
			if shots {
				b.screenshot("login")
			}
			b.logIn(w, me.Phone, "customer-pass")
			if shots {
				b.screenshot("storefront-choose-pickup-point")
			}
			b.pickPickupPoint(w, "枫林")
			if body := b.body(); !strings.Contains(body, "鲜鸡蛋 15枚") || !strings.Contains(body, "¥12.90") || !strings.Contains(body, w.pickupOnMark) {
				t.Fatalf("storefront lacks the deal, its price or its pickup date:\n%s", body)
			}
			if shots {
				b.screenshot("storefront")
				b.open("/deals/" + dealID)
				b.screenshot("deal")
				b.open("/")
			}
			b.click("button", w.addToCart)
			b.open("/cart")
			if shots {
				b.screenshot("cart")
			}
			b.click("button", w.checkOut)
			if shots {
				b.screenshot("checkout")
			}
			b.click("button", w.placeOrder)
			if shots {
				b.screenshot("sandbox-payment")
			}
			b.click("button", w.confirmPay)
			b.click("link", w.viewOrder)
			b.waitForText("#order-status", w.paid)
			if shots {
				b.screenshot("order")
				b.open("/orders")
				b.screenshot("orders")
				for _, p := range []string{"/no-such-page"} { // the leader's, supplier's and operator's day: TestBrowserTheDayAfterTheOrder
					b.open(p)
					b.screenshot(strings.TrimPrefix(p, "/"))
				}
			}
			if n := e.count(`SELECT COUNT(*) FROM orders WHERE status = 'paid'`); n != 1 {
				t.Errorf("%d paid orders in the database, want 1", n)
			}
			if shots {
				// The database goes away: the storefront shows its last good
				// copy with ordering paused, other pages say it is degraded.
				e.db.Close()
				e.clock.Advance(2 * tuango.SessionCacheTTL)
				b.open("/")
				if body := b.body(); !strings.Contains(body, "服务降级") || !strings.Contains(body, "鲜鸡蛋 15枚") {
					t.Errorf("storefront with the database gone:\n%s", body)
				}
				b.screenshot("degraded-storefront")
				b.open("/orders")
				b.screenshot("degraded")
			}
		})
	}
}

// An operator publishes a deal in the console and sees it in the
// storefront; a lower price later shows the proven "was" price.
func TestBrowserOperatorPublishesADeal(t *testing.T) {
	e := newEnv(t)
	c := e.customer() // a paid order and an unpaid one, for the dashboard
	o, p := c.pay(e.newDeal(10, 5, 1290))
	c.mustDo("POST", "/api/v1/sandbox/payments/"+p.ID+"/confirm", nil, 200, nil)
	c.waitStatus(o.ID, "paid")
	c.mustOrder(e.newDeal(20, 5, 990), 2)
	b := newTab(t, e.srv.URL)
	b.logIn(zh, "13900000001", "operator-pass")
	b.open("/admin")
	b.screenshot("admin-dashboard-and-deals")
	b.open("/admin/pickup-points")
	b.screenshot("admin-pickup-points")
	b.open("/admin/suppliers")
	b.screenshot("admin-suppliers")
	b.open("/admin")
	b.click("link", zh.newDeal)
	b.screenshot("admin-new-deal")
	b.do(chromedp.SetValue(chromedp.CSS("#product_id"), e.productID))
	b.fill("标题", "本地草莓 500g")
	b.fill(zh.priceLabel, "19.90")
	b.fill("划线价（元）", "29.90")
	b.fill("库存", "50")
	b.click("button", zh.publish)
	if !strings.Contains(b.body(), "已保存") {
		t.Fatalf("no 已保存 after publishing:\n%s", b.body())
	}
	b.screenshot("admin-deal-saved")
	b.pickPickupPoint(zh, "枫林")
	if body := b.body(); !strings.Contains(body, "本地草莓 500g") || !strings.Contains(body, "¥19.90") || strings.Contains(body, "原价") {
		t.Fatalf("storefront lacks the new deal at ¥19.90, or shows a was-price no history proves:\n%s", body)
	}

	e.clock.Advance(time.Hour)
	b.open("/admin")
	b.click("link", "本地草莓 500g")
	b.fill(zh.priceLabel, "15.90")
	b.click("button", zh.save)
	b.screenshot("admin-deal-price-history")
	b.open("/")
	if body := b.body(); !strings.Contains(body, "¥15.90") || !strings.Contains(body, "原价 ¥19.90") {
		t.Fatalf("storefront after the price cut lacks ¥15.90 with 原价 ¥19.90:\n%s", body)
	}
}

// A bad input in the deal editor shows its error next to the field, in the
// operator's language, and publishes nothing.
func TestBrowserBadInputShowsItsError(t *testing.T) {
	for _, w := range []words{zh, en} {
		t.Run(w.lang, func(t *testing.T) {
			e := newEnv(t)
			b := newTab(t, e.srv.URL)
			b.logIn(w, "13900000001", "operator-pass")
			b.open("/admin/deals/new")
			b.do(chromedp.SetValue(chromedp.CSS("#product_id"), e.productID))
			b.fill(w.priceLabel, "abc")
			b.click("button", w.publish)
			if got := b.text("#price-error"); got != w.priceError {
				t.Errorf("error next to the price = %q, want %q", got, w.priceError)
			}
			if w.lang == "zh" {
				b.screenshot("admin-deal-error")
			}
			if n := e.count(`SELECT COUNT(*) FROM deals`); n != 0 {
				t.Errorf("%d deals after a bad form, want 0", n)
			}
		})
	}
}

// An operator creates a group leader and a pickup point run by that
// leader in the console, and the pickup point is in the storefront's
// pickup point search; a bad phone number is refused next to its field.
func TestBrowserOperatorOpensAPickupPoint(t *testing.T) {
	e := newEnv(t)
	b := newTab(t, e.srv.URL)
	b.logIn(zh, "13900000001", "operator-pass")
	b.open("/admin/leaders")
	b.fill("姓名", "钱团长")
	b.fill("手机号", "1370")
	b.do(chromedp.SetValue(chromedp.CSS("#password"), "leader-pass"))
	b.click("button", "创建团长账号")
	if got, want := b.text("#phone-error"), "请填写 11 位手机号，例如 13800138000。"; got != want {
		t.Errorf("error next to the phone = %q, want %q", got, want)
	}
	b.screenshot("admin-leaders-error")
	b.fill("手机号", "13700000031")
	b.do(chromedp.SetValue(chromedp.CSS("#password"), "leader-pass"))
	b.click("button", "创建团长账号")
	if !strings.Contains(b.body(), "已保存") {
		t.Fatalf("no 已保存 after creating the leader:\n%s", b.body())
	}
	b.screenshot("admin-leader")
	leader, err := e.store.FindUserByPhone(t.Context(), "13700000031")
	if err != nil || leader.Role != tuango.RoleLeader || leader.Name != "钱团长" {
		t.Fatalf("the new leader = %+v, %v", leader, err)
	}

	b.open("/admin/pickup-points")
	b.click("link", "新增自提点")
	b.fill("名称", "桃子湖·钱姐水果店")
	b.fill("地址", "岳麓区桃子湖路 8 号")
	b.do(chromedp.SetValue(chromedp.CSS("#leader_id"), leader.ID))
	b.fill("佣金比例（%）", "9")
	b.screenshot("admin-new-pickup-point")
	b.click("button", "创建自提点")
	if !strings.Contains(b.body(), "已保存") {
		t.Fatalf("no 已保存 after creating the pickup point:\n%s", b.body())
	}
	b.open("/admin/leaders")
	if body := b.body(); !strings.Contains(body, "桃子湖·钱姐水果店") {
		t.Errorf("the leaders page does not say 钱团长 runs the new pickup point:\n%s", body)
	}
	b.screenshot("admin-leaders")
	b.open("/admin/suppliers/new")
	b.screenshot("admin-new-supplier")
	b.open("/admin/products/new?supplier=" + e.supplierID)
	b.screenshot("admin-new-product")

	b.pickPickupPoint(zh, "桃子湖")
	if body := b.body(); !strings.Contains(body, "桃子湖·钱姐水果店") {
		t.Fatalf("the storefront is not at the new pickup point:\n%s", body)
	}
}
