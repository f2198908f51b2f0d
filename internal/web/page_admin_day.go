package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"tuango/internal/tuango"
)

// The operator's day (/admin/day): for a city and delivery date, the
// calendar (closing the city, 休市), the cutoff (截单) with its summary and
// its lists — purchase orders, sorting lists, manifests, each to download
// or print — and the dispatch of each route.

type adminDayData struct {
	Cities        []tuango.City
	CityID, Date  string
	Error         string       // a city or date the page cannot show, in the operator's language
	Query         template.URL // city_id=...&date=..., for the list links
	Closures      []tuango.Closure
	CloseReason   string
	CloseErrors   map[string]string // the city closure form's fields at fault: date, reason
	CloseError    string            // a refusal of the form that is no field's
	CloseDone     bool
	Cutoff        *cutoffRow
	CutoffError   string
	PurchaseOrder []printSection
	Sorting       []printSection
	Manifests     []printSection
	Routes        []tuango.Route
	Dispatched    string // what the last dispatch did
	DispatchError string
}

// cutoffRefresh is how often, in seconds, the day page reloads itself
// while its cutoff runs.
const cutoffRefresh = "3"

type cutoffRow struct {
	tuango.CutoffRun
	Started, Finished, By string
	Done                  bool
}

// adminDayQuery is the city and date a day page is about: the form's or
// the query's, else the first city and tomorrow (the delivery whose cutoff
// runs tonight).
func adminDayQuery(r *http.Request, pg *page) (cityID, date string) {
	cityID, date = r.FormValue("city_id"), r.FormValue("date")
	if date == "" {
		date = pg.now.In(shanghai).Add(24 * time.Hour).Format("2006-01-02")
	}
	return cityID, date
}

func (s *Server) handleAdminDayPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.rolePage(w, r, "The day", isStaff)
	if !ok {
		return
	}
	cityID, date := adminDayQuery(r, pg)
	s.renderAdminDay(w, r, pg, http.StatusOK, cityID, date, &adminDayData{})
}

// renderAdminDay reads the city's day into data, keeping what a form put
// there, and writes the page with status.
func (s *Server) renderAdminDay(w http.ResponseWriter, r *http.Request, pg *page, status int, cityID, date string, data *adminDayData) {
	pg.Desktop = true
	ctx, cancel := pageRead(r)
	defer cancel()
	st := s.svc.Store()
	cities, err := st.FindCities(ctx)
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	if cityID == "" && len(cities) > 0 {
		cityID = cities[0].ID
	}
	data.Cities, data.CityID, data.Date = cities, cityID, date
	data.Query = linkQuery(url.Values{"city_id": {cityID}, "date": {date}})
	if cityID != "" {
		// Nothing to show for a day that is not one: say so in place of
		// its forms (a form refused for the same reason says it here too).
		if _, err := time.Parse(time.DateOnly, date); err != nil {
			data.Error, status = pg.T("rule.day.date"), refusedStatus(status, http.StatusBadRequest)
		} else if !hasCity(cities, cityID) {
			data.Error, status = pg.T("rule.day.city"), refusedStatus(status, http.StatusNotFound)
		}
	}
	if cityID == "" || data.Error != "" {
		pg.Data = data
		s.render(w, r, status, "admin/day", pg)
		return
	}
	if data.Closures, err = st.FindClosures(ctx, []string{cityID}, nil, pg.today()); err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	if data.Routes, err = st.FindRoutes(ctx, cityID); err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	c, err := st.FindCutoff(ctx, cityID, date)
	switch {
	case tuango.IsNotFound(err):
	case err != nil:
		s.pageError(w, r, pg, err)
		return
	default:
		data.Cutoff = &cutoffRow{CutoffRun: *c, Started: c.StartedAt.In(shanghai).Format("01-02 15:04:05"), By: c.StartedBy, Done: !c.FinishedAt.IsZero()}
		if c.StartedBy == tuango.WorkerID {
			data.Cutoff.By = pg.T("the worker")
		} else if u, err := st.FindUserByID(ctx, c.StartedBy); err == nil {
			data.Cutoff.By = u.Name
		}
		if data.Cutoff.Done {
			data.Cutoff.Finished = c.FinishedAt.In(shanghai).Format("01-02 15:04:05")
		} else {
			// Running, on this node or another: show its progress anew
			// every few seconds, from the page's own address (after the
			// form that started it, too).
			pg.Refresh = cutoffRefresh + "; url=/admin/day?" + string(data.Query)
		}
	}
	if data.Cutoff != nil && data.Cutoff.Done {
		lists, err := s.svc.ListsFor(ctx, actor(pg.User), cityID, date)
		var n names
		if err == nil {
			n, err = s.listNames(ctx)
		}
		if err != nil {
			s.pageError(w, r, pg, err)
			return
		}
		data.PurchaseOrder = purchaseOrderSections(pg, n, lists.PurchaseOrders)
		data.Sorting = sortingListSections(pg, n, lists.SortingLists)
		data.Manifests = manifestSections(pg, n, lists.Manifests)
	}
	pg.Data = data
	s.render(w, r, status, "admin/day", pg)
}

func hasCity(cities []tuango.City, id string) bool {
	for _, c := range cities {
		if c.ID == id {
			return true
		}
	}
	return false
}

// refusedStatus is the status of a day page that cannot be shown: a form's
// own refusal when it has one, else want.
func refusedStatus(status, want int) int {
	if status >= 400 {
		return status
	}
	return want
}

