package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/language"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// newGuardEnv is a node with intrusion detection on, the given buckets
// and WAF mode. The env's own clients come from 127.0.0.1, a trusted
// proxy: a test's attacker is an X-Forwarded-For address.
func newGuardEnv(t *testing.T, dsn string, limits RateLimits, waf string) *env {
	t.Helper()
	return newEnvServer(t, dsn, tuango.Config{}, func(c *Config) { c.IDS, c.RateLimits, c.WAF = true, limits, waf })
}

// from sends a request as the client at addr.
func (c *client) from(addr, method, path string, body any, headers ...string) response {
	c.e.t.Helper()
	return c.do(method, path, body, append([]string{"X-Forwarded-For", addr}, headers...)...)
}

func (e *env) anon() *client { return &client{e: e} }

// blocklist is the live block list, as the API lists it.
func (e *env) blocklist() []sourceRuleView {
	e.t.Helper()
	var l list[sourceRuleView]
	e.operator.mustDo("GET", "/api/v1/admin/blocklist", nil, 200, &l)
	return l.Items
}

func wantBanned(t *testing.T, r response, what string) {
	t.Helper()
	if r.status != http.StatusForbidden || (string(r.body) != string(bannedBody) && string(r.body) != string(bannedPage)) {
		t.Fatalf("%s = %d %s, want 403 %s (or, for a page, the fixed page)", what, r.status, r.body, bannedBody)
	}
	for _, h := range []string{"Retry-After", "RateLimit", "X-Request-Id", "Set-Cookie"} {
		if v := r.header.Get(h); v != "" {
			t.Errorf("%s: a banned answer carries %s: %s, want nothing but the code", what, h, v)
		}
	}
}

func TestBlockAndAllowListAPI(t *testing.T) {
	e := newGuardEnv(t, storetest.DSN(t), RateLimits{}, WAFOff)
	op := e.operator
	t.Run("bad input says what was wrong and adds nothing", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"not an address", map[string]any{"cidr": "203.0.113", "reason": "x"}, "cidr"},
			{"no address", map[string]any{"reason": "x"}, "cidr"},
			{"too wide to block", map[string]any{"cidr": "0.0.0.0/0", "reason": "x"}, "cidr"},
			{"no reason", map[string]any{"cidr": "203.0.113.7"}, "reason"},
			{"an end in the past", map[string]any{"cidr": "203.0.113.7", "reason": "x", "expires_at": testStart.Add(-time.Minute).Format(time.RFC3339)}, "expires_at"},
			{"an end that is not a time", map[string]any{"cidr": "203.0.113.7", "reason": "x", "expires_at": "tomorrow"}, "expires_at"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := op.do("POST", "/api/v1/admin/blocklist", tc.body)
				if p := r.problem(); r.status != 400 || p.Code != tuango.CodeInvalid || p.Field != tc.field {
					t.Errorf("POST blocklist %v = %d %s, want 400 validation_failed on %s", tc.body, r.status, r.body, tc.field)
				}
			})
		}
		if l := e.blocklist(); len(l) != 0 {
			t.Errorf("block list after bad input = %v, want empty", l)
		}
	})
	t.Run("a customer may not touch the lists", func(t *testing.T) {
		c := e.customer()
		for _, m := range []string{"GET", "POST", "DELETE"} {
			if r := c.do(m, "/api/v1/admin/blocklist?cidr=203.0.113.7", map[string]any{"cidr": "203.0.113.7", "reason": "x"}); r.status != 403 {
				t.Errorf("customer %s blocklist = %d, want 403", m, r.status)
			}
		}
	})
	var made sourceRuleView
	t.Run("a block is enforced at once and listed", func(t *testing.T) {
		op.mustDo("POST", "/api/v1/admin/blocklist", map[string]any{"cidr": "203.0.113.0/24", "reason": "扫描器", "expires_at": testStart.Add(time.Hour).Format(time.RFC3339)}, 201, &made)
		if made.CIDR != "203.0.113.0/24" || made.Origin != tuango.OriginOperator || made.CreatedBy != op.userID || made.ExpiresAt == "" {
			t.Errorf("made = %+v", made)
		}
		wantBanned(t, e.anon().from("203.0.113.9", "GET", "/api/v1/pickup-points", nil), "GET from a blocked range")
		page := e.anon().from("203.0.113.9", "GET", "/login", nil)
		wantBanned(t, page, "a page from a blocked range")
		if !strings.Contains(string(page.body), "暂时无法从这个网络访问") || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") {
			t.Errorf("a page from a blocked range = %s %s, want the fixed page a person can read", page.header.Get("Content-Type"), page.body)
		}
		if r := e.anon().from("203.0.114.9", "GET", "/api/v1/pickup-points", nil); r.status != 200 {
			t.Errorf("GET from outside the range = %d, want 200", r.status)
		}
		if l := e.blocklist(); len(l) != 1 || l[0].ID != made.ID {
			t.Errorf("block list = %+v, want the one rule", l)
		}
	})
	t.Run("the allow list wins over a block", func(t *testing.T) {
		var a sourceRuleView
		op.mustDo("POST", "/api/v1/admin/allowlist", map[string]any{"cidr": "203.0.113.10", "reason": "the office"}, 201, &a)
		if a.CIDR != "203.0.113.10/32" || a.ExpiresAt != "" {
			t.Errorf("allow rule = %+v, want 203.0.113.10/32 with no end", a)
		}
		if r := e.anon().from("203.0.113.10", "GET", "/api/v1/pickup-points", nil); r.status != 200 {
			t.Errorf("GET from an allowed address in a blocked range = %d, want 200", r.status)
		}
		op.mustDo("DELETE", "/api/v1/admin/allowlist?cidr=203.0.113.10", nil, 200, nil)
		wantBanned(t, e.anon().from("203.0.113.10", "GET", "/api/v1/pickup-points", nil), "GET once the allow rule is removed")
	})
	t.Run("removing a block ends it at once; removing it again is not found", func(t *testing.T) {
		var out struct {
			CIDR    string `json:"cidr"`
			Removed int    `json:"removed"`
		}
		op.mustDo("DELETE", "/api/v1/admin/blocklist", map[string]any{"cidr": "203.0.113.0/24"}, 200, &out)
		if out.CIDR != "203.0.113.0/24" || out.Removed != 1 {
			t.Errorf("DELETE = %+v", out)
		}
		if r := e.anon().from("203.0.113.9", "GET", "/api/v1/pickup-points", nil); r.status != 200 {
			t.Errorf("GET after the block was removed = %d, want 200", r.status)
		}
		if r := op.do("DELETE", "/api/v1/admin/blocklist?cidr=203.0.113.0/24", nil); r.status != 404 || r.problem().Code != tuango.CodeNotFound {
			t.Errorf("DELETE again = %d %s, want 404 not_found", r.status, r.body)
		}
	})
	t.Run("a block ends at its expiry without any reload", func(t *testing.T) {
		op.mustDo("POST", "/api/v1/admin/blocklist", map[string]any{"cidr": "198.51.100.1", "reason": "x", "expires_at": testStart.Add(time.Hour).Format(time.RFC3339)}, 201, nil)
		wantBanned(t, e.anon().from("198.51.100.1", "GET", "/api/v1/pickup-points", nil), "GET while blocked")
		e.clock.Advance(time.Hour)
		if r := e.anon().from("198.51.100.1", "GET", "/api/v1/pickup-points", nil); r.status != 200 {
			t.Errorf("GET at the block's end = %d, want 200", r.status)
		}
	})
}

