package tuango

import (
	"context"
	"sort"
	"time"
)

// The leader's day: what arrives at their pickup point, signing for it
// (签收) with what is short or damaged, and handing orders over against
// their pickup codes (核销).

// Delivery is what a pickup point receives for a date: units per deal,
// and the orders they make up.
type Delivery struct {
	PickupPointID string
	DeliveryDate  string
	Lines         []DeliveryLine
	Orders        []DeliveryOrder
}

// DeliveryLine is the units of one deal a point receives.
type DeliveryLine struct {
	DealID    string
	ProductID string
	Title     string
	Quantity  int
}

// DeliveryOrder is one customer's order in a delivery.
type DeliveryOrder struct {
	Order        *Order
	CustomerName string
}

// SignLine is what a leader counted of one deal: Received counts every
// unit that arrived, damaged ones included; Damaged is how many of those
// cannot be handed over.
type SignLine struct {
	DealID   string
	Received int
	Damaged  int
}

// SignRequest is a leader's sign-off for a date.
type SignRequest struct {
	DeliveryDate string
	Lines        []SignLine
	Idem         *Idempotency
}

// LineRefund is one partial refund a sign-off made.
type LineRefund struct {
	OrderID   string
	LineNo    int
	Quantity  int
	AmountFen Fen
}

// SignResult is the answer of a sign-off.
type SignResult struct {
	PickupPointID string
	DeliveryDate  string
	Refunds       []LineRefund
}

// leaderPoint returns the pickup point a leader runs (the first by id, if
// they run several).
func (s *Service) leaderPoint(ctx context.Context, tx Store, a Actor) (*PickupPoint, error) {
	if a.Role != RoleLeader {
		return nil, Errorf(CodeForbidden, "this needs a group leader's account")
	}
	pps, err := tx.FindPickupPoints(ctx, PickupPointFilter{LeaderID: a.UserID})
	if err != nil {
		return nil, err
	}
	if len(pps) == 0 {
		return nil, Errorf(CodeNotFound, "you run no pickup point")
	}
	return &pps[0], nil
}

func checkDate(field, date string) error {
	if !dateRE.MatchString(date) {
		return FieldError(field, "must be a date written YYYY-MM-DD")
	}
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return FieldError(field, "is not a real date")
	}
	return nil
}

// LeaderDelivery returns what the leader's point receives for a date.
func (s *Service) LeaderDelivery(ctx context.Context, a Actor, date string) (*Delivery, error) {
	pp, err := s.leaderPoint(ctx, s.store, a)
	if err != nil {
		return nil, err
	}
	if err := checkDate("date", date); err != nil {
		return nil, err
	}
	orders, err := s.store.FindOrders(ctx, OrderFilter{PickupPointID: pp.ID, DeliveryDate: date, Statuses: DeliveredStatuses})
	if err != nil {
		return nil, err
	}
	d := &Delivery{PickupPointID: pp.ID, DeliveryDate: date, Lines: []DeliveryLine{}, Orders: []DeliveryOrder{}}
	units := map[string]int{}
	titles := map[string]string{}
	names := map[string]string{}
	for i := range orders {
		o := &orders[i]
		for _, l := range o.Lines {
			units[l.DealID] += l.Quantity
			titles[l.DealID] = l.Title
		}
		name, ok := names[o.UserID]
		if !ok {
			u, err := s.store.FindUserByID(ctx, o.UserID)
			if err != nil {
				return nil, err
			}
			name, names[o.UserID] = u.Name, u.Name
		}
		o.PickupCode = "" // the customer shows it; the leader never sees it
		d.Orders = append(d.Orders, DeliveryOrder{Order: o, CustomerName: name})
	}
	deals, err := s.store.FindDeals(ctx, DealFilter{IDs: sortedKeys(units)})
	if err != nil {
		return nil, err
	}
	for _, dl := range deals {
		d.Lines = append(d.Lines, DeliveryLine{DealID: dl.ID, ProductID: dl.ProductID, Title: titles[dl.ID], Quantity: units[dl.ID]})
	}
	sort.Slice(d.Lines, func(i, j int) bool { return d.Lines[i].DealID < d.Lines[j].DealID })
	return d, nil
}

