package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/url"
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
	"login", "error", "sandbox_pay",
	"account/register", "account/reset", "account/account", "account/totp",
	"customer/storefront", "customer/deal", "customer/cart", "customer/checkout", "customer/orders", "customer/order",
	"admin/deals", "admin/deal", "admin/pickup_points", "admin/suppliers", "admin/leaders", "admin/editor",
	"leader/home", "customer/notifications", "supplier/purchase_orders", "print", "admin/day",
	"admin/closure", "supplier/products",
	"customer/coupons", "admin/coupons",
	"admin/ledger",
	"admin/aftersales",
	"statement",
	"leader/withdrawals", "admin/withdrawals", "admin/settlements",
	"status", "admin/incidents",
	"customer/feedback", "admin/feedback", "admin/webhooks",
	"admin/audit",
	"admin/security",
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
	Link  string // where to read more, such as /status
}

// page is what every template sees: the frame (language, user, banner,
// CSRF token) and the page's own data.
type page struct {
	Title   string
	Lang    string // the html lang attribute
	English bool
	User    *tuango.User
	Banner  *Banner
	CSRF    string
	Path    string // the current path
	// OtherLang is the query of the link to this page in the other
	// language: what the page was asked with (a period, a date, a
	// filter), its lang replaced.
	OtherLang template.URL
	Desktop   bool // operator pages use the wide layout
	Degraded  bool
	Data      any
	// Refresh, when set, reloads the page by itself ("5; url=/...") while
	// it shows work under way.
	Refresh string

	p   *message.Printer
	now time.Time
	req *http.Request // what the page answers: a form it shows again keeps its key (FormKey)
	// refused is set when the page is rendered as a refusal (400 and up),
	// which onceForm does not keep: only then is the form's key unused.
	refused bool
}

// FormKey is the idempotency key of the page's form that posts to action
// (see onceForm): the key the form was posted with when this page shows
// it again after a refusal, which stored nothing under it, else a new one.
// A page that answers the form's success (200, kept as its answer) shows
// it with a new key: the one sent is used, and the form sent again from
// that page with other contents would be refused as the key reused.
func (p *page) FormKey(action string) string {
	if r := p.req; p.refused && r != nil && r.Method == http.MethodPost && r.URL.Path == action {
		if key := r.PostForm.Get("key"); validPageKey(key) {
			return key
		}
	}
	return newPageKey()
}

// T translates a message id, formatting args into it.
func (p *page) T(key string, args ...any) string { return p.p.Sprintf(key, args...) }

// Money formats fen as yuan, ¥12.34 (or -¥12.34), without floats.
func (p *page) Money(f tuango.Fen) string { return money(f) }

// linkQuery is v as the query of a link the server builds, after a "?" in
// a template's href: Encode escapes every key and value, so it is safe as
// a URL, and as a template.URL html/template keeps its "=" and "&" (a
// plain string there has them escaped too, and the link loses its query).
func linkQuery(v url.Values) template.URL { return template.URL(v.Encode()) }

// newPage starts the frame of a page for r: its language and title (see
// openPage and userPage for the user and the form token).
func (s *Server) newPage(w http.ResponseWriter, r *http.Request, title string) *page {
	tag := s.pageLang(w, r)
	pg := &page{Lang: "zh-CN", p: newPrinter(tag), Path: r.URL.Path, now: s.svc.Clock().Now(), req: r}
	if tag == langEN {
		pg.Lang, pg.English = "en", true
	}
	q := r.URL.Query()
	q.Set("lang", map[bool]string{true: "zh", false: "en"}[pg.English])
	pg.OtherLang = linkQuery(q)
	pg.Title = pg.T(title)
	pg.Banner = s.banner(pg)
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
		s.noteUser(r, u)
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
	pg.refused = status >= http.StatusBadRequest
	if err := pageTemplates[name].ExecuteTemplate(&buf, "layout", pg); err != nil {
		s.log.ErrorContext(r.Context(), "render page", "page", name, "err", err)
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
	if tuango.NeedsEnrolment(pg.User) && r.URL.Path != "/account/totp" {
		http.Redirect(w, r, "/account/totp", http.StatusSeeOther)
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

// money formats fen as an amount to read, ¥12.34, the sign before the ¥
// (-¥52.80, as a negative amount is written in Chinese and English alike).
func money(f tuango.Fen) string {
	if f < 0 {
		return "-¥" + yuan(-f)
	}
	return "¥" + yuan(f)
}

// yuan formats fen as yuan with two decimals, without floats (a form's
// value; money is the amount to read).
func yuan(f tuango.Fen) string {
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	return fmt.Sprintf("%s%d.%02d", sign, f/100, f%100)
}
