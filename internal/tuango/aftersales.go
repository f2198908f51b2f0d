package tuango

import (
	"context"
	"slices"
	"time"
)

// After-sales (售后): within a window after pickup a customer asks for a
// refund of some units of an order line, refund-only (fresh food is not
// sent back). A rule approves small or corroborated requests at once; the
// rest wait for an operator. The window is checked when the customer asks,
// so no sweep is needed.

// After-sales error codes.
const (
	CodeAfterSalesWindowClosed = "after_sales_window_closed"
	CodeRefundExceedsPaid      = "refund_exceeds_paid"
	CodeAfterSalesOpen         = "after_sales_open"
	CodeAfterSalesDecided      = "after_sales_decided"
)

// DefaultAfterSalesWindow is how long after pickup a city's customers may
// ask, unless the city says otherwise; DefaultAfterSalesAutoFen is the
// largest refund approved without an operator (¥20).
const (
	DefaultAfterSalesWindow  = 48 * time.Hour
	DefaultAfterSalesAutoFen = Fen(2000)
	MaxAfterSalesNote        = 500
)

// RefundAfterSales is the reason of an after-sales refund; the refund row's
// reason is it followed by ":" and the request's id, so that one line can
// have several.
const RefundAfterSales = "after_sales"

// AfterSalesReason is why the customer asks.
type AfterSalesReason string

// The reasons a customer may give.
const (
	AfterSalesMissing AfterSalesReason = "missing"
	AfterSalesDamaged AfterSalesReason = "damaged"
	AfterSalesQuality AfterSalesReason = "quality"
	AfterSalesOther   AfterSalesReason = "other"
)

// AfterSalesReasons lists the reasons, in the order pages show them.
var AfterSalesReasons = []AfterSalesReason{AfterSalesMissing, AfterSalesDamaged, AfterSalesQuality, AfterSalesOther}

// AfterSalesStatus is where a request is.
type AfterSalesStatus string

// The states of a request: pending waits for an operator; approved and
// rejected are final.
const (
	AfterSalesPending  AfterSalesStatus = "pending"
	AfterSalesApproved AfterSalesStatus = "approved"
	AfterSalesRejected AfterSalesStatus = "rejected"
)

// The rules that approve a request without an operator.
const (
	AutoSmall    = "small"    // the refund is at or under the configured amount
	AutoShortage = "shortage" // missing or damaged units of a line the leader reported short
)

// AfterSale is one after-sales request.
type AfterSale struct {
	ID             string
	OrderID        string
	LineNo         int
	UserID         string
	Quantity       int
	Reason         AfterSalesReason
	Note           string
	Status         AfterSalesStatus
	RefundFen      Fen    // what was refunded (approved), or would be (pending)
	ApprovedByRule string // the rule that approved it, empty if an operator did
	RejectReason   string // the operator's words, shown to the customer
	DecidedBy      string // the operator's user id
	RefundID       string // the refund sent to the provider, if any money moved
	CreatedAt      time.Time
	DecidedAt      time.Time
}

// AfterSalesFilter selects requests: of an order, or in a status (both may
// be set), oldest first (ties by id) after the request whose id is After,
// at most Limit (0: all).
type AfterSalesFilter struct {
	OrderID string
	Status  AfterSalesStatus
	After   string
	Limit   int
}

// AfterSalesRequest is a customer's request.
type AfterSalesRequest struct {
	OrderID  string
	LineNo   int
	Quantity int
	Reason   AfterSalesReason
	Note     string
	Idem     *Idempotency
}