// SignDelivery records a leader's sign-off for a date, once per key: the
// point's shipped orders become arrived, and every unit short (expected −
// received + damaged) becomes, in the same transaction, a partial refund
// of an order line at the price paid. The last-placed orders lose first
// (shortage), so the rule is deterministic and rewards ordering early; an
// order all of whose units are short ends refunded. A second sign-off for
// the date is refused with already_signed.
func (s *Service) SignDelivery(ctx context.Context, a Actor, req SignRequest) (Once[*SignResult], error) {
	var none Once[*SignResult]
	if a.Role != RoleLeader {
		return none, Errorf(CodeForbidden, "this needs a group leader's account")
	}
	if err := checkDate("delivery_date", req.DeliveryDate); err != nil {
		return none, err
	}
	seen := map[string]bool{}
	for i, l := range req.Lines {
		field := "lines[" + itoa(i) + "]"
		if err := checkID(field+".deal_id", l.DealID); err != nil {
			return none, err
		}
		if seen[l.DealID] {
			return none, FieldError(field+".deal_id", "names the same deal twice")
		}
		seen[l.DealID] = true
		if l.Received < 0 || l.Received > MaxStock {
			return none, FieldError(field+".received", "must be between 0 and %d", MaxStock)
		}
		if l.Damaged < 0 || l.Damaged > l.Received {
			return none, FieldError(field+".damaged", "must be between 0 and received (%d)", l.Received)
		}
	}
	if _, err := s.leaderPoint(ctx, s.store, a); err != nil {
		return none, err
	}
	return exactlyOnce(ctx, s, req.Idem, nil, func(tx Store, now time.Time) (*SignResult, error) {
		pp, err := s.leaderPoint(ctx, tx, a)
		if err != nil {
			return nil, err
		}
		if err := tx.Lock(ctx, EntityPickupPoint, pp.ID); err != nil {
			return nil, err
		}
		orders, err := tx.FindOrders(ctx, OrderFilter{PickupPointID: pp.ID, DeliveryDate: req.DeliveryDate, Statuses: DeliveredStatuses})
		if err != nil {
			return nil, err
		}
		return s.sign(ctx, tx, a, pp, req, orders, now)
	})
}

func (s *Service) sign(ctx context.Context, tx Store, a Actor, pp *PickupPoint, req SignRequest, orders []Order, now time.Time) (*SignResult, error) {
	var shipped []*Order
	expected := map[string]int{}
	signed := false
	for i := range orders {
		switch orders[i].Status {
		case OrderShipped:
			shipped = append(shipped, &orders[i])
			for _, l := range orders[i].Lines {
				expected[l.DealID] += l.Quantity
			}
		case OrderConfirmed:
		default:
			signed = true
		}
	}
	if len(shipped) == 0 {
		if signed {
			return nil, Errorf(CodeAlreadySigned, "the delivery of %s to this pickup point is already signed for", req.DeliveryDate)
		}
		return nil, Errorf(CodeConflict, "nothing was dispatched to this pickup point for %s yet", req.DeliveryDate)
	}
	short := map[string]int{}
	for i, l := range req.Lines {
		exp, ok := expected[l.DealID]
		if !ok {
			return nil, FieldError("lines["+itoa(i)+"].deal_id", "this deal is not in the delivery")
		}
		if n := exp - l.Received + l.Damaged; n > 0 {
			short[l.DealID] = min(n, exp)
		}
	}
	// The last placed lose first: orders were found oldest first.
	for i := len(shipped) - 1; i >= 0; i-- {
		o := shipped[i]
		for j := range o.Lines {
			l := &o.Lines[j]
			n := min(short[l.DealID], l.Quantity-l.RefundedQuantity)
			if n <= 0 {
				continue
			}
			short[l.DealID] -= n
			amount := l.RefundFor(n) // what the customer paid for those units
			l.RefundedQuantity += n
			l.RefundedFen += amount
			o.RefundedFen += amount
		}
	}
	by := MoveBy{Mover: MoverLeader, ActorID: a.UserID, Place: pp.ID}
	res := &SignResult{PickupPointID: pp.ID, DeliveryDate: req.DeliveryDate, Refunds: []LineRefund{}}
	for _, o := range shipped {
		to := OrderArrived
		if o.allUnitsRefunded() {
			to = OrderRefunded
		}
		before := o.RefundedFen
		ok, err := moveOrder(ctx, tx, o, to, by, now, "")
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, Errorf(CodeConflict, "order %s changed while the delivery was being signed for; try again", o.ID)
		}
		if before == 0 {
			if err := s.notify(ctx, tx, o.UserID, o.ID, NotifyArrived, now, NotifyParams{Point: pp.Name}); err != nil {
				return nil, err
			}
			continue
		}
		if err := s.refundLines(ctx, tx, o, now, res); err != nil {
			return nil, err
		}
		if err := s.notify(ctx, tx, o.UserID, o.ID, NotifyShort, now, NotifyParams{Point: pp.Name, RefundFen: o.RefundedFen}); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// refundLines records a pending partial refund of each refunded line of o
// against its payment; the refund job sends them.
func (s *Service) refundLines(ctx context.Context, tx Store, o *Order, now time.Time, res *SignResult) error {
	pays, err := tx.FindPayments(ctx, PaymentFilter{OrderID: o.ID, Status: PaymentSucceeded})
	if err != nil {
		return err
	}
	if len(pays) == 0 {
		return Errorf(CodeInternal, "order %s is delivered but has no succeeded payment", o.ID)
	}
	for _, l := range o.Lines {
		if l.RefundedQuantity == 0 {
			continue
		}
		r := &Refund{ID: s.newID("rfd"), PaymentID: pays[0].ID, OrderID: o.ID, LineNo: l.LineNo, Quantity: l.RefundedQuantity,
			AmountFen: l.RefundedFen, Reason: RefundShortage, Status: RefundPending, CreatedAt: now}
		if err := tx.CreateRefund(ctx, r); err != nil {
			return err
		}
		if err := s.postRefundGranted(ctx, tx, r, now); err != nil {
			return err
		}
		res.Refunds = append(res.Refunds, LineRefund{OrderID: o.ID, LineNo: l.LineNo, Quantity: l.RefundedQuantity, AmountFen: l.RefundedFen})
	}
	return nil
}