// probe sends n requests for distinct missing paths from addr and returns
// the statuses.
func probe(e *env, addr string, n int) []int {
	var got []int
	for i := range n {
		got = append(got, e.anon().from(addr, "GET", fmt.Sprintf("/api/v1/deals/nope-%d", i), nil).status)
	}
	return got
}

func TestScannerReplay(t *testing.T) {
	e := newGuardEnv(t, storetest.DSN(t), DefaultRateLimits, WAFOff)
	got := probe(e, "192.0.2.50", 10)
	for i, s := range got {
		if s != 404 {
			t.Fatalf("probe %d = %d, want 404 (the ban comes after the tenth)", i+1, s)
		}
	}
	wantBanned(t, e.anon().from("192.0.2.50", "GET", "/api/v1/pickup-points", nil), "the scanner's next request")
	l := e.blocklist()
	if len(l) != 1 || l[0].CIDR != "192.0.2.50/32" || l[0].Origin != "http-probing" || l[0].CreatedBy != "ids" {
		t.Fatalf("block list = %+v, want one http-probing ban of 192.0.2.50", l)
	}
	if want := formatTime(testStart.Add(tuango.FirstBan)); l[0].ExpiresAt != want {
		t.Errorf("first ban ends %s, want %s (4 h)", l[0].ExpiresAt, want)
	}
	t.Run("nine distinct misses are not a scan", func(t *testing.T) {
		probe(e, "192.0.2.51", 9)
		if r := e.anon().from("192.0.2.51", "GET", "/api/v1/pickup-points", nil); r.status != 200 {
			t.Errorf("after nine misses = %d, want 200", r.status)
		}
	})
	t.Run("the same missing path again and again is not a scan", func(t *testing.T) {
		for range 30 {
			e.anon().from("192.0.2.52", "GET", "/api/v1/deals/nope", nil)
		}
		if r := e.anon().from("192.0.2.52", "GET", "/api/v1/pickup-points", nil); r.status != 200 {
			t.Errorf("after one path 30 times = %d, want 200", r.status)
		}
	})
	t.Run("a repeat doubles the ban, up to a week", func(t *testing.T) {
		want := []time.Duration{8 * time.Hour, 16 * time.Hour}
		for i, d := range want {
			e.clock.Advance(tuango.BanDuration(i) + time.Second) // the last ban has ended
			probe(e, "192.0.2.50", 10)
			wantBanned(t, e.anon().from("192.0.2.50", "GET", "/api/v1/pickup-points", nil), "the scanner, again")
			var ban *sourceRuleView
			for _, r := range e.blocklist() {
				if r.CIDR == "192.0.2.50/32" {
					ban = &r
				}
			}
			if ban == nil || ban.ExpiresAt != formatTime(e.clock.Now().Add(d)) {
				t.Errorf("ban %d = %+v, want one ending in %s", i+2, ban, d)
			}
		}
		for i, want := range []time.Duration{4, 8, 16, 32, 64, 128, 168, 168} {
			if got := tuango.BanDuration(i); got != want*time.Hour {
				t.Errorf("BanDuration(%d) = %s, want %dh", i, got, want)
			}
		}
	})
}

