package tuango

import (
	"context"
	"fmt"
	"time"
)

// ReconcileAfter is how long tuango waits by default for a notification
// before it asks the provider about a pending payment; ReconcileGiveUp is
// when it stops asking.
const (
	ReconcileAfter  = 30 * time.Second
	ReconcileGiveUp = 24 * time.Hour
)

// CreatePayment starts paying for the caller's unpaid order, once per key.
// It reuses the order's pending payment if there is one, so that retries
// under new keys never create two.
func (s *Service) CreatePayment(ctx context.Context, a Actor, orderID string, idem *Idempotency) (Once[*Payment], error) {
	// First make (or find) the payment, then register it with the provider
	// outside any transaction, then store the answer with the key. A crash
	// in between leaves a pending payment that the retry reuses.
	var p *Payment
	var pp ProviderPayment
	first := func(ctx context.Context) error {
		// An open breaker answers at once and writes nothing.
		if st := s.PaymentState(); st.Refusing {
			return paymentUnavailable(st.RetryAfter)
		}
		err := s.store.InTx(ctx, func(tx Store) error {
			now := s.clock.Now()
			o, err := tx.FindOrderByID(ctx, orderID)
			if err != nil {
				return err
			}
			if o.UserID != a.UserID {
				return ErrNotFound
			}
			if o.Status != OrderPendingPayment || !now.Before(o.ExpiresAt) {
				return Errorf(CodeOrderNotPayable, "this order is %s and cannot be paid", describeUnpayable(o, now))
			}
			pending, err := tx.FindPayments(ctx, PaymentFilter{OrderID: o.ID, Status: PaymentPending})
			if err != nil {
				return err
			}
			if len(pending) > 0 {
				p = &pending[0]
				return nil
			}
			p = &Payment{ID: s.newID("pay"), OrderID: o.ID, UserID: o.UserID, Provider: s.provider.Name(), AmountFen: o.PayableFen(), Status: PaymentPending, CreatedAt: now}
			return tx.CreatePayment(ctx, p)
		})
		if err != nil {
			return err
		}
		if pp, err = s.provider.CreatePayment(ctx, p); err != nil {
			if ErrorCode(err) == CodePaymentUnavailable {
				return err
			}
			s.log.WarnContext(ctx, "payment provider failed to create a payment", "payment", p.ID, "err", err)
			return paymentUnavailable(2 * time.Second)
		}
		return nil
	}
	return exactlyOnce(ctx, s, idem, first, func(tx Store, now time.Time) (*Payment, error) {
		p.PayURL = pp.PayURL
		return p, tx.UpdatePayment(ctx, p)
	})
}

func describeUnpayable(o *Order, now time.Time) string {
	if o.Status == OrderPendingPayment && !now.Before(o.ExpiresAt) {
		return "past its payment deadline"
	}
	if o.Status == OrderCancelled && o.CancelReason == CancelExpired {
		return "expired"
	}
	return string(o.Status)
}

// HandleNotification verifies and applies a provider's notification. A
// duplicate is accepted and changes nothing.
func (s *Service) HandleNotification(ctx context.Context, n Notification) error {
	ev, err := s.provider.VerifyNotification(n, s.clock.Now())
	if err != nil {
		return err
	}
	return s.applyProviderPayment(ctx, ev.EventID, ev.Payment)
}

