package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"tuango/internal/payment"
)

// A leader with commission available withdraws on the page (too much is
// refused in words), the operator approves it in the queue, the worker
// pays it and the leader sees it paid. A second withdrawal meets a payout
// sandbox that refuses the call once and then fails the payout: it is
// tried again, then returned to the leader, who sees it. The books
// balance and verify at the end.
func TestBrowserWithdrawalApprovedAndPaid(t *testing.T) {
	e := newEnv(t)
	sc, leader, ps := commissionScene(e)
	var bal leaderWithdrawalsView
	leader.mustDo("GET", "/api/v1/leader/withdrawals", nil, 200, &bal)
	avail := bal.AvailableFen
	sweep := func() {
		t.Helper()
		for range 2 {
			if _, err := e.svc.SendPayouts(context.Background(), 100); err != nil {
				t.Fatal(err)
			}
		}
	}
	b := newTab(t, e.srv.URL)

	b.logIn(zh, sc.leaderPhone, "operator-pass")
	b.open("/leader/withdrawals")
	if got := b.text("#available"); got != "¥"+yuan(avail) {
		t.Fatalf("available = %q, want ¥%s", got, yuan(avail))
	}
	b.fill("金额（元，至少 1 元）", yuan(avail+100))
	b.click("button", "提交提现申请")
	if got := b.text("#withdraw-error"); !strings.Contains(got, "可提现佣金不足") {
		t.Fatalf("too much: %q, want 可提现佣金不足", got)
	}
	b.fill("金额（元，至少 1 元）", "0.5")
	b.click("button", "提交提现申请")
	if got := b.text("#withdraw-error"); !strings.Contains(got, "至少 1 元") {
		t.Fatalf("below ¥1: %q", got)
	}
	b.fill("金额（元，至少 1 元）", "1.00")
	b.click("button", "提交提现申请")
	if got := b.text("#withdrawal-requested"); !strings.Contains(got, "¥1.00") {
		t.Fatalf("after requesting: %q", got)
	}
	if got := b.text("#available"); got != "¥"+yuan(avail-100) {
		t.Errorf("available after the request = %q, want ¥%s (held at once)", got, yuan(avail-100))
	}
	b.screenshot("leader-withdrawals")
	b.click("button", "退出登录")

	b.logIn(zh, "13900000001", "operator-pass")
	b.open("/admin/withdrawals?status=requested")
	if body := b.body(); !strings.Contains(body, "¥1.00") || !strings.Contains(body, "待审核") {
		t.Fatalf("the queue lacks the request:\n%s", body)
	}
	b.screenshot("admin-withdrawals")
	b.click("button", "通过提现 ¥1.00")
	if got := b.text("#withdrawal-decided"); !strings.Contains(got, "已通过，待打款") {
		t.Fatalf("after approving: %q", got)
	}
	b.click("button", "退出登录")

	sweep()
	b.logIn(zh, sc.leaderPhone, "operator-pass")
	b.open("/leader/withdrawals")
	if got := b.text("#withdrawals tbody tr:first-child"); !strings.Contains(got, "已到账") {
		t.Fatalf("the leader's history = %q, want it paid", got)
	}

	// The second: refused once by the provider, then failed and returned.
	e.clock.Advance(time.Minute)
	b.fill("金额（元，至少 1 元）", "1")
	b.click("button", "提交提现申请")
	var queue listPage[payoutView]
	e.operator.mustDo("GET", "/api/v1/admin/withdrawals?status=requested", nil, 200, &queue)
	if len(queue.Items) != 1 {
		t.Fatalf("queue = %+v, want the second request", queue)
	}
	e.operator.mustDo("POST", "/api/v1/admin/withdrawals/"+queue.Items[0].ID+"/approve", nil, 200, nil)
	ps.SetFaults(payment.PayoutFaults{FailSend: 1})
	sweep()
	ps.SetFaults(payment.PayoutFaults{Fail: 1})
	sweep()
	b.open("/leader/withdrawals")
	if got := b.text("#withdrawals tbody tr:first-child"); !strings.Contains(got, "打款失败，已退回") {
		t.Fatalf("the failed payout in the history = %q, want it returned", got)
	}
	if got := b.text("#available"); got != "¥"+yuan(avail-100) {
		t.Errorf("available after the return = %q, want ¥%s", got, yuan(avail-100))
	}
	b.screenshot("leader-withdrawal-returned")
	if n := e.count(`SELECT COUNT(*) FROM sandbox_payouts`); n != 2 {
		t.Errorf("payouts at the provider = %d, want 2 (one each, the refused send made none)", n)
	}
	wantLedgerVerified(t, e)
}

// The operator settles every supplier up to yesterday on the page; the
// same day again pays nothing more.
func TestBrowserSettlement(t *testing.T) {
	e := newEnv(t)
	commissionScene(e)
	b := newTab(t, e.srv.URL)
	b.logIn(zh, "13900000001", "operator-pass")
	b.open("/admin/settlements")
	b.click("button", "结算")
	total := b.text("#settle-total")
	if !strings.Contains(total, "本次打款 ¥") || strings.Contains(total, "¥0.00") {
		t.Fatalf("the settlement paid %q, want the supplier's payable", total)
	}
	b.screenshot("admin-settlements")
	b.click("button", "结算")
	if got := b.text("#settle-total"); !strings.Contains(got, "¥0.00") || !strings.Contains(b.body(), "该日期已结算") {
		t.Errorf("the same day again = %q, want nothing more paid", got)
	}
	for range 2 {
		if _, err := e.svc.SendPayouts(context.Background(), 100); err != nil {
			t.Fatal(err)
		}
	}
	wantLedgerVerified(t, e)
}