// Validate checks a request's fields (and trims its note) before anything
// is read: bad input is validation_failed naming the field.
func (r *AfterSalesRequest) Validate() error {
	if err := checkID("order_id", r.OrderID); err != nil {
		return err
	}
	if r.LineNo < 1 {
		return FieldError("line_no", "must be the number of a line of the order (1 or more)")
	}
	if r.Quantity < 1 || r.Quantity > MaxStock {
		return FieldError("quantity", "must be between 1 and %d", MaxStock)
	}
	if !slices.Contains(AfterSalesReasons, r.Reason) {
		return FieldError("reason", "must be one of missing, damaged, quality, other")
	}
	note, err := checkText("note", r.Note, false, MaxAfterSalesNote)
	r.Note = note
	return err
}

// RequestAfterSale records a customer's request for a refund of units of
// a picked-up line, once per key. A request a rule approves is refunded in
// the same transaction; the others wait for an operator.
func (s *Service) RequestAfterSale(ctx context.Context, a Actor, req AfterSalesRequest) (Once[*AfterSale], error) {
	var none Once[*AfterSale]
	if err := req.Validate(); err != nil {
		return none, err
	}
	return exactlyOnce(ctx, s, req.Idem, nil, func(tx Store, now time.Time) (*AfterSale, error) {
		if err := tx.LockOrderForAfterSales(ctx, req.OrderID); err != nil && !IsNotFound(err) {
			return nil, err
		}
		o, err := tx.FindOrderByID(ctx, req.OrderID)
		if err != nil {
			return nil, err
		}
		if o.UserID != a.UserID {
			return nil, ErrNotFound
		}
		if err := s.checkAfterSalesWindow(ctx, tx, o, now); err != nil {
			return nil, err
		}
		l := o.line(req.LineNo)
		if l == nil {
			return nil, FieldError("line_no", "this order has no line %d", req.LineNo)
		}
		if left := l.Quantity - l.RefundedQuantity; req.Quantity > left {
			return nil, Errorf(CodeRefundExceedsPaid, "line %d has %d unit(s) not yet refunded; you asked for %d", l.LineNo, left, req.Quantity)
		}
		open, err := tx.FindAfterSales(ctx, AfterSalesFilter{OrderID: o.ID, Status: AfterSalesPending})
		if err != nil {
			return nil, err
		}
		for _, x := range open {
			if x.LineNo == l.LineNo {
				return nil, Errorf(CodeAfterSalesOpen, "line %d already has a request waiting for an operator (%s)", l.LineNo, x.ID)
			}
		}
		as := &AfterSale{ID: s.newID("as"), OrderID: o.ID, LineNo: l.LineNo, UserID: o.UserID, Quantity: req.Quantity,
			Reason: req.Reason, Note: req.Note, Status: AfterSalesPending, RefundFen: l.RefundFor(req.Quantity), CreatedAt: now}
		rule, err := s.autoRule(ctx, tx, o, l, as)
		if err != nil {
			return nil, err
		}
		if rule == "" {
			if err := tx.CreateAfterSale(ctx, as); err != nil {
				return nil, err
			}
			return as, nil
		}
		as.Status, as.ApprovedByRule, as.DecidedAt = AfterSalesApproved, rule, now
		if err := s.refundAfterSale(ctx, tx, o, l, as, now); err != nil {
			return nil, err
		}
		if err := tx.CreateAfterSale(ctx, as); err != nil {
			return nil, err
		}
		return as, s.notifyAfterSale(ctx, tx, as, now)
	})
}

// checkAfterSalesWindow fails unless o was picked up and its city's window
// after pickup is still open at now.
func (s *Service) checkAfterSalesWindow(ctx context.Context, tx Store, o *Order, now time.Time) error {
	if o.Status != OrderPickedUp || o.PickedUpAt.IsZero() {
		return Errorf(CodeAfterSalesWindowClosed, "after-sales is for orders you have picked up; this one is %s", o.Status)
	}
	window, err := tx.FindAfterSalesWindow(ctx, o.CityID)
	if err != nil {
		return err
	}
	if end := o.PickedUpAt.Add(window); !now.Before(end) {
		return Errorf(CodeAfterSalesWindowClosed, "the after-sales window of this order closed at %s", end.UTC().Format(time.RFC3339))
	}
	return nil
}

