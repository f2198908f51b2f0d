package tuango

import (
	"context"
	"time"
)

// CutoffRun is a city's cutoff (截单) for a delivery date: when it started
// and who started it (a user id, or "worker"), whether that was an early
// close (before the city's cutoff time), and once finished its summary.
type CutoffRun struct {
	CityID          string
	DeliveryDate    string
	StartedAt       time.Time
	StartedBy       string
	Early           bool
	FinishedAt      time.Time
	ConfirmedOrders int
	CancelledOrders int
	PurchaseOrders  int
	ConfirmedUnits  int
}

// DeliveryUnits is what a city's orders for a date hold: units per pickup
// point and deal, and orders per pickup point.
type DeliveryUnits struct {
	Units  []PointDealUnits
	Orders map[string]int // per pickup point
}

// PointDealUnits is the units of one deal ordered for one pickup point.
type PointDealUnits struct {
	PickupPointID string
	DealID        string
	UnitCostFen   Fen
	Quantity      int
}

// CutoffChunk is how many orders one cutoff transaction moves: on SQLite
// every write goes through the one writer, and small transactions let
// another city's orders in between.
const CutoffChunk = 200

// WorkerID is who the background worker is in records of who did what.
const WorkerID = "worker"

// Cutoff runs a city's cutoff for a delivery date for an operator (see
// RunCutoff).
func (s *Service) Cutoff(ctx context.Context, a Actor, cityID, date string) (*CutoffRun, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	return s.runCutoffObserved(ctx, cityID, date, a.UserID, nil)
}

// GetCutoff returns a finished cutoff's summary, or not_found.
func (s *Service) GetCutoff(ctx context.Context, a Actor, cityID, date string) (*CutoffRun, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	c, err := s.store.FindCutoff(ctx, cityID, date)
	if err != nil {
		return nil, err
	}
	if c.FinishedAt.IsZero() {
		return nil, Errorf(CodeNotFound, "the cutoff of %s for %s is still running", cityID, date)
	}
	return c, nil
}

