package sqlstore

import (
	"context"

	"tuango/internal/tuango"
)

// SaveCityClosure closes a city for a date, or changes the reason.
func (s *Store) SaveCityClosure(ctx context.Context, c *tuango.Closure) error {
	_, err := s.exec(ctx, `INSERT INTO city_closures (city_id, delivery_date, reason, closed_by, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (city_id, delivery_date) DO UPDATE SET reason = excluded.reason, closed_by = excluded.closed_by`,
		c.CityID, c.From, c.Reason, c.ClosedBy, micros(c.CreatedAt))
	return wrap(err, "close city %s on %s", c.CityID, c.From)
}

// AddPickupPointClosure closes a pickup point for a range of dates.
func (s *Store) AddPickupPointClosure(ctx context.Context, c *tuango.Closure) error {
	_, err := s.exec(ctx, `INSERT INTO pickup_point_closures (id, pickup_point_id, from_date, to_date, reason, closed_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.PickupPointID, c.From, c.To, c.Reason, c.ClosedBy, micros(c.CreatedAt))
	return wrap(err, "close pickup point %s", c.PickupPointID)
}

// FindClosures returns the cities' and points' closures ending on or
// after from: cities' first, each in date order.
func (s *Store) FindClosures(ctx context.Context, cityIDs, pickupPointIDs []string, from string) ([]tuango.Closure, error) {
	var out []tuango.Closure
	scan := func(sc scanner, c *tuango.Closure) error {
		var created int64
		err := sc.Scan(&c.ID, &c.CityID, &c.PickupPointID, &c.From, &c.To, &c.Reason, &c.ClosedBy, &created)
		c.CreatedAt = fromMicros(created)
		return err
	}
	if len(cityIDs) > 0 {
		args := []any{from}
		for _, id := range cityIDs {
			args = append(args, id)
		}
		cs, err := queryAll(s, ctx, scan, `SELECT '', city_id, '', delivery_date, delivery_date, reason, closed_by, created_at FROM city_closures
			WHERE delivery_date >= ? AND city_id IN (`+placeholders(len(cityIDs))+`) ORDER BY city_id, delivery_date`, args...)
		if err != nil {
			return nil, wrap(err, "find city closures")
		}
		out = append(out, cs...)
	}
	if len(pickupPointIDs) > 0 {
		args := []any{from}
		for _, id := range pickupPointIDs {
			args = append(args, id)
		}
		ps, err := queryAll(s, ctx, scan, `SELECT id, '', pickup_point_id, from_date, to_date, reason, closed_by, created_at FROM pickup_point_closures
			WHERE to_date >= ? AND pickup_point_id IN (`+placeholders(len(pickupPointIDs))+`) ORDER BY pickup_point_id, from_date, id`, args...)
		if err != nil {
			return nil, wrap(err, "find pickup point closures")
		}
		out = append(out, ps...)
	}
	return out, nil
}
