package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"tuango/internal/payment"
	"tuango/internal/tuango"
)

// simulateDay plays a whole day on the demo data through the service, as
// its people would: customers of both cities order and most pay, the
// cutoff runs early by hand, every route is dispatched, leaders sign with
// a few shortages and damaged units, and most orders are collected — the
// rest are left for the pickup window. Afterwards every list is filled in.
func simulateDay(ctx context.Context, svc *tuango.Service, sandbox *payment.Sandbox, out io.Writer) error {
	store := svc.Store()
	op, err := store.FindUserByPhone(ctx, "13900000001")
	if err != nil {
		return err
	}
	operator := tuango.Actor{UserID: op.ID, Role: op.Role}
	cities, err := store.FindCities(ctx)
	if err != nil {
		return err
	}
	now := svc.Clock().Now()
	firstPhones := map[string]int{"长沙": 13900001001, "武汉": 13900001501}
	type placed struct {
		who tuango.Actor
		o   *tuango.Order
	}
	for _, city := range cities {
		first, ok := firstPhones[city.Name]
		if !ok {
			continue
		}
		deals, err := store.FindDeals(ctx, tuango.DealFilter{CityID: city.ID, LiveAt: now})
		if err != nil || len(deals) == 0 {
			fmt.Fprintf(out, "simulate-day: %s has no live deals; skipped\n", city.Name)
			continue
		}
		date := deals[0].DeliveryDate
		var paid []placed
		for i := range 60 {
			u, err := store.FindUserByPhone(ctx, strconv.Itoa(first+i))
			if err != nil {
				return err
			}
			a := tuango.Actor{UserID: u.ID, Role: u.Role}
			var items []tuango.OrderItem
			for j := range 1 + i%3 {
				d := deals[(i*7+j*13)%len(deals)]
				if d.DeliveryDate == date && d.LimitPerCustomer >= 1 && !containsDeal(items, d.ID) {
					items = append(items, tuango.OrderItem{DealID: d.ID, Quantity: 1 + (i+j)%min(2, d.LimitPerCustomer)})
				}
			}
			ans, err := svc.PlaceOrder(ctx, a, tuango.PlaceOrderRequest{PickupPointID: u.HomePickupPointID, Items: items,
				Idem: &tuango.Idempotency{Scope: u.ID, Key: fmt.Sprintf("simulate-%s-%d", date, i), Fingerprint: "simulate"}})
			if err != nil {
				continue // sold out, over the limit: as in life
			}
			if i%6 == 5 {
				continue // never paid: expires at the cutoff
			}
			p, err := svc.CreatePayment(ctx, a, ans.Value.ID, &tuango.Idempotency{Scope: u.ID, Key: "simulate-pay-" + ans.Value.ID, Fingerprint: "simulate"})
			if err != nil {
				return err
			}
			if err := sandbox.Confirm(ctx, p.Value.ID, u.ID); err != nil {
				return err
			}
			paid = append(paid, placed{a, ans.Value})
		}
		// The provider's notifications arrive asynchronously.
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			n := 0
			for _, p := range paid {
				if o, err := store.FindOrderByID(ctx, p.o.ID); err == nil && o.Status == tuango.OrderPaid {
					n++
				}
			}
			if n == len(paid) {
				break
			}
		}
		c, err := svc.Cutoff(ctx, operator, city.ID, date)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "simulate-day: %s cutoff for %s: %d orders confirmed (%d units), %d cancelled, %d purchase orders\n",
			city.Name, date, c.ConfirmedOrders, c.ConfirmedUnits, c.CancelledOrders, c.PurchaseOrders)
		routes, err := store.FindRoutes(ctx, city.ID)
		if err != nil {
			return err
		}
		for _, r := range routes {
			if _, err := svc.Dispatch(ctx, operator, r.ID, date); err != nil {
				return err
			}
		}
		points, err := store.FindPickupPoints(ctx, tuango.PickupPointFilter{CityID: city.ID})
		if err != nil {
			return err
		}
		signed, short, picked, left := 0, 0, 0, 0
		for k, pp := range points {
			leader := tuango.Actor{UserID: pp.LeaderID, Role: tuango.RoleLeader}
			d, err := svc.LeaderDelivery(ctx, leader, date)
			if err != nil || len(d.Orders) == 0 {
				continue
			}
			var lines []tuango.SignLine
			if k%4 == 0 && d.Lines[0].Quantity >= 2 { // one in four points finds a unit short and one damaged
				lines = append(lines, tuango.SignLine{DealID: d.Lines[0].DealID, Received: d.Lines[0].Quantity - 1, Damaged: 1})
			}
			res, err := svc.SignDelivery(ctx, leader, tuango.SignRequest{DeliveryDate: date, Lines: lines,
				Idem: &tuango.Idempotency{Scope: leader.UserID, Key: "simulate-sign-" + date, Fingerprint: "simulate"}})
			if err != nil {
				return err
			}
			signed++
			short += len(res.Value.Refunds)
			ids := make([]string, 0, len(d.Orders))
			for _, o := range d.Orders {
				ids = append(ids, o.Order.ID)
			}
			sort.Strings(ids)
			for _, id := range ids {
				o, err := store.FindOrderByID(ctx, id)
				if err != nil || o.Status != tuango.OrderArrived {
					continue
				}
				if (picked+left)%5 == 4 {
					left++ // never collected: unclaimed when the pickup window passes
					continue
				}
				if _, err := svc.VerifyPickup(ctx, leader, o.PickupCode, &tuango.Idempotency{Scope: leader.UserID, Key: "simulate-pick-" + id, Fingerprint: "simulate"}); err != nil {
					return err
				}
				picked++
			}
		}
		fmt.Fprintf(out, "simulate-day: %s: %d routes dispatched, %d deliveries signed with %d short lines refunded, %d orders picked up, %d left uncollected\n",
			city.Name, len(routes), signed, short, picked, left)
	}
	return nil
}

func containsDeal(items []tuango.OrderItem, id string) bool {
	for _, it := range items {
		if it.DealID == id {
			return true
		}
	}
	return false
}
