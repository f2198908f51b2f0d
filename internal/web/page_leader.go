package web

import (
	"net/http"
	"strconv"
	"strings"

	"tuango/internal/tuango"
)

// The leader's console (/leader), for a phone: the day's delivery to their
// own point per customer, signing for it (签收) with what is short or
// damaged, verifying pickup codes (核销), and closing the point for dates.

type leaderPageData struct {
	Point     *tuango.PickupPoint
	Date      string
	Lines     []signLineRow
	Customers []leaderCustomer
	CanSign   bool // something was dispatched and not yet signed for
	Signed    bool
	SignKey   string
	SignError string
	SignDone  bool
	Refunds   []refundRow

	PickupKey   string
	Code        string
	PickupError string
	PickedUp    string // the customer whose order was handed over

	Close closeForm
}

// signLineRow is one deal of the delivery in the sign-off form, with what
// was typed and what was wrong with it.
type signLineRow struct {
	DealID, Title              string
	Expected                   int
	Received, Damaged, Problem string
}

type leaderCustomer struct {
	Name   string
	Orders []leaderOrder
}

type leaderOrder struct {
	ID, StatusText, Items string
}

type refundRow struct {
	OrderID, Amount string
	LineNo, Units   int
}

// closeForm is the form that closes the point for a range of dates.
type closeForm struct {
	From, To, Reason string
	Errors           map[string]string
	Done             bool
}

func (s *Server) handleLeaderPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.rolePage(w, r, "Group leader", isLeader)
	if !ok {
		return
	}
	date := leaderDate(r, pg)
	s.renderLeader(w, r, pg, http.StatusOK, date, &leaderPageData{})
}

// leaderDate is the delivery date a leader's page is about: the one asked
// for, or today's, the delivery that arrives this morning.
func leaderDate(r *http.Request, pg *page) string {
	if d := r.FormValue("date"); d != "" {
		return d
	}
	return pg.today()
}

// renderLeader reads the leader's delivery for date into data, keeping what
// a form put there, and writes the page with status.
func (s *Server) renderLeader(w http.ResponseWriter, r *http.Request, pg *page, status int, date string, data *leaderPageData) {
	ctx, cancel := pageRead(r)
	defer cancel()
	a := actor(pg.User)
	d, err := s.svc.LeaderDelivery(ctx, a, date)
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	if data.Point, err = s.svc.GetPickupPoint(ctx, d.PickupPointID); err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	data.Date, data.SignKey, data.PickupKey = d.DeliveryDate, newPageKey(), newPageKey()
	typed := map[string]signLineRow{}
	for _, l := range data.Lines {
		typed[l.DealID] = l
	}
	data.Lines = data.Lines[:0]
	for _, l := range d.Lines {
		row, ok := typed[l.DealID]
		if !ok {
			row = signLineRow{Received: strconv.Itoa(l.Quantity), Damaged: "0"}
		}
		row.DealID, row.Title, row.Expected = l.DealID, l.Title, l.Quantity
		data.Lines = append(data.Lines, row)
	}
	byName := map[string]int{}
	data.Customers = nil
	for _, o := range d.Orders {
		switch o.Order.Status {
		case tuango.OrderShipped:
			data.CanSign = true
		case tuango.OrderConfirmed:
		default:
			data.Signed = true
		}
		var items []string
		for _, l := range o.Order.Lines {
			items = append(items, l.Title+" × "+strconv.Itoa(l.Quantity))
		}
		i, ok := byName[o.CustomerName]
		if !ok {
			i = len(data.Customers)
			byName[o.CustomerName] = i
			data.Customers = append(data.Customers, leaderCustomer{Name: o.CustomerName})
		}
		data.Customers[i].Orders = append(data.Customers[i].Orders, leaderOrder{ID: o.Order.ID, StatusText: pg.T(orderStatusKey(o.Order.Status)), Items: strings.Join(items, "，")})
	}
	if data.Close.From == "" {
		data.Close.From, data.Close.To = date, date
	}
	pg.Title = pg.T("Group leader") + " · " + data.Point.Name
	pg.Data = data
	s.render(w, r, status, "leader/home", pg)
}

// handleLeaderSignForm signs for the day's delivery, once per form: the
// form carries a key made when it was rendered.
func (s *Server) handleLeaderSignForm(w http.ResponseWriter, r *http.Request) {
	date := r.PathValue("date")
	pg, ok := s.roleForm(w, r, "Group leader", "/leader?date="+date, isLeader)
	if !ok {
		return
	}
	data := &leaderPageData{}
	var lines []tuango.SignLine
	bad := false
	for _, id := range r.PostForm["deal_id"] {
		row := signLineRow{DealID: id, Received: strings.TrimSpace(r.PostFormValue("received_" + id)), Damaged: strings.TrimSpace(r.PostFormValue("damaged_" + id))}
		received, err1 := strconv.Atoi(row.Received)
		damaged, err2 := strconv.Atoi(row.Damaged)
		switch {
		case err1 != nil || received < 0 || received > tuango.MaxStock:
			row.Problem = pg.T("rule.received")
		case err2 != nil || damaged < 0 || damaged > received:
			row.Problem = pg.T("rule.damaged")
		}
		bad = bad || row.Problem != ""
		data.Lines = append(data.Lines, row)
		lines = append(lines, tuango.SignLine{DealID: id, Received: received, Damaged: damaged})
	}
	key := r.PostFormValue("key")
	if !bad && (len(key) > 64 || !validID(key)) {
		bad, data.SignError = true, pg.T("error.invalid")
	}
	if bad {
		if data.SignError == "" {
			data.SignError = pg.T("Please correct the fields marked below.")
		}
		s.renderLeader(w, r, pg, http.StatusBadRequest, date, data)
		return
	}
	res, err := s.actSignDelivery(r.Context(), actor(pg.User), date, lines, key)
	if err != nil {
		s.formError(w, r, pg, err, func(status int, msg string) {
			data.SignError = msg
			s.renderLeader(w, r, pg, status, date, data)
		})
		return
	}
	data.SignDone = true
	for _, rf := range res.Refunds {
		data.Refunds = append(data.Refunds, refundRow{OrderID: rf.OrderID, LineNo: rf.LineNo, Units: rf.Quantity, Amount: pg.Money(rf.AmountFen)})
	}
	data.Lines = nil
	s.renderLeader(w, r, pg, http.StatusOK, date, data)
}

