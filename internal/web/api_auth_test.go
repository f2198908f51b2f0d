package web

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

type guess struct {
	source, password string
	code             string // "" for none, "sent" for the code asked for, "bad" for a wrong one
}

type loginAnswer struct {
	status           int
	code, retryAfter string
}

func (a loginAnswer) String() string {
	return fmt.Sprintf("%d %s Retry-After=%q", a.status, a.code, a.retryAfter)
}

// loginLimitRun makes a fixed series of guesses at phone from several
// sources and returns the answers.
func loginLimitRun(e *env, phone, right string) []loginAnswer {
	e.t.Helper()
	var guesses []guess
	wrong := func(source string, n int) {
		for range n {
			guesses = append(guesses, guess{source: source, password: "wrong-password"})
		}
	}
	wrong("10.0.0.1", 6)
	guesses = append(guesses, guess{source: "10.0.0.1", password: right})
	wrong("10.0.0.2", 6) // the 6th is refused before it is counted
	wrong("10.0.0.3", 5)
	wrong("10.0.0.4", 5) // 20 counted failures now
	guesses = append(guesses, guess{source: "10.0.0.5", password: right},
		guess{source: "10.0.0.5", password: right, code: "bad"},
		guess{source: "10.0.0.5", password: right, code: "sent"})
	anon := &client{e: e}
	var sent string
	var out []loginAnswer
	for _, g := range guesses {
		body := map[string]any{"phone": phone, "password": g.password}
		switch g.code {
		case "sent":
			var c codeView
			anon.mustDo("POST", "/api/v1/auth/codes", map[string]any{"phone": phone, "purpose": "login"}, 202, &c, "X-Forwarded-For", g.source)
			if len(c.SandboxCode) != 6 {
				e.t.Fatalf("sandbox code = %q, want 6 digits", c.SandboxCode)
			}
			sent = c.SandboxCode
			body["code"] = sent
		case "bad":
			body["code"] = "1234567"
		}
		r := anon.do("POST", "/api/v1/auth/login", body, "X-Forwarded-For", g.source)
		out = append(out, loginAnswer{r.status, r.problem().Code, r.header.Get("Retry-After")})
	}
	return out
}

// Login attempts are limited per account: 5 failed guesses from one
// source per 15 minutes (then 429, the right password included), other
// sources keep theirs until 20 per hour, and then signing in needs the
// code the owner can always get. An unknown phone is answered the same.
func TestLoginLimits(t *testing.T) {
	e := newEnv(t)
	owner := e.customer()
	var me userView
	owner.mustDo("GET", "/api/v1/me", nil, 200, &me)

	got := loginLimitRun(e, me.Phone, "customer-pass")
	var want []loginAnswer
	add := func(n int, a loginAnswer) {
		for range n {
			want = append(want, a)
		}
	}
	wrong, locked := loginAnswer{401, "invalid_credentials", ""}, loginAnswer{429, "too_many_attempts", "900"}
	add(5, wrong)
	add(2, locked) // the 6th guess, then the right password
	add(5, wrong)
	add(1, locked) // another source gets its own 5
	add(10, wrong) // two more sources reach 20
	add(2, loginAnswer{401, "code_required", ""})
	add(1, loginAnswer{200, "", ""})
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("answers to the guesses:\n got %v\nwant %v", got, want)
	}

	if r := (&client{e: e}).do("POST", "/api/v1/auth/login", map[string]any{"phone": me.Phone, "password": "customer-pass"}, "X-Forwarded-For", "10.0.0.1"); !strings.Contains(r.problem().Detail, "try again in 15 minutes") {
		t.Errorf("locked out = %d %s, want it to say 15 minutes", r.status, r.body)
	}

	t.Run("an unknown phone is answered the same", func(t *testing.T) {
		unknown := loginLimitRun(e, "13712345678", "customer-pass")
		// Up to the last guess, where only an owner's right password works.
		if n := len(want) - 1; fmt.Sprint(unknown[:n]) != fmt.Sprint(got[:n]) || unknown[n] != wrong {
			t.Errorf("unknown phone:\n got %v\nwant %v then %v", unknown, got[:n], wrong)
		}
	})

	t.Run("the source gets its guesses back after 15 minutes", func(t *testing.T) {
		e.clock.Advance(15*60e9 + 1e9)
		r := (&client{e: e}).do("POST", "/api/v1/auth/login", map[string]any{"phone": me.Phone, "password": "customer-pass"}, "X-Forwarded-For", "10.0.0.1")
		// The account still needs a code: its hour has not passed.
		if r.status != 401 || r.problem().Code != "code_required" {
			t.Errorf("after 15 minutes = %d %s, want 401 code_required", r.status, r.body)
		}
		e.clock.Advance(45 * 60e9)
		r = (&client{e: e}).do("POST", "/api/v1/auth/login", map[string]any{"phone": me.Phone, "password": "customer-pass"}, "X-Forwarded-For", "10.0.0.1")
		if r.status != 200 {
			t.Errorf("after an hour = %d %s, want 200", r.status, r.body)
		}
	})

	t.Run("codes are limited per phone", func(t *testing.T) {
		e := newEnvConfig(t, storetest.DSN(t), tuango.Config{CodesPerPhone: tuango.DefaultCodesPerPhone, CodesPerSource: tuango.DefaultCodesPerSource})
		anon := &client{e: e}
		anon.mustDo("POST", "/api/v1/auth/codes", map[string]any{"phone": "13712340000", "purpose": "login"}, 202, nil, "X-Forwarded-For", "10.0.1.1")
		r := anon.do("POST", "/api/v1/auth/codes", map[string]any{"phone": "13712340000", "purpose": "login"}, "X-Forwarded-For", "10.0.1.2")
		if r.status != 429 || r.problem().Code != "too_many_attempts" || r.header.Get("Retry-After") == "" {
			t.Errorf("a second code within a minute = %d %s %q, want 429 too_many_attempts with Retry-After", r.status, r.body, r.header.Get("Retry-After"))
		}
	})
}