// TestIPv6ScannerBannedAsItsPrefix: a scanner that takes a new address of
// its /64 for every probe is still one source: detected after ten misses
// as one address would be, and banned as the /64, so that every other
// address of it is refused and no address of another /64 is; an address
// an operator allowed inside the banned /64 still gets through.
func TestIPv6ScannerBannedAsItsPrefix(t *testing.T) {
	e := newGuardEnv(t, storetest.DSN(t), DefaultRateLimits, WAFOff)
	scan := func(prefix string) {
		t.Helper()
		for i := range 10 {
			addr := netip.MustParseAddr(fmt.Sprintf("%s:%x:%x::%x", prefix, 0x1000+i, i*791, i+1)).String()
			if r := e.anon().from(addr, "GET", fmt.Sprintf("/api/v1/deals/nope-%d", i), nil); r.status != 404 {
				t.Fatalf("probe %d from %s = %d, want 404 (the ban comes after the tenth)", i+1, addr, r.status)
			}
		}
	}
	scan("2001:db8:77:1")
	wantBanned(t, e.anon().from("2001:db8:77:1:ffff:ffff:ffff:ffff", "GET", "/api/v1/pickup-points", nil), "another address of the scanner's /64")
	if r := e.anon().from("2001:db8:77:2::1", "GET", "/api/v1/pickup-points", nil); r.status != 200 {
		t.Errorf("an address of the next /64 = %d, want 200", r.status)
	}
	l := e.blocklist()
	if len(l) != 1 || l[0].CIDR != "2001:db8:77:1::/64" || l[0].Origin != "http-probing" || !strings.Contains(l[0].Reason, "2001:db8:77:1:1009:") {
		t.Fatalf("block list = %+v, want one http-probing ban of 2001:db8:77:1::/64 naming the last address seen", l)
	}
	t.Run("an allowed address inside a banned /64 still gets through", func(t *testing.T) {
		e.operator.mustDo("POST", "/api/v1/admin/allowlist", map[string]any{"cidr": "2001:db8:78:1::a11", "reason": "the office"}, 201, nil)
		scan("2001:db8:78:1")
		wantBanned(t, e.anon().from("2001:db8:78:1::b22", "GET", "/api/v1/pickup-points", nil), "a neighbour of the allowed address")
		if r := e.anon().from("2001:db8:78:1::a11", "GET", "/api/v1/pickup-points", nil); r.status != 200 {
			t.Errorf("the allowed address = %d, want 200", r.status)
		}
	})
	t.Run("an IPv4 scanner is still banned alone", func(t *testing.T) {
		probe(e, "192.0.2.55", 10)
		wantBanned(t, e.anon().from("192.0.2.55", "GET", "/api/v1/pickup-points", nil), "the IPv4 scanner")
		if r := e.anon().from("192.0.2.54", "GET", "/api/v1/pickup-points", nil); r.status != 200 {
			t.Errorf("the IPv4 scanner's neighbour = %d, want 200", r.status)
		}
	})
}

// TestScannerBannedOnEveryNode: a scanner caught by one node is refused by
// another node on the same PostgreSQL at its next request once a refresh
// interval has passed (guardRefresh, half a second, within the one second
// promised); the other node never saw the scan.
func TestScannerBannedOnEveryNode(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	a := newGuardEnv(t, dsn, DefaultRateLimits, WAFOff)
	b := newGuardEnv(t, dsn, DefaultRateLimits, WAFOff)
	if r := b.anon().from("192.0.2.60", "GET", "/api/v1/pickup-points", nil); r.status != 200 {
		t.Fatalf("node b before the scan = %d, want 200", r.status)
	}
	probe(a, "192.0.2.60", 10)
	wantBanned(t, a.anon().from("192.0.2.60", "GET", "/api/v1/pickup-points", nil), "node a after the scan")
	time.Sleep(guardRefresh)
	wantBanned(t, b.anon().from("192.0.2.60", "GET", "/api/v1/pickup-points", nil), "node b a refresh later")
	a.operator.mustDo("DELETE", "/api/v1/admin/blocklist?cidr=192.0.2.60", nil, 200, nil)
	time.Sleep(guardRefresh)
	if r := b.anon().from("192.0.2.60", "GET", "/api/v1/pickup-points", nil); r.status != 200 {
		t.Errorf("node b a refresh after the ban was removed on node a = %d, want 200", r.status)
	}
}

