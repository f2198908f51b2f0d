package web

import (
	"strings"
	"testing"
	"time"
)

type trialBalanceJSON struct {
	Accounts []struct {
		Account    string `json:"account"`
		BalanceFen int64  `json:"balance_fen"`
	} `json:"accounts"`
	TotalFen int64 `json:"total_fen"`
}

type transferPageJSON struct {
	Items []struct {
		SetID     string `json:"set_id"`
		Event     string `json:"event"`
		Account   string `json:"account"`
		AmountFen int64  `json:"amount_fen"`
		At        string `json:"at"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// The operator reads the trial balance (total 0) and an order's transfers
// a page at a time; nobody else can; bad paging is a clear 400; the
// console page shows both, in Chinese and in English.
func TestLedgerAPIAndPage(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(10, 5, 1290)
	c := e.customer()
	o, p := c.pay(deal)
	c.mustDo("POST", "/api/v1/sandbox/payments/"+p.ID+"/confirm", nil, 200, nil)
	c.waitStatus(o.ID, "paid")
	e.clock.Advance(time.Second) // transfers are listed by time, then set
	c.mustDo("POST", "/api/v1/orders/"+o.ID+"/cancel", nil, 200, nil)

	var tb trialBalanceJSON
	e.operator.mustDo("GET", "/api/v1/admin/ledger/trial-balance", nil, 200, &tb)
	got := map[string]int64{}
	for _, a := range tb.Accounts {
		got[a.Account] = a.BalanceFen
	}
	if tb.TotalFen != 0 || got["provider_clearing"] != -1290 || got["refunds"] != 1290 || got["customer_payments"] != 0 {
		t.Errorf("trial balance = %+v, want the capture's 1290 fen owed back as a refund, total 0", tb)
	}
	var page transferPageJSON
	e.operator.mustDo("GET", "/api/v1/admin/ledger/transfers?order_id="+o.ID+"&limit=3", nil, 200, &page)
	if len(page.Items) != 3 || page.NextCursor == "" || page.Items[0].Event != "payment_captured" {
		t.Fatalf("first page = %+v, want 3 transfers from the capture on and a cursor", page)
	}
	var rest transferPageJSON
	e.operator.mustDo("GET", "/api/v1/admin/ledger/transfers?order_id="+o.ID+"&limit=3&cursor="+page.NextCursor, nil, 200, &rest)
	if len(rest.Items) != 1 || rest.NextCursor != "" || rest.Items[0].Event != "refund_granted" {
		t.Errorf("second page = %+v, want the refund's last transfer and no cursor", rest)
	}
	var sum int64
	for _, it := range append(page.Items, rest.Items...) {
		sum += it.AmountFen
	}
	if sum != 0 {
		t.Errorf("the order's transfers sum to %d, want 0", sum)
	}
	for _, bad := range []string{"limit=0", "limit=9999", "cursor=nonsense", "order_id=%20"} {
		r := e.operator.do("GET", "/api/v1/admin/ledger/transfers?"+bad, nil)
		if r.status != 400 || r.problem().Code != "validation_failed" {
			t.Errorf("transfers?%s = %d %+v, want 400 validation_failed", bad, r.status, r.problem())
		}
	}
	for _, path := range []string{"/api/v1/admin/ledger/trial-balance", "/api/v1/admin/ledger/transfers"} {
		if r := c.do("GET", path, nil); r.status != 403 {
			t.Errorf("a customer's GET %s = %d, want 403", path, r.status)
		}
	}

	b := newBrowser(t, e.srv.URL)
	b.logIn("13900000001", "operator-pass")
	zh := b.get("/admin/ledger?order_id=" + o.ID)
	for _, want := range []string{"试算平衡", `id="ledger-total" data-fen="0"`, "已平衡", "收款", "退款（取货前）", "<code>provider_clearing</code>", "-¥12.90"} {
		if !strings.Contains(zh.body, want) {
			t.Errorf("the ledger page lacks %q", want)
		}
	}
	en := b.get("/admin/ledger?lang=en&order_id=" + o.ID)
	for _, want := range []string{"Trial balance", "balanced", "payment captured", "refund before pickup"} {
		if !strings.Contains(en.body, want) {
			t.Errorf("the English ledger page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(zh.body)
	}
}
