package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"tuango/internal/auth"
	"tuango/internal/tuango"
)

// The contract's registration: a code for the phone (202, the same
// answer whether or not it has an account, with sandbox_code from the
// sandbox), then 201 {user, token}; 400 code_invalid; 400
// password_too_weak; a taken phone says so only with its code.
func TestRegisterByCodeThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	anon := &client{e: e}
	codeAnswer := func(phone string) (int, string) {
		r := anon.do("POST", "/api/v1/auth/codes", map[string]any{"phone": phone, "purpose": "register"})
		return r.status, strings.Join(strings.Fields(string(regexp.MustCompile(`"sandbox_code":"\d{6}"`).ReplaceAll(r.body, []byte(`"sandbox_code":"…"`)))), " ")
	}
	takenStatus, taken := codeAnswer("13900000001")
	freeStatus, free := codeAnswer("13744440001")
	if takenStatus != 202 || freeStatus != 202 || taken != free {
		t.Errorf("codes for a taken phone = %d %s, for a free one = %d %s; want the same 202", takenStatus, taken, freeStatus, free)
	}

	body := func(phone, pw, code string) map[string]any {
		return map[string]any{"phone": phone, "password": pw, "name": "顾客", "code": code}
	}
	for _, tc := range []struct {
		name     string
		body     map[string]any
		status   int
		code     string
		field    string
		accounts int // with the phone, after
	}{
		{"no code", body("13744440002", "a-long-pass", ""), 400, tuango.CodeCodeInvalid, "code", 0},
		{"a code never sent", body("13744440002", "a-long-pass", "123456"), 400, tuango.CodeCodeInvalid, "code", 0},
		{"a breached password", body("13744440002", "password", "123456"), 400, tuango.CodePasswordTooWeak, "password", 0},
		{"a taken phone without its code", body("13900000001", "a-long-pass", "123456"), 400, tuango.CodeCodeInvalid, "code", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := anon.do("POST", "/api/v1/auth/register", tc.body)
			if p := r.problem(); r.status != tc.status || p.Code != tc.code || p.Field != tc.field {
				t.Errorf("= %d %s, want %d %s on %s", r.status, r.body, tc.status, tc.code, tc.field)
			}
			if n := e.count(`SELECT COUNT(*) FROM users WHERE phone = ?`, tc.body["phone"]); n != tc.accounts {
				t.Errorf("%d accounts with the phone, want %d", n, tc.accounts)
			}
		})
	}

	t.Run("the code registers and logs in", func(t *testing.T) {
		var out sessionView
		anon.mustDo("POST", "/api/v1/auth/register", body("13744440001", "a-long-pass", anon.sandboxCode("13744440001", "register")), 201, &out)
		if out.Token == "" || out.User.Phone != "13744440001" || out.User.Role != "customer" {
			t.Errorf("register = %+v, want the new customer and a token", out)
		}
		me := &client{e: e, token: out.Token}
		me.mustDo("GET", "/api/v1/me", nil, 200, nil)
	})

	t.Run("a taken phone with its code is told so", func(t *testing.T) {
		e.clock.Advance(tuango.CodeEvery)
		r := anon.do("POST", "/api/v1/auth/register", body("13900000001", "a-long-pass", anon.sandboxCode("13900000001", "register")))
		if p := r.problem(); r.status != 409 || p.Code != tuango.CodePhoneTaken {
			t.Errorf("= %d %s, want 409 phone_taken", r.status, r.body)
		}
	})
}

