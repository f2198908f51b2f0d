package tuango_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"tuango/internal/tuango"
)

// BenchmarkSoldOutRefusal refuses orders for a deal that sold out, from
// one goroutine per core ("few": as over HTTP at a rate the node carries,
// where a refusal's key is mostly read alone) and from 64 ("crowd": the
// key reader groups them), each order under a fresh key of one of the
// customers who bought it: the path of every request after a flash sale's
// sell-out (the sold-out check in memory, then the read of the key, which
// must find a retry of a placed order). cpu-ns/op is the process's CPU
// per refusal, which with few goroutines is not ns/op. Run:
//
//	go test ./internal/tuango -run '^$' -bench SoldOutRefusal -benchtime 50000x -benchmem
func BenchmarkSoldOutRefusal(b *testing.B) {
	b.Run("few", func(b *testing.B) { refuseOrders(b, 1) })
	b.Run("crowd", func(b *testing.B) { refuseOrders(b, 64) })
}

func refuseOrders(b *testing.B, perCore int) {
	const sold = 2000 // orders in the table, and so in the key's index
	t := &testing.T{}
	w := newWorld(t, b.TempDir(), 1)
	svc := w.node(tuango.Config{BatchMax: tuango.DefaultBatchMax})
	defer svc.Close()
	ctx := context.Background()
	openHotDeal(b, svc, w, sold)
	var buyers []tuango.Actor
	for i := 0; i < sold; i++ {
		if i%tuango.MaxQuantity == 0 {
			u, _ := register(b, svc, fmt.Sprintf("13%09d", i), "password-1")
			buyers = append(buyers, tuango.Actor{UserID: u.ID, Role: u.Role})
		}
		if err := placeOne(ctx, svc, w, buyers[len(buyers)-1], fmt.Sprint("placed-", i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := placeOne(ctx, svc, w, buyers[0], "sell-out"); tuango.ErrorCode(err) != tuango.CodeSoldOut {
		b.Fatalf("after %d units: %v, want sold_out", sold, err)
	}
	var seq atomic.Int64
	b.SetParallelism(perCore)
	before := cpuTime(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			who := buyers[int(n)%len(buyers)]
			if err := placeOne(ctx, svc, w, who, fmt.Sprint("refused-", n)); tuango.ErrorCode(err) != tuango.CodeSoldOut {
				b.Errorf("got %v, want sold_out", err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64((cpuTime(b)-before).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// cpuTime is the CPU this process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
