package web

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"tuango/internal/tuango"
)

// The console's dashboard: charts drawn as SVG on the server, from the
// store's counts of today's orders and the live deals. No chart library,
// no script.

type bar struct {
	Label string
	Value int64
	Text  string // the value as shown
	X, Y  int    // top left, in the chart's units
	W, H  int
}

type chart struct {
	Title string
	Bars  []bar
	Width int
	Empty string
}

type dashboard struct {
	Orders, GMV string
	// AfterSales is today's after-sales requests over today's pickups, as
	// a percent, "—" before the first pickup; AfterSalesOf says of what.
	AfterSales, AfterSalesOf string
	PerHour                  chart
	GMVPerHour               chart
	ByState                  chart
	SellThrough              chart
}

// buildDashboard reads today's order counts and the live deals and lays
// out the charts.
func (s *Server) buildDashboard(ctx context.Context, pg *page) (*dashboard, error) {
	today := pg.now.In(shanghai)
	midnight := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, shanghai)
	stats, err := s.svc.Store().OrderStats(ctx, midnight)
	if err != nil {
		return nil, err
	}
	live, err := s.svc.Store().FindDeals(ctx, tuango.DealFilter{LiveAt: pg.now})
	if err != nil {
		return nil, err
	}
	d := &dashboard{}
	placed, paid := make([]int64, 24), make([]int64, 24)
	var n int64
	var gmv tuango.Fen
	for _, h := range stats.Hours {
		i := h.Hour.In(shanghai).Hour()
		placed[i], paid[i] = int64(h.Placed), int64(h.PaidFen)
		n, gmv = n+int64(h.Placed), gmv+h.PaidFen
	}
	d.Orders, d.GMV = pg.T("%d orders today", n), pg.Money(gmv)
	d.AfterSales, d.AfterSalesOf = afterSalesRate(stats.AfterSales, stats.PickedUp), pg.T("dashboard.aftersales", stats.AfterSales, stats.PickedUp)

	var hours, money []bar
	for h := range 24 {
		hours = append(hours, bar{Label: pad2(h), Value: placed[h], Text: itoa64(placed[h])})
		money = append(money, bar{Label: pad2(h), Value: paid[h], Text: pg.Money(tuango.Fen(paid[h]))})
	}
	d.PerHour = columns(pg.T("Orders per hour today"), hours, pg.T("No orders today yet."))
	d.GMVPerHour = columns(pg.T("GMV (paid) per hour today"), money, pg.T("Nothing paid today yet."))

	var states []bar
	for _, st := range []tuango.OrderStatus{"pending_payment", "paid", "confirmed", "shipped", "arrived", "picked_up", "cancelled", "refunded"} {
		if v := int64(stats.ByStatus[st]); v > 0 {
			states = append(states, bar{Label: pg.T(orderStatusKey(st)), Value: v, Text: itoa64(v)})
		}
	}
	d.ByState = rows(pg.T("Today's orders by state"), states, pg.T("No orders today yet."))

	// Flash deals first, then the best sellers, ten at most.
	flash := func(d tuango.Deal) bool { return strings.HasPrefix(d.Title, "【秒杀】") }
	slices.SortStableFunc(live, func(a, b tuango.Deal) int {
		if flash(a) != flash(b) {
			if flash(a) {
				return -1
			}
			return 1
		}
		return sellThrough(b) - sellThrough(a)
	})
	var sell []bar
	for _, dl := range live[:min(10, len(live))] {
		p := int64(sellThrough(dl))
		sell = append(sell, bar{Label: dl.Title, Value: p, Text: itoa64(p) + "%"})
	}
	d.SellThrough = rows(pg.T("Sell-through of live deals (flash first)"), sell, pg.T("No deals on sale."))
	d.SellThrough.scale(100)
	return d, nil
}

// afterSalesRate is requests over pickups as a percent to one decimal,
// "—" with no pickup to divide by.
func afterSalesRate(requests, pickups int) string {
	if pickups == 0 {
		return "—"
	}
	return strconv.FormatFloat(float64(requests)*100/float64(pickups), 'f', 1, 64) + "%"
}

// sellThrough is the percent of a deal's stock in live orders.
func sellThrough(d tuango.Deal) int {
	if d.Stock == 0 {
		return 0
	}
	return d.Reserved * 100 / d.Stock
}

// columns lays bars out upright, 24 to a 480-wide chart, 100 high.
func columns(title string, bars []bar, empty string) chart {
	c := chart{Title: title, Width: 480, Empty: empty}
	top := maxValue(bars)
	for i := range bars {
		b := &bars[i]
		b.W, b.X = 16, i*20+2
		if top > 0 {
			b.H = int(b.Value * 100 / top)
		}
		b.Y = 100 - b.H
	}
	if top > 0 {
		c.Bars = bars
	}
	return c
}

// rows lays bars out across, one 20-high row each, in a 480-wide chart
// whose first 200 units hold the labels.
func rows(title string, bars []bar, empty string) chart {
	c := chart{Title: title, Width: 480, Empty: empty, Bars: bars}
	c.scale(maxValue(bars))
	return c
}

func (c *chart) scale(top int64) {
	for i := range c.Bars {
		b := &c.Bars[i]
		b.X, b.Y, b.H = 200, i*24, 18
		if top > 0 {
			b.W = int(b.Value * 240 / top)
		}
	}
}

func maxValue(bars []bar) int64 {
	var m int64
	for _, b := range bars {
		m = max(m, b.Value)
	}
	return m
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