// Without the sandbox switches (plain serve), one-time codes are not in
// the answer and the payment confirmation and fault switches answer 404,
// as if absent; with them (demo, --sandbox), they work.
func TestSandboxSwitchesOnlyInSandboxMode(t *testing.T) {
	e := newEnv(t)
	plain := httptestServer(t, NewServer(Config{Service: e.svc, Sandbox: e.sandbox, CSRFKey: e.csrfKey, SMS: nil}))
	cust := e.customer()
	for _, tc := range []struct{ method, path string }{
		{"POST", "/api/v1/sandbox/payments/pay_x/confirm"},
		{"GET", "/api/v1/sandbox/faults"},
		{"PUT", "/api/v1/sandbox/faults"},
	} {
		for _, who := range []struct {
			name  string
			token string
		}{{"customer", cust.token}, {"operator", e.operator.token}} {
			req, _ := http.NewRequest(tc.method, plain+tc.path, strings.NewReader(`{}`))
			req.Header.Set("Authorization", "Bearer "+who.token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			must(t, err)
			resp.Body.Close()
			if resp.StatusCode != 404 {
				t.Errorf("plain serve: %s %s as %s = %d, want 404", tc.method, tc.path, who.name, resp.StatusCode)
			}
		}
	}
	b := newBrowser(t, plain)
	if p := b.get("/sandbox/pay/pay_x"); p.status != 404 {
		t.Errorf("plain serve: GET /sandbox/pay/pay_x = %d, want 404", p.status)
	}
	resp, err := http.Post(plain+"/api/v1/auth/codes", "application/json", strings.NewReader(`{"phone":"13755550001","purpose":"register"}`))
	must(t, err)
	var sent struct {
		Sent        bool   `json:"sent"`
		SandboxCode string `json:"sandbox_code"`
	}
	decodeBody(t, resp, &sent)
	if resp.StatusCode != 202 || !sent.Sent || sent.SandboxCode != "" {
		t.Errorf("plain serve: POST /api/v1/auth/codes = %d %+v, want 202 sent without sandbox_code", resp.StatusCode, sent)
	}
	// The sandbox env has them.
	e.operator.mustDo("GET", "/api/v1/sandbox/faults", nil, 200, nil)
}

// A password reset by the code answers 200 and ends every session of the
// account; a change keeps the session it came with and ends the others;
// logout-all ends them all.
func TestPasswordsAndSessionsThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	c := e.customer()
	var me userView
	c.mustDo("GET", "/api/v1/me", nil, 200, &me)
	login := func(pw string) *client {
		var out sessionView
		cl := &client{e: e}
		cl.mustDo("POST", "/api/v1/auth/login", map[string]any{"phone": me.Phone, "password": pw}, 200, &out)
		cl.token = out.Token
		return cl
	}
	other := login("customer-pass")
	if other.token == c.token {
		t.Fatal("a second login got the same token: want a new session each time")
	}

	r := c.do("POST", "/api/v1/me/password", map[string]any{"old_password": "wrong-pass", "new_password": "new-pass-123"})
	if p := r.problem(); r.status != 401 || p.Code != tuango.CodeInvalidCredentials || p.Field != "old_password" {
		t.Errorf("change with a wrong current password = %d %s, want 401 invalid_credentials on old_password", r.status, r.body)
	}
	c.mustDo("POST", "/api/v1/me/password", map[string]any{"old_password": "customer-pass", "new_password": "new-pass-123"}, 200, nil)
	c.mustDo("GET", "/api/v1/me", nil, 200, nil)
	other.mustDo("GET", "/api/v1/me", nil, 401, nil)

	third := login("new-pass-123")
	var ended struct {
		SessionsEnded int `json:"sessions_ended"`
	}
	third.mustDo("POST", "/api/v1/auth/logout-all", nil, 200, &ended)
	if ended.SessionsEnded != 2 {
		t.Errorf("logout-all ended %d sessions, want 2", ended.SessionsEnded)
	}
	c.mustDo("GET", "/api/v1/me", nil, 401, nil)
	third.mustDo("GET", "/api/v1/me", nil, 401, nil)

	fourth := login("new-pass-123")
	anon := &client{e: e}
	r = anon.do("POST", "/api/v1/auth/password", map[string]any{"phone": me.Phone, "code": "000000", "new_password": "reset-pass-456"})
	if p := r.problem(); r.status != 400 || p.Code != tuango.CodeCodeInvalid {
		t.Errorf("reset with a wrong code = %d %s, want 400 code_invalid", r.status, r.body)
	}
	anon.mustDo("POST", "/api/v1/auth/password", map[string]any{"phone": me.Phone, "code": anon.sandboxCode(me.Phone, "reset"), "new_password": "reset-pass-456"}, 200, nil)
	fourth.mustDo("GET", "/api/v1/me", nil, 401, nil)
	login("reset-pass-456").mustDo("GET", "/api/v1/me", nil, 200, nil)
}

