package sqlstore

import (
	"context"
	"time"

	"tuango/internal/tuango"
)

// CreateOrder inserts an order and its lines.
func (s *Store) CreateOrder(ctx context.Context, o *tuango.Order) error {
	return s.CreateOrders(ctx, []*tuango.Order{o})
}

// CreateOrders inserts orders and their lines, in chunks of rows. Each
// order is its key's record (see FindIdempotency): a customer's key that
// names an order already is a conflict.
func (s *Store) CreateOrders(ctx context.Context, orders []*tuango.Order) error {
	var ors, lines [][]any
	for _, o := range orders {
		ors = append(ors, []any{o.ID, o.UserID, o.PickupPointID, o.CityID, string(o.Status), o.TotalFen, o.IdempotencyKey, micros(o.CreatedAt), micros(o.ExpiresAt), o.DeliveryDate, o.DiscountFen, o.CustomerCouponID,
			o.IdempotencyFingerprint, micros(o.PlacedExpiresAt)})
		for _, l := range o.Lines {
			lines = append(lines, []any{o.ID, l.LineNo, l.DealID, l.Title, l.Quantity, l.UnitPriceFen, l.AmountFen, l.CommissionBps, l.UnitCostFen, l.PaidFen})
		}
	}
	if err := s.insertRows(ctx, `INSERT INTO orders (id, user_id, pickup_point_id, city_id, status, total_fen, idempotency_key, created_at, expires_at, delivery_date, discount_fen, customer_coupon_id,
		idempotency_fingerprint, placed_expires_at)`, "", 14, ors); err != nil {
		return wrap(s.db.engine.translate(err), "create %d orders", len(orders))
	}
	err := s.insertRows(ctx, `INSERT INTO order_lines (order_id, line_no, deal_id, title, quantity, unit_price_fen, amount_fen, commission_bps, unit_cost_fen, paid_fen)`, "", 10, lines)
	return wrap(err, "create lines of %d orders", len(orders))
}

const orderSelect = `SELECT id, user_id, pickup_point_id, city_id, status, total_fen, idempotency_key, created_at, expires_at,
	paid_at, cancelled_at, cancel_reason, delivery_date, refunded_fen, pickup_code,
	confirmed_at, shipped_at, arrived_at, picked_up_at, unclaimed_at, refunded_at, discount_fen, customer_coupon_id,
	idempotency_fingerprint, placed_expires_at FROM orders`

func scanOrder(sc scanner, o *tuango.Order) error {
	var created, expires, paid, cancelled, confirmed, shipped, arrived, pickedUp, unclaimed, refunded, placedExpires int64
	err := sc.Scan(&o.ID, &o.UserID, &o.PickupPointID, &o.CityID, &o.Status, &o.TotalFen, &o.IdempotencyKey,
		&created, &expires, &paid, &cancelled, &o.CancelReason, &o.DeliveryDate, &o.RefundedFen, &o.PickupCode,
		&confirmed, &shipped, &arrived, &pickedUp, &unclaimed, &refunded, &o.DiscountFen, &o.CustomerCouponID,
		&o.IdempotencyFingerprint, &placedExpires)
	o.CreatedAt, o.ExpiresAt, o.PaidAt, o.CancelledAt = fromMicros(created), fromMicros(expires), fromMicros(paid), fromMicros(cancelled)
	o.ConfirmedAt, o.ShippedAt, o.ArrivedAt = fromMicros(confirmed), fromMicros(shipped), fromMicros(arrived)
	o.PickedUpAt, o.UnclaimedAt, o.RefundedAt = fromMicros(pickedUp), fromMicros(unclaimed), fromMicros(refunded)
	o.PlacedExpiresAt = fromMicros(placedExpires)
	return err
}

func scanLine(sc scanner, l *tuango.OrderLine) error {
	return sc.Scan(&l.OrderID, &l.LineNo, &l.DealID, &l.Title, &l.Quantity, &l.UnitPriceFen, &l.AmountFen, &l.CommissionBps,
		&l.UnitCostFen, &l.RefundedQuantity, &l.RefundedFen, &l.PaidFen)
}

