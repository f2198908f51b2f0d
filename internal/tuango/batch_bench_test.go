package tuango_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"tuango/internal/tuango"
)

// BenchmarkPlaceOrder places orders for one hot deal from 64 goroutines
// per core on a real SQLite file with synchronous=FULL, with group commit
// off (a batch of one) and on. Run:
//
//	go test ./internal/tuango -run '^$' -bench PlaceOrder -benchtime 3s
func BenchmarkPlaceOrder(b *testing.B) {
	for _, tc := range []struct {
		name string
		cfg  tuango.Config
	}{
		{"plain", tuango.Config{BatchMax: 1}},
		{"group", tuango.Config{BatchMax: tuango.DefaultBatchMax}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			t := &testing.T{}
			w := newWorld(t, b.TempDir(), 1)
			svc := w.node(tc.cfg)
			defer svc.Close()
			ctx := context.Background()
			op := tuango.Actor{UserID: "op", Role: tuango.RoleOperator}
			_, err := svc.UpdateDeal(ctx, op, w.deal, func(d *tuango.Deal) error {
				d.Stock, d.LimitPerCustomer, d.SaleEndsAt = tuango.MaxStock, tuango.MaxQuantity, w.clock.Now().Add(time.Hour)
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			var seq atomic.Int64
			b.SetParallelism(64)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				var who tuango.Actor
				for n := 0; pb.Next(); n++ {
					if n%tuango.MaxQuantity == 0 {
						u, _ := register(b, svc, fmt.Sprintf("13%09d", seq.Add(1)), "password-1")
						who = tuango.Actor{UserID: u.ID, Role: u.Role}
					}
					key := fmt.Sprint(seq.Add(1))
					_, err := svc.PlaceOrder(ctx, who, tuango.PlaceOrderRequest{PickupPointID: w.pp,
						Items: []tuango.OrderItem{{DealID: w.deal, Quantity: 1}}, Idem: idem(who.UserID, key)})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
