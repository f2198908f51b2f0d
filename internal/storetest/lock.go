package storetest

import (
	"testing"

	"tuango/internal/tuango"
)

// testLock: taking row locks changes nothing and accepts any order and
// repeats of ids.
func testLock(t *testing.T, s tuango.Store) {
	t.Run("LockDeals changes nothing and accepts any order and repeats", func(t *testing.T) {
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
	})
}
