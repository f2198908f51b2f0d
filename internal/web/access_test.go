package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"tuango/internal/tuango"
)

// access is who may call a route.
type access int

const (
	public        access = iota // anyone, logged in or not
	user                        // anyone logged in (bearer token); anonymous gets 401
	staff                       // operators and admins; other roles get 403, anonymous 401
	page                        // a page behind the session cookie: without one, a redirect to /login
	supplier                    // supplier accounts; other roles get 403, anonymous 401
	leader                      // group leaders; other roles get 403, anonymous 401
	staffOrLeader               // operators, admins and leaders (a leader's own objects only); others 403
)

func (a access) String() string {
	return [...]string{"public", "user", "staff", "page", "supplier", "leader", "staffOrLeader"}[a]
}

// routeAccess is the expected answer per role of every route in
// Server.Routes(), keyed "METHOD pattern". A route added without an entry
// here fails TestEveryRouteAnswersEachRoleAsExpected.
var routeAccess = map[string]access{
	"GET /healthz":             public,
	"GET /readyz":              public,
	"GET /api/v1/openapi.json": public,

	"POST /api/v1/auth/register":     public,
	"POST /api/v1/auth/login":        public,
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

	"GET /{$}":               public,
	"GET /login":             public,
	"POST /login":            public,
	"GET /sandbox/pay/{id}":  page,
	"POST /sandbox/pay/{id}": page,
	" /":                     public,
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
	if _, err := e.svc.CreateUser(e.t.Context(), tuango.NewAccount{Phone: phone, Password: "operator-pass", Name: string(role), Role: role}); err != nil {
		e.t.Fatal(err)
	}
	return e.login(phone)
}

// Every route, called by every role with an empty JSON object and an id
// that names nothing, answers as routeAccess says: 401 for anonymous
// callers of what needs a login, 403 for roles without the right, and for
// those with it anything but unauthorized and forbidden. Nothing is
// written.
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
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	routes := NewServer(Config{}).Routes()
	// Logging out ends the callers' sessions: it goes last.
	slices.SortStableFunc(routes, func(a, b Route) int {
		return strings.Compare(fmt.Sprint(a.Pattern == "/api/v1/auth/logout"), fmt.Sprint(b.Pattern == "/api/v1/auth/logout"))
	})
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
			t.Run(fmt.Sprintf("%s %s as %s", method, rt.Pattern, c.role), func(t *testing.T) {
				var r response
				if want == page {
					req, err := http.NewRequest(method, e.srv.URL+path, nil)
					must(t, err)
					resp, err := noRedirect.Do(req)
					must(t, err)
					resp.Body.Close()
					if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
						t.Errorf("without a session cookie = %d to %q, want 303 to /login", resp.StatusCode, resp.Header.Get("Location"))
					}
					return
				}
				var body any
				if method != "GET" {
					body = []byte(`{}`)
				}
				r = c.client.do(method, path, body, "Idempotency-Key", newKey())
				allowed := want == public || (want == user && c.role != "anonymous") || (want == staff && (c.role == "operator" || c.role == "admin")) || (want == supplier && c.role == "supplier") || (want == leader && c.role == "leader") ||
					(want == staffOrLeader && (c.role == "operator" || c.role == "admin" || c.role == "leader"))
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
}
