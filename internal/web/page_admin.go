package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"tuango/internal/tuango"
)

// The operator's console: desktop pages for staff.

// staffPage starts a console page: staff only, others are sent to log in
// or told it is not theirs.
func (s *Server) staffPage(w http.ResponseWriter, r *http.Request, title string) (*page, bool) {
	pg, ok := s.userPage(w, r, title)
	if !ok {
		return nil, false
	}
	pg.Desktop = true
	if !pg.User.Role.IsStaff() {
		s.pageError(w, r, pg, tuango.Errorf(tuango.CodeForbidden, "the console is for operators"))
		return nil, false
	}
	return pg, true
}

// staffForm starts the handling of a posted console form: staff only,
// its CSRF token checked.
func (s *Server) staffForm(w http.ResponseWriter, r *http.Request, title string) (*page, bool) {
	pg, ok := s.staffPage(w, r, title)
	if !ok {
		return nil, false
	}
	if _, _, err := s.checkForm(w, r); err != nil {
		s.pageError(w, r, pg, err)
		return nil, false
	}
	return pg, true
}

type adminHome struct {
	Dashboard *dashboard
	Deals     []adminDealRow
}

type adminDealRow struct {
	tuango.Deal
	State, Ends string
}

func (s *Server) handleAdminDealsPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.staffPage(w, r, "Deals")
	if !ok {
		return
	}
	ctx, cancel := pageRead(r)
	defer cancel()
	deals, err := s.svc.Store().FindDeals(ctx, tuango.DealFilter{Limit: 1000})
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	slices.Reverse(deals) // latest cutoff first
	dash, err := s.buildDashboard(ctx, pg)
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	rows := make([]adminDealRow, 0, len(deals))
	for _, d := range deals {
		st := "Live"
		switch {
		case pg.now.Before(d.SaleStartsAt):
			st = "Upcoming"
		case !pg.now.Before(d.SaleEndsAt):
			st = "Ended"
		}
		rows = append(rows, adminDealRow{d, pg.T(st), d.SaleEndsAt.In(shanghai).Format("2006-01-02 15:04")})
	}
	pg.Data = adminHome{Dashboard: dash, Deals: rows}
	s.render(w, r, http.StatusOK, "admin/deals", pg)
}

// dealForm is the deal editor's fields as typed, and what was wrong.
type dealForm struct {
	ID, ProductID, CityID, Title, Price, ListPrice, Stock, Limit, Starts, Ends, Delivery string
	Errors                                                                               map[string]string
	Saved                                                                                bool
	Reserved                                                                             int
	Flash                                                                                bool
}

type dealEditorData struct {
	Form     dealForm
	Products []tuango.Product
	Cities   []tuango.City
	History  []priceRow
	// OrderMinutes and FlashMinutes are how long an unpaid order holds
	// stock, for the flash box's hint.
	OrderMinutes, FlashMinutes int
}

type priceRow struct {
	At          string
	Price, List tuango.Fen
}

const formTime = "2006-01-02T15:04"

func dealToForm(d *tuango.Deal, loc *time.Location) dealForm {
	return dealForm{ID: d.ID, ProductID: d.ProductID, CityID: d.CityID, Title: d.Title, Price: yuan(d.PriceFen), ListPrice: yuan(d.ListPriceFen),
		Stock: strconv.Itoa(d.Stock), Limit: strconv.Itoa(d.LimitPerCustomer), Starts: d.SaleStartsAt.In(loc).Format(formTime),
		Ends: d.SaleEndsAt.In(loc).Format(formTime), Delivery: d.DeliveryDate, Reserved: d.Reserved, Flash: d.Flash}
}

