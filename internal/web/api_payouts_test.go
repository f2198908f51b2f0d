package web

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"tuango/internal/payment"
	"tuango/internal/tuango"
)

// commissionScene runs a day to pickup through the API: the leader signs
// for the delivery, hands every order over, and once the after-sales
// window closed the commission is released and available.
func commissionScene(e *env) (*dayScene, *client, *payment.PayoutSandbox) {
	e.t.Helper()
	sc := newDayScene(e, true, true)
	leader := e.login(sc.leaderPhone)
	leader.mustDo("POST", "/api/v1/leader/deliveries/"+dayDate+"/sign", map[string]any{"lines": []map[string]any{{"deal_id": sc.deal, "received": len(sc.orders), "damaged": 0}}}, 200, nil, "Idempotency-Key", newKey())
	for _, o := range sc.orders {
		leader.mustDo("POST", "/api/v1/leader/pickups", map[string]any{"code": o.PickupCode}, 200, nil, "Idempotency-Key", newKey())
	}
	e.clock.Advance(tuango.DefaultAfterSalesWindow + time.Hour)
	n, err := e.svc.ReleaseCommissions(context.Background(), 100)
	if err != nil || n != len(sc.orders) {
		e.t.Fatalf("ReleaseCommissions = %d, %v; want %d", n, err, len(sc.orders))
	}
	ps := payment.NewPayoutSandbox(e.store, e.clock)
	e.svc.SetPayoutProvider(ps)
	return sc, leader, ps
}

// wantLedgerVerified checks the trial balance and every verification rule.
func wantLedgerVerified(t *testing.T, e *env) {
	t.Helper()
	d, err := e.db.LedgerData(context.Background())
	must(t, err)
	r := tuango.VerifyLedger(*d)
	if r.TotalFen != 0 {
		t.Errorf("trial balance = %d, want 0", r.TotalFen)
	}
	for _, v := range r.Violations {
		t.Errorf("ledger: %s", v)
	}
}

