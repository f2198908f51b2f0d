package web

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"tuango/internal/jobs"
	"tuango/internal/metrics"
	"tuango/internal/sqlstore"
	"tuango/internal/tuango"
)

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// logger is the env's server log: JSON lines, as tuango serve writes them,
// kept for the tests that read it.
func (e *env) logger() *slog.Logger {
	return slog.New(NewLogHandler(slog.NewJSONHandler(&e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
}

// scrape reads /metrics as Prometheus would.
func (e *env) scrape(headers ...string) (int, string) {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+"/metrics", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// series counts the samples of a scrape: one per line that is not a
// comment.
func series(scrape string) int {
	n := 0
	sc := bufio.NewScanner(strings.NewReader(scrape))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			n++
		}
	}
	return n
}

// checkSeriesBudget scrapes the env and checks the node stays under 2,000
// series and that promtool, where installed, finds nothing wrong.
func checkSeriesBudget(t *testing.T, e *env) {
	t.Helper()
	status, body := e.scrape()
	if status != 200 {
		t.Fatalf("GET /metrics = %d %s", status, body)
	}
	n := series(body)
	t.Logf("%d series after every route was called by every role", n)
	// Bounded by the route table: each API route adds its histogram (17
	// series per method) and a counter per status it answered.
	if n >= 2000 {
		t.Errorf("%d series, want under 2,000 per node", n)
	}
	promtoolCheck(t, body)
}

// promtoolCheck runs promtool check metrics on a scrape; it skips only
// when promtool is not installed (CI installs Debian's prometheus).
func promtoolCheck(t *testing.T, scrape string) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Log("promtool is not installed (apt-get install -y prometheus): the scrape's lint is skipped")
		return
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = strings.NewReader(scrape)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// sample returns the value of the first sample whose line starts with
// prefix (a name and, optionally, the start of its labels), and whether
// there is one.
func sample(scrape, prefix string) (string, bool) {
	for _, l := range strings.Split(scrape, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l[strings.LastIndexByte(l, ' ')+1:], true
		}
	}
	return "", false
}

func TestMetricsCountOrdersPerRoutePatternAndCity(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(10, 5, 1290)
	c := e.customer()
	o := c.mustOrder(deal, 2)
	c.mustDo("GET", "/api/v1/orders/"+o.ID, nil, 200, nil)
	c.do("GET", "/api/v1/orders/ord_not_there", nil)
	status, body := e.scrape()
	if status != 200 {
		t.Fatalf("GET /metrics = %d", status)
	}
	for _, tc := range []struct{ prefix, want string }{
		{`tuango_http_server_requests_total{http_request_method="POST",http_response_status_code="201",http_route="/api/v1/orders"}`, "1"},
		{`tuango_http_server_requests_total{http_request_method="GET",http_response_status_code="200",http_route="/api/v1/orders/{id}"}`, "1"},
		{`tuango_http_server_requests_total{http_request_method="GET",http_response_status_code="404",http_route="/api/v1/orders/{id}"}`, "1"},
		{`http_server_request_duration_seconds_count{http_request_method="POST",http_route="/api/v1/orders"}`, "1"},
		{`http_server_request_duration_seconds_bucket{http_request_method="POST",http_route="/api/v1/orders",le="10"}`, "1"},
		{`tuango_orders_placed_total{city="` + e.cityID + `"}`, "1"},
		{`tuango_orders_placed_fen_total{city="` + e.cityID + `"}`, "2580"},
		{`tuango_order_batch_size_count`, "1"},
		{`tuango_outbox_unsent`, "0"},
		{`tuango_oversold_deals`, "0"},
		{`tuango_backlog_read_ok`, "1"},
		{`tuango_webhook_deliveries{status="failed"}`, "0"},
		{`tuango_order_failures_unflushed`, "0"},
	} {
		if got, ok := sample(body, tc.prefix); !ok || got != tc.want {
			t.Errorf("%s = %q (found %v), want %s", tc.prefix, got, ok, tc.want)
		}
	}
	for _, raw := range []string{o.ID, "ord_not_there", c.userID, deal} {
		if strings.Contains(body, raw) {
			t.Errorf("the scrape names %q: ids must never be labels", raw)
		}
	}
	promtoolCheck(t, body)
}

func TestMetricsToken(t *testing.T) {
	e := newEnv(t)
	srv := NewServer(Config{Service: e.svc, Metrics: e.metrics, MetricsToken: "scrape-secret"})
	for _, tc := range []struct {
		name, auth string
		want       int
	}{
		{"no token is 401", "", 401},
		{"a wrong token is 401", "Bearer nope", 401},
		{"a session-style header with the wrong scheme is 401", "Basic scrape-secret", 401},
		{"the token is 200", "Bearer scrape-secret", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/metrics", nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Errorf("GET /metrics = %d %s, want %d", rec.Code, rec.Body, tc.want)
			}
			if tc.want == 200 && !strings.Contains(rec.Body.String(), "go_goroutines") {
				t.Errorf("the scrape has no Go runtime metrics")
			}
		})
	}
}

