package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"tuango/internal/tuango"
)

// Forms: every form carries a token bound to the session that rendered it.

// csrfToken binds a form to the session (or, before login, the browser)
// that rendered it.
func (s *Server) csrfToken(binding string) string {
	m := hmac.New(sha256.New, s.cfg.CSRFKey)
	m.Write([]byte(binding))
	return hex.EncodeToString(m.Sum(nil))
}

const anonCookie = "tuango_anon"

// formBinding is what a form token is bound to: the session token, or for
// a visitor not logged in a random cookie of their browser.
func (s *Server) formBinding(w http.ResponseWriter, r *http.Request, session string) string {
	if session != "" {
		return session
	}
	if c, err := r.Cookie(anonCookie); err == nil && len(c.Value) == 32 {
		return "anon:" + c.Value
	}
	var b [16]byte
	rand.Read(b[:])
	v := hex.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: anonCookie, Value: v, Path: "/", HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	r.AddCookie(&http.Cookie{Name: anonCookie, Value: v}) // later reads in this request see it
	return "anon:" + v
}

// enrolmentPaths are the forms an operator or admin who has not enrolled
// in TOTP may still send.
var enrolmentPaths = map[string]bool{"/account/totp": true, "/logout": true, "/logout/all": true}

// checkForm reads a posted form and checks its CSRF token against the
// browser's session; it returns the session's user (nil if none).
func (s *Server) checkForm(w http.ResponseWriter, r *http.Request) (*tuango.User, string, error) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		return nil, "", &tuango.Error{Code: codeBodyTooLarge, Message: "the form is too large"}
	}
	u, session, err := s.sessionUser(r)
	if err != nil {
		return nil, "", err
	}
	binding := session
	if session == "" {
		c, err := r.Cookie(anonCookie)
		if err != nil {
			return nil, "", &tuango.Error{Code: codeCSRF, Message: "the form has no session"}
		}
		binding = "anon:" + c.Value
	}
	if !hmac.Equal([]byte(r.PostFormValue("csrf")), []byte(s.csrfToken(binding))) {
		return nil, "", &tuango.Error{Code: codeCSRF, Message: "the form is out of date or was sent from another site; reload the page"}
	}
	if u != nil && tuango.NeedsEnrolment(u) && !enrolmentPaths[r.URL.Path] {
		return nil, "", errEnrolFirst
	}
	return u, session, nil
}

// loginPage starts the login page, whose form token is bound to the
// browser (its anonymous cookie), logged in or not: a site that cannot
// read that cookie's token cannot log a visitor into its own account
// (login CSRF).
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) *page {
	pg := s.newPage(w, r, "Log in")
	pg.CSRF = s.csrfToken(s.formBinding(w, r, ""))
	return pg
}

// checkLoginForm reads a posted login form and checks its token against
// the browser's anonymous cookie.
func (s *Server) checkLoginForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		return &tuango.Error{Code: codeBodyTooLarge, Message: "the form is too large"}
	}
	c, err := r.Cookie(anonCookie)
	if err != nil || !hmac.Equal([]byte(r.PostFormValue("csrf")), []byte(s.csrfToken("anon:"+c.Value))) {
		return &tuango.Error{Code: codeCSRF, Message: "the login form is out of date or was sent from another site; reload the page"}
	}
	return nil
}
