package web

import (
	"net/http"

	"tuango/internal/tuango"
)

// The operator's other answer to a closed pickup point: cancel and refund
// its orders for the date, rather than move them (handleAdminMoveOrders).

type cancelOrdersRequest struct {
	DeliveryDate string `json:"delivery_date"`
}

type cancelOrdersView struct {
	PickupPointID string `json:"pickup_point_id"`
	DeliveryDate  string `json:"delivery_date"`
	Cancelled     int    `json:"cancelled_orders"`
	RefundedFen   int64  `json:"refunded_fen"`
	Confirmed     int    `json:"confirmed_orders"`
}

func viewCancelOrders(ppID, date string, c tuango.ClosedOrders) cancelOrdersView {
	return cancelOrdersView{PickupPointID: ppID, DeliveryDate: date, Cancelled: c.Cancelled, RefundedFen: int64(c.RefundedFen), Confirmed: c.Confirmed}
}

func (s *Server) handleAdminCancelOrders(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	var in cancelOrdersRequest
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.svc.CancelClosedOrders(r.Context(), a, r.PathValue("id"), in.DeliveryDate)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewCancelOrders(r.PathValue("id"), in.DeliveryDate, res))
}
