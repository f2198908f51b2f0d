package tuango

import (
	"context"
	"slices"
	"time"
)

// The operating calendar: the operator closes a city for a delivery date
// (休市), a leader or an operator closes a pickup point for a range of
// dates (歇业). Deals for a closed date cannot be ordered there.

// Closure is a city or a pickup point closed for dates, with the reason
// shown to customers.
type Closure struct {
	ID            string // a pickup point closure's id
	CityID        string // for a city closure
	PickupPointID string // for a pickup point closure
	From, To      string // YYYY-MM-DD, inclusive; a city closure's are one date
	Reason        string
	ClosedBy      string
	CreatedAt     time.Time
}

// closedOn reports whether the closure covers date.
func (c *Closure) closedOn(date string) bool { return c.From <= date && date <= c.To }

// ClosureInput is a closure as a leader or an operator types it: a city
// closure's From and To are its one date.
type ClosureInput struct {
	From, To, Reason string
}

// Check validates in as ClosePickupPoint and CloseCity do, without
// closing anything; today is the city's date (City.Today), before which
// no closure may begin.
func (in ClosureInput) Check(today string) error {
	return checkClosure(&Closure{From: in.From, To: in.To, Reason: in.Reason}, today)
}

// checkClosure checks c's dates and reason, trimming the reason: from
// before today is refused, as those days are over and closing them would
// change nothing but the record of what was open.
func checkClosure(c *Closure, today string) error {
	if err := checkDate("from", c.From); err != nil {
		return err
	}
	if err := checkDate("to", c.To); err != nil {
		return err
	}
	if c.To < c.From {
		return FieldError("to", "must not be before from")
	}
	var err error
	if c.Reason, err = checkText("reason", c.Reason, true, 200); err != nil {
		return err
	}
	if c.From < today {
		return FieldError("from", "must be today (%s) or later: a closure cannot begin in the past", today)
	}
	return nil
}

