package web

import (
	"strings"
	"testing"
)

// The reviewer's walk in a browser: 加入购物车 pressed six times on a deal
// of 限购 5 stops at 5 and says so; the cart's form can be sent (no field
// above its max); a checkout the server refuses for the customer's other
// orders comes back to the cart naming the deal and its limit.
func TestBrowserCartStopsAtTheLimit(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(100, 5, 1290)
	c := e.customer()
	var me userView
	c.mustDo("GET", "/api/v1/me", nil, 200, &me)
	b := newTab(t, e.srv.URL)
	b.logIn(zh, me.Phone, "customer-pass")
	b.pickPickupPoint(zh, "枫林")
	for range 6 {
		b.click("button", zh.addToCart)
	}
	if body := b.body(); !strings.Contains(body, "每人限购 5 件，购物车里已是 5 件。") {
		t.Errorf("after six presses the storefront does not say the cart is at the limit:\n%s", body)
	}
	b.screenshot("storefront-at-the-limit")
	b.open("/cart")
	b.click("button", "更新购物车") // the browser refuses a form with a field above its max
	if !strings.HasSuffix(b.location(), "/cart") || !strings.Contains(b.body(), "¥64.50") {
		t.Errorf("after 更新购物车 at %s:\n%s", b.location(), b.body())
	}
	c.mustOrder(deal, 1) // another order, which the cart does not see
	b.click("button", zh.checkOut)
	b.click("button", zh.placeOrder)
	if got := b.text("#cart-error"); !strings.Contains(got, "订单没有提交：鲜鸡蛋 15枚 每人限购 5 件") {
		t.Errorf("checkout over the limit says %q", got)
	}
	if got := b.text("#qty-error-" + deal); !strings.Contains(got, "算上您其他订单里已买的") {
		t.Errorf("the line over the limit says %q", got)
	}
	b.screenshot("cart-over-the-limit")
}
