package web

import (
	"net/http"

	"tuango/internal/tuango"
)

// The operator's view of the ledger: the trial balance, and the transfers
// of an order (or of everything), a page at a time.

type accountBalanceView struct {
	Account    string     `json:"account"`
	BalanceFen tuango.Fen `json:"balance_fen"`
}

type trialBalanceView struct {
	Accounts []accountBalanceView `json:"accounts"`
	TotalFen tuango.Fen           `json:"total_fen"`
}

type transferView struct {
	SetID     string     `json:"set_id"`
	Event     string     `json:"event"`
	Account   string     `json:"account"`
	AmountFen tuango.Fen `json:"amount_fen"`
	At        string     `json:"at"`
}

func viewTransfer(e *tuango.LedgerEntry) transferView {
	return transferView{SetID: e.SetID, Event: string(e.Event), Account: e.Account, AmountFen: e.AmountFen, At: formatTime(e.At)}
}

func viewTrialBalance(tb *tuango.TrialBalance) trialBalanceView {
	v := trialBalanceView{Accounts: make([]accountBalanceView, 0, len(tb.Accounts)), TotalFen: tb.TotalFen}
	for _, b := range tb.Accounts {
		v.Accounts = append(v.Accounts, accountBalanceView{b.Account, b.BalanceFen})
	}
	return v
}

func (s *Server) handleAdminTrialBalance(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	tb, err := s.svc.TrialBalance(r.Context(), a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewTrialBalance(tb))
}

func (s *Server) handleAdminTransfers(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	limit, cursor, err := pageQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	es, next, err := s.svc.LedgerTransfers(r.Context(), a, r.URL.Query().Get("order_id"), limit, cursor)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pageOf(es, next, viewTransfer))
}
