package tuango

import (
	"context"
	"time"
)

// SetPostHook makes every posting go through fn instead of the state
// change's transaction, until the test ends: the deliberately broken build
// that the ledger's verification must catch.
func SetPostHook(fn func(ctx context.Context, tx Store, set *LedgerSet) error) func() {
	postHook = fn
	return func() { postHook = nil }
}

// RefundAfterPickup exposes the after-sales refund of a handed-over line
// to the tests, in its own transaction.
func (s *Service) RefundAfterPickup(ctx context.Context, orderID string, lineNo, qty int, amount Fen, reason string) (*Refund, error) {
	var r *Refund
	err := s.store.InTx(ctx, func(tx Store) error {
		o, err := tx.FindOrderByID(ctx, orderID)
		if err != nil {
			return err
		}
		r, err = s.refundAfterPickup(ctx, tx, o, lineNo, qty, amount, reason, s.clock.Now())
		return err
	})
	return r, err
}

// SetLookedUpHook runs fn once a key was looked up and found unanswered,
// before the effect's transaction, until the test ends.
func SetLookedUpHook(fn func()) func() {
	lookedUpHook = fn
	return func() { lookedUpHook = nil }
}

// SetKeysReadHook runs fn whenever a batch of placements has read its
// keys' answers, before it locks its deals, until the test ends.
func SetKeysReadHook(fn func()) func() {
	keysReadHook = fn
	return func() { keysReadHook = nil }
}

// SetGroupReadTimeout bounds the group readers' statements by d instead,
// until the test ends.
func SetGroupReadTimeout(d time.Duration) func() {
	was := groupReadTimeout
	groupReadTimeout = d
	return func() { groupReadTimeout = was }
}