// autoRule returns the rule that approves as at once, or "" if an operator
// must decide. A refund at or under the configured amount is approved; so
// is a request for missing or damaged units of a line the leader already
// reported short at sign-off, as far as its units, with those the rule
// approved before on the line, do not exceed what the leader reported
// (the leader's count corroborates each unit once).
func (s *Service) autoRule(ctx context.Context, tx Store, o *Order, l *OrderLine, as *AfterSale) (string, error) {
	if as.RefundFen <= s.cfg.AfterSalesAutoFen {
		return AutoSmall, nil
	}
	if as.Reason != AfterSalesMissing && as.Reason != AfterSalesDamaged {
		return "", nil
	}
	pays, err := tx.FindPayments(ctx, PaymentFilter{OrderID: o.ID, Status: PaymentSucceeded})
	if err != nil {
		return "", err
	}
	short := 0
	for _, p := range pays {
		rs, err := tx.FindRefunds(ctx, p.ID, "", 0)
		if err != nil {
			return "", err
		}
		for _, r := range rs {
			if r.OrderID == o.ID && r.LineNo == l.LineNo && r.Reason == RefundShortage {
				short += r.Quantity
			}
		}
	}
	prior, err := tx.FindAfterSales(ctx, AfterSalesFilter{OrderID: o.ID, Status: AfterSalesApproved})
	if err != nil {
		return "", err
	}
	for _, x := range prior {
		if x.LineNo == l.LineNo && x.ApprovedByRule == AutoShortage {
			short -= x.Quantity // the leader's count corroborates each unit once
		}
	}
	if short > 0 && as.Quantity <= short {
		return AutoShortage, nil
	}
	return "", nil
}

// refundAfterSale is the one place an after-sales request's money moves:
// in tx it refunds as.Quantity units of line l of o (the part of the
// line's paid amount they carry, never more than what is left of it) on
// the line, with a guard so that a concurrent refund cannot push the
// line's refunds past what was paid, and records the partial refund the
// refund job sends to the provider, as a sign-off shortage does.
func (s *Service) refundAfterSale(ctx context.Context, tx Store, o *Order, l *OrderLine, as *AfterSale, now time.Time) error {
	if left := l.Quantity - l.RefundedQuantity; as.Quantity > left {
		return Errorf(CodeRefundExceedsPaid, "line %d has %d unit(s) not yet refunded; the request is for %d", l.LineNo, left, as.Quantity)
	}
	amount := l.RefundFor(as.Quantity)
	was := *l
	ok, err := tx.RefundOrderLine(ctx, o.ID, l.LineNo, l.RefundedQuantity, as.Quantity, amount)
	if err != nil {
		return err
	}
	if !ok {
		return Errorf(CodeConflict, "line %d of order %s was refunded meanwhile; look again and retry", l.LineNo, o.ID)
	}
	l.RefundedQuantity += as.Quantity
	l.RefundedFen += amount
	o.RefundedFen += amount
	as.RefundFen = amount
	if amount == 0 {
		return nil // a coupon made the line free: units back, no money
	}
	pays, err := tx.FindPayments(ctx, PaymentFilter{OrderID: o.ID, Status: PaymentSucceeded})
	if err != nil {
		return err
	}
	if len(pays) == 0 {
		return Errorf(CodeInternal, "order %s was picked up but has no succeeded payment", o.ID)
	}
	r := &Refund{ID: s.newID("rfd"), PaymentID: pays[0].ID, OrderID: o.ID, LineNo: l.LineNo, Quantity: as.Quantity,
		AmountFen: amount, Reason: RefundAfterSales + ":" + as.ID, Status: RefundPending, CreatedAt: now}
	if err := tx.CreateRefund(ctx, r); err != nil {
		return err
	}
	as.RefundID = r.ID
	return s.postRefundAfterPickup(ctx, tx, was, r, now)
}

