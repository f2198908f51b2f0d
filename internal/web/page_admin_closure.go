package web

import (
	"net/http"
	"strings"
	"time"

	"tuango/internal/tuango"
)

// The operator's page for a closed pickup point (歇业): close it for
// dates, and for a delivery date see how many orders it holds and either
// move them to another open point of its route or cancel and refund them.
// Both are safe to send twice: a second run moves or cancels none.

type closurePageData struct {
	Point      tuango.PickupPoint
	Date       string
	Closures   []tuango.Closure
	ClosedOn   *tuango.Closure // the closure covering Date, if any
	Unpaid     int
	Paid       int
	Confirmed  int
	Targets    []tuango.PickupPoint // the route's other open points
	Close      closeForm
	MoveTo     string
	MoveError  string
	Moved      string // what the last move did
	CancelErr  string
	Cancelled  string // what the last cancel did
	FormStatus string
}

// Affected is how many of the date's orders a move would take.
func (d *closurePageData) Affected() int { return d.Unpaid + d.Paid + d.Confirmed }

// closureDate is the delivery date the page is about: the form's or the
// query's, else tomorrow's.
func closureDate(r *http.Request, pg *page) string {
	if d := strings.TrimSpace(r.FormValue("date")); d != "" {
		return d
	}
	return pg.now.In(shanghai).Add(24 * time.Hour).Format("2006-01-02")
}

func (s *Server) handleAdminClosurePage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.rolePage(w, r, "Pickup point closure", isStaff)
	if !ok {
		return
	}
	s.renderClosure(w, r, pg, http.StatusOK, closureDate(r, pg), &closurePageData{})
}