func TestDetectionScenarios(t *testing.T) {
	e := newGuardEnv(t, storetest.DSN(t), RateLimits{}, WAFOff)
	for i, tc := range []struct {
		scenario string
		n        int // requests before the ban
		req      func(c *client, addr string, i int) response
	}{
		{"http-sensitive-files", 2, func(c *client, addr string, i int) response {
			return c.from(addr, "GET", []string{"/.env", "/.git/config"}[i], nil)
		}},
		{"http-path-traversal-probing", 3, func(c *client, addr string, i int) response {
			return c.from(addr, "GET", []string{"/static/..%2f..%2fetc/passwd", "/api/v1/deals?f=../../etc/passwd", "/x/%2e%2e/%2e%2e/win.ini"}[i], nil)
		}},
		{"http-backdoors-attempts", 1, func(c *client, addr string, i int) response { return c.from(addr, "GET", "/uploads/c99.php", nil) }},
		{"http-admin-interface-probing", 4, func(c *client, addr string, i int) response {
			return c.from(addr, "GET", []string{"/wp-login.php", "/phpmyadmin/", "/administrator/", "/manager/html"}[i], nil)
		}},
		{"http-bad-user-agent", 1, func(c *client, addr string, i int) response {
			return c.from(addr, "GET", "/", nil, "User-Agent", "sqlmap/1.7.2#stable (https://sqlmap.org)")
		}},
		{"http-crawl-non_statics", 40, func(c *client, addr string, i int) response {
			return c.from(addr, "GET", fmt.Sprintf("/api/v1/deals?page=%d", i), nil)
		}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			addr := fmt.Sprintf("192.0.2.%d", 100+i)
			c := e.anon()
			for j := range tc.n {
				if r := tc.req(c, addr, j); r.status == 403 && string(r.body) == string(bannedBody) {
					t.Fatalf("banned at request %d, want after %d", j+1, tc.n)
				}
			}
			wantBanned(t, c.from(addr, "GET", "/api/v1/pickup-points", nil), "the next request")
			found := false
			for _, r := range e.blocklist() {
				found = found || r.CIDR == addr+"/32" && r.Origin == tc.scenario
			}
			if !found {
				t.Errorf("no %s ban of %s in %+v", tc.scenario, addr, e.blocklist())
			}
		})
	}
	t.Run("a signed-in customer's day is no scan", func(t *testing.T) {
		dealID := e.newDeal(100, 50, 990)
		c := e.customer()
		for i := range 60 {
			c.from("192.0.2.200", "GET", "/api/v1/pickup-points", nil)
			c.from("192.0.2.200", "GET", "/api/v1/deals/"+dealID, nil)
			if i%12 == 0 {
				c.from("192.0.2.200", "GET", fmt.Sprintf("/api/v1/orders/ord_missing%d", i), nil) // an old link
			}
		}
		if r := c.from("192.0.2.200", "GET", "/api/v1/me", nil); r.status != 200 {
			t.Errorf("after a busy session = %d %s, want 200", r.status, r.body)
		}
	})
	t.Run("the allow list exempts from detection", func(t *testing.T) {
		e.operator.mustDo("POST", "/api/v1/admin/allowlist", map[string]any{"cidr": "192.0.2.250", "reason": "our own scanner"}, 201, nil)
		probe(e, "192.0.2.250", 30)
		e.anon().from("192.0.2.250", "GET", "/.env", nil)
		e.anon().from("192.0.2.250", "GET", "/.git/config", nil)
		if r := e.anon().from("192.0.2.250", "GET", "/api/v1/pickup-points", nil); r.status != 200 {
			t.Errorf("an allowed scanner = %d, want 200", r.status)
		}
	})
}

func TestCredentialStuffing(t *testing.T) {
	e := newGuardEnv(t, storetest.DSN(t), DefaultRateLimits, WAFOff)
	c := e.anon()
	t.Run("one account guessed at from one source meets the login limit, not a ban", func(t *testing.T) {
		victim := e.customer()
		_ = victim
		var last response
		for range 12 {
			last = c.from("192.0.2.70", "POST", "/api/v1/auth/login", map[string]any{"phone": "13900000001", "password": "wrong-guess"})
		}
		if last.status != 429 || last.problem().Code != tuango.CodeTooManyAttempts || last.header.Get("Retry-After") == "" {
			t.Errorf("12th guess = %d %s, want 429 too_many_attempts with Retry-After", last.status, last.body)
		}
		if r := c.from("192.0.2.70", "GET", "/api/v1/pickup-points", nil); r.status != 200 {
			t.Errorf("the guesser's next request = %d, want 200 (not banned: the login limit holds it)", r.status)
		}
	})
	t.Run("many accounts from one source are banned", func(t *testing.T) {
		for i := range 6 {
			r := c.from("192.0.2.71", "POST", "/api/v1/auth/login", map[string]any{"phone": fmt.Sprintf("137%08d", i), "password": "123456aA"})
			if r.status != 401 {
				t.Fatalf("stuffing attempt %d = %d %s, want 401", i+1, r.status, r.body)
			}
		}
		wantBanned(t, c.from("192.0.2.71", "POST", "/api/v1/auth/login", map[string]any{"phone": "13700000099", "password": "x"}), "the 7th attempt")
		found := false
		for _, r := range e.blocklist() {
			found = found || r.CIDR == "192.0.2.71/32" && r.Origin == "http-generic-bf"
		}
		if !found {
			t.Errorf("no http-generic-bf ban in %+v", e.blocklist())
		}
	})
	t.Run("the owner still signs in from their own device", func(t *testing.T) {
		if r := c.do("POST", "/api/v1/auth/login", map[string]any{"phone": "13900000001", "password": "operator-pass", "totp": e.totpFor("13900000001")}); r.status != 200 {
			t.Errorf("the owner's login = %d %s, want 200", r.status, r.body)
		}
	})
}

