package sqlstore

import (
	"context"
	"time"

	"tuango/internal/tuango"
)

const paymentSelect = `SELECT id, order_id, user_id, provider, amount_fen, status, provider_txn_id, pay_url, created_at, succeeded_at FROM payments`

func scanPayment(sc scanner, p *tuango.Payment) error {
	var created, succeeded int64
	err := sc.Scan(&p.ID, &p.OrderID, &p.UserID, &p.Provider, &p.AmountFen, &p.Status, &p.ProviderTxnID, &p.PayURL, &created, &succeeded)
	p.CreatedAt, p.SucceededAt = fromMicros(created), fromMicros(succeeded)
	return err
}

// CreatePayment inserts a payment.
func (s *Store) CreatePayment(ctx context.Context, p *tuango.Payment) error {
	_, err := s.exec(ctx, `INSERT INTO payments (id, order_id, user_id, provider, amount_fen, status, provider_txn_id, pay_url, created_at, succeeded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.OrderID, p.UserID, p.Provider, p.AmountFen, string(p.Status), p.ProviderTxnID, p.PayURL, micros(p.CreatedAt), micros(p.SucceededAt))
	return wrap(err, "create payment %s", p.ID)
}

// UpdatePayment records a payment's provider details.
func (s *Store) UpdatePayment(ctx context.Context, p *tuango.Payment) error {
	ok, err := s.execOne(ctx, `UPDATE payments SET pay_url = ? WHERE id = ?`, p.PayURL, p.ID)
	return wrap(mustChange(ok, err), "update payment %s", p.ID)
}

// SetPaymentStatus moves a payment between statuses if it is in from.
func (s *Store) SetPaymentStatus(ctx context.Context, id string, from, to tuango.PaymentStatus, txnID string, at time.Time) (bool, error) {
	var succeeded int64
	if to == tuango.PaymentSucceeded {
		succeeded = micros(at)
	}
	ok, err := s.execOne(ctx, `UPDATE payments SET status = ?, provider_txn_id = ?, succeeded_at = ? WHERE id = ? AND status = ?`,
		string(to), txnID, succeeded, id, string(from))
	return ok, wrap(err, "set payment %s to %s", id, to)
}

// FindPaymentByID finds a payment.
func (s *Store) FindPaymentByID(ctx context.Context, id string) (*tuango.Payment, error) {
	var p tuango.Payment
	if err := scanPayment(s.queryRow(ctx, paymentSelect+` WHERE id = ?`, id), &p); err != nil {
		return nil, wrap(notFound(err), "find payment %s", id)
	}
	return &p, nil
}

// FindPayments lists payments, oldest first.
func (s *Store) FindPayments(ctx context.Context, f tuango.PaymentFilter) ([]tuango.Payment, error) {
	var where []string
	var args []any
	if f.OrderID != "" {
		where, args = append(where, "order_id = ?"), append(args, f.OrderID)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(f.Status))
	}
	if !f.CreatedBefore.IsZero() {
		where, args = append(where, "created_at < ?"), append(args, micros(f.CreatedBefore))
	}
	q := paymentSelect + whereClause(where) + ` ORDER BY created_at, id`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	return queryAll(s, ctx, scanPayment, q, args...)
}

// RecordProviderEvent stores an event id and reports whether it was new.
func (s *Store) RecordProviderEvent(ctx context.Context, provider, eventID string, at time.Time) (bool, error) {
	ok, err := s.execOne(ctx, `INSERT INTO provider_events (provider, event_id, received_at) VALUES (?, ?, ?)
		ON CONFLICT (provider, event_id) DO NOTHING`, provider, eventID, micros(at))
	return ok, wrap(err, "record event %s", eventID)
}

// CreateRefund inserts a refund; a second refund of one payment is a
// conflict, reported without aborting the transaction.
func (s *Store) CreateRefund(ctx context.Context, r *tuango.Refund) error {
	if r.LineNo > 0 {
		return s.createPartialRefund(ctx, r)
	}
	ok, err := s.execOne(ctx, `INSERT INTO refunds (id, payment_id, order_id, amount_fen, reason, status, created_at, completed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (payment_id) DO NOTHING`,
		r.ID, r.PaymentID, r.OrderID, r.AmountFen, r.Reason, string(r.Status), micros(r.CreatedAt), micros(r.CompletedAt))
	if err == nil && !ok {
		err = &tuango.Error{Code: tuango.CodeConflict, Message: "this payment is already refunded"}
	}
	return wrap(err, "create refund of payment %s", r.PaymentID)
}

// createPartialRefund inserts a refund of part of an order line; a second
// refund of one line for one reason is a conflict.
func (s *Store) createPartialRefund(ctx context.Context, r *tuango.Refund) error {
	ok, err := s.execOne(ctx, `INSERT INTO partial_refunds (id, payment_id, order_id, line_no, quantity, amount_fen, reason, status, created_at, completed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (order_id, line_no, reason) DO NOTHING`,
		r.ID, r.PaymentID, r.OrderID, r.LineNo, r.Quantity, r.AmountFen, r.Reason, string(r.Status), micros(r.CreatedAt), micros(r.CompletedAt))
	if err == nil && !ok {
		err = &tuango.Error{Code: tuango.CodeConflict, Message: "this order line is already refunded for this reason"}
	}
	return wrap(err, "create refund of order %s line %d", r.OrderID, r.LineNo)
}

// FindRefunds lists refunds, whole and partial, of a payment or in a
// status, oldest first.
func (s *Store) FindRefunds(ctx context.Context, paymentID string, status tuango.RefundStatus, limit int) ([]tuango.Refund, error) {
	var where []string
	var args []any
	if paymentID != "" {
		where, args = append(where, "payment_id = ?"), append(args, paymentID)
	}
	if status != "" {
		where, args = append(where, "status = ?"), append(args, string(status))
	}
	q := `SELECT id, payment_id, order_id, 0, 0, amount_fen, reason, status, created_at, completed_at FROM refunds` + whereClause(where) +
		` UNION ALL SELECT id, payment_id, order_id, line_no, quantity, amount_fen, reason, status, created_at, completed_at FROM partial_refunds` + whereClause(where) +
		` ORDER BY 9, 1`
	args = append(args, args...)
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	return queryAll(s, ctx, scanRefund, q, args...)
}

// scanRefund scans id, payment_id, order_id, line_no, quantity,
// amount_fen, reason, status, created_at, completed_at.
func scanRefund(sc scanner, r *tuango.Refund) error {
	var created, completed int64
	err := sc.Scan(&r.ID, &r.PaymentID, &r.OrderID, &r.LineNo, &r.Quantity, &r.AmountFen, &r.Reason, &r.Status, &created, &completed)
	r.CreatedAt, r.CompletedAt = fromMicros(created), fromMicros(completed)
	return err
}

// cancelRefundsSelect is the whole refunds for a cancellation of the
// succeeded payments of the orders in a list appended to it: a payment's
// refund is of its own order (refunds_payment, payments_order).
const cancelRefundsSelect = `SELECT r.id, r.payment_id, r.order_id, 0, 0, r.amount_fen, r.reason, r.status, r.created_at, r.completed_at
	FROM payments p JOIN refunds r ON r.payment_id = p.id AND r.order_id = p.order_id
	WHERE p.status = ? AND r.reason = ? AND p.order_id IN (`

// FindCancelRefunds finds the cancellation refunds of many orders' succeeded
// payments, up to 128 orders per statement (see inChunks).
func (s *Store) FindCancelRefunds(ctx context.Context, orderIDs []string) ([]tuango.Refund, error) {
	var out []tuango.Refund
	err := inChunks(orderIDs, func(marks string, args []any) error {
		rs, err := queryAll(s, ctx, scanRefund, cancelRefundsSelect+marks+`) ORDER BY r.created_at, r.id`,
			append([]any{string(tuango.PaymentSucceeded), tuango.RefundOrderCancelled}, args...)...)
		out = append(out, rs...)
		return err
	})
	return out, wrap(err, "find cancel refunds of %d orders", len(orderIDs))
}

// SetRefundStatus moves a refund between statuses if it is in from.
func (s *Store) SetRefundStatus(ctx context.Context, id string, from, to tuango.RefundStatus, at time.Time) (bool, error) {
	ok, err := s.execOne(ctx, `UPDATE refunds SET status = ?, completed_at = ? WHERE id = ? AND status = ?`, string(to), micros(at), id, string(from))
	if err == nil && !ok {
		ok, err = s.execOne(ctx, `UPDATE partial_refunds SET status = ?, completed_at = ? WHERE id = ? AND status = ?`, string(to), micros(at), id, string(from))
	}
	return ok, wrap(err, "set refund %s to %s", id, to)
}
