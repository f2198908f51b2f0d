package tuango

import (
	"context"
	"sort"
	"time"
)

// PlaceOrder places an order, once per key: every order goes through
// here. Stock and the customer's limit are taken atomically with the order
// that is its key's record; either every line is accepted or none is.
func (s *Service) PlaceOrder(ctx context.Context, a Actor, req PlaceOrderRequest) (Once[*Order], error) {
	var none Once[*Order]
	req.UserID = a.UserID
	if a.UserID == "" {
		return none, Errorf(CodeUnauthorized, "log in to place an order")
	}
	if err := req.Validate(); err != nil {
		return none, err
	}
	if err := req.Idem.required(); err != nil {
		return none, err
	}
	// The order is its key's record, found by the customer and the key.
	idem := *req.Idem
	idem.Scope, req.Idem = a.UserID, &idem
	if i := s.soldOut.refuses(req.Items, s.clock.Now()); i >= 0 {
		// A retry of an order this key already placed still gets its first
		// answer, not sold_out: that costs a read of the key (grouped with
		// other refusals' keys), never the deal's row or the writer.
		rec, err := s.keys.find(ctx, req.Idem.id())
		if err != nil {
			return none, err
		}
		if ans, done, err := replayPlaced(ctx, s.store, rec, req.Idem); done {
			return ans, err
		}
		return none, &Error{Code: CodeSoldOut, Field: itemField(i, "deal_id"), Message: "this deal is sold out"}
	}
	// The key's stored answer, if any, is looked up with the rest of the
	// batch in its transaction (see applyOrders).
	release, err := s.claim(req.Idem)
	if err != nil {
		return none, err
	}
	defer release()
	if s.batch != nil {
		return s.batch.place(ctx, req)
	}
	// The plain path: this order alone, in its own transaction.
	p := &placement{ctx: ctx, req: req, done: make(chan placed, 1), queued: time.Now()}
	s.commitPlacements([]*placement{p})
	r := <-p.done
	return r.ans, r.err
}

// GetOrder returns an order to its owner; anyone else gets not_found, the
// same as for a missing id.
func (s *Service) GetOrder(ctx context.Context, a Actor, id string) (*Order, error) {
	o, err := s.store.FindOrderByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !a.canSee(o) {
		return nil, ErrNotFound
	}
	if o.Timeline, err = s.store.FindOrderEvents(ctx, o.ID); err != nil {
		return nil, err
	}
	// Moves made in one instant are told in the order of the path.
	sort.SliceStable(o.Timeline, func(i, j int) bool {
		a, b := o.Timeline[i], o.Timeline[j]
		return a.At.Before(b.At) || (a.At.Equal(b.At) && a.Status.rank() < b.Status.rank())
	})
	if o.UserID != a.UserID {
		o.PickupCode = "" // shown to its owner only
	}
	return o, nil
}

func (a Actor) canSee(o *Order) bool { return o.UserID == a.UserID || a.Role.IsStaff() }

// ListOrders returns a page of the caller's own orders, newest first: at
// most limit (DefaultPage when 0) after the cursor of the page before
// (empty for the first), and the cursor of the next page, empty at the
// end. A cursor is opaque to clients: it names the page's last order.
func (s *Service) ListOrders(ctx context.Context, a Actor, limit int, cursor string) ([]Order, string, error) {
	limit, err := pageLimit(limit)
	if err != nil {
		return nil, "", err
	}
	f := OrderFilter{UserID: a.UserID, Limit: limit + 1}
	if cursor != "" {
		last, err := s.store.FindOrderByID(ctx, cursor)
		if IsNotFound(err) || (err == nil && last.UserID != a.UserID) {
			return nil, "", FieldError("cursor", "is not a cursor of this list")
		}
		if err != nil {
			return nil, "", err
		}
		f.After = last
	}
	orders, err := s.store.FindOrders(ctx, f)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(orders) > limit {
		orders, next = orders[:limit], orders[limit-1].ID
	}
	return orders, next, nil
}

