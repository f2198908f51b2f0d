package sqlstore

import (
	"context"

	"tuango/internal/tuango"
)

// WriteOrders writes an accepted batch of orders. On PostgreSQL it is one
// statement (writeOrdersPostgres): the batch holds its deals' row locks
// from its first read to its commit, and every round trip in between
// keeps the next batch, of this node or another, waiting. SQLite's writer
// is in this process, where a statement costs no round trip, so it runs
// the statements of ReserveStock, AddLimitUnits and CreateOrders one after
// the other.
func (s *Store) WriteOrders(ctx context.Context, w tuango.OrderWrites) (bool, error) {
	if !s.db.engine.oneWriter() {
		return s.writeOrdersPostgres(ctx, w)
	}
	for _, d := range w.Stock {
		if ok, err := s.ReserveStock(ctx, d.DealID, d.Units); err != nil || !ok {
			return ok, err
		}
	}
	if err := s.AddLimitUnits(ctx, w.Limits); err != nil {
		return false, err
	}
	if err := s.CreateOrders(ctx, w.Orders); err != nil {
		return false, err
	}
	return true, nil
}
