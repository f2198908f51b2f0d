package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	qrcode "github.com/yeqown/go-qrcode/v2"

	"tuango/internal/tuango"
)

// accountPageRoutes are the pages of an account: registering with a code
// sent to the phone, resetting a forgotten password the same way, changing
// the password, logging out everywhere, and the operators' second factor.
func (s *Server) accountPageRoutes() []Route {
	h := func(method, pattern string, fn http.HandlerFunc) Route { return Route{method, pattern, fn} }
	return []Route{
		h("GET", "/register", s.handleRegisterPage),
		h("POST", "/register", s.handleRegisterForm),
		h("POST", "/register/code", s.handleRegisterCodeForm),
		h("GET", "/password/reset", s.handleResetPage),
		h("POST", "/password/reset", s.handleResetForm),
		h("POST", "/password/reset/code", s.handleResetCodeForm),
		h("GET", "/account", s.handleAccountPage),
		h("POST", "/account/password", s.handleChangePasswordForm),
		h("POST", "/logout/all", s.handleLogoutEverywhereForm),
		h("GET", "/account/totp", s.handleTOTPPage),
		h("POST", "/account/totp", s.handleTOTPForm),
	}
}

// codeFormData is the register and reset pages: a phone, a code sent to
// it, a new password (and for registering, a name).
type codeFormData struct {
	Error, Notice, Phone, Name, Next string
	CodeSent                         bool // the code was asked for: show its field
}

func (s *Server) handleRegisterPage(w http.ResponseWriter, r *http.Request) {
	if pg, ok := s.openPage(w, r, "Register"); ok {
		pg.Data = codeFormData{Next: safeNext(r.URL.Query().Get("next"))}
		s.render(w, r, http.StatusOK, "account/register", pg)
	}
}

func (s *Server) handleResetPage(w http.ResponseWriter, r *http.Request) {
	if pg, ok := s.openPage(w, r, "Reset password"); ok {
		pg.Data = codeFormData{Phone: strings.TrimSpace(r.URL.Query().Get("phone"))}
		s.render(w, r, http.StatusOK, "account/reset", pg)
	}
}

