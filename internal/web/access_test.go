package web

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"tuango/internal/tuango"
)

// access is who may call a route.
type access int

const (
	public        access = iota // anyone, logged in or not
	user                        // anyone logged in; anonymous gets 401 from the API, a redirect to /login from a page
	staff                       // operators and admins; other roles get 403, anonymous as for user
	supplier                    // supplier accounts; other roles get 403, anonymous as for user
	leader                      // group leaders; other roles get 403, anonymous as for user
	staffOrLeader               // operators, admins and leaders (a leader's own objects only); others 403
)

func (a access) String() string {
	return [...]string{"public", "user", "staff", "supplier", "leader", "staffOrLeader"}[a]
}

// allows reports whether a caller of the given role ("anonymous" for none)
// may use a route of access a.
func (a access) allows(role string) bool {
	staffRole := role == "operator" || role == "admin"
	switch a {
	case public:
		return true
	case user:
		return role != "anonymous"
	case staff:
		return staffRole
	case supplier:
		return role == "supplier"
	case leader:
		return role == "leader"
	case staffOrLeader:
		return staffRole || role == "leader"
	}
	return false
}

// routeAccess is the expected answer per role of every route in
// Server.Routes(), keyed "METHOD pattern". A route added without an entry
// here fails TestAccessTableCoversEveryRoute.
var routeAccess = map[string]access{
	"GET /healthz":             public,
	"GET /readyz":              public,
	"GET /api/v1/openapi.json": public,
	"GET /metrics":             public, // open unless --metrics-token is set (see TestMetricsToken)

	"POST /api/v1/auth/register":     public,
	"POST /api/v1/auth/login":        public,
	"POST /api/v1/auth/codes":        public,
	"POST /api/v1/auth/logout":       user,
	"GET /api/v1/me":                 user,
	"PUT /api/v1/me/pickup-point":    user,
	"GET /api/v1/me/notifications":   user,
	"GET /api/v1/pickup-points":      public,
	"GET /api/v1/pickup-points/{id}": public,
	"GET /api/v1/deals":              public,

	"POST /api/v1/orders":                  user,
	"GET /api/v1/orders":                   user,
	"GET /api/v1/orders/{id}":              user,
	"POST /api/v1/orders/{id}/cancel":      user,
	"POST /api/v1/orders/{id}/payments":    user,
	"GET /api/v1/payments/{id}":            user,
	"POST /api/v1/payments/notify/sandbox": public, // the provider's signature is its credential

	"POST /api/v1/sandbox/payments/{id}/confirm": user,
	"GET /api/v1/sandbox/faults":                 staff,
	"PUT /api/v1/sandbox/faults":                 staff,

	"GET /api/v1/admin/cities":                          staff,
	"GET /api/v1/admin/suppliers":                       staff,
	"POST /api/v1/admin/suppliers":                      staff,
	"PATCH /api/v1/admin/suppliers/{id}":                staff,
	"POST /api/v1/admin/products":                       staff,
	"PATCH /api/v1/admin/products/{id}":                 staff,
	"POST /api/v1/admin/deals":                          staff,
	"GET /api/v1/admin/deals/{id}":                      staff,
	"PATCH /api/v1/admin/deals/{id}":                    staff,
	"POST /api/v1/admin/pickup-points":                  staff,
	"PATCH /api/v1/admin/pickup-points/{id}":            staff,
	"POST /api/v1/admin/leaders":                        staff,
	"PATCH /api/v1/admin/leaders/{id}":                  staff,
	"PUT /api/v1/admin/cities/{id}/closures/{date}":     staff,
	"PUT /api/v1/admin/pickup-points/{id}/closures":     staffOrLeader,
	"POST /api/v1/admin/pickup-points/{id}/move-orders": staff,
	"POST /api/v1/admin/cutoffs":                        staff,
	"GET /api/v1/admin/cutoffs/{id}/{date}":             staff,
	"GET /api/v1/admin/purchase-orders":                 staff,
	"GET /api/v1/admin/sorting-lists":                   staff,
	"GET /api/v1/admin/manifests":                       staff,
	"POST /api/v1/admin/routes/{id}/dispatch":           staff,
	"GET /api/v1/supplier/purchase-orders":              supplier,
	"GET /api/v1/leader/deliveries/{date}":              leader,
	"POST /api/v1/leader/deliveries/{date}/sign":        leader,
	"POST /api/v1/leader/pickups":                       leader,
	"GET /api/v1/orders/{id}/pickup-code.png":           user,

	// Pages, behind the session cookie.
	"GET /{$}":                            public,
	"GET /login":                          public,
	"POST /login":                         public,
	"POST /login/code":                    public,
	"POST /logout":                        public, // logging out without a session is harmless
	"GET /static/":                        public,
	"GET /favicon.ico":                    public,
	"POST /pickup-point":                  public,
	"GET /deals/{id}":                     public,
	"GET /cart":                           public,
	"POST /cart":                          public,
	"GET /checkout":                       user,
	"POST /checkout":                      user,
	"GET /orders":                         user,
	"GET /orders/{id}":                    user,
	"POST /orders/{id}/cancel":            user,
	"POST /orders/{id}/pay":               user,
	"GET /sandbox/pay/{id}":               user,
	"POST /sandbox/pay/{id}":              user,
	"GET /admin":                          staff,
	"GET /admin/pickup-points":            staff,
	"POST /admin/pickup-points/{id}":      staff,
	"POST /admin/pickup-points/{id}/open": staff,
	"GET /admin/pickup-points/new":        staff,
	"GET /admin/pickup-points/{id}":       staff,
	"POST /admin/pickup-points":           staff,
	"GET /admin/leaders":                  staff,
	"POST /admin/leaders":                 staff,
	"GET /admin/leaders/{id}":             staff,
	"POST /admin/leaders/{id}":            staff,
	"GET /admin/suppliers/new":            staff,
	"GET /admin/suppliers/{id}":           staff,
	"POST /admin/suppliers":               staff,
	"POST /admin/suppliers/{id}":          staff,
	"GET /admin/products/new":             staff,
	"GET /admin/products/{id}":            staff,
	"POST /admin/products":                staff,
	"POST /admin/products/{id}":           staff,
	"GET /admin/suppliers":                staff,
	"GET /admin/deals/new":                staff,
	"GET /admin/deals/{id}":               staff,
	"POST /admin/deals":                   staff,
	"POST /admin/deals/{id}":              staff,
	" /":                                  public,

	// The day after the order's pages.
	"GET /leader":                         leader,
	"POST /leader/deliveries/{date}/sign": leader,
	"POST /leader/pickups":                leader,
	"POST /leader/closures":               leader,
	"GET /leader/pick-list":               leader,
	"GET /orders/{id}/pickup-code.png":    user,
	"GET /notifications":                  user,
	"GET /supplier":                       supplier,
	"GET /supplier/purchase-orders":       supplier,
	"GET /admin/day":                      staff,
	"POST /admin/cities/{id}/closures":    staff,
	"POST /admin/cutoffs":                 staff,
	"POST /admin/routes/{id}/dispatch":    staff,
	"GET /admin/lists/{kind}":             staff,

	// A closed pickup point's orders.
	"POST /api/v1/admin/pickup-points/{id}/cancel-orders": staff,
	"GET /admin/pickup-points/{id}/closure":               staff,
	"POST /admin/pickup-points/{id}/closures":             staff,
	"POST /admin/pickup-points/{id}/move-orders":          staff,
	"POST /admin/pickup-points/{id}/cancel-orders":        staff,
	"GET /supplier/products":                              supplier,
	// Coupons.
	"POST /api/v1/admin/coupons":            staff,
	"GET /api/v1/admin/coupons":             staff,
	"POST /api/v1/admin/coupons/{id}/issue": staff,
	"GET /api/v1/me/coupons":                user,
	"GET /coupons":                          user,
	"GET /admin/coupons":                    staff,
	"POST /admin/coupons":                   staff,
	"POST /admin/coupons/{id}/issue":        staff,
	// The ledger.
	"GET /api/v1/admin/ledger/trial-balance": staff,
	"GET /api/v1/admin/ledger/transfers":     staff,
	"GET /admin/ledger":                      staff,
	// Backups and restore drills.
	"GET /api/v1/admin/backups": staff,

	// After-sales.
	"POST /api/v1/orders/{id}/after-sales":             user,
	"GET /api/v1/orders/{id}/after-sales":              user,
	"GET /api/v1/admin/after-sales":                    staff,
	"POST /api/v1/admin/after-sales/{id}/approve":      staff,
	"POST /api/v1/admin/after-sales/{id}/reject":       staff,
	"PUT /api/v1/admin/cities/{id}/after-sales-window": staff,
	"POST /orders/{id}/after-sales":                    user,
	"GET /admin/after-sales":                           staff,
	"POST /admin/after-sales/{id}/approve":             staff,
	"POST /admin/after-sales/{id}/reject":              staff,
	// Statements.
	"GET /api/v1/supplier/statement": supplier,
	"GET /api/v1/leader/statement":   leader,
	"GET /supplier/statement":        supplier,
	"GET /leader/statement":          leader,
	// Payouts.
	"POST /api/v1/leader/withdrawals":             leader,
	"GET /api/v1/leader/withdrawals":              leader,
	"GET /api/v1/admin/withdrawals":               staff,
	"POST /api/v1/admin/withdrawals/{id}/approve": staff,
	"POST /api/v1/admin/withdrawals/{id}/reject":  staff,
	"POST /api/v1/admin/settlements":              staff,
	"GET /api/v1/admin/settlements":               staff,
	"GET /leader/withdrawals":                     leader,
	"POST /leader/withdrawals":                    leader,
	"GET /admin/withdrawals":                      staff,
	"POST /admin/withdrawals/{id}/approve":        staff,
	"POST /admin/withdrawals/{id}/reject":         staff,
	"GET /admin/settlements":                      staff,
	"POST /admin/settlements":                     staff,
	// The status page and incidents.
	"GET /api/v1/status":                                public,
	"POST /api/v1/admin/incidents":                      staff,
	"POST /api/v1/admin/incidents/{id}/updates":         staff,
	"POST /api/v1/admin/incidents/{id}/postmortem":      staff,
	"POST /api/v1/admin/incidents/{id}/apology-coupons": staff,
	"GET /status":                           public,
	"GET /status/feed.atom":                 public,
	"GET /admin/incidents":                  staff,
	"POST /admin/incidents":                 staff,
	"POST /admin/incidents/{id}/updates":    staff,
	"POST /admin/incidents/{id}/postmortem": staff,
	// Telling people: webhooks, feedback.
	"POST /api/v1/admin/webhooks":                staff,
	"GET /api/v1/admin/webhooks":                 staff,
	"DELETE /api/v1/admin/webhooks/{id}":         staff,
	"GET /api/v1/admin/webhooks/{id}/deliveries": staff,
	"POST /api/v1/feedback":                      user,
	"GET /api/v1/admin/feedback":                 staff,
	"POST /api/v1/admin/feedback/{id}/handle":    staff,
	"GET /feedback":                              user,
	"POST /feedback":                             user,
	"GET /admin/feedback":                        staff,
	"POST /admin/feedback/{id}/handle":           staff,
	"GET /admin/webhooks":                        staff,
	"POST /admin/webhooks":                       staff,
	"POST /admin/webhooks/{id}/delete":           staff,

	// Accounts: registering and resetting by a code sent to the phone,
	// sessions, the second factor.
	"POST /api/v1/auth/password":   public,
	"POST /api/v1/auth/logout-all": user,
	"POST /api/v1/me/password":     user,
	"POST /api/v1/me/totp":         staff,
	"POST /api/v1/me/totp/confirm": staff,
	"GET /register":                public,
	"POST /register":               public,
	"POST /register/code":          public,
	"GET /password/reset":          public,
	"POST /password/reset":         public,
	"POST /password/reset/code":    public,
	"GET /account":                 user,
	"POST /account/password":       user,
	"POST /logout/all":             public, // as /logout: harmless without a session
	"GET /account/totp":            staff,
	"POST /account/totp":           staff,
	// The audit log.
	"GET /admin/audit":               staff,
	"GET /api/v1/admin/blocklist":    staff,
	"POST /api/v1/admin/blocklist":   staff,
	"DELETE /api/v1/admin/blocklist": staff,
	"GET /api/v1/admin/allowlist":    staff,
	"POST /api/v1/admin/allowlist":   staff,
	"DELETE /api/v1/admin/allowlist": staff,
	"GET /admin/security":            staff,
	"POST /admin/security":           staff,
	"POST /admin/security/remove":    staff,
}

