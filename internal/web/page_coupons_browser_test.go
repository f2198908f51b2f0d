package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The operator creates a coupon and issues it to a customer's phone; the
// customer sees it in "my coupons", orders with it at checkout, pays the
// total less the discount, and the order shows the discount.
func TestBrowserOrderWithACoupon(t *testing.T) {
	e := newEnv(t)
	e.newDeal(10, 5, 1290)
	c := e.customer()
	var me userView
	c.mustDo("GET", "/api/v1/me", nil, 200, &me)
	b := newTab(t, e.srv.URL)

	b.logIn(zh, "13900000001", "operator-pass")
	b.open("/admin/coupons")
	b.fill("名称", "新店开业 满10减3")
	b.fill("减免金额（元）", "3")
	b.fill("最低消费（元）", "2")
	b.do(chromedp.SetValue(chromedp.CSS("#valid_from"), "2026-11-25T09:00"), chromedp.SetValue(chromedp.CSS("#valid_to"), "2026-11-27T09:00"))
	b.click("button", "创建优惠券")
	if body := b.body(); !strings.Contains(body, "最低消费须高于减免金额") {
		t.Fatalf("a minimum spend below the amount off shows no error:\n%s", body)
	}
	b.fill("最低消费（元）", "10")
	b.click("button", "创建优惠券")
	if got := b.text("#coupon-created"); !strings.Contains(got, "新店开业 满10减3") {
		t.Fatalf("after creating: %q", got)
	}
	b.screenshot("admin-coupons")
	b.fill("手机号，每行一个", me.Phone)
	b.click("button", "发放")
	if got := b.text("#coupon-issued"); !strings.Contains(got, "已发放给 1 位顾客") {
		t.Fatalf("after issuing: %q", got)
	}
	b.click("button", "退出登录")

	b.logIn(zh, me.Phone, "customer-pass")
	b.open("/coupons")
	if body := b.body(); !strings.Contains(body, "新店开业 满10减3") || !strings.Contains(body, "可使用") || !strings.Contains(body, "满 ¥10.00 可用") {
		t.Fatalf("my coupons lacks the coupon, available:\n%s", body)
	}
	b.screenshot("my-coupons")
	b.pickPickupPoint(zh, "枫林")
	b.click("button", zh.addToCart)
	b.open("/cart")
	b.click("button", zh.checkOut)
	if body := b.body(); !strings.Contains(body, "减 ¥3.00，实付 ¥9.90") || !strings.Contains(body, "不使用优惠券：实付 ¥12.90") {
		t.Fatalf("checkout does not offer the coupon with the discount and the total to pay:\n%s", body)
	}
	b.screenshot("checkout-coupon")
	b.click("button", zh.placeOrder)
	if body := b.body(); !strings.Contains(body, "9.90") {
		t.Errorf("the sandbox payment page does not ask for ¥9.90:\n%s", body)
	}
	b.click("button", zh.confirmPay)
	b.click("link", zh.viewOrder)
	b.waitForText("#order-status", zh.paid)
	if got := b.text("#discount"); !strings.Contains(got, "¥3.00") {
		t.Errorf("the order page's discount = %q, want ¥3.00", got)
	}
	if got := b.text("#pay-fen"); got != "¥9.90" {
		t.Errorf("the order page's paid amount = %q, want ¥9.90", got)
	}
	b.screenshot("order-with-coupon")
	if n := e.count(`SELECT COUNT(*) FROM payments WHERE status = 'succeeded' AND amount_fen = 990`); n != 1 {
		t.Errorf("%d succeeded payments of 990 fen, want 1", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM customer_coupons WHERE status = 'used'`); n != 1 {
		t.Errorf("%d used coupons, want 1", n)
	}
	b.open("/coupons")
	if body := b.body(); !strings.Contains(body, "已使用") {
		t.Errorf("my coupons after the order does not say 已使用:\n%s", body)
	}
}
