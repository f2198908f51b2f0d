package sqlstore

import (
	"context"

	"tuango/internal/tuango"
)

// CreateOrder inserts an order and its lines.
func (s *Store) CreateOrder(ctx context.Context, o *tuango.Order) error {
	return s.CreateOrders(ctx, []*tuango.Order{o})
}

// CreateOrders inserts orders and their lines, in chunks of rows.
func (s *Store) CreateOrders(ctx context.Context, orders []*tuango.Order) error {
	var ors, lines [][]any
	for _, o := range orders {
		ors = append(ors, []any{o.ID, o.UserID, o.PickupPointID, o.CityID, string(o.Status), o.TotalFen, o.IdempotencyKey, micros(o.CreatedAt), micros(o.ExpiresAt)})
		for _, l := range o.Lines {
			lines = append(lines, []any{o.ID, l.LineNo, l.DealID, l.Title, l.Quantity, l.UnitPriceFen, l.AmountFen, l.CommissionBps})
		}
	}
	if err := s.insertRows(ctx, `INSERT INTO orders (id, user_id, pickup_point_id, city_id, status, total_fen, idempotency_key, created_at, expires_at)`, "", 9, ors); err != nil {
		return wrap(err, "create %d orders", len(orders))
	}
	err := s.insertRows(ctx, `INSERT INTO order_lines (order_id, line_no, deal_id, title, quantity, unit_price_fen, amount_fen, commission_bps)`, "", 8, lines)
	return wrap(err, "create lines of %d orders", len(orders))
}

const orderSelect = `SELECT id, user_id, pickup_point_id, city_id, status, total_fen, idempotency_key, created_at, expires_at,
	paid_at, cancelled_at, cancel_reason FROM orders`

func scanOrder(sc scanner, o *tuango.Order) error {
	var created, expires, paid, cancelled int64
	err := sc.Scan(&o.ID, &o.UserID, &o.PickupPointID, &o.CityID, &o.Status, &o.TotalFen, &o.IdempotencyKey,
		&created, &expires, &paid, &cancelled, &o.CancelReason)
	o.CreatedAt, o.ExpiresAt, o.PaidAt, o.CancelledAt = fromMicros(created), fromMicros(expires), fromMicros(paid), fromMicros(cancelled)
	return err
}

func scanLine(sc scanner, l *tuango.OrderLine) error {
	return sc.Scan(&l.OrderID, &l.LineNo, &l.DealID, &l.Title, &l.Quantity, &l.UnitPriceFen, &l.AmountFen, &l.CommissionBps)
}

const lineSelect = `SELECT order_id, line_no, deal_id, title, quantity, unit_price_fen, amount_fen, commission_bps FROM order_lines`

// FindOrderByID finds an order with its lines.
func (s *Store) FindOrderByID(ctx context.Context, id string) (*tuango.Order, error) {
	var o tuango.Order
	if err := scanOrder(s.queryRow(ctx, orderSelect+` WHERE id = ?`, id), &o); err != nil {
		return nil, wrap(notFound(err), "find order %s", id)
	}
	lines, err := queryAll(s, ctx, scanLine, lineSelect+` WHERE order_id = ? ORDER BY line_no`, id)
	if err != nil {
		return nil, err
	}
	o.Lines = lines
	return &o, nil
}

// FindOrders lists orders with their lines, newest first, or by payment
// deadline when looking for overdue ones.
func (s *Store) FindOrders(ctx context.Context, f tuango.OrderFilter) ([]tuango.Order, error) {
	var where []string
	var args []any
	if f.UserID != "" {
		where, args = append(where, "user_id = ?"), append(args, f.UserID)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(f.Status))
	}
	order := ` ORDER BY created_at DESC, id`
	if !f.ExpiresBefore.IsZero() {
		where, args = append(where, "expires_at <= ?"), append(args, micros(f.ExpiresBefore))
		order = ` ORDER BY expires_at, id`
	}
	q := orderSelect + whereClause(where) + order
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	orders, err := queryAll(s, ctx, scanOrder, q, args...)
	if err != nil || len(orders) == 0 {
		return orders, err
	}
	ids := make([]string, len(orders))
	byID := make(map[string]*tuango.Order, len(orders))
	for i := range orders {
		ids[i] = orders[i].ID
		byID[orders[i].ID] = &orders[i]
	}
	// In padded chunks, so that lists of every length share a few
	// statement texts; each order's lines all come in one chunk.
	err = inChunks(ids, func(marks string, args []any) error {
		lines, err := queryAll(s, ctx, scanLine, lineSelect+` WHERE order_id IN (`+marks+`) ORDER BY order_id, line_no`, args...)
		for _, l := range lines {
			o := byID[l.OrderID]
			o.Lines = append(o.Lines, l)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return orders, nil
}

// UpdateOrderStatus writes o's status, paid_at, cancelled_at and
// cancel_reason if the order is still in status from.
func (s *Store) UpdateOrderStatus(ctx context.Context, o *tuango.Order, from tuango.OrderStatus) (bool, error) {
	ok, err := s.execOne(ctx, `UPDATE orders SET status = ?, paid_at = ?, cancelled_at = ?, cancel_reason = ? WHERE id = ? AND status = ?`,
		string(o.Status), micros(o.PaidAt), micros(o.CancelledAt), o.CancelReason, o.ID, string(from))
	return ok, wrap(err, "update order %s from %s to %s", o.ID, from, o.Status)
}

// CountLiveUnits counts a deal's units in a user's live orders.
func (s *Store) CountLiveUnits(ctx context.Context, userID, dealID string) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id
		WHERE o.user_id = ? AND l.deal_id = ? AND o.status IN ('pending_payment', 'paid')`, userID, dealID).Scan(&n)
	return n, wrap(err, "count units of deal %s", dealID)
}
