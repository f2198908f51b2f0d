package tuango_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// refundReads is the real store, counting its reads of payments and
// refunds.
type refundReads struct {
	tuango.Store
	n atomic.Int64
}

func (r *refundReads) FindPayments(ctx context.Context, f tuango.PaymentFilter) ([]tuango.Payment, error) {
	r.n.Add(1)
	return r.Store.FindPayments(ctx, f)
}

func (r *refundReads) FindRefunds(ctx context.Context, paymentID string, status tuango.RefundStatus, limit int) ([]tuango.Refund, error) {
	r.n.Add(1)
	return r.Store.FindRefunds(ctx, paymentID, status, limit)
}

func (r *refundReads) FindCancelRefunds(ctx context.Context, orderIDs []string) ([]tuango.Refund, error) {
	r.n.Add(1)
	return r.Store.FindCancelRefunds(ctx, orderIDs)
}

// A page of cancelled orders has its refunds read once, whatever its
// size, each order given its own; the orders are the reader's own or
// staff's to see, another customer's are not found and read nothing
// (rule 6).
func TestReadCancelRefundsReadsOncePerPage(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 100)
	ctx := context.Background()
	a, b := w.customer(t, "13800000031"), w.customer(t, "13800000032")
	want := map[string]tuango.Fen{} // the refund of each of a's orders
	for i := range 20 {
		o := w.order(t, a, fmt.Sprint("k", i), 1+i%3)
		want[o.ID] = 0
		if i%2 == 0 { // every other one paid before it is cancelled
			w.pay(t, a, o)
			want[o.ID] = o.TotalFen
		}
		_, err := w.svc.CancelOrder(ctx, a, o.ID)
		must(t, err)
	}
	reads := &refundReads{Store: w.db.Store()}
	svc := tuango.NewService(reads, w.clock, nil, nil, nil, tuango.Config{}, nil)

	for _, size := range []int{1, 5, 20} {
		orders, _, err := svc.ListOrders(ctx, a, size, "")
		must(t, err)
		reads.n.Store(0)
		must(t, svc.ReadCancelRefunds(ctx, a, orders))
		if n := reads.n.Load(); n != 1 {
			t.Errorf("ReadCancelRefunds(a page of %d) read payments and refunds %d times, want 1", size, n)
		}
		for _, o := range orders {
			if o.CancelRefundFen != want[o.ID] || o.CancelRefundPaidFen != 0 {
				t.Errorf("page of %d: order %s refunds %d (%d paid out), want %d (0 paid out)", size, o.ID, o.CancelRefundFen, o.CancelRefundPaidFen, want[o.ID])
			}
		}
	}

	orders, _, err := svc.ListOrders(ctx, a, 20, "")
	must(t, err)
	t.Run("another customer's orders are not found", func(t *testing.T) {
		page := append([]tuango.Order(nil), orders...)
		reads.n.Store(0)
		if err := svc.ReadCancelRefunds(ctx, b, page); tuango.ErrorCode(err) != tuango.CodeNotFound {
			t.Errorf("ReadCancelRefunds(b, a's orders) = %v, want not_found", err)
		}
		if err := svc.ReadCancelRefund(ctx, b, &page[0]); tuango.ErrorCode(err) != tuango.CodeNotFound {
			t.Errorf("ReadCancelRefund(b, a's order) = %v, want not_found", err)
		}
		if n := reads.n.Load(); n != 0 {
			t.Errorf("refused reads read the store %d times, want 0", n)
		}
		for _, o := range page {
			if o.CancelRefundFen != 0 {
				t.Errorf("refused read set order %s's refund to %d", o.ID, o.CancelRefundFen)
			}
		}
	})
	t.Run("staff see anyone's", func(t *testing.T) {
		page := append([]tuango.Order(nil), orders...)
		must(t, svc.ReadCancelRefunds(ctx, w.op, page))
		for _, o := range page {
			if o.CancelRefundFen != want[o.ID] {
				t.Errorf("operator's read: order %s refunds %d, want %d", o.ID, o.CancelRefundFen, want[o.ID])
			}
		}
	})
}
