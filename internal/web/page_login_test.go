package web

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var nextFieldRE = regexp.MustCompile(`name="next" value="([^"]*)"`)

// The login page sends the user on only to a path on this site: every
// hostile next, from the link or from the form, ends at home.
func TestLoginNextStaysOnSite(t *testing.T) {
	e := newEnv(t)
	var me userView
	e.customer().mustDo("GET", "/api/v1/me", nil, 200, &me)
	for _, tc := range []struct {
		name, raw string // raw is the query string's next, as a link would carry it
		want      string
	}{
		{"tab after the slash", "/%09/host", "/"},
		{"newline after the slash", "/%0A/host", "/"},
		{"carriage return", "/%0D%0A/host", "/"},
		{"protocol-relative", "//host", "/"},
		{"backslash", "/%5Chost", "/"},
		{"backslash spelled raw", `/\host`, "/"},
		{"encoded slashes", "/%252F%252Fhost", "/"},
		{"double-encoded tab", "/%2509/host", "/"},
		{"absolute URL", "https://host", "/"},
		{"scheme without slashes", "https:host", "/"},
		{"javascript", "javascript:alert(1)", "/"},
		{"user info", "//user@host", "/"},
		{"relative path", "host/path", "/"},
		{"empty", "", "/"},
		{"a page here", "/orders", "/orders"},
		{"a page with a query", "/deals%3Fcity%3Dcty_1", "/deals?city=cty_1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t, e.srv.URL)
			form := b.get("/login?next=" + strings.ReplaceAll(tc.raw, `\`, "%5C"))
			m := nextFieldRE.FindStringSubmatch(form.body)
			if m == nil {
				t.Fatalf("login page has no next field:\n%s", form.body)
			}
			if got := unescapeHTML(m[1]); got != tc.want {
				t.Errorf("login page's next = %q, want %q", got, tc.want)
			}
			// The form as sent by a browser, and the same form with the
			// hostile value put back in by hand.
			next, _ := url.QueryUnescape(strings.ReplaceAll(tc.raw, `\`, "%5C"))
			for _, sent := range []string{unescapeHTML(m[1]), next} {
				p := b.post("/login", url.Values{"csrf": {form.csrf(t)}, "phone": {me.Phone}, "password": {"customer-pass"}, "next": {sent}})
				if p.status != 303 || p.header.Get("Location") != tc.want {
					t.Errorf("log in with next %q = %d to %q, want 303 to %q", sent, p.status, p.header.Get("Location"), tc.want)
				}
			}
		})
	}
}

func unescapeHTML(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&lt;", "<", "&gt;", ">", "&#39;", "'").Replace(s)
}