// RunCutoff runs a city's cutoff for a delivery date, by who (a user id, or
// WorkerID): the sale of every deal of the city and date ends now (an early
// close, recorded, if the city's cutoff time has not come), every unpaid
// order for that date expires and gives its stock back, and every paid one
// is confirmed, in chunks of CutoffChunk orders; progress, if not nil, is
// told how many orders were moved so far. It is idempotent: a finished
// cutoff's summary is returned as it was stored, and a cutoff interrupted
// half way finishes where it stopped.
func (s *Service) RunCutoff(ctx context.Context, cityID, date, who string, progress func(moved int)) (*CutoffRun, error) {
	if err := checkID("city_id", cityID); err != nil {
		return nil, err
	}
	city, err := s.store.FindCityByID(ctx, cityID)
	if err != nil {
		return nil, err
	}
	due, err := city.CutoffFor(date)
	if err != nil {
		return nil, err
	}
	if c, err := s.store.FindCutoff(ctx, cityID, date); err == nil && !c.FinishedAt.IsZero() {
		return c, nil
	} else if err != nil && !IsNotFound(err) {
		return nil, err
	}
	if err := s.closeSale(ctx, city, date, who, due); err != nil {
		return nil, err
	}
	moved := 0
	step := func(status OrderStatus, move func(tx Store, o *Order, now time.Time) error) error {
		for {
			orders, err := s.store.FindOrders(ctx, OrderFilter{CityID: cityID, DeliveryDate: date, Status: status, Limit: CutoffChunk})
			if err != nil || len(orders) == 0 {
				return err
			}
			var deals []string
			for i := range orders {
				deals = append(deals, orders[i].dealIDs()...)
			}
			err = s.store.InTx(ctx, func(tx Store) error {
				if err := tx.Lock(ctx, EntityDeal, deals...); err != nil {
					return err
				}
				now := s.clock.Now()
				for i := range orders {
					if err := move(tx, &orders[i], now); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			moved += len(orders)
			if progress != nil {
				progress(moved)
			}
		}
	}
	// Unpaid first: an order paid meanwhile is left for the second step,
	// which starts only once no order of the date is unpaid (the sale is
	// closed, so none is placed any more).
	expire := func(tx Store, o *Order, now time.Time) error {
		_, err := s.cancel(ctx, tx, o, byWorker(cityID), CancelExpired, now)
		return err
	}
	confirm := func(tx Store, o *Order, now time.Time) error {
		ok, err := moveOrder(ctx, tx, o, OrderConfirmed, byWorker(cityID), now, "")
		if err != nil || !ok {
			return err
		}
		return s.notify(ctx, tx, o.UserID, o.ID, NotifyConfirmed, now, "您的订单 %s 已截单确认，将于 %s 送到自提点。", o.ID, date)
	}
	if err := step(OrderPendingPayment, expire); err != nil {
		return nil, err
	}
	if err := step(OrderPaid, confirm); err != nil {
		return nil, err
	}
	return s.finishCutoff(ctx, cityID, date)
}

// closeSale records the cutoff's start, once, and ends the sale of every
// deal of the city and date that is still on sale or yet to start.
func (s *Service) closeSale(ctx context.Context, city *City, date, who string, due time.Time) error {
	deals, err := s.store.FindDeals(ctx, DealFilter{CityID: city.ID, DeliveryDate: date})
	if err != nil {
		return err
	}
	ids := make([]string, len(deals))
	for i := range deals {
		ids[i] = deals[i].ID
	}
	return s.store.InTx(ctx, func(tx Store) error {
		now := s.clock.Now()
		err := tx.CreateCutoff(ctx, &CutoffRun{CityID: city.ID, DeliveryDate: date, StartedAt: now, StartedBy: who, Early: now.Before(due)})
		if ErrorCode(err) == CodeConflict {
			return nil // started before: the sale is closed
		}
		if err != nil {
			return err
		}
		if err := tx.Lock(ctx, EntityDeal, ids...); err != nil {
			return err
		}
		deals, err := tx.FindDeals(ctx, DealFilter{IDs: ids})
		if err != nil {
			return err
		}
		for i := range deals {
			d := &deals[i]
			if !d.SaleEndsAt.After(now) {
				continue
			}
			if d.SaleStartsAt.After(now) {
				d.SaleStartsAt = now.Add(-time.Microsecond)
			}
			d.SaleEndsAt, d.UpdatedAt = now, now
			if err := tx.UpdateDeal(ctx, d); err != nil {
				return err
			}
			s.soldOut.clear(d.ID)
		}
		return nil
	})
}

// finishCutoff counts what the cutoff left and stores it as the summary,
// once: a second run reads the first one's.
func (s *Service) finishCutoff(ctx context.Context, cityID, date string) (*CutoffRun, error) {
	var c *CutoffRun
	err := s.store.InTx(ctx, func(tx Store) error {
		var err error
		if c, err = tx.FindCutoff(ctx, cityID, date); err != nil {
			return err
		}
		if !c.FinishedAt.IsZero() {
			return nil
		}
		lists, err := s.dayLists(ctx, tx, cityID, date)
		if err != nil {
			return err
		}
		cancelled, err := tx.SumDeliveryUnits(ctx, cityID, date, []OrderStatus{OrderCancelled})
		if err != nil {
			return err
		}
		c.FinishedAt = s.clock.Now()
		c.ConfirmedOrders, c.ConfirmedUnits, c.PurchaseOrders = lists.orders, lists.units, len(lists.PurchaseOrders)
		for _, n := range cancelled.Orders {
			c.CancelledOrders += n
		}
		_, err = tx.FinishCutoff(ctx, c)
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// CutoffsDue runs the cutoff of every city and delivery date whose cutoff
// time has passed and that has none yet, and reports how many it ran: the
// worker's sweep, under a lease.
func (s *Service) CutoffsDue(ctx context.Context) (int, error) {
	cities, err := s.store.FindCities(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for i := range cities {
		dates, err := s.store.FindUncutDates(ctx, cities[i].ID)
		if err != nil {
			return n, err
		}
		for _, date := range dates {
			due, err := cities[i].CutoffFor(date)
			if err != nil || s.clock.Now().Before(due) {
				continue
			}
			if _, err := s.runCutoffObserved(ctx, cities[i].ID, date, WorkerID, nil); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// Dispatch ships a route's confirmed orders for a delivery date: the
// operator or the warehouse sends the route's truck. It reports how many
// orders it shipped; a second call ships none and is not an error.
func (s *Service) Dispatch(ctx context.Context, a Actor, routeID, date string) (int, error) {
	if err := a.RequireStaff(); err != nil {
		return 0, err
	}
	if err := checkID("route_id", routeID); err != nil {
		return 0, err
	}
	r, err := s.store.FindRouteByID(ctx, routeID)
	if err != nil {
		return 0, err
	}
	if !dateRE.MatchString(date) {
		return 0, FieldError("delivery_date", "must be a date written YYYY-MM-DD")
	}
	pps, err := s.store.FindPickupPoints(ctx, PickupPointFilter{})
	if err != nil {
		return 0, err
	}
	by := MoveBy{Mover: MoverOperator, ActorID: a.UserID, Place: r.ID}
	n := 0
	for _, pp := range pps {
		if pp.RouteID != r.ID {
			continue
		}
		shippedHere := 0
		for {
			orders, err := s.store.FindOrders(ctx, OrderFilter{PickupPointID: pp.ID, DeliveryDate: date, Status: OrderConfirmed, Limit: CutoffChunk})
			if err != nil {
				return n, err
			}
			if len(orders) == 0 {
				break
			}
			first := shippedHere == 0
			err = s.store.InTx(ctx, func(tx Store) error {
				now := s.clock.Now()
				for i := range orders {
					if _, err := moveOrder(ctx, tx, &orders[i], OrderShipped, by, now, ""); err != nil {
						return err
					}
				}
				if !first {
					return nil
				}
				return s.notify(ctx, tx, pp.LeaderID, "", NotifyDispatched, now, "%s 的货已从 %s 发车，请准备签收（%s）。", date, r.Name, pp.Name)
			})
			if err != nil {
				return n, err
			}
			n += len(orders)
			shippedHere += len(orders)
		}
	}
	return n, nil
}