func routeKey(rt Route) string { return rt.Method + " " + rt.Pattern }

// accessGaps returns the routes without an entry in table, and the
// entries that name no route.
func accessGaps(routes []Route, table map[string]access) []string {
	var gaps []string
	seen := map[string]bool{}
	for _, rt := range routes {
		seen[routeKey(rt)] = true
		if _, ok := table[routeKey(rt)]; !ok {
			gaps = append(gaps, "no expected access for route "+routeKey(rt))
		}
	}
	for k := range table {
		if !seen[k] {
			gaps = append(gaps, "an expected access for "+k+", which is not a route")
		}
	}
	slices.Sort(gaps)
	return gaps
}

func TestAccessTableCoversEveryRoute(t *testing.T) {
	s := NewServer(Config{})
	if gaps := accessGaps(s.Routes(), routeAccess); len(gaps) > 0 {
		t.Errorf("routeAccess is out of step with routes.go:\n%s", strings.Join(gaps, "\n"))
	}
	t.Run("a route added without an entry is reported", func(t *testing.T) {
		routes := append(s.Routes(), Route{Method: "POST", Pattern: "/api/v1/admin/new-thing"})
		gaps := accessGaps(routes, routeAccess)
		if !slices.Equal(gaps, []string{"no expected access for route POST /api/v1/admin/new-thing"}) {
			t.Errorf("gaps = %q, want the new route reported", gaps)
		}
	})
	t.Run("an entry without a route is reported", func(t *testing.T) {
		table := map[string]access{"GET /gone": public}
		for k, v := range routeAccess {
			table[k] = v
		}
		if gaps := accessGaps(s.Routes(), table); !slices.Equal(gaps, []string{"an expected access for GET /gone, which is not a route"}) {
			t.Errorf("gaps = %q, want the stale entry reported", gaps)
		}
	})
}