// An operator or admin must enrol in TOTP before anything else; once
// enrolled, login answers 401 totp_required until the totp field is given.
func TestStaffTOTPThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.CreateUser(t.Context(), tuango.NewAccount{Phone: "13966660001", Password: "operator-pass", Name: "新运营", Role: tuango.RoleOperator}); err != nil {
		t.Fatal(err)
	}
	var out sessionView
	op := &client{e: e}
	op.mustDo("POST", "/api/v1/auth/login", map[string]any{"phone": "13966660001", "password": "operator-pass"}, 200, &out)
	op.token = out.Token
	r := op.do("GET", "/api/v1/admin/cities", nil)
	if p := r.problem(); r.status != 403 || p.Code != tuango.CodeTOTPEnrolmentRequired {
		t.Errorf("an unenrolled operator's GET /api/v1/admin/cities = %d %s, want 403 totp_enrolment_required", r.status, r.body)
	}
	op.mustDo("GET", "/api/v1/me", nil, 200, nil)
	var en struct {
		Secret     string `json:"secret"`
		OTPAuthURL string `json:"otpauth_url"`
	}
	op.mustDo("POST", "/api/v1/me/totp", nil, 200, &en)
	if !strings.HasPrefix(en.OTPAuthURL, "otpauth://totp/") || !strings.Contains(en.OTPAuthURL, "secret="+en.Secret) {
		t.Errorf("enrolment = %+v, want an otpauth URL with the secret", en)
	}
	code, _ := auth.TOTP{}.Code(en.Secret, e.clock.Now())
	var rc struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	op.mustDo("POST", "/api/v1/me/totp/confirm", map[string]any{"secret": en.Secret, "code": code}, 200, &rc)
	if len(rc.RecoveryCodes) != 10 {
		t.Errorf("%d recovery codes, want 10", len(rc.RecoveryCodes))
	}
	op.mustDo("GET", "/api/v1/admin/cities", nil, 200, nil)

	anon := &client{e: e}
	r = anon.do("POST", "/api/v1/auth/login", map[string]any{"phone": "13966660001", "password": "operator-pass"})
	if p := r.problem(); r.status != 401 || p.Code != tuango.CodeTOTPRequired {
		t.Errorf("login without totp = %d %s, want 401 totp_required", r.status, r.body)
	}
	if strings.Contains(string(r.body), "lt_") {
		t.Errorf("the API's totp_required carries the page's ticket: %s", r.body)
	}
	anon.mustDo("POST", "/api/v1/auth/login", map[string]any{"phone": "13966660001", "password": "operator-pass", "totp": rc.RecoveryCodes[0]}, 200, nil)
	r = anon.do("POST", "/api/v1/auth/login", map[string]any{"phone": "13966660001", "password": "operator-pass", "totp": rc.RecoveryCodes[0]})
	if p := r.problem(); r.status != 401 || p.Code != tuango.CodeTOTPInvalid {
		t.Errorf("a used recovery code = %d %s, want 401 totp_invalid", r.status, r.body)
	}
}

// The session cookie is __Host- prefixed, Secure, HttpOnly, SameSite=Lax,
// for path / and no domain; a login never keeps a token the browser had.
func TestSessionCookie(t *testing.T) {
	e := newEnv(t)
	c := e.customer()
	var me userView
	c.mustDo("GET", "/api/v1/me", nil, 200, &me)
	// The login form first, for its token and the browser's cookie it is
	// bound to, with the session the browser already had.
	had := &http.Cookie{Name: sessionCookie, Value: c.token}
	get, _ := http.NewRequest("GET", e.srv.URL+"/login", nil)
	get.AddCookie(had)
	page, err := http.DefaultClient.Do(get)
	must(t, err)
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("the login page has no form token:\n%s", body)
	}
	form := url.Values{"csrf": {string(m[1])}, "phone": {me.Phone}, "password": {"customer-pass"}, "next": {"/"}}
	req, _ := http.NewRequest("POST", e.srv.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(had)
	for _, ck := range page.Cookies() {
		req.AddCookie(ck)
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	must(t, err)
	resp.Body.Close()
	var got *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie {
			got = ck
		}
	}
	if got == nil {
		t.Fatalf("login set no %s cookie: %v", sessionCookie, resp.Header.Values("Set-Cookie"))
	}
	if !strings.HasPrefix(got.Name, "__Host-") || !got.Secure || !got.HttpOnly || got.SameSite != http.SameSiteLaxMode || got.Path != "/" || got.Domain != "" {
		t.Errorf("session cookie = %+v, want __Host-, Secure, HttpOnly, SameSite=Lax, Path=/ and no Domain", got)
	}
	if got.Value == c.token || got.Value == "" {
		t.Errorf("login kept the token the browser had: want a new one")
	}
}

