package web

import (
	"net/http"
	"slices"
	"strings"

	"tuango/internal/tuango"
)

type adminPointRow struct {
	tuango.PickupPoint
	City, Leader, Commission string
}

// handleAdminPickupPointsPage lists every pickup point with its city,
// leader, commission and whether it is open, searchable by name or
// address.
func (s *Server) handleAdminPickupPointsPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.staffPage(w, r, "Pickup points")
	if !ok {
		return
	}
	ctx, cancel := pageRead(r)
	defer cancel()
	points, err := s.svc.Store().FindPickupPoints(ctx, tuango.PickupPointFilter{})
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	cities, err := s.svc.ListCities(ctx, actor(pg.User))
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	cityName := map[string]string{}
	for _, c := range cities {
		cityName[c.ID] = c.Name
	}
	q := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q")))
	var rows []adminPointRow
	for _, p := range points {
		if q != "" && !strings.Contains(strings.ToLower(p.Name), q) && !strings.Contains(strings.ToLower(p.Address), q) {
			continue
		}
		row := adminPointRow{PickupPoint: p, City: cityName[p.CityID], Commission: pg.T("%d.%02d%%", p.CommissionBps/100, p.CommissionBps%100)}
		if p.LeaderID != "" {
			if u, err := s.svc.GetLeader(ctx, actor(pg.User), p.LeaderID); err == nil {
				row.Leader = u.Name + " " + u.Phone
			} else if !tuango.IsNotFound(err) {
				s.pageError(w, r, pg, err)
				return
			}
		}
		rows = append(rows, row)
	}
	slices.SortStableFunc(rows, func(a, b adminPointRow) int { return strings.Compare(a.Name, b.Name) })
	pg.Data = struct {
		Query  string
		Points []adminPointRow
	}{r.URL.Query().Get("q"), rows}
	s.render(w, r, http.StatusOK, "admin/pickup_points", pg)
}

// handleAdminPickupPointForm opens or closes a pickup point from the list.
func (s *Server) handleAdminPickupPointForm(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.staffPage(w, r, "Pickup points")
	if !ok {
		return
	}
	if _, _, err := s.checkForm(w, r); err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	if err := s.actSetPickupPointOpen(r.Context(), actor(pg.User), r.PathValue("id"), r.PostFormValue("open") == "1"); err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	http.Redirect(w, r, "/admin/pickup-points", http.StatusSeeOther)
}
