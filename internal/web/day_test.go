package web

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"tuango/internal/jobs"
	"tuango/internal/sms"
	"tuango/internal/tuango"
)

// dayCity is one city of the whole-day test: its points (with their
// leaders) and deals.
type dayCity struct {
	id      string
	points  []string
	leaders map[string]*client
	deals   []string
}

// dayOrders is how many orders the whole-day test places, half in each
// city: enough that every list is long and paged (kept so that the test
// takes well under a minute per engine on two cores).
const dayOrders = 3000

// TestAWholeDay plays a day over two cities through the public API and
// the worker's sweeps (jobs.Sweeps, each under its lease): customers
// order, most pay, some cancel, some never pay, late payments race the
// cutoff — 长沙's run by the operator, 武汉's by the worker at its cutoff
// time; every list is read;
// routes are dispatched; leaders sign with shortages and damage; most
// orders are picked up and the rest become unclaimed. It ends by checking
// that every order is final, that the lists agree with the orders per
// product, that refunds never exceed what was paid and cover every
// shortage exactly once, and that every notification reached its
// customer once although the SMS sender failed and lost answers. The
// money side (day_money_test.go): coupons used and given back, after-sales
// refunds small, approved and rejected, the window closing, commissions
// released, a withdrawal and a settlement paid and a payout failed; then a
// zero trial balance, a clean ledger verification, and statements equal
// to the fen to what the test computes from the orders, the rate and the
// purchase orders' unit cost.
func TestAWholeDay(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const date = "2026-11-26"
	worker := jobs.NewRunner(e.store, e.clock, "day-worker", nil, jobs.Sweeps(e.svc, time.Second)...)
	sweeps := map[string]jobs.Task{}
	for _, task := range jobs.Sweeps(e.svc, time.Second) {
		sweeps[task.Name] = task
	}
	sweep := func(name string) {
		t.Helper()
		task, ok := sweeps[name]
		if !ok {
			t.Fatalf("the worker has no sweep %q", name)
		}
		worker.RunOnce(ctx, task)
	}
	must(t, e.store.CreateCity(ctx, &tuango.City{ID: "cty_wh", Name: "武汉", TimeZone: "Asia/Shanghai", Cutoff: "22:00"}))
	cities := []*dayCity{{id: e.cityID}, {id: "cty_wh"}}
	for ci, c := range cities {
		c.leaders = map[string]*client{}
		must(t, e.store.CreateWarehouse(ctx, &tuango.Warehouse{ID: fmt.Sprint("wh_c", ci), CityID: c.id, Kind: tuango.WarehouseCentral, Name: "中心仓"}))
		must(t, e.store.CreateWarehouse(ctx, &tuango.Warehouse{ID: fmt.Sprint("wh_g", ci), CityID: c.id, Kind: tuango.WarehouseGrid, Name: "网格仓", ParentID: fmt.Sprint("wh_c", ci)}))
		for r := range 2 {
			must(t, e.store.CreateRoute(ctx, &tuango.Route{ID: fmt.Sprintf("rte_%d_%d", ci, r), WarehouseID: fmt.Sprint("wh_g", ci), Name: "线"}))
			for stop := range 3 {
				leader := e.roleUser(tuango.RoleLeader, "")
				var pp pickupPointView
				e.operator.mustDo("POST", "/api/v1/admin/pickup-points", map[string]any{"city_id": c.id, "route_id": fmt.Sprintf("rte_%d_%d", ci, r),
					"name": fmt.Sprintf("点%d-%d-%d", ci, r, stop), "address": "路1号", "commission_bps": 800, "leader_id": leader.userID, "stop_seq": 3 - stop}, 201, &pp)
				c.points = append(c.points, pp.ID)
				c.leaders[pp.ID] = leader
			}
		}
		ends := map[int]string{0: "2026-11-25T23:00:00+08:00", 1: "2026-11-25T22:00:00+08:00"}[ci]
		for k := range 3 {
			var d dealView
			e.operator.mustDo("POST", "/api/v1/admin/deals", map[string]any{"product_id": e.productID, "city_id": c.id, "price_fen": 990 + 100*k, "list_price_fen": 1990,
				"stock": 10000, "limit_per_customer": 5, "sale_starts_at": testStart.Add(-time.Hour).Format(time.RFC3339), "sale_ends_at": ends, "delivery_date": date}, 201, &d)
			c.deals = append(c.deals, d.ID)
		}
	}

	type placed = dayPlaced
	money := newDayMoney(t, e)
	var all []*placed
	var late []*placed
	for i := range dayOrders {
		city := cities[i%2]
		c := e.customer()
		items := []map[string]any{{"deal_id": city.deals[i%3], "quantity": 1 + i%3}}
		if i%4 == 0 {
			items = append(items, map[string]any{"deal_id": city.deals[(i+1)%3], "quantity": 2})
		}
		body := map[string]any{"pickup_point_id": city.points[i%len(city.points)], "items": items}
		var coupon string
		if usesCoupon(i) {
			coupon = money.issue(c)
			body["coupon_id"] = coupon
		}
		var o orderView
		c.mustDo("POST", "/api/v1/orders", body, 201, &o, "Idempotency-Key", newKey())
		p := &placed{c: c, city: city, o: o, coupon: coupon}
		all = append(all, p)
		e.clock.Advance(time.Millisecond) // placement order decides who is short
		switch {
		case i%10 == 9: // never paid
		case i%10 == 8: // pays at the provider as the cutoff runs
			var pay paymentView
			c.mustDo("POST", "/api/v1/orders/"+o.ID+"/payments", nil, 201, &pay, "Idempotency-Key", newKey())
			p.pay = pay.ID
			late = append(late, p)
		default:
			var pay paymentView
			c.mustDo("POST", "/api/v1/orders/"+o.ID+"/payments", nil, 201, &pay, "Idempotency-Key", newKey())
			c.mustDo("POST", "/api/v1/sandbox/payments/"+pay.ID+"/confirm", nil, 200, nil)
			p.pay = pay.ID
		}
	}
	for _, p := range all {
		if p.pay != "" && !containsPlaced(late, p) {
			p.o = p.c.waitStatus(p.o.ID, "paid")
		}
	}
	for i, p := range all {
		if p.o.Status == "paid" && i%10 == 7 {
			p.c.mustDo("POST", "/api/v1/orders/"+p.o.ID+"/cancel", nil, 200, nil)
		}
	}

	// The clock reaches 武汉's cutoff time (22:00 there, an hour before
	// 长沙's); the worker's cutoff of 武汉 and the operator's of 长沙 (an
	// early close) race the late payments.
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	must(t, err)
	e.clock.Advance(time.Date(2026, 11, 25, 22, 0, 1, 0, shanghai).Sub(e.clock.Now()))
	var wg sync.WaitGroup
	for _, p := range late {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.c.do("POST", "/api/v1/sandbox/payments/"+p.pay+"/confirm", nil)
		}()
	}
	summaries := make([]cutoffView, len(cities))
	wg.Add(2)
	go func() {
		defer wg.Done()
		e.operator.mustDo("POST", "/api/v1/admin/cutoffs", map[string]any{"city_id": cities[0].id, "delivery_date": date}, 200, &summaries[0])
	}()
	go func() {
		defer wg.Done()
		sweep("cutoffs")
	}()
	wg.Wait()
	e.operator.mustDo("GET", "/api/v1/admin/cutoffs/"+cities[1].id+"/"+date, nil, 200, &summaries[1])
	if summaries[1].StartedBy != tuango.WorkerID || summaries[1].FinishedAt == "" {
		t.Errorf("武汉's cutoff was started by %q and finished at %q; want the worker's, finished", summaries[1].StartedBy, summaries[1].FinishedAt)
	}
	if !summaries[0].Early {
		t.Errorf("长沙's cutoff by hand an hour before its time is not an early close: %+v", summaries[0])
	}
	time.Sleep(300 * time.Millisecond) // the late notifications land, and are refunded
	e.clock.Advance(tuango.ReconcileAfter + time.Second)
	sweep("reconcile_payments")
	sweep("send_refunds")

	// Units per product in the confirmed orders, and in every list.
	confirmed := map[string]int{} // deal → units
	for _, p := range all {
		p.c.mustDo("GET", "/api/v1/orders/"+p.o.ID, nil, 200, &p.o)
		switch p.o.Status {
		case "confirmed":
			for _, l := range p.o.Items {
				confirmed[l.DealID] += l.Quantity
			}
		case "cancelled":
		default:
			t.Errorf("order %s is %s after the cutoff, want confirmed or cancelled", p.o.ID, p.o.Status)
		}
	}
	money.checkCouponsAfterCutoff(all)
	perProduct := func() map[string]int { return map[string]int{} }
	po, sl, mf, pick := perProduct(), perProduct(), perProduct(), perProduct()
	unitCost := map[string]tuango.Fen{} // product → cost, as the purchase orders say
	for _, c := range cities {
		q := "?limit=1&city_id=" + c.id + "&date=" + date
		for cursor := "start"; cursor != ""; {
			var page struct {
				Items      []purchaseOrderView
				NextCursor string `json:"next_cursor"`
			}
			e.operator.mustDo("GET", "/api/v1/admin/purchase-orders"+q+cursorParam(cursor), nil, 200, &page)
			for _, p := range page.Items {
				for _, l := range p.Lines {
					po[l.ProductID] += l.Quantity
					if c, ok := unitCost[l.ProductID]; ok && c != l.UnitCostFen {
						t.Errorf("purchase orders cost product %s at %d and %d", l.ProductID, c, l.UnitCostFen)
					}
					unitCost[l.ProductID] = l.UnitCostFen
				}
			}
			cursor = page.NextCursor
		}
		var sorting struct{ Items []sortingListView }
		e.operator.mustDo("GET", "/api/v1/admin/sorting-lists?city_id="+c.id+"&date="+date, nil, 200, &sorting)
		for _, s := range sorting.Items {
			for _, l := range s.Lines {
				sl[l.ProductID] += l.Quantity
			}
		}
		var manifests struct{ Items []manifestView }
		e.operator.mustDo("GET", "/api/v1/admin/manifests?city_id="+c.id+"&date="+date, nil, 200, &manifests)
		for _, m := range manifests.Items {
			for i, st := range m.Stops {
				if i > 0 && st.Seq < m.Stops[i-1].Seq {
					t.Errorf("manifest %s: stop %d before stop %d", m.RouteID, m.Stops[i-1].Seq, st.Seq)
				}
				for _, l := range st.Lines {
					mf[l.ProductID] += l.Quantity
				}
			}
		}
		for _, pp := range c.points {
			var d deliveryView
			c.leaders[pp].mustDo("GET", "/api/v1/leader/deliveries/"+date, nil, 200, &d)
			for _, l := range d.Lines {
				pick[l.ProductID] += l.Quantity
			}
		}
	}
	units := 0
	for _, n := range confirmed {
		units += n
	}
	product := map[string]int{e.productID: units} // every deal sells the one product
	for name, got := range map[string]map[string]int{"purchase orders": po, "sorting lists": sl, "manifests": mf, "pick lists": pick} {
		if got[e.productID] != product[e.productID] || len(got) != 1 {
			t.Errorf("%s count %v units, the confirmed orders %v", name, got, product)
		}
	}
	if summaries[0].ConfirmedUnits+summaries[1].ConfirmedUnits != units {
		t.Errorf("cutoff summaries count %d + %d units, the orders %d", summaries[0].ConfirmedUnits, summaries[1].ConfirmedUnits, units)
	}

	// Dispatch, then sign: at each city's first point the first deal is two
	// units short and one more is damaged.
	for ci := range cities {
		for r := range 2 {
			e.operator.mustDo("POST", fmt.Sprintf("/api/v1/admin/routes/rte_%d_%d/dispatch", ci, r), map[string]any{"delivery_date": date}, 200, nil)
		}
	}
	wantShort := 0
	refunded := 0
	for _, c := range cities {
		for k, pp := range c.points {
			var d deliveryView
			leader := c.leaders[pp]
			leader.mustDo("GET", "/api/v1/leader/deliveries/"+date, nil, 200, &d)
			var lines []map[string]any
			if k == 0 && len(d.Lines) > 0 && d.Lines[0].Quantity >= 3 {
				lines = append(lines, map[string]any{"deal_id": d.Lines[0].DealID, "received": d.Lines[0].Quantity - 2, "damaged": 1})
				wantShort += 3
			}
			if len(d.Orders) == 0 {
				continue
			}
			var res signView
			leader.mustDo("POST", "/api/v1/leader/deliveries/"+date+"/sign", map[string]any{"lines": lines}, 200, &res, "Idempotency-Key", newKey())
			for _, r := range res.Refunds {
				refunded += r.Quantity
			}
		}
	}
	if refunded != wantShort {
		t.Errorf("units refunded at sign-off = %d, want the %d short or damaged", refunded, wantShort)
	}

	// Pickups: three in four orders are collected.
	for i, p := range all {
		p.c.mustDo("GET", "/api/v1/orders/"+p.o.ID, nil, 200, &p.o)
		if p.o.Status != "arrived" || i%4 == 3 {
			continue
		}
		leader := p.city.leaders[p.o.PickupPointID]
		leader.mustDo("POST", "/api/v1/leader/pickups", map[string]any{"code": p.o.PickupCode}, 200, nil, "Idempotency-Key", newKey())
	}
	// Within the after-sales window: refunds asked for, some small and
	// approved at once, the rest approved or rejected by the operator.
	money.afterSales(all)
	// A day before the pickup window ends the customers still to collect
	// are reminded; after it their orders are unclaimed.
	e.clock.Advance(tuango.DefaultPickupWindow - tuango.ReminderLead + time.Hour)
	sweep("pickup_reminders")
	e.clock.Advance(tuango.ReminderLead)
	sweep("unclaimed_orders")
	// The refund sweep sends 200 a run (it is not drained): hundreds of
	// late and cancelled payments are refunded besides the shortages.
	for i := 0; i < 20 && e.count(`SELECT COUNT(*) FROM refunds WHERE status = 'pending'`)+e.count(`SELECT COUNT(*) FROM partial_refunds WHERE status = 'pending'`) > 0; i++ {
		sweep("send_refunds")
	}
	if reminded, unclaimed := e.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'pickup_reminder'`), e.count(`SELECT COUNT(*) FROM orders WHERE status = 'unclaimed'`); unclaimed == 0 || reminded != unclaimed {
		t.Errorf("%d reminders for %d unclaimed orders; want one each", reminded, unclaimed)
	}
	if short, pending := e.count(`SELECT COALESCE(SUM(quantity), 0) FROM partial_refunds WHERE reason NOT LIKE 'after_sales:%'`), e.count(`SELECT COUNT(*) FROM partial_refunds WHERE status <> 'succeeded'`); short != wantShort || pending != 0 {
		t.Errorf("partial refunds hold %d units (%d not sent); want the %d short or damaged, all sent", short, pending, wantShort)
	}

	// Every order final; refunds within what was paid, per line and payment.
	for _, p := range all {
		p.c.mustDo("GET", "/api/v1/orders/"+p.o.ID, nil, 200, &p.o)
		if !tuango.OrderStatus(p.o.Status).Final() {
			t.Errorf("order %s ends the day %s, want a final state", p.o.ID, p.o.Status)
		}
		var sum tuango.Fen
		for _, l := range p.o.Items {
			// Refunds give back what the units carry after the coupon's share:
			// r of q units of a line paid P are P × r / q, floored.
			if l.RefundedFen > l.PaidFen || l.PaidFen > l.AmountFen || l.RefundedQty > l.Quantity || l.RefundedFen != l.PaidFen*tuango.Fen(l.RefundedQty)/tuango.Fen(l.Quantity) {
				t.Errorf("order %s line %d: refunded %d units %d fen of %d units %d fen paid", p.o.ID, l.LineNo, l.RefundedQty, l.RefundedFen, l.Quantity, l.PaidFen)
			}
			sum += l.RefundedFen
		}
		if sum != p.o.RefundedFen {
			t.Errorf("order %s: refunded_fen %d, its lines %d", p.o.ID, p.o.RefundedFen, sum)
		}
		if p.pay == "" {
			continue
		}
		refunds, err := e.store.FindRefunds(ctx, p.pay, "", 0)
		must(t, err)
		var back tuango.Fen
		for _, r := range refunds {
			back += r.AmountFen
		}
		if back > p.o.TotalFen-p.o.DiscountFen {
			t.Errorf("payment %s: %d fen refunded of %d paid", p.pay, back, p.o.TotalFen-p.o.DiscountFen)
		}
	}

	// The money: the window is closed (the clock moved past it), the
	// commissions are released, a leader withdraws and the supplier is
	// settled, one payout failing; then the books must balance.
	money.windowClosed(all)
	release := func(open int) { // every picked-up order's commission but those with an open request
		for i := 0; i < 20 && e.count(`SELECT COUNT(*) FROM orders WHERE status = 'picked_up'`) > open+e.count(`SELECT COUNT(*) FROM ledger_sets WHERE event = 'commission_released'`); i++ {
			sweep("release_commissions")
		}
	}
	release(1)
	money.approveLate(all)
	release(0)
	money.payouts(cities, sweep)
	for i := 0; i < 20 && e.count(`SELECT COUNT(*) FROM partial_refunds WHERE status = 'pending'`) > 0; i++ {
		sweep("send_refunds")
	}
	money.checkBooks(all, cities, unitCost[e.productID])

	// Every notification once, though the sender fails and loses answers.
	sender := sms.NewSandbox(e.store, e.clock)
	e.svc.SetSender(sender)
	sender.SetFaults(sms.Faults{FailRate: 0.3, LoseAckRate: 0.3})
	for range 5 {
		sweep("deliver_notifications")
	}
	if e.count(`SELECT COUNT(*) FROM outbox WHERE sent_at = 0`) == 0 {
		t.Errorf("every notification was sent although the sender failed a third of its sends")
	}
	sender.SetFaults(sms.Faults{})
	for range 10 {
		sweep("deliver_notifications")
	}
	outbox, inbox := e.count(`SELECT COUNT(*) FROM outbox`), e.count(`SELECT COUNT(*) FROM notifications`)
	sent, unsent := e.count(`SELECT COUNT(*) FROM sandbox_sms`), e.count(`SELECT COUNT(*) FROM outbox WHERE sent_at = 0`)
	if outbox == 0 || inbox != outbox || sent != outbox || unsent != 0 {
		t.Errorf("outbox %d, inbox %d, SMS %d, unsent %d: want every message in the inbox and sent once", outbox, inbox, sent, unsent)
	}
}

func containsPlaced[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func cursorParam(c string) string {
	if c == "start" {
		return ""
	}
	return "&cursor=" + c
}
