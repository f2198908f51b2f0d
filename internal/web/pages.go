package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"tuango/internal/tuango"
)

//go:embed templates
var templateFiles embed.FS

var pages = map[string]*template.Template{}

func init() {
	for _, name := range []string{"home", "login", "sandbox_pay"} {
		pages[name] = template.Must(template.ParseFS(templateFiles, "templates/layout.html", "templates/"+name+".html"))
	}
}

type pageData struct {
	Title string
	User  *tuango.User
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := pages[name].ExecuteTemplate(w, name+".html", data); err != nil {
		s.log.Error("render page", "page", name, "request_id", requestID(r.Context()), "err", err)
	}
}

func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) {
	u, _ := s.pageUser(r)
	s.render(w, r, http.StatusOK, "home", pageData{Title: "首页", User: u})
}

// handleNotFound answers every URL no route matches: 405 with Allow when
// the path exists for other methods, else 404, both as problem+json.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		s.writeError(w, r, &tuango.Error{Code: codeMethodNotAllowed, Message: r.Method + " is not allowed here; use " + strings.Join(allow, " or ")})
		return
	}
	s.writeError(w, r, &tuango.Error{Code: tuango.CodeNotFound, Message: "nothing is at " + r.URL.Path})
}

type loginData struct {
	pageData
	Error, Phone, Next string
}

func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/"
	}
	return next
}

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "login", loginData{pageData: pageData{Title: "登录"}, Next: safeNext(r.URL.Query().Get("next"))})
}

func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	phone, next := r.PostFormValue("phone"), safeNext(r.PostFormValue("next"))
	_, token, err := s.svc.Login(r.Context(), phone, r.PostFormValue("password"))
	if err != nil {
		msg := "手机号或密码错误 The phone number or password is wrong."
		if tuango.ErrorCode(err) != tuango.CodeInvalidCredentials {
			msg = "登录失败，请稍后再试 Could not log in; try again shortly."
		}
		s.render(w, r, Status(tuango.ErrorCode(err)), "login", loginData{pageData: pageData{Title: "登录"}, Error: msg, Phone: phone, Next: next})
		return
	}
	s.setSessionCookie(w, token)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// csrfToken binds a form to the session that rendered it.
func (s *Server) csrfToken(session string) string {
	m := hmac.New(sha256.New, s.cfg.CSRFKey)
	m.Write([]byte(session))
	return hex.EncodeToString(m.Sum(nil))
}

type sandboxPageData struct {
	pageData
	PaymentID, OrderID, Amount, TxnID, CSRF string
	Paid                                    bool
}

func (s *Server) sandboxPage(w http.ResponseWriter, r *http.Request) (*tuango.User, string, bool) {
	u, session := s.pageUser(r)
	if u == nil {
		http.Redirect(w, r, "/login?next="+r.URL.Path, http.StatusSeeOther)
		return nil, "", false
	}
	return u, session, true
}

func (s *Server) handleSandboxPage(w http.ResponseWriter, r *http.Request) {
	u, session, ok := s.sandboxPage(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	sp, err := s.sandbox.Payment(r.Context(), id, u.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.svc.GetPayment(r.Context(), tuango.Actor{UserID: u.ID, Role: u.Role}, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "sandbox_pay", sandboxPageData{pageData: pageData{Title: "沙箱支付", User: u},
		PaymentID: id, OrderID: p.OrderID, Amount: yuan(sp.AmountFen), TxnID: sp.TxnID, Paid: sp.Status == "paid", CSRF: s.csrfToken(session)})
}

func (s *Server) handleSandboxPageConfirm(w http.ResponseWriter, r *http.Request) {
	u, session, ok := s.sandboxPage(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if !hmac.Equal([]byte(r.PostFormValue("csrf")), []byte(s.csrfToken(session))) {
		s.writeError(w, r, tuango.Errorf(tuango.CodeForbidden, "the form is out of date or was sent from another site; reload the page"))
		return
	}
	if err := s.sandbox.Confirm(r.Context(), r.PathValue("id"), u.ID); err != nil {
		s.writeError(w, r, err)
		return
	}
	http.Redirect(w, r, r.URL.Path, http.StatusSeeOther)
}

// yuan formats fen as yuan with two decimals, without floats.
func yuan(f tuango.Fen) string {
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	return fmt.Sprintf("%s%d.%02d", sign, f/100, f%100)
}
