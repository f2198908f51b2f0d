package web

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"tuango/internal/tuango"
)

// The browser and transport defences every answer gets: security headers,
// a body size limit, and Go's cross-origin protection in front of every
// state-changing request (the form token of page_forms.go stands behind
// it, for browsers that send neither Sec-Fetch-Site nor Origin).

// contentSecurityPolicy allows scripts, styles, images and fonts from this
// site only — no inline script, no eval, no plugins, no <base>, forms
// posted here only, and no framing. Inline style attributes stay allowed:
// they carry no script.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; media-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// hstsMaxAge is how long browsers keep to HTTPS once told: two years, as
// the HSTS preload list asks.
const hstsMaxAge = 63072000

// codeCrossOrigin is a state-changing request sent from another site.
const codeCrossOrigin = "cross_origin_refused"

func (s *Server) securityHeaders(w http.ResponseWriter, r *http.Request) {
	// Each value is assigned, not Set: a shared slice built once instead
	// of one made per answer. Nothing writes into a header's values in
	// place (Set replaces them, Add appends to a copy), so sharing is safe.
	h := w.Header()
	h["X-Content-Type-Options"] = headerNosniff
	h["X-Frame-Options"] = headerDeny
	h["Referrer-Policy"] = headerSameOrigin
	h["Content-Security-Policy"] = headerCSP
	h["Cross-Origin-Opener-Policy"] = headerSameOrigin
	h["Permissions-Policy"] = headerPermissions
	if s.overTLS(r) {
		h["Strict-Transport-Security"] = headerHSTS
	}
}

var (
	headerNosniff     = []string{"nosniff"}
	headerDeny        = []string{"DENY"}
	headerSameOrigin  = []string{"same-origin"}
	headerCSP         = []string{contentSecurityPolicy}
	headerPermissions = []string{"camera=(self), microphone=(), geolocation=(), payment=(), usb=()"}
	headerHSTS        = []string{fmt.Sprintf("max-age=%d; includeSubDomains", hstsMaxAge)}
)

// overTLS reports whether the client reached us over HTTPS: on this
// connection, or through a trusted proxy that says so.
func (s *Server) overTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return s.fromTrustedProxy(r) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// limitBody refuses a body declared larger than MaxBodyBytes at once, with
// 413 body_too_large, and caps every other body at that size so that no
// handler reads more. It reports whether the request may go on.
func (s *Server) limitBody(w http.ResponseWriter, r *http.Request) bool {
	if r.ContentLength > MaxBodyBytes {
		s.refuse(w, r, &tuango.Error{Code: codeBodyTooLarge, Message: fmt.Sprintf("the body is %d bytes; at most %d are accepted", r.ContentLength, MaxBodyBytes)})
		return false
	}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	}
	return true
}

// crossOrigin is Go's protection against cross-site request forgery: a
// state-changing request that the browser says comes from another site
// (Sec-Fetch-Site, or an Origin that is not this host) is refused with
// 403. Requests without those headers (API clients, the payment provider)
// pass; the form token still guards the pages for old browsers.
func (s *Server) crossOrigin() *http.CrossOriginProtection {
	c := http.NewCrossOriginProtection()
	c.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.refuse(w, r, &tuango.Error{Code: codeCrossOrigin, Message: "this request was sent from another site; open the page on this site and send it from there"})
	}))
	return c
}

// refuse answers an error as problem+json under /api/ and as a page
// elsewhere.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, err error) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		s.writeError(w, r, err)
		return
	}
	s.pageError(w, r, nil, err)
}

// fromTrustedProxy reports whether the connection is from a configured
// trusted proxy.
func (s *Server) fromTrustedProxy(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	return err == nil && s.trusted(a)
}
