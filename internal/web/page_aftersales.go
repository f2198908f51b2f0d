package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"tuango/internal/tuango"
)

// After-sales pages: the request form and the requests' status on the
// customer's order page, and the operator's queue.

func (s *Server) afterSalesPageRoutes() []Route {
	h := func(method, pattern string, fn http.HandlerFunc) Route { return Route{method, pattern, fn} }
	return []Route{
		h("POST", "/orders/{id}/after-sales", s.handleAfterSalesForm),
		h("GET", "/admin/after-sales", s.handleAdminAfterSalesPage),
		h("POST", "/admin/after-sales/{id}/approve", s.onceForm(s.handleAdminApproveAfterSaleForm)),
		h("POST", "/admin/after-sales/{id}/reject", s.onceForm(s.handleAdminRejectAfterSaleForm)),
	}
}

// afterSalesSection is the after-sales part of the order page.
type afterSalesSection struct {
	Open     bool   // the window is open: the form is shown
	Until    string // when it closes, Beijing time
	Lines    []afterSalesLine
	Requests []afterSaleRow
	Reasons  []tuango.AfterSalesReason
	Key      string // the form's idempotency key
	NoteMax  int    // the longest note, in characters
	Error    string // a refused request, in the user's words
	Line     int    // the line it was for
	Sent     bool   // a request was just made
}

type afterSalesLine struct {
	LineNo  int
	Title   string
	Left    int  // units not yet refunded
	Pending bool // the line has a request waiting
	// What the form shows: a refused request as typed, else 1 unit and
	// no reason; Invalid is the field at fault.
	Quantity, Reason, Note, Invalid string
}

// afterSalesForm is a refused after-sales request as the customer typed
// it, shown again on the order page with why it was refused.
type afterSalesForm struct {
	Line                   int
	Quantity, Reason, Note string
	Err                    error
}

// refusal says in the user's words why f was refused, for a line with
// left units not yet refunded, and names the field at fault.
func (f *afterSalesForm) refusal(pg *page, left int) (msg, field string) {
	switch field = fieldOf(f.Err); field {
	case "quantity":
		return pg.T("rule.after_sales.quantity", max(left, 1)), field
	case "reason":
		return pg.T("rule.after_sales.reason"), field
	case "note":
		if n := utf8.RuneCountInString(strings.TrimSpace(f.Note)); n > tuango.MaxAfterSalesNote {
			return pg.T("rule.after_sales.note", tuango.MaxAfterSalesNote, n), field
		}
		return pg.T("rule.after_sales.note_chars"), field
	}
	code := tuango.ErrorCode(f.Err)
	if code == tuango.CodeRefundExceedsPaid {
		field = "quantity"
	}
	_, msg = errorText(code)
	return pg.T(msg), field
}

type afterSaleRow struct {
	tuango.AfterSale
	Title, StatusKey, ReasonKey, Created string
}

func afterSaleRowOf(as tuango.AfterSale, title string) afterSaleRow {
	return afterSaleRow{as, title, "after_sales." + string(as.Status), "after_sales.reason." + string(as.Reason),
		as.CreatedAt.In(shanghai).Format(formTimeShown)}
}

// afterSalesOf is the after-sales section of o's page, nil for an order
// that was never picked up and has no requests; refused, when set, is a
// request just refused, to show again.
func (s *Server) afterSalesOf(ctx context.Context, r *http.Request, pg *page, o *tuango.Order, refused *afterSalesForm) *afterSalesSection {
	reqs, err := s.svc.OrderAfterSales(ctx, actor(pg.User), o.ID)
	if err != nil || (o.Status != tuango.OrderPickedUp && len(reqs) == 0) {
		return nil
	}
	sec := &afterSalesSection{Reasons: tuango.AfterSalesReasons, Key: newPageKey(), NoteMax: tuango.MaxAfterSalesNote, Sent: r.URL.Query().Get("as_sent") == "1"}
	titles := map[int]string{}
	pending := map[int]bool{}
	for _, l := range o.Lines {
		titles[l.LineNo] = l.Title
	}
	for _, as := range reqs {
		sec.Requests = append(sec.Requests, afterSaleRowOf(as, titles[as.LineNo]))
		pending[as.LineNo] = pending[as.LineNo] || as.Status == tuango.AfterSalesPending
	}
	if o.Status == tuango.OrderPickedUp {
		if window, err := s.svc.AfterSalesWindow(ctx, o.CityID); err == nil {
			end := o.PickedUpAt.Add(window)
			sec.Open, sec.Until = pg.now.Before(end), end.In(shanghai).Format(formTimeShown)
		}
	}
	for _, l := range o.Lines {
		left := l.Quantity - l.RefundedQuantity
		line := afterSalesLine{LineNo: l.LineNo, Title: l.Title, Left: left, Pending: pending[l.LineNo], Quantity: "1"}
		if refused != nil && refused.Line == l.LineNo {
			sec.Line = l.LineNo
			sec.Error, line.Invalid = refused.refusal(pg, left)
			line.Quantity, line.Reason, line.Note = refused.Quantity, refused.Reason, refused.Note
		}
		if left > 0 {
			sec.Lines = append(sec.Lines, line)
		}
	}
	if refused != nil && sec.Error == "" { // a line the order does not have
		sec.Error, _ = refused.refusal(pg, 0)
	}
	return sec
}

