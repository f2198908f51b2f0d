package tuango

import (
	"context"
	"slices"
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
	// While it runs: the orders it moved so far and the total it set out
	// to move (counted when it started, or resumed).
	MovedOrders int
	TotalOrders int
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

// DefaultCutoffChunk is how many paid orders one cutoff transaction
// confirms, in a few set-based statements (Config.CutoffChunk);
// ExpireChunk is how many unpaid orders one expires, each by itself (a
// cancellation gives stock back, and more).
// On SQLite every write goes through the one writer: a chunk's
// transaction is kept short so that another city's orders get in between
// (see docs/benchmarks.md for how they were chosen).
const (
	DefaultCutoffChunk = 1000
	ExpireChunk        = 200
)

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

// GetCutoff returns a finished cutoff's summary, or not_found: before the
// cutoff started, and while it runs (then saying how far it is).
func (s *Service) GetCutoff(ctx context.Context, a Actor, cityID, date string) (*CutoffRun, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	c, err := s.store.FindCutoff(ctx, cityID, date)
	if err != nil {
		return nil, err
	}
	if c.FinishedAt.IsZero() {
		return nil, Errorf(CodeNotFound, "the cutoff of %s for %s is still running: %d of %d orders moved", cityID, date, c.MovedOrders, c.TotalOrders)
	}
	return c, nil
}

// cutoffStatuses are the statuses a cutoff moves orders out of.
var cutoffStatuses = []OrderStatus{OrderPendingPayment, OrderPaid}

// RunCutoff runs a city's cutoff for a delivery date, by who (a user id, or
// WorkerID): the sale of every deal of the city and date ends now (an early
// close, recorded, if the city's cutoff time has not come), every unpaid
// order for that date expires and gives its stock back, and every paid one
// is confirmed, in chunks (ExpireChunk, Config.CutoffChunk), each chunk's
// transaction counting its moves on the cutoff's row so that any node can
// show the progress; progress, if not nil, is told after each chunk how
// many orders were moved so far and how many there are to move. It is
// idempotent: a finished cutoff's summary is returned as it was stored,
// and a cutoff interrupted half way finishes where it stopped.
func (s *Service) RunCutoff(ctx context.Context, cityID, date, who string, progress func(moved, total int)) (*CutoffRun, error) {
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
	// The total to move: what is left now, plus what an interrupted run
	// of this cutoff moved before.
	left, err := s.store.CountDeliveryOrders(ctx, cityID, date, cutoffStatuses)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.SetCutoffTotal(ctx, cityID, date, left); err != nil {
		return nil, err
	}
	c, err := s.store.FindCutoff(ctx, cityID, date)
	if err != nil {
		return nil, err
	}
	moved, total := c.MovedOrders, c.TotalOrders
	chunkDone := func(n int) {
		moved += n
		if progress != nil {
			progress(moved, total)
		}
	}
	// Unpaid first: an order paid meanwhile is left for the second step,
	// which starts only once no order of the date is unpaid (the sale is
	// closed, so none is placed any more) and so sees every paid order.
	if err := s.expireForCutoff(ctx, cityID, date, chunkDone); err != nil {
		return nil, err
	}
	if err := s.confirmForCutoff(ctx, cityID, date, chunkDone); err != nil {
		return nil, err
	}
	return s.finishCutoff(ctx, cityID, date)
}

// expireForCutoff cancels a city's unpaid orders for a date, each through
// the one cancellation (s.cancel), ExpireChunk to a transaction, and
// tells done how many each chunk cancelled.
func (s *Service) expireForCutoff(ctx context.Context, cityID, date string, done func(int)) error {
	for {
		orders, err := s.store.FindOrders(ctx, OrderFilter{CityID: cityID, DeliveryDate: date, Status: OrderPendingPayment, Limit: ExpireChunk})
		if err != nil || len(orders) == 0 {
			return err
		}
		var deals []string
		for i := range orders {
			deals = append(deals, orders[i].dealIDs()...)
		}
		n := 0
		err = s.store.InTx(ctx, func(tx Store) error {
			n = 0 // the transaction may run again after a deadlock
			if err := tx.Lock(ctx, EntityDeal, deals...); err != nil {
				return err
			}
			now := s.clock.Now()
			for i := range orders {
				o := orders[i] // a copy: a transaction run again starts afresh
				ok, err := s.cancel(ctx, tx, &o, byWorker(cityID), CancelExpired, now)
				if err != nil {
					return err
				}
				if ok {
					n++
				}
			}
			_, err := tx.AddCutoffMoved(ctx, cityID, date, n)
			return err
		})
		if err != nil {
			return err
		}
		done(n)
	}
}

// confirmForCutoff confirms a city's paid orders for a date,
// Config.CutoffChunk to a transaction of a few set-based statements: the
// guarded status update, the timeline's events, the customers'
// notifications and the cutoff's progress. The orders are read page
// after page by key; once the walk ends, one more read from the start
// makes sure none is left.
func (s *Service) confirmForCutoff(ctx context.Context, cityID, date string, done func(int)) error {
	var after *Order
	for {
		orders, err := s.store.FindOrders(ctx, OrderFilter{CityID: cityID, DeliveryDate: date, Status: OrderPaid, DayAfter: after, WithoutLines: true, Limit: s.cfg.CutoffChunk})
		if err != nil {
			return err
		}
		if len(orders) == 0 {
			if after == nil {
				return nil
			}
			after = nil
			continue
		}
		last := orders[len(orders)-1]
		after = &last
		n := 0
		err = s.store.InTx(ctx, func(tx Store) error {
			now := s.clock.Now()
			batch := slices.Clone(orders) // a transaction run again starts afresh
			moved, err := moveOrders(ctx, tx, batch, OrderPaid, OrderConfirmed, byWorker(cityID), now)
			if err != nil {
				return err
			}
			notes := make([]*Message, len(moved))
			for i, o := range moved {
				notes[i] = s.confirmedNote(o, date, now)
			}
			if err := s.notifyMany(ctx, tx, notes); err != nil {
				return err
			}
			n = len(moved)
			_, err = tx.AddCutoffMoved(ctx, cityID, date, n)
			return err
		})
		if err != nil {
			return err
		}
		done(n)
	}
}

// confirmedNote tells an order's customer that the cutoff confirmed it.
func (s *Service) confirmedNote(o *Order, date string, now time.Time) *Message {
	return s.message(o.UserID, o.ID, NotifyConfirmed, NotifyParams{Date: date}, now)
}

// closeSale records the cutoff's start, once, and ends the sale of every
// deal of the city and date that is still on sale or yet to start. The
// start is its own transaction, under the city's lock that a deal's save
// also takes (checkDeal): a deal saved before it is found below, and one
// saved after it is refused. The deals are then read and ended in a
// second transaction, which a run resumed after a crash between the two
// does again.
func (s *Service) closeSale(ctx context.Context, city *City, date, who string, due time.Time) error {
	err := s.store.InTx(ctx, func(tx Store) error {
		if err := tx.Lock(ctx, EntityCity, city.ID); err != nil {
			return err
		}
		now := s.clock.Now()
		err := tx.CreateCutoff(ctx, &CutoffRun{CityID: city.ID, DeliveryDate: date, StartedAt: now, StartedBy: who, Early: now.Before(due)})
		if ErrorCode(err) == CodeConflict {
			return nil // started before
		}
		return err
	})
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx Store) error {
		now := s.clock.Now()
		deals, err := tx.FindDeals(ctx, DealFilter{CityID: city.ID, DeliveryDate: date})
		if err != nil {
			return err
		}
		ids := make([]string, 0, len(deals))
		for i := range deals {
			if deals[i].SaleEndsAt.After(now) {
				ids = append(ids, deals[i].ID)
			}
		}
		if len(ids) == 0 {
			return nil
		}
		if err := tx.Lock(ctx, EntityDeal, ids...); err != nil {
			return err
		}
		deals, err = tx.FindDeals(ctx, DealFilter{IDs: ids})
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
// once: a second run reads the first one's. The counting reads outside a
// transaction, so that on SQLite the one writer is not held while a large
// day's lines are summed: once every order of the date is confirmed or
// cancelled (the sale closed), what the lists count no longer changes.
func (s *Service) finishCutoff(ctx context.Context, cityID, date string) (*CutoffRun, error) {
	c, err := s.store.FindCutoff(ctx, cityID, date)
	if err != nil || !c.FinishedAt.IsZero() {
		return c, err
	}
	lists, err := s.dayLists(ctx, s.store, cityID, date)
	if err != nil {
		return nil, err
	}
	cancelled, err := s.store.CountDeliveryOrders(ctx, cityID, date, []OrderStatus{OrderCancelled})
	if err != nil {
		return nil, err
	}
	c.FinishedAt = s.clock.Now()
	c.ConfirmedOrders, c.ConfirmedUnits, c.PurchaseOrders = lists.orders, lists.units, len(lists.PurchaseOrders)
	c.CancelledOrders = cancelled
	if _, err := s.store.FinishCutoff(ctx, c); err != nil {
		return nil, err
	}
	return s.store.FindCutoff(ctx, cityID, date) // this run's summary, or the one that finished first
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
			orders, err := s.store.FindOrders(ctx, OrderFilter{PickupPointID: pp.ID, DeliveryDate: date, Status: OrderConfirmed, WithoutLines: true, Limit: s.cfg.CutoffChunk})
			if err != nil {
				return n, err
			}
			if len(orders) == 0 {
				break
			}
			first := shippedHere == 0
			err = s.store.InTx(ctx, func(tx Store) error {
				now := s.clock.Now()
				if _, err := moveOrders(ctx, tx, slices.Clone(orders), OrderConfirmed, OrderShipped, by, now); err != nil {
					return err
				}
				if !first {
					return nil
				}
				return s.notify(ctx, tx, pp.LeaderID, "", NotifyDispatched, now, NotifyParams{Date: date, Route: r.Name, Point: pp.Name})
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
