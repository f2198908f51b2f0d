package web

import (
	"net/http"
	"net/url"

	"tuango/internal/tuango"
)

// Pages of one role (the leader's, the supplier's, the operator's day),
// and their forms.

// rolePage starts a page for the roles allowed lets in: a visitor is sent
// to log in, any other role is told the page is not theirs.
func (s *Server) rolePage(w http.ResponseWriter, r *http.Request, title string, allowed func(tuango.Role) bool) (*page, bool) {
	pg, ok := s.userPage(w, r, title)
	if !ok {
		return nil, false
	}
	if !allowed(pg.User.Role) {
		s.pageError(w, r, pg, tuango.Errorf(tuango.CodeForbidden, "this page is for another role"))
		return nil, false
	}
	return pg, true
}

// roleForm checks a posted form (its CSRF token, the session) and the
// sender's role, and starts the page that answers it; a session that ended
// is sent to log in and back to next. On false the answer has been written.
func (s *Server) roleForm(w http.ResponseWriter, r *http.Request, title, next string, allowed func(tuango.Role) bool) (*page, bool) {
	u, session, err := s.checkForm(w, r)
	pg := s.newPage(w, r, title)
	if err != nil {
		s.pageError(w, r, pg, err)
		return nil, false
	}
	if u == nil {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
		return nil, false
	}
	pg.User, pg.CSRF = u, s.csrfToken(session)
	if !allowed(u.Role) {
		s.pageError(w, r, pg, tuango.Errorf(tuango.CodeForbidden, "this page is for another role"))
		return nil, false
	}
	return pg, true
}

func isLeader(r tuango.Role) bool   { return r == tuango.RoleLeader }
func isSupplier(r tuango.Role) bool { return r == tuango.RoleSupplier }
func isStaff(r tuango.Role) bool    { return r.IsStaff() }

// today is the date in China at the page's clock, YYYY-MM-DD.
func (pg *page) today() string { return pg.now.In(shanghai).Format("2006-01-02") }
