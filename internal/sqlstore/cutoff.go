package sqlstore

import (
	"context"

	"tuango/internal/tuango"
)

// CreateCutoff records a cutoff's start; a second one is a conflict,
// reported without aborting the transaction.
func (s *Store) CreateCutoff(ctx context.Context, c *tuango.CutoffRun) error {
	ok, err := s.execOne(ctx, `INSERT INTO cutoffs (city_id, delivery_date, started_at, started_by, early) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (city_id, delivery_date) DO NOTHING`, c.CityID, c.DeliveryDate, micros(c.StartedAt), c.StartedBy, c.Early)
	if err == nil && !ok {
		err = &tuango.Error{Code: tuango.CodeConflict, Message: "this cutoff has already started"}
	}
	return wrap(err, "create cutoff of %s for %s", c.CityID, c.DeliveryDate)
}

// FindCutoff finds a city's cutoff for a date.
func (s *Store) FindCutoff(ctx context.Context, cityID, date string) (*tuango.CutoffRun, error) {
	var c tuango.CutoffRun
	var started, finished int64
	err := s.queryRow(ctx, `SELECT city_id, delivery_date, started_at, started_by, early, finished_at,
		confirmed_orders, cancelled_orders, purchase_orders, confirmed_units, moved_orders, total_orders FROM cutoffs WHERE city_id = ? AND delivery_date = ?`, cityID, date).
		Scan(&c.CityID, &c.DeliveryDate, &started, &c.StartedBy, &c.Early, &finished, &c.ConfirmedOrders, &c.CancelledOrders, &c.PurchaseOrders, &c.ConfirmedUnits,
			&c.MovedOrders, &c.TotalOrders)
	if err != nil {
		return nil, wrap(notFound(err), "find cutoff of %s for %s", cityID, date)
	}
	c.StartedAt, c.FinishedAt = fromMicros(started), fromMicros(finished)
	return &c, nil
}

// FinishCutoff writes a cutoff's summary if it has none.
func (s *Store) FinishCutoff(ctx context.Context, c *tuango.CutoffRun) (bool, error) {
	ok, err := s.execOne(ctx, `UPDATE cutoffs SET finished_at = ?, confirmed_orders = ?, cancelled_orders = ?, purchase_orders = ?, confirmed_units = ?
		WHERE city_id = ? AND delivery_date = ? AND finished_at = 0`,
		micros(c.FinishedAt), c.ConfirmedOrders, c.CancelledOrders, c.PurchaseOrders, c.ConfirmedUnits, c.CityID, c.DeliveryDate)
	return ok, wrap(err, "finish cutoff of %s for %s", c.CityID, c.DeliveryDate)
}

// SetCutoffTotal sets a running cutoff's total to its moved orders plus
// toMove.
func (s *Store) SetCutoffTotal(ctx context.Context, cityID, date string, toMove int) (bool, error) {
	ok, err := s.execOne(ctx, `UPDATE cutoffs SET total_orders = moved_orders + ? WHERE city_id = ? AND delivery_date = ? AND finished_at = 0`, toMove, cityID, date)
	return ok, wrap(err, "set the total of cutoff of %s for %s", cityID, date)
}

// AddCutoffMoved counts more orders moved by a running cutoff.
func (s *Store) AddCutoffMoved(ctx context.Context, cityID, date string, n int) (bool, error) {
	ok, err := s.execOne(ctx, `UPDATE cutoffs SET moved_orders = moved_orders + ? WHERE city_id = ? AND delivery_date = ? AND finished_at = 0`, n, cityID, date)
	return ok, wrap(err, "count orders moved by cutoff of %s for %s", cityID, date)
}

// FindUncutDates returns the delivery dates of a city's deals without a
// finished cutoff.
func (s *Store) FindUncutDates(ctx context.Context, cityID string) ([]string, error) {
	dates, err := queryAll(s, ctx, func(sc scanner, d *string) error { return sc.Scan(d) },
		`SELECT DISTINCT delivery_date FROM deals WHERE city_id = ? AND delivery_date NOT IN
			(SELECT delivery_date FROM cutoffs WHERE city_id = ? AND finished_at <> 0) ORDER BY delivery_date`, cityID, cityID)
	return dates, wrap(err, "find uncut dates of city %s", cityID)
}