// handleAfterSalesForm sends a customer's request, once per form key, and
// returns to the order page, which shows its status; a refused request
// shows the order page again with the form as typed and why.
func (s *Server) handleAfterSalesForm(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	back := "/orders/" + url.PathEscape(id)
	pg, ok := s.roleForm(w, r, "Order", back, func(tuango.Role) bool { return true })
	if !ok {
		return
	}
	form := &afterSalesForm{Quantity: strings.TrimSpace(r.PostFormValue("quantity")), Reason: r.PostFormValue("reason"),
		Note: noteLine(r.PostFormValue("note"))}
	form.Line, _ = strconv.Atoi(r.PostFormValue("line_no"))
	qty, qerr := strconv.Atoi(form.Quantity)
	key := r.PostFormValue("key")
	var err error
	switch {
	case len(key) > 64 || !validID(key):
		err = tuango.FieldError("key", "the form is incomplete; reload the order page")
	case qerr != nil:
		err = tuango.FieldError("quantity", "must be a whole number")
	default:
		req := tuango.AfterSalesRequest{OrderID: id, LineNo: form.Line, Quantity: qty, Reason: tuango.AfterSalesReason(form.Reason), Note: form.Note}
		_, err = s.actRequestAfterSale(r.Context(), actor(pg.User), req, key)
	}
	if err == nil {
		http.Redirect(w, r, back+"?as_sent=1#after-sales", http.StatusSeeOther)
		return
	}
	code := tuango.ErrorCode(err)
	if s.degraded(r, err) || code == tuango.CodeInternal || code == tuango.CodeNotFound {
		s.pageError(w, r, pg, err)
		return
	}
	form.Err = err
	s.renderOrder(w, r, pg, pageStatus(code), form)
}

// noteLine is a note as one line: the line breaks a textarea lets the
// customer type are spaces, since a note is shown on one line and the
// domain takes no control characters.
func noteLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ", "\t", " ").Replace(s)
}

// adminAfterSalesData is the operator's queue page.
type adminAfterSalesData struct {
	Status   string // the list shown: pending, approved, rejected
	Statuses []string
	Rows     []adminAfterSaleRow
	Next     string // the next page's cursor
	Done     string // what was just done, in words
	Error    string
	ErrorFor string // the request the error is about
}

type adminAfterSaleRow struct {
	afterSaleRow
	Order *tuango.Order
}

func (s *Server) renderAdminAfterSales(w http.ResponseWriter, r *http.Request, pg *page, status int, data *adminAfterSalesData) {
	ctx, cancel := pageRead(r)
	defer cancel()
	data.Statuses = []string{"pending", "approved", "rejected"}
	if !slices.Contains(data.Statuses, data.Status) {
		data.Status = "pending"
	}
	items, next, err := s.svc.AfterSalesQueue(ctx, actor(pg.User), tuango.AfterSalesStatus(data.Status), 0, r.URL.Query().Get("cursor"))
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	data.Next = next
	for _, as := range items {
		o, err := s.svc.GetOrder(ctx, actor(pg.User), as.OrderID)
		if err != nil {
			s.pageError(w, r, pg, err)
			return
		}
		title := ""
		for _, l := range o.Lines {
			if l.LineNo == as.LineNo {
				title = l.Title
			}
		}
		data.Rows = append(data.Rows, adminAfterSaleRow{afterSaleRowOf(as, title), o})
	}
	pg.Data = data
	s.render(w, r, status, "admin/aftersales", pg)
}

func (s *Server) handleAdminAfterSalesPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.rolePage(w, r, "After-sales", isStaff)
	if !ok {
		return
	}
	s.renderAdminAfterSales(w, r, pg, http.StatusOK, &adminAfterSalesData{Status: r.URL.Query().Get("status")})
}

func (s *Server) handleAdminApproveAfterSaleForm(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.roleForm(w, r, "After-sales", "/admin/after-sales", isStaff)
	if !ok {
		return
	}
	as, err := s.actApproveAfterSale(r.Context(), actor(pg.User), r.PathValue("id"))
	s.afterDecision(w, r, pg, as, err, "Approved %s: %s refunded.")
}

func (s *Server) handleAdminRejectAfterSaleForm(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.roleForm(w, r, "After-sales", "/admin/after-sales", isStaff)
	if !ok {
		return
	}
	as, err := s.actRejectAfterSale(r.Context(), actor(pg.User), r.PathValue("id"), r.PostFormValue("reason"))
	s.afterDecision(w, r, pg, as, err, "Rejected %s.")
}

// afterDecision shows the queue again with what an operator's decision did.
func (s *Server) afterDecision(w http.ResponseWriter, r *http.Request, pg *page, as *tuango.AfterSale, err error, done string) {
	data := &adminAfterSalesData{Status: "pending"}
	if err != nil {
		s.formError(w, r, pg, err, func(status int, msg string) {
			if fieldOf(err) == "reason" {
				msg = pg.T("rule.after_sales.reject")
			}
			data.Error, data.ErrorFor = msg, r.PathValue("id")
			s.renderAdminAfterSales(w, r, pg, status, data)
		})
		return
	}
	if as.Status == tuango.AfterSalesApproved {
		data.Done = pg.T(done, as.ID, pg.Money(as.RefundFen))
	} else {
		data.Done = pg.T(done, as.ID)
	}
	s.renderAdminAfterSales(w, r, pg, http.StatusOK, data)
}