// The withdrawal contract over HTTP: 201 requested and held, the replay,
// 409 insufficient_balance, 400 below ¥1, the queue, approve, the sweep
// paying it, reject giving a hold back, and settlements once per day.
func TestWithdrawalsAndSettlementsAPI(t *testing.T) {
	e := newEnv(t)
	_, leader, _ := commissionScene(e)
	var bal leaderWithdrawalsView
	leader.mustDo("GET", "/api/v1/leader/withdrawals", nil, 200, &bal)
	if bal.AvailableFen < 150 || len(bal.Items) != 0 {
		t.Fatalf("balance = %+v, want at least 150 fen available and no withdrawals", bal)
	}
	avail := bal.AvailableFen

	key := newKey()
	var p payoutView
	leader.mustDo("POST", "/api/v1/leader/withdrawals", map[string]any{"amount_fen": 100}, 201, &p, "Idempotency-Key", key)
	if p.Status != "requested" || p.ID == "" || p.AmountFen != 100 {
		t.Errorf("withdrawal = %+v, want requested 100", p)
	}
	again := leader.mustDo("POST", "/api/v1/leader/withdrawals", map[string]any{"amount_fen": 100}, 201, nil, "Idempotency-Key", key)
	if again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the replay has no Idempotent-Replayed header")
	}
	for _, tc := range []struct {
		name   string
		body   map[string]any
		status int
		code   string
		field  string
	}{
		{"more than is available", map[string]any{"amount_fen": avail}, 409, tuango.CodeInsufficientBalance, ""},
		{"below ¥1", map[string]any{"amount_fen": 99}, 400, tuango.CodeInvalid, "amount_fen"},
		{"a float", map[string]any{"amount_fen": 1.5}, 400, tuango.CodeInvalid, "amount_fen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := leader.do("POST", "/api/v1/leader/withdrawals", tc.body, "Idempotency-Key", newKey())
			if pr := r.problem(); r.status != tc.status || pr.Code != tc.code || pr.Field != tc.field {
				t.Errorf("= %d %s, want %d %s on %q", r.status, r.body, tc.status, tc.code, tc.field)
			}
		})
	}
	if r := leader.do("POST", "/api/v1/leader/withdrawals", map[string]any{"amount_fen": 100}); r.status != 400 || r.problem().Code != tuango.CodeIdemKeyMissing {
		t.Errorf("without a key = %d %s, want 400 idempotency_key_missing", r.status, r.body)
	}

	var queue listPage[payoutView]
	e.operator.mustDo("GET", "/api/v1/admin/withdrawals?status=requested", nil, 200, &queue)
	if len(queue.Items) != 1 || queue.Items[0].ID != p.ID {
		t.Fatalf("queue = %+v, want the request", queue)
	}
	if r := e.operator.do("GET", "/api/v1/admin/withdrawals?status=lost", nil); r.status != 400 || r.problem().Field != "status" {
		t.Errorf("status=lost = %d %s, want 400 on status", r.status, r.body)
	}
	e.operator.mustDo("POST", "/api/v1/admin/withdrawals/"+p.ID+"/approve", nil, 200, &p)
	if p.Status != "approved" {
		t.Errorf("approved = %+v", p)
	}
	if r := e.operator.do("POST", "/api/v1/admin/withdrawals/wdr_missing/approve", nil); r.status != 404 {
		t.Errorf("approving a missing withdrawal = %d, want 404", r.status)
	}
	for range 2 {
		if _, err := e.svc.SendPayouts(context.Background(), 100); err != nil {
			t.Fatal(err)
		}
	}
	leader.mustDo("GET", "/api/v1/leader/withdrawals", nil, 200, &bal)
	if len(bal.Items) != 1 || bal.Items[0].Status != "paid" || bal.AvailableFen != avail-100 || bal.PendingFen != 0 {
		t.Errorf("after the payout: %+v, want it paid, %d available", bal, avail-100)
	}

	var second payoutView
	leader.mustDo("POST", "/api/v1/leader/withdrawals", map[string]any{"amount_fen": 100}, 201, &second, "Idempotency-Key", newKey())
	e.operator.mustDo("POST", "/api/v1/admin/withdrawals/"+second.ID+"/reject", map[string]any{"reason": "账户信息不符"}, 200, &second)
	if second.Status != "rejected" || second.Reason != "账户信息不符" {
		t.Errorf("rejected = %+v", second)
	}
	if r := e.operator.do("POST", "/api/v1/admin/withdrawals/"+second.ID+"/approve", nil); r.status != 409 {
		t.Errorf("approving a rejected withdrawal = %d, want 409", r.status)
	}
	leader.mustDo("GET", "/api/v1/leader/withdrawals", nil, 200, &bal)
	if bal.AvailableFen != avail-100 {
		t.Errorf("after the rejection: available %d, want %d", bal.AvailableFen, avail-100)
	}

	// Settlements: yesterday (China time) is over; today is not.
	yesterday := e.clock.Now().Add(8*time.Hour - 24*time.Hour).Format(time.DateOnly)
	var sts list[settlementView]
	e.operator.mustDo("POST", "/api/v1/admin/settlements", map[string]any{"to": yesterday}, 200, &sts)
	if len(sts.Items) != 1 || sts.Items[0].SupplierID != e.supplierID || sts.Items[0].AmountFen <= 0 || sts.Items[0].Payout == nil {
		t.Fatalf("settlement = %+v, want one paying the supplier", sts)
	}
	paid := sts.Items[0].AmountFen
	e.operator.mustDo("POST", "/api/v1/admin/settlements", map[string]any{"to": yesterday, "supplier_id": e.supplierID}, 200, &sts)
	if !sts.Items[0].AlreadySettled || sts.Items[0].AmountFen != paid {
		t.Errorf("the same day again = %+v, want already settled, nothing more", sts.Items[0])
	}
	today := e.clock.Now().Add(8 * time.Hour).Format(time.DateOnly)
	if r := e.operator.do("POST", "/api/v1/admin/settlements", map[string]any{"to": today}); r.status != 400 || r.problem().Field != "to" {
		t.Errorf("settling today = %d %s, want 400 on to", r.status, r.body)
	}
	if r := e.operator.do("POST", "/api/v1/admin/settlements", map[string]any{"to": yesterday, "supplier_id": "sup_missing"}); r.status != 404 {
		t.Errorf("a missing supplier = %d, want 404", r.status)
	}
	if r := leader.do("POST", "/api/v1/admin/settlements", map[string]any{"to": yesterday}); r.status != 403 {
		t.Errorf("a leader settling = %d, want 403", r.status)
	}
	for range 2 {
		if _, err := e.svc.SendPayouts(context.Background(), 100); err != nil {
			t.Fatal(err)
		}
	}
	wantLedgerVerified(t, e)
}