const lineSelect = `SELECT order_id, line_no, deal_id, title, quantity, unit_price_fen, amount_fen, commission_bps,
	unit_cost_fen, refunded_quantity, refunded_fen, paid_fen FROM order_lines`

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
	if len(f.Statuses) > 0 {
		where = append(where, "status IN ("+placeholders(len(f.Statuses))+")")
		for _, st := range f.Statuses {
			args = append(args, string(st))
		}
	}
	order := ` ORDER BY created_at DESC, id`
	if f.DeliveryDate != "" {
		if f.CityID != "" {
			where, args = append(where, "city_id = ?"), append(args, f.CityID)
		}
		if f.PickupPointID != "" {
			where, args = append(where, "pickup_point_id = ?"), append(args, f.PickupPointID)
		}
		where, args = append(where, "delivery_date = ?"), append(args, f.DeliveryDate)
		order = ` ORDER BY created_at, id`
	}
	if f.After != nil {
		c := micros(f.After.CreatedAt)
		where, args = append(where, "(created_at < ? OR (created_at = ? AND id > ?))"), append(args, c, c, f.After.ID)
	}
	if f.DayAfter != nil {
		// The range on created_at keeps to the day's index; the rest only
		// sorts out orders placed in the same microsecond.
		c := micros(f.DayAfter.CreatedAt)
		where, args = append(where, "created_at >= ? AND (created_at > ? OR id > ?)"), append(args, c, c, f.DayAfter.ID)
	}
	if f.Unreminded {
		where = append(where, "reminded_at = 0")
	}
	if !f.ArrivedBefore.IsZero() {
		where, args = append(where, "arrived_at <= ?"), append(args, micros(f.ArrivedBefore))
		order = ` ORDER BY arrived_at, id`
	}
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
	if err != nil || len(orders) == 0 || f.WithoutLines {
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

// UpdateOrderStatus writes o's status and the columns its moves record if
// the order is still in status from; lines are written only when some
// of them were refunded.
func (s *Store) UpdateOrderStatus(ctx context.Context, o *tuango.Order, from tuango.OrderStatus) (bool, error) {
	ok, err := s.execOne(ctx, `UPDATE orders SET status = ?, paid_at = ?, cancelled_at = ?, cancel_reason = ?, pickup_code = ?, refunded_fen = ?,
		confirmed_at = ?, shipped_at = ?, arrived_at = ?, picked_up_at = ?, unclaimed_at = ?, refunded_at = ? WHERE id = ? AND status = ?`,
		string(o.Status), micros(o.PaidAt), micros(o.CancelledAt), o.CancelReason, o.PickupCode, o.RefundedFen,
		micros(o.ConfirmedAt), micros(o.ShippedAt), micros(o.ArrivedAt), micros(o.PickedUpAt), micros(o.UnclaimedAt), micros(o.RefundedAt),
		o.ID, string(from))
	if err != nil || !ok || !anyRefunded(o) {
		return ok, wrap(err, "update order %s from %s to %s", o.ID, from, o.Status)
	}
	for _, l := range o.Lines {
		if _, err := s.exec(ctx, `UPDATE order_lines SET refunded_quantity = ?, refunded_fen = ? WHERE order_id = ? AND line_no = ?`,
			l.RefundedQuantity, l.RefundedFen, o.ID, l.LineNo); err != nil {
			return false, wrap(err, "update refunds of order %s line %d", o.ID, l.LineNo)
		}
	}
	return true, nil
}

// anyRefunded reports whether some unit of o was refunded: only then are
// its lines written.
func anyRefunded(o *tuango.Order) bool {
	for _, l := range o.Lines {
		if l.RefundedQuantity > 0 {
			return true
		}
	}
	return false
}

// AddOrderEvent records a move in an order's timeline.
func (s *Store) AddOrderEvent(ctx context.Context, e *tuango.OrderEvent) error {
	return s.AddOrderEvents(ctx, []tuango.OrderEvent{*e})
}

// AddOrderEvents records many moves in multi-row inserts.
func (s *Store) AddOrderEvents(ctx context.Context, es []tuango.OrderEvent) error {
	rows := make([][]any, len(es))
	for i, e := range es {
		rows[i] = []any{e.OrderID, string(e.Status), micros(e.At), string(e.Mover), e.ActorID, e.Place, e.Reason}
	}
	err := s.insertRows(ctx, `INSERT INTO order_events (order_id, status, at, mover, actor_id, place, reason)`, "", 7, rows)
	return wrap(err, "add %d order events", len(es))
}

// stampColumns are the columns that moves recording only their time
// write, by the status they move to.
var stampColumns = map[tuango.OrderStatus]string{
	tuango.OrderConfirmed: "confirmed_at",
	tuango.OrderShipped:   "shipped_at",
	tuango.OrderArrived:   "arrived_at",
	tuango.OrderPickedUp:  "picked_up_at",
	tuango.OrderUnclaimed: "unclaimed_at",
}

// UpdateOrderStatuses moves orders still in status from, in guarded
// updates of up to 128 ids, each returning the ids it moved.
func (s *Store) UpdateOrderStatuses(ctx context.Context, ids []string, from, to tuango.OrderStatus, at time.Time) ([]string, error) {
	col, ok := stampColumns[to]
	if !ok {
		return nil, tuango.Errorf(tuango.CodeInternal, "sqlstore: a move to %s records more than its time; move each order by itself", to)
	}
	if s.tx == nil { // RETURNING reads from the writer: run in a transaction
		var moved []string
		err := s.InTx(ctx, func(tx tuango.Store) error {
			var err error
			moved, err = tx.UpdateOrderStatuses(ctx, ids, from, to, at)
			return err
		})
		return moved, err
	}
	// The guard is an expression (status || ''), not a column: SQLite's
	// planner, without statistics, otherwise takes 128 ids for more rows
	// than one status and walks every order in that status through
	// orders_status_expiry — each statement of a large cutoff then read
	// all the day's paid orders. By id, each order is one lookup.
	var moved []string
	err := inChunks(ids, func(marks string, args []any) error {
		got, err := queryAll(s, ctx, func(sc scanner, id *string) error { return sc.Scan(id) },
			`UPDATE orders SET status = ?, `+col+` = ? WHERE id IN (`+marks+`) AND status || '' = ? RETURNING id`,
			append(append([]any{string(to), micros(at)}, args...), string(from))...)
		moved = append(moved, got...)
		return err
	})
	if err != nil {
		return nil, wrap(err, "move %d orders from %s to %s", len(ids), from, to)
	}
	return moved, nil
}

// CountDeliveryOrders counts a city's orders for a date in some statuses.
func (s *Store) CountDeliveryOrders(ctx context.Context, cityID, date string, statuses []tuango.OrderStatus) (int, error) {
	args := []any{cityID, date}
	for _, st := range statuses {
		args = append(args, string(st))
	}
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM orders WHERE city_id = ? AND delivery_date = ? AND status IN (`+placeholders(len(statuses))+`)`, args...).Scan(&n)
	return n, wrap(err, "count orders of city %s for %s", cityID, date)
}

// FindOrderEvents returns an order's timeline, oldest first.
func (s *Store) FindOrderEvents(ctx context.Context, orderID string) ([]tuango.OrderEvent, error) {
	return queryAll(s, ctx, func(sc scanner, e *tuango.OrderEvent) error {
		var at int64
		err := sc.Scan(&e.OrderID, &e.Status, &at, &e.Mover, &e.ActorID, &e.Place, &e.Reason)
		e.At = fromMicros(at)
		return err
	}, `SELECT order_id, status, at, mover, actor_id, place, reason FROM order_events WHERE order_id = ? ORDER BY at, status`, orderID)
}

// FindOrderByPickupCode finds a pickup point's open order with a code.
func (s *Store) FindOrderByPickupCode(ctx context.Context, pickupPointID, code string) (*tuango.Order, error) {
	var id string
	err := s.queryRow(ctx, `SELECT id FROM orders WHERE pickup_point_id = ? AND pickup_code = ?
		AND status IN ('paid', 'confirmed', 'shipped', 'arrived', 'picked_up')
		ORDER BY CASE WHEN status = 'picked_up' THEN 1 ELSE 0 END, picked_up_at DESC LIMIT 1`, pickupPointID, code).Scan(&id)
	if err != nil {
		return nil, wrap(notFound(err), "find order by pickup code at %s", pickupPointID)
	}
	return s.FindOrderByID(ctx, id)
}

// SumDeliveryUnits sums a city's units for a delivery date per pickup
// point, deal and unit cost, and counts the orders per pickup point.
func (s *Store) SumDeliveryUnits(ctx context.Context, cityID, date string, statuses []tuango.OrderStatus) (tuango.DeliveryUnits, error) {
	out := tuango.DeliveryUnits{Orders: map[string]int{}}
	args := []any{cityID, date}
	for _, st := range statuses {
		args = append(args, string(st))
	}
	in := placeholders(len(statuses))
	units, err := queryAll(s, ctx, func(sc scanner, u *tuango.PointDealUnits) error {
		return sc.Scan(&u.PickupPointID, &u.DealID, &u.UnitCostFen, &u.Quantity)
	}, `SELECT o.pickup_point_id, l.deal_id, l.unit_cost_fen, SUM(l.quantity) FROM orders o JOIN order_lines l ON l.order_id = o.id
		WHERE o.city_id = ? AND o.delivery_date = ? AND o.status IN (`+in+`)
		GROUP BY o.pickup_point_id, l.deal_id, l.unit_cost_fen ORDER BY o.pickup_point_id, l.deal_id, l.unit_cost_fen`, args...)
	if err != nil {
		return out, wrap(err, "sum units of city %s for %s", cityID, date)
	}
	out.Units = units
	type count struct {
		pp string
		n  int
	}
	counts, err := queryAll(s, ctx, func(sc scanner, c *count) error { return sc.Scan(&c.pp, &c.n) },
		`SELECT pickup_point_id, COUNT(*) FROM orders WHERE city_id = ? AND delivery_date = ? AND status IN (`+in+`) GROUP BY pickup_point_id`, args...)
	for _, c := range counts {
		out.Orders[c.pp] = c.n
	}
	return out, wrap(err, "count orders of city %s for %s", cityID, date)
}

// CountLiveUnits counts a deal's units in a user's live orders.
func (s *Store) CountLiveUnits(ctx context.Context, userID, dealID string) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id
		WHERE o.user_id = ? AND l.deal_id = ? AND o.status IN ('pending_payment', 'paid')`, userID, dealID).Scan(&n)
	return n, wrap(err, "count units of deal %s", dealID)
}

