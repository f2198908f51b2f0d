package sqlstore

import (
	"context"
	"time"

	"tuango/internal/tuango"
)

const afterSaleColumns = `id, order_id, line_no, user_id, quantity, reason, note, status, refund_fen, approved_by_rule,
	reject_reason, decided_by, refund_id, created_at, decided_at`

func scanAfterSale(sc scanner, as *tuango.AfterSale) error {
	var created, decided int64
	err := sc.Scan(&as.ID, &as.OrderID, &as.LineNo, &as.UserID, &as.Quantity, &as.Reason, &as.Note, &as.Status, &as.RefundFen,
		&as.ApprovedByRule, &as.RejectReason, &as.DecidedBy, &as.RefundID, &created, &decided)
	as.CreatedAt, as.DecidedAt = fromMicros(created), fromMicros(decided)
	return err
}

// CreateAfterSale stores a request; a second pending request for one line
// is refused with after_sales_open (the after_sales_open index).
func (s *Store) CreateAfterSale(ctx context.Context, as *tuango.AfterSale) error {
	ok, err := s.execOne(ctx, `INSERT INTO after_sales (`+afterSaleColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		as.ID, as.OrderID, as.LineNo, as.UserID, as.Quantity, string(as.Reason), as.Note, string(as.Status), as.RefundFen,
		as.ApprovedByRule, as.RejectReason, as.DecidedBy, as.RefundID, micros(as.CreatedAt), micros(as.DecidedAt))
	if err == nil && !ok {
		err = tuango.Errorf(tuango.CodeAfterSalesOpen, "line %d of order %s already has a request waiting for an operator", as.LineNo, as.OrderID)
	}
	return wrap(err, "create after-sales request %s", as.ID)
}

// FindAfterSaleByID finds a request.
func (s *Store) FindAfterSaleByID(ctx context.Context, id string) (*tuango.AfterSale, error) {
	var as tuango.AfterSale
	if err := scanAfterSale(s.queryRow(ctx, `SELECT `+afterSaleColumns+` FROM after_sales WHERE id = ?`, id), &as); err != nil {
		return nil, wrap(notFound(err), "find after-sales request %s", id)
	}
	return &as, nil
}

// FindAfterSales lists requests oldest first (ties by id), after the
// request named by f.After.
func (s *Store) FindAfterSales(ctx context.Context, f tuango.AfterSalesFilter) ([]tuango.AfterSale, error) {
	var where []string
	var args []any
	if f.OrderID != "" {
		where, args = append(where, "order_id = ?"), append(args, f.OrderID)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(f.Status))
	}
	if f.After != "" {
		where = append(where, `(created_at > (SELECT created_at FROM after_sales WHERE id = ?)
			OR (created_at = (SELECT created_at FROM after_sales WHERE id = ?) AND id > ?))`)
		args = append(args, f.After, f.After, f.After)
	}
	q := `SELECT ` + afterSaleColumns + ` FROM after_sales` + whereClause(where) + ` ORDER BY created_at, id`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	items, err := queryAll(s, ctx, scanAfterSale, q, args...)
	if items == nil {
		items = []tuango.AfterSale{}
	}
	return items, wrap(err, "find after-sales requests")
}

// DecideAfterSale writes the decision on a pending request.
func (s *Store) DecideAfterSale(ctx context.Context, as *tuango.AfterSale) (bool, error) {
	ok, err := s.execOne(ctx, `UPDATE after_sales SET status = ?, refund_fen = ?, approved_by_rule = ?, reject_reason = ?, decided_by = ?,
		refund_id = ?, decided_at = ? WHERE id = ? AND status = ?`,
		string(as.Status), as.RefundFen, as.ApprovedByRule, as.RejectReason, as.DecidedBy, as.RefundID, micros(as.DecidedAt),
		as.ID, string(tuango.AfterSalesPending))
	return ok, wrap(err, "decide after-sales request %s", as.ID)
}

// RefundOrderLine adds to a line's refunds under a guard on what it had
// and on its quantity and paid amount, and to its order's.
func (s *Store) RefundOrderLine(ctx context.Context, orderID string, lineNo, fromQty, qty int, amount tuango.Fen) (bool, error) {
	ok, err := s.execOne(ctx, `UPDATE order_lines SET refunded_quantity = refunded_quantity + ?, refunded_fen = refunded_fen + ?
		WHERE order_id = ? AND line_no = ? AND refunded_quantity = ? AND refunded_quantity + ? <= quantity AND refunded_fen + ? <= paid_fen`,
		qty, amount, orderID, lineNo, fromQty, qty, amount)
	if err != nil || !ok {
		return false, wrap(err, "refund line %d of order %s", lineNo, orderID)
	}
	_, err = s.exec(ctx, `UPDATE orders SET refunded_fen = refunded_fen + ? WHERE id = ?`, amount, orderID)
	return err == nil, wrap(err, "refund order %s", orderID)
}

// LockOrderForAfterSales takes the order row's write lock; on SQLite the
// one writer already holds every lock.
func (s *Store) LockOrderForAfterSales(ctx context.Context, orderID string) error {
	if s.db.engine.oneWriter() {
		return nil
	}
	_, err := s.exec(ctx, `UPDATE orders SET id = id WHERE id = ?`, orderID)
	return wrap(err, "lock order %s", orderID)
}

// FindAfterSalesWindow returns a city's after-sales window.
func (s *Store) FindAfterSalesWindow(ctx context.Context, cityID string) (time.Duration, error) {
	var hours int64
	if err := s.queryRow(ctx, `SELECT after_sales_hours FROM cities WHERE id = ?`, cityID).Scan(&hours); err != nil {
		return 0, wrap(notFound(err), "find the after-sales window of city %s", cityID)
	}
	return time.Duration(hours) * time.Hour, nil
}

// SetAfterSalesWindow sets a city's after-sales window in hours.
func (s *Store) SetAfterSalesWindow(ctx context.Context, cityID string, hours int) error {
	ok, err := s.execOne(ctx, `UPDATE cities SET after_sales_hours = ? WHERE id = ?`, hours, cityID)
	return wrap(mustChange(ok, err), "set the after-sales window of city %s", cityID)
}
