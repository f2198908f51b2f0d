package web

import (
	"context"
	"net/http"
	"strings"

	"tuango/internal/tuango"
)

const sessionCookie = "tuango_session"

type authedHandler func(w http.ResponseWriter, r *http.Request, a tuango.Actor)

// authed requires a bearer token (API clients) and passes the actor on.
// Cookies authenticate pages only, so that API calls cannot be forged
// across sites.
func (s *Server) authed(next authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, err := s.svc.Authenticate(r.Context(), bearer(r))
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tuango"`)
			s.writeError(w, r, err)
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

func (s *Server) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: int(tuango.SessionTTL.Seconds())})
}

func userFrom(ctx context.Context) *tuango.User {
	u, _ := ctx.Value(keyUser).(*tuango.User)
	return u
}
