package tuango

import (
	"context"
	"time"
)

// A cancelled order's money goes back as a whole-payment refund (reason
// RefundOrderCancelled): granted in the cancel's transaction, paid out
// later by the refund job (SendRefunds). It is not the order's
// RefundedFen, which is money given back on its lines for goods short or
// damaged (see docs/decisions.md); it is read with the order instead
// (ReadCancelRefund) and told to the customer when granted.

// tellCancelRefund tells the customer of an order cancelled by them, or
// cancelled before a late payment landed, that the refund r is on its
// way, in r's transaction: the refund is created once per payment, so the
// message is written once. An order cancelled with a paid payment because
// its pickup point closed is told by CancelClosedOrders, which names the
// closure; an order still live (a second payment landing on an order
// already paid) is not cancelled, and not told this.
func (s *Service) tellCancelRefund(ctx context.Context, tx Store, r *Refund, now time.Time) error {
	o, err := tx.FindOrderByID(ctx, r.OrderID)
	if err != nil {
		return err
	}
	if o.Status != OrderCancelled || (o.CancelReason == CancelPointClosed && !o.PaidAt.IsZero()) {
		return nil
	}
	return s.notify(ctx, tx, o.UserID, o.ID, NotifyCancelRefunded, now, NotifyParams{RefundFen: r.AmountFen})
}

// ReadCancelRefund sets, on a cancelled order, the money its
// cancellation gives back (CancelRefundFen) and how much of it the
// provider has paid out so far (CancelRefundPaidFen); other orders it
// leaves as they are. The order is one a may see, as GetOrder or
// CancelOrder returned it; another is not found (rule 6).
func (s *Service) ReadCancelRefund(ctx context.Context, a Actor, o *Order) error {
	return s.readCancelRefunds(ctx, a, []*Order{o})
}

// ReadCancelRefunds does what ReadCancelRefund does for a page of orders,
// as ListOrders returned it, in one read of the store for them all.
func (s *Service) ReadCancelRefunds(ctx context.Context, a Actor, orders []Order) error {
	ps := make([]*Order, len(orders))
	for i := range orders {
		ps[i] = &orders[i]
	}
	return s.readCancelRefunds(ctx, a, ps)
}

func (s *Service) readCancelRefunds(ctx context.Context, a Actor, orders []*Order) error {
	var ids []string
	for _, o := range orders {
		if !a.canSee(o) {
			return ErrNotFound
		}
		if o.Status == OrderCancelled {
			ids = append(ids, o.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rs, err := s.store.FindCancelRefunds(ctx, ids)
	if err != nil {
		return err
	}
	type sums struct{ fen, paid Fen }
	by := make(map[string]sums, len(ids))
	for _, r := range rs {
		t := by[r.OrderID]
		t.fen += r.AmountFen
		if r.Status == RefundSucceeded {
			t.paid += r.AmountFen
		}
		by[r.OrderID] = t
	}
	for _, o := range orders {
		if o.Status == OrderCancelled {
			t := by[o.ID]
			o.CancelRefundFen, o.CancelRefundPaidFen = t.fen, t.paid
		}
	}
	return nil
}