// formError answers a form's error from the service: an outage is the
// degraded page and too many attempts a page that says to wait; any other
// refusal is shown in the form by show, with its status and its message in
// the user's language.
func (s *Server) formError(w http.ResponseWriter, r *http.Request, pg *page, err error, show func(status int, msg string)) {
	code := tuango.ErrorCode(err)
	if s.degraded(r, err) || code == tuango.CodeTooManyAttempts || code == tuango.CodeInternal || code == tuango.CodeForbidden {
		s.pageError(w, r, pg, err)
		return
	}
	_, msg := errorText(code)
	show(pageStatus(code), pg.T(msg))
}

// handleLeaderPickupForm hands an order over against the code the
// customer shows (typed, or read from the QR by the camera).
func (s *Server) handleLeaderPickupForm(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.roleForm(w, r, "Group leader", "/leader", isLeader)
	if !ok {
		return
	}
	date := leaderDate(r, pg)
	data := &leaderPageData{Code: strings.TrimSpace(r.PostFormValue("code"))}
	key := r.PostFormValue("key")
	if data.Code == "" || len(data.Code) > 32 {
		data.PickupError = pg.T("rule.code")
		s.renderLeader(w, r, pg, http.StatusBadRequest, date, data)
		return
	}
	if len(key) > 64 || !validID(key) {
		data.PickupError = pg.T("error.invalid")
		s.renderLeader(w, r, pg, http.StatusBadRequest, date, data)
		return
	}
	o, err := s.actVerifyPickup(r.Context(), actor(pg.User), data.Code, key)
	if err != nil {
		s.formError(w, r, pg, err, func(status int, msg string) {
			data.PickupError = msg
			s.renderLeader(w, r, pg, status, date, data)
		})
		return
	}
	data.Code, data.PickedUp = "", o.ID
	s.renderLeader(w, r, pg, http.StatusOK, date, data)
}

// handleLeaderCloseForm closes the leader's point for a range of dates.
func (s *Server) handleLeaderCloseForm(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.roleForm(w, r, "Group leader", "/leader", isLeader)
	if !ok {
		return
	}
	f := closeForm{From: strings.TrimSpace(r.PostFormValue("from")), To: strings.TrimSpace(r.PostFormValue("to")), Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	date := leaderDate(r, pg)
	ctx, cancel := pageRead(r)
	pps, err := s.svc.Store().FindPickupPoints(ctx, tuango.PickupPointFilter{LeaderID: pg.User.ID})
	cancel()
	if err == nil && len(pps) == 0 {
		err = tuango.Errorf(tuango.CodeNotFound, "you run no pickup point")
	}
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	err = s.closePoint(r, pg, &pps[0], &f)
	data := &leaderPageData{Close: f}
	switch {
	case len(f.Errors) > 0:
		s.renderLeader(w, r, pg, http.StatusBadRequest, date, data)
		return
	case err != nil:
		s.pageError(w, r, pg, err)
		return
	}
	data.Close.Done = true
	s.renderLeader(w, r, pg, http.StatusOK, date, data)
}

// handleLeaderPickList answers the leader's pick list for a date (per
// customer, their orders and lines) as CSV, XLSX or a print view.
func (s *Server) handleLeaderPickList(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.rolePage(w, r, "Pick list", isLeader)
	if !ok {
		return
	}
	date := leaderDate(r, pg)
	ctx, cancel := pageRead(r)
	defer cancel()
	d, err := s.svc.LeaderDelivery(ctx, actor(pg.User), date)
	if tuango.ErrorCode(err) == tuango.CodeInvalid && fieldOf(err) == "date" {
		s.refusalPage(w, r, pg, pg.T("rule.day.date"))
		return
	}
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	sec := printSection{Head: []string{pg.T("Customer"), pg.T("Order"), pg.T("Product"), pg.T("Quantity"), pg.T("Status")}}
	for _, o := range d.Orders {
		for _, l := range o.Order.Lines {
			sec.Rows = append(sec.Rows, []string{o.CustomerName, o.Order.ID, l.Title, strconv.Itoa(l.Quantity), pg.T(orderStatusKey(o.Order.Status))})
		}
	}
	doc := printDoc{Heading: pg.T("Pick list of %s", date), Subtitle: pg.User.Name, Sections: []printSection{sec}}
	if len(sec.Rows) == 0 {
		doc.Sections = nil
	}
	s.writeList(w, r, pg, "pick-list-"+d.PickupPointID+"-"+date, pickListRows(d), doc)
}