// renderClosure reads the point's closures and the date's orders into
// data, keeping what a form put there, and writes the page with status.
func (s *Server) renderClosure(w http.ResponseWriter, r *http.Request, pg *page, status int, date string, data *closurePageData) {
	pg.Desktop = true
	ctx, cancel := pageRead(r)
	defer cancel()
	st := s.svc.Store()
	pp, err := st.FindPickupPointByID(ctx, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	data.Point, data.Date = *pp, date
	if data.Closures, err = st.FindClosures(ctx, nil, []string{pp.ID}, pg.today()); err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	for i := range data.Closures {
		if c := &data.Closures[i]; c.PickupPointID == pp.ID && c.From <= date && date <= c.To {
			data.ClosedOn = c
		}
	}
	if _, err := time.Parse("2006-01-02", date); err == nil {
		orders, err := st.FindOrders(ctx, tuango.OrderFilter{PickupPointID: pp.ID, DeliveryDate: date,
			Statuses: []tuango.OrderStatus{tuango.OrderPendingPayment, tuango.OrderPaid, tuango.OrderConfirmed}})
		if err != nil {
			s.pageError(w, r, pg, err)
			return
		}
		for _, o := range orders {
			switch o.Status {
			case tuango.OrderPendingPayment:
				data.Unpaid++
			case tuango.OrderPaid:
				data.Paid++
			default:
				data.Confirmed++
			}
		}
	}
	points, err := st.FindPickupPoints(ctx, tuango.PickupPointFilter{CityID: pp.CityID})
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	for _, p := range points {
		if p.RouteID == pp.RouteID && p.Active && p.ID != pp.ID {
			data.Targets = append(data.Targets, p)
		}
	}
	pg.Title = pg.T("Closure of %s", pp.Name)
	pg.Data = data
	s.render(w, r, status, "admin/closure", pg)
}

// closureForm checks a closure page form: the operator's session and
// token, and that the operator ticked the box that confirms it.
func (s *Server) closureForm(w http.ResponseWriter, r *http.Request, needConfirm bool) (*page, string, bool) {
	pg, ok := s.roleForm(w, r, "Pickup point closure", "/admin/pickup-points/"+r.PathValue("id")+"/closure", isStaff)
	if !ok {
		return nil, "", false
	}
	return pg, closureDate(r, pg), !needConfirm || r.PostFormValue("confirm") == "yes"
}

// handleAdminPointClosureForm closes a pickup point for a range of dates.
func (s *Server) handleAdminPointClosureForm(w http.ResponseWriter, r *http.Request) {
	pg, date, ok := s.closureForm(w, r, false)
	if pg == nil || !ok {
		return
	}
	f := closeForm{From: strings.TrimSpace(r.PostFormValue("from")), To: strings.TrimSpace(r.PostFormValue("to")), Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	ctx, cancel := pageRead(r)
	pp, err := s.svc.Store().FindPickupPointByID(ctx, r.PathValue("id"))
	cancel()
	if err == nil {
		err = s.closePoint(r, pg, pp, &f)
	}
	data := &closurePageData{Close: f}
	switch {
	case len(f.Errors) > 0:
		s.renderClosure(w, r, pg, http.StatusBadRequest, date, data)
		return
	case err != nil:
		s.pageError(w, r, pg, err)
		return
	}
	data.Close.Done = true
	if date < f.From || date > f.To {
		date = f.From // show the first closed date's orders
	}
	s.renderClosure(w, r, pg, http.StatusOK, date, data)
}

// closePoint closes pp as the form f asks, or puts every field at fault
// under it in the page's language: the domain's checks run on the form
// first (see fieldErrors), and whatever the service still refuses in a
// field shows there too. Other errors are for the error page.
func (s *Server) closePoint(r *http.Request, pg *page, pp *tuango.PickupPoint, f *closeForm) error {
	today, err := s.cityToday(r, pp.CityID, pg)
	if err != nil {
		return err
	}
	f.Errors = map[string]string{}
	for _, field := range closureFaults(tuango.ClosureInput{From: f.From, To: f.To, Reason: f.Reason}, today) {
		f.Errors[field] = pg.T("rule.closure." + field)
	}
	if len(f.Errors) > 0 {
		return nil
	}
	err = s.actClosePickupPoint(r.Context(), actor(pg.User), pp.ID, f.From, f.To, f.Reason)
	if field := fieldOf(err); field == "from" || field == "to" || field == "reason" {
		f.Errors[field] = pg.T("rule.closure." + field)
		return nil
	}
	return err
}

// closureFaults names every field of in at fault, as the domain names
// them (from, to, reason), not only the first its check stops at.
func closureFaults(in tuango.ClosureInput, today string) []string {
	var fields []string
	for _, err := range fieldErrors(func() error { return in.Check(today) }, map[string]func(){
		"from":   func() { in.From = today },
		"to":     func() { in.To = "9999-12-31" }, // after any from
		"reason": func() { in.Reason = "x" },
	}) {
		fields = append(fields, fieldOf(err))
	}
	return fields
}

// cityToday is the city's date on the page's clock, as the closures'
// rules see it.
func (s *Server) cityToday(r *http.Request, cityID string, pg *page) (string, error) {
	ctx, cancel := pageRead(r)
	defer cancel()
	city, err := s.svc.Store().FindCityByID(ctx, cityID)
	if err != nil {
		return "", err
	}
	return city.Today(pg.now)
}

// handleAdminMoveOrdersForm moves a closed point's orders for a date to
// another open point of its route.
func (s *Server) handleAdminMoveOrdersForm(w http.ResponseWriter, r *http.Request) {
	pg, date, confirmed := s.closureForm(w, r, true)
	if pg == nil {
		return
	}
	data := &closurePageData{MoveTo: r.PostFormValue("to_pickup_point_id")}
	if !confirmed {
		data.MoveError = pg.T("rule.closure.confirm")
		s.renderClosure(w, r, pg, http.StatusBadRequest, date, data)
		return
	}
	n, err := s.actMoveOrders(r.Context(), actor(pg.User), r.PathValue("id"), data.MoveTo, date)
	if err != nil {
		s.formError(w, r, pg, err, func(status int, msg string) {
			if f := fieldOf(err); f == "to_pickup_point_id" {
				msg = pg.T("rule.closure.to_point")
			} else if f == "delivery_date" {
				msg = pg.T("rule.cutoff.date")
			}
			data.MoveError = msg
			s.renderClosure(w, r, pg, status, date, data)
		})
		return
	}
	data.Moved = pg.T("Moved %d orders of %s.", n, date)
	s.renderClosure(w, r, pg, http.StatusOK, date, data)
}

// handleAdminCancelOrdersForm cancels and refunds a closed point's orders
// for a date that are not confirmed yet.
func (s *Server) handleAdminCancelOrdersForm(w http.ResponseWriter, r *http.Request) {
	pg, date, confirmed := s.closureForm(w, r, true)
	if pg == nil {
		return
	}
	data := &closurePageData{}
	if !confirmed {
		data.CancelErr = pg.T("rule.closure.confirm")
		s.renderClosure(w, r, pg, http.StatusBadRequest, date, data)
		return
	}
	res, err := s.actCancelClosedOrders(r.Context(), actor(pg.User), r.PathValue("id"), date)
	if err != nil {
		s.formError(w, r, pg, err, func(status int, msg string) {
			if fieldOf(err) == "delivery_date" {
				msg = pg.T("rule.cutoff.date")
			}
			data.CancelErr = msg
			s.renderClosure(w, r, pg, status, date, data)
		})
		return
	}
	data.Cancelled = pg.T("Cancelled %d orders of %s; %s is refunded.", res.Cancelled, date, pg.Money(res.RefundedFen))
	if res.Confirmed > 0 {
		data.Cancelled += " " + pg.T("closure.confirmed_left", res.Confirmed)
	}
	s.renderClosure(w, r, pg, http.StatusOK, date, data)
}
