package web

import (
	"context"
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
	leaders, err := s.svc.ListLeaders(ctx, actor(pg.User), "", 0) // one query, not one per row
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	leaderName := map[string]string{}
	for _, u := range leaders {
		leaderName[u.ID] = u.Name + " " + u.Phone
	}
	q := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q")))
	var rows []adminPointRow
	for _, p := range points {
		if q != "" && !strings.Contains(strings.ToLower(p.Name), q) && !strings.Contains(strings.ToLower(p.Address), q) {
			continue
		}
		rows = append(rows, adminPointRow{PickupPoint: p, City: cityName[p.CityID], Leader: leaderName[p.LeaderID],
			Commission: pg.T("%d.%02d%%", p.CommissionBps/100, p.CommissionBps%100)})
	}
	slices.SortStableFunc(rows, func(a, b adminPointRow) int { return strings.Compare(a.Name, b.Name) })
	pg.Data = struct {
		Query  string
		Points []adminPointRow
	}{r.URL.Query().Get("q"), rows}
	s.render(w, r, http.StatusOK, "admin/pickup_points", pg)
}

// handleAdminPickupPointOpen opens or closes a pickup point from the list.
func (s *Server) handleAdminPickupPointOpen(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.staffForm(w, r, "Pickup points")
	if !ok {
		return
	}
	if err := s.actSetPickupPointOpen(r.Context(), actor(pg.User), r.PathValue("id"), r.PostFormValue("open") == "1"); err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	http.Redirect(w, r, "/admin/pickup-points", http.StatusSeeOther)
}

var pointFields = []string{"name", "address", "city_id", "route_id", "leader_id", "commission_bps", "active"}

// pointEditor is the form that creates a pickup point (id "") or edits
// one, with the cities, routes and leaders to choose from.
func (s *Server) pointEditor(ctx context.Context, pg *page, id string, v map[string]string) (*editor, error) {
	a := actor(pg.User)
	cities, err := s.svc.ListCities(ctx, a)
	if err != nil {
		return nil, err
	}
	leaders, err := s.svc.ListLeaders(ctx, a, "", 0)
	if err != nil {
		return nil, err
	}
	var cityOpts []option
	routeOpts := []option{{"", pg.T("No route")}}
	for _, c := range cities {
		cityOpts = append(cityOpts, option{c.ID, c.Name})
		routes, err := s.svc.Store().FindRoutes(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		for _, rt := range routes {
			routeOpts = append(routeOpts, option{rt.ID, c.Name + " · " + rt.Name})
		}
	}
	leaderOpts := []option{{"", pg.T("No group leader")}}
	for _, u := range leaders {
		leaderOpts = append(leaderOpts, option{u.ID, u.Name + " " + u.Phone})
	}
	e := &editor{Title: pg.T("New pickup point"), Action: "/admin/pickup-points", Submit: pg.T("Create pickup point"), Keyed: true}
	if id != "" {
		e.Title, e.Action, e.Submit, e.Keyed = pg.T("Edit pickup point %s", v["name"]), "/admin/pickup-points/"+id, pg.T("Save"), false
	}
	e.Fields = []editorField{
		{Name: "name", Label: pg.T("Name"), Type: "text", Value: v["name"]},
		{Name: "address", Label: pg.T("Address"), Type: "text", Value: v["address"]},
		{Name: "city_id", Label: pg.T("City"), Type: "select", Value: v["city_id"], Options: cityOpts},
		{Name: "route_id", Label: pg.T("Route"), Type: "select", Value: v["route_id"], Options: routeOpts},
		{Name: "leader_id", Label: pg.T("Group leader"), Type: "select", Value: v["leader_id"], Options: leaderOpts},
		{Name: "commission_bps", Label: pg.T("Commission (%)"), Type: "text", Value: v["commission_bps"]},
		{Name: "active", Label: pg.T("Open for orders"), Type: "checkbox", Value: v["active"]},
	}
	return e, nil
}

func pointToForm(p *tuango.PickupPoint) map[string]string {
	v := map[string]string{"name": p.Name, "address": p.Address, "city_id": p.CityID, "route_id": p.RouteID, "leader_id": p.LeaderID,
		"commission_bps": strings.TrimSuffix(strings.TrimRight(yuan(tuango.Fen(p.CommissionBps)), "0"), ".")}
	if p.Active {
		v["active"] = "1"
	}
	return v
}

// handleAdminPickupPointPage is the pickup point editor.
func (s *Server) handleAdminPickupPointPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.staffPage(w, r, "Pickup points")
	if !ok {
		return
	}
	ctx, cancel := pageRead(r)
	defer cancel()
	id := r.PathValue("id")
	v := map[string]string{"commission_bps": "10", "active": "1"}
	if id != "" {
		p, err := s.svc.GetPickupPoint(ctx, id)
		if err != nil {
			s.pageError(w, r, pg, err)
			return
		}
		v = pointToForm(p)
	}
	e, err := s.pointEditor(ctx, pg, id, v)
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	e.Saved = r.URL.Query().Has("saved")
	s.renderEditor(w, r, pg, http.StatusOK, e)
}

// handleAdminPickupPointForm creates or edits a pickup point.
func (s *Server) handleAdminPickupPointForm(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.staffForm(w, r, "Pickup points")
	if !ok {
		return
	}
	id, v := r.PathValue("id"), formValues(r, pointFields...)
	ctx, cancel := pageRead(r)
	defer cancel()
	e, err := s.pointEditor(ctx, pg, id, v)
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	bps, ok := parseYuan(v["commission_bps"]) // a percentage with two decimals is a number of basis points
	if !ok {
		e.fail(pg, "commission_bps", "rule.point.commission_bps")
	}
	apply := func(p *tuango.PickupPoint) error {
		p.Name, p.Address, p.CityID, p.RouteID, p.LeaderID = v["name"], v["address"], v["city_id"], v["route_id"], v["leader_id"]
		p.CommissionBps, p.Active = int(bps), v["active"] == "1"
		return nil
	}
	typed := &tuango.PickupPoint{}
	apply(typed)
	if e.refused(pg, "point", fieldErrors(typed.Validate, map[string]func(){
		"name":           func() { typed.Name = "x" },
		"address":        func() { typed.Address = "x" },
		"city_id":        func() { typed.CityID = "x" },
		"route_id":       func() { typed.RouteID = "" },
		"leader_id":      func() { typed.LeaderID = "" },
		"commission_bps": func() { typed.CommissionBps = 0 },
	})) {
		s.renderEditor(w, r, pg, http.StatusBadRequest, e)
		return
	}
	a := actor(pg.User)
	if id == "" {
		p := &tuango.PickupPoint{}
		apply(p)
		err = s.actCreatePickupPoint(r.Context(), a, p)
		id = p.ID
	} else {
		_, err = s.actUpdatePickupPoint(r.Context(), a, id, apply)
	}
	s.finishEdit(w, r, pg, e, "point", err, "/admin/pickup-points/"+id)
}