// The backlog the scrape reads: unsent outbox messages and their age, and
// a deal whose live orders hold more than its stock, which nothing but a
// broken rule 1 makes (here, a line rewritten behind the store's back).
func TestBacklogSeesOutboxAndOversell(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	deal := e.newDeal(10, 5, 1290)
	c := e.customer()
	o, p := c.pay(deal)
	c.mustDo("POST", "/api/v1/sandbox/payments/"+p.ID+"/confirm", nil, 200, nil)
	c.waitStatus(o.ID, "paid")
	e.operator.mustDo("POST", "/api/v1/admin/cutoffs", map[string]any{"city_id": e.cityID, "delivery_date": "2026-11-26"}, 200, nil) // tells the customer
	e.clock.Advance(time.Minute)
	b, err := e.db.ReadBacklog(ctx, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if b.OutboxUnsent == 0 || b.OutboxOldest.IsZero() || e.clock.Now().Sub(b.OutboxOldest) < time.Minute {
		t.Errorf("backlog after a payment = %+v, want the cutoff's notification, a minute old", b)
	}
	if b.OversoldDeals != 0 {
		t.Errorf("oversold deals = %d on a healthy store, want 0", b.OversoldDeals)
	}
	if _, err := e.svc.DeliverNotifications(ctx, 100); err != nil {
		t.Fatal(err)
	}
	raw, _, err := sqlstore.OpenRaw(e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	q := `UPDATE order_lines SET quantity = 11 WHERE order_id = ?`
	if strings.HasPrefix(e.dsn, "postgres") {
		q = `UPDATE order_lines SET quantity = 11 WHERE order_id = $1`
	}
	if _, err := raw.ExecContext(ctx, q, o.ID); err != nil {
		t.Fatal(err)
	}
	if b, err = e.db.ReadBacklog(ctx, e.clock.Now()); err != nil || b.OutboxUnsent != 0 || !b.OutboxOldest.IsZero() || b.OversoldDeals != 1 {
		t.Errorf("backlog = %+v, %v; want the outbox empty and one oversold deal", b, err)
	}
	_, body := e.scrape()
	if got, _ := sample(body, "tuango_oversold_deals "); got != "1" {
		t.Errorf("tuango_oversold_deals = %q, want 1", got)
	}
}

// Every metric deploy/alerts.yml and the Grafana dashboard read is one a
// node exports (or one defined for later work), so that no alert watches
// a name nobody writes.
func TestDeployedRulesReadExportedMetrics(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(10, 5, 1290)
	e.customer().mustOrder(deal, 1)
	e.operator.mustDo("POST", "/api/v1/admin/cutoffs", map[string]any{"city_id": e.cityID, "delivery_date": "2026-11-26"}, 200, nil)
	runner := jobs.NewRunner(e.store, e.clock, "node-a", nil, jobs.Sweeps(e.svc, time.Second)...)
	runner.SetObserver(e.metrics)
	runner.RunOnce(context.Background(), jobs.Sweeps(e.svc, time.Second)[0])
	_, body := e.scrape()
	exported := map[string]bool{metrics.NameLedgerImbalance: true, metrics.NameBackupLastSuccess: true, metrics.NameRestoreLastSuccess: true,
		metrics.NameAuditChainOK: true}
	for _, l := range strings.Split(body, "\n") {
		if f := strings.Fields(l); len(f) >= 3 && f[0] == "#" && f[1] == "TYPE" {
			exported[f[2]] = true
		}
	}
	name := regexp.MustCompile(`\b(tuango_[a-z_]+|http_server_[a-z_]+|go_sql_[a-z_]+)\b`)
	for _, file := range []string{"../../deploy/alerts.yml", "../../deploy/alerts_test.yml", "../../deploy/grafana-dashboard.json"} {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		for _, n := range name.FindAllString(string(text), -1) {
			base := n
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if b, ok := strings.CutSuffix(n, suffix); ok && exported[b] {
					base = b
				}
			}
			if !exported[base] {
				t.Errorf("%s reads %s, which no node exports", file, n)
			}
			seen++
		}
		if seen < 10 {
			t.Errorf("%s: found only %d metric names; the pattern is broken", file, seen)
		}
	}
}

// tuango_payouts_failing counts the approved payouts whose send failed
// and has not yet succeeded (PayoutsFailing in deploy/alerts.yml): not one
// waiting for its first send, not one sent after its failures.
func TestBacklogCountsFailingPayouts(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, id := range []string{"po_waiting", "po_refused"} {
		if err := e.store.CreatePayout(ctx, &tuango.Payout{ID: id, Kind: tuango.PayoutWithdrawal, PartyID: "usr_leader", AmountFen: 5000,
			Status: tuango.PayoutApproved, CreatedAt: e.clock.Now(), DecidedAt: e.clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	failing := func(want int, when string) {
		t.Helper()
		b, err := e.db.ReadBacklog(ctx, e.clock.Now())
		if err != nil || b.PayoutsFailing != want {
			t.Errorf("%s: failing payouts = %d, %v; want %d", when, b.PayoutsFailing, err, want)
		}
	}
	failing(0, "approved, not yet sent")
	for range 2 {
		if err := e.store.NotePayoutAttempt(ctx, "po_refused", "the provider refused: account closed"); err != nil {
			t.Fatal(err)
		}
	}
	failing(1, "one refused twice")
	// The first scrape reads the backlog (later ones within 5 s reuse it).
	if _, body := e.scrape(); !strings.Contains(body, "\ntuango_payouts_failing 1\n") {
		got, _ := sample(body, "tuango_payouts_failing ")
		t.Errorf("tuango_payouts_failing = %q, want 1", got)
	}
	if ok, err := e.store.MovePayout(ctx, tuango.PayoutMove{ID: "po_refused", From: tuango.PayoutApproved, To: tuango.PayoutSent, At: e.clock.Now()}); !ok || err != nil {
		t.Fatalf("move to sent = %v, %v", ok, err)
	}
	failing(0, "sent at last")
}
