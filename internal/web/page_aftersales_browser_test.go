package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A customer with a picked-up order asks for after-sales on the order
// page: a small refund is approved at once; a larger one waits, and the
// operator rejects it with a reason on the queue page; a third the
// operator approves. The customer sees each result.
func TestBrowserAfterSales(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(100, 20, 300)
	buyers, orders := e.pickedUp(deal, 20)
	var me userView
	buyers[0].mustDo("GET", "/api/v1/me", nil, 200, &me)
	b := newTab(t, e.srv.URL)
	ask := func(qty, reason, note string) {
		t.Helper()
		e.clock.Advance(time.Minute) // each request after the one before
		b.do(chromedp.SetValue(chromedp.CSS("#as-qty-1"), qty))
		b.do(chromedp.SetValue(chromedp.CSS("#as-reason-1"), reason))
		b.fill("说明", note)
		b.click("button", "申请售后")
	}

	b.logIn(zh, me.Phone, "customer-pass")
	b.open("/orders/" + orders[0])
	if body := b.body(); !strings.Contains(body, "取货后可在") || !strings.Contains(body, "件数（最多 20）") {
		t.Fatalf("the picked-up order's page offers no after-sales form:\n%s", body)
	}
	ask("2", "damaged", "两盒蛋碎了")
	if got := b.text("#as-sent"); !strings.Contains(got, "售后申请已提交") {
		t.Errorf("after sending: %q", got)
	}
	if got := b.text("#as-requests tbody tr:nth-child(1)"); !strings.Contains(got, "已通过") || !strings.Contains(got, "已退款 ¥6.00") || !strings.Contains(got, "破损") {
		t.Errorf("the small request's row = %q, want approved with ¥6.00 refunded", got)
	}
	ask("8", "quality", "不新鲜")
	if got := b.text("#as-requests tbody tr:nth-child(2)"); !strings.Contains(got, "待审核") {
		t.Errorf("the large request's row = %q, want pending", got)
	}
	if body := b.body(); !strings.Contains(body, "售后申请正在审核") {
		t.Errorf("the line with a pending request still offers the form:\n%s", body)
	}
	b.screenshot("order-after-sales")
	b.click("button", "退出登录")

	b.logIn(en, "13900000001", "operator-pass")
	b.open("/admin/after-sales")
	if got := b.text("#as-queue tbody"); !strings.Contains(got, "¥24.00") || !strings.Contains(got, "不新鲜") {
		t.Fatalf("the queue = %q, want the ¥24.00 request with its note", got)
	}
	b.click("button", "Reject")
	if got := b.text("#as-error"); !strings.Contains(got, "reason") {
		t.Errorf("rejecting without a reason: %q, want the rule", got)
	}
	b.fill("Reason for the customer", "取货时已当面验货")
	b.click("button", "Reject")
	if got := b.text("#as-done"); !strings.Contains(got, "Rejected") {
		t.Errorf("after rejecting: %q", got)
	}
	if got := b.text("#as-empty"); got == "" {
		t.Errorf("the pending queue is not empty after the decision")
	}
	b.click("button", "Log out")

	b.logIn(zh, me.Phone, "customer-pass")
	b.open("/orders/" + orders[0])
	if got := b.text("#as-requests tbody tr:nth-child(2)"); !strings.Contains(got, "已驳回") || !strings.Contains(got, "取货时已当面验货") {
		t.Errorf("the rejected row = %q, want rejected with the operator's reason", got)
	}
	ask("9", "missing", "少了九盒")
	b.click("button", "退出登录")

	b.logIn(en, "13900000001", "operator-pass")
	b.open("/admin/after-sales")
	b.screenshot("admin-after-sales")
	b.click("button", "Approve and refund")
	if got := b.text("#as-done"); !strings.Contains(got, "¥27.00 refunded") {
		t.Errorf("after approving: %q, want ¥27.00 refunded", got)
	}
	b.click("button", "Log out")

	b.logIn(zh, me.Phone, "customer-pass")
	b.open("/orders/" + orders[0])
	if got := b.text("#as-requests tbody tr:nth-child(3)"); !strings.Contains(got, "已通过") || !strings.Contains(got, "已退款 ¥27.00") {
		t.Errorf("the approved row = %q, want approved with ¥27.00 refunded", got)
	}
	if n := e.count(`SELECT COUNT(*) FROM partial_refunds WHERE reason LIKE 'after_sales:%' AND status = 'pending'`); n != 2 {
		t.Errorf("%d after-sales refunds waiting for the provider, want 2", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM order_lines WHERE refunded_quantity = 11 AND refunded_fen = 3300`); n != 1 {
		t.Errorf("%d lines with 11 units and 3300 fen refunded, want 1", n)
	}
}
