package web

import (
	"context"
	"net/http"
	"strings"

	"tuango/internal/tuango"
)

// sessionCookie is the session's cookie. The __Host- prefix makes browsers
// keep it only when Secure, for this host alone and path /, so that no
// subdomain or plain-HTTP page can set or overwrite it (Chromium treats
// http://127.0.0.1 and localhost as secure, so development works too).
const sessionCookie = "__Host-tuango_session"

type authedHandler func(w http.ResponseWriter, r *http.Request, a tuango.Actor)

// authed requires a bearer token (API clients) and passes the actor on.
// Cookies authenticate pages only, so that API calls cannot be forged
// across sites. An operator or admin who has not enrolled in TOTP gets
// 403 totp_enrolment_required (see enrolling for the routes they may use).
func (s *Server) authed(next authedHandler) http.HandlerFunc {
	return s.authedAs(next, false)
}

// enrolling is authed for the routes a user who must still enrol in TOTP
// may call: their account, the enrolment, logging out.
func (s *Server) enrolling(next authedHandler) http.HandlerFunc {
	return s.authedAs(next, true)
}

func (s *Server) authedAs(next authedHandler, enrolling bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, err := s.svc.Authenticate(r.Context(), bearer(r))
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tuango"`)
			s.writeError(w, r, err)
			return
		}
		if !enrolling && tuango.NeedsEnrolment(u) {
			s.writeError(w, r, errEnrolFirst)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), keyUser, u))
		s.noteUser(r, u)
		next(w, r, tuango.Actor{UserID: u.ID, Role: u.Role})
	}
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if t, ok := strings.CutPrefix(h, "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	return ""
}

// optionalUser returns the bearer token's user, or nil without one.
func (s *Server) optionalUser(r *http.Request) *tuango.User {
	if bearer(r) == "" {
		return nil
	}
	u, err := s.svc.Authenticate(r.Context(), bearer(r))
	if err != nil {
		return nil
	}
	return u
}

// pageUser returns the session cookie's user, or nil.
func (s *Server) pageUser(r *http.Request) (*tuango.User, string) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, ""
	}
	u, err := s.svc.Authenticate(r.Context(), c.Value)
	if err != nil {
		return nil, ""
	}
	return u, c.Value
}

var errEnrolFirst = &tuango.Error{Code: tuango.CodeTOTPEnrolmentRequired, Message: "operators and admins need a second factor: enrol an authenticator app first (POST /api/v1/me/totp, or the page /account/totp)"}

// setSessionCookie sets the session cookie, always Secure (the prefix
// wants it). It lives as long as the longest session; the session's own
// idle and absolute timeouts, kept in the database, end it sooner.
func (s *Server) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: true, SameSite: http.SameSiteLaxMode, MaxAge: int(tuango.SessionTTL.Seconds())})
}

// clearSessionCookie tells the browser to forget the session cookie.
func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
}

func userFrom(ctx context.Context) *tuango.User {
	u, _ := ctx.Value(keyUser).(*tuango.User)
	return u
}