// TestFlashSaleBehindOneNAT: 200 neighbours share one address (the
// pickup point's Wi-Fi); each browses, orders and looks at the order, all
// at once, below the per-account rate: no one is limited or banned.
func TestFlashSaleBehindOneNAT(t *testing.T) {
	e := newGuardEnv(t, storetest.DSN(t), DefaultRateLimits, WAFBlock)
	dealID := e.newDeal(1000, 2, 990)
	const n = 200
	ctx := t.Context()
	clients := make([]*client, n)
	for i := range clients {
		phone := fmt.Sprintf("136%08d", i)
		if _, err := e.svc.CreateUser(ctx, tuango.NewAccount{Phone: phone, Password: "neighbour-pass", Name: "邻居", Role: tuango.RoleCustomer}); err != nil {
			t.Fatal(err)
		}
		u, token, err := e.svc.Login(ctx, tuango.LoginRequest{Phone: phone, Password: "neighbour-pass", Source: "192.0.2.80"})
		if err != nil {
			t.Fatal(err)
		}
		clients[i] = &client{e: e, token: token, userID: u.ID}
	}
	var mu sync.Mutex
	statuses := map[int]int{}
	orders := 0
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() {
			var placed orderView
			steps := []func() response{
				func() response { return c.from("192.0.2.80", "GET", "/api/v1/deals?pickup_point_id="+e.ppID, nil) },
				func() response {
					r := c.from("192.0.2.80", "POST", "/api/v1/orders", map[string]any{"pickup_point_id": e.ppID,
						"items": []map[string]any{{"deal_id": dealID, "quantity": 1}}}, "Idempotency-Key", newKey())
					json.Unmarshal(r.body, &placed)
					return r
				},
				func() response { return c.from("192.0.2.80", "GET", "/api/v1/orders", nil) },
				func() response { return c.from("192.0.2.80", "GET", "/api/v1/orders/"+placed.ID, nil) },
			}
			for i, step := range steps {
				r := step()
				mu.Lock()
				statuses[r.status]++
				if i == 1 && r.status == 201 {
					orders++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	refused := 0
	for st, k := range statuses {
		if st >= 400 {
			refused += k
		}
	}
	if refused != 0 || orders != n {
		t.Errorf("statuses = %v, orders = %d; want none refused (no 429, no 403) and %d orders", statuses, orders, n)
	}
	if l := e.blocklist(); len(l) != 0 {
		t.Errorf("block list = %+v, want empty", l)
	}
}

func TestRateLimitBuckets(t *testing.T) {
	// The env's setup is many requests from one operator: the limited
	// node is a second one, on the same service, made after it.
	setup := newGuardEnv(t, storetest.DSN(t), RateLimits{}, WAFOff)
	a0, b0 := setup.customer(), setup.customer()
	e := &env{t: t, clock: setup.clock, svc: setup.svc, store: setup.store}
	e.srv = httptest.NewServer(NewServer(Config{Service: setup.svc, Sandbox: setup.sandbox, CSRFKey: setup.csrfKey, IDS: true,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, RateLimits: RateLimits{Account: Rate{1, 3}, IP: Rate{1, 2}, Auth: Rate{1, 2}}}))
	t.Cleanup(e.srv.Close)
	a, b := &client{e: e, token: a0.token, userID: a0.userID}, &client{e: e, token: b0.token, userID: b0.userID}
	t.Run("an account's bucket, with the draft's headers", func(t *testing.T) {
		for i := range 3 {
			r := a.from("192.0.2.90", "GET", "/api/v1/me", nil)
			if r.status != 200 {
				t.Fatalf("request %d = %d, want 200", i+1, r.status)
			}
			if got, want := r.header.Get("RateLimit"), fmt.Sprintf(`"account";r=%d;t=%d`, 2-i, i+1); got != want {
				t.Errorf("request %d RateLimit = %q, want %q", i+1, got, want)
			}
		}
		r := a.from("192.0.2.90", "GET", "/api/v1/me", nil)
		if r.status != 429 || r.problem().Code != tuango.CodeTooManyAttempts || r.header.Get("Retry-After") != "1" {
			t.Errorf("4th request = %d %s Retry-After %q, want 429 too_many_attempts, Retry-After 1", r.status, r.body, r.header.Get("Retry-After"))
		}
		if p := r.problem(); r.header.Get("Content-Type") != "application/problem+json" || p.Type != "urn:tuango:problem:too_many_attempts" ||
			p.Detail != "too many requests; slow down and try again in a moment" {
			t.Errorf("4th request = %s %s, want the API's problem+json", r.header.Get("Content-Type"), r.body)
		}
		if got, want := r.header.Get("RateLimit-Policy"), `"account";q=3;w=3`; got != want {
			t.Errorf("RateLimit-Policy = %q, want %q", got, want)
		}
		if got, want := r.header.Get("RateLimit"), `"account";r=0;t=3`; got != want {
			t.Errorf("RateLimit = %q, want %q", got, want)
		}
	})
	t.Run("a neighbour on the same address is not limited", func(t *testing.T) {
		if r := b.from("192.0.2.90", "GET", "/api/v1/me", nil); r.status != 200 {
			t.Errorf("the neighbour = %d, want 200", r.status)
		}
	})
	t.Run("the bucket refills with time", func(t *testing.T) {
		e.clock.Advance(time.Second)
		if r := a.from("192.0.2.90", "GET", "/api/v1/me", nil); r.status != 200 {
			t.Errorf("a second later = %d, want 200", r.status)
		}
	})
	for _, tc := range []struct {
		name  string
		from  [3]string // three anonymous requests, the third refused
		other string    // then one from elsewhere, served
	}{
		{"anonymous requests spend from the address's bucket", [3]string{"192.0.2.91", "192.0.2.91", "192.0.2.91"}, "192.0.2.92"},
		{"addresses of one IPv6 /64 spend from one bucket", [3]string{"2001:db8:91:1::1", "2001:db8:91:1:abcd::2", "2001:db8:91:1:ffff::3"}, "2001:db8:91:2::1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.anon()
			c.from(tc.from[0], "GET", "/api/v1/pickup-points", nil)
			c.from(tc.from[1], "GET", "/api/v1/pickup-points", nil)
			if r := c.from(tc.from[2], "GET", "/api/v1/pickup-points", nil); r.status != 429 || !strings.HasPrefix(r.header.Get("RateLimit"), `"ip";r=0`) {
				t.Errorf("3rd anonymous request, from %s = %d RateLimit %q, want 429 from the ip bucket", tc.from[2], r.status, r.header.Get("RateLimit"))
			}
			if r := c.from(tc.other, "GET", "/api/v1/pickup-points", nil); r.status != 200 {
				t.Errorf("another source, %s = %d, want 200", tc.other, r.status)
			}
		})
	}
	t.Run("the sign-in bucket counts an IPv6 /64 as one", func(t *testing.T) {
		// Signed in, so that the account's bucket is spent, not the
		// address's, and the auth bucket is the one to run out.
		c0 := setup.customer()
		c := &client{e: e, token: c0.token, userID: c0.userID}
		body := map[string]any{"phone": "13900000001", "password": "wrong-guess"}
		c.from("2001:db8:92:1::1", "POST", "/api/v1/auth/login", body)
		c.from("2001:db8:92:1::2", "POST", "/api/v1/auth/login", body)
		if r := c.from("2001:db8:92:1::3", "POST", "/api/v1/auth/login", body); r.status != 429 || !strings.Contains(r.header.Get("RateLimit"), `"auth";r=0`) {
			t.Errorf("3rd sign-in from the /64 = %d RateLimit %q, want 429 from the auth bucket", r.status, r.header.Get("RateLimit"))
		}
	})
	t.Run("a page refused is a page in the reader's language", func(t *testing.T) {
		for addr, tt := range map[string]struct{ path, want string }{
			"192.0.2.93": {"/", "请求太频繁了，请稍等片刻再试。"},
			"192.0.2.94": {"/?lang=en", "Too many requests in a short time: wait a moment, then try again."},
		} {
			c := e.anon()
			c.from(addr, "GET", tt.path, nil)
			c.from(addr, "GET", tt.path, nil)
			r := c.from(addr, "GET", tt.path, nil)
			if r.status != 429 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), tt.want) ||
				r.header.Get("Retry-After") != "1" || !strings.HasPrefix(r.header.Get("RateLimit"), `"ip";r=0`) {
				t.Errorf("3rd GET %s = %d %s Retry-After %q RateLimit %q:\n%s\nwant 429, a page saying %q, Retry-After 1",
					tt.path, r.status, r.header.Get("Content-Type"), r.header.Get("Retry-After"), r.header.Get("RateLimit"), r.body, tt.want)
			}
		}
	})
	t.Run("static files are not limited", func(t *testing.T) {
		for range 5 {
			if r := e.anon().from("192.0.2.91", "GET", "/static/app.js", nil); r.status != 200 {
				t.Fatalf("static = %d, want 200", r.status)
			}
		}
	})
}

