package tuango

import (
	"context"
	"strings"
	"time"
)

// Pickup verification limits: more than PickupMaxFailures wrong codes
// from one leader within PickupFailureWindow are refused with
// too_many_attempts until the oldest of them leaves the window.
const (
	PickupMaxFailures   = 10
	PickupFailureWindow = 10 * time.Minute
)

// PickupVerification is one attempt of a leader to verify a pickup code:
// who, where, when, the order it handed over (none if it handed over
// nothing), and whether the code named an order of the point at all (only
// wrong codes count against the limit).
type PickupVerification struct {
	ID            string
	LeaderID      string
	PickupPointID string
	OrderID       string
	OK            bool
	At            time.Time
}

// VerifyPickup hands an order over against its pickup code, once per key:
// only the leader of the order's own point can, and only once it arrived.
// A wrong code, or one of another point, is pickup_code_invalid, as a
// missing one; every attempt is logged.
func (s *Service) VerifyPickup(ctx context.Context, a Actor, code string, idem *Idempotency) (Once[*Order], error) {
	var none Once[*Order]
	pp, err := s.leaderPoint(ctx, s.store, a)
	if err != nil {
		return none, err
	}
	code = strings.TrimSpace(code)
	if code == "" || len(code) > 32 {
		return none, FieldError("code", "must be the customer's pickup code")
	}
	now := s.clock.Now()
	n, oldest, err := s.store.CountFailedPickups(ctx, a.UserID, now.Add(-PickupFailureWindow))
	if err != nil {
		return none, err
	}
	if n >= PickupMaxFailures {
		wait := oldest.Add(PickupFailureWindow).Sub(now)
		return none, &Error{Code: CodeTooManyAttempts, Message: "too many wrong pickup codes; wait a few minutes and try again", RetryAfter: max(wait, time.Second)}
	}
	ans, err := exactlyOnce(ctx, s, idem, nil, func(tx Store, now time.Time) (*Order, error) {
		o, err := tx.FindOrderByPickupCode(ctx, pp.ID, code)
		if IsNotFound(err) {
			return nil, Errorf(CodePickupCodeInvalid, "no order of this pickup point has this code")
		}
		if err != nil {
			return nil, err
		}
		switch o.Status {
		case OrderPickedUp:
			return nil, Errorf(CodeAlreadyPickedUp, "this order was already picked up at %s", o.PickedUpAt.Format(time.RFC3339))
		case OrderArrived:
		default:
			return nil, Errorf(CodeNotSignedYet, "this order is %s: sign for the delivery first", o.Status)
		}
		ok, err := moveOrder(ctx, tx, o, OrderPickedUp, MoveBy{Mover: MoverLeader, ActorID: a.UserID, Place: pp.ID}, now, "")
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, Errorf(CodeAlreadyPickedUp, "this order was picked up meanwhile")
		}
		if err := s.postPickup(ctx, tx, o, pp.LeaderID, now); err != nil {
			return nil, err
		}
		v := &PickupVerification{ID: s.newID("pv"), LeaderID: a.UserID, PickupPointID: pp.ID, OrderID: o.ID, OK: true, At: now}
		if err := tx.AddPickupVerification(ctx, v); err != nil {
			return nil, err
		}
		if err := s.auditPickup(ctx, tx, v, ""); err != nil {
			return nil, err
		}
		o.PickupCode = "" // the answer goes to the leader
		return o, nil
	})
	if c := ErrorCode(err); c == CodePickupCodeInvalid || c == CodeAlreadyPickedUp || c == CodeNotSignedYet {
		v := &PickupVerification{ID: s.newID("pv"), LeaderID: a.UserID, PickupPointID: pp.ID, OK: c != CodePickupCodeInvalid, At: s.clock.Now()}
		if lerr := s.store.AddPickupVerification(ctx, v); lerr != nil {
			return none, lerr
		}
		if lerr := s.auditPickup(ctx, s.store, v, c); lerr != nil {
			return none, lerr
		}
	}
	return ans, err
}

// ExpirePickups moves arrived orders not collected within the pickup
// window to unclaimed, and reports how many it moved: the worker's sweep.
// The customer is owed nothing more: the goods were delivered to the
// point they chose and held for the window (see docs/decisions.md).
func (s *Service) ExpirePickups(ctx context.Context, limit int) (int, error) {
	now := s.clock.Now()
	due, err := s.store.FindOrders(ctx, OrderFilter{Status: OrderArrived, ArrivedBefore: now.Add(-s.cfg.PickupWindow), Limit: limit})
	if err != nil || len(due) == 0 {
		return 0, err
	}
	n := 0
	err = s.store.InTx(ctx, func(tx Store) error {
		n = 0
		for i := range due {
			ok, err := moveOrder(ctx, tx, &due[i], OrderUnclaimed, byWorker(due[i].PickupPointID), now, "")
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if err := s.postUnclaimed(ctx, tx, &due[i], now); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