// codeForm checks a posted public form and starts its page again with
// what was typed; on false the answer has been written.
func (s *Server) codeForm(w http.ResponseWriter, r *http.Request, title string) (*page, codeFormData, bool) {
	pg := s.newPage(w, r, title)
	if _, _, err := s.checkForm(w, r); err != nil {
		s.pageError(w, r, pg, err)
		return nil, codeFormData{}, false
	}
	if err := s.withUser(w, r, pg); err != nil {
		s.pageError(w, r, pg, err)
		return nil, codeFormData{}, false
	}
	d := codeFormData{Phone: strings.TrimSpace(r.PostFormValue("phone")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Next: safeNext(r.PostFormValue("next")), CodeSent: true}
	return pg, d, true
}

func (s *Server) handleRegisterCodeForm(w http.ResponseWriter, r *http.Request) {
	s.sendCodeForm(w, r, "Register", "account/register", tuango.PurposeRegister, "login.code_sent")
}

func (s *Server) handleResetCodeForm(w http.ResponseWriter, r *http.Request) {
	s.sendCodeForm(w, r, "Reset password", "account/reset", tuango.PurposeReset, "account.reset_code_sent")
}

// sendCodeForm sends a one-time code for purpose and shows the form again
// with the code's field. It says the same whether or not the phone has an
// account.
func (s *Server) sendCodeForm(w http.ResponseWriter, r *http.Request, title, tmpl, purpose, sent string) {
	pg, d, ok := s.codeForm(w, r, title)
	if !ok {
		return
	}
	code, err := s.requestCode(r, d.Phone, purpose)
	status := http.StatusOK
	if err == nil {
		d.Notice = pg.T(sent)
		if code != "" {
			d.Notice += " " + pg.T("login.code_sandbox", code)
		}
	} else if s.degraded(r, err) {
		s.degradedPage(w, r, pg)
		return
	} else {
		d.Error, status, d.CodeSent = s.accountError(w, pg, err), Status(tuango.ErrorCode(err)), false
	}
	pg.Data = d
	s.render(w, r, status, tmpl, pg)
}

func (s *Server) handleRegisterForm(w http.ResponseWriter, r *http.Request) {
	pg, d, ok := s.codeForm(w, r, "Register")
	if !ok {
		return
	}
	_, token, err := s.svc.Register(r.Context(), tuango.Registration{Phone: d.Phone, Password: r.PostFormValue("password"), Name: d.Name,
		Code: r.PostFormValue("code"), Source: s.clientAddr(r)})
	if err != nil {
		if s.degraded(r, err) {
			s.degradedPage(w, r, pg)
			return
		}
		d.Error = s.accountError(w, pg, err)
		pg.Data = d
		s.render(w, r, Status(tuango.ErrorCode(err)), "account/register", pg)
		return
	}
	s.setSessionCookie(w, token)
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
}

func (s *Server) handleResetForm(w http.ResponseWriter, r *http.Request) {
	pg, d, ok := s.codeForm(w, r, "Reset password")
	if !ok {
		return
	}
	err := s.svc.ResetPassword(r.Context(), tuango.PasswordReset{Phone: d.Phone, Code: r.PostFormValue("code"), NewPassword: r.PostFormValue("new_password"), Source: s.clientAddr(r)})
	if err != nil {
		if s.degraded(r, err) {
			s.degradedPage(w, r, pg)
			return
		}
		d.Error = s.accountError(w, pg, err)
		pg.Data = d
		s.render(w, r, Status(tuango.ErrorCode(err)), "account/reset", pg)
		return
	}
	pg.Title = pg.T("Log in")
	pg.Data = loginData{Phone: d.Phone, Next: "/", Notice: pg.T("account.reset_done")}
	s.render(w, r, http.StatusOK, "login", pg)
}

// accountError says what was wrong with an account form, in the page's
// language; a wait also goes in Retry-After.
func (s *Server) accountError(w http.ResponseWriter, pg *page, err error) string {
	var te *tuango.Error
	errors.As(err, &te)
	field := ""
	if te != nil {
		field = te.Field
	}
	switch code := tuango.ErrorCode(err); {
	case code == tuango.CodeTooManyAttempts && te != nil:
		return tooMany(w, pg, te.RetryAfter)
	case code == tuango.CodeCodeInvalid:
		return pg.T("account.code_invalid")
	case code == tuango.CodePasswordTooWeak:
		return pg.T("account.password_weak")
	case code == tuango.CodePhoneTaken:
		return pg.T("account.phone_taken")
	case code == tuango.CodeInvalidCredentials:
		return pg.T("account.old_wrong")
	case code == tuango.CodeTOTPInvalid:
		return pg.T("totp.wrong")
	case code == tuango.CodeInvalid && field == "phone":
		if strings.Contains(te.Message, "no account") {
			return pg.T("account.phone_unknown")
		}
		return pg.T("account.phone_invalid")
	case code == tuango.CodeInvalid && (field == "password" || field == "new_password"):
		return pg.T("account.password_length", tuango.MinPasswordLen, tuango.MaxPasswordLen)
	case code == tuango.CodeInvalid && field == "name":
		return pg.T("account.name_invalid")
	}
	return pg.T("login.failed")
}

type accountData struct {
	Error, Notice string
	Sessions      int
	TOTP          bool
}

func (s *Server) handleAccountPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.userPage(w, r, "My account")
	if !ok {
		return
	}
	s.renderAccount(w, r, pg, http.StatusOK, accountData{})
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, pg *page, status int, d accountData) {
	d.TOTP = pg.User.TOTPSecret != ""
	if r.URL.Query().Get("changed") == "1" {
		d.Notice = pg.T("account.password_changed")
	}
	pg.Data = d
	s.render(w, r, status, "account/account", pg)
}

