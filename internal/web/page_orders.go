package web

import (
	"net/http"
	"net/url"
	"slices"
	"time"

	"tuango/internal/tuango"
)

// orderStatusKey is the message id of an order status in words.
func orderStatusKey(s tuango.OrderStatus) string { return "status." + string(s) }

// orderPath is the order's life in order, for the timeline.
var orderPath = []tuango.OrderStatus{"pending_payment", "paid", "confirmed", "shipped", "arrived", "picked_up"}

type timelineStep struct {
	Label string
	At    string
	Done  bool
	Stop  bool // an end off the usual path: cancelled, refunded
}

type orderRow struct {
	tuango.Order
	StatusText string
	Created    string
}

type orderPageData struct {
	orderRow
	Point     *tuango.PickupPoint
	Timeline  []timelineStep
	CanPay    bool
	CanCancel bool
	PayKey    string
	Expires   string
	ShowCode  bool // the pickup code and its QR: the owner's, from payment until pickup
	// AfterSales is the after-sales form and requests (page_aftersales.go).
	AfterSales *afterSalesSection
	// PayPaused is an unpaid order while the payment provider is down:
	// no pay button, a note that the order is held instead.
	PayPaused bool
}

func (s *Server) handleOrdersPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.userPage(w, r, "My orders")
	if !ok {
		return
	}
	ctx, cancel := pageRead(r)
	defer cancel()
	orders, _, err := s.svc.ListOrders(ctx, actor(pg.User), tuango.MaxPage, "") // the latest; older ones page in with the day-cycle pages
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	rows := make([]orderRow, 0, len(orders))
	for _, o := range orders {
		rows = append(rows, s.orderRow(pg, o))
	}
	pg.Data = rows
	s.render(w, r, http.StatusOK, "customer/orders", pg)
}

// codeStatuses are the statuses in which the order page shows the pickup
// code: paid and not yet handed over.
var codeStatuses = []tuango.OrderStatus{tuango.OrderPaid, tuango.OrderConfirmed, tuango.OrderShipped, tuango.OrderArrived}

var shanghai = time.FixedZone("CST", 8*3600)

func (s *Server) orderRow(pg *page, o tuango.Order) orderRow {
	return orderRow{Order: o, StatusText: pg.T(orderStatusKey(o.Status)), Created: o.CreatedAt.In(shanghai).Format("2006-01-02 15:04")}
}

func (s *Server) handleOrderPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.userPage(w, r, "Order")
	if !ok {
		return
	}
	s.renderOrder(w, r, pg, http.StatusOK, nil)
}

// renderOrder answers with the page of the order in the path; refused,
// when set, is an after-sales form to show again as typed, with why it
// was refused.
func (s *Server) renderOrder(w http.ResponseWriter, r *http.Request, pg *page, status int, refused *afterSalesForm) {
	ctx, cancel := pageRead(r)
	defer cancel()
	o, err := s.svc.GetOrder(ctx, actor(pg.User), r.PathValue("id"))
	if err == nil && o.UserID != pg.User.ID {
		err = tuango.ErrNotFound // staff read orders in the console, not here
	}
	if err == nil {
		err = s.svc.ReadCancelRefund(ctx, actor(pg.User), o)
	}
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	data := orderPageData{orderRow: s.orderRow(pg, *o), Timeline: timeline(pg, o), PayKey: newPageKey(),
		CanPay:    o.Status == tuango.OrderPendingPayment && pg.now.Before(o.ExpiresAt),
		CanCancel: o.Status == tuango.OrderPendingPayment || o.Status == tuango.OrderPaid,
		Expires:   o.ExpiresAt.In(shanghai).Format("15:04"),
		ShowCode:  o.PickupCode != "" && slices.Contains(codeStatuses, o.Status)}
	if data.CanPay && s.svc.PaymentState().Refusing {
		data.CanPay, data.PayPaused = false, true
	}
	if pp, err := s.svc.GetPickupPoint(ctx, o.PickupPointID); err == nil {
		data.Point = pp
	}
	data.AfterSales = s.afterSalesOf(ctx, r, pg, o, refused)
	pg.Title = pg.T("Order %s", o.ID)
	pg.Data = data
	s.render(w, r, status, "customer/order", pg)
}

// timeline lists the steps of an order's life from its recorded moves,
// the ones reached marked done with when; an order that left the path
// (cancelled, refunded, unclaimed) shows the steps it reached and where it
// ended.
func timeline(pg *page, o *tuango.Order) []timelineStep {
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(shanghai).Format("01-02 15:04")
	}
	when := map[tuango.OrderStatus]time.Time{tuango.OrderPendingPayment: o.CreatedAt}
	reason := o.CancelReason
	for _, e := range o.Timeline {
		when[e.Status] = e.At
		if e.Reason != "" && reason == "" {
			reason = e.Reason
		}
	}
	if _, ok := when[tuango.OrderPaid]; !ok && !o.PaidAt.IsZero() {
		when[tuango.OrderPaid] = o.PaidAt
	}
	reached := slices.Index(orderPath, o.Status)
	var steps []timelineStep
	for i, st := range orderPath {
		t, done := when[st]
		if reached < 0 && !done {
			continue // off the path: only what it reached
		}
		steps = append(steps, timelineStep{Label: pg.T("step." + string(st)), At: at(t), Done: done || i <= reached})
	}
	if reached >= 0 {
		return steps
	}
	endAt, ok := when[o.Status]
	if !ok {
		endAt = o.CancelledAt
	}
	end := timelineStep{Label: pg.T(orderStatusKey(o.Status)), At: at(endAt), Done: true, Stop: true}
	if reason == "customer" || reason == "expired" {
		end.Label += " · " + pg.T("reason."+reason)
	}
	return append(steps, end)
}

func (s *Server) handleCancelOrderForm(w http.ResponseWriter, r *http.Request) {
	u, _, err := s.checkForm(w, r)
	if err == nil && u == nil { // the session ended: log in, then back to the order
		http.Redirect(w, r, "/login?next=/orders/"+url.PathEscape(r.PathValue("id")), http.StatusSeeOther)
		return
	}
	if err == nil {
		err = s.actCancelOrder(r.Context(), actor(u), r.PathValue("id"))
	}
	if err != nil {
		s.pageError(w, r, nil, err)
		return
	}
	http.Redirect(w, r, "/orders/"+r.PathValue("id"), http.StatusSeeOther)
}

func (s *Server) handlePayOrderForm(w http.ResponseWriter, r *http.Request) {
	u, _, err := s.checkForm(w, r)
	if err == nil && u == nil { // the session ended: log in, then back to the order
		http.Redirect(w, r, "/login?next=/orders/"+url.PathEscape(r.PathValue("id")), http.StatusSeeOther)
		return
	}
	key := r.PostFormValue("key")
	if err == nil && (len(key) > 64 || !validID(key)) {
		err = tuango.FieldError("key", "the form is incomplete; reload the page")
	}
	var payID string
	if err == nil {
		payID, err = s.actPay(r.Context(), actor(u), r.PathValue("id"), key)
	}
	if err != nil {
		s.pageError(w, r, nil, err)
		return
	}
	http.Redirect(w, r, "/sandbox/pay/"+payID, http.StatusSeeOther)
}