// applyProviderPayment records what the provider says of a payment: a
// success marks the payment succeeded and the order paid, once; a success
// for an order that can no longer be paid is refunded.
func (s *Service) applyProviderPayment(ctx context.Context, eventID string, pp ProviderPayment) error {
	if !pp.Succeeded {
		return nil
	}
	return s.store.InTx(ctx, func(tx Store) error {
		now := s.clock.Now()
		fresh, err := tx.RecordProviderEvent(ctx, s.provider.Name(), eventID, now)
		if err != nil || !fresh {
			return err
		}
		p, err := tx.FindPaymentByID(ctx, pp.PaymentID)
		if err != nil {
			return fmt.Errorf("payment %s named by event %s: %w", pp.PaymentID, eventID, err)
		}
		if pp.AmountFen != p.AmountFen {
			return &Error{Code: CodeAmountMismatch, Message: fmt.Sprintf("payment %s is for %d fen but the provider reports %d", p.ID, p.AmountFen, pp.AmountFen)}
		}
		ok, err := tx.SetPaymentStatus(ctx, p.ID, PaymentPending, PaymentSucceeded, pp.TxnID, now)
		if err != nil || !ok {
			return err // already applied, by a duplicate or by reconciliation
		}
		p.Status, p.ProviderTxnID, p.SucceededAt = PaymentSucceeded, pp.TxnID, now
		if err := s.postCapture(ctx, tx, p, now); err != nil {
			return err
		}
		o, err := tx.FindOrderByID(ctx, p.OrderID)
		if err != nil {
			return err
		}
		if o.Status == OrderPendingPayment {
			if o.PickupCode, err = s.newPickupCode(ctx, tx, o); err != nil {
				return err
			}
			paid, err := moveOrder(ctx, tx, o, OrderPaid, byWorker(o.PickupPointID), now, "")
			if err != nil || paid {
				return err
			}
		}
		// The order was cancelled, expired or paid by another payment
		// meanwhile: give this money back.
		s.log.InfoContext(ctx, "refunding a payment that landed on an order that cannot take it", "payment", p.ID, "order", p.OrderID)
		return s.refund(ctx, tx, p, RefundOrderCancelled, now)
	})
}

// refund records a pending refund of a whole succeeded payment; the refund
// job sends it to the provider.
func (s *Service) refund(ctx context.Context, tx Store, p *Payment, reason string, now time.Time) error {
	r := &Refund{ID: s.newID("rfd"), PaymentID: p.ID, OrderID: p.OrderID, AmountFen: p.AmountFen, Reason: reason, Status: RefundPending, CreatedAt: now}
	err := tx.CreateRefund(ctx, r)
	if ErrorCode(err) == CodeConflict {
		return nil // this payment is already being refunded
	}
	if err != nil {
		return err
	}
	if err := s.postRefundGranted(ctx, tx, r, now); err != nil {
		return err
	}
	return s.tellCancelRefund(ctx, tx, r, now)
}

// Reconcile asks the provider about payments it has not notified for a
// while, and applies what it says. It reports how many it applied.
func (s *Service) Reconcile(ctx context.Context, limit int) (int, error) {
	now := s.clock.Now()
	pending, err := s.store.FindPayments(ctx, PaymentFilter{Status: PaymentPending, CreatedBefore: now.Add(-s.cfg.ReconcileAfter), Limit: limit})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range pending {
		pp, err := s.provider.QueryPayment(ctx, p.ID)
		if err != nil {
			s.log.Warn("reconcile: query payment", "payment", p.ID, "err", err)
			continue
		}
		if !pp.Succeeded {
			if now.Sub(p.CreatedAt) > ReconcileGiveUp {
				if _, err := s.store.SetPaymentStatus(ctx, p.ID, PaymentPending, PaymentFailed, "", now); err != nil {
					return n, err
				}
			}
			continue
		}
		if err := s.applyProviderPayment(ctx, "query:"+pp.TxnID, pp); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// SendRefunds sends pending refunds to the provider and reports how many
// completed.
func (s *Service) SendRefunds(ctx context.Context, limit int) (int, error) {
	pending, err := s.store.FindRefunds(ctx, "", RefundPending, limit)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range pending {
		if err := s.provider.Refund(ctx, r.ID, r.PaymentID, r.AmountFen); err != nil {
			s.log.Warn("refund: provider refused or failed", "refund", r.ID, "err", err)
			continue
		}
		ok := false
		err := s.store.InTx(ctx, func(tx Store) error {
			now := s.clock.Now()
			var err error
			if ok, err = tx.SetRefundStatus(ctx, r.ID, RefundPending, RefundSucceeded, now); err != nil || !ok {
				return err
			}
			return s.postRefundPaid(ctx, tx, &r, now)
		})
		if err != nil {
			return n, err
		}
		if ok {
			s.obs.RefundSent(r.AmountFen)
			n++
		}
	}
	return n, nil
}

// GetPayment returns a payment to its owner.
func (s *Service) GetPayment(ctx context.Context, a Actor, id string) (*Payment, error) {
	p, err := s.store.FindPaymentByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.UserID != a.UserID && !a.Role.IsStaff() {
		return nil, ErrNotFound
	}
	return p, nil
}