// notifyAfterSale tells the customer how their request was decided.
func (s *Service) notifyAfterSale(ctx context.Context, tx Store, as *AfterSale, now time.Time) error {
	if as.Status == AfterSalesRejected {
		return s.notify(ctx, tx, as.UserID, as.OrderID, NotifyAfterSalesRejected, now, NotifyParams{Line: as.LineNo, Reason: as.RejectReason})
	}
	return s.notify(ctx, tx, as.UserID, as.OrderID, NotifyAfterSalesApproved, now, NotifyParams{Line: as.LineNo, RefundFen: as.RefundFen})
}

// The notifications of after-sales decisions.
const (
	NotifyAfterSalesApproved NotificationKind = "after_sales_approved"
	NotifyAfterSalesRejected NotificationKind = "after_sales_rejected"
)

// OrderAfterSales lists the requests of the caller's order, oldest first.
func (s *Service) OrderAfterSales(ctx context.Context, a Actor, orderID string) ([]AfterSale, error) {
	o, err := s.store.FindOrderByID(ctx, orderID)
	if err != nil {
		return nil, err
	}
	if o.UserID != a.UserID && !a.Role.IsStaff() {
		return nil, ErrNotFound
	}
	return s.store.FindAfterSales(ctx, AfterSalesFilter{OrderID: o.ID})
}

// AfterSalesQueue lists requests in a status (every status if empty) for
// an operator, oldest first, a page of at most limit after the cursor, and
// the next page's cursor, empty at the end.
func (s *Service) AfterSalesQueue(ctx context.Context, a Actor, status AfterSalesStatus, limit int, cursor string) ([]AfterSale, string, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, "", err
	}
	if status != "" && !slices.Contains([]AfterSalesStatus{AfterSalesPending, AfterSalesApproved, AfterSalesRejected}, status) {
		return nil, "", FieldError("status", "must be pending, approved or rejected")
	}
	limit, err := pageLimit(limit)
	if err != nil {
		return nil, "", err
	}
	if cursor != "" {
		if err := checkID("cursor", cursor); err != nil {
			return nil, "", err
		}
	}
	items, err := s.store.FindAfterSales(ctx, AfterSalesFilter{Status: status, After: cursor, Limit: limit + 1})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(items) > limit {
		items, next = items[:limit], items[limit-1].ID
	}
	return items, next, nil
}

// ApproveAfterSale approves a pending request and refunds it in the same
// transaction. A request already decided is refused with
// after_sales_decided.
func (s *Service) ApproveAfterSale(ctx context.Context, a Actor, id string) (*AfterSale, error) {
	return s.decideAfterSale(ctx, a, id, func(tx Store, o *Order, l *OrderLine, as *AfterSale, now time.Time) error {
		as.Status = AfterSalesApproved
		return s.refundAfterSale(ctx, tx, o, l, as, now)
	})
}

// RejectAfterSale rejects a pending request with a reason the customer
// sees.
func (s *Service) RejectAfterSale(ctx context.Context, a Actor, id, reason string) (*AfterSale, error) {
	reason, err := checkText("reason", reason, true, MaxAfterSalesNote)
	if err != nil {
		return nil, err
	}
	return s.decideAfterSale(ctx, a, id, func(_ Store, _ *Order, _ *OrderLine, as *AfterSale, _ time.Time) error {
		as.Status, as.RejectReason, as.RefundFen = AfterSalesRejected, reason, 0
		return nil
	})
}

