package web

import (
	"net/http"
	"strings"

	"tuango/internal/tuango"
)

// Payout pages: the leader's withdrawals (balance, request form,
// history), the operator's withdrawals queue (approve, reject) and the
// settlements page (a supplier or all, up to a date).

func (s *Server) payoutPageRoutes() []Route {
	h := func(method, pattern string, fn http.HandlerFunc) Route { return Route{method, pattern, fn} }
	return []Route{
		h("GET", "/leader/withdrawals", s.handleLeaderWithdrawalsPage),
		h("POST", "/leader/withdrawals", s.handleLeaderWithdrawForm),
		h("GET", "/admin/withdrawals", s.handleAdminWithdrawalsPage),
		h("POST", "/admin/withdrawals/{id}/approve", s.onceForm(s.handleAdminApproveForm)),
		h("POST", "/admin/withdrawals/{id}/reject", s.onceForm(s.handleAdminRejectForm)),
		h("GET", "/admin/settlements", s.handleAdminSettlementsPage),
		h("POST", "/admin/settlements", s.onceForm(s.handleAdminSettleForm)),
	}
}

type payoutRow struct {
	tuango.Payout
	StatusKey string // the message id of its status
	Created   string // in Beijing time
}

// Why is the reason to show beside the payout's status: the rejection's
// or the failure's, or the last refused send's while it is still
// approved. A payout sent or paid after a refused send shows none: the
// old error no longer says anything about it.
func (r payoutRow) Why() string {
	switch {
	case r.Status == tuango.PayoutRejected, r.Status == tuango.PayoutFailed,
		r.Status == tuango.PayoutApproved && r.Attempts > 0:
		return r.Reason
	}
	return ""
}

func payoutRows(ps []tuango.Payout) []payoutRow {
	rows := make([]payoutRow, 0, len(ps))
	for _, p := range ps {
		rows = append(rows, payoutRow{p, "payout." + string(p.Status), p.CreatedAt.In(shanghai).Format(formTimeShown)})
	}
	return rows
}

type leaderWithdrawalsData struct {
	Balance   *tuango.WithdrawalBalance
	Rows      []payoutRow
	Next      string
	Amount    string // as typed
	Key       string
	Error     string
	Requested *tuango.Payout
}

func (s *Server) renderLeaderWithdrawals(w http.ResponseWriter, r *http.Request, pg *page, status int, data *leaderWithdrawalsData) {
	ctx, cancel := pageRead(r)
	defer cancel()
	a := actor(pg.User)
	b, err := s.svc.LeaderBalance(ctx, a)
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	ps, next, err := s.svc.LeaderWithdrawals(ctx, a, 0, r.URL.Query().Get("cursor"))
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	data.Balance, data.Rows, data.Next, data.Key = b, payoutRows(ps), next, newPageKey()
	pg.Data = data
	s.render(w, r, status, "leader/withdrawals", pg)
}

func (s *Server) handleLeaderWithdrawalsPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.rolePage(w, r, "Withdrawals", isLeader)
	if !ok {
		return
	}
	s.renderLeaderWithdrawals(w, r, pg, http.StatusOK, &leaderWithdrawalsData{})
}

// handleLeaderWithdrawForm requests a withdrawal of the amount typed in
// yuan, once per the form's key.
func (s *Server) handleLeaderWithdrawForm(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.roleForm(w, r, "Withdrawals", "/leader/withdrawals", isLeader)
	if !ok {
		return
	}
	data := &leaderWithdrawalsData{Amount: strings.TrimSpace(r.PostFormValue("amount"))}
	amount, good := parseYuan(data.Amount)
	key := r.PostFormValue("key")
	switch {
	case !good || amount < tuango.MinWithdrawalFen:
		data.Error = pg.T("rule.withdrawal.amount")
	case len(key) > 64 || !validID(key):
		data.Error = pg.T("error.invalid")
	}
	if data.Error != "" {
		s.renderLeaderWithdrawals(w, r, pg, http.StatusBadRequest, data)
		return
	}
	p, err := s.actRequestWithdrawal(r.Context(), actor(pg.User), amount, key)
	if err != nil {
		s.formError(w, r, pg, err, func(status int, msg string) {
			if fieldOf(err) == "amount_fen" {
				msg = pg.T("rule.withdrawal.amount")
			}
			data.Error = msg
			s.renderLeaderWithdrawals(w, r, pg, status, data)
		})
		return
	}
	s.renderLeaderWithdrawals(w, r, pg, http.StatusCreated, &leaderWithdrawalsData{Requested: p})
}

type adminWithdrawalsData struct {
	Status   string
	Statuses []string
	Rows     []payoutRow
	Next     string
	Done     string // what was just done, worded
	Error    string
}

var withdrawalStatuses = []string{"requested", "approved", "sent", "paid", "failed", "rejected"}

func (s *Server) renderAdminWithdrawals(w http.ResponseWriter, r *http.Request, pg *page, status int, data *adminWithdrawalsData) {
	ctx, cancel := pageRead(r)
	defer cancel()
	ps, next, err := s.svc.Withdrawals(ctx, actor(pg.User), tuango.PayoutStatus(data.Status), 0, r.URL.Query().Get("cursor"))
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	data.Rows, data.Next, data.Statuses = payoutRows(ps), next, withdrawalStatuses
	pg.Data, pg.Desktop = data, true
	s.render(w, r, status, "admin/withdrawals", pg)
}

func (s *Server) handleAdminWithdrawalsPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.rolePage(w, r, "Withdrawals", isStaff)
	if !ok {
		return
	}
	st := r.URL.Query().Get("status")
	if st != "" && !contains(withdrawalStatuses, st) {
		st = ""
	}
	s.renderAdminWithdrawals(w, r, pg, http.StatusOK, &adminWithdrawalsData{Status: st})
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func (s *Server) handleAdminApproveForm(w http.ResponseWriter, r *http.Request) {
	s.decideForm(w, r, false)
}

func (s *Server) handleAdminRejectForm(w http.ResponseWriter, r *http.Request) {
	s.decideForm(w, r, true)
}

// decideForm approves or rejects a withdrawal, then shows the queue of
// requests again.
func (s *Server) decideForm(w http.ResponseWriter, r *http.Request, reject bool) {
	pg, ok := s.roleForm(w, r, "Withdrawals", "/admin/withdrawals", isStaff)
	if !ok {
		return
	}
	data := &adminWithdrawalsData{Status: "requested"}
	id := r.PathValue("id")
	var p *tuango.Payout
	var err error
	if reject {
		p, err = s.actRejectWithdrawal(r.Context(), actor(pg.User), id, strings.TrimSpace(r.PostFormValue("reason")))
	} else {
		p, err = s.actApproveWithdrawal(r.Context(), actor(pg.User), id)
	}
	if err != nil {
		s.formError(w, r, pg, err, func(status int, msg string) {
			data.Error = msg
			s.renderAdminWithdrawals(w, r, pg, status, data)
		})
		return
	}
	data.Done = pg.T("Withdrawal %s of %s is %s.", p.ID, pg.Money(p.AmountFen), pg.T("payout."+string(p.Status)))
	s.renderAdminWithdrawals(w, r, pg, http.StatusOK, data)
}

type settlementRow struct {
	tuango.Settlement
	Supplier  string
	StatusKey string
}

type adminSettlementsData struct {
	Suppliers  []tuango.Supplier
	SupplierID string
	To         string
	Error      string
	Done       bool
	Rows       []settlementRow
	TotalFen   tuango.Fen
	Recent     []recentSettlement // the newest settlements, with how each went
}

// recentSettlement is a settlement's payout as the page lists it.
type recentSettlement struct {
	payoutRow
	Supplier string
}

func (s *Server) renderAdminSettlements(w http.ResponseWriter, r *http.Request, pg *page, status int, data *adminSettlementsData) {
	ctx, cancel := pageRead(r)
	defer cancel()
	sups, err := s.svc.ListSuppliers(ctx, actor(pg.User))
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	data.Suppliers = sups
	recent, _, err := s.svc.Settlements(ctx, actor(pg.User), "", "", 20, "")
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	names := map[string]string{}
	for _, sp := range sups {
		names[sp.ID] = sp.Name
	}
	for i := range data.Rows {
		data.Rows[i].Supplier = names[data.Rows[i].SupplierID]
	}
	for _, row := range payoutRows(recent) {
		data.Recent = append(data.Recent, recentSettlement{row, names[row.PartyID]})
	}
	if data.To == "" {
		data.To = pg.now.In(shanghai).AddDate(0, 0, -1).Format("2006-01-02")
	}
	pg.Data, pg.Desktop = data, true
	s.render(w, r, status, "admin/settlements", pg)
}

func (s *Server) handleAdminSettlementsPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.rolePage(w, r, "Settlements", isStaff)
	if !ok {
		return
	}
	s.renderAdminSettlements(w, r, pg, http.StatusOK, &adminSettlementsData{})
}

// handleAdminSettleForm settles the supplier chosen, or every one, up to
// the date given, and shows what each settlement paid.
func (s *Server) handleAdminSettleForm(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.roleForm(w, r, "Settlements", "/admin/settlements", isStaff)
	if !ok {
		return
	}
	data := &adminSettlementsData{SupplierID: r.PostFormValue("supplier_id"), To: strings.TrimSpace(r.PostFormValue("to"))}
	sts, err := s.actSettle(r.Context(), actor(pg.User), data.SupplierID, data.To)
	if err != nil {
		s.formError(w, r, pg, err, func(status int, msg string) {
			if fieldOf(err) == "to" {
				msg = pg.T("rule.settlement.to")
			}
			data.Error = msg
			s.renderAdminSettlements(w, r, pg, status, data)
		})
		return
	}
	data.Done = true
	for _, st := range sts {
		row := settlementRow{Settlement: st, StatusKey: "settlement.nothing"} // named with the page
		switch {
		case st.AlreadySettled:
			row.StatusKey = "settlement.already"
		case st.Payout != nil:
			row.StatusKey = "payout." + string(st.Payout.Status)
			data.TotalFen += st.AmountFen
		}
		data.Rows = append(data.Rows, row)
	}
	s.renderAdminSettlements(w, r, pg, http.StatusOK, data)
}
