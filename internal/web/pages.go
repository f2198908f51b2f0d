package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/message"

	"tuango/internal/tuango"
)

//go:embed templates static
var templateFiles embed.FS

// pageNames are the templates under templates/, each rendered inside
// layout.html.
var pageNames = []string{
	"login", "error", "coming", "sandbox_pay",
	"customer/storefront", "customer/deal", "customer/cart", "customer/checkout", "customer/orders", "customer/order",
	"admin/deals", "admin/deal", "admin/pickup_points",
}

var pageTemplates = parsePages()

var pageFuncs = template.FuncMap{
	// args passes several values to a sub-template.
	"args": func(v ...any) []any { return v },
	"add":  func(a, b int) int { return a + b },
	"mod":  func(a, b int) int { return a % b },
	// height is the height of a chart of rows.
	"height": func(bars []bar) int { return len(bars) * 24 },
	// short cuts a chart label to what fits beside its bar.
	"short": func(s string) string {
		if r := []rune(s); len(r) > 14 {
			return string(r[:13]) + "…"
		}
		return s
	},
}

func parsePages() map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		out[name] = template.Must(template.New(name).Funcs(pageFuncs).ParseFS(templateFiles, "templates/layout.html", "templates/partials.html", "templates/"+name+".html"))
	}
	return out
}

// pageReadTimeout bounds every read a page makes, so that with the
// database unreachable a page still answers within a second (see
// degraded).
const pageReadTimeout = 500 * time.Millisecond

// Banner is a notice shown at the top of every page, such as an incident
// or planned maintenance. The operations issue fills it.
type Banner struct {
	Level string // info, warning or danger
	Text  string
}

// page is what every template sees: the frame (language, user, banner,
// CSRF token) and the page's own data.
type page struct {
	Title    string
	Lang     string // the html lang attribute
	English  bool
	User     *tuango.User
	Banner   *Banner
	CSRF     string
	Path     string // the current path, for the language switch
	Desktop  bool   // operator pages use the wide layout
	Degraded bool
	Data     any

	p   *message.Printer
	now time.Time
}

// T translates a message id, formatting args into it.
func (p *page) T(key string, args ...any) string { return p.p.Sprintf(key, args...) }

// Money formats fen as yuan, ¥12.34, without floats.
func (p *page) Money(f tuango.Fen) string { return "¥" + yuan(f) }

// newPage starts the frame of a page for r: its language and title (see
// openPage and userPage for the user and the form token).
func (s *Server) newPage(w http.ResponseWriter, r *http.Request, title string) *page {
	tag := s.pageLang(w, r)
	pg := &page{Lang: "zh-CN", p: newPrinter(tag), Path: r.URL.Path, now: s.svc.Clock().Now()}
	if tag == langEN {
		pg.Lang, pg.English = "en", true
	}
	pg.Title = pg.T(title)
	return pg
}

// withUser looks up the session's user under the page deadline and fills
// in the user and the CSRF token.
func (s *Server) withUser(w http.ResponseWriter, r *http.Request, pg *page) error {
	u, session, err := s.sessionUser(r)
	if err != nil {
		return err
	}
	pg.User = u
	pg.CSRF = s.csrfToken(s.formBinding(w, r, session))
	return nil
}

// sessionUser returns the session cookie's user (nil without a valid
// session) and the session token; an error only when it cannot tell.
func (s *Server) sessionUser(r *http.Request) (*tuango.User, string, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, "", nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), pageReadTimeout)
	defer cancel()
	u, err := s.svc.Authenticate(ctx, c.Value)
	switch tuango.ErrorCode(err) {
	case "":
		return u, c.Value, nil
	case tuango.CodeUnauthorized:
		return nil, "", nil
	}
	return nil, "", err
}

// render executes a page into a buffer, so that a template error never
// sends half a page, then writes it.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, pg *page) {
	var buf bytes.Buffer
	if err := pageTemplates[name].ExecuteTemplate(&buf, "layout", pg); err != nil {
		s.log.Error("render page", "page", name, "request_id", requestID(r.Context()), "err", err)
		status, buf = http.StatusInternalServerError, *bytes.NewBufferString("internal error; quote request id " + requestID(r.Context()))
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", pg.Lang)
	h.Add("Vary", "Accept-Encoding")
	if buf.Len() < 1024 || !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		w.WriteHeader(status)
		w.Write(buf.Bytes())
		return
	}
	// A page of deals is mostly repeated markup: gzip makes 80 KB about 10.
	h.Set("Content-Encoding", "gzip")
	w.WriteHeader(status)
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(w)
	zw.Write(buf.Bytes())
	zw.Close()
	gzipWriters.Put(zw)
}

var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return zw
}}

type errorPage struct {
	Heading, Message string
	Status           int
	RequestID        string
}

// pageError writes err as a page in the user's language, never JSON. An
// error that comes from the database not answering is the degraded page.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, pg *page, err error) {
	if pg == nil {
		pg = s.newPage(w, r, "Error")
	}
	if s.degraded(r, err) {
		s.degradedPage(w, r, pg)
		return
	}
	s.errorPage(w, r, pg, err)
}

// errorPage writes the page of an error that is not an outage.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, pg *page, err error) {
	code := tuango.ErrorCode(err)
	status := pageStatus(code)
	heading, msg := errorText(code)
	if status >= 500 {
		s.log.Error("page failed", "request_id", requestID(r.Context()), "path", r.URL.Path, "err", err)
	}
	pg.Title = pg.T(heading)
	pg.Data = errorPage{Heading: pg.T(heading), Message: pg.T(msg), Status: status, RequestID: requestID(r.Context())}
	s.render(w, r, status, "error", pg)
}