// handleAdminCloseCityForm closes a city for a delivery date (休市). A
// date in the past and a missing reason show together: the domain's
// checks run on the form first (see closureFaults).
func (s *Server) handleAdminCloseCityForm(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.roleForm(w, r, "The day", "/admin/day", isStaff)
	if !ok {
		return
	}
	cityID, date := r.PathValue("id"), r.PostFormValue("date")
	data := &adminDayData{CloseReason: strings.TrimSpace(r.PostFormValue("reason")), CloseErrors: map[string]string{}}
	show := func(field, msg string) {
		if rule, ok := cityClosureFields[field]; ok {
			data.CloseErrors[rule] = pg.T("rule.city_closure." + rule)
		} else {
			data.CloseError = msg
		}
	}
	today, err := s.cityToday(r, cityID, pg)
	if err == nil {
		for _, field := range closureFaults(tuango.ClosureInput{From: date, To: date, Reason: data.CloseReason}, today) {
			show(field, "")
		}
		if len(data.CloseErrors) > 0 {
			s.renderAdminDay(w, r, pg, http.StatusBadRequest, cityID, date, data)
			return
		}
		err = s.actCloseCity(r.Context(), actor(pg.User), cityID, date, data.CloseReason)
	}
	if err != nil {
		s.dayFormFailed(w, r, pg, err, cityID, date, data, show)
		return
	}
	data.CloseDone, data.CloseReason = true, ""
	s.renderAdminDay(w, r, pg, http.StatusOK, cityID, date, data)
}

// cityClosureFields are the city closure form's fields, by the domain's
// field name: a city closure's one date is its from and its to.
var cityClosureFields = map[string]string{"reason": "reason", "from": "date", "to": "date"}

// handleAdminCutoffForm runs a city's cutoff for a date by hand (an early
// close before the city's cutoff time); running it again changes nothing.
func (s *Server) handleAdminCutoffForm(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.roleForm(w, r, "The day", "/admin/day", isStaff)
	if !ok {
		return
	}
	cityID, date := r.PostFormValue("city_id"), r.PostFormValue("date")
	data := &adminDayData{}
	if _, err := s.actCutoff(r.Context(), actor(pg.User), cityID, date); err != nil {
		s.dayFormFailed(w, r, pg, err, cityID, date, data, func(field, msg string) {
			if rule, ok := map[string]string{"city_id": "city", "delivery_date": "date"}[field]; ok {
				msg = pg.T("rule.cutoff." + rule)
			}
			data.CutoffError = msg
		})
		return
	}
	s.renderAdminDay(w, r, pg, http.StatusOK, cityID, date, data)
}

// handleAdminDispatchForm ships a route's confirmed orders for a date.
func (s *Server) handleAdminDispatchForm(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.roleForm(w, r, "The day", "/admin/day", isStaff)
	if !ok {
		return
	}
	cityID, date := r.PostFormValue("city_id"), r.PostFormValue("date")
	data := &adminDayData{}
	n, err := s.actDispatch(r.Context(), actor(pg.User), r.PathValue("id"), date)
	if err != nil {
		s.dayFormFailed(w, r, pg, err, cityID, date, data, func(field, msg string) {
			if field == "delivery_date" {
				msg = pg.T("rule.cutoff.date")
			}
			data.DispatchError = msg
		})
		return
	}
	data.Dispatched = pg.T("Dispatched %s: %d orders shipped.", r.PathValue("id"), n)
	s.renderAdminDay(w, r, pg, http.StatusOK, cityID, date, data)
}

// dayFormFailed answers a day form the service refused: show puts the
// message (in the user's language; field is the form field at fault, if
// any) into the page, which is shown again with the error's status.
func (s *Server) dayFormFailed(w http.ResponseWriter, r *http.Request, pg *page, err error, cityID, date string, data *adminDayData, show func(field, msg string)) {
	s.formError(w, r, pg, err, func(status int, msg string) {
		show(fieldOf(err), msg)
		s.renderAdminDay(w, r, pg, status, cityID, date, data)
	})
}

// handleAdminListExport answers one of a cutoff's lists as CSV, XLSX or a
// print view.
func (s *Server) handleAdminListExport(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.rolePage(w, r, "The day", isStaff)
	if !ok {
		return
	}
	cityID, date := r.URL.Query().Get("city_id"), r.URL.Query().Get("date")
	ctx, cancel := pageRead(r)
	defer cancel()
	lists, err := s.svc.ListsFor(ctx, actor(pg.User), cityID, date)
	var n names
	if err == nil {
		n, err = s.listNames(ctx)
	}
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	sub := n.of(cityID) + " · " + date
	switch kind := r.PathValue("kind"); kind {
	case "purchase-orders":
		s.writeList(w, r, pg, kind+"-"+cityID+"-"+date, purchaseOrderRows(lists.PurchaseOrders), printDoc{Heading: pg.T("Purchase orders"), Subtitle: sub, Sections: purchaseOrderSections(pg, n, lists.PurchaseOrders)})
	case "sorting-lists":
		s.writeList(w, r, pg, kind+"-"+cityID+"-"+date, sortingListRows(lists.SortingLists), printDoc{Heading: pg.T("Sorting lists"), Subtitle: sub, Sections: sortingListSections(pg, n, lists.SortingLists)})
	case "manifests":
		s.writeList(w, r, pg, kind+"-"+cityID+"-"+date, manifestRows(lists.Manifests), printDoc{Heading: pg.T("Manifests"), Subtitle: sub, Sections: manifestSections(pg, n, lists.Manifests)})
	default:
		s.pageError(w, r, pg, tuango.ErrNotFound)
	}
}
