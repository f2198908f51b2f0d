package web

import (
	"html/template"
	"net/http"
	"strings"
	"time"

	"tuango/internal/tuango"
)

// The operator's audit log page (/admin/audit): the newest records first,
// filtered by actor, kind and Beijing date, each with its place in the
// chain (or "waiting" until the sweep chains it).

// auditKinds are the kind filters offered: areas end in ".".
var auditKinds = []string{"auth.", "operator.", "money.", "stock.", "pickup.", "security."}

type auditPage struct {
	Actor, Kind, From, To string
	Kinds                 []string
	Rows                  []auditRow
	Next                  string       // the cursor of the next page, if any
	NextQuery             template.URL // the next page's filters and cursor, for the "More" link
	HeadSeq               int64
	HeadHash              string
	Error                 string // a filter that cannot be read, in the operator's language
}

type auditRow struct {
	tuango.AuditRecord
	When string
	What string // the kind in words, when the catalogue has them
}

// auditWhat says what a record's kind means in the page's language: a
// ledger posting by its event's name (as the ledger page names it), an
// operator's action as one (its route is the rest of the kind), other
// kinds by their own name; "" for a kind without one.
func auditWhat(pg *page, kind string) string {
	key := "audit.what." + kind
	switch {
	case strings.HasPrefix(kind, tuango.AuditOperatorPrefix):
		key = "audit.kind." + tuango.AuditOperatorPrefix
	case strings.HasPrefix(kind, tuango.AuditMoneyPrefix) && kind != tuango.AuditCouponsIssued:
		key = "event." + strings.TrimPrefix(kind, tuango.AuditMoneyPrefix)
	}
	if s := pg.T(key); s != key { // a key the catalogue lacks prints as itself
		return s
	}
	return ""
}

func (s *Server) handleAdminAuditPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.staffPage(w, r, "Audit log")
	if !ok {
		return
	}
	q := r.URL.Query()
	d := auditPage{Actor: strings.TrimSpace(q.Get("actor")), Kind: q.Get("kind"), From: q.Get("from"), To: q.Get("to"), Kinds: auditKinds}
	f := tuango.AuditFilter{ActorID: d.Actor, Kind: d.Kind, Before: q.Get("before"), Limit: 100}
	var bad string // the filter that cannot be read
	var err error
	if f.From, err = beijingDay(d.From, 0); err != nil {
		bad = "from"
	} else if f.To, err = beijingDay(d.To, 1); err != nil {
		bad = "to"
	} else if d.Kind != "" && !validAuditKind(d.Kind) {
		bad = "kind"
	} else if len(d.Actor) > 100 {
		bad = "actor"
	}
	if bad != "" {
		d.Error = pg.T("rule.audit." + bad)
		pg.Data = d
		s.render(w, r, http.StatusBadRequest, "admin/audit", pg)
		return
	}
	ctx, cancel := pageRead(r)
	defer cancel()
	rs, err := s.svc.ListAudit(ctx, actor(pg.User), f)
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	if d.HeadSeq, d.HeadHash, err = s.svc.AuditHead(ctx); err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	for _, rec := range rs {
		d.Rows = append(d.Rows, auditRow{AuditRecord: rec, When: rec.At.In(shanghai).Format("2006-01-02 15:04:05"), What: auditWhat(pg, rec.Kind)})
	}
	if len(rs) == f.Limit {
		next := r.URL.Query()
		next.Set("before", rs[len(rs)-1].ID)
		d.NextQuery = linkQuery(next)
	}
	pg.Data = d
	s.render(w, r, http.StatusOK, "admin/audit", pg)
}

func validAuditKind(k string) bool {
	for _, area := range auditKinds {
		if k == area || (strings.HasPrefix(k, area) && len(k) <= 120) {
			return true
		}
	}
	return false
}

// beijingDay parses a YYYY-MM-DD date as the start of that day in Beijing
// plus days; empty is no bound.
func beijingDay(v string, days int) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation("2006-01-02", v, shanghai)
	if err != nil {
		return time.Time{}, err
	}
	return t.AddDate(0, 0, days), nil
}

// auditPageRoutes is the audit log's page.
func (s *Server) auditPageRoutes() []Route {
	return []Route{{"GET", "/admin/audit", http.HandlerFunc(s.handleAdminAuditPage)}}
}
