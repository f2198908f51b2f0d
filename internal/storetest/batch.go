package storetest

import (
	"fmt"
	"testing"

	"tuango/internal/tuango"
)

// testBatch: the set statements group commit writes with. Sizes cross the
// chunks the store writes in (powers of two up to 128).
func testBatch(t *testing.T, s tuango.Store) {
	w := newWorld(t, s)
	d1, d2 := w.createDeal(t, 1000, 50), w.createDeal(t, 1000, 50)

	t.Run("CreateOrders writes every order and line", func(t *testing.T) {
		var orders []*tuango.Order
		for i := range 150 {
			items := []item{{d1, 1 + i%3}}
			if i%5 == 0 {
				items = append(items, item{d2, 2})
			}
			orders = append(orders, w.orderOf(createUser(t, s, tuango.RoleCustomer).ID, tuango.OrderPendingPayment, t0(), items...))
		}
		must(t, s.CreateOrders(t.Context(), orders), "CreateOrders(150)")
		for _, o := range orders {
			got, err := s.FindOrderByID(t.Context(), o.ID)
			if err != nil {
				t.Errorf("FindOrderByID(%s) = %v", o.ID, err)
				continue
			}
			wantEqual(t, got, o, "FindOrderByID(%s) after CreateOrders", o.ID)
		}
	})

	t.Run("SaveIdempotencies stores all, or none when a key exists", func(t *testing.T) {
		scope := newID("usr")
		var recs []*tuango.IdempotencyRecord
		for i := range 21 {
			recs = append(recs, &tuango.IdempotencyRecord{Scope: scope, Key: fmt.Sprint("k", i), Fingerprint: "f", Body: []byte("{}"), CreatedAt: t0()})
		}
		must(t, s.SaveIdempotencies(t.Context(), recs[:20]), "SaveIdempotencies(20)")
		for _, r := range recs[:20] {
			if _, err := s.FindIdempotency(t.Context(), scope, r.Key); err != nil {
				t.Errorf("FindIdempotency(%s) = %v", r.Key, err)
			}
		}
		err := s.InTx(t.Context(), func(tx tuango.Store) error {
			return tx.SaveIdempotencies(t.Context(), []*tuango.IdempotencyRecord{recs[20], recs[3]})
		})
		if tuango.ErrorCode(err) != tuango.CodeConflict {
			t.Errorf("SaveIdempotencies with an existing key = %v, want conflict", err)
		}
		_, err = s.FindIdempotency(t.Context(), scope, recs[20].Key)
		wantNotFound(t, err, "FindIdempotency(%s) after a failed batch", recs[20].Key)
	})

	t.Run("FindIdempotencies finds exactly the stored keys of each scope", func(t *testing.T) {
		// 150 keys in 3 scopes (more than one statement's 128), every
		// other one stored, and some asked twice; the same key text is used
		// in every scope, so a match on the key alone shows up.
		scopes := []string{newID("usr"), newID("usr"), newID("usr")}
		var keys []tuango.IdemKey
		want := map[tuango.IdemKey]*tuango.IdempotencyRecord{}
		var recs []*tuango.IdempotencyRecord
		for i := range 150 {
			k := tuango.IdemKey{Scope: scopes[i%3], Key: fmt.Sprint("key-", i/3)}
			keys = append(keys, k)
			if (i/3)%2 == 0 && i%3 != 2 {
				r := &tuango.IdempotencyRecord{Scope: k.Scope, Key: k.Key, Fingerprint: fmt.Sprint("fp", i), Body: []byte(fmt.Sprintf(`{"n":%d}`, i)), CreatedAt: t0()}
				recs = append(recs, r)
				want[k] = r
			}
		}
		must(t, s.SaveIdempotencies(t.Context(), recs), "SaveIdempotencies")
		keys = append(keys, keys[0], keys[3], keys[149])
		got, err := s.FindIdempotencies(t.Context(), keys)
		must(t, err, "FindIdempotencies(153)")
		if len(got) != len(want) {
			t.Errorf("FindIdempotencies found %d records, want %d", len(got), len(want))
		}
		for i := range got {
			r := &got[i]
			w := want[tuango.IdemKey{Scope: r.Scope, Key: r.Key}]
			if w == nil {
				t.Errorf("FindIdempotencies found %s/%s, which was never stored", r.Scope, r.Key)
				continue
			}
			wantEqual(t, r, w, "FindIdempotencies(%s/%s)", r.Scope, r.Key)
		}
		none, err := s.FindIdempotencies(t.Context(), nil)
		must(t, err, "FindIdempotencies(nil)")
		if len(none) != 0 {
			t.Errorf("FindIdempotencies(nil) = %d records", len(none))
		}
	})

	t.Run("limit units are added and found per customer", func(t *testing.T) {
		var rows []tuango.LimitUnits
		var users []string
		for i := range 70 {
			u := newID("usr")
			users = append(users, u)
			if i%7 != 0 { // some customers have no counter
				rows = append(rows, tuango.LimitUnits{UserID: u, DealID: d1.ID, Units: 1 + i%4})
			}
		}
		must(t, s.AddLimitUnits(t.Context(), rows), "AddLimitUnits")
		must(t, s.AddLimitUnits(t.Context(), rows[:5]), "AddLimitUnits again")
		got, err := s.FindLimitUnits(t.Context(), d1.ID, users)
		must(t, err, "FindLimitUnits")
		if len(got) != len(rows) {
			t.Errorf("FindLimitUnits found %d counters, want %d", len(got), len(rows))
		}
		for i, r := range rows {
			want := r.Units
			if i < 5 {
				want *= 2
			}
			if got[r.UserID] != want {
				t.Errorf("units of %s = %d, want %d", r.UserID, got[r.UserID], want)
			}
		}
		other, err := s.FindLimitUnits(t.Context(), d2.ID, users)
		must(t, err, "FindLimitUnits(other deal)")
		if len(other) != 0 {
			t.Errorf("FindLimitUnits(other deal) = %v, want none", other)
		}
	})

	t.Run("deals and pickup points found by ids", func(t *testing.T) {
		deals, err := s.FindDeals(t.Context(), tuango.DealFilter{IDs: []string{d2.ID, d1.ID, "dl_missing"}})
		must(t, err, "FindDeals(IDs)")
		if len(deals) != 2 {
			t.Errorf("FindDeals(IDs) = %d deals, want 2", len(deals))
		}
		pps, err := s.FindPickupPoints(t.Context(), tuango.PickupPointFilter{IDs: []string{w.point.ID, "pp_missing"}})
		must(t, err, "FindPickupPoints(IDs)")
		if len(pps) != 1 || pps[0].ID != w.point.ID {
			t.Errorf("FindPickupPoints(IDs) = %+v, want the one point", pps)
		}
	})
}
