package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"tuango/internal/tuango"
)

type loginData struct {
	Error, Notice, Phone, Next string
	NeedCode                   bool // show the SMS code field and its button
	// Ticket, once the password was right for an operator or admin, is
	// the second step's: the form then asks for the authenticator code.
	Ticket string
	Demo   bool // the sandbox's switches are on: say where the demo's secret is
}

// safeNext returns next if it is a path on this site, and "/" otherwise.
// It is parsed, not matched: a scheme, a host, a leading "//" (also when
// spelled %2F%2F), a backslash or a control character anywhere, before or
// after decoding, sends the user home instead of off-site — browsers drop
// tabs and newlines and read "\" as "/", so "/\t/host" would be "//host".
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(next, "/") ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	query, err := url.QueryUnescape(u.RawQuery)
	if err != nil {
		return "/"
	}
	for _, part := range []string{next, u.Path, query, u.Fragment} {
		if strings.ContainsFunc(part, func(r rune) bool { return r == '\\' || unicode.IsControl(r) }) {
			return "/"
		}
	}
	return (&url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery, Fragment: u.Fragment}).String()
}

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	pg := s.loginPage(w, r)
	pg.Data = loginData{Next: safeNext(r.URL.Query().Get("next"))}
	s.render(w, r, http.StatusOK, "login", pg)
}

func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	pg := s.loginPage(w, r)
	if err := s.checkLoginForm(w, r); err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	phone, next := strings.TrimSpace(r.PostFormValue("phone")), safeNext(r.PostFormValue("next"))
	smsCode, ticket := strings.TrimSpace(r.PostFormValue("code")), r.PostFormValue("ticket")
	token, err := s.actLogin(r.Context(), tuango.LoginRequest{Phone: phone, Password: r.PostFormValue("password"), Code: smsCode, Source: s.clientAddr(r),
		TOTP: strings.TrimSpace(r.PostFormValue("totp")), Ticket: ticket})
	if err != nil {
		code := tuango.ErrorCode(err)
		data := loginData{Phone: phone, Next: next, NeedCode: smsCode != ""}
		var te *tuango.Error
		switch {
		case code == tuango.CodeTOTPRequired:
			data.Ticket, data.Demo = token, s.cfg.SandboxControls
		case code == tuango.CodeTOTPInvalid:
			data.Error, data.Ticket, data.Demo = pg.T("totp.wrong"), ticket, s.cfg.SandboxControls
		case code == tuango.CodeInvalidCredentials && ticket != "":
			data.Error = pg.T("totp.expired")
		case code == tuango.CodeInvalidCredentials:
			data.Error = pg.T("login.wrong")
		case code == tuango.CodeTooManyAttempts && errors.As(err, &te):
			data.Error = tooMany(w, pg, te.RetryAfter)
		case code == tuango.CodeCodeRequired:
			data.Error, data.NeedCode = pg.T("login.code_required"), true
		case s.degraded(r, err):
			s.degradedPage(w, r, pg)
			return
		default:
			data.Error = pg.T("login.failed")
		}
		pg.Data = data
		status := Status(code)
		if code == tuango.CodeTOTPRequired {
			status = http.StatusOK // the second step's form, not a failure
		}
		s.render(w, r, status, "login", pg)
		return
	}
	s.setSessionCookie(w, token)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// tooMany sets Retry-After to wait and says, in the page's language, how
// many minutes that is.
func tooMany(w http.ResponseWriter, pg *page, wait time.Duration) string {
	w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
	return pg.T("login.too_many", int((wait+time.Minute-1)/time.Minute))
}

// handleLoginCodeForm sends a one-time login code and shows the login
// form again with the code's field.
func (s *Server) handleLoginCodeForm(w http.ResponseWriter, r *http.Request) {
	pg := s.loginPage(w, r)
	if err := s.checkLoginForm(w, r); err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	phone, next := strings.TrimSpace(r.PostFormValue("phone")), safeNext(r.PostFormValue("next"))
	data := loginData{Phone: phone, Next: next, NeedCode: true}
	code, err := s.requestCode(r, phone, "login")
	status := http.StatusOK
	var te *tuango.Error
	switch {
	case err == nil:
		data.Notice = pg.T("login.code_sent")
		if code != "" {
			data.Notice += " " + pg.T("login.code_sandbox", code)
		}
	case tuango.ErrorCode(err) == tuango.CodeTooManyAttempts && errors.As(err, &te):
		data.Error, status = tooMany(w, pg, te.RetryAfter), http.StatusTooManyRequests
	case tuango.ErrorCode(err) == tuango.CodeInvalid:
		data.Error, status = pg.T("login.wrong"), http.StatusBadRequest
	case s.degraded(r, err):
		s.degradedPage(w, r, pg)
		return
	default:
		data.Error, status = pg.T("login.failed"), Status(tuango.ErrorCode(err))
	}
	pg.Data = data
	s.render(w, r, status, "login", pg)
}

func (s *Server) handleLogoutForm(w http.ResponseWriter, r *http.Request) {
	_, session, err := s.checkForm(w, r)
	if err != nil {
		s.pageError(w, r, nil, err)
		return
	}
	if session != "" {
		if err := s.actLogout(r.Context(), session); err != nil {
			s.pageError(w, r, nil, err)
			return
		}
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

type sandboxPageData struct {
	PaymentID, OrderID, Amount, TxnID string
	Paid                              bool
}

func (s *Server) handleSandboxPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.userPage(w, r, "Sandbox payment")
	if !ok {
		return
	}
	ctx, cancel := pageRead(r)
	defer cancel()
	id := r.PathValue("id")
	sp, err := s.sandbox.Payment(ctx, id, pg.User.ID)
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	p, err := s.svc.GetPayment(ctx, actor(pg.User), id)
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	pg.Data = sandboxPageData{PaymentID: id, OrderID: p.OrderID, Amount: yuan(sp.AmountFen), TxnID: sp.TxnID, Paid: sp.Status == "paid"}
	s.render(w, r, http.StatusOK, "sandbox_pay", pg)
}

func (s *Server) handleSandboxPageConfirm(w http.ResponseWriter, r *http.Request) {
	u, _, err := s.checkForm(w, r)
	if err != nil {
		s.pageError(w, r, nil, err)
		return
	}
	if u == nil {
		http.Redirect(w, r, "/login?next="+r.URL.Path, http.StatusSeeOther)
		return
	}
	if err := s.actConfirmSandbox(r.Context(), r.PathValue("id"), u.ID); err != nil {
		s.pageError(w, r, nil, err)
		return
	}
	http.Redirect(w, r, r.URL.Path, http.StatusSeeOther)
}

func actor(u *tuango.User) tuango.Actor { return tuango.Actor{UserID: u.ID, Role: u.Role} }
