package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"time"

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

// onceForm makes an operator's console form that creates or triggers
// something act at most once per key: the form carries a key from the
// moment it is rendered ({{$p.FormKey action}}), and a second submit of
// it (a double click, a reload of the answer, back and submit again)
// gets the first answer, the same redirect, and changes nothing. It is
// the API's optional key (onceIfKeyed) with the form's key field for the
// header: the handler runs in the transaction that stores its answer. A
// refusal (a form shown again with its errors, 400 and up) stores
// nothing, so that the corrected form acts under the same key. A form
// without a key (rendered before forms had one) acts as it did.
func (s *Server) onceForm(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pg, ok := s.staffForm(w, r, "Error")
		if !ok {
			return
		}
		key := r.PostForm.Get("key")
		if key == "" {
			next(w, r)
			return
		}
		if !validPageKey(key) {
			s.pageError(w, r, pg, tuango.FieldError("key", "the form is incomplete; reload the page"))
			return
		}
		// The fingerprint is the form as sent but for its CSRF token and
		// key: the same form again is a replay, another under the key is
		// refused (idempotency_key_reused).
		form := make(url.Values, len(r.PostForm))
		for k, v := range r.PostForm {
			if k != "csrf" && k != "key" {
				form[k] = v
			}
		}
		sum := sha256.Sum256([]byte("page POST " + r.URL.Path + "\n" + form.Encode()))
		idem := &tuango.Idempotency{Scope: pg.User.ID, Key: key, Fingerprint: hex.EncodeToString(sum[:])}
		// The answer is kept as written: not compressed, so that its
		// replay needs no header of the first.
		in := r.Clone(r.Context())
		in.Header.Del("Accept-Encoding")
		err := s.keep(w, in, idem, http.StatusBadRequest, next)
		// A double click arrives while the first submit is still acting:
		// wait for its answer rather than show an error for a form that
		// is fine, as checkout does.
		for i := 0; i < 20 && tuango.ErrorCode(err) == tuango.CodeIdemKeyInFlight; i++ {
			time.Sleep(100 * time.Millisecond)
			err = s.keep(w, in, idem, http.StatusBadRequest, next)
		}
		if err != nil {
			s.pageError(w, r, pg, err)
		}
	}
}
