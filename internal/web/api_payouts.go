package web

import (
	"net/http"

	"tuango/internal/tuango"
)

// Payouts: a leader withdraws available commission, an operator approves
// or rejects withdrawals and settles suppliers; the payouts sweep pays
// them (see tuango/payout.go).

type withdrawalRequest struct {
	AmountFen tuango.Fen `json:"amount_fen"`
}

type payoutView struct {
	ID          string     `json:"id"`
	Kind        string     `json:"kind"`
	PartyID     string     `json:"party_id"`
	AmountFen   tuango.Fen `json:"amount_fen"`
	Status      string     `json:"status"`
	PeriodTo    string     `json:"period_to,omitempty"`
	Reason      string     `json:"reason,omitempty"`
	Attempts    int        `json:"attempts"`
	CreatedAt   string     `json:"created_at"`
	DecidedAt   string     `json:"decided_at,omitempty"`
	CompletedAt string     `json:"completed_at,omitempty"`
}

func viewPayout(p *tuango.Payout) payoutView {
	return payoutView{ID: p.ID, Kind: string(p.Kind), PartyID: p.PartyID, AmountFen: p.AmountFen, Status: string(p.Status),
		PeriodTo: p.PeriodTo, Reason: p.Reason, Attempts: p.Attempts, CreatedAt: formatTime(p.CreatedAt),
		DecidedAt: formatTime(p.DecidedAt), CompletedAt: formatTime(p.CompletedAt)}
}

func (s *Server) handleLeaderWithdraw(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	body, idem, err := keyedBody(w, r, a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in withdrawalRequest
	if err := decodeBytes(body, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	ans, err := s.svc.RequestWithdrawal(r.Context(), a, in.AmountFen, idem)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeOnce(w, http.StatusCreated, ans, viewPayout)
}

type leaderWithdrawalsView struct {
	AvailableFen tuango.Fen   `json:"available_fen"`
	PendingFen   tuango.Fen   `json:"pending_fen"`
	FrozenFen    tuango.Fen   `json:"frozen_fen"`
	Items        []payoutView `json:"items"`
	NextCursor   string       `json:"next_cursor"`
}

func (s *Server) handleLeaderWithdrawals(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	limit, cursor, err := pageQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	b, err := s.svc.LeaderBalance(r.Context(), a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ps, next, err := s.svc.LeaderWithdrawals(r.Context(), a, limit, cursor)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	pg := pageOf(ps, next, viewPayout)
	writeJSON(w, http.StatusOK, leaderWithdrawalsView{AvailableFen: b.AvailableFen, PendingFen: b.PendingFen, FrozenFen: b.FrozenFen,
		Items: pg.Items, NextCursor: pg.NextCursor})
}

func (s *Server) handleAdminWithdrawals(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	limit, cursor, err := pageQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ps, next, err := s.svc.Withdrawals(r.Context(), a, tuango.PayoutStatus(r.URL.Query().Get("status")), limit, cursor)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pageOf(ps, next, viewPayout))
}

func (s *Server) handleAdminApproveWithdrawal(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	p, err := s.svc.ApproveWithdrawal(r.Context(), a, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewPayout(p))
}

func (s *Server) handleAdminRejectWithdrawal(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	var in rejectRequest
	// The body is optional: a rejection without a reason is fine.
	body, err := readBody(w, r)
	if err == nil && len(body) > 0 {
		err = decodeBytes(body, &in)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.svc.RejectWithdrawal(r.Context(), a, r.PathValue("id"), in.Reason)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewPayout(p))
}

type settleRequest struct {
	SupplierID string `json:"supplier_id"`
	To         string `json:"to"`
}

type settlementView struct {
	SupplierID     string      `json:"supplier_id"`
	To             string      `json:"to"`
	AmountFen      tuango.Fen  `json:"amount_fen"`
	AlreadySettled bool        `json:"already_settled"`
	Payout         *payoutView `json:"payout"`
}

func viewSettlement(st *tuango.Settlement) settlementView {
	v := settlementView{SupplierID: st.SupplierID, To: st.PeriodTo, AmountFen: st.AmountFen, AlreadySettled: st.AlreadySettled}
	if st.Payout != nil {
		pv := viewPayout(st.Payout)
		v.Payout = &pv
	}
	return v
}

func (s *Server) handleAdminSettlements(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	limit, cursor, err := pageQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	ps, next, err := s.svc.Settlements(r.Context(), a, tuango.PayoutStatus(q.Get("status")), q.Get("supplier_id"), limit, cursor)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pageOf(ps, next, viewPayout))
}

func (s *Server) handleAdminSettle(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	var in settleRequest
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	sts, err := s.svc.Settle(r.Context(), a, in.SupplierID, in.To)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listOf(sts, viewSettlement))
}
