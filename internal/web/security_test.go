package web

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"tuango/internal/tuango"
)

// Every answer carries the browser defences: a CSP that allows no inline
// or foreign script and no framing, nosniff, a referrer policy; HSTS only
// when the client came over HTTPS (here: through the trusted proxy).
func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/", "/login", "/api/v1/deals", "/no-such-page", "/static/app.js"} {
		t.Run(path, func(t *testing.T) {
			resp := get(t, e.srv.URL+path, nil)
			h := resp.Header
			csp := h.Get("Content-Security-Policy")
			directives := map[string]string{}
			for _, d := range strings.Split(csp, ";") {
				name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
				directives[name] = value
			}
			if directives["script-src"] != "'self'" || directives["frame-ancestors"] != "'none'" || directives["object-src"] != "'none'" ||
				directives["base-uri"] != "'none'" || directives["form-action"] != "'self'" || directives["default-src"] != "'self'" {
				t.Errorf("Content-Security-Policy = %q", csp)
			}
			if strings.Contains(directives["script-src"], "unsafe") || strings.Contains(directives["default-src"], "unsafe") {
				t.Errorf("scripts may run inline: %q", csp)
			}
			for name, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY", "Cross-Origin-Opener-Policy": "same-origin"} {
				if got := h.Get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			if got := h.Get("Strict-Transport-Security"); got != "" {
				t.Errorf("HSTS over plain HTTP = %q, want none", got)
			}
			if got := get(t, e.srv.URL+path, map[string]string{"X-Forwarded-Proto": "https"}).Header.Get("Strict-Transport-Security"); got != "max-age=63072000; includeSubDomains" {
				t.Errorf("HSTS behind a TLS proxy = %q", got)
			}
		})
	}
	t.Run("a proxy that is not trusted cannot turn HSTS on", func(t *testing.T) {
		s := NewServer(Config{Service: e.svc}) // trusts no proxy
		req, _ := http.NewRequest("GET", "/healthz", nil)
		req.RemoteAddr = "127.0.0.1:5000"
		req.Header.Set("X-Forwarded-Proto", "https")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if got := rec.Header().Get("Strict-Transport-Security"); got != "" {
			t.Errorf("HSTS = %q from an untrusted X-Forwarded-Proto", got)
		}
	})
}

