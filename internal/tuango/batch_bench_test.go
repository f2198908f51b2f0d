package tuango_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"tuango/internal/tuango"
)

// BenchmarkPlaceOrder places orders for one hot deal from 64 goroutines
// per core on a real SQLite file with synchronous=FULL, with group commit
// off (a batch of one) and on. Besides time per order it reports what
// the process wrote per order, from /proc/self/io: bytes handed to
// write(2) and pwrite(2) (WAL frames, and the checkpoints that copy them
// into the database file) and the number of those calls. Run:
//
//	go test ./internal/tuango -run '^$' -bench PlaceOrder -benchtime 3s -benchmem
func BenchmarkPlaceOrder(b *testing.B) {
	for _, tc := range []struct {
		name string
		cfg  tuango.Config
	}{
		{"plain", tuango.Config{BatchMax: 1}},
		{"group", tuango.Config{BatchMax: tuango.DefaultBatchMax}},
	} {
		b.Run(tc.name, func(b *testing.B) { placeOrders(b, tc.cfg, "") })
	}
}

// BenchmarkOrderIndexes is BenchmarkPlaceOrder's group commit with one
// secondary index of the tables an order writes dropped first, to read
// what each index costs the writer per order (writes/order and
// written-B/order against the "none" run). orders_user_key, the one
// keyed by customer, is not among them: it is the order's key's record
// (exactly-once), not only a way to read. Run:
//
//	go test ./internal/tuango -run '^$' -bench OrderIndexes -benchtime 20000x
func BenchmarkOrderIndexes(b *testing.B) {
	for _, index := range []string{"none", "orders_status_expiry", "orders_city_delivery", "orders_point_delivery",
		"orders_picked_up", "orders_pickup_code", "order_lines_deal"} {
		b.Run(index, func(b *testing.B) {
			if index == "none" {
				index = ""
			}
			placeOrders(b, tuango.Config{BatchMax: tuango.DefaultBatchMax}, index)
		})
	}
}

// placeOrders places b.N orders for one hot deal from 64 goroutines per
// core, each its own customer, on a fresh SQLite folder from which index
// (if not empty) was dropped.
func placeOrders(b *testing.B, cfg tuango.Config, index string) {
	t := &testing.T{}
	dir := b.TempDir()
	w := newWorld(t, dir, 1)
	if index != "" {
		raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "tuango.db"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := raw.Exec(`DROP INDEX ` + index); err != nil {
			b.Fatal(err)
		}
		raw.Close()
	}
	svc := w.node(cfg)
	defer svc.Close()
	ctx := context.Background()
	openHotDeal(b, svc, w, tuango.MaxStock)
	var seq atomic.Int64
	b.SetParallelism(64)
	before := readIO(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var who tuango.Actor
		for n := 0; pb.Next(); n++ {
			if n%tuango.MaxQuantity == 0 {
				u, _ := register(b, svc, fmt.Sprintf("13%09d", seq.Add(1)), "password-1")
				who = tuango.Actor{UserID: u.ID, Role: u.Role}
			}
			key := fmt.Sprint(seq.Add(1))
			if err := placeOne(ctx, svc, w, who, key); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	reportWrites(b, before)
}

// openHotDeal gives the world's deal stock units and the highest limit
// per customer, on sale for an hour.
func openHotDeal(b *testing.B, svc *tuango.Service, w *world, stock int) {
	op := tuango.Actor{UserID: "op", Role: tuango.RoleOperator}
	if _, err := svc.UpdateDeal(context.Background(), op, w.deal, func(d *tuango.Deal) error {
		d.Stock, d.LimitPerCustomer, d.SaleEndsAt = stock, tuango.MaxQuantity, w.clock.Now().Add(time.Hour)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
}

// placeOne places one unit of the world's deal for who under key. Time
// moves as in a sale of 10,000 orders a second, so that ids and times grow
// as they do in production (with the clock stopped, every id's time part
// is the same, its random part puts each order in a random page of every
// index by id).
func placeOne(ctx context.Context, svc *tuango.Service, w *world, who tuango.Actor, key string) error {
	w.clock.Advance(100 * time.Microsecond)
	_, err := svc.PlaceOrder(ctx, who, tuango.PlaceOrderRequest{PickupPointID: w.pp,
		Items: []tuango.OrderItem{{DealID: w.deal, Quantity: 1}}, Idem: idem(who.UserID, key)})
	return err
}

// reportWrites reports what the process wrote per order since before
// (readIO): bytes handed to write and pwrite, and the number of calls.
func reportWrites(b *testing.B, before map[string]int64) {
	after := readIO(b)
	b.ReportMetric(float64(after["wchar"]-before["wchar"])/float64(b.N), "written-B/order")
	b.ReportMetric(float64(after["syscw"]-before["syscw"])/float64(b.N), "writes/order")
}

// readIO reads this process's I/O counters from /proc/self/io (Linux).
func readIO(b *testing.B) map[string]int64 {
	raw, err := os.ReadFile("/proc/self/io")
	if err != nil {
		b.Skipf("no /proc/self/io: %v", err)
	}
	out := map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		name, v, ok := bytes.Cut(sc.Bytes(), []byte(": "))
		if n, err := strconv.ParseInt(string(v), 10, 64); ok && err == nil {
			out[string(name)] = n
		}
	}
	return out
}