func (s *Server) handleChangePasswordForm(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.roleForm(w, r, "My account", "/account", func(tuango.Role) bool { return true })
	if !ok {
		return
	}
	_, session, _ := s.sessionUser(r)
	err := s.svc.ChangePassword(r.Context(), actor(pg.User), session, r.PostFormValue("old_password"), r.PostFormValue("new_password"))
	if err != nil {
		if s.degraded(r, err) {
			s.degradedPage(w, r, pg)
			return
		}
		s.renderAccount(w, r, pg, Status(tuango.ErrorCode(err)), accountData{Error: s.accountError(w, pg, err)})
		return
	}
	http.Redirect(w, r, "/account?changed=1", http.StatusSeeOther)
}

func (s *Server) handleLogoutEverywhereForm(w http.ResponseWriter, r *http.Request) {
	u, _, err := s.checkForm(w, r)
	if err != nil {
		s.pageError(w, r, nil, err)
		return
	}
	if u != nil {
		if _, err := s.svc.LogoutEverywhere(r.Context(), actor(u)); err != nil {
			s.pageError(w, r, nil, err)
			return
		}
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

type totpData struct {
	Error, Secret string
	QR            template.HTML // an inline SVG of the otpauth:// URL
	Enrolled      bool
	RecoveryCodes []string
}

func (s *Server) handleTOTPPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.userPage(w, r, "Authenticator app")
	if !ok {
		return
	}
	s.renderTOTP(w, r, pg, http.StatusOK, totpData{})
}

// renderTOTP shows the enrolment: a new secret as a QR code and in text,
// and the form for the first code; or, once enrolled, that it is done.
func (s *Server) renderTOTP(w http.ResponseWriter, r *http.Request, pg *page, status int, d totpData) {
	pg.Desktop = pg.User.Role.IsStaff()
	d.Enrolled = pg.User.TOTPSecret != ""
	if !d.Enrolled {
		en, err := s.svc.BeginTOTP(r.Context(), actor(pg.User))
		if err != nil {
			s.pageError(w, r, pg, err)
			return
		}
		qr, err := qrSVG(en.URL)
		if err != nil {
			s.pageError(w, r, pg, err)
			return
		}
		d.Secret, d.QR = en.Secret, qr
	}
	pg.Data = d
	s.render(w, r, status, "account/totp", pg)
}

func (s *Server) handleTOTPForm(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.roleForm(w, r, "Authenticator app", "/account/totp", tuango.Role.IsStaff)
	if !ok {
		return
	}
	codes, err := s.svc.ConfirmTOTP(r.Context(), actor(pg.User), r.PostFormValue("secret"), r.PostFormValue("code"))
	if err != nil {
		if s.degraded(r, err) {
			s.degradedPage(w, r, pg)
			return
		}
		s.renderTOTP(w, r, pg, Status(tuango.ErrorCode(err)), totpData{Error: s.accountError(w, pg, err)})
		return
	}
	pg.User.TOTPSecret = "set" // enrolled: the page shows the codes, not a new secret
	pg.Desktop = pg.User.Role.IsStaff()
	pg.Data = totpData{Enrolled: true, RecoveryCodes: codes}
	s.render(w, r, http.StatusOK, "account/totp", pg)
}

// qrSVG draws text as a QR code in inline SVG, one path, so that it needs
// no image request and no data: URL.
func qrSVG(text string) (template.HTML, error) {
	qr, err := qrcode.New(text)
	if err != nil {
		return "", err
	}
	var sw svgWriter
	if err := qr.Save(&sw); err != nil {
		return "", err
	}
	return template.HTML(sw.out), nil
}

type svgWriter struct{ out string }

func (s *svgWriter) Write(mat qrcode.Matrix) error {
	const quiet = 4
	var b strings.Builder
	size := mat.Width() + 2*quiet
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="240" height="240" role="img" aria-label="QR"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, size, size, size, size)
	mat.Iterate(qrcode.IterDirection_ROW, func(x, y int, v qrcode.QRValue) {
		if v.IsSet() {
			fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+quiet, y+quiet)
		}
	})
	b.WriteString(`"/></svg>`)
	s.out = b.String()
	return nil
}

func (s *svgWriter) Close() error { return nil }
