package tuango

import (
	"testing"
)

// The state machine as a table: every pair of statuses and every mover,
// and only the listed moves allowed.
func TestOrderStateMachine(t *testing.T) {
	statuses := []OrderStatus{OrderPendingPayment, OrderPaid, OrderCancelled, OrderConfirmed, OrderShipped, OrderArrived, OrderPickedUp, OrderUnclaimed, OrderRefunded}
	movers := []Mover{MoverCustomer, MoverLeader, MoverOperator, MoverWorker}
	allowed := map[[3]string]bool{
		{"pending_payment", "paid", "worker"}:        true, // the provider's word, by notification or reconciliation
		{"pending_payment", "cancelled", "customer"}: true,
		{"pending_payment", "cancelled", "worker"}:   true, // expiry
		{"paid", "cancelled", "customer"}:            true, // before the cutoff, refunded
		{"pending_payment", "cancelled", "operator"}: true, // its pickup point closed
		{"paid", "cancelled", "operator"}:            true, // its pickup point closed, before the cutoff, refunded
		{"paid", "confirmed", "worker"}:              true, // the cutoff, by the worker
		{"paid", "confirmed", "operator"}:            true, // the cutoff, run by hand
		{"confirmed", "shipped", "operator"}:         true, // the route's dispatch
		{"shipped", "arrived", "leader"}:             true, // sign-off
		{"shipped", "refunded", "leader"}:            true, // sign-off with every unit short
		{"arrived", "picked_up", "leader"}:           true, // the pickup code verified
		{"arrived", "unclaimed", "worker"}:           true, // the pickup window passed
	}
	for _, from := range statuses {
		for _, to := range statuses {
			for _, by := range movers {
				want := allowed[[3]string{string(from), string(to), string(by)}]
				if got := from.CanMove(to, by); got != want {
					t.Errorf("%s → %s by %s: CanMove = %v, want %v", from, to, by, got, want)
				}
			}
		}
	}
	t.Run("a final order never moves again", func(t *testing.T) {
		for _, m := range OrderMoves() {
			if m.From.Final() {
				t.Errorf("move %s → %s leaves a final state", m.From, m.To)
			}
		}
	})
	t.Run("every move goes forward along the path", func(t *testing.T) {
		for _, m := range OrderMoves() {
			if m.To.rank() <= m.From.rank() {
				t.Errorf("move %s → %s goes backwards", m.From, m.To)
			}
		}
	})
	t.Run("every move records something", func(t *testing.T) {
		for _, m := range OrderMoves() {
			if m.record == nil || m.Records == "" || len(m.By) == 0 {
				t.Errorf("move %s → %s: records %q, by %v", m.From, m.To, m.Records, m.By)
			}
		}
	})
}
