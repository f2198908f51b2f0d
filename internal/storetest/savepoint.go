package storetest

import (
	"errors"
	"testing"

	"tuango/internal/tuango"
)

// testSavepoint: group commit applies each order under a savepoint; a
// refused order must undo only its own writes, and the transaction must go
// on — also after a unique violation, which aborts a PostgreSQL
// transaction unless rolled back to a savepoint.
func testSavepoint(t *testing.T, s tuango.Store) {
	t.Run("a failed savepoint undoes only its writes", func(t *testing.T) {
		w := newWorld(t, s)
		d := w.createDeal(t, 10, 5)
		rec := &tuango.IdempotencyRecord{Scope: newID("usr"), Key: "k", Fingerprint: "f", Status: 201, Body: []byte("{}"), CreatedAt: t0()}
		errRefused := errors.New("refused")
		var inner, dup error
		err := s.InTx(t.Context(), func(tx tuango.Store) error {
			if ok, err := tx.ReserveStock(t.Context(), d.ID, 1); !ok || err != nil {
				return errors.New("first reserve failed")
			}
			inner = tx.Savepoint(t.Context(), func(tx tuango.Store) error {
				if _, err := tx.ReserveStock(t.Context(), d.ID, 4); err != nil {
					return err
				}
				return errRefused
			})
			if err := tx.SaveIdempotency(t.Context(), rec); err != nil {
				return err
			}
			dup = tx.Savepoint(t.Context(), func(tx tuango.Store) error { return tx.SaveIdempotency(t.Context(), rec) })
			_, err := tx.ReserveStock(t.Context(), d.ID, 2)
			return err
		})
		must(t, err, "InTx with savepoints")
		if !errors.Is(inner, errRefused) {
			t.Errorf("Savepoint = %v, want fn's error", inner)
		}
		if tuango.ErrorCode(dup) != tuango.CodeConflict {
			t.Errorf("Savepoint(duplicate key) = %v, want conflict", dup)
		}
		got, err := s.FindDealByID(t.Context(), d.ID)
		must(t, err, "FindDealByID")
		if got.Reserved != 3 {
			t.Errorf("reserved = %d, want 3 (1 + 2; the 4 in the failed savepoint undone)", got.Reserved)
		}
		if _, err := s.FindIdempotency(t.Context(), rec.Scope, rec.Key); err != nil {
			t.Errorf("FindIdempotency = %v, want the record saved before the failed savepoint", err)
		}
	})
	t.Run("Savepoint outside a transaction is an error", func(t *testing.T) {
		called := false
		err := s.Savepoint(t.Context(), func(tuango.Store) error { called = true; return nil })
		if err == nil || called {
			t.Errorf("Savepoint outside InTx = %v (fn called %v), want an error and no call", err, called)
		}
	})
}

// testLockDeals: locking deals changes nothing and accepts any order and
// repeats of ids.
func testLockDeals(t *testing.T, s tuango.Store) {
	w := newWorld(t, s)
	d1, d2 := w.createDeal(t, 10, 5), w.createDeal(t, 10, 5)
	err := s.InTx(t.Context(), func(tx tuango.Store) error {
		if err := tx.LockDeals(t.Context(), []string{d2.ID, d1.ID, d2.ID}); err != nil {
			return err
		}
		_, err := tx.ReserveStock(t.Context(), d1.ID, 3)
		return err
	})
	must(t, err, "InTx(LockDeals, ReserveStock)")
	for _, tc := range []struct {
		d    *tuango.Deal
		want int
	}{{d1, 3}, {d2, 0}} {
		got, err := s.FindDealByID(t.Context(), tc.d.ID)
		must(t, err, "FindDealByID")
		if got.Reserved != tc.want || got.Stock != 10 {
			t.Errorf("deal %s after LockDeals: reserved %d stock %d, want %d and 10", tc.d.ID, got.Reserved, got.Stock, tc.want)
		}
	}
}
