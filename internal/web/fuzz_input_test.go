package web

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/netip"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"

	"tuango/internal/tuango"
)

// The decoders of outside input that fuzz_test.go and
// fuzz_aftersales_test.go do not cover: every JSON body the API decodes,
// the query strings it reads, the login page's redirect target, the
// console's money fields, the cart cookie and the forwarded client
// address. Each must never panic and must refuse only with
// validation_failed; what it accepts must be what its rule allows.

// apiBodies makes a fresh value of each request type the API decodes:
// the OpenAPI test's table of input schemas (which a new body must join,
// TestOpenAPISchemasMatchInputs sees to it), in name order, so that a
// fuzz corpus entry keeps naming the same type.
var apiBodies = func() []func() any {
	names := slices.Sorted(maps.Keys(openapiInputSchemas))
	out := make([]func() any, 0, len(names))
	for _, n := range names {
		t := reflect.TypeOf(openapiInputSchemas[n])
		out = append(out, func() any { return reflect.New(t).Interface() })
	}
	return out
}()

func FuzzDecodeAPIBodies(f *testing.F) {
	for i, body := range []string{`{"phone":"13900000001","password":"x"}`, `{"name":"白菜","price_fen":199,"stock":10}`,
		`{"cidr":"10.0.0.0/8"}`, `{"date":"2026-12-01","city_id":"cty_1"}`, `{"items":[{"deal_id":"d","quantity":1}]}`,
		`{"amount_fen":-1}`, `{"name":null}`, `{"a":1,"a":2}`, `{"stock":1e400}`, `{"valid_to":"2026-13-01T00:00:00Z"}`, "\xff", `[{}]`} {
		f.Add(uint8(i), []byte(body))
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		v := apiBodies[int(which)%len(apiBodies)]()
		if err := decodeBytes(body, v); err != nil {
			if code := tuango.ErrorCode(err); code != tuango.CodeInvalid && code != codeUnknownField(err) {
				t.Fatalf("decode %T (%q): code %q, want %q: %v", v, body, code, tuango.CodeInvalid, err)
			}
			return
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("accepted %q into %T, which does not encode: %v", body, v, err)
		}
		w := apiBodies[int(which)%len(apiBodies)]()
		if err := decodeBytes(again, w); err != nil {
			t.Fatalf("%T: accepted %q but not its own encoding %s: %v", v, body, again, err)
		}
	})
}

// codeUnknownField is the code of err if it is an unknown-field refusal
// (still a validation failure to the client), else "".
func codeUnknownField(err error) string {
	if Status(tuango.ErrorCode(err)) == http.StatusBadRequest {
		return tuango.ErrorCode(err)
	}
	return ""
}

func FuzzPageQuery(f *testing.F) {
	for _, q := range []string{"limit=10&cursor=ord_1", "limit=-1", "limit=0", "limit=99999999999999999999", "cursor=%00", "limit=1&limit=2", "%zz"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r := &http.Request{URL: &url.URL{RawQuery: raw}}
		limit, _, err := pageQuery(r)
		if err != nil {
			if tuango.ErrorCode(err) != tuango.CodeInvalid {
				t.Fatalf("pageQuery(%q) = %v, want validation_failed", raw, err)
			}
			return
		}
		if limit == 0 && r.URL.Query().Get("limit") != "" {
			t.Fatalf("pageQuery(%q) accepted limit 0", raw)
		}
	})
}

// The login page's next= never leads off the site: whatever it is given,
// the target is one path on this site.
func FuzzSafeNext(f *testing.F) {
	for _, n := range []string{"/orders", "//evil.example", "/%09/evil.example", "/\\evil.example", "https://evil.example/", "/a?b=c#d", "%2F%2Fevil", "/\t/x", "javascript:alert(1)"} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") ||
			strings.ContainsFunc(got, func(r rune) bool { return r == '\\' || unicode.IsControl(r) }) {
			t.Fatalf("safeNext(%q) = %q: not a path on this site", next, got)
		}
		// What a browser makes of it: tabs and newlines dropped, "\" read as "/".
		seen := strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(got)
		if strings.HasPrefix(seen, "//") {
			t.Fatalf("safeNext(%q) = %q, which a browser reads as %q", next, got, seen)
		}
	})
}

// The console's money fields accept yuan with at most two decimals and
// nothing else; what they accept reads back the same.
func FuzzParseYuan(f *testing.F) {
	for _, s := range []string{"18.80", "¥8.5", "0", "-1", "1e3", "999999999.99", "1.234", " 3 ", "١٢"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fen, ok := parseYuan(s)
		if !ok {
			return
		}
		if fen < 0 || fen > 999_999_999_99 {
			t.Fatalf("parseYuan(%q) = %d fen", s, fen)
		}
		if again, ok := parseYuan(fmt.Sprintf("%d.%02d", fen/100, fen%100)); !ok || again != fen {
			t.Fatalf("parseYuan(%q) = %d, but its own formatting reads as %d", s, fen, again)
		}
	})
}

// The cart cookie is the browser's: whatever it holds, the cart is lines
// of valid ids and quantities, each deal once, at most MaxOrderLines.
func FuzzParseCart(f *testing.F) {
	for _, s := range []string{"deal_1:2.deal_2:1", "deal_1:0", "deal_1:2.deal_1:3", ":::", "deal_\x00:1", strings.Repeat("d:1.", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		lines := parseCart(v)
		if len(lines) > tuango.MaxOrderLines {
			t.Fatalf("parseCart kept %d lines", len(lines))
		}
		seen := map[string]bool{}
		for _, l := range lines {
			if !validID(l.DealID) || l.Quantity < 1 || l.Quantity > tuango.MaxQuantity || seen[l.DealID] {
				t.Fatalf("parseCart(%q) kept %+v", v, l)
			}
			seen[l.DealID] = true
		}
	})
}

// X-Forwarded-For is whatever a client sends: the client address is an
// address (never a forged one unless a trusted proxy appended it).
func FuzzClientAddr(f *testing.F) {
	for _, s := range []string{"203.0.113.9", "10.0.0.1, 203.0.113.9", "::1", "1.2.3.4, ::ffff:127.0.0.1", "garbage, 127.0.0.1", ""} {
		f.Add(s)
	}
	s := &Server{cfg: Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}}
	f.Fuzz(func(t *testing.T, xff string) {
		for _, remote := range []string{"127.0.0.1:4000", "198.51.100.7:4000"} {
			r := &http.Request{RemoteAddr: remote, Header: http.Header{"X-Forwarded-For": {xff}}}
			got := s.clientAddr(r)
			if _, err := netip.ParseAddr(got); err != nil {
				t.Fatalf("clientAddr(%s, XFF %q) = %q, not an address", remote, xff, got)
			}
			if remote == "198.51.100.7:4000" && got != "198.51.100.7" {
				t.Fatalf("an untrusted peer's XFF %q was believed: %q", xff, got)
			}
		}
	})
}
