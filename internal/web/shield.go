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
		if sc := s.ids.detect(src.group, o, now); sc != nil {
			s.ban(r.Context(), src, sc.name, r.Method+" "+truncateURI(r.RequestURI))
		}
	})
}

// rateLimited answers a request the rate limits refused, with 429 and the
// Retry-After setRateHeaders wrote.
func (s *Server) rateLimited(w http.ResponseWriter, r *http.Request) {
	s.guardRefusal(w, r, &tuango.Error{Code: tuango.CodeTooManyAttempts, Message: "too many requests; slow down and try again in a moment"},
		"Please wait", "error.rate_limited")
}

// refusedByWAF answers 403 to a request the firewall refused; the page
// says what to do (a person's search or note may have looked like an
// attack) and no more than the API says of the rule.
func (s *Server) refusedByWAF(w http.ResponseWriter, r *http.Request) {
	s.guardRefusal(w, r, tuango.Errorf(tuango.CodeForbidden, "this request was refused by the web application firewall"), "Request refused", "error.waf")
}

// guardRefusal answers a request a defence refused: err as problem+json
// under /api/, elsewhere the error page in the user's language with
// err's status, the heading and the message id given (a person on a page
// cannot read JSON, and the code's usual words would not fit).
func (s *Server) guardRefusal(w http.ResponseWriter, r *http.Request, err *tuango.Error, heading, message string) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		s.writeError(w, r, err)
		return
	}
	status := Status(err.Code)
	pg := s.newPage(w, r, heading)
	pg.Data = errorPage{Heading: pg.T(heading), Message: pg.T(message), Status: status, RequestID: requestID(r.Context())}
	s.render(w, r, status, "error", pg)
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
