package tuango_test

import (
	"context"
	"testing"
	"time"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// racer is the real store with one fault injected: just before the first
// move of an order to cancelled, a payment for it lands (as it would from
// another node between CancelOrder's read and its update).
type racer struct {
	tuango.Store
	paymentID string
	fired     bool
}

func (r *racer) InTx(ctx context.Context, fn func(tx tuango.Store) error) error {
	return r.Store.InTx(ctx, func(tx tuango.Store) error { return fn(&racer{Store: tx, paymentID: r.paymentID, fired: r.fired}) })
}

func (r *racer) UpdateOrderStatus(ctx context.Context, o *tuango.Order, from tuango.OrderStatus) (bool, error) {
	if o.Status == tuango.OrderCancelled && !r.fired {
		r.fired = true
		// The payment lands a second later by its node's clock than this
		// cancel's transaction began.
		at := o.CancelledAt.Add(time.Second)
		if _, err := r.Store.SetPaymentStatus(ctx, r.paymentID, tuango.PaymentPending, tuango.PaymentSucceeded, "txn", at); err != nil {
			return false, err
		}
		if _, err := r.Store.UpdateOrderStatus(ctx, &tuango.Order{ID: o.ID, Status: tuango.OrderPaid, PaidAt: at}, tuango.OrderPendingPayment); err != nil {
			return false, err
		}
	}
	return r.Store.UpdateOrderStatus(ctx, o, from)
}

// Found by the fault test: a cancel that lost the race to a payment was
// answered 200 with the stale order while the order stayed paid. Now the
// order is read again and the paid order is cancelled and refunded.
func TestCancelRacingAPaymentNeverLies(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 10)
	ctx := context.Background()
	a := w.customer(t, "13800000009")
	o := w.order(t, a, "k", 2)
	p := w.payment(t, a, o, "pay")
	svc := tuango.NewService(&racer{Store: w.db.Store(), paymentID: p.ID}, w.clock, nil, nil, nil, tuango.Config{BatchMax: 1}, nil)
	got, err := svc.CancelOrder(ctx, a, o.ID)
	must(t, err)
	if got.Status != tuango.OrderCancelled {
		t.Errorf("CancelOrder answered %s, want cancelled", got.Status)
	}
	stored, err := w.db.Store().FindOrderByID(ctx, o.ID)
	must(t, err)
	if stored.Status != tuango.OrderCancelled {
		t.Errorf("stored order = %s, want cancelled", stored.Status)
	}
	if stored.CancelledAt.Before(stored.PaidAt) {
		t.Errorf("cancelled at %v, before the payment it followed at %v: the timeline runs backwards", stored.CancelledAt, stored.PaidAt)
	}
	refunds, err := w.db.Store().FindRefunds(ctx, p.ID, "", 0)
	must(t, err)
	if len(refunds) != 1 || refunds[0].AmountFen != o.TotalFen {
		t.Errorf("refunds = %+v, want one of %d fen for the payment that landed", refunds, o.TotalFen)
	}
	if r := w.reserved(t); r != 0 {
		t.Errorf("reserved = %d, want 0", r)
	}
}
