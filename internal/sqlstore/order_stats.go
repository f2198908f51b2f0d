package sqlstore

import (
	"context"
	"slices"
	"time"

	"tuango/internal/tuango"
)

// Hours are whole microseconds since the epoch divided by this, on both
// engines; hours start on the UTC hour, which is Beijing's hour too.
const (
	orderStatsPlaced = `SELECT created_at / 3600000000 AS h, COUNT(*) FROM orders WHERE created_at >= ? GROUP BY h`
	orderStatsPaid   = `SELECT paid_at / 3600000000 AS h, CAST(SUM(total_fen) AS BIGINT) FROM orders WHERE paid_at >= ? GROUP BY h`
	orderStatsStatus = `SELECT status, COUNT(*) FROM orders WHERE created_at >= ? GROUP BY status`
	// A handed-over order is picked_up, or refunded if every unit came
	// back after. CROSS JOIN makes SQLite walk the cities first and search
	// orders_picked_up (city, status, picked_up_at) for each, rather than
	// every picked-up order ever through orders_status_expiry; requests
	// are searched in after_sales_status (status, created_at).
	orderStatsPickedUp   = `SELECT COUNT(*) FROM cities c CROSS JOIN orders o WHERE o.city_id = c.id AND o.status IN ('picked_up', 'refunded') AND o.picked_up_at >= ?`
	orderStatsAfterSales = `SELECT COUNT(*) FROM after_sales WHERE status IN ('pending', 'approved', 'rejected') AND created_at >= ?`
)

// OrderStats counts and sums orders in the database, three grouped
// queries and two counts, so that the dashboard costs the same on a busy day.
func (s *Store) OrderStats(ctx context.Context, since time.Time) (*tuango.OrderStats, error) {
	hours := map[int64]*tuango.HourStats{}
	hour := func(h int64) *tuango.HourStats {
		if hours[h] == nil {
			hours[h] = &tuango.HourStats{Hour: time.UnixMicro(h * 3600000000).UTC()}
		}
		return hours[h]
	}
	type row struct {
		key string
		h   int64
		n   int64
	}
	scanHour := func(sc scanner, r *row) error { return sc.Scan(&r.h, &r.n) }
	placed, err := queryAll(s, ctx, scanHour, orderStatsPlaced, micros(since))
	if err != nil {
		return nil, wrap(err, "order stats: placed")
	}
	paid, err := queryAll(s, ctx, scanHour, orderStatsPaid, micros(since))
	if err != nil {
		return nil, wrap(err, "order stats: paid")
	}
	byStatus, err := queryAll(s, ctx, func(sc scanner, r *row) error { return sc.Scan(&r.key, &r.n) }, orderStatsStatus, micros(since))
	if err != nil {
		return nil, wrap(err, "order stats: by status")
	}
	for _, r := range placed {
		hour(r.h).Placed = int(r.n)
	}
	for _, r := range paid {
		hour(r.h).PaidFen = tuango.Fen(r.n)
	}
	st := &tuango.OrderStats{ByStatus: map[tuango.OrderStatus]int{}}
	if err := s.queryRow(ctx, orderStatsPickedUp, micros(since)).Scan(&st.PickedUp); err != nil {
		return nil, wrap(err, "order stats: picked up")
	}
	if err := s.queryRow(ctx, orderStatsAfterSales, micros(since)).Scan(&st.AfterSales); err != nil {
		return nil, wrap(err, "order stats: after-sales")
	}
	for _, r := range byStatus {
		st.ByStatus[tuango.OrderStatus(r.key)] = int(r.n)
	}
	for _, h := range hours {
		st.Hours = append(st.Hours, *h)
	}
	slices.SortFunc(st.Hours, func(a, b tuango.HourStats) int { return a.Hour.Compare(b.Hour) })
	return st, nil
}
