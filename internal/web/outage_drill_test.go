package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tuango/internal/jobs"
	"tuango/internal/storetest"
	"tuango/internal/tuango"
	"tuango/internal/webhook"
)

// The outage drill: under order load the database stops. Within 45 s the
// status page shows an incident with ordering in major outage, the
// storefront renders its last good copy under the banner, ordering
// answers 503 with Retry-After, and, once the database answers, the
// webhook subscriber has the signed update. The incident then resolves by
// itself with at least three updates, and the apology coupons go to
// exactly the customers whose orders failed.
func TestOutageDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a private PostgreSQL cluster")
	}
	pg := storetest.StartPostgres(t)
	e := newEnvConfig(t, pg.URL, tuango.Config{WebhooksAllowPrivate: true})
	ctx, stop := context.WithCancel(context.Background())
	var bg sync.WaitGroup
	t.Cleanup(func() { stop(); bg.Wait() })
	go1 := func(f func()) { bg.Add(1); go func() { defer bg.Done(); f() }() }

	// The clock follows real time, so that the sweeps and the quiet period run.
	go1(func() {
		for tick := time.NewTicker(50 * time.Millisecond); ctx.Err() == nil; <-tick.C {
			e.clock.Advance(50 * time.Millisecond)
		}
	})
	monitor := e.svc.NewStatusMonitor(tuango.StatusConfig{Node: "drill", Every: 500 * time.Millisecond, Quiet: 3 * time.Second})
	node := httptest.NewServer(NewServer(Config{Service: e.svc, Sandbox: e.sandbox, CSRFKey: e.csrfKey, Logger: e.logger(), Status: monitor}))
	t.Cleanup(node.Close)
	e.svc.SetWebhookSender(webhook.New(true))
	runner := jobs.NewRunner(e.store, e.clock, "drill", nil, jobs.Sweeps(e.svc, 300*time.Millisecond)...)
	go1(func() { runner.Run(ctx) })
	go1(func() { jobs.RunProbes(ctx, monitor) })

	// The subscriber.
	const secret = "drill-secret-0123456789"
	var hookMu sync.Mutex
	var hooks []drillDelivery
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m struct {
			Data struct {
				Update struct{ ID, Status string }
			}
		}
		json.Unmarshal(body, &m)
		hookMu.Lock()
		hooks = append(hooks, drillDelivery{signed: webhook.Verify(secret, body, r.Header.Get(webhook.HeaderSignature)), update: m.Data.Update.ID,
			status: m.Data.Update.Status, delivery: r.Header.Get(webhook.HeaderDelivery), at: time.Now()})
		hookMu.Unlock()
	}))
	t.Cleanup(receiver.Close)
	e.operator.mustDo("POST", "/api/v1/admin/webhooks", map[string]any{"url": receiver.URL, "secret": secret, "events": []string{tuango.EventIncidentUpdated}}, 201, nil)

	deal := e.newDeal(1_000_000, 999, 990)
	order := func(c *client, key string) (int, http.Header, []byte) {
		body, _ := json.Marshal(map[string]any{"pickup_point_id": e.ppID, "items": []map[string]any{{"deal_id": deal, "quantity": 1}}})
		req, _ := http.NewRequest("POST", node.URL+"/api/v1/orders", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Idempotency-Key", key)
		resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
		if err != nil {
			return 0, nil, []byte(err.Error())
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, b
	}
	// Customers who order only before the outage, and buyers who go on.
	var quiet []*client
	for i := range 2 {
		c := e.customer()
		if st, _, b := order(c, fmt.Sprintf("quiet-%d", i)); st != 201 {
			t.Fatalf("order before the outage = %d %s", st, b)
		}
		quiet = append(quiet, c)
	}
	type buyer struct {
		c      *client
		failed atomic.Bool // an order of theirs was refused while the database was down
	}
	buyers := make([]*buyer, 4)
	var down atomic.Bool
	var bad atomic.Value
	for i := range buyers {
		buyers[i] = &buyer{c: e.customer()}
		b := buyers[i]
		go1(func() {
			for n := 0; ctx.Err() == nil; n++ {
				st, h, body := order(b.c, fmt.Sprintf("drill-%d-%d", i, n))
				switch {
				case st == 201:
				case st == 503 && h.Get("Retry-After") != "":
					b.failed.Store(true)
				default:
					bad.CompareAndSwap(nil, fmt.Sprintf("%d Retry-After=%q %s", st, h.Get("Retry-After"), body))
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}

	// The storefront, seen once while all is well, is what this node keeps.
	shopper := &http.Client{Timeout: 10 * time.Second}
	storefront := func() (int, string) {
		req, _ := http.NewRequest("GET", node.URL+"/?lang=zh", nil)
		req.AddCookie(&http.Cookie{Name: pickupCookie, Value: e.ppID})
		resp, err := shopper.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, page := storefront(); st != 200 || !strings.Contains(page, "鲜鸡蛋") {
		t.Fatalf("storefront before the outage = %d", st)
	}
	dealList := func() (int, http.Header, string) {
		resp, err := shopper.Get(node.URL + "/api/v1/deals?pickup_point_id=" + e.ppID)
		if err != nil {
			return 0, nil, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	if st, h, b := dealList(); st != 200 || h.Get("Warning") != "" || !strings.Contains(b, deal) {
		t.Fatalf("deal list before the outage = %d %s", st, b)
	}
	waitFor(t, 10*time.Second, "a first good probe", func() bool { return !monitor.Snapshot().At.IsZero() })

	stopped := time.Now()
	down.Store(true)
	pg.Stop("fast")
	var inc incidentView
	waitFor(t, 45*time.Second, "an incident on /api/v1/status with ordering in major outage", func() bool {
		var s statusSummary
		if !getJSON(node.URL+"/api/v1/status", &s) || len(s.Incidents) == 0 {
			return false
		}
		inc = s.Incidents[0]
		return componentStatus(s, tuango.CompOrdering) == string(tuango.ComponentMajorOutage)
	})
	t.Logf("incident open on /status %.1f s after the stop", time.Since(stopped).Seconds())
	if resp, err := http.Get(node.URL + "/status?lang=en"); err != nil || resp.StatusCode != 200 {
		t.Errorf("GET /status while the database is down = %v %v", resp, err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{inc.Name, "Major outage", "Investigating", `id="status-stale"`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("/status while down lacks %q", want)
			}
		}
	}
	st, page := storefront()
	for _, want := range []string{"鲜鸡蛋", `id="incident-banner"`, "暂停下单"} {
		if st != 503 || !strings.Contains(page, want) {
			t.Errorf("storefront while down = %d, lacks %q", st, want)
		}
	}
	if st, h, b := dealList(); st != 200 || !strings.Contains(h.Get("Warning"), "Stale") || h.Get("X-Tuango-As-Of") == "" || !strings.Contains(b, deal) {
		t.Errorf("deal list while down = %d Warning=%q %s, want the last good copy marked stale", st, h.Get("Warning"), b)
	}
	c := buyers[0].c
	if st, h, b := order(c, "drill-probe"); st != 503 || h.Get("Retry-After") == "" || !strings.Contains(string(b), `"code":"unavailable"`) {
		t.Errorf("an order while down = %d Retry-After=%q %s", st, h.Get("Retry-After"), b)
	}
	if resp, err := http.Get(node.URL + "/status/feed.atom"); err != nil || resp.StatusCode != 200 {
		t.Errorf("the feed while down = %v %v", resp, err)
	}

	time.Sleep(time.Second) // let the failures count
	pg.Start()
	down.Store(false)
	restarted := time.Now()
	waitFor(t, 45*time.Second-time.Since(stopped), "the signed message of the incident's first update at the subscriber", func() bool {
		hookMu.Lock()
		defer hookMu.Unlock()
		return slices.ContainsFunc(hooks, func(d drillDelivery) bool { return d.signed && d.status == string(tuango.IncidentInvestigating) })
	})
	t.Logf("signed webhook %.1f s after the stop (%.1f s after the restart)", time.Since(stopped).Seconds(), time.Since(restarted).Seconds())

	var got *tuango.Incident
	var updates []tuango.IncidentUpdate
	waitFor(t, 30*time.Second, "the incident resolved by itself", func() bool {
		open, _ := monitor.Headline()
		if len(open) > 0 {
			return false
		}
		var err error
		got, updates, err = e.svc.GetIncident(ctx, inc.ID)
		return err == nil && got.Status == tuango.IncidentResolved
	})
	if !got.Auto || len(updates) < 3 {
		t.Errorf("resolved incident: auto %v with %d updates, want an automatic one with at least 3", got.Auto, len(updates))
	}
	waitFor(t, 10*time.Second, "a signed message per update at the subscriber", func() bool {
		hookMu.Lock()
		defer hookMu.Unlock()
		seen := map[string]bool{}
		for _, d := range hooks {
			seen[d.update] = seen[d.update] || d.signed
		}
		for _, u := range updates {
			if !seen[u.ID] {
				return false
			}
		}
		return true
	})
	stop() // the load ends: what failed is known
	bg.Wait()
	if v := bad.Load(); v != nil {
		t.Errorf("an order answered neither 201 nor 503 with Retry-After: %s", v)
	}
	if n := e.count(`SELECT COUNT(*) FROM incidents WHERE auto = 1`); n != 1 {
		t.Errorf("%d automatic incidents, want 1", n)
	}
	hookMu.Lock()
	perUpdate := map[string]int{}
	for _, d := range hooks {
		perUpdate[d.update]++
		if !d.signed {
			t.Errorf("delivery %s is not signed with the subscriber's secret", d.delivery)
		}
	}
	hookMu.Unlock()
	for id, n := range perUpdate {
		if n != 1 {
			t.Errorf("update %s delivered %d times, want once", id, n)
		}
	}

	// Apology coupons: exactly the buyers refused during the outage.
	e.svc.FlushOrderFailures(context.Background())
	var want []string
	for _, b := range buyers {
		if b.failed.Load() {
			want = append(want, b.c.userID)
		}
	}
	if len(want) == 0 {
		t.Fatal("no buyer was refused during the outage: the drill did not reach the orders")
	}
	var issued struct{ Issued int }
	e.operator.mustDo("POST", "/api/v1/admin/incidents/"+inc.ID+"/apology-coupons", map[string]any{"amount_off_fen": 500, "min_spend_fen": 2000, "valid_days": 7}, 200, &issued)
	var holders []string
	everyone := append([]*client{}, quiet...)
	for _, b := range buyers {
		everyone = append(everyone, b.c)
	}
	for _, c := range everyone {
		cs, err := e.store.FindCustomerCoupons(context.Background(), tuango.CustomerCouponFilter{UserID: c.userID})
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(cs, func(x tuango.CustomerCoupon) bool { return x.CouponID == "cpn_apology_"+inc.ID }) {
			holders = append(holders, c.userID)
		}
	}
	slices.Sort(holders)
	slices.Sort(want)
	if !slices.Equal(holders, want) || issued.Issued != len(want) {
		t.Errorf("apology coupons issued %d to %v, want %v (the buyers refused); customers who ordered only before: %s, %s", issued.Issued, holders, want, quiet[0].userID, quiet[1].userID)
	}
	e.operator.mustDo("POST", "/api/v1/admin/incidents/"+inc.ID+"/apology-coupons", map[string]any{"amount_off_fen": 500, "min_spend_fen": 2000, "valid_days": 7}, 200, &issued)
	if issued.Issued != 0 {
		t.Errorf("a second call issued %d more, want 0", issued.Issued)
	}
}

type drillDelivery struct {
	signed                   bool
	update, status, delivery string
	at                       time.Time
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("waited %s for %s", d.Round(time.Second), what)
}

func getJSON(url string, out any) bool {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	return resp.StatusCode == 200 && json.NewDecoder(resp.Body).Decode(out) == nil
}

func componentStatus(s statusSummary, id string) string {
	for _, c := range s.Components {
		if c.ID == id {
			return c.Status
		}
	}
	return ""
}
