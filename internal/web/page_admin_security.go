package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"tuango/internal/tuango"
)

// The operator's security page: the block list (operators' blocks and
// detection's bans) and the allow list, each rule with its reason, origin
// and end, a form to add one and a button to remove one. The same rules as
// the API and tuango block / tuango allow.

func (s *Server) securityPageRoutes() []Route {
	h := func(method, pattern string, fn http.HandlerFunc) Route { return Route{method, pattern, fn} }
	return []Route{
		h("GET", "/admin/security", s.handleAdminSecurityPage),
		h("POST", "/admin/security", s.onceForm(s.handleAdminSecurityAdd)),
		h("POST", "/admin/security/remove", s.handleAdminSecurityRemove),
	}
}

type securityRow struct {
	tuango.SourceRule
	Since, Ends string // in Beijing time; Ends "" for no end
}

// securityForm is the "add a rule" form as typed.
type securityForm struct {
	List, CIDR, Reason, Hours string
	Errors                    map[string]string
}

type adminSecurityData struct {
	Blocks, Allows []securityRow
	Form           securityForm
	Done           string // what was just added or removed
}

func (s *Server) renderAdminSecurity(w http.ResponseWriter, r *http.Request, pg *page, status int, data *adminSecurityData) {
	ctx, cancel := pageRead(r)
	defer cancel()
	for _, list := range []string{tuango.ListBlock, tuango.ListAllow} {
		rs, err := s.svc.ListSourceRules(ctx, actor(pg.User), list)
		if err != nil {
			s.pageError(w, r, pg, err)
			return
		}
		for _, rule := range rs {
			row := securityRow{SourceRule: rule, Since: rule.CreatedAt.In(shanghai).Format(formTimeShown)}
			if !rule.ExpiresAt.IsZero() {
				row.Ends = rule.ExpiresAt.In(shanghai).Format(formTimeShown)
			}
			if list == tuango.ListBlock {
				data.Blocks = append(data.Blocks, row)
			} else {
				data.Allows = append(data.Allows, row)
			}
		}
	}
	if data.Form.Errors == nil {
		data.Form.Errors = map[string]string{}
	}
	if data.Form.List == "" {
		data.Form.List = tuango.ListBlock
	}
	pg.Data = data
	s.render(w, r, status, "admin/security", pg)
}

func (s *Server) handleAdminSecurityPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.rolePage(w, r, "Security", isStaff)
	if !ok {
		return
	}
	s.renderAdminSecurity(w, r, pg, http.StatusOK, &adminSecurityData{})
}

// handleAdminSecurityAdd puts a source on a list from the form: hours
// empty means no end. Every field at fault is named at once: the domain's
// checks run on the form before it is added (see fieldErrors).
func (s *Server) handleAdminSecurityAdd(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.roleForm(w, r, "Security", "/admin/security", isStaff)
	if !ok {
		return
	}
	f := securityForm{List: r.PostFormValue("list"), CIDR: strings.TrimSpace(r.PostFormValue("cidr")), Reason: r.PostFormValue("reason"),
		Hours: strings.TrimSpace(r.PostFormValue("hours")), Errors: map[string]string{}}
	in := tuango.SourceRuleInput{CIDR: f.CIDR, Reason: f.Reason}
	if f.Hours != "" {
		h, err := strconv.ParseFloat(f.Hours, 64)
		if err != nil || h <= 0 || h > 24*366 {
			f.Errors["hours"] = pg.T("rule.source.hours")
		} else {
			in.ExpiresAt = pg.now.Add(time.Duration(h * float64(time.Hour)))
		}
	}
	typed, list := in, f.List
	for _, err := range fieldErrors(func() error { return typed.Check(list, pg.now) }, map[string]func(){
		"cidr":       func() { typed.CIDR = "192.0.2.1" },
		"reason":     func() { typed.Reason = "x" },
		"expires_at": func() { typed.ExpiresAt = time.Time{} },
		"list":       func() { list = tuango.ListBlock },
	}) {
		f.fail(pg, err)
	}
	if len(f.Errors) == 0 {
		rule, err := s.svc.AddSourceRule(r.Context(), actor(pg.User), f.List, in)
		if err == nil {
			s.guard.stale()
			s.renderAdminSecurity(w, r, pg, http.StatusOK, &adminSecurityData{Done: pg.T("%s added to the list.", rule.CIDR)})
			return
		}
		if !f.fail(pg, err) {
			s.pageError(w, r, pg, err)
			return
		}
	}
	s.renderAdminSecurity(w, r, pg, http.StatusBadRequest, &adminSecurityData{Form: f})
}

// fail puts a validation error from the domain under its field of the
// form and reports whether err was one.
func (f *securityForm) fail(pg *page, err error) bool {
	te, isField := err.(*tuango.Error)
	if !isField || te.Field == "" {
		return false
	}
	field := map[string]string{"cidr": "cidr", "reason": "reason", "expires_at": "hours", "list": "list"}[te.Field]
	f.Errors[field] = pg.T("rule.source." + field)
	return true
}

func (s *Server) handleAdminSecurityRemove(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.roleForm(w, r, "Security", "/admin/security", isStaff)
	if !ok {
		return
	}
	cidr := r.PostFormValue("cidr")
	if _, err := s.svc.RemoveSourceRules(r.Context(), actor(pg.User), r.PostFormValue("list"), cidr); err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	s.guard.stale()
	s.renderAdminSecurity(w, r, pg, http.StatusOK, &adminSecurityData{Done: pg.T("%s removed from the list.", cidr)})
}
