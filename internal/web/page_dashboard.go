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
// latest orders and the live deals. No chart library, no script.

// dashboardOrders bounds the orders the dashboard reads: a day of a demo
// city, and a sample of a busy one (the charts say so).
const dashboardOrders = 2000

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
	Sample      string
	Orders, GMV string
	PerHour     chart
	ByState     chart
	SellThrough chart
}

// buildDashboard reads the latest orders and the live deals and lays out
// the charts.
func (s *Server) buildDashboard(ctx context.Context, pg *page) (*dashboard, error) {
	orders, err := s.svc.Store().FindOrders(ctx, tuango.OrderFilter{Limit: dashboardOrders})
	if err != nil {
		return nil, err
	}
	live, err := s.svc.Store().FindDeals(ctx, tuango.DealFilter{LiveAt: pg.now})
	if err != nil {
		return nil, err
	}
	d := &dashboard{Sample: pg.T("dashboard.sample", dashboardOrders)}
	today := pg.now.In(shanghai)
	midnight := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, shanghai)
	perHour := make([]int64, 24)
	byState := map[tuango.OrderStatus]int64{}
	var n int64
	var gmv tuango.Fen
	for _, o := range orders {
		byState[o.Status]++
		if o.CreatedAt.Before(midnight) {
			continue
		}
		n++
		perHour[o.CreatedAt.In(shanghai).Hour()]++
		if !o.PaidAt.IsZero() {
			gmv += o.TotalFen
		}
	}
	d.Orders, d.GMV = pg.T("%d orders today", n), pg.Money(gmv)

	var hours []bar
	for h, v := range perHour {
		hours = append(hours, bar{Label: pad2(h), Value: v, Text: itoa64(v)})
	}
	d.PerHour = columns(pg.T("Orders per hour today"), hours, pg.T("No orders today yet."))

	var states []bar
	for _, st := range []tuango.OrderStatus{"pending_payment", "paid", "confirmed", "shipped", "arrived", "picked_up", "cancelled", "refunded"} {
		if v := byState[st]; v > 0 {
			states = append(states, bar{Label: pg.T(orderStatusKey(st)), Value: v, Text: itoa64(v)})
		}
	}
	d.ByState = rows(pg.T("Orders by state"), states, pg.T("No orders yet."))

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