// degraded reports whether err means the database did not answer in time
// or at all, rather than a refusal or a bug: a deadline, code
// unavailable, or an internal error while the database fails a quick ping.
func (s *Server) degraded(r *http.Request, err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || tuango.ErrorCode(err) == tuango.CodeUnavailable {
		return true
	}
	if tuango.ErrorCode(err) != tuango.CodeInternal {
		return false
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 300*time.Millisecond)
	defer cancel()
	return s.svc.Store().Ping(ctx) != nil
}

// degradedPage says that the service is degraded, with 503 and
// Retry-After, in the user's language.
func (s *Server) degradedPage(w http.ResponseWriter, r *http.Request, pg *page) {
	s.log.Warn("page degraded: the database did not answer", "request_id", requestID(r.Context()), "path", r.URL.Path)
	w.Header().Set("Retry-After", "30")
	pg.Degraded = true
	pg.Title = pg.T("Service degraded")
	pg.Data = errorPage{Heading: pg.T("Service degraded"), Message: pg.T("degraded.body"), Status: http.StatusServiceUnavailable, RequestID: requestID(r.Context())}
	s.render(w, r, http.StatusServiceUnavailable, "error", pg)
}

// errorTexts are the heading and message id shown for each error code.
var errorTexts = map[string][2]string{
	tuango.CodeNotFound:            {"Not found", "error.not_found"},
	tuango.CodeForbidden:           {"Not allowed", "error.forbidden"},
	tuango.CodeUnauthorized:        {"Please log in", "error.unauthorized"},
	tuango.CodeInvalidCredentials:  {"Please log in", "error.unauthorized"},
	codeMethodNotAllowed:           {"Not allowed", "error.method"},
	codeBodyTooLarge:               {"Request too large", "error.too_large"},
	tuango.CodeSoldOut:             {"Sold out", "error.sold_out"},
	tuango.CodeLimitExceeded:       {"Over the limit", "error.limit_exceeded"},
	tuango.CodeDealNotLive:         {"Not on sale", "error.deal_not_live"},
	tuango.CodeOrderNotCancellable: {"Cannot cancel", "error.not_cancellable"},
	tuango.CodeOrderNotPayable:     {"Cannot pay", "error.not_payable"},
	tuango.CodeIdemKeyInFlight:     {"Still working", "error.in_flight"},
	tuango.CodeIdemKeyReused:       {"Form already sent", "error.key_reused"},
	tuango.CodeInvalid:             {"Please check your input", "error.invalid"},
	codeCSRF:                       {"Form out of date", "error.csrf"},
}

// errorText is the heading and message id shown for an error code.
func errorText(code string) (heading, msg string) {
	if t, ok := errorTexts[code]; ok {
		return t[0], t[1]
	}
	return "Something went wrong", "error.internal"
}

// codeCSRF is a form whose token does not match its session.
const codeCSRF = "csrf_failed"

// pageStatus is the HTTP status of an error code on a page.
func pageStatus(code string) int {
	if code == codeCSRF {
		return http.StatusForbidden
	}
	return Status(code)
}

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
	return u, session, nil
}

// openPage starts a page anyone may see, with the user if logged in; on
// false the error page has been written.
func (s *Server) openPage(w http.ResponseWriter, r *http.Request, title string) (*page, bool) {
	pg := s.newPage(w, r, title)
	if err := s.withUser(w, r, pg); err != nil {
		s.pageError(w, r, pg, err)
		return nil, false
	}
	return pg, true
}

// userPage starts a page behind login: a visitor is sent to log in. On
// false the answer has been written.
func (s *Server) userPage(w http.ResponseWriter, r *http.Request, title string) (*page, bool) {
	pg, ok := s.openPage(w, r, title)
	if !ok || !requireUser(w, r, pg) {
		return nil, false
	}
	return pg, true
}

// requireUser sends a visitor who is not logged in to the login page and
// reports false.
func requireUser(w http.ResponseWriter, r *http.Request, pg *page) bool {
	if pg.User != nil {
		return true
	}
	next := r.URL.Path
	if r.Method != http.MethodGet {
		next = "/"
	}
	http.Redirect(w, r, "/login?next="+next, http.StatusSeeOther)
	return false
}

// pageRead is the context for a page's reads: short, so that a database
// that does not answer makes a degraded page, not a hung one.
func pageRead(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), pageReadTimeout)
}

// handleStatic serves the embedded stylesheet-free script and icon.
func (s *Server) handleStatic() http.Handler {
	sub, _ := fs.Sub(templateFiles, "static")
	files := http.StripPrefix("/static/", http.FileServer(http.FS(sub)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}

// handleNotFound answers every URL no route matches: 405 with Allow when
// the path exists for other methods, else 404; problem+json under /api/,
// a page elsewhere.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		} else if _, pattern := s.pageMux.Handler(probe); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	var err *tuango.Error
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		err = &tuango.Error{Code: codeMethodNotAllowed, Message: r.Method + " is not allowed here; use " + strings.Join(allow, " or ")}
	} else {
		err = &tuango.Error{Code: tuango.CodeNotFound, Message: "nothing is at " + r.URL.Path}
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		s.writeError(w, r, err)
		return
	}
	s.pageError(w, r, nil, err)
}

// yuan formats fen as yuan with two decimals, without floats.
func yuan(f tuango.Fen) string {
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	return fmt.Sprintf("%s%d.%02d", sign, f/100, f%100)
}
