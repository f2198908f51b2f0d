package backup_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"tuango/internal/backup"
	"tuango/internal/tuango"
)

// BenchmarkOrdersWhileReplicating places orders from 8 customers at once
// through the service on SQLite, alone and with Litestream replicating the
// database to a folder, and reports the orders' latency: Litestream takes
// SQLite's write lock for a moment at each of its checkpoints, beside the
// service's one writer.
//
//	go test ./internal/backup -run '^$' -bench OrdersWhileReplicating -benchtime 2000x
func BenchmarkOrdersWhileReplicating(b *testing.B) {
	for _, replicate := range []bool{false, true} {
		name := "alone"
		if replicate {
			name = "litestream"
		}
		b.Run(name, func(b *testing.B) {
			s := openShopAt(b, b.TempDir())
			ctx := context.Background()
			// One deal with stock and limits for any number of orders.
			op, err := s.db.Store().FindUserByPhone(ctx, "13900000001")
			if err != nil {
				b.Fatal(err)
			}
			d := s.deals[0]
			d.Stock, d.LimitPerCustomer = 10_000_000, 999
			if err := s.svc.CreateDeal(ctx, tuango.Actor{UserID: op.ID, Role: op.Role}, &d); err != nil {
				b.Fatal(err)
			}
			s.deals = []tuango.Deal{d}
			if replicate {
				rep, err := backup.Replicate(ctx, s.dsn, backup.ReplicaConfig{Dir: filepath.Join(b.TempDir(), "replica")})
				if err != nil {
					b.Fatal(err)
				}
				defer rep.Close(ctx)
			}
			var mu sync.Mutex
			var lat []time.Duration
			const callers = 8
			per := b.N/callers + 1
			b.ResetTimer()
			var wg sync.WaitGroup
			for c := range callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for k := range per {
						start := time.Now()
						// Customers in turn; keys make each order new.
						s.order(b, (c*per+k)%len(s.users), fmt.Sprintf("bench-%d-%d", c, k))
						d := time.Since(start)
						mu.Lock()
						lat = append(lat, d)
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
		})
	}
}