// The leader's withdrawal notifications and the supplier's settlement
// notifications are worded in both languages, with the amount (and the
// period) and, when there is one, the reason.
func TestWithdrawalNotificationTexts(t *testing.T) {
	for _, tc := range []struct {
		kind   tuango.NotificationKind
		reason string
		zh, en string
	}{
		{tuango.NotifyWithdrawalPaid, "", "提现 ¥12.50 已到账", "withdrawal of ¥12.50 has been paid"},
		{tuango.NotifyWithdrawalFailed, "ACCOUNT_FROZEN", "打款失败（ACCOUNT_FROZEN）", "could not be paid (ACCOUNT_FROZEN)"},
		{tuango.NotifyWithdrawalRejected, "", "¥12.50 未通过审核，金额已退回", "¥12.50 was rejected; the money"},
		{tuango.NotifyWithdrawalRejected, "户名不符", "未通过审核：户名不符", "was rejected: 户名不符"},
		{tuango.NotifySettlementPaid, "", "截至 2026-11-30 的货款结算 ¥12.50 已打款到账", "settlement up to 2026-11-30, ¥12.50, has been paid"},
		{tuango.NotifySettlementFailed, "ACCOUNT_FROZEN", "¥12.50 打款失败（ACCOUNT_FROZEN），货款仍记为应付，将在下次结算时一并支付", "could not be paid (ACCOUNT_FROZEN); it is still owed to you and will be paid with your next settlement"},
		{tuango.NotifySettlementFailed, "", "¥12.50 打款失败，货款仍记为应付", "¥12.50, could not be paid; it is still owed"},
	} {
		m := &tuango.Message{Kind: tc.kind, Params: tuango.NotifyParams{AmountFen: 1250, Reason: tc.reason, Date: "2026-11-30"}}
		if got := NotificationText("zh", m); !strings.Contains(got, tc.zh) {
			t.Errorf("%s (%q) in zh = %q, want %q in it", tc.kind, tc.reason, got, tc.zh)
		}
		if got := NotificationText("en", m); !strings.Contains(got, tc.en) {
			t.Errorf("%s (%q) in en = %q, want %q in it", tc.kind, tc.reason, got, tc.en)
		}
	}
}

// The settlements page lists the newest settlements with how each went:
// one the provider keeps refusing shows its last error beside "approved";
// once paid, the old error is no longer shown.
func TestSettlementsPageShowsHowEachWent(t *testing.T) {
	e := newEnv(t)
	_, _, ps := commissionScene(e)
	id := settleYesterday(e).ID
	row := func() string {
		t.Helper()
		req, err := http.NewRequest("GET", e.srv.URL+"/admin/settlements", nil)
		must(t, err)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: e.operator.token})
		req.Header.Set("Accept-Language", "zh-CN")
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("settlements page = %d %s", resp.StatusCode, b)
		}
		_, after, ok := strings.Cut(string(b), `data-settlement="`+id+`"`)
		if !ok {
			t.Fatalf("the settlements page does not list %s:\n%s", id, b)
		}
		tr, _, _ := strings.Cut(after, "</tr>")
		return tr
	}
	ps.SetFaults(payment.PayoutFaults{FailSend: 1})
	if _, err := e.svc.SendPayouts(context.Background(), 100); err != nil {
		t.Fatal(err)
	}
	if got := row(); !strings.Contains(got, `data-status="approved"`) || !strings.Contains(got, "已通过，待打款 · ") || !strings.Contains(got, "SYSTEM_ERROR") ||
		!strings.Contains(got, "<td>望城蔬菜合作社</td>") {
		t.Errorf("a refused settlement's row = %q, want the supplier's, approved with the provider's error", got)
	}
	ps.SetFaults(payment.PayoutFaults{})
	for range 2 {
		if _, err := e.svc.SendPayouts(context.Background(), 100); err != nil {
			t.Fatal(err)
		}
	}
	if got := row(); !strings.Contains(got, "已到账") || strings.Contains(got, "SYSTEM_ERROR") {
		t.Errorf("the settlement's row once paid = %q, want paid without the old error", got)
	}
	wantLedgerVerified(t, e)
}