var sandboxCodeRE = regexp.MustCompile(`(?:code: |验证码：)(\d{6})`)

// The login page words the limits in the user's language.
func TestLoginPageLimits(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ lang, tooMany, needCode string }{
		{"en", "Too many failed attempts for this account from here; try again in 15 minutes.", "get a code by SMS"},
		{"zh", "这个账号在这里的错误尝试太多，请 15 分钟后再试。", "请获取短信验证码"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			c := e.customer()
			var me userView
			c.mustDo("GET", "/api/v1/me", nil, 200, &me)
			b := newBrowser(t, e.srv.URL)
			tok := b.get("/login?lang=" + tc.lang).csrf(t)
			form := url.Values{"csrf": {tok}, "phone": {me.Phone}, "password": {"wrong-password"}, "next": {"/"}}
			for range 5 {
				if p := b.post("/login", form); p.status != 401 {
					t.Fatalf("wrong password = %d", p.status)
				}
			}
			p := b.post("/login", url.Values{"csrf": {tok}, "phone": {me.Phone}, "password": {"customer-pass"}, "next": {"/"}})
			if p.status != 429 || p.header.Get("Retry-After") != "900" || !strings.Contains(p.body, tc.tooMany) {
				t.Errorf("6th try = %d Retry-After=%q:\n%s", p.status, p.header.Get("Retry-After"), p.body)
			}
			// 15 more from elsewhere reach the account's cap.
			anon := &client{e: e}
			for i := range 15 {
				anon.do("POST", "/api/v1/auth/login", map[string]any{"phone": me.Phone, "password": "wrong"}, "X-Forwarded-For", fmt.Sprintf("10.0.2.%d", i/5))
			}
			b2 := newBrowser(t, e.srv.URL)
			b2.from = "10.0.3.1" // the owner, on their own device
			tok2 := b2.get("/login?lang=" + tc.lang).csrf(t)
			right := url.Values{"csrf": {tok2}, "phone": {me.Phone}, "password": {"customer-pass"}, "next": {"/orders"}}
			p = b2.post("/login", right)
			if p.status != 401 || !strings.Contains(p.body, tc.needCode) || !strings.Contains(p.body, `name="code"`) {
				t.Fatalf("past the account's cap = %d:\n%s", p.status, p.body)
			}
			p = b2.post("/login/code", right)
			m := sandboxCodeRE.FindStringSubmatch(p.body)
			if p.status != 200 || m == nil {
				t.Fatalf("send code = %d:\n%s", p.status, p.body)
			}
			right.Set("code", m[1])
			if p = b2.post("/login", right); p.status != 303 || p.header.Get("Location") != "/orders" {
				t.Errorf("with the code = %d %q:\n%s", p.status, p.header.Get("Location"), p.body)
			}
		})
	}
}

// Registration refuses the commonly breached passwords with a field error.
func TestRegisterRefusesBreachedPasswords(t *testing.T) {
	e := newEnv(t)
	for i, pw := range []string{"12345678", "password", "Password"} {
		phone := fmt.Sprintf("1371111000%d", i)
		r := (&client{e: e}).do("POST", "/api/v1/auth/register", map[string]any{"phone": phone, "password": pw, "name": "顾客"})
		if p := r.problem(); r.status != 400 || p.Code != "password_too_weak" || e.count(`SELECT COUNT(*) FROM users WHERE phone = ?`, phone) != 0 {
			t.Errorf("register with %q = %d %s, want 400 password_too_weak and no account", pw, r.status, r.body)
		}
	}
}