// CloseCity closes a city for a delivery date from today on (in the
// city's time zone); closing it again changes the reason.
func (s *Service) CloseCity(ctx context.Context, a Actor, cityID, date, reason string) (*Closure, error) {
	c := &Closure{CityID: cityID, From: date, To: date, Reason: reason, ClosedBy: a.UserID}
	err := s.asStaff(ctx, a, func(tx Store, now time.Time) error {
		today, err := cityToday(ctx, tx, cityID, now)
		if err != nil {
			return err
		}
		if err := checkClosure(c, today); err != nil {
			return err
		}
		c.CreatedAt = now
		return tx.SaveCityClosure(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// ClosePickupPoint closes a pickup point for a range of dates from today
// on (in its city's time zone): its leader or an operator may. Orders
// already placed for those dates stay as they are (moving them is the
// operator's next step).
func (s *Service) ClosePickupPoint(ctx context.Context, a Actor, ppID string, c *Closure) error {
	if !a.Role.IsStaff() && a.Role != RoleLeader {
		return Errorf(CodeForbidden, "this needs the point's leader or an operator")
	}
	return s.store.InTx(ctx, func(tx Store) error {
		pp, err := tx.FindPickupPointByID(ctx, ppID)
		if err != nil {
			return err
		}
		if !a.Role.IsStaff() && pp.LeaderID != a.UserID {
			return ErrNotFound // another leader's point is as a missing one
		}
		now := s.clock.Now()
		today, err := cityToday(ctx, tx, pp.CityID, now)
		if err != nil {
			return err
		}
		if err := checkClosure(c, today); err != nil {
			return err
		}
		c.ID, c.PickupPointID, c.ClosedBy, c.CreatedAt = s.newID("ppc"), pp.ID, a.UserID, now
		return tx.AddPickupPointClosure(ctx, c)
	})
}

// cityToday is the city's date at now.
func cityToday(ctx context.Context, tx Store, cityID string, now time.Time) (string, error) {
	city, err := tx.FindCityByID(ctx, cityID)
	if err != nil {
		return "", err
	}
	return city.Today(now)
}

// MoveOrders moves the open orders (unpaid, paid or confirmed) of a
// pickup point for a delivery date to another open point of the same
// route, as when the first closes, and tells each customer. It reports how
// many it moved; a second call moves none.
func (s *Service) MoveOrders(ctx context.Context, a Actor, fromID, toID, date string) (int, error) {
	if err := a.RequireStaff(); err != nil {
		return 0, err
	}
	if err := checkDate("delivery_date", date); err != nil {
		return 0, err
	}
	if err := checkID("to_pickup_point_id", toID); err != nil {
		return 0, err
	}
	from, err := s.store.FindPickupPointByID(ctx, fromID)
	if err != nil {
		return 0, err
	}
	to, err := s.store.FindPickupPointByID(ctx, toID)
	if IsNotFound(err) || (err == nil && (!to.Active || to.ID == from.ID)) {
		return 0, FieldError("to_pickup_point_id", "no other open pickup point has this id")
	}
	if err != nil {
		return 0, err
	}
	if to.RouteID != from.RouteID || to.CityID != from.CityID {
		return 0, FieldError("to_pickup_point_id", "is not on the route of pickup point %s", from.ID)
	}
	orders, err := s.store.FindOrders(ctx, OrderFilter{PickupPointID: from.ID, DeliveryDate: date,
		Statuses: []OrderStatus{OrderPendingPayment, OrderPaid, OrderConfirmed}})
	if err != nil {
		return 0, err
	}
	n := 0
	err = s.store.InTx(ctx, func(tx Store) error {
		n = 0
		now := s.clock.Now()
		for i := range orders {
			o := &orders[i]
			code := o.PickupCode
			if code != "" {
				if _, err := tx.FindOrderByPickupCode(ctx, to.ID, code); err == nil {
					moved := *o
					moved.PickupPointID = to.ID
					if code, err = s.newPickupCode(ctx, tx, &moved); err != nil {
						return err
					}
				} else if !IsNotFound(err) {
					return err
				}
			}
			ok, err := tx.MoveOrderPickupPoint(ctx, o.ID, o.Status, from.ID, to.ID, code)
			if err != nil {
				return err
			}
			if !ok {
				continue // it moved on meanwhile
			}
			n++
			if err := s.notify(ctx, tx, o.UserID, o.ID, NotifyMoved, now, NotifyParams{Date: date, Point: from.Name, ToPoint: to.Name, ToAddress: to.Address}); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// CancelPointClosed is the cancel reason of an order whose pickup point
// closed for its delivery date.
const CancelPointClosed = "pickup_point_closed"

// ClosedOrders is what CancelClosedOrders did: how many orders it
// cancelled, what it refunds, and how many are past the cutoff (confirmed
// or later, on the day's lists), which it left for MoveOrders.
type ClosedOrders struct {
	Cancelled   int
	RefundedFen Fen
	Confirmed   int
}

// CancelClosedOrders cancels the orders of a pickup point closed on a
// delivery date that are not yet confirmed (unpaid or paid), gives their
// stock back, refunds the paid ones through the payment provider (the
// refund job sends them) and tells each customer: one transaction per
// order, so a large point never holds the writer for long. Confirmed
// orders are on the cutoff's lists and are moved instead. Run again, it
// cancels none.
func (s *Service) CancelClosedOrders(ctx context.Context, a Actor, ppID, date string) (ClosedOrders, error) {
	var res ClosedOrders
	if err := a.RequireStaff(); err != nil {
		return res, err
	}
	if err := checkDate("delivery_date", date); err != nil {
		return res, err
	}
	pp, err := s.store.FindPickupPointByID(ctx, ppID)
	if err != nil {
		return res, err
	}
	shut, err := s.store.FindClosures(ctx, nil, []string{pp.ID}, date)
	if err != nil {
		return res, err
	}
	if !slices.ContainsFunc(shut, func(c Closure) bool { return c.PickupPointID == pp.ID && c.closedOn(date) }) {
		return res, Errorf(CodePickupPointOpen, "pickup point %s is open on %s: close it for that date first", pp.ID, date)
	}
	orders, err := s.store.FindOrders(ctx, OrderFilter{PickupPointID: pp.ID, DeliveryDate: date,
		Statuses: []OrderStatus{OrderPendingPayment, OrderPaid, OrderConfirmed}})
	if err != nil {
		return res, err
	}
	by := MoveBy{Mover: MoverOperator, ActorID: a.UserID, Place: pp.ID}
	for i := range orders {
		if orders[i].Status == OrderConfirmed {
			res.Confirmed++
			continue
		}
		var done bool
		var refunded Fen
		err := s.store.InTx(ctx, func(tx Store) error {
			o, err := tx.FindOrderByID(ctx, orders[i].ID)
			if err != nil {
				return err
			}
			done, refunded = false, 0
			if o.PickupPointID != pp.ID || !o.Status.CanMove(OrderCancelled, MoverOperator) {
				return nil // it moved on meanwhile: confirmed, moved or cancelled
			}
			if err := tx.Lock(ctx, EntityDeal, o.dealIDs()...); err != nil {
				return err
			}
			paid := o.Status == OrderPaid
			now := s.clock.Now()
			if done, err = s.cancel(ctx, tx, o, by, CancelPointClosed, now); err != nil || !done {
				return err
			}
			if paid {
				refunded = o.PayableFen() // what the payments gave back: the total less any coupon
			}
			return s.notify(ctx, tx, o.UserID, o.ID, NotifyClosed, now, NotifyParams{Date: date, Point: pp.Name, RefundFen: refunded})
		})
		if err != nil {
			return res, err
		}
		if done {
			res.Cancelled++
			res.RefundedFen += refunded
		}
	}
	return res, nil
}
