package web

import (
	"net/http"

	"tuango/internal/tuango"
)

// After-sales: a customer asks for a refund of picked-up units; an
// operator decides the requests no rule approved.

type afterSalesRequest struct {
	LineNo   int    `json:"line_no"`
	Quantity int    `json:"quantity"`
	Reason   string `json:"reason"`
	Note     string `json:"note"`
}

type afterSaleView struct {
	ID             string     `json:"id"`
	OrderID        string     `json:"order_id"`
	LineNo         int        `json:"line_no"`
	Quantity       int        `json:"quantity"`
	Reason         string     `json:"reason"`
	Note           string     `json:"note"`
	Status         string     `json:"status"`
	RefundFen      tuango.Fen `json:"refund_fen"`
	ApprovedByRule string     `json:"approved_by_rule,omitempty"`
	RejectReason   string     `json:"reject_reason,omitempty"`
	CreatedAt      string     `json:"created_at"`
	DecidedAt      string     `json:"decided_at,omitempty"`
}

func viewAfterSale(as *tuango.AfterSale) afterSaleView {
	v := afterSaleView{ID: as.ID, OrderID: as.OrderID, LineNo: as.LineNo, Quantity: as.Quantity, Reason: string(as.Reason), Note: as.Note,
		Status: string(as.Status), RefundFen: as.RefundFen, ApprovedByRule: as.ApprovedByRule, RejectReason: as.RejectReason,
		CreatedAt: formatTime(as.CreatedAt)}
	if !as.DecidedAt.IsZero() {
		v.DecidedAt = formatTime(as.DecidedAt)
	}
	return v
}

func (s *Server) handleRequestAfterSale(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	body, idem, err := keyedBody(w, r, a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var in afterSalesRequest
	if err := decodeBytes(body, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	ans, err := s.svc.RequestAfterSale(r.Context(), a, tuango.AfterSalesRequest{OrderID: r.PathValue("id"), LineNo: in.LineNo,
		Quantity: in.Quantity, Reason: tuango.AfterSalesReason(in.Reason), Note: in.Note, Idem: idem})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeOnce(w, http.StatusCreated, ans, viewAfterSale)
}

func (s *Server) handleOrderAfterSales(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	items, err := s.svc.OrderAfterSales(r.Context(), a, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listOf(items, viewAfterSale))
}

func (s *Server) handleAdminAfterSales(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	limit, cursor, err := pageQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items, next, err := s.svc.AfterSalesQueue(r.Context(), a, tuango.AfterSalesStatus(r.URL.Query().Get("status")), limit, cursor)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pageOf(items, next, viewAfterSale))
}

func (s *Server) handleAdminApproveAfterSale(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	as, err := s.svc.ApproveAfterSale(r.Context(), a, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewAfterSale(as))
}

// rejectRequest is why an operator rejects something (an after-sales
// request, a withdrawal).
type rejectRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) handleAdminRejectAfterSale(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	// The role first, so that other roles get 403 whatever they send.
	if err := a.RequireStaff(); err != nil {
		s.writeError(w, r, err)
		return
	}
	var in rejectRequest
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	as, err := s.svc.RejectAfterSale(r.Context(), a, r.PathValue("id"), in.Reason)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewAfterSale(as))
}

type afterSalesWindowRequest struct {
	Hours int `json:"hours"`
}

func (s *Server) handleAdminAfterSalesWindow(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	if err := a.RequireStaff(); err != nil {
		s.writeError(w, r, err)
		return
	}
	var in afterSalesWindowRequest
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.svc.SetAfterSalesWindow(r.Context(), a, r.PathValue("id"), in.Hours); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		CityID string `json:"city_id"`
		Hours  int    `json:"hours"`
	}{r.PathValue("id"), in.Hours})
}
