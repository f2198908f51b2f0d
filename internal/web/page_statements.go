package web

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"tuango/internal/tuango"
)

// The leader's and the supplier's statements (/leader/statement,
// /supplier/statement): a period picker, the summary and the lines, with
// CSV and XLSX downloads (the API's tables) and a print view.

type statementPageData struct {
	Action     string // the page's own path, for the form and the links
	From, To   string
	Query      template.URL // from=...&to=..., for the downloads
	Error      string       // a bad period, in the reader's language
	ErrorField string
	Summary    [][2]string // label, value
	Head       []string
	Rows       [][]string
	Opening    string
	Closing    string
	Available  string
	Frozen     string
	Leader     bool
}

func (s *Server) handleLeaderStatementPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.rolePage(w, r, "My statement", isLeader)
	if !ok {
		return
	}
	ctx, cancel := pageRead(r)
	defer cancel()
	q := r.URL.Query()
	st, err := s.svc.LeaderStatement(ctx, actor(pg.User), q.Get("from"), q.Get("to"))
	s.writeStatementPage(w, r, pg, "/leader/statement", st, err)
}

func (s *Server) handleSupplierStatementPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.rolePage(w, r, "My statement", isSupplier)
	if !ok {
		return
	}
	ctx, cancel := pageRead(r)
	defer cancel()
	q := r.URL.Query()
	st, err := s.svc.SupplierStatement(ctx, actor(pg.User), q.Get("from"), q.Get("to"))
	s.writeStatementPage(w, r, pg, "/supplier/statement", st, err)
}

// writeStatementPage answers a statement as the page, its download or its
// print view; a bad period is shown on the form, in the reader's language.
func (s *Server) writeStatementPage(w http.ResponseWriter, r *http.Request, pg *page, action string, st *tuango.Statement, err error) {
	var te *tuango.Error
	if errors.As(err, &te) && te.Code == tuango.CodeInvalid && (te.Field == "from" || te.Field == "to") {
		q := r.URL.Query()
		pg.Data = statementPageData{Action: action, From: q.Get("from"), To: q.Get("to"), Error: pg.T("rule.statement.period"), ErrorField: te.Field}
		s.render(w, r, http.StatusBadRequest, "statement", pg)
		return
	}
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	d := statementPageData{Action: action, From: st.From, To: st.To, Query: linkQuery(url.Values{"from": {st.From}, "to": {st.To}}),
		Opening: pg.Money(st.OpeningFen), Closing: pg.Money(st.ClosingFen), Available: pg.Money(st.AvailableFen), Frozen: pg.Money(st.FrozenFen),
		Leader: st.Party == tuango.RoleLeader,
		Head:   []string{pg.T("Time"), pg.T("Event"), pg.T("Account"), pg.T("statement.order"), pg.T("statement.line"), pg.T("statement.goods"), pg.T("statement.units"), pg.T("statement.amount"), pg.T("Set")}}
	for _, l := range st.Lines {
		line, units := "", "" // 0: the line is about no one order line (a pickup of several, a withdrawal)
		if l.LineNo > 0 {
			line = strconv.Itoa(l.LineNo)
		}
		if l.Units != 0 || l.Title != "" { // goods: their units, even none; money alone (a withdrawal): blank
			units = strconv.Itoa(l.Units)
		}
		d.Rows = append(d.Rows, []string{l.At.In(shanghai).Format("2006-01-02 15:04"), eventLabel(pg, l.Event), accountLabel(pg, st, l.Account), l.OrderID,
			line, l.Title, units, pg.Money(l.AmountFen), l.SetID})
	}
	if sm := st.Supplier; sm != nil {
		d.Summary = [][2]string{{pg.T("statement.units_delivered"), strconv.Itoa(sm.UnitsDelivered)}, {pg.T("statement.cost"), pg.Money(sm.CostFen)},
			{pg.T("statement.refunded_units"), strconv.Itoa(sm.RefundedUnits)}, {pg.T("statement.deductions"), pg.Money(sm.DeductionsFen)},
			{pg.T("statement.payable"), pg.Money(sm.PayableFen)}, {pg.T("statement.paid_out"), pg.Money(sm.PaidOutFen)}, {pg.T("Balance"), pg.Money(sm.BalanceFen)}}
	}
	if sm := st.Leader; sm != nil {
		d.Summary = [][2]string{{pg.T("statement.orders_picked_up"), strconv.Itoa(sm.OrdersPickedUp)}, {pg.T("statement.earned"), pg.Money(sm.EarnedFen)},
			{pg.T("statement.released"), pg.Money(sm.ReleasedFen)}, {pg.T("statement.reversed"), pg.Money(sm.ReversedFen)},
			{pg.T("statement.withdrawn"), pg.Money(sm.WithdrawnFen)}, {pg.T("Balance"), pg.Money(sm.BalanceFen)}}
	}
	if f := r.URL.Query().Get("format"); f != "" {
		summary := printSection{Heading: pg.T("statement.summary"), Head: []string{pg.T("statement.figure"), pg.T("statement.amount")}}
		for _, kv := range append([][2]string{{pg.T("statement.opening"), d.Opening}}, append(d.Summary, [2]string{pg.T("statement.closing"), d.Closing})...) {
			summary.Rows = append(summary.Rows, []string{kv[0], kv[1]})
		}
		s.writeList(w, r, pg, statementName(st), statementRows(st), printDoc{Heading: pg.T("Statement %s to %s", st.From, st.To), Subtitle: pg.User.Name,
			Sections: []printSection{summary, {Heading: pg.T("statement.lines"), Head: d.Head, Rows: d.Rows}}})
		return
	}
	pg.Data = d
	s.render(w, r, http.StatusOK, "statement", pg)
}

// accountLabel is the name, in the reader's language, of one of the
// accounts a statement reads (the ledger's key, for the CSV and the API,
// means nothing to a supplier or a leader).
func accountLabel(pg *page, st *tuango.Statement, account string) string {
	switch account {
	case tuango.SupplierPayable(st.PartyID):
		return pg.T("statement.account.payable")
	case tuango.CommissionFrozen(st.PartyID):
		return pg.T("statement.account.frozen")
	case tuango.CommissionAvailable(st.PartyID):
		return pg.T("statement.account.available")
	}
	return account
}

// eventLabel is an event's name in the reader's language, or the event
// itself for one the catalogue does not know yet.
func eventLabel(pg *page, e tuango.LedgerEvent) string {
	key := "event." + string(e)
	if t := pg.T(key); t != key {
		return t
	}
	return string(e)
}
