package sqlstore

import (
	"context"
	"fmt"
	"sort"

	"tuango/internal/tuango"
)

// TEMPORARY until the store-by-entity branch lands.

var lockTables = map[tuango.Entity]string{tuango.EntityDeal: "deals", tuango.EntitySupplier: "suppliers",
	tuango.EntityProduct: "products", tuango.EntityPickupPoint: "pickup_points", tuango.EntityUser: "users"}

// Lock locks rows of one kind in id order.
func (s *Store) Lock(ctx context.Context, e tuango.Entity, ids ...string) error {
	table, ok := lockTables[e]
	if !ok {
		return fmt.Errorf("sqlstore: lock: no table for %q", e)
	}
	if s.db.wconn != nil {
		return nil
	}
	sorted := append([]string(nil), ids...)
	sort.Strings(sorted)
	for i, id := range sorted {
		if i > 0 && id == sorted[i-1] {
			continue
		}
		if _, err := s.exec(ctx, `UPDATE `+table+` SET id = id WHERE id = ?`, id); err != nil {
			return wrap(err, "lock %s %s", e, id)
		}
	}
	return nil
}

// UpdateOrderStatus writes an order's status and the columns its moves
// record, if it is still in status from.
func (s *Store) UpdateOrderStatus(ctx context.Context, o *tuango.Order, from tuango.OrderStatus) (bool, error) {
	ok, err := s.execOne(ctx, `UPDATE orders SET status = ?, paid_at = ?, cancelled_at = ?, cancel_reason = ? WHERE id = ? AND status = ?`,
		string(o.Status), micros(o.PaidAt), micros(o.CancelledAt), o.CancelReason, o.ID, string(from))
	return ok, wrap(err, "set order %s to %s", o.ID, o.Status)
}