// settleYesterday settles every supplier up to yesterday (China time) as
// the operator, and returns the one settlement's payout.
func settleYesterday(e *env) payoutView {
	e.t.Helper()
	yesterday := e.clock.Now().Add(8*time.Hour - 24*time.Hour).Format(time.DateOnly)
	var sts list[settlementView]
	e.operator.mustDo("POST", "/api/v1/admin/settlements", map[string]any{"to": yesterday}, 200, &sts)
	if len(sts.Items) != 1 || sts.Items[0].Payout == nil {
		e.t.Fatalf("settlement = %+v, want one", sts)
	}
	return *sts.Items[0].Payout
}

// GET /api/v1/admin/settlements lists the settlements with how each went,
// of one status or one supplier when asked, so that finance tools and the
// people on call see a failing settlement without the page.
func TestSettlementsListAPI(t *testing.T) {
	e := newEnv(t)
	_, leader, ps := commissionScene(e)
	made := settleYesterday(e)
	yesterday := made.PeriodTo
	listed := func(query string) []payoutView {
		t.Helper()
		var pg listPage[payoutView]
		e.operator.mustDo("GET", "/api/v1/admin/settlements"+query, nil, 200, &pg)
		return pg.Items
	}
	ps.SetFaults(payment.PayoutFaults{FailSend: 1})
	if _, err := e.svc.SendPayouts(context.Background(), 100); err != nil {
		t.Fatal(err)
	}
	got := listed("")
	if len(got) != 1 || got[0].ID != made.ID || got[0].Kind != "settlement" || got[0].PartyID != e.supplierID ||
		got[0].AmountFen != made.AmountFen || got[0].PeriodTo != yesterday || got[0].Status != "approved" ||
		got[0].Attempts != 1 || !strings.Contains(got[0].Reason, "SYSTEM_ERROR") {
		t.Fatalf("settlements after a refused send = %+v, want %s approved, 1 attempt, with the provider's error", got, made.ID)
	}
	if got := listed("?status=approved&supplier_id=" + e.supplierID); len(got) != 1 || got[0].ID != made.ID {
		t.Errorf("approved of the supplier = %+v, want %s", got, made.ID)
	}
	if got := listed("?status=paid"); len(got) != 0 {
		t.Errorf("paid before any is = %+v, want none", got)
	}
	var other struct {
		ID string `json:"id"`
	}
	e.operator.mustDo("POST", "/api/v1/admin/suppliers", map[string]any{"name": "山下果园"}, 201, &other)
	if got := listed("?supplier_id=" + other.ID); len(got) != 0 {
		t.Errorf("another supplier's settlements = %+v, want none", got)
	}
	// No withdrawal is ever listed as a settlement.
	leader.mustDo("POST", "/api/v1/leader/withdrawals", map[string]any{"amount_fen": 100}, 201, nil, "Idempotency-Key", newKey())
	if got := listed(""); len(got) != 1 || got[0].ID != made.ID {
		t.Errorf("settlements with a withdrawal requested = %+v, want only %s", got, made.ID)
	}

	ps.SetFaults(payment.PayoutFaults{})
	for range 2 {
		if _, err := e.svc.SendPayouts(context.Background(), 100); err != nil {
			t.Fatal(err)
		}
	}
	if got := listed("?status=paid"); len(got) != 1 || got[0].ID != made.ID || got[0].CompletedAt == "" || got[0].Attempts != 1 {
		t.Errorf("paid = %+v, want %s completed, its one refused send still counted", got, made.ID)
	}
	if got := listed("?status=approved"); len(got) != 0 {
		t.Errorf("approved once paid = %+v, want none", got)
	}

	for _, c := range []struct {
		query, field string
		status       int
	}{
		{"?status=requested", "status", 400}, // a settlement is never requested
		{"?status=lost", "status", 400},
		{"?supplier_id=sup%20x", "supplier_id", 400},
		{"?supplier_id=sup_missing", "", 404},
		{"?limit=0", "limit", 400},
		{"?cursor=a%20b", "cursor", 400},
	} {
		r := e.operator.do("GET", "/api/v1/admin/settlements"+c.query, nil)
		if r.status != c.status || (c.field != "" && r.problem().Field != c.field) {
			t.Errorf("GET %s = %d %s, want %d on %q", c.query, r.status, r.body, c.status, c.field)
		}
	}
	if r := leader.do("GET", "/api/v1/admin/settlements", nil); r.status != 403 {
		t.Errorf("a leader listing settlements = %d, want 403", r.status)
	}
	wantLedgerVerified(t, e)
}
