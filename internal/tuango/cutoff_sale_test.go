package tuango_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// Once a city's cutoff for a delivery date has begun, that day's orders
// have gone to the suppliers: no deal may go on sale for the date again,
// whether made new or reopened, while a later date and edits that leave
// the sale ended are fine.
func TestNoSaleForADateAlreadyCutOff(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 100)
	ctx := context.Background()
	const date = "2026-11-26"
	// An early close: the city's cutoff time (23:00) has not come.
	if _, err := w.svc.Cutoff(ctx, w.op, "cty_1", date); err != nil {
		t.Fatal(err)
	}
	old, err := w.svc.Store().FindDealByID(ctx, w.deal)
	must(t, err)
	if old.LiveAt(w.clock.Now()) {
		t.Fatalf("the cutoff left its date's deal on sale until %s", old.SaleEndsAt)
	}
	now := w.clock.Now()
	fresh := func(delivery string) *tuango.Deal {
		return &tuango.Deal{ProductID: old.ProductID, CityID: "cty_1", PriceFen: 199, ListPriceFen: 299, Stock: 10, LimitPerCustomer: 5,
			SaleStartsAt: now.Add(-time.Minute), SaleEndsAt: now.Add(2 * time.Hour), DeliveryDate: delivery}
	}
	err = w.svc.CreateDeal(ctx, w.op, fresh(date))
	if e, ok := err.(*tuango.Error); !ok || e.Code != tuango.CodeCutoffPassed || e.Field != "delivery_date" {
		t.Fatalf("a new deal for a date cut off = %v, want cutoff_passed on delivery_date", err)
	}
	if _, err := w.svc.UpdateDeal(ctx, w.op, w.deal, func(d *tuango.Deal) error { d.SaleEndsAt = now.Add(time.Hour); return nil }); tuango.ErrorCode(err) != tuango.CodeCutoffPassed {
		t.Errorf("reopening the sale of a deal whose date was cut off = %v, want cutoff_passed", err)
	}
	if _, err := w.svc.UpdateDeal(ctx, w.op, w.deal, func(d *tuango.Deal) error { d.Title = "白菜（已截单）"; return nil }); err != nil {
		t.Errorf("renaming an ended deal of a date cut off = %v, want it saved", err)
	}
	deals, err := w.svc.Store().FindDeals(ctx, tuango.DealFilter{CityID: "cty_1", DeliveryDate: date})
	must(t, err)
	if len(deals) != 1 || deals[0].LiveAt(now) {
		t.Errorf("deals for %s after the refusals = %+v, want the one, ended", date, deals)
	}
	next := fresh("2026-11-27")
	if err := w.svc.CreateDeal(ctx, w.op, next); err != nil {
		t.Errorf("a deal for the next date = %v, want it created", err)
	}
	// The rule is checked where it decides; a customer finds nothing to buy.
	a := w.customer(t, "13800006001")
	_, err = w.svc.PlaceOrder(ctx, a, tuango.PlaceOrderRequest{PickupPointID: w.pp, Items: []tuango.OrderItem{{DealID: w.deal, Quantity: 1}}, Idem: idem(a.UserID, "late")})
	if tuango.ErrorCode(err) != tuango.CodeDealNotLive {
		t.Errorf("an order for the cut-off date = %v, want deal_not_live", err)
	}
}

// A deal saved while its date's cutoff starts either is ended by the
// cutoff or is refused: none is left on sale for a date cut off. On
// PostgreSQL the two run at once on different connections.
func TestCutoffAndDealSavesDoNotPassEachOther(t *testing.T) {
	dsn := storetest.DSN(t)
	w := newWorld(t, dsn, 100)
	ctx := context.Background()
	const date = "2026-11-26"
	old, err := w.svc.Store().FindDealByID(ctx, w.deal)
	must(t, err)
	now := w.clock.Now()
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Go(func() {
			errs[i] = w.svc.CreateDeal(ctx, w.op, &tuango.Deal{ProductID: old.ProductID, CityID: "cty_1", Title: fmt.Sprint("抢上架 ", i), PriceFen: 199, ListPriceFen: 299,
				Stock: 10, LimitPerCustomer: 5, SaleStartsAt: now.Add(-time.Minute), SaleEndsAt: now.Add(2 * time.Hour), DeliveryDate: date})
		})
	}
	wg.Go(func() {
		if _, err := w.svc.Cutoff(ctx, w.op, "cty_1", date); err != nil {
			t.Error(err)
		}
	})
	wg.Wait()
	refused := 0
	for _, err := range errs {
		switch tuango.ErrorCode(err) {
		case "":
		case tuango.CodeCutoffPassed:
			refused++
		default:
			t.Errorf("a deal saved during the cutoff = %v", err)
		}
	}
	deals, err := w.svc.Store().FindDeals(ctx, tuango.DealFilter{CityID: "cty_1", DeliveryDate: date})
	must(t, err)
	if len(deals) != 1+len(errs)-refused {
		t.Errorf("%d deals for %s, want %d: the first and every one not refused", len(deals), date, 1+len(errs)-refused)
	}
	for _, d := range deals {
		if d.LiveAt(now) {
			t.Errorf("%s (%s) is on sale until %s for a date cut off", d.ID, d.Title, d.SaleEndsAt)
		}
	}
	t.Logf("%d of %d deals saved during the cutoff were refused", refused, len(errs))
}