// CancelOrder cancels the caller's order and returns its stock. A paid
// order can be cancelled until its deals' cutoff, and is refunded.
func (s *Service) CancelOrder(ctx context.Context, a Actor, id string) (*Order, error) {
	var o *Order
	err := s.store.InTx(ctx, func(tx Store) error {
		now := s.clock.Now()
		// A payment may land between reading the order and moving it: then
		// the guarded move changes nothing, and the order is read again and
		// judged as it now is (paid orders are refunded), never answered
		// as cancelled when it is not.
		for attempt := 0; attempt < 3; attempt++ {
			var err error
			if o, err = tx.FindOrderByID(ctx, id); err != nil {
				return err
			}
			if o.UserID != a.UserID {
				return ErrNotFound
			}
			if !o.Status.CanMove(OrderCancelled, MoverCustomer) {
				return Errorf(CodeOrderNotCancellable, "this order is %s and cannot be cancelled", o.Status)
			}
			if o.Status == OrderPaid {
				cutoff, err := s.cutoff(ctx, tx, o)
				if err != nil {
					return err
				}
				if !now.Before(cutoff) {
					return Errorf(CodeOrderNotCancellable, "this order is past its cutoff and can no longer be cancelled; ask for after-sales help instead")
				}
			}
			if err := tx.Lock(ctx, EntityDeal, o.dealIDs()...); err != nil {
				return err
			}
			done, err := s.cancel(ctx, tx, o, MoveBy{Mover: MoverCustomer, ActorID: a.UserID, Place: o.PickupPointID}, CancelByCustomer, now)
			if err != nil || done {
				return err
			}
		}
		return Errorf(CodeUnavailable, "this order kept changing while it was being cancelled; try again")
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// dealIDs returns the ids of an order's deals, sorted.
func (o *Order) dealIDs() []string {
	ids := make([]string, 0, len(o.Lines))
	for _, l := range o.Lines {
		ids = append(ids, l.DealID)
	}
	sort.Strings(ids)
	return ids
}

// cutoff is when the earliest of an order's deals stops selling: after it,
// the order is bought from suppliers and can no longer be cancelled.
func (s *Service) cutoff(ctx context.Context, tx Store, o *Order) (time.Time, error) {
	var cutoff time.Time
	for _, l := range o.Lines {
		d, err := tx.FindDealByID(ctx, l.DealID)
		if err != nil {
			return cutoff, err
		}
		if cutoff.IsZero() || d.SaleEndsAt.Before(cutoff) {
			cutoff = d.SaleEndsAt
		}
	}
	return cutoff, nil
}

// cancel moves a live order to cancelled, gives its stock, limit and
// coupon back, and refunds its payment if it was paid. It reports false, and does
// nothing, if the order changed status meanwhile. The caller holds the
// order's deals (Lock) first, so that every transaction takes deal
// rows before order rows and none waits on another in a cycle.
func (s *Service) cancel(ctx context.Context, tx Store, o *Order, by MoveBy, reason string, now time.Time) (bool, error) {
	from := o.Status
	ok, err := moveOrder(ctx, tx, o, OrderCancelled, by, now, reason)
	if err != nil || !ok {
		return false, err
	}
	if err := giveBackCoupon(ctx, tx, o); err != nil {
		return false, err
	}
	for _, l := range o.Lines {
		if err := tx.ReleaseStock(ctx, l.DealID, l.Quantity); err != nil {
			return false, err
		}
		s.soldOut.clear(l.DealID)
		if err := tx.ReleaseLimit(ctx, o.UserID, l.DealID, l.Quantity); err != nil {
			return false, err
		}
	}
	if from != OrderPaid {
		return true, nil
	}
	pays, err := tx.FindPayments(ctx, PaymentFilter{OrderID: o.ID, Status: PaymentSucceeded})
	if err != nil {
		return false, err
	}
	for _, p := range pays {
		if err := s.refund(ctx, tx, &p, RefundOrderCancelled, now); err != nil {
			return false, err
		}
	}
	return true, nil
}

// ExpireOrders cancels unpaid orders whose payment deadline has passed and
// returns their stock; it reports how many it cancelled. It is idempotent:
// each order expires once, however often and wherever it runs.
func (s *Service) ExpireOrders(ctx context.Context, limit int) (int, error) {
	now := s.clock.Now()
	// Deadlines that fall in a payment provider outage are held first.
	if _, err := s.holdDeadlines(ctx, now); err != nil {
		return 0, err
	}
	due, err := s.store.FindOrders(ctx, OrderFilter{Status: OrderPendingPayment, ExpiresBefore: now, Limit: limit})
	if err != nil || len(due) == 0 {
		return 0, err
	}
	n := 0
	var deals []string
	for i := range due {
		deals = append(deals, due[i].dealIDs()...)
	}
	err = s.store.InTx(ctx, func(tx Store) error {
		n = 0 // the transaction may run again after a deadlock
		if err := tx.Lock(ctx, EntityDeal, deals...); err != nil {
			return err
		}
		for i := range due {
			done, err := s.cancel(ctx, tx, &due[i], byWorker(due[i].PickupPointID), CancelExpired, now)
			if err != nil {
				return err
			}
			if done {
				n++
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
