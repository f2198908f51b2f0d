package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// setCartCookie gives the browser a cart cookie as an older tuango, or a
// deal whose limit was lowered since, may have left it.
func (b *browser) setCartCookie(v string) {
	b.t.Helper()
	u, err := url.Parse(b.base)
	if err != nil {
		b.t.Fatal(err)
	}
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: cartCookie, Value: v, Path: "/"}})
}

// Pressing 加入购物车 again and again stops at the deal's limit per
// customer and says so, in the page's language; the cart never shows more
// than may be bought.
func TestCartAddStopsAtTheLimit(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(100, 5, 1290)
	b := shopper(e, deal) // one unit
	add := func() page_ {
		t.Helper()
		p := b.post("/cart", url.Values{"csrf": {b.get("/cart").csrf(t)}, "action": {"add"}, "deal_id": {deal}})
		if p.status != 303 {
			t.Fatalf("add to cart = %d:\n%s", p.status, p.body)
		}
		return p
	}
	for i := 2; i <= 5; i++ {
		if p := add(); strings.Contains(p.header.Get("Location"), "full=1") {
			t.Fatalf("press %d leads to %s, want no limit note below the limit", i, p.header.Get("Location"))
		}
	}
	p := add() // the sixth
	to := p.header.Get("Location")
	if !strings.Contains(to, "full=1") {
		t.Fatalf("the press over the limit leads to %s, want the limit note", to)
	}
	if home := b.get(to); !strings.Contains(home.body, "每人限购 5 件，购物车里已是 5 件。") || strings.Contains(home.body, "已加入购物车") {
		t.Errorf("the storefront after the press over the limit does not say so:\n%s", home.body)
	}
	if home := b.get(strings.Replace(to, "/?", "/?lang=en&", 1)); !strings.Contains(home.body, "Limit 5 per customer: your cart already has 5.") {
		t.Errorf("the English storefront after the press over the limit does not say so:\n%s", home.body)
	}
	b.get("/?lang=zh")
	if cart := b.get("/cart"); !strings.Contains(cart.body, `max="5" value="5"`) {
		t.Errorf("the cart after six presses does not hold 5 of at most 5:\n%s", cart.body)
	}
	if items := b.checkoutForm().Get("items"); items != deal+":5" {
		t.Errorf("checkout items = %q, want %s:5", items, deal)
	}

	t.Run("a cart over the limit counts the limit", func(t *testing.T) {
		b.setCartCookie(deal + ":6")
		cart := b.get("/cart")
		if !strings.Contains(cart.body, `max="5" value="5"`) || !strings.Contains(cart.body, "每人限购 5 件，已按限购计。") || strings.Contains(cart.body, `value="6"`) {
			t.Errorf("a cart cookie of 6 with a limit of 5 shows:\n%s", cart.body)
		}
		if items := b.checkoutForm().Get("items"); items != deal+":5" {
			t.Errorf("checkout items = %q, want %s:5", items, deal)
		}
		if p := add(); !strings.Contains(p.header.Get("Location"), "full=1") {
			t.Errorf("adding to a line over the limit leads to %s, want the limit note", p.header.Get("Location"))
		}
	})
}

// A quantity the cart cannot take shows the cart again with the rule
// next to its line, the line as it was; the form's other changes stand.
func TestCartUpdateSaysWhatIsAllowed(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(100, 5, 1290)
	other := e.newDeal(100, 20, 500)
	b := shopper(e, deal)
	for _, bad := range []string{"-1", "abc", "0.5", "6", "1000", "99999999999"} {
		t.Run(bad, func(t *testing.T) {
			b.setCartCookie(deal + ":2." + other + ":1")
			p := b.post("/cart", url.Values{"csrf": {b.get("/cart").csrf(t)}, "action": {"update"}, "qty_" + deal: {bad}, "qty_" + other: {"3"}})
			if p.status != 400 || !strings.Contains(p.body, "数量须是 0 到 5 之间的整数（0 表示删除），这一行没有改动。") ||
				!strings.Contains(p.body, `max="5" value="2" aria-invalid="true" aria-describedby="qty-error-`+deal+`"`) || !strings.Contains(p.body, `max="20" value="3"`) {
				t.Errorf("quantity %q = %d, want the cart with the rule next to the line:\n%s", bad, p.status, p.body)
			}
			if strings.Contains(p.body, "提交的内容有误") {
				t.Errorf("quantity %q shows the generic error:\n%s", bad, p.body)
			}
			if cart := b.get("/cart"); !strings.Contains(cart.body, `max="5" value="2"`) || !strings.Contains(cart.body, `max="20" value="3"`) {
				t.Errorf("after quantity %q the cart holds:\n%s", bad, cart.body)
			}
		})
	}
	t.Run("in English", func(t *testing.T) {
		b.setCartCookie(deal + ":2")
		p := b.post("/cart?lang=en", url.Values{"csrf": {b.get("/cart").csrf(t)}, "action": {"update"}, "qty_" + deal: {"abc"}})
		b.get("/?lang=zh")
		if p.status != 400 || !strings.Contains(p.body, "The quantity is a whole number from 0 (removes the line) to 5; this line was not changed.") {
			t.Errorf("a bad quantity in English = %d:\n%s", p.status, p.body)
		}
	})
	t.Run("0 removes the line", func(t *testing.T) {
		b.setCartCookie(deal + ":2." + other + ":1")
		p := b.post("/cart", url.Values{"csrf": {b.get("/cart").csrf(t)}, "action": {"update"}, "qty_" + deal: {"0"}, "qty_" + other: {"20"}})
		if p.status != 303 {
			t.Fatalf("update = %d:\n%s", p.status, p.body)
		}
		if cart := b.get("/cart"); strings.Contains(cart.body, "qty_"+deal) || !strings.Contains(cart.body, `max="20" value="20"`) {
			t.Errorf("after 0 and 20 the cart holds:\n%s", cart.body)
		}
	})
}