func get(t *testing.T, u string, headers map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// Every state-changing page route, posted with a session of a role that
// may use it: a form sent from another site (as the browser marks it) is
// refused with 403 even with a valid token, and a form without its token
// is refused with 403 even from this site. Nothing is written either way.
func TestEveryFormRefusesCrossSiteAndMissingToken(t *testing.T) {
	e := newEnv(t)
	sessions := map[string]*client{"anonymous": {e: e}, "customer": e.customer(), "leader": e.roleClient(tuango.RoleLeader),
		"supplier": e.roleClient(tuango.RoleSupplier), "operator": e.operator}
	before := e.count(`SELECT COUNT(*) FROM users`) + e.count(`SELECT COUNT(*) FROM orders`) + e.count(`SELECT COUNT(*) FROM deals`)
	n := 0
	for _, rt := range NewServer(Config{}).Routes() {
		if !isPage(rt) || rt.Method == "GET" || rt.Method == "" {
			continue
		}
		n++
		want := routeAccess[routeKey(rt)]
		role := "anonymous"
		for _, r := range []string{"operator", "leader", "supplier", "customer", "anonymous"} {
			if want.allows(r) {
				role = r
				break
			}
		}
		token := sessions[role].token
		path := strings.NewReplacer("{id}", "x_missing", "{date}", "2026-01-01").Replace(rt.Pattern)
		t.Run(rt.Method+" "+rt.Pattern, func(t *testing.T) {
			status, body := postForm(t, e, rt.Method, path, token, true, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"})
			if status != 403 || !strings.Contains(body, "这个请求是从其他网站发出的") {
				t.Errorf("from another site (as %s) = %d, want 403 cross-origin:\n%s", role, status, body)
			}
			status, body = postForm(t, e, rt.Method, path, token, true, map[string]string{"Origin": "https://evil.example"})
			if status != 403 || !strings.Contains(body, "这个请求是从其他网站发出的") {
				t.Errorf("with a foreign Origin only (as %s) = %d, want 403 cross-origin:\n%s", role, status, body)
			}
			status, body = postForm(t, e, rt.Method, path, token, false, map[string]string{"Sec-Fetch-Site": "same-origin"})
			if status != 403 || !strings.Contains(body, "表单已过期") {
				t.Errorf("without its token (as %s) = %d, want 403 csrf_failed:\n%s", role, status, body)
			}
		})
	}
	if n < 30 {
		t.Errorf("only %d form routes tried", n)
	}
	if after := e.count(`SELECT COUNT(*) FROM users`) + e.count(`SELECT COUNT(*) FROM orders`) + e.count(`SELECT COUNT(*) FROM deals`); after != before {
		t.Errorf("refused forms wrote rows: %d before, %d after", before, after)
	}
	t.Run("the API refuses a request a browser sent from another site", func(t *testing.T) {
		r := e.operator.do("POST", "/api/v1/admin/suppliers", map[string]any{"name": "跨站"}, "Sec-Fetch-Site", "cross-site")
		if r.status != 403 || r.problem().Code != codeCrossOrigin {
			t.Errorf("= %d %s, want 403 %s", r.status, r.body, codeCrossOrigin)
		}
		if r := e.operator.do("POST", "/api/v1/admin/suppliers", map[string]any{"name": "本站"}); r.status != 201 {
			t.Errorf("a client that is no browser = %d %s, want 201", r.status, r.body)
		}
	})
}

// postForm posts a form (with a valid token when withToken) and the
// session cookie of token, and returns the status and body.
func postForm(t *testing.T, e *env, method, path, token string, withToken bool, headers map[string]string) (int, string) {
	t.Helper()
	const anon = "0123456789abcdef0123456789abcdef"
	binding := "anon:" + anon
	if token != "" && !strings.HasPrefix(path, "/login") {
		binding = token
	}
	form := url.Values{"name": {"x"}, "phone": {"13900000001"}, "password": {"operator-pass"}}
	if withToken {
		form.Set("csrf", (&Server{cfg: Config{CSRFKey: e.csrfKey}}).csrfToken(binding))
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.AddCookie(&http.Cookie{Name: anonCookie, Value: anon})
	if token != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: token})
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Do(req)
	must(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Every route refuses a body over the limit with 413 body_too_large, on
// the API as problem+json and on pages as a page, declared or streamed.
func TestBodyLimitOnEveryRoute(t *testing.T) {
	e := newEnv(t)
	big := strings.Repeat("a", MaxBodyBytes+1)
	for _, rt := range NewServer(Config{}).Routes() {
		if rt.Method == "GET" || rt.Method == "" {
			continue
		}
		path := strings.NewReplacer("{id}", "x_missing", "{date}", "2026-01-01").Replace(rt.Pattern)
		t.Run(rt.Method+" "+rt.Pattern, func(t *testing.T) {
			req, _ := http.NewRequest(rt.Method, e.srv.URL+path, strings.NewReader(big))
			req.Header.Set("Authorization", "Bearer "+e.operator.token)
			resp, err := http.DefaultClient.Do(req)
			must(t, err)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 413 {
				t.Fatalf("= %d, want 413:\n%s", resp.StatusCode, b)
			}
			if isPage(rt) {
				if !strings.Contains(string(b), "<html") {
					t.Errorf("a page answered 413 without a page:\n%s", b)
				}
			} else if !strings.Contains(string(b), `"code":"body_too_large"`) {
				t.Errorf("413 without code body_too_large: %s", b)
			}
		})
	}
	t.Run("a streamed body is cut at the limit too", func(t *testing.T) {
		pr, pw := io.Pipe()
		go func() {
			pw.Write([]byte(`{"pickup_point_id":"` + strings.Repeat("x", MaxBodyBytes) + `"}`))
			pw.Close()
		}()
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/orders", pr)
		req.Header.Set("Authorization", "Bearer "+e.customer().token)
		req.Header.Set("Idempotency-Key", fmt.Sprint("k", MaxBodyBytes))
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 413 || !strings.Contains(string(b), "body_too_large") {
			t.Errorf("a chunked body over the limit = %d %s, want 413 body_too_large", resp.StatusCode, b)
		}
	})
}