// decideAfterSale is an operator's decision on a pending request: in one
// transaction the order is locked, the request read, decided by decide,
// written with a guard on its status, and the customer told.
func (s *Service) decideAfterSale(ctx context.Context, a Actor, id string, decide func(tx Store, o *Order, l *OrderLine, as *AfterSale, now time.Time) error) (*AfterSale, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	if err := checkID("id", id); err != nil {
		return nil, err
	}
	var as *AfterSale
	err := s.store.InTx(ctx, func(tx Store) error {
		now := s.clock.Now()
		var err error
		if as, err = tx.FindAfterSaleByID(ctx, id); err != nil {
			return err
		}
		if err := tx.LockOrderForAfterSales(ctx, as.OrderID); err != nil {
			return err
		}
		if as, err = tx.FindAfterSaleByID(ctx, id); err != nil { // again, under the lock
			return err
		}
		if as.Status != AfterSalesPending {
			return Errorf(CodeAfterSalesDecided, "this request was already %s", as.Status)
		}
		o, err := tx.FindOrderByID(ctx, as.OrderID)
		if err != nil {
			return err
		}
		l := o.line(as.LineNo)
		if l == nil {
			return Errorf(CodeInternal, "after-sales request %s names line %d, which order %s does not have", as.ID, as.LineNo, o.ID)
		}
		as.DecidedBy, as.DecidedAt = a.UserID, now
		if err := decide(tx, o, l, as, now); err != nil {
			return err
		}
		ok, err := tx.DecideAfterSale(ctx, as)
		if err != nil {
			return err
		}
		if !ok {
			return Errorf(CodeAfterSalesDecided, "this request was decided meanwhile")
		}
		return s.notifyAfterSale(ctx, tx, as, now)
	})
	if err != nil {
		return nil, err
	}
	return as, nil
}

// SetAfterSalesWindow sets how long after pickup a city's customers may
// ask, in whole hours.
func (s *Service) SetAfterSalesWindow(ctx context.Context, a Actor, cityID string, hours int) error {
	if err := checkID("city_id", cityID); err != nil {
		return err
	}
	if hours < 1 || hours > 24*90 {
		return FieldError("hours", "must be between 1 and %d", 24*90)
	}
	return s.asStaff(ctx, a, func(tx Store, _ time.Time) error { return tx.SetAfterSalesWindow(ctx, cityID, hours) })
}

// AfterSalesWindow returns how long after pickup a city's customers may ask.
func (s *Service) AfterSalesWindow(ctx context.Context, cityID string) (time.Duration, error) {
	return s.store.FindAfterSalesWindow(ctx, cityID)
}

// line returns the order's line numbered n, or nil.
func (o *Order) line(n int) *OrderLine {
	for i := range o.Lines {
		if o.Lines[i].LineNo == n {
			return &o.Lines[i]
		}
	}
	return nil
}

// AfterSalesStore is the storage of after-sales requests.
type AfterSalesStore interface {
	// CreateAfterSale stores a request; a second pending request for one
	// line is refused with after_sales_open.
	CreateAfterSale(ctx context.Context, as *AfterSale) error
	FindAfterSaleByID(ctx context.Context, id string) (*AfterSale, error)
	FindAfterSales(ctx context.Context, f AfterSalesFilter) ([]AfterSale, error)
	// DecideAfterSale writes an operator's decision on a pending request,
	// and reports false, changing nothing, if it is no longer pending.
	DecideAfterSale(ctx context.Context, as *AfterSale) (bool, error)
	// RefundOrderLine adds qty units and amount fen to a line's refunds
	// (and amount to its order's), if the line still has fromQty units
	// refunded and the result stays within its quantity and paid amount;
	// it reports whether it did.
	RefundOrderLine(ctx context.Context, orderID string, lineNo, fromQty, qty int, amount Fen) (bool, error)
	// LockOrderForAfterSales takes the order's write lock, so that
	// decisions on its lines are made one at a time.
	LockOrderForAfterSales(ctx context.Context, orderID string) error
	// FindAfterSalesWindow returns a city's after-sales window.
	FindAfterSalesWindow(ctx context.Context, cityID string) (time.Duration, error)
	SetAfterSalesWindow(ctx context.Context, cityID string, hours int) error
}
