package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"tuango/internal/tuango"
)

// BenchmarkOrderList answers GET /api/v1/orders through the whole handler
// for a demo customer whose latest orders were all paid and then
// cancelled, each with its refund, a page of 20 and of 100 of them.
// Run:
//
//	go test ./internal/web -run '^$' -bench OrderList -benchmem
func BenchmarkOrderList(b *testing.B) {
	w := newDemoWorld(b, tuango.Config{})
	srv := NewServer(Config{Service: w.svc, Sandbox: w.sandbox, CSRFKey: []byte("csrf")})
	cancelledOrders(b, w, 100)
	for _, n := range []int{20, 100} {
		b.Run(fmt.Sprintf("orders=%d", n), func(b *testing.B) {
			path := "/api/v1/orders?limit=" + strconv.Itoa(n)
			for b.Loop() {
				req := httptest.NewRequest("GET", path, nil)
				req.Header.Set("Authorization", "Bearer "+w.token)
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("GET %s = %d: %s", path, rec.Code, rec.Body)
				}
			}
		})
	}
}

// cancelledOrders places n orders for the demo customer, one unit of a
// live deal each, pays for them and cancels them.
func cancelledOrders(b *testing.B, w *demoWorld, n int) {
	b.Helper()
	ctx := context.Background()
	a := tuango.Actor{UserID: w.user.ID, Role: w.user.Role}
	deals, err := w.db.Store().FindDeals(ctx, tuango.DealFilter{CityID: w.sum.CityID, LiveAt: w.clock.Now()})
	if err != nil {
		b.Fatal(err)
	}
	var orders []*tuango.Order
	for i := 0; len(orders) < n && i < 10*n; i++ {
		d := deals[i%len(deals)]
		placed, err := w.svc.PlaceOrder(ctx, a, tuango.PlaceOrderRequest{PickupPointID: w.user.HomePickupPointID,
			Items: []tuango.OrderItem{{DealID: d.ID, Quantity: 1}}, Idem: &tuango.Idempotency{Scope: a.UserID, Key: fmt.Sprint("bench-", i), Fingerprint: fmt.Sprint(i)}})
		if err != nil {
			continue // a deal sold out or at its limit for this customer
		}
		p, err := w.svc.CreatePayment(ctx, a, placed.Value.ID, &tuango.Idempotency{Scope: a.UserID, Key: fmt.Sprint("bench-pay-", i), Fingerprint: fmt.Sprint(i)})
		if err != nil {
			b.Fatal(err)
		}
		if err := w.sandbox.Confirm(ctx, p.Value.ID, a.UserID); err != nil {
			b.Fatal(err)
		}
		orders = append(orders, placed.Value)
	}
	if len(orders) < n {
		b.Fatalf("placed %d orders, want %d", len(orders), n)
	}
	w.clock.Advance(tuango.ReconcileAfter + time.Second)
	if _, err := w.svc.Reconcile(ctx, 10*n); err != nil {
		b.Fatal(err)
	}
	for _, o := range orders {
		got, err := w.svc.CancelOrder(ctx, a, o.ID)
		if err != nil {
			b.Fatal(err)
		}
		if err := w.svc.ReadCancelRefund(ctx, a, got); err != nil || got.CancelRefundFen == 0 {
			b.Fatalf("order %s cancelled with refund %d, %v; want it paid and refunded", o.ID, got.CancelRefundFen, err)
		}
	}
}
