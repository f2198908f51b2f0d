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
// leaves as they are. The order is one the caller may see, as GetOrder,
// ListOrders or CancelOrder returned it.
func (s *Service) ReadCancelRefund(ctx context.Context, o *Order) error {
	if o.Status != OrderCancelled {
		return nil
	}
	pays, err := s.store.FindPayments(ctx, PaymentFilter{OrderID: o.ID, Status: PaymentSucceeded})
	if err != nil {
		return err
	}
	o.CancelRefundFen, o.CancelRefundPaidFen = 0, 0
	for _, p := range pays {
		rs, err := s.store.FindRefunds(ctx, p.ID, "", 0)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.OrderID != o.ID || r.LineNo != 0 || r.Reason != RefundOrderCancelled {
				continue
			}
			o.CancelRefundFen += r.AmountFen
			if r.Status == RefundSucceeded {
				o.CancelRefundPaidFen += r.AmountFen
			}
		}
	}
	return nil
}
