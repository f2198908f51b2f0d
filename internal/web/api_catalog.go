package web

import (
	"encoding/json"
	"net/http"

	"tuango/internal/tuango"
)

func (s *Server) handlePickupPoints(w http.ResponseWriter, r *http.Request) {
	pps, err := s.svc.ListPickupPoints(r.Context(), r.URL.Query().Get("city_id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	pg, err := pageList(r, pps, func(p *tuango.PickupPoint) string { return p.ID }, viewPickupPoint)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pg)
}

func (s *Server) handlePickupPoint(w http.ResponseWriter, r *http.Request) {
	pp, err := s.svc.GetPickupPoint(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewPickupPoint(pp))
}

// handleDeals lists the live deals at a pickup point: the one asked for, or
// the logged-in customer's home pickup point.
func (s *Server) handleDeals(w http.ResponseWriter, r *http.Request) {
	ppID := r.URL.Query().Get("pickup_point_id")
	u := s.optionalUser(r)
	if ppID == "" && u != nil {
		ppID = u.HomePickupPointID
	}
	if ppID == "" {
		s.writeError(w, r, tuango.FieldError("pickup_point_id", "is required: deals depend on the pickup point's city"))
		return
	}
	staff := u != nil && u.Role.IsStaff()
	copyKey := ppID + "?" + r.URL.Query().Get("limit") + "&" + r.URL.Query().Get("cursor")
	deals, err := s.svc.LiveDeals(r.Context(), ppID)
	if err != nil {
		// The database does not answer: the list as this node last gave it.
		if !staff && s.degraded(r, err) && s.lastDeals.write(w, copyKey, s.svc.Clock().Now()) {
			s.log.WarnContext(r.Context(), "deal list from the last good copy: the database did not answer", "pickup_point", ppID, "err", err)
			return
		}
		s.writeError(w, r, err)
		return
	}
	pg, err := pageList(r, deals, func(d *tuango.Deal) string { return d.ID }, func(d *tuango.Deal) dealView { return viewDeal(d, staff) })
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !staff {
		if body, err := json.Marshal(pg); err == nil {
			s.lastDeals.put(copyKey, body, s.svc.Clock().Now())
		}
	}
	writeJSON(w, http.StatusOK, pg)
}
