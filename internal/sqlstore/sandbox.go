package sqlstore

import (
	"context"
	"time"

	"tuango/internal/payment"
	"tuango/internal/tuango"
)

var _ payment.SandboxStore = (*Store)(nil)

// CreateSandboxPayment stores p unless it exists, and returns the stored one.
func (s *Store) CreateSandboxPayment(ctx context.Context, p *payment.SandboxPayment) (*payment.SandboxPayment, error) {
	_, err := s.exec(ctx, `INSERT INTO sandbox_payments (payment_id, txn_id, payer_id, amount_fen, notify_url, status, created_at, paid_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT (payment_id) DO NOTHING`,
		p.PaymentID, p.TxnID, p.PayerID, p.AmountFen, p.NotifyURL, p.Status, micros(p.CreatedAt))
	if err != nil {
		return nil, wrap(err, "create sandbox payment %s", p.PaymentID)
	}
	return s.FindSandboxPayment(ctx, p.PaymentID)
}

// FindSandboxPayment finds a sandbox payment.
func (s *Store) FindSandboxPayment(ctx context.Context, paymentID string) (*payment.SandboxPayment, error) {
	var p payment.SandboxPayment
	var created, paid int64
	err := s.queryRow(ctx, `SELECT payment_id, txn_id, payer_id, amount_fen, notify_url, status, created_at, paid_at
		FROM sandbox_payments WHERE payment_id = ?`, paymentID).
		Scan(&p.PaymentID, &p.TxnID, &p.PayerID, &p.AmountFen, &p.NotifyURL, &p.Status, &created, &paid)
	if err != nil {
		return nil, wrap(notFound(err), "find sandbox payment %s", paymentID)
	}
	p.CreatedAt, p.PaidAt = fromMicros(created), fromMicros(paid)
	return &p, nil
}

// PaySandboxPayment marks a created payment paid.
func (s *Store) PaySandboxPayment(ctx context.Context, paymentID string, at time.Time) (bool, error) {
	ok, err := s.execOne(ctx, `UPDATE sandbox_payments SET status = 'paid', paid_at = ? WHERE payment_id = ? AND status = 'created'`, micros(at), paymentID)
	return ok, wrap(err, "pay sandbox payment %s", paymentID)
}

// CreateSandboxRefund stores a refund once.
func (s *Store) CreateSandboxRefund(ctx context.Context, refundID, paymentID string, amount tuango.Fen, at time.Time) (bool, error) {
	ok, err := s.execOne(ctx, `INSERT INTO sandbox_refunds (refund_id, payment_id, amount_fen, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (refund_id) DO NOTHING`, refundID, paymentID, amount, micros(at))
	return ok, wrap(err, "create sandbox refund %s", refundID)
}

// SandboxRefunded sums what was refunded of a payment.
func (s *Store) SandboxRefunded(ctx context.Context, paymentID string) (tuango.Fen, error) {
	var n tuango.Fen
	err := s.queryRow(ctx, `SELECT COALESCE(SUM(amount_fen), 0) FROM sandbox_refunds WHERE payment_id = ?`, paymentID).Scan(&n)
	return n, wrap(err, "sum sandbox refunds of %s", paymentID)
}