// roleClient logs in a new account of the given role.
func (e *env) roleClient(role tuango.Role) *client {
	e.t.Helper()
	phone := fmt.Sprintf("137%08d", phoneSeq.Add(1))
	u, err := e.svc.CreateUser(e.t.Context(), tuango.NewAccount{Phone: phone, Password: "operator-pass", Name: string(role), Role: role})
	if err != nil {
		e.t.Fatal(err)
	}
	if role.IsStaff() {
		e.enrol(u)
	}
	return e.login(phone)
}

// Every route, called by every role with an empty body and an id that
// names nothing, answers as routeAccess says. The API: 401 for anonymous
// callers of what needs a login, 403 for roles without the right, and for
// those with it anything but unauthorized and forbidden. Pages, with the
// role's session cookie and a valid form token: a redirect to /login for
// anonymous visitors of what needs a login, 403 for roles without the
// right, and for those with it anything else. Nothing is written.
func TestEveryRouteAnswersEachRoleAsExpected(t *testing.T) {
	e := newEnv(t)
	callers := []struct {
		role   string
		client *client
	}{
		{"anonymous", &client{e: e}},
		{"customer", e.customer()},
		{"leader", e.roleClient(tuango.RoleLeader)},
		{"supplier", e.roleClient(tuango.RoleSupplier)},
		{"operator", e.operator},
		{"admin", e.roleClient(tuango.RoleAdmin)},
	}
	tables := []string{"suppliers", "products", "deals", "pickup_points", "users", "orders", "payments"}
	before := map[string]int{}
	for _, tb := range tables {
		before[tb] = e.count(`SELECT COUNT(*) FROM ` + tb)
	}
	routes := NewServer(Config{}).Routes()
	// Logging out ends the callers' sessions: it goes last, each time with a
	// new session.
	logout := func(rt Route) string { return fmt.Sprint(strings.Contains(rt.Pattern, "logout")) }
	slices.SortStableFunc(routes, func(a, b Route) int { return strings.Compare(logout(a), logout(b)) })
	for _, rt := range routes {
		want, ok := routeAccess[routeKey(rt)]
		if !ok {
			continue // TestAccessTableCoversEveryRoute reports it
		}
		method := rt.Method
		if method == "" {
			method = "GET"
		}
		path := strings.NewReplacer("{id}", "x_missing", "{date}", "2026-01-01", "{$}", "").Replace(rt.Pattern)
		for _, c := range callers {
			if strings.Contains(rt.Pattern, "logout") && c.client.token != "" {
				c.client = e.roleClient(tuango.Role(c.role)) // the last route's logout ended the session
				before["users"]++
			}
			t.Run(fmt.Sprintf("%s %s as %s", method, rt.Pattern, c.role), func(t *testing.T) {
				allowed := want.allows(c.role)
				if isPage(rt) {
					checkPage(t, e, method, path, c.client.token, allowed)
					return
				}
				var body any
				if method != "GET" {
					body = []byte(`{}`)
				}
				r := c.client.do(method, path, body, "Idempotency-Key", newKey())
				switch {
				case allowed && (r.problem().Code == tuango.CodeUnauthorized || r.problem().Code == tuango.CodeForbidden):
					t.Errorf("= %d %s, want it allowed (%s)", r.status, r.body, want)
				case !allowed && c.role == "anonymous" && (r.status != 401 || r.problem().Code != tuango.CodeUnauthorized):
					t.Errorf("= %d %s, want 401 unauthorized (%s)", r.status, r.body, want)
				case !allowed && c.role != "anonymous" && (r.status != 403 || r.problem().Code != tuango.CodeForbidden):
					t.Errorf("= %d %s, want 403 forbidden (%s)", r.status, r.body, want)
				}
			})
		}
	}
	for _, tb := range tables { // every body was empty: nothing is valid enough to write
		if n := e.count(`SELECT COUNT(*) FROM ` + tb); n != before[tb] {
			t.Errorf("%s: %d rows after the calls, want %d as before", tb, n, before[tb])
		}
	}
	checkSeriesBudget(t, e)
}

