package demo

import (
	"context"
	"fmt"
	"time"

	"tuango/internal/tuango"
)

// Refresh gives each demo city a new day of deals on its existing products
// when none is live at now — say, when a demo folder is opened again the
// next day — and returns how many it created; otherwise it does nothing.
func Refresh(ctx context.Context, store tuango.Store, now time.Time, seed int64) (int, error) {
	now = tuango.Truncate(now)
	var n int
	err := store.InTx(ctx, func(tx tuango.Store) error {
		n = 0
		city, err := findCity(ctx, tx)
		if err != nil {
			return err
		}
		cities, err := tx.FindCities(ctx)
		if err != nil {
			return err
		}
		for _, c := range cities {
			if c.Name != city.Name && c.Name != SecondCityName {
				continue
			}
			live, err := tx.FindDeals(ctx, tuango.DealFilter{CityID: c.ID, LiveAt: now, Limit: 1})
			if err != nil {
				return err
			}
			if len(live) > 0 {
				continue
			}
			products, err := tx.FindProducts(ctx, "")
			if err != nil {
				return err
			}
			salt := seed
			if c.Name == SecondCityName {
				salt ^= secondCityStream
			}
			b, err := createDeals(ctx, tx, &c, products, now, salt)
			n += b.deals
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("demo: refresh deals: %w", err)
	}
	return n, nil
}

// batch is what createDeals made.
type batch struct {
	deals, flash int
	endsAt       time.Time
	deliveryDate string
}

// Deal terms.
const (
	dealsPerDay   = 76 // plus up to 8 more
	flashPerDay   = 3
	flashPrefix   = "【秒杀】"
	minSaleWindow = 2 * time.Hour
)

var limits = []int{1, 2, 3, 3, 5, 5, 5, 10, 10, 10}

// createDeals puts about eighty of products on sale from an hour before now
// until the city's next cutoff, three of them as flash deals, and records
// each price. Its stream is keyed by now, so no two days share deal ids.
func createDeals(ctx context.Context, tx tuango.Store, city *tuango.City, products []tuango.Product, now time.Time, seed int64) (batch, error) {
	endsAt, delivery, err := saleDay(ctx, tx, city, now)
	if err != nil {
		return batch{}, err
	}
	b := batch{endsAt: endsAt, deliveryDate: delivery}
	g := newGen(seed, uint64(now.UnixMicro()))
	chosen := g.r.Perm(len(products))[:min(dealsPerDay+g.r.IntN(9), len(products))]
	flash := pickFlash(products, chosen)
	start := now.Add(-time.Hour)
	for _, i := range chosen {
		p := &products[i]
		d := &tuango.Deal{
			ID:           g.id("deal"),
			ProductID:    p.ID,
			CityID:       city.ID,
			Title:        p.Name + " " + p.Unit,
			SaleStartsAt: start,
			SaleEndsAt:   endsAt,
			DeliveryDate: delivery,
			CreatedAt:    start,
			UpdatedAt:    start,
		}
		if flash[i] {
			// A flash sale sells a few units a little above cost, one each,
			// against the usual shelf price.
			d.Title = flashPrefix + d.Title
			d.PriceFen = shelfPrice(p.CostFen*tuango.Fen(103+g.r.IntN(5))/100, p.CostFen)
			d.ListPriceFen = shelfPrice(p.CostFen*tuango.Fen(170+g.r.IntN(31))/100, d.PriceFen)
			d.Stock = 20 + g.r.IntN(31)
			d.LimitPerCustomer = 1
			d.Flash = true
			b.flash++
		} else {
			d.PriceFen = shelfPrice(p.CostFen*tuango.Fen(115+g.r.IntN(31))/100, p.CostFen)
			d.ListPriceFen = shelfPrice(d.PriceFen*tuango.Fen(120+g.r.IntN(31))/100, d.PriceFen)
			d.Stock = 50 + 10*g.r.IntN(196)
			d.LimitPerCustomer = limits[g.r.IntN(len(limits))]
		}
		if err := d.Validate(); err != nil {
			return b, fmt.Errorf("deal for %s: %w", p.Name, err)
		}
		if err := tx.CreateDeal(ctx, d); err != nil {
			return b, err
		}
		err := tx.AddDealPrice(ctx, &tuango.DealPrice{DealID: d.ID, PriceFen: d.PriceFen, ListPriceFen: d.ListPriceFen, EffectiveAt: start})
		if err != nil {
			return b, err
		}
		b.deals++
	}
	return b, nil
}

// saleDay is the city's next cutoff at least minSaleWindow away whose
// delivery date has not been cut off already (an operator may have closed
// it early), and that date.
func saleDay(ctx context.Context, tx tuango.Store, city *tuango.City, now time.Time) (time.Time, string, error) {
	at, lead := now, minSaleWindow
	for range 7 {
		endsAt, delivery, err := city.NextCutoff(at, lead)
		if err != nil {
			return time.Time{}, "", err
		}
		_, err = tx.FindCutoff(ctx, city.ID, delivery)
		if tuango.IsNotFound(err) {
			return endsAt, delivery, nil
		}
		if err != nil {
			return time.Time{}, "", err
		}
		at, lead = endsAt, time.Minute
	}
	return time.Time{}, "", fmt.Errorf("demo: every delivery date of the next week in %s is already cut off", city.Name)
}

// pickFlash marks the first three chosen products of an everyday category
// as flash deals, or failing that the first three chosen.
func pickFlash(products []tuango.Product, chosen []int) map[int]bool {
	flash := map[int]bool{}
	for _, i := range chosen {
		if len(flash) < flashPerDay && flashCategories[products[i].Category] {
			flash[i] = true
		}
	}
	for _, i := range chosen {
		if len(flash) < flashPerDay {
			flash[i] = true
		}
	}
	return flash
}

// shelfPrice rounds x up to a price a shop would write — ending in 9 fen
// below 10 yuan, in 90 fen above — and keeps it above floor.
func shelfPrice(x, floor tuango.Fen) tuango.Fen {
	x = max(x, floor+1)
	if x < 1000 {
		return (x+10)/10*10 - 1
	}
	return (x+109)/100*100 - 10
}