// AddPickupVerification logs a pickup verification attempt.
func (s *Store) AddPickupVerification(ctx context.Context, v *tuango.PickupVerification) error {
	_, err := s.exec(ctx, `INSERT INTO pickup_verifications (id, leader_id, pickup_point_id, order_id, ok, at) VALUES (?, ?, ?, ?, ?, ?)`,
		v.ID, v.LeaderID, v.PickupPointID, v.OrderID, v.OK, micros(v.At))
	return wrap(err, "log pickup verification of leader %s", v.LeaderID)
}

// CountFailedPickups counts a leader's wrong codes after a time.
func (s *Store) CountFailedPickups(ctx context.Context, leaderID string, since time.Time) (int, time.Time, error) {
	var n int
	var oldest int64
	err := s.queryRow(ctx, `SELECT COUNT(*), COALESCE(MIN(at), 0) FROM pickup_verifications WHERE leader_id = ? AND ok = ? AND at > ?`,
		leaderID, false, micros(since)).Scan(&n, &oldest)
	return n, fromMicros(oldest), wrap(err, "count failed pickups of leader %s", leaderID)
}

// MarkReminded records an order's pickup reminder once.
func (s *Store) MarkReminded(ctx context.Context, orderID string, at time.Time) (bool, error) {
	ok, err := s.execOne(ctx, `UPDATE orders SET reminded_at = ? WHERE id = ? AND reminded_at = 0`, micros(at), orderID)
	return ok, wrap(err, "mark order %s reminded", orderID)
}

// MoveOrderPickupPoint moves an order to another point, guarded.
func (s *Store) MoveOrderPickupPoint(ctx context.Context, orderID string, status tuango.OrderStatus, from, to, code string) (bool, error) {
	ok, err := s.execOne(ctx, `UPDATE orders SET pickup_point_id = ?, pickup_code = ? WHERE id = ? AND status = ? AND pickup_point_id = ?`,
		to, code, orderID, string(status), from)
	return ok, wrap(err, "move order %s to pickup point %s", orderID, to)
}