func (s *Server) handleAdminDealPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.staffPage(w, r, "Deal")
	if !ok {
		return
	}
	ctx, cancel := pageRead(r)
	defer cancel()
	var f dealForm
	if id := r.PathValue("id"); id != "" {
		d, err := s.svc.GetDeal(ctx, actor(pg.User), id)
		if err != nil {
			s.pageError(w, r, pg, err)
			return
		}
		f = dealToForm(d, shanghai)
		f.Saved = r.URL.Query().Has("saved")
	} else {
		start := pg.now.In(shanghai)
		f = dealForm{Stock: "100", Limit: "5", Starts: start.Format(formTime),
			Ends:     time.Date(start.Year(), start.Month(), start.Day(), 23, 0, 0, 0, shanghai).Format(formTime),
			Delivery: start.AddDate(0, 0, 1).Format(time.DateOnly)}
	}
	s.renderDealEditor(w, r, pg, http.StatusOK, f)
}

func (s *Server) renderDealEditor(w http.ResponseWriter, r *http.Request, pg *page, status int, f dealForm) {
	ctx, cancel := pageRead(r)
	defer cancel()
	a := actor(pg.User)
	data := dealEditorData{Form: f}
	normal, flash := s.svc.OrderTimeouts()
	data.OrderMinutes, data.FlashMinutes = wholeMinutes(normal), wholeMinutes(flash)
	var err error
	if data.Cities, err = s.svc.ListCities(ctx, a); err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	if data.Products, err = s.svc.Store().FindProducts(ctx, ""); err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	if f.ID != "" {
		history, err := s.svc.Store().FindDealPrices(ctx, f.ID)
		if err != nil {
			s.pageError(w, r, pg, err)
			return
		}
		for i := len(history) - 1; i >= 0; i-- {
			h := history[i]
			data.History = append(data.History, priceRow{h.EffectiveAt.In(shanghai).Format("2006-01-02 15:04:05"), h.PriceFen, h.ListPriceFen})
		}
		pg.Title = pg.T("Edit deal %s", f.Title)
	} else {
		pg.Title = pg.T("New deal")
	}
	pg.Data = data
	s.render(w, r, status, "admin/deal", pg)
}

// handleAdminDealForm creates or updates a deal from the editor; errors are
// shown next to their fields, in the operator's language.
func (s *Server) handleAdminDealForm(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.staffForm(w, r, "Deal")
	if !ok {
		return
	}
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := dealForm{ID: r.PathValue("id"), ProductID: v("product_id"), CityID: v("city_id"), Title: v("title"), Price: v("price"), ListPrice: v("list_price"),
		Stock: v("stock"), Limit: v("limit"), Starts: v("sale_starts_at"), Ends: v("sale_ends_at"), Delivery: v("delivery_date"), Flash: v("flash") != "", Errors: map[string]string{}}
	apply, bad := parseDealForm(pg, &f)
	if bad {
		s.renderDealEditor(w, r, pg, http.StatusBadRequest, f)
		return
	}
	a := actor(pg.User)
	id := f.ID
	var err error
	if id == "" {
		d := &tuango.Deal{}
		apply(d)
		err = s.actCreateDeal(r.Context(), a, d)
		id = d.ID
	} else {
		_, err = s.actUpdateDeal(r.Context(), a, id, func(d *tuango.Deal) error { apply(d); return nil })
	}
	if tuango.ErrorCode(err) == tuango.CodeCutoffPassed {
		f.Errors["delivery_date"] = pg.T("rule.delivery_date.cut", f.Delivery)
		s.renderDealEditor(w, r, pg, http.StatusConflict, f)
		return
	}
	if field := fieldOf(err); field != "" {
		f.Errors[field] = pg.T(dealFieldRule(field))
		s.renderDealEditor(w, r, pg, http.StatusBadRequest, f)
		return
	}
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	http.Redirect(w, r, "/admin/deals/"+id+"?saved=1", http.StatusSeeOther)
}

// wholeMinutes is d in minutes, rounded up.
func wholeMinutes(d time.Duration) int { return int((d + time.Minute - 1) / time.Minute) }
