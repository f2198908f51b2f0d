package tuango_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"tuango/internal/auth"
	"tuango/internal/payment"
	"tuango/internal/sqlstore"
	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

var t0 = time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)

type world struct {
	db    *sqlstore.DB
	svc   *tuango.Service
	clock *tuango.ManualClock
	op    tuango.Actor
	sb    *payment.Sandbox
	pp    string
	deal  string
}

// newWorld opens the real store named by dsn (see storetest.DSN) with one
// live deal of stock; opening the same dsn again is a restart or a second
// node on the same data.
func newWorld(t *testing.T, dsn string, stock int) *world {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w := &world{db: db, clock: tuango.NewManualClock(t0)}
	sb := payment.NewSandbox(db.Store(), w.clock, []byte("k"), "http://127.0.0.1:1", nil)
	t.Cleanup(sb.Close)
	w.sb = sb
	w.svc = tuango.NewService(db.Store(), w.clock, nil, auth.NewHasher(auth.Params{Time: 1, Memory: 64, Threads: 1}, 2), sb, tuango.Config{}, nil)
	w.op = tuango.Actor{UserID: "op", Role: tuango.RoleOperator}
	s := db.Store()
	if cities, _ := s.FindCities(ctx); len(cities) > 0 {
		pps, _ := s.FindPickupPoints(ctx, tuango.PickupPointFilter{})
		deals, _ := s.FindDeals(ctx, tuango.DealFilter{})
		w.pp, w.deal = pps[0].ID, deals[0].ID
		return w
	}
	must(t, s.CreateCity(ctx, &tuango.City{ID: "cty_1", Name: "长沙", TimeZone: "Asia/Shanghai", Cutoff: "23:00"}))
	pp := &tuango.PickupPoint{CityID: "cty_1", Name: "店", Address: "路1号", CommissionBps: 500, Active: true}
	must(t, w.svc.CreatePickupPoint(ctx, w.op, pp))
	sup := &tuango.Supplier{Name: "农场"}
	must(t, w.svc.CreateSupplier(ctx, w.op, sup))
	prd := &tuango.Product{SupplierID: sup.ID, Name: "白菜", Category: "蔬菜", Unit: "500g", CostFen: 150}
	must(t, w.svc.CreateProduct(ctx, w.op, prd))
	d := &tuango.Deal{ProductID: prd.ID, CityID: "cty_1", PriceFen: 199, ListPriceFen: 299, Stock: stock, LimitPerCustomer: 50,
		SaleStartsAt: t0.Add(-time.Hour), SaleEndsAt: t0.Add(13 * time.Hour), DeliveryDate: "2026-11-26"}
	must(t, w.svc.CreateDeal(ctx, w.op, d))
	w.pp, w.deal = pp.ID, d.ID
	return w
}

// payment starts paying for o under key.
func (w *world) payment(t *testing.T, a tuango.Actor, o *tuango.Order, key string) *tuango.Payment {
	t.Helper()
	ans, err := w.svc.CreatePayment(context.Background(), a, o.ID, idem(a.UserID, key))
	must(t, err)
	return ans.Value
}

func (w *world) customer(t *testing.T, phone string) tuango.Actor {
	t.Helper()
	u, _ := register(t, w.svc, phone, "password-1")
	return tuango.Actor{UserID: u.ID, Role: u.Role}
}

// register registers a customer on svc the way a person does: a code sent
// to the phone first, then the form with it.
func register(t testing.TB, svc *tuango.Service, phone, password string) (*tuango.User, string) {
	t.Helper()
	ctx := context.Background()
	code, err := svc.RequestCode(ctx, tuango.CodeRequest{Phone: phone, Purpose: tuango.PurposeRegister, Source: "192.0.2.1"})
	if err != nil {
		t.Fatalf("RequestCode(%s) = %v", phone, err)
	}
	u, token, err := svc.Register(ctx, tuango.Registration{Phone: phone, Password: password, Name: "顾客", Code: code, Source: "192.0.2.1"})
	if err != nil {
		t.Fatalf("Register(%s) = %v", phone, err)
	}
	return u, token
}

func (w *world) order(t *testing.T, a tuango.Actor, key string, qty int) *tuango.Order {
	t.Helper()
	o, err := w.svc.PlaceOrder(context.Background(), a, tuango.PlaceOrderRequest{PickupPointID: w.pp,
		Items: []tuango.OrderItem{{DealID: w.deal, Quantity: qty}}, Idem: idem(a.UserID, key)})
	must(t, err)
	return o.Value
}