// The pages: register with the code step, reset a forgotten password,
// change it and log out everywhere, and an operator's second factor, from
// enrolment (QR code and secret) to the login's second step.
func TestAccountPages(t *testing.T) {
	e := newEnv(t)
	t.Run("register with the code sent to the phone", func(t *testing.T) {
		b := newBrowser(t, e.srv.URL)
		form := b.get("/register?lang=en")
		if form.status != 200 || !strings.Contains(form.body, "Send code") || strings.Contains(form.body, `name="password"`) {
			t.Fatalf("register page = %d, want the code step first:\n%s", form.status, form.body)
		}
		sent := b.post("/register/code", url.Values{"csrf": {form.csrf(t)}, "phone": {"13777770001"}})
		m := sandboxCodeRE.FindStringSubmatch(sent.body)
		if sent.status != 200 || m == nil || !strings.Contains(sent.body, `name="password"`) {
			t.Fatalf("send code = %d, want the code shown and the rest of the form:\n%s", sent.status, sent.body)
		}
		bad := b.post("/register", url.Values{"csrf": {form.csrf(t)}, "phone": {"13777770001"}, "code": {"00000x"}, "name": {"王芳"}, "password": {"a-long-pass"}})
		if bad.status != 400 || !strings.Contains(bad.body, "The code is wrong or has expired") {
			t.Errorf("a wrong code = %d, want 400 saying so in English:\n%s", bad.status, bad.body)
		}
		weak := b.post("/register", url.Values{"csrf": {form.csrf(t)}, "phone": {"13777770001"}, "code": {m[1]}, "name": {"王芳"}, "password": {"password"}})
		if weak.status != 400 || !strings.Contains(weak.body, "commonly") && !strings.Contains(weak.body, "common passwords") {
			t.Errorf("a breached password = %d, want 400 saying why:\n%s", weak.status, weak.body)
		}
		ok := b.post("/register", url.Values{"csrf": {form.csrf(t)}, "phone": {"13777770001"}, "code": {m[1]}, "name": {"王芳"}, "password": {"a-long-pass"}, "next": {"/orders"}})
		if ok.status != 303 || ok.header.Get("Location") != "/orders" {
			t.Fatalf("register = %d to %q, want 303 to /orders:\n%s", ok.status, ok.header.Get("Location"), ok.body)
		}
		if p := b.get("/account"); p.status != 200 || !strings.Contains(p.body, "13777770001") {
			t.Errorf("the new account's page = %d:\n%s", p.status, p.body)
		}
	})

	t.Run("change the password, log out everywhere, reset it", func(t *testing.T) {
		c := e.customer()
		var me userView
		c.mustDo("GET", "/api/v1/me", nil, 200, &me)
		b := newBrowser(t, e.srv.URL)
		b.get("/login?lang=zh")
		b.logIn(me.Phone, "customer-pass")
		acct := b.get("/account")
		wrong := b.post("/account/password", url.Values{"csrf": {acct.csrf(t)}, "old_password": {"nope-nope"}, "new_password": {"new-pass-123"}})
		if wrong.status != 401 || !strings.Contains(wrong.body, "当前密码错误") {
			t.Errorf("a wrong current password = %d, want 401 saying so in Chinese:\n%s", wrong.status, wrong.body)
		}
		done := b.post("/account/password", url.Values{"csrf": {acct.csrf(t)}, "old_password": {"customer-pass"}, "new_password": {"new-pass-123"}})
		if done.status != 303 {
			t.Fatalf("change = %d:\n%s", done.status, done.body)
		}
		c.mustDo("GET", "/api/v1/me", nil, 401, nil) // the API session ended
		acct = b.get(done.header.Get("Location"))
		if acct.status != 200 || !strings.Contains(acct.body, "密码已修改") {
			t.Errorf("after the change the page = %d, want the notice:\n%s", acct.status, acct.body)
		}
		if p := b.post("/logout/all", url.Values{"csrf": {acct.csrf(t)}}); p.status != 303 {
			t.Errorf("log out everywhere = %d", p.status)
		}
		if p := b.get("/account"); p.status != 303 {
			t.Errorf("/account after logging out everywhere = %d, want 303 to log in", p.status)
		}
		reset := b.get("/password/reset")
		sent := b.post("/password/reset/code", url.Values{"csrf": {reset.csrf(t)}, "phone": {me.Phone}})
		m := sandboxCodeRE.FindStringSubmatch(sent.body)
		if m == nil {
			t.Fatalf("reset code page:\n%s", sent.body)
		}
		p := b.post("/password/reset", url.Values{"csrf": {reset.csrf(t)}, "phone": {me.Phone}, "code": {m[1]}, "new_password": {"reset-pass-456"}})
		if p.status != 200 || !strings.Contains(p.body, "密码已重置") {
			t.Errorf("reset = %d, want the login page saying so:\n%s", p.status, p.body)
		}
		b.logIn(me.Phone, "reset-pass-456")
	})

	t.Run("an operator enrols and then logs in in two steps", func(t *testing.T) {
		if _, err := e.svc.CreateUser(t.Context(), tuango.NewAccount{Phone: "13977770002", Password: "operator-pass", Name: "新运营", Role: tuango.RoleOperator}); err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, e.srv.URL)
		lp := b.get("/login?lang=en")
		if p := b.post("/login", url.Values{"csrf": {lp.csrf(t)}, "phone": {"13977770002"}, "password": {"operator-pass"}, "next": {"/admin"}}); p.status != 303 {
			t.Fatalf("first login = %d:\n%s", p.status, p.body)
		}
		if p := b.get("/admin"); p.status != 303 || p.header.Get("Location") != "/account/totp" {
			t.Errorf("/admin before enrolling = %d to %q, want 303 to /account/totp", p.status, p.header.Get("Location"))
		}
		en := b.get("/account/totp")
		secret := regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`).FindStringSubmatch(en.body)
		if en.status != 200 || secret == nil || !strings.Contains(en.body, "<svg") {
			t.Fatalf("enrolment page = %d, want a QR code and the secret:\n%s", en.status, en.body)
		}
		code, _ := auth.TOTP{}.Code(secret[1], e.clock.Now())
		done := b.post("/account/totp", url.Values{"csrf": {en.csrf(t)}, "secret": {secret[1]}, "code": {code}})
		if done.status != 200 || strings.Count(done.body, "<li><code>") != 10 {
			t.Fatalf("enrolled = %d, want the 10 recovery codes:\n%s", done.status, done.body)
		}
		if p := b.get("/admin"); p.status != 200 {
			t.Errorf("/admin once enrolled = %d, want 200", p.status)
		}
		b2 := newBrowser(t, e.srv.URL)
		lp2 := b2.get("/login?lang=en")
		step := b2.post("/login", url.Values{"csrf": {lp2.csrf(t)}, "phone": {"13977770002"}, "password": {"operator-pass"}, "next": {"/admin"}})
		if step.status != 200 || !strings.Contains(step.body, "Authenticator code") || strings.Contains(step.body, `name="password"`) {
			t.Fatalf("first step = %d, want the authenticator code's form:\n%s", step.status, step.body)
		}
		bad := b2.post("/login", url.Values{"csrf": {step.csrf(t)}, "phone": {"13977770002"}, "ticket": {step.field(t, "ticket")}, "totp": {"000000"}, "next": {"/admin"}})
		if bad.status != 401 || !strings.Contains(bad.body, "The code is wrong or was already used") {
			t.Errorf("a wrong code = %d, want 401 saying so:\n%s", bad.status, bad.body)
		}
		e.clock.Advance(30 * time.Second)
		code, _ = auth.TOTP{}.Code(secret[1], e.clock.Now())
		ok := b2.post("/login", url.Values{"csrf": {bad.csrf(t)}, "phone": {"13977770002"}, "ticket": {bad.field(t, "ticket")}, "totp": {code}, "next": {"/admin"}})
		if ok.status != 303 || ok.header.Get("Location") != "/admin" {
			t.Errorf("second step = %d to %q, want 303 to /admin:\n%s", ok.status, ok.header.Get("Location"), ok.body)
		}
	})
}

// httptestServer serves h on 127.0.0.1 for the test and returns its URL.
func httptestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func decodeBody(t *testing.T, resp *http.Response, out any) {
	t.Helper()
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}
