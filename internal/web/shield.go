package web

import (
	"net/http"
	"strings"

	"tuango/internal/tuango"
)

// shield puts the defences between a request that is not banned and the
// routes: the rate limits, then the web application firewall, then the
// handler, and detection watching the answer. A source on the allow list
// is not detected, and not limited by address.
func (s *Server) shield(src source, next http.Handler) http.Handler {
	if s.limits == nil && s.waf == nil && s.ids == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		account := ""
		if s.limits != nil || s.ids != nil {
			account = s.requestAccount(r)
		}
		now := s.svc.Clock().Now()
		if s.limits != nil && !isStatic(r.URL.Path) {
			vs, ok := s.limits.check(r, account, src, now)
			if len(vs) > 0 {
				setRateHeaders(w.Header(), vs)
			}
			if !ok {
				s.rateLimited(w, r)
				return
			}
		}
		blocked := false
		rec := &statusRecorder{ResponseWriter: w}
		if s.waf != nil && (s.cfg.WAFInspectOrders || !sparedByWAF(r)) {
			it, done, err := inspect(s.waf, r, src)
			defer done()
			if err != nil {
				s.writeError(rec, r, tuango.Errorf(tuango.CodeInvalid, "the request body could not be read"))
			} else if it != nil {
				blocked = true
				s.refusedByWAF(rec, r)
			}
		}
		if rec.status == 0 {
			next.ServeHTTP(rec, r)
		}
		if s.ids == nil || src.allowed || !src.addr.IsValid() {
			return
		}
		o := observation{method: r.Method, path: r.URL.Path, rawURI: r.RequestURI, agent: r.UserAgent(), status: rec.code(),
			pattern: r.Pattern, account: account, wafBlocked: blocked}
		if sc := s.ids.detect(src.text, o, now); sc != nil {
			s.ban(r.Context(), src, sc.name, r.Method+" "+truncateURI(r.RequestURI))
		}
	})
}

// rateLimited answers a request the rate limits refused, with 429 and the
// Retry-After setRateHeaders wrote: problem+json under /api/, a page in
// the user's language elsewhere (a person on a page cannot read JSON).
func (s *Server) rateLimited(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		s.writeError(w, r, &tuango.Error{Code: tuango.CodeTooManyAttempts, Message: "too many requests; slow down and try again in a moment"})
		return
	}
	pg := s.newPage(w, r, "Please wait")
	pg.Data = errorPage{Heading: pg.T("Please wait"), Message: pg.T("error.rate_limited"), Status: http.StatusTooManyRequests, RequestID: requestID(r.Context())}
	s.render(w, r, http.StatusTooManyRequests, "error", pg)
}

// refusedByWAF answers 403 to a request the firewall refused:
// problem+json under /api/, a page in the user's language elsewhere, which
// says what to do (a person's search or note may have looked like an
// attack) and no more than the API says of the rule.
func (s *Server) refusedByWAF(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		s.writeError(w, r, tuango.Errorf(tuango.CodeForbidden, "this request was refused by the web application firewall"))
		return
	}
	pg := s.newPage(w, r, "Request refused")
	pg.Data = errorPage{Heading: pg.T("Request refused"), Message: pg.T("error.waf"), Status: http.StatusForbidden, RequestID: requestID(r.Context())}
	s.render(w, r, http.StatusForbidden, "error", pg)
}

func truncateURI(u string) string {
	if len(u) > 120 {
		return u[:120]
	}
	return u
}

// requestAccount is the signed-in user's id, by bearer token or session
// cookie, or "" for an anonymous request.
func (s *Server) requestAccount(r *http.Request) string {
	if u := s.optionalUser(r); u != nil {
		return u.ID
	}
	if u, _ := s.pageUser(r); u != nil {
		return u.ID
	}
	return ""
}