func (w *world) reserved(t *testing.T) int {
	t.Helper()
	d, err := w.db.Store().FindDealByID(context.Background(), w.deal)
	must(t, err)
	return d.Reserved
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Rule 5: unpaid orders expire once and give their stock back once, even
// when sweeps run at the same time on two nodes and again after a restart.
func TestExpiryReleasesStockExactlyOnce(t *testing.T) {
	dsn := storetest.DSN(t)
	w := newWorld(t, dsn, 100)
	a := w.customer(t, "13800000001")
	for i := range 10 {
		w.order(t, a, "k"+string(rune('a'+i)), 2)
	}
	if got := w.reserved(t); got != 20 {
		t.Fatalf("reserved = %d, want 20", got)
	}
	w.clock.Advance(tuango.DefaultOrderTimeout - time.Second)
	if n, err := w.svc.ExpireOrders(context.Background(), 100); err != nil || n != 0 {
		t.Fatalf("ExpireOrders before the deadline = %d, %v; want 0", n, err)
	}
	w.db.Close()

	// A restart: a new process on the same data, and a second node.
	w = newWorld(t, dsn, 100)
	w.clock.Advance(tuango.DefaultOrderTimeout)
	other := newWorld(t, dsn, 100)
	other.clock.Advance(tuango.DefaultOrderTimeout)
	var wg sync.WaitGroup
	counts := make([]int, 6)
	for i := range counts {
		svc := w.svc
		if i%2 == 1 {
			svc = other.svc
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := svc.ExpireOrders(context.Background(), 100)
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		}()
	}
	wg.Wait()
	total := 0
	for _, n := range counts {
		total += n
	}
	if total != 10 {
		t.Errorf("orders expired across sweeps = %d (%v), want 10", total, counts)
	}
	if got := w.reserved(t); got != 0 {
		t.Errorf("reserved after expiry = %d, want 0", got)
	}
	orders, err := w.db.Store().FindOrders(context.Background(), tuango.OrderFilter{UserID: a.UserID})
	must(t, err)
	for _, o := range orders {
		if o.Status != tuango.OrderCancelled || o.CancelReason != tuango.CancelExpired {
			t.Errorf("order %s = %s (%s), want cancelled (expired)", o.ID, o.Status, o.CancelReason)
		}
	}
}

func TestPaymentDeadlineIsTheEarlierOfTimeoutAndCutoff(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 10)
	a := w.customer(t, "13800000002")
	w.clock.Advance(13*time.Hour - 5*time.Minute) // five minutes before the sale ends
	o := w.order(t, a, "late", 1)
	if want := t0.Add(13 * time.Hour); !o.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v, want the cutoff %v", o.ExpiresAt, want)
	}
}

func TestCancellingAPaidOrderRefundsIt(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 10)
	ctx := context.Background()
	a := w.customer(t, "13800000003")
	o := w.order(t, a, "k", 3)
	p := w.payment(t, a, o, "p")
	s := w.db.Store()
	ok, err := s.SetPaymentStatus(ctx, p.ID, tuango.PaymentPending, tuango.PaymentSucceeded, "txn", w.clock.Now())
	must(t, err)
	ok2, err := s.UpdateOrderStatus(ctx, &tuango.Order{ID: o.ID, Status: tuango.OrderPaid, PaidAt: w.clock.Now()}, tuango.OrderPendingPayment)
	must(t, err)
	if !ok || !ok2 {
		t.Fatal("could not mark the order paid")
	}
	got, err := w.svc.CancelOrder(ctx, a, o.ID)
	must(t, err)
	if got.Status != tuango.OrderCancelled {
		t.Errorf("status = %s, want cancelled", got.Status)
	}
	refunds, err := s.FindRefunds(ctx, p.ID, "", 0)
	must(t, err)
	if len(refunds) != 1 || refunds[0].AmountFen != o.TotalFen {
		t.Errorf("refunds = %+v, want one of %d fen", refunds, o.TotalFen)
	}
	if r := w.reserved(t); r != 0 {
		t.Errorf("reserved = %d, want 0", r)
	}
}

