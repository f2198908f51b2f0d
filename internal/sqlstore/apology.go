package sqlstore

import (
	"context"
	"strings"

	"tuango/internal/tuango"
)

// AddOrderFailures stores noted failures once by id.
func (s *Store) AddOrderFailures(ctx context.Context, fs []tuango.OrderFailure) error {
	rows := make([][]any, len(fs))
	for i, f := range fs {
		rows[i] = []any{f.ID, f.UserID, micros(f.At), f.Attempts}
	}
	err := s.insertRows(ctx, `INSERT INTO order_failures (id, user_id, at, attempts)`, ` ON CONFLICT (id) DO NOTHING`, 4, rows)
	return wrap(err, "add %d order failures", len(fs))
}

// apologySQL is an incident's customers in some cities (?C): those whose
// requests failed in the window and who are customers of the cities (as
// for announcements) or of no city at all (no home pickup point, no recent
// order: a new customer whose first order failed), and those whose orders
// there expired unpaid with their deadline in the window.
const apologySQL = `SELECT f.user_id FROM order_failures f JOIN users u ON u.id = f.user_id
	WHERE f.at >= ? AND f.at <= ? AND u.role = 'customer' AND (u.home_pickup_point_id IN (SELECT p.id FROM pickup_points p WHERE p.city_id IN (?C))
		OR EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id AND o.city_id IN (?C) AND o.created_at >= ?)
		OR (COALESCE(u.home_pickup_point_id, '') = '' AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id AND o.created_at >= ?)))
	UNION
	SELECT o.user_id FROM orders o WHERE o.status = 'cancelled' AND o.cancel_reason = 'expired' AND o.paid_at = 0
		AND o.expires_at >= ? AND o.expires_at <= ? AND o.city_id IN (?C)
	ORDER BY 1`

// apologyEverywhereSQL is apologySQL for every city.
const apologyEverywhereSQL = `SELECT f.user_id FROM order_failures f JOIN users u ON u.id = f.user_id
	WHERE f.at >= ? AND f.at <= ? AND u.role = 'customer'
	UNION
	SELECT o.user_id FROM orders o WHERE o.status = 'cancelled' AND o.cancel_reason = 'expired' AND o.paid_at = 0
		AND o.expires_at >= ? AND o.expires_at <= ?
	ORDER BY 1`

// FindApologyCustomers returns an incident's customers, in id order.
func (s *Store) FindApologyCustomers(ctx context.Context, f tuango.ApologyFilter) ([]string, error) {
	scan := func(sc scanner, id *string) error { return sc.Scan(id) }
	from, to := micros(f.From), micros(f.To)
	if len(f.Cities) == 0 {
		ids, err := queryAll(s, ctx, scan, apologyEverywhereSQL, from, to, from, to)
		return ids, wrap(err, "find the customers of an incident")
	}
	cities := make([]any, len(f.Cities))
	for i, c := range f.Cities {
		cities[i] = c
	}
	args := []any{from, to}
	args = append(append(args, cities...), cities...)
	args = append(args, micros(f.OrderedFrom), micros(f.OrderedFrom), from, to)
	args = append(args, cities...)
	ids, err := queryAll(s, ctx, scan, strings.ReplaceAll(apologySQL, "?C", placeholders(len(cities))), args...)
	return ids, wrap(err, "find the customers of an incident in %d cities", len(cities))
}
