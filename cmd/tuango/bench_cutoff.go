package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"tuango/internal/sqlstore"
	"tuango/internal/tuango"
)

const cutoffBenchHelp = `cutoff fills a fresh database with one city's paid orders for a delivery
date (--lines order lines, three to an order, over 60 pickup points), then
runs that city's cutoff while customers of a second city keep ordering, and
reports the cutoff's time, the process's peak heap, and the other city's
order latency (p50, p99, max) while the cutoff ran.`

func runBenchCutoff(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("bench cutoff", cutoffBenchHelp, stderr)
	lines := fs.Int("lines", 1_000_000, "order lines to cut off")
	db := fs.String("db", "", "postgres://... to run on PostgreSQL (a fresh database); default a fresh SQLite in a temporary folder")
	buyers := fs.Int("buyers", 8, "customers of the other city ordering at once during the cutoff")
	chunk := fs.Int("chunk", tuango.DefaultCutoffChunk, "paid orders the cutoff confirms per transaction")
	cpuProfile := fs.String("cpu-profile", "", "write a CPU profile of the cutoff's run to this file")
	if err := parseFlags(fs, args, getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	dsn := *db
	if dsn == "" {
		dir, err := os.MkdirTemp("", "tuango-bench-cutoff-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dsn = dir
	}
	d, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	store := d.Store()
	start := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC) // 10:00 in both cities
	// A wall clock set back to the bench's day: it runs, as a real node's
	// does, so that the cutoff sizes its chunks by how long they take.
	clock := benchClock{offset: start.Sub(time.Now())}
	svc := tuango.NewService(store, clock, nil, nil, nil, tuango.Config{CutoffChunk: *chunk}, nil)
	defer svc.Close()

	const date = "2026-11-26"
	fmt.Fprintf(stderr, "bench cutoff: filling %d order lines on %s\n", *lines, d.Engine())
	cut, other, err := fillCutoffBench(ctx, store, clock, *lines, *buyers, date)
	if err != nil {
		return err
	}

	var peak atomic.Uint64
	var latencies []time.Duration
	var mu sync.Mutex
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the process's heap, sampled
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	for i := range *buyers {
		wg.Add(1)
		go func() { // the other city's customers order, one after the other
			defer wg.Done()
			// Each goroutine is a queue of customers, each ordering up to
			// their limit per deal before the next one's turn.
			pool := other.buyers[i*buyerPool : (i+1)*buyerPool]
			for n := 0; ; n++ {
				select {
				case <-done:
					return
				default:
				}
				buyer := pool[n/tuango.MaxQuantity%buyerPool]
				t0 := time.Now()
				_, err := svc.PlaceOrder(ctx, buyer, tuango.PlaceOrderRequest{PickupPointID: other.point, Items: []tuango.OrderItem{{DealID: other.deal, Quantity: 1}},
					Idem: &tuango.Idempotency{Scope: buyer.UserID, Key: fmt.Sprintf("bench-%d-%d", i, n), Fingerprint: "bench"}})
				el := time.Since(t0)
				if err != nil {
					fmt.Fprintf(stderr, "bench cutoff: the other city's order failed: %v\n", err)
					return
				}
				mu.Lock()
				latencies = append(latencies, el)
				mu.Unlock()
			}
		}()
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	t0 := time.Now()
	last := time.Now()
	// Each chunk's time, from the end of the one before (its read and its
	// transaction), and its size: what the other city's orders wait behind.
	var chunkTimes []time.Duration
	var chunkSizes []int
	prevAt, prevMoved := time.Now(), 0
	progress := func(moved, total int) {
		chunkTimes, chunkSizes = append(chunkTimes, time.Since(prevAt)), append(chunkSizes, moved-prevMoved)
		prevAt, prevMoved = time.Now(), moved
		if time.Since(last) > 2*time.Second {
			fmt.Fprintf(stderr, "bench cutoff: %d of %d orders moved, %s\n", moved, total, time.Since(t0).Round(time.Millisecond))
			last = time.Now()
		}
	}
	c, err := svc.RunCutoff(ctx, cut, date, "bench", progress)
	took := time.Since(t0)
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	close(done)
	wg.Wait()
	if err != nil {
		return err
	}
	pct := func(ds []time.Duration) func(p float64) time.Duration {
		slices.Sort(ds)
		return func(p float64) time.Duration {
			if len(ds) == 0 {
				return 0
			}
			return ds[min(len(ds)-1, int(p*float64(len(ds))))].Round(10 * time.Microsecond)
		}
	}
	lat, per := pct(latencies), pct(chunkTimes)
	slices.Sort(chunkSizes)
	fmt.Fprintf(stdout, "bench cutoff on %s: %d order lines in %d orders cut off in %s (%.0f lines/s); peak heap %d MiB\n",
		d.Engine(), c.ConfirmedUnits, c.ConfirmedOrders, took.Round(time.Millisecond), float64(*lines)/took.Seconds(), peak.Load()>>20)
	fmt.Fprintf(stdout, "  the other city's orders meanwhile: %d, p50 %s, p99 %s, max %s\n", len(latencies), lat(0.50), lat(0.99), lat(1))
	if n := len(chunkSizes); n > 0 {
		fmt.Fprintf(stdout, "  chunks: %d, orders per chunk min %d / median %d / max %d, time per chunk p50 %s, p99 %s, max %s\n",
			n, chunkSizes[0], chunkSizes[n/2], chunkSizes[n-1], per(0.50), per(0.99), per(1))
	}
	return nil
}

// buyerPool is how many customers of the other city each ordering
// goroutine takes turns with, so that none reaches its limit per deal.
const buyerPool = 64

// benchClock is the wall clock shifted by offset.
type benchClock struct{ offset time.Duration }

func (c benchClock) Now() time.Time { return tuango.Truncate(time.Now().Add(c.offset)) }

type otherCity struct {
	point, deal string
	buyers      []tuango.Actor
}

// fillCutoffBench writes the bench's two cities straight through the store:
// the first with paid orders for date, the second with one live deal and
// its buyers.
func fillCutoffBench(ctx context.Context, store tuango.Store, clock tuango.Clock, lines, buyers int, date string) (string, otherCity, error) {
	var other otherCity
	now := clock.Now()
	mk := func(city, name string) (*tuango.PickupPoint, *tuango.Product, error) {
		if err := store.CreateCity(ctx, &tuango.City{ID: city, Name: name, TimeZone: "Asia/Shanghai", Cutoff: "23:00"}); err != nil {
			return nil, nil, err
		}
		sup := &tuango.Supplier{ID: "sup_" + city, Name: "供应商"}
		if err := store.CreateSupplier(ctx, sup); err != nil {
			return nil, nil, err
		}
		p := &tuango.Product{ID: "prd_" + city, SupplierID: sup.ID, Name: "鸡蛋", Category: "蛋", Unit: "盒", CostFen: 500}
		if err := store.CreateProduct(ctx, p); err != nil {
			return nil, nil, err
		}
		pp := &tuango.PickupPoint{ID: "pp_" + city, CityID: city, Name: "点", Address: "路", CommissionBps: 800, Active: true}
		return pp, p, store.CreatePickupPoint(ctx, pp)
	}
	deal := func(id, city, product string, stock int) error {
		return store.CreateDeal(ctx, &tuango.Deal{ID: id, ProductID: product, CityID: city, Title: "鸡蛋", PriceFen: 990, ListPriceFen: 1290, Stock: stock,
			LimitPerCustomer: tuango.MaxQuantity, SaleStartsAt: now.Add(-time.Hour), SaleEndsAt: now.Add(12 * time.Hour), DeliveryDate: date, CreatedAt: now, UpdatedAt: now})
	}
	pp, prd, err := mk("cty_cut", "长沙")
	if err != nil {
		return "", other, err
	}
	points := []string{pp.ID}
	for i := 1; i < 60; i++ {
		p := &tuango.PickupPoint{ID: fmt.Sprintf("pp_cut_%02d", i), CityID: "cty_cut", Name: "点", Address: "路", CommissionBps: 800, Active: true}
		if err := store.CreatePickupPoint(ctx, p); err != nil {
			return "", other, err
		}
		points = append(points, p.ID)
	}
	const dealsN = 50
	for k := range dealsN {
		if err := deal(fmt.Sprintf("deal_cut_%02d", k), "cty_cut", prd.ID, tuango.MaxStock); err != nil {
			return "", other, err
		}
	}
	u := &tuango.User{ID: "usr_cut", Phone: "13800000000", Name: "顾客", Role: tuango.RoleCustomer, PasswordHash: "x", CreatedAt: now}
	if err := store.CreateUser(ctx, u); err != nil {
		return "", other, err
	}
	var batch []*tuango.Order
	flush := func() error {
		err := store.InTx(ctx, func(tx tuango.Store) error { return tx.CreateOrders(ctx, batch) })
		batch = batch[:0]
		return err
	}
	for n, i := 0, 0; n < lines; i++ {
		o := &tuango.Order{ID: fmt.Sprintf("ord_cut_%09d", i), UserID: u.ID, PickupPointID: points[i%len(points)], CityID: "cty_cut", Status: tuango.OrderPaid,
			CreatedAt: now.Add(time.Duration(i) * time.Microsecond), ExpiresAt: now.Add(time.Hour), PaidAt: now, IdempotencyKey: fmt.Sprint("k", i), DeliveryDate: date}
		for l := 0; l < 3 && n < lines; l, n = l+1, n+1 {
			o.Lines = append(o.Lines, tuango.OrderLine{OrderID: o.ID, LineNo: l + 1, DealID: fmt.Sprintf("deal_cut_%02d", (i+l*7)%dealsN), Title: "鸡蛋",
				Quantity: 1, UnitPriceFen: 990, AmountFen: 990, CommissionBps: 800, UnitCostFen: 500})
			o.TotalFen += 990
		}
		batch = append(batch, o)
		if len(batch) == 2000 {
			if err := flush(); err != nil {
				return "", other, err
			}
		}
	}
	if err := flush(); err != nil {
		return "", other, err
	}

	opp, oprd, err := mk("cty_other", "武汉")
	if err != nil {
		return "", other, err
	}
	other.point, other.deal = opp.ID, "deal_other"
	if err := deal(other.deal, "cty_other", oprd.ID, tuango.MaxStock); err != nil {
		return "", other, err
	}
	for i := range buyers * buyerPool {
		b := &tuango.User{ID: fmt.Sprintf("usr_other_%d", i), Phone: fmt.Sprintf("138%08d", 10000+i), Name: "顾客", Role: tuango.RoleCustomer, PasswordHash: "x", CreatedAt: now}
		if err := store.CreateUser(ctx, b); err != nil {
			return "", other, err
		}
		other.buyers = append(other.buyers, tuango.Actor{UserID: b.ID, Role: b.Role})
	}
	return "cty_cut", other, nil
}