func TestParseRateLimits(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want RateLimits
		bad  bool
	}{
		{"", DefaultRateLimits, false},
		{"off", RateLimits{}, false},
		{"account=5:10", RateLimits{Account: Rate{5, 10}, IP: DefaultRateLimits.IP, Auth: DefaultRateLimits.Auth}, false},
		{"account=0:1,ip=0:1,auth=0:1", RateLimits{Account: Rate{0, 1}, IP: Rate{0, 1}, Auth: Rate{0, 1}}, false},
		{"account=5", RateLimits{}, true},
		{"cart=5:10", RateLimits{}, true},
		{"ip=-1:5", RateLimits{}, true},
		{"ip=5:0", RateLimits{}, true},
	} {
		got, err := ParseRateLimits(tc.in)
		if (err != nil) != tc.bad || !tc.bad && got != tc.want {
			t.Errorf("ParseRateLimits(%q) = %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

// TestWAFLetsTuangoThrough sends tuango's own traffic — sign-in, the order
// path, a form in Chinese — through the Core Rule Set in blocking mode:
// none of it is refused; attacks are, and a source that keeps sending them
// is banned.
func TestWAFLetsTuangoThrough(t *testing.T) {
	e := newGuardEnv(t, storetest.DSN(t), DefaultRateLimits, WAFBlock)
	dealID := e.newDeal(100, 5, 990)
	c := e.customer()
	o := c.mustOrder(dealID, 2)
	c.mustDo("GET", "/api/v1/orders/"+o.ID, nil, 200, nil)
	c.mustDo("POST", "/api/v1/orders/"+o.ID+"/cancel", nil, 200, nil)
	e.operator.mustDo("POST", "/api/v1/admin/pickup-points", map[string]any{"city_id": e.cityID, "name": "桂花园·李叔水果店（东门）",
		"address": "天心区芙蓉中路三段 88 号 \"桂花园\" 1-102；营业 7:30-21:00", "commission_bps": 700}, 201, nil)
	e.operator.mustDo("PATCH", "/api/v1/admin/deals/"+dealID, map[string]any{"stock": 120}, 200, nil)
	e.login("13900000001")
	t.Run("a webhook's URL by address is the app's to judge", func(t *testing.T) {
		hook := func(url string) map[string]any {
			return map[string]any{"url": url, "secret": "a-secret-of-some-length", "events": []string{"incident.updated"}}
		}
		if r := e.operator.do("POST", "/api/v1/admin/webhooks", hook("http://127.0.0.1:9/hooks")); r.status != 400 {
			t.Errorf("a loopback webhook = %d %s, want 400 from tuango's own check", r.status, r.body)
		}
		if r := e.operator.do("POST", "/api/v1/admin/webhooks", hook("https://203.0.113.5/tuango/hooks")); r.status != 201 {
			t.Errorf("a webhook by public address = %d %s, want 201", r.status, r.body)
		}
	})
	t.Run("the login page and a Chinese text form", func(t *testing.T) {
		b := newBrowser(t, e.srv.URL)
		b.get("/login")
		b.logIn("13900000001", "operator-pass")
		form := b.get("/admin/coupons")
		r := b.post("/admin/coupons", url.Values{"csrf": {form.csrf(t)}, "name": {"新人专享·满30减5（限长沙）\"枫林\"店"}, "kind": {"threshold"},
			"amount_off": {"5"}, "min_spend": {"30"}, "valid_from": {"2026-11-25T08:00"}, "valid_to": {"2026-12-25T23:00"}})
		if r.status != 303 && r.status != 200 {
			t.Errorf("coupon form in Chinese = %d %s, want it accepted", r.status, r.body)
		}
	})
	t.Run("attacks are refused, and their source banned", func(t *testing.T) {
		x := e.anon()
		attacks := []string{
			"/api/v1/deals?city_id=1%27%20OR%20%271%27=%271",
			"/api/v1/deals?q=%3Cscript%3Ealert(1)%3C/script%3E",
			"/api/v1/deals?city_id=1%20UNION%20SELECT%20password%20FROM%20users--",
			"/api/v1/deals?next=;cat%20/etc/hosts",
			"/api/v1/deals?x=%3Cimg%20src=x%20onerror=alert(1)%3E",
		}
		for i, a := range attacks {
			if r := x.from("192.0.2.120", "GET", a, nil); r.status != 403 || r.problem().Code != tuango.CodeForbidden {
				t.Errorf("attack %d %s = %d %s, want 403 forbidden", i+1, a, r.status, r.body)
			}
		}
		wantBanned(t, x.from("192.0.2.120", "GET", "/api/v1/pickup-points", nil), "after five attacks")
	})
	t.Run("a page refused by the firewall says so in the reader's language", func(t *testing.T) {
		x := e.anon()
		r := x.from("192.0.2.121", "GET", "/?q=%3Cscript%3Ealert(1)%3C/script%3E", nil)
		if r.status != 403 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), "被安全防护拦截") {
			t.Errorf("a page refused by the WAF = %d %s %s, want 403 and a page saying why", r.status, r.header.Get("Content-Type"), r.body)
		}
	})
}

// The placing of an order in its strictly checked JSON shape is spared
// the WAF: an injection in it is refused by the order's own checks (400,
// naming the field), not by the Core Rule Set. The same body sent in
// another shape (a query string, a body not declared JSON), or with
// --waf-inspect-orders, goes through the WAF and is refused there (403).
func TestWAFSparesTheOrderPost(t *testing.T) {
	injected := func(e *env) map[string]any {
		return map[string]any{"pickup_point_id": e.ppID, "items": []map[string]any{{"deal_id": "1' OR '1'='1' --", "quantity": 1}}}
	}
	e := newGuardEnv(t, storetest.DSN(t), RateLimits{}, WAFBlock)
	dealID := e.newDeal(100, 5, 990)
	c := e.customer()
	r := c.from("192.0.2.140", "POST", "/api/v1/orders", injected(e), "Idempotency-Key", newKey())
	if p := r.problem(); r.status != 400 || p.Code != tuango.CodeInvalid || p.Field != "items[0].deal_id" {
		t.Errorf("an injection in a spared order = %d %s, want 400 invalid on items[0].deal_id (the order's own check)", r.status, r.body)
	}
	r = c.from("192.0.2.141", "POST", "/api/v1/orders?via=app", injected(e), "Idempotency-Key", newKey())
	if r.status != 403 || r.problem().Code != tuango.CodeForbidden {
		t.Errorf("the same with a query string = %d %s, want 403 from the WAF", r.status, r.body)
	}
	body, _ := json.Marshal(injected(e))
	r = c.from("192.0.2.142", "POST", "/api/v1/orders", body, "Idempotency-Key", newKey(), "Content-Type", "text/plain")
	if r.status != 403 || r.problem().Code != tuango.CodeForbidden {
		t.Errorf("the same declared text/plain = %d %s, want 403 from the WAF", r.status, r.body)
	}
	if r := c.from("192.0.2.143", "POST", "/api/v1/orders", map[string]any{"pickup_point_id": e.ppID, "items": []map[string]any{{"deal_id": dealID, "quantity": 1}}},
		"Idempotency-Key", newKey()); r.status != 201 {
		t.Errorf("a spared order = %d %s, want 201", r.status, r.body)
	}
	var mine list[orderView]
	c.mustDo("GET", "/api/v1/orders", nil, 200, &mine)
	if len(mine.Items) != 1 {
		t.Errorf("the customer has %d orders, want 1: a refused request placed nothing", len(mine.Items))
	}

	inspected := newEnvServer(t, storetest.DSN(t), tuango.Config{}, func(c *Config) { c.RateLimits, c.WAF, c.WAFInspectOrders = RateLimits{}, WAFBlock, true })
	inspected.newDeal(100, 5, 990)
	r = inspected.customer().from("192.0.2.144", "POST", "/api/v1/orders", injected(inspected), "Idempotency-Key", newKey())
	if r.status != 403 || r.problem().Code != tuango.CodeForbidden {
		t.Errorf("with WAFInspectOrders, an injection in an order = %d %s, want 403 from the WAF", r.status, r.body)
	}
}

func TestWAFDetectRefusesNothing(t *testing.T) {
	e := newGuardEnv(t, storetest.DSN(t), RateLimits{}, WAFDetect)
	if r := e.anon().from("192.0.2.130", "GET", "/api/v1/pickup-points?city_id=1%27%20OR%20%271%27=%271", nil); r.status != 200 {
		t.Errorf("an injection in detect mode = %d, want 200 (logged only)", r.status)
	}
	if !strings.Contains(e.logs.String(), `"waf match"`) {
		t.Errorf("the log has no waf match: %s", e.logs.String())
	}
}

// The operator's security page: bad input is named in the page's
// language and adds nothing; a block made there is enforced at once and
// listed with its reason; removing it lifts it.
func TestSecurityPage(t *testing.T) {
	e := newGuardEnv(t, storetest.DSN(t), RateLimits{}, WAFBlock)
	b := newBrowser(t, e.srv.URL)
	b.logIn("13900000001", "operator-pass")
	pg := b.get("/admin/security")
	if pg.status != 200 || !strings.Contains(pg.body, "封禁名单") || !strings.Contains(pg.body, "目前没有封禁") {
		t.Fatalf("security page = %d:\n%s", pg.status, pg.body)
	}
	add := func(list, cidr, reason, hours string) page_ {
		return b.post("/admin/security", url.Values{"csrf": {pg.csrf(t)}, "list": {list}, "cidr": {cidr}, "reason": {reason}, "hours": {hours}})
	}
	for _, tc := range []struct{ name, cidr, reason, hours, want string }{
		{"not an address", "203.0.113", "扫描", "", "请填写 IP 地址"},
		{"no reason", "203.0.113.7", " ", "", "请写明原因"},
		{"hours that are not a number", "203.0.113.7", "扫描", "soon", "请填写一个正数小时"},
		{"too wide", "10.0.0.0/4", "扫描", "", "最宽为 IPv4 /8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if p := add("block", tc.cidr, tc.reason, tc.hours); p.status != 400 || !strings.Contains(p.body, tc.want) {
				t.Errorf("add %q = %d, want 400 saying %q:\n%s", tc.cidr, p.status, tc.want, p.body)
			}
		})
	}
	if l := e.blocklist(); len(l) != 0 {
		t.Fatalf("block list after bad input = %+v", l)
	}
	p := add("block", "203.0.113.7", "夜里扫了 300 个路径", "24")
	if p.status != 200 || !strings.Contains(p.body, `data-cidr="203.0.113.7/32"`) || !strings.Contains(p.body, "夜里扫了 300 个路径") || !strings.Contains(p.body, "运营人员") {
		t.Fatalf("after adding = %d:\n%s", p.status, p.body)
	}
	wantBanned(t, e.anon().from("203.0.113.7", "GET", "/api/v1/pickup-points", nil), "the blocked address")
	if p := b.post("/admin/security/remove", url.Values{"csrf": {pg.csrf(t)}, "list": {"block"}, "cidr": {"203.0.113.7/32"}}); p.status != 200 || strings.Contains(p.body, `data-cidr="203.0.113.7/32"`) {
		t.Errorf("after removing = %d:\n%s", p.status, p.body)
	}
	if r := e.anon().from("203.0.113.7", "GET", "/api/v1/pickup-points", nil); r.status != 200 {
		t.Errorf("the address after removal = %d, want 200", r.status)
	}
	t.Run("a customer may not see it", func(t *testing.T) {
		c := newBrowser(t, e.srv.URL)
		cu := e.customer()
		_ = cu
		if p := c.get("/admin/security"); p.status == 200 {
			t.Errorf("anonymous /admin/security = 200")
		}
	})
}

