package tuango_test

import (
	"context"
	"testing"
	"time"

	"tuango/internal/auth"
	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// flashDeal adds a flash deal (秒杀) of stock beside the world's normal one.
func (w *world) flashDeal(t *testing.T, stock int) string {
	t.Helper()
	ctx := context.Background()
	normal, err := w.db.Store().FindDealByID(ctx, w.deal)
	must(t, err)
	d := &tuango.Deal{ProductID: normal.ProductID, CityID: normal.CityID, Title: "【秒杀】白菜", PriceFen: 99, ListPriceFen: 299, Stock: stock,
		LimitPerCustomer: 5, SaleStartsAt: normal.SaleStartsAt, SaleEndsAt: normal.SaleEndsAt, DeliveryDate: normal.DeliveryDate, Flash: true}
	must(t, w.svc.CreateDeal(ctx, w.op, d))
	got, err := w.db.Store().FindDealByID(ctx, d.ID)
	must(t, err)
	if !got.Flash {
		t.Fatalf("deal %s read back with Flash = false", d.ID)
	}
	return d.ID
}

func (w *world) place(t *testing.T, svc *tuango.Service, a tuango.Actor, key string, items ...tuango.OrderItem) *tuango.Order {
	t.Helper()
	o, err := svc.PlaceOrder(context.Background(), a, tuango.PlaceOrderRequest{PickupPointID: w.pp, Items: items, Idem: idem(a.UserID, key)})
	must(t, err)
	return o.Value
}

func (w *world) reservedOf(t *testing.T, deal string) int {
	t.Helper()
	d, err := w.db.Store().FindDealByID(context.Background(), deal)
	must(t, err)
	return d.Reserved
}

// A flash deal's unpaid hold is the flash timeout (5 minutes by default),
// for the whole order when any line is of one; other orders keep the
// order timeout; the expiry sweep gives a flash order's stock back when its
// hold ends and leaves the others alone.
func TestFlashDealHoldsUnpaidStockShorter(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 100)
	flash := w.flashDeal(t, 10)
	a := w.customer(t, "13800000011")
	normal := w.place(t, w.svc, a, "normal", tuango.OrderItem{DealID: w.deal, Quantity: 1})
	only := w.place(t, w.svc, a, "flash", tuango.OrderItem{DealID: flash, Quantity: 2})
	mixed := w.place(t, w.svc, a, "mixed", tuango.OrderItem{DealID: w.deal, Quantity: 1}, tuango.OrderItem{DealID: flash, Quantity: 3})
	for _, tc := range []struct {
		name string
		o    *tuango.Order
		want time.Duration
	}{
		{"a normal order", normal, tuango.DefaultOrderTimeout},
		{"a flash order", only, tuango.DefaultFlashOrderTimeout},
		{"a cart mixing both", mixed, tuango.DefaultFlashOrderTimeout},
	} {
		stored, err := w.db.Store().FindOrderByID(context.Background(), tc.o.ID)
		must(t, err)
		if got := stored.ExpiresAt.Sub(stored.CreatedAt); got != tc.want {
			t.Errorf("%s: expires %s after creation, want %s", tc.name, got, tc.want)
		}
	}
	if got := w.reservedOf(t, flash); got != 5 {
		t.Fatalf("flash deal reserved = %d, want 5", got)
	}

	w.clock.Advance(tuango.DefaultFlashOrderTimeout - time.Second)
	if n, err := w.svc.ExpireOrders(context.Background(), 100); err != nil || n != 0 {
		t.Fatalf("ExpireOrders a second before the flash hold ends = %d, %v; want 0", n, err)
	}
	w.clock.Advance(time.Second)
	if n, err := w.svc.ExpireOrders(context.Background(), 100); err != nil || n != 2 {
		t.Fatalf("ExpireOrders when the flash hold ends = %d, %v; want 2 (the flash and the mixed order)", n, err)
	}
	if got := w.reservedOf(t, flash); got != 0 {
		t.Errorf("flash deal reserved after its orders expired = %d, want 0", got)
	}
	if got := w.reservedOf(t, w.deal); got != 1 {
		t.Errorf("normal deal reserved = %d, want 1 (the normal order's unit; the mixed order's went back)", got)
	}
	for _, o := range []*tuango.Order{only, mixed} {
		stored, err := w.db.Store().FindOrderByID(context.Background(), o.ID)
		must(t, err)
		if stored.Status != tuango.OrderCancelled || stored.CancelReason != tuango.CancelExpired {
			t.Errorf("order %s = %s (%s), want cancelled (expired)", o.ID, stored.Status, stored.CancelReason)
		}
	}
	w.clock.Advance(tuango.DefaultOrderTimeout - tuango.DefaultFlashOrderTimeout)
	if n, err := w.svc.ExpireOrders(context.Background(), 100); err != nil || n != 1 {
		t.Fatalf("ExpireOrders when the normal hold ends = %d, %v; want 1", n, err)
	}
	if got := w.reservedOf(t, w.deal); got != 0 {
		t.Errorf("normal deal reserved after expiry = %d, want 0", got)
	}
}

// The flash timeout is the service's setting, and never makes an order
// wait longer than the order timeout; the deal's flag survives an update.
func TestFlashOrderTimeoutIsConfiguredAndNeverLonger(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 100)
	flash := w.flashDeal(t, 10)
	a := w.customer(t, "13800000012")
	hasher := auth.NewHasher(auth.Params{Time: 1, Memory: 64, Threads: 1}, 2)
	for _, tc := range []struct {
		name          string
		order, flashT time.Duration
		want          time.Duration
	}{
		{"set to 2 minutes", 15 * time.Minute, 2 * time.Minute, 2 * time.Minute},
		{"set longer than the order timeout", 10 * time.Minute, 30 * time.Minute, 10 * time.Minute},
	} {
		svc := tuango.NewService(w.db.Store(), w.clock, nil, hasher, w.sb, tuango.Config{OrderTimeout: tc.order, FlashOrderTimeout: tc.flashT}, nil)
		o := w.place(t, svc, a, tc.name, tuango.OrderItem{DealID: flash, Quantity: 1})
		svc.Close()
		if got := o.ExpiresAt.Sub(o.CreatedAt); got != tc.want {
			t.Errorf("%s: a flash order expires %s after creation, want %s", tc.name, got, tc.want)
		}
		if normal, flash := svc.OrderTimeouts(); normal != tc.order || flash != tc.want {
			t.Errorf("%s: OrderTimeouts() = %s, %s; want %s, %s", tc.name, normal, flash, tc.order, tc.want)
		}
	}

	// Turning the flag off makes the next order a normal one.
	_, err := w.svc.UpdateDeal(context.Background(), w.op, flash, func(d *tuango.Deal) error { d.Flash = false; return nil })
	must(t, err)
	if d, _ := w.db.Store().FindDealByID(context.Background(), flash); d.Flash {
		t.Fatal("Flash still true after the update turned it off")
	}
	o := w.place(t, w.svc, a, "after", tuango.OrderItem{DealID: flash, Quantity: 1})
	if got := o.ExpiresAt.Sub(o.CreatedAt); got != tuango.DefaultOrderTimeout {
		t.Errorf("an order of a deal no longer flash expires %s after creation, want %s", got, tuango.DefaultOrderTimeout)
	}
}
