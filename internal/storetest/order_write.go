package storetest

import (
	"errors"
	"maps"
	"slices"
	"testing"

	"tuango/internal/tuango"
)

var errShort = errors.New("a deal is short of units")

// testWriteOrders: a batch's writes land together, and a deal short of
// units or a key already stored leaves nothing behind.
func testWriteOrders(t *testing.T, s tuango.Store) {
	// batch returns a batch of three orders over two deals for two
	// customers, one order with a line of each deal.
	batch := func(t *testing.T, w *world, d1, d2 *tuango.Deal) (tuango.OrderWrites, []*tuango.Order) {
		t.Helper()
		u1, u2 := createUser(t, s, tuango.RoleCustomer), createUser(t, s, tuango.RoleCustomer)
		orders := []*tuango.Order{
			w.orderOf(u1.ID, tuango.OrderPendingPayment, t0(), item{d1, 2}, item{d2, 1}),
			w.orderOf(u2.ID, tuango.OrderPendingPayment, t0(), item{d1, 3}),
			w.orderOf(u2.ID, tuango.OrderPendingPayment, t0(), item{d2, 4}),
		}
		orders[1].CustomerCouponID, orders[1].DiscountFen = "", 0
		for _, o := range orders {
			o.IdempotencyFingerprint, o.PlacedExpiresAt = "sha256:"+o.ID, o.ExpiresAt
		}
		first, second := d1, d2
		if second.ID < first.ID {
			first, second = second, first
		}
		units := map[string]int{d1.ID: 5, d2.ID: 5}
		return tuango.OrderWrites{
			Stock: []tuango.DealUnits{{DealID: first.ID, Units: units[first.ID]}, {DealID: second.ID, Units: units[second.ID]}},
			Limits: []tuango.LimitUnits{{UserID: u1.ID, DealID: d1.ID, Units: 2}, {UserID: u1.ID, DealID: d2.ID, Units: 1},
				{UserID: u2.ID, DealID: d1.ID, Units: 3}, {UserID: u2.ID, DealID: d2.ID, Units: 4}},
			Orders: orders,
		}, orders
	}
	write := func(w tuango.OrderWrites) (bool, error) {
		var ok bool
		err := s.InTx(t.Context(), func(tx tuango.Store) error {
			var err error
			if ok, err = tx.WriteOrders(t.Context(), w); err == nil && !ok {
				return errShort // must not commit
			}
			return err
		})
		return ok, err
	}
	reserved := func(t *testing.T, d *tuango.Deal) int {
		t.Helper()
		got, err := s.FindDealByID(t.Context(), d.ID)
		must(t, err, "FindDealByID(%s)", d.ID)
		return got.Reserved
	}

	t.Run("WriteOrders writes the stock, limits, orders, lines and keys of a batch", func(t *testing.T) {
		w := newWorld(t, s)
		d1, d2 := w.createDeal(t, 10, 8), w.createDeal(t, 10, 8)
		wr, orders := batch(t, w, d1, d2)
		// One counter exists already: the upsert adds to it.
		must(t, s.AddLimitUnits(t.Context(), []tuango.LimitUnits{{UserID: orders[0].UserID, DealID: d1.ID, Units: 1}}), "AddLimitUnits")
		ok, err := write(wr)
		wantOK(t, ok, err, true, "WriteOrders(3 orders)")
		if got1, got2 := reserved(t, d1), reserved(t, d2); got1 != 5 || got2 != 5 {
			t.Errorf("reserved after WriteOrders = %d and %d, want 5 and 5", got1, got2)
		}
		for _, o := range orders {
			got, err := s.FindOrderByID(t.Context(), o.ID)
			must(t, err, "FindOrderByID(%s)", o.ID)
			wantEqual(t, got, o, "FindOrderByID(%s)", o.ID)
		}
		// Each order is its key's record.
		var keys []tuango.IdemKey
		for _, o := range orders {
			want := &tuango.IdempotencyRecord{Scope: o.UserID, Key: o.IdempotencyKey, Fingerprint: o.IdempotencyFingerprint,
				CreatedAt: o.CreatedAt, OrderID: o.ID, Expires: o.PlacedExpiresAt}
			got, err := s.FindIdempotency(t.Context(), o.UserID, o.IdempotencyKey)
			must(t, err, "FindIdempotency(%s)", o.IdempotencyKey)
			wantEqual(t, got, want, "FindIdempotency(%s)", o.IdempotencyKey)
			keys = append(keys, tuango.IdemKey{Scope: o.UserID, Key: o.IdempotencyKey})
		}
		recs, err := s.FindIdempotencies(t.Context(), append(keys, tuango.IdemKey{Scope: orders[0].UserID, Key: "no such key"}))
		must(t, err, "FindIdempotencies")
		if len(recs) != len(orders) {
			t.Errorf("FindIdempotencies(3 placed keys and one unused) = %d records, want 3", len(recs))
		}
		// A key with a stored record as well (a placement from before
		// orders were their keys' records) is read as that record, alone
		// and among others.
		stored := &tuango.IdempotencyRecord{Scope: orders[0].UserID, Key: orders[0].IdempotencyKey, Fingerprint: "stored",
			Body: []byte(`{"v":2}`), CreatedAt: orders[0].CreatedAt}
		must(t, s.SaveIdempotency(t.Context(), stored), "SaveIdempotency(%s)", stored.Key)
		got, err := s.FindIdempotency(t.Context(), stored.Scope, stored.Key)
		must(t, err, "FindIdempotency(%s)", stored.Key)
		wantEqual(t, got, stored, "FindIdempotency(%s), stored and placed", stored.Key)
		recs, err = s.FindIdempotencies(t.Context(), keys)
		must(t, err, "FindIdempotencies")
		if i := slices.IndexFunc(recs, func(r tuango.IdempotencyRecord) bool { return r.Key == stored.Key }); len(recs) != len(orders) || i < 0 {
			t.Errorf("FindIdempotencies(3 placed keys, one stored too) = %+v, want 3 records", recs)
		} else {
			wantEqual(t, &recs[i], stored, "FindIdempotencies: %s, stored and placed", stored.Key)
		}
		units, err := s.FindLimitUnits(t.Context(), d1.ID, []string{orders[0].UserID, orders[1].UserID})
		must(t, err, "FindLimitUnits")
		if want := map[string]int{orders[0].UserID: 3, orders[1].UserID: 3}; !maps.Equal(units, want) {
			t.Errorf("FindLimitUnits(deal 1) = %v, want %v", units, want)
		}
	})

	t.Run("WriteOrders reports a deal short of units and writes nothing", func(t *testing.T) {
		w := newWorld(t, s)
		d1, d2 := w.createDeal(t, 10, 8), w.createDeal(t, 4, 8) // d2 has 4 units, the batch takes 5
		wr, orders := batch(t, w, d1, d2)
		ok, err := write(wr)
		if ok || !errors.Is(err, errShort) {
			t.Fatalf("WriteOrders taking 5 of 4 units = %v, %v; want false", ok, err)
		}
		if got1, got2 := reserved(t, d1), reserved(t, d2); got1 != 0 || got2 != 0 {
			t.Errorf("reserved after a refused batch = %d and %d, want 0 and 0", got1, got2)
		}
		for _, o := range orders {
			_, err := s.FindOrderByID(t.Context(), o.ID)
			wantNotFound(t, err, "FindOrderByID(%s) after a refused batch", o.ID)
		}
	})

	t.Run("WriteOrders with a key that names an order already fails with conflict and writes nothing", func(t *testing.T) {
		w := newWorld(t, s)
		d1, d2 := w.createDeal(t, 10, 8), w.createDeal(t, 10, 8)
		wr, orders := batch(t, w, d1, d2)
		// Another node placed the third order's key first, with an order of
		// its own.
		other := *orders[2]
		other.ID, other.IdempotencyFingerprint = newID("ord"), "sha256:other"
		must(t, s.CreateOrder(t.Context(), &other), "CreateOrder under the key")
		_, err := write(wr)
		wantCode(t, err, tuango.CodeConflict, "WriteOrders with a key taken")
		if got := reserved(t, d1); got != 0 {
			t.Errorf("reserved after a failed batch = %d, want 0", got)
		}
		_, err = s.FindOrderByID(t.Context(), orders[0].ID)
		wantNotFound(t, err, "FindOrderByID(%s) after a failed batch", orders[0].ID)
	})
}