// The security page's form names every field at fault at once, in the
// operator's language, keeps what was typed and adds nothing.
func TestSecurityFormNamesEveryFieldAtFault(t *testing.T) {
	e := newGuardEnv(t, storetest.DSN(t), RateLimits{}, WAFBlock)
	zh := newBrowser(t, e.srv.URL)
	zh.logIn("13900000001", "operator-pass")
	en := newBrowser(t, e.srv.URL)
	en.logIn("13900000001", "operator-pass")
	en.get("/admin/security?lang=en")
	for _, tc := range []struct {
		name                      string
		b                         *browser
		lang                      language.Tag
		list, cidr, reason, hours string
		want                      []string // the fields marked
	}{
		{"not an address, no reason and hours below zero", zh, langZH, "block", "999.1.1.1", " ", "-1", []string{"cidr", "reason", "hours"}},
		{"no such list, too wide, a long reason and hours in words, in English", en, langEN, "grey", "10.0.0.0/4", strings.Repeat("长", 201), "soon", []string{"list", "cidr", "reason", "hours"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.b.post("/admin/security", url.Values{"csrf": {tc.b.get("/admin/security").csrf(t)}, "list": {tc.list}, "cidr": {tc.cidr}, "reason": {tc.reason}, "hours": {tc.hours}})
			if p.status != 400 {
				t.Fatalf("add %q = %d, want 400:\n%s", tc.cidr, p.status, p.body)
			}
			for _, field := range tc.want {
				if want := underField(tc.lang, field, "rule.source."+field); !strings.Contains(p.body, want) {
					t.Errorf("add %q: the page does not say %q under %s:\n%s", tc.cidr, want, field, p.body)
				}
			}
			if n := strings.Count(p.body, `class="field-error"`); n != len(tc.want) {
				t.Errorf("add %q: %d fields are marked, want %d", tc.cidr, n, len(tc.want))
			}
			for _, v := range []string{`value="` + tc.cidr + `"`, `value="` + tc.hours + `"`} {
				if !strings.Contains(p.body, v) {
					t.Errorf("add %q: the form lost %s", tc.cidr, v)
				}
			}
		})
	}
	if n := e.count(`SELECT COUNT(*) FROM source_rules`); n != 0 {
		t.Errorf("source rules after bad input = %d, want 0", n)
	}
}
