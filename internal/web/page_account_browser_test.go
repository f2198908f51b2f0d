package web

import (
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"tuango/internal/auth"
	"tuango/internal/tuango"
)

func newOperator(phone string) tuango.NewAccount {
	return tuango.NewAccount{Phone: phone, Password: "operator-pass", Name: "新运营", Role: tuango.RoleOperator}
}

// In a real Chromium: a newcomer registers with the code sent to the
// phone, changes the password and logs out everywhere; an operator
// enrols an authenticator app from the QR page and logs in in two steps.
// The session cookie is __Host- prefixed and Secure on http://127.0.0.1.
func TestBrowserAccountPages(t *testing.T) {
	e := newEnv(t)
	b := newTab(t, e.srv.URL)
	b.open("/register?lang=en")
	b.fill("Phone", "13788889999")
	b.click("button", "Send code")
	m := regexp.MustCompile(`code: (\d{6})`).FindStringSubmatch(b.body())
	if m == nil {
		t.Fatalf("no sandbox code on the page:\n%s", b.body())
	}
	b.screenshot("register-code-sent")
	b.fill("SMS code", m[1])
	b.fill("Your name", "王芳")
	b.fill("Password", "password")
	b.click("button", "Register")
	if !strings.Contains(b.body(), "common passwords") {
		t.Errorf("a breached password was not refused on the page:\n%s", b.body())
	}
	b.fill("SMS code", m[1])
	b.fill("Password", "a-long-pass-phrase")
	b.click("button", "Register")
	if !b.has("link", "My account") {
		t.Fatalf("not logged in after registering:\n%s", b.body())
	}
	// Chromium kept the __Host-, Secure cookie over http://127.0.0.1, and
	// scripts cannot read it (HttpOnly).
	if jar, err := chromedp.Run(b.ctx, chromedp.Evaluate[string]("document.cookie")); err != nil || strings.Contains(jar, "session") {
		t.Errorf("document.cookie = %q, %v; want the session cookie out of scripts' reach", jar, err)
	}
	if n := e.count(`SELECT COUNT(*) FROM users WHERE phone = '13788889999'`); n != 1 {
		t.Errorf("%d accounts with the phone, want 1", n)
	}
	b.open("/account")
	b.fill("Current password", "a-long-pass-phrase")
	b.fill("New password", "another-long-pass")
	b.click("button", "Change password")
	if !strings.Contains(b.body(), "every other session has been logged out") {
		t.Errorf("no notice after the change:\n%s", b.body())
	}
	b.click("button", "Log out everywhere")
	if b.has("link", "My account") {
		t.Errorf("still logged in after logging out everywhere")
	}
	b.logIn(en, "13788889999", "another-long-pass")
	if !b.has("link", "My account") {
		t.Errorf("the new password does not log in")
	}

	op := newTab(t, e.srv.URL)
	if _, err := e.svc.CreateUser(t.Context(), newOperator("13988889999")); err != nil {
		t.Fatal(err)
	}
	op.open("/login?lang=en")
	op.fill("Phone", "13988889999")
	op.fill("Password", "operator-pass")
	op.click("button", "Log in")
	op.open("/admin")
	if !strings.HasSuffix(op.location(), "/account/totp") {
		t.Fatalf("an unenrolled operator's /admin went to %s, want /account/totp", op.location())
	}
	op.screenshot("totp-enrolment")
	secret := op.text("#totp-secret")
	code, _ := auth.TOTP{}.Code(secret, e.clock.Now())
	op.fill("Authenticator code", code)
	op.click("button", "Turn on")
	if n := strings.Count(op.body(), "-"); n < 10 || !strings.Contains(op.body(), "recovery codes") {
		t.Errorf("no recovery codes shown:\n%s", op.body())
	}
	op2 := newTab(t, e.srv.URL)
	op2.logIn(en, "13988889999", "operator-pass") // the second step with the code, by the helper
	op2.open("/admin")
	if strings.HasSuffix(op2.location(), "/login") || strings.Contains(op2.location(), "/account/totp") {
		t.Errorf("after both steps /admin went to %s", op2.location())
	}
}
