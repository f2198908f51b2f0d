package storetest

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tuango/internal/tuango"
)

// testLock: taking row locks changes nothing, accepts any order, repeats
// and missing ids, and holds a row until the transaction ends.
func testLock(t *testing.T, s tuango.Store) {
	t.Run("locking deals changes nothing and accepts any order and repeats", func(t *testing.T) {
		w := newWorld(t, s)
		d1, d2 := w.createDeal(t, 10, 5), w.createDeal(t, 10, 5)
		err := s.InTx(t.Context(), func(tx tuango.Store) error {
			if err := tx.Lock(t.Context(), tuango.EntityDeal, d2.ID, d1.ID, d2.ID); err != nil {
				return err
			}
			_, err := tx.ReserveStock(t.Context(), d1.ID, 3)
			return err
		})
		must(t, err, "InTx(Lock deals, ReserveStock)")
		for _, tc := range []struct {
			d    *tuango.Deal
			want int
		}{{d1, 3}, {d2, 0}} {
			got, err := s.FindDealByID(t.Context(), tc.d.ID)
			must(t, err, "FindDealByID")
			if got.Reserved != tc.want || got.Stock != 10 {
				t.Errorf("deal %s after Lock: reserved %d stock %d, want %d and 10", tc.d.ID, got.Reserved, got.Stock, tc.want)
			}
		}
	})

	t.Run("Lock takes rows of every kind, in any order, repeated or missing, and changes nothing", func(t *testing.T) {
		w := newWorld(t, s)
		d1, d2 := w.createDeal(t, 10, 5), w.createDeal(t, 10, 5)
		sup := createSupplier(t, s)
		u := createUser(t, s, tuango.RoleCustomer)
		locks := []struct {
			e   tuango.Entity
			ids []string
		}{
			{tuango.EntityDeal, []string{d2.ID, d1.ID, d2.ID, newID("missing")}},
			{tuango.EntitySupplier, []string{sup.ID, sup.ID}},
			{tuango.EntityProduct, []string{newID("missing"), w.product.ID}},
			{tuango.EntityPickupPoint, []string{w.point.ID}},
			{tuango.EntityUser, []string{u.ID, w.leader.ID, u.ID}},
			{tuango.EntityDeal, nil},
		}
		err := s.InTx(t.Context(), func(tx tuango.Store) error {
			for _, l := range locks {
				if err := tx.Lock(t.Context(), l.e, l.ids...); err != nil {
					return fmt.Errorf("Lock(%s, %q) = %w", l.e, l.ids, err)
				}
			}
			return nil
		})
		must(t, err, "InTx(Lock of every kind)")

		for _, d := range []*tuango.Deal{d1, d2} {
			got, err := s.FindDealByID(t.Context(), d.ID)
			must(t, err, "FindDealByID(%s)", d.ID)
			wantEqual(t, got, d, "FindDealByID(%s) after Lock", d.ID)
		}
		gotSup, err := s.FindSupplierByID(t.Context(), sup.ID)
		must(t, err, "FindSupplierByID(%s)", sup.ID)
		wantEqual(t, gotSup, sup, "FindSupplierByID(%s) after Lock", sup.ID)
		gotProd, err := s.FindProductByID(t.Context(), w.product.ID)
		must(t, err, "FindProductByID(%s)", w.product.ID)
		wantEqual(t, gotProd, w.product, "FindProductByID(%s) after Lock", w.product.ID)
		gotPoint, err := s.FindPickupPointByID(t.Context(), w.point.ID)
		must(t, err, "FindPickupPointByID(%s)", w.point.ID)
		wantEqual(t, gotPoint, w.point, "FindPickupPointByID(%s) after Lock", w.point.ID)
		for _, want := range []*tuango.User{u, w.leader} {
			got, err := s.FindUserByID(t.Context(), want.ID)
			must(t, err, "FindUserByID(%s)", want.ID)
			wantEqual(t, got, want, "FindUserByID(%s) after Lock", want.ID)
		}
	})

	t.Run("Lock of an unknown kind of row is an error", func(t *testing.T) {
		err := s.InTx(t.Context(), func(tx tuango.Store) error {
			return tx.Lock(t.Context(), tuango.Entity("order"), newID("ord"))
		})
		if err == nil {
			t.Errorf("Lock(order) = nil, want an error")
		}
	})

	t.Run("read-change-writes under Lock lose no concurrent change", func(t *testing.T) {
		p := newWorld(t, s).product
		n := race(t, s, 20, "Lock, FindProductByID, UpdateProduct", func(tx tuango.Store) (bool, error) {
			if err := tx.Lock(t.Context(), tuango.EntityProduct, p.ID); err != nil {
				return false, err
			}
			got, err := tx.FindProductByID(t.Context(), p.ID)
			if err != nil {
				return false, err
			}
			got.CostFen++
			return true, tx.UpdateProduct(t.Context(), got)
		})
		got, err := s.FindProductByID(t.Context(), p.ID)
		must(t, err, "FindProductByID(%s)", p.ID)
		if want := p.CostFen + tuango.Fen(n); n != 20 || got.CostFen != want {
			t.Errorf("after %d of 20 increments under Lock, cost = %d, want %d", n, got.CostFen, want)
		}
	})

	t.Run("Locks of overlapping sets of rows, named in any order, never deadlock and lose no change", func(t *testing.T) {
		// A batch locks all its customers at once: transactions naming
		// the same rows in different orders must still take them in one
		// order, or two of them would wait on each other.
		w := newWorld(t, s)
		var ds []*tuango.Deal
		for range 6 {
			ds = append(ds, w.createDeal(t, 1000, 1000))
		}
		var round atomic.Int64
		n := race(t, s, 24, "Lock of shuffled overlapping deals, ReserveStock of each", func(tx tuango.Store) (bool, error) {
			r := int(round.Add(1))
			ids := []string{}
			for i := range ds { // a different overlapping set, in a different order, each time
				if j := (i*7 + r) % len(ds); j != r%3 {
					ids = append(ids, ds[j].ID)
				}
			}
			if r%2 == 0 {
				slices.Reverse(ids)
			}
			if err := tx.Lock(t.Context(), tuango.EntityDeal, ids...); err != nil {
				return false, err
			}
			for _, id := range ids {
				if ok, err := tx.ReserveStock(t.Context(), id, 1); err != nil || !ok {
					return false, fmt.Errorf("ReserveStock(%s) = %v, %v", id, ok, err)
				}
			}
			return true, nil
		})
		if n != 24 {
			t.Fatalf("%d of 24 transactions committed", n)
		}
		total := 0
		for _, d := range ds {
			got, err := s.FindDealByID(t.Context(), d.ID)
			must(t, err, "FindDealByID(%s)", d.ID)
			total += got.Reserved
		}
		if want := 24 * (len(ds) - 1); total != want {
			t.Errorf("units reserved in all = %d, want %d (each transaction took one of %d deals)", total, want, len(ds)-1)
		}
	})

	t.Run("an update of a locked row waits until the lock's transaction commits", func(t *testing.T) {
		ctx := t.Context()
		d := newWorld(t, s).createDeal(t, 10, 5)
		locked, release, updated := make(chan struct{}), make(chan struct{}), make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			err := s.InTx(ctx, func(tx tuango.Store) error {
				if err := tx.Lock(ctx, tuango.EntityDeal, d.ID); err != nil {
					close(locked)
					return err
				}
				close(locked)
				<-release
				return nil
			})
			if err != nil {
				t.Errorf("InTx(Lock) = %v", err)
			}
		})
		<-locked
		wg.Go(func() {
			defer close(updated)
			if ok, err := s.ReserveStock(ctx, d.ID, 1); err != nil || !ok {
				t.Errorf("ReserveStock = %v, %v", ok, err)
			}
		})
		// Time for the update to go through if the lock let it.
		select {
		case <-updated:
			t.Errorf("an update of a locked deal went through before the lock's transaction ended")
		case <-time.After(100 * time.Millisecond):
		}
		close(release)
		wg.Wait()
	})

	t.Run("a second transaction's Lock of a row waits until the first commits", func(t *testing.T) {
		ctx := t.Context()
		d := newWorld(t, s).createDeal(t, 10, 5)
		events := make(chan string, 8)
		locked, release := make(chan struct{}), make(chan struct{})
		signalLocked := sync.OnceFunc(func() { close(locked) })
		var wg sync.WaitGroup
		wg.Go(func() {
			defer signalLocked()
			err := s.InTx(ctx, func(tx tuango.Store) error {
				if err := tx.Lock(ctx, tuango.EntityDeal, d.ID); err != nil {
					return err
				}
				events <- "first locked"
				signalLocked()
				<-release
				events <- "first commits"
				return nil
			})
			if err != nil {
				t.Errorf("first InTx(Lock) = %v", err)
			}
		})
		<-locked
		wg.Go(func() {
			err := s.InTx(ctx, func(tx tuango.Store) error {
				if err := tx.Lock(ctx, tuango.EntityDeal, d.ID); err != nil {
					return err
				}
				events <- "second locked"
				return nil
			})
			if err != nil {
				t.Errorf("second InTx(Lock) = %v", err)
			}
		})
		// Time for the second to take the lock if it could; the check
		// below is on the order of events, not on how long anything took.
		time.Sleep(100 * time.Millisecond)
		close(release)
		wg.Wait()
		close(events)
		var got []string
		for e := range events {
			got = append(got, e)
		}
		if want := []string{"first locked", "first commits", "second locked"}; !slices.Equal(got, want) {
			t.Errorf("events = %q, want %q", got, want)
		}
	})
}
