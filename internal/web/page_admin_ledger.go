package web

import (
	"net/http"
	"strings"

	"tuango/internal/tuango"
)

// The operator's ledger page (/admin/ledger): the trial balance, and the
// transfers of the order named by ?order_id=.

type ledgerPage struct {
	Balance   *tuango.TrialBalance
	OrderID   string
	Transfers []ledgerRow
	Next      string
}

type ledgerRow struct {
	SetID, Event, Account, At string
	AmountFen                 tuango.Fen
}

func (s *Server) handleAdminLedgerPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.staffPage(w, r, "Ledger")
	if !ok {
		return
	}
	ctx, cancel := pageRead(r)
	defer cancel()
	a := actor(pg.User)
	tb, err := s.svc.TrialBalance(ctx, a)
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	data := ledgerPage{Balance: tb, OrderID: strings.TrimSpace(r.URL.Query().Get("order_id"))}
	if data.OrderID != "" {
		es, next, err := s.svc.LedgerTransfers(ctx, a, data.OrderID, tuango.MaxPage, r.URL.Query().Get("cursor"))
		if err != nil {
			s.pageError(w, r, pg, err)
			return
		}
		data.Next = next
		for _, e := range es {
			data.Transfers = append(data.Transfers, ledgerRow{SetID: e.SetID, Event: pg.T("event." + string(e.Event)), Account: e.Account,
				At: e.At.In(shanghai).Format("2006-01-02 15:04:05"), AmountFen: e.AmountFen})
		}
	}
	pg.Data = data
	s.render(w, r, http.StatusOK, "admin/ledger", pg)
}