func TestValidation(t *testing.T) {
	good := func() tuango.Deal {
		return tuango.Deal{ProductID: "p", CityID: "c", PriceFen: 100, ListPriceFen: 100, Stock: 1, LimitPerCustomer: 1,
			SaleStartsAt: t0, SaleEndsAt: t0.Add(time.Hour), DeliveryDate: "2026-11-26"}
	}
	tests := []struct {
		name      string
		change    func(*tuango.Deal)
		wantField string
	}{
		{"a good deal passes", func(*tuango.Deal) {}, ""},
		{"zero price", func(d *tuango.Deal) { d.PriceFen = 0 }, "price_fen"},
		{"price above the maximum", func(d *tuango.Deal) { d.PriceFen, d.ListPriceFen = tuango.MaxFen+1, tuango.MaxFen+1 }, "price_fen"},
		{"was-price below price", func(d *tuango.Deal) { d.ListPriceFen = 99 }, "list_price_fen"},
		{"negative stock", func(d *tuango.Deal) { d.Stock = -1 }, "stock"},
		{"stock below reserved", func(d *tuango.Deal) { d.Reserved = 2 }, "stock"},
		{"limit zero", func(d *tuango.Deal) { d.LimitPerCustomer = 0 }, "limit_per_customer"},
		{"sale ends at its start", func(d *tuango.Deal) { d.SaleEndsAt = d.SaleStartsAt }, "sale_ends_at"},
		{"sale longer than a year", func(d *tuango.Deal) { d.SaleEndsAt = d.SaleStartsAt.AddDate(2, 0, 0) }, "sale_ends_at"},
		{"delivery before the sale", func(d *tuango.Deal) { d.DeliveryDate = "2026-11-01" }, "delivery_date"},
		{"delivery not a date", func(d *tuango.Deal) { d.DeliveryDate = "26/11/2026" }, "delivery_date"},
		{"title with a control character", func(d *tuango.Deal) { d.Title = "a\x1bb" }, "title"},
		{"missing product", func(d *tuango.Deal) { d.ProductID = "" }, "product_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := good()
			tt.change(&d)
			err := d.Validate()
			var field string
			if e, ok := err.(*tuango.Error); ok {
				field = e.Field
			} else if err != nil {
				t.Fatalf("Validate() = %v, not a *tuango.Error", err)
			}
			if field != tt.wantField || (tt.wantField == "") != (err == nil) {
				t.Errorf("Validate() = %v, want an error on %q", err, tt.wantField)
			}
		})
	}
	phones := map[string]bool{"13800138000": true, "19912345678": true, "12800138000": false, "1380013800": false, "138001380001": false, "+8613800138000": false, "": false}
	for p, ok := range phones {
		if err := tuango.CheckPhone(p); (err == nil) != ok {
			t.Errorf("CheckPhone(%q) = %v, want ok %v", p, err, ok)
		}
	}
}

// A paid order can be cancelled until its deal's cutoff, not only within
// the payment window.
func TestPaidOrderCancellableUntilCutoff(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 10)
	ctx := context.Background()
	a := w.customer(t, "13800000004")
	s := w.db.Store()
	pay := func(o *tuango.Order) {
		ok, err := s.UpdateOrderStatus(ctx, &tuango.Order{ID: o.ID, Status: tuango.OrderPaid, PaidAt: w.clock.Now()}, tuango.OrderPendingPayment)
		if err != nil || !ok {
			t.Fatalf("mark paid: %v %v", ok, err)
		}
	}
	early, late := w.order(t, a, "e", 1), w.order(t, a, "l", 1)
	pay(early)
	pay(late)
	w.clock.Advance(2 * time.Hour) // past the 15-minute payment window, before the cutoff
	if _, err := w.svc.CancelOrder(ctx, a, early.ID); err != nil {
		t.Errorf("cancel a paid order before the cutoff = %v, want success", err)
	}
	w.clock.Advance(12 * time.Hour) // past the cutoff
	if _, err := w.svc.CancelOrder(ctx, a, late.ID); tuango.ErrorCode(err) != tuango.CodeOrderNotCancellable {
		t.Errorf("cancel after the cutoff = %v, want order_not_cancellable", err)
	}
}

// Ids from SortableIDs sort in the order they were made, across
// milliseconds, and do not repeat within one.
func TestSortableIDs(t *testing.T) {
	clock := tuango.NewManualClock(time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC))
	gen := tuango.SortableIDs(clock)
	seen := map[string]bool{}
	prev := ""
	for i := range 2000 {
		if i%100 == 0 {
			clock.Advance(time.Millisecond)
			id := gen("ord")
			if id <= prev {
				t.Fatalf("id %s made after %s sorts before it", id, prev)
			}
			prev = id
		}
		id := gen("ord")
		if seen[id] || !strings.HasPrefix(id, "ord_") || len(id) != len("ord_")+20 {
			t.Fatalf("id %q: repeated %v, or not ord_ and 20 characters", id, seen[id])
		}
		seen[id] = true
	}
}
