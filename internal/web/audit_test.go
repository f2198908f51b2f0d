package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"tuango/internal/tuango"
)

// Every write by staff, through the API or a page form, is in the audit
// log with who, from where and what was sent (secrets left out); a
// customer's request is not an operator action; the operator's page lists
// and filters the records, and refuses a filter it cannot read in the
// operator's language.
func TestAuditTrailOfOperatorActions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.operator.mustDo("POST", "/api/v1/admin/leaders", map[string]any{"phone": "13700000031", "password": "leader-secret-pw", "name": "钱团长"}, 201, nil)
	if r := e.operator.do("POST", "/api/v1/admin/suppliers", map[string]any{"name": ""}); r.status != 400 { // refused: nothing changed, nothing recorded
		t.Fatalf("a supplier without a name = %d %s", r.status, r.body)
	}
	zh := newBrowser(t, e.srv.URL)
	zh.logIn("13900000001", "operator-pass")
	token := zh.get("/admin/suppliers").csrf(t)
	if p := zh.post("/admin/suppliers", url.Values{"csrf": {token}, "name": {"宁乡花猪场"}, "contact": {"0731-1"}}); p.status != 303 {
		t.Fatalf("new supplier = %d:\n%s", p.status, p.body)
	}
	c := e.customer()
	c.do("PUT", "/api/v1/me/pickup-point", map[string]any{"pickup_point_id": e.ppID})
	if _, err := e.svc.ChainAudit(ctx, 1000); err != nil {
		t.Fatal(err)
	}

	q := `SELECT COUNT(*) FROM audit_records WHERE kind = ? AND actor_id = ? AND actor_role = 'operator' AND source = '127.0.0.1' AND seq IS NOT NULL AND detail LIKE ?`
	if n := e.count(q, "operator.POST /api/v1/admin/leaders", e.operator.userID, `%"name":"钱团长"%`); n != 1 {
		t.Errorf("API: operator records of the new leader = %d, want 1", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_records WHERE detail LIKE '%leader-secret-pw%'`); n != 0 {
		t.Errorf("%d audit records carry the leader's password", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_records WHERE kind = 'operator.POST /api/v1/admin/leaders' AND detail LIKE '%"password":"[redacted]"%'`); n != 1 {
		t.Errorf("the password field is not shown as redacted")
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_records WHERE kind = 'operator.POST /api/v1/admin/suppliers' AND detail = '{"name":""}'`); n != 0 {
		t.Errorf("a refused request left %d operator records", n)
	}
	if n := e.count(q, "operator.POST /admin/suppliers", e.operator.userID, `%宁乡花猪场%`); n != 1 {
		t.Errorf("page: operator records of the new supplier = %d, want 1", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_records WHERE detail LIKE '%` + token + `%'`); n != 0 {
		t.Errorf("the form's CSRF token is in the audit log")
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_records WHERE actor_id = ? AND kind LIKE 'operator.%'`, c.userID); n != 0 {
		t.Errorf("a customer's request was recorded as an operator action")
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_records WHERE kind = 'auth.login_ok' AND source = '127.0.0.1'`); n < 2 {
		t.Errorf("logins recorded = %d, want at least the operator's two", n)
	}

	t.Run("the page lists and filters", func(t *testing.T) {
		p := zh.get("/admin/audit?kind=operator.")
		if p.status != 200 || !strings.Contains(p.body, "operator.POST /admin/suppliers") || !strings.Contains(p.body, "operator.POST /api/v1/admin/leaders") || strings.Contains(p.body, "auth.login_ok") {
			t.Errorf("GET /admin/audit?kind=operator. = %d:\n%s", p.status, p.body)
		}
		// Each kind is said in words beside its code.
		if p := zh.get("/admin/audit?kind=auth."); p.status != 200 || !strings.Contains(p.body, `<span class="audit-what">登录成功</span> <code>auth.login_ok</code>`) {
			t.Errorf("GET /admin/audit?kind=auth. does not name auth.login_ok in words:\n%s", p.body)
		}
		if p := zh.get("/admin/audit?kind=operator."); !strings.Contains(p.body, `<span class="audit-what">运营操作</span> <code>operator.POST /admin/suppliers</code>`) {
			t.Errorf("GET /admin/audit?kind=operator. does not name an operator action in words:\n%s", p.body)
		}
		if p := zh.get("/admin/audit?actor=" + c.userID); p.status != 200 || strings.Contains(p.body, "operator.POST") {
			t.Errorf("the customer's records include operator actions:\n%s", p.body)
		}
		if p := zh.get("/admin/audit?from=2026-13-01"); p.status != 400 || !strings.Contains(p.body, "起始日期请按 年-月-日 填写") {
			t.Errorf("a bad date = %d:\n%s", p.status, p.body)
		}
		if p := zh.get("/admin/audit?kind=drop+table&lang=en"); p.status != 400 || !strings.Contains(p.body, "Choose a kind from the list.") {
			t.Errorf("a bad kind = %d:\n%s", p.status, p.body)
		}
	})
}

// The audit page's "More" link opens the next, older page of the same
// filter.
func TestAuditPageMoreLink(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := range 150 {
		e.clock.Advance(time.Second)
		if err := e.svc.Audit(ctx, tuango.AuditRecord{Kind: "security.link_test", Subject: fmt.Sprintf("n:%03d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	b := newBrowser(t, e.srv.URL)
	b.logIn("13900000001", "operator-pass")
	first := b.get("/admin/audit?kind=security.link_test")
	if first.status != 200 || !strings.Contains(first.body, "n:149") || strings.Contains(first.body, "n:049") {
		t.Fatalf("first page = %d, want the newest 100 records:\n%s", first.status, first.body)
	}
	more := first.links("/admin/audit?before=")
	if len(more) != 1 {
		t.Fatalf("more links = %q, want one", more)
	}
	older := b.get(more[0])
	if n := strings.Count(older.body, `data-kind="security.link_test"`); older.status != 200 || n != 50 || !strings.Contains(older.body, "n:049") || !strings.Contains(older.body, "n:000") || strings.Contains(older.body, "n:050") {
		t.Errorf("GET %s = %d with %d records, want the 50 older ones of the filter:\n%s", more[0], older.status, n, older.body)
	}
	if links := older.links("/admin/audit?before="); len(links) != 0 {
		t.Errorf("the last page links to more: %q", links)
	}
}

// The chain's head and this node's last verification are exported: the
// head's seq after chaining, and 1 once the verify sweep held; records
// waiting are counted.
func TestAuditMetrics(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	n, err := e.svc.ChainAudit(ctx, 1000)
	must(t, err)
	if n == 0 {
		t.Fatal("the env's setup left nothing to chain")
	}
	if _, err := e.svc.VerifyAuditSweep(ctx); err != nil {
		t.Fatal(err)
	}
	must(t, e.svc.Audit(ctx, tuango.AuditRecord{Kind: tuango.AuditBan, Subject: "ip:203.0.113.9"})) // the guard's call; waits for the sweep
	_, body := e.scrape()
	for _, want := range []string{fmt.Sprintf("tuango_audit_head_seq %d\n", n), "tuango_audit_chain_ok 1\n", "tuango_audit_unchained 1\n"} {
		if !strings.Contains(body, want) {
			t.Errorf("the scrape lacks %q", strings.TrimSpace(want))
		}
	}
	if strings.Contains(body, "tuango_audit_last_verify_timestamp_seconds 0\n") {
		t.Error("the last verification's time is 0 after a verification")
	}
}