// An order the server refuses for the limit — counting the customer's
// other orders, which the cart cannot see — sends the customer back to the
// cart, kept, naming the deal and its limit, rather than to a dead end.
func TestCheckoutOverTheLimitShowsTheCart(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(100, 5, 1290)
	c, b := shopperClient(e, deal)
	c.mustOrder(deal, 3) // earlier, in another order
	b.setCartCookie(deal + ":3")
	for _, lang := range []string{"zh", "en"} {
		t.Run(lang, func(t *testing.T) {
			b.get("/?lang=" + lang)
			p := b.post("/checkout", b.checkoutForm())
			want := map[string][]string{
				"zh": {"订单没有提交：鲜鸡蛋 15枚 每人限购 5 件，请在下面修改数量后再结算。", "每人限购 5 件，算上您其他订单里已买的，这个数量超出了限购，请减少数量。"},
				"en": {"The order was not placed: 鲜鸡蛋 15枚 is limited to 5 per customer. Change the quantity below, then check out again.", "Limit 5 per customer: with what your other orders already have, this quantity goes over it."},
			}[lang]
			if p.status != 409 || !strings.Contains(p.body, want[0]) || !strings.Contains(p.body, want[1]) ||
				!strings.Contains(p.body, `max="5" value="3" aria-invalid="true"`) || !strings.Contains(p.body, `action="/cart"`) {
				t.Errorf("checkout over the limit = %d, want the cart naming the deal and its limit:\n%s", p.status, p.body)
			}
			if cart := b.get("/cart"); !strings.Contains(cart.body, `value="3"`) {
				t.Errorf("the cart is not kept after the refusal:\n%s", cart.body)
			}
		})
	}
	b.get("/?lang=zh")
	b.setCartCookie(deal + ":2")
	if p := b.post("/checkout", b.checkoutForm()); p.status != 303 || !strings.HasPrefix(p.header.Get("Location"), "/sandbox/pay/") {
		t.Errorf("checkout within the limit = %d %s, want the payment page", p.status, p.header.Get("Location"))
	}
	if n := e.count(`SELECT COUNT(*) FROM orders`); n != 2 {
		t.Errorf("%d orders, want 2: the earlier one and the one within the limit", n)
	}
}

// A checkout refused because the stock ran short, or because the deal's
// sale ended after the checkout page was shown, shows the cart again
// naming the deal and what is wrong, instead of a dead-end error page;
// nothing is placed.
func TestCheckoutOfALineNoLongerPossibleShowsTheCart(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(5, 5, 1290)
	_, b := shopperClient(e, deal)
	e.customer().mustOrder(deal, 3) // another customer takes 3 of the 5
	b.setCartCookie(deal + ":3")
	b.get("/?lang=zh")
	p := b.post("/checkout", b.checkoutForm())
	if p.status != 409 || !strings.Contains(p.body, "订单没有提交：鲜鸡蛋 15枚 只剩 2 件") || !strings.Contains(p.body, "库存不足：只剩 2 件") || !strings.Contains(p.body, `action="/cart"`) {
		t.Errorf("checkout of more than is left = %d, want the cart saying 2 are left:\n%s", p.status, p.body)
	}
	// The sale ends between the checkout page and its submit.
	b.setCartCookie(deal + ":1")
	b.get("/?lang=en")
	form := b.checkoutForm()
	e.operator.mustDo("PATCH", "/api/v1/admin/deals/"+deal, map[string]any{"sale_ends_at": testStart.Add(-time.Minute).Format(time.RFC3339)}, 200, nil)
	p = b.post("/checkout", form)
	if p.status != 409 || !strings.Contains(p.body, "The order was not placed: 鲜鸡蛋 15枚 is no longer on sale.") || !strings.Contains(p.body, `action="/cart"`) {
		t.Errorf("checkout of a deal whose sale ended meanwhile = %d, want the cart saying so:\n%s", p.status, p.body)
	}
	if n := e.count(`SELECT COUNT(*) FROM orders`); n != 1 {
		t.Errorf("%d orders, want only the other customer's", n)
	}
}