// isPage reports whether a route is a page rather than the API.
func isPage(rt Route) bool {
	return !strings.HasPrefix(rt.Pattern, "/api/") && rt.Pattern != "/healthz" && rt.Pattern != "/readyz" && rt.Pattern != "/metrics"
}

// checkPage requests a page as a browser would, with the session cookie
// of token (none when empty) and, for a form, a valid form token, and
// checks that it is refused or not.
func checkPage(t *testing.T, e *env, method, path, token string, allowed bool) {
	t.Helper()
	const anon = "0123456789abcdef0123456789abcdef"
	binding := "anon:" + anon
	if token != "" && !strings.HasPrefix(path, "/login") { // the login form's token is the browser's
		binding = token
	}
	var body io.Reader
	if method == "POST" {
		body = strings.NewReader(url.Values{"csrf": {(&Server{cfg: Config{CSRFKey: e.csrfKey}}).csrfToken(binding)}}.Encode())
	}
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	must(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.AddCookie(&http.Cookie{Name: anonCookie, Value: anon})
	if token != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: token})
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Do(req)
	must(t, err)
	resp.Body.Close()
	toLogin := resp.StatusCode == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/login")
	switch {
	case allowed && (resp.StatusCode == http.StatusForbidden || toLogin):
		t.Errorf("= %d to %q, want it allowed", resp.StatusCode, resp.Header.Get("Location"))
	case !allowed && token == "" && !toLogin:
		t.Errorf("without a session = %d to %q, want 303 to /login", resp.StatusCode, resp.Header.Get("Location"))
	case !allowed && token != "" && resp.StatusCode != http.StatusForbidden:
		t.Errorf("= %d to %q, want 403", resp.StatusCode, resp.Header.Get("Location"))
	}
}
