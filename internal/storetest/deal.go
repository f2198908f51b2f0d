package storetest

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tuango/internal/tuango"
)

func testDeal(t *testing.T, s tuango.Store) {
	t.Run("deal round-trips with nothing reserved", func(t *testing.T) {
		d := newWorld(t, s).createDeal(t, 100, 5)
		got, err := s.FindDealByID(t.Context(), d.ID)
		must(t, err, "FindDealByID(%s)", d.ID)
		wantEqual(t, got, d, "FindDealByID(%s)", d.ID)
	})

	t.Run("missing deal is not found", func(t *testing.T) {
		w := newWorld(t, s)
		d := w.dealOn(10, 1)
		_, err := s.FindDealByID(t.Context(), d.ID)
		wantNotFound(t, err, "FindDealByID(%s)", d.ID)
		wantNotFound(t, s.UpdateDeal(t.Context(), d), "UpdateDeal(%s)", d.ID)
	})

	t.Run("deals are found by city and time on sale", func(t *testing.T) {
		w := newWorld(t, s)
		at := t0()
		window := func(name string, starts, ends time.Duration) *tuango.Deal {
			d := w.dealOn(10, 1)
			d.Title, d.SaleStartsAt, d.SaleEndsAt = name, at.Add(starts), at.Add(ends)
			must(t, s.CreateDeal(t.Context(), d), "CreateDeal(%s)", name)
			return d
		}
		deals := []*tuango.Deal{
			window("live", -time.Hour, 11*time.Hour),
			window("starts now", 0, 10*time.Hour),
			window("ends now", -2*time.Hour, 0),
			window("ended", -3*time.Hour, -time.Hour),
			window("not yet", time.Hour, 12*time.Hour),
		}
		elsewhere := newWorld(t, s).createDeal(t, 10, 1)
		var all, live []string
		for _, d := range deals {
			all = append(all, d.ID)
			if d.LiveAt(at) {
				live = append(live, d.ID)
			}
		}
		slices.Sort(all)
		slices.Sort(live)

		got, err := s.FindDeals(t.Context(), tuango.DealFilter{CityID: w.city.ID})
		must(t, err, "FindDeals(city)")
		wantIDs(t, sorted(ids(got, dealID)...), all, "FindDeals(city)")

		got, err = s.FindDeals(t.Context(), tuango.DealFilter{CityID: w.city.ID, LiveAt: at})
		must(t, err, "FindDeals(city, live at t0)")
		wantIDs(t, sorted(ids(got, dealID)...), live, "FindDeals(city, live at t0)")

		got, err = s.FindDeals(t.Context(), tuango.DealFilter{LiveAt: at})
		must(t, err, "FindDeals(live at t0)")
		mine := append(slices.Clone(all), elsewhere.ID)
		wantIDs(t, sorted(only(ids(got, dealID), mine...)...), sorted(append(live, elsewhere.ID)...), "FindDeals(live at t0)")

		got, err = s.FindDeals(t.Context(), tuango.DealFilter{CityID: w.city.ID, Limit: 2})
		must(t, err, "FindDeals(city, limit 2)")
		if len(got) != 2 {
			t.Errorf("FindDeals(city, limit 2) = %d deals, want 2", len(got))
		}
	})

	t.Run("deals are found by ids", func(t *testing.T) {
		w := newWorld(t, s)
		d1, d2 := w.createDeal(t, 10, 5), w.createDeal(t, 10, 5)
		deals, err := s.FindDeals(t.Context(), tuango.DealFilter{IDs: []string{d2.ID, d1.ID, "dl_missing"}})
		must(t, err, "FindDeals(IDs)")
		if len(deals) != 2 {
			t.Errorf("FindDeals(IDs) = %d deals, want 2", len(deals))
		}
	})

	t.Run("UpdateDeal changes terms but not reserved", func(t *testing.T) {
		d := newWorld(t, s).createDeal(t, 100, 5)
		reserve(t, s, d.ID, 7)
		d.Title, d.PriceFen, d.ListPriceFen, d.Stock, d.LimitPerCustomer = "沃柑 5kg", 3590, 4990, 200, 2
		d.SaleEndsAt, d.DeliveryDate, d.UpdatedAt = d.SaleEndsAt.Add(time.Hour), "2026-11-27", t0().Add(time.Minute)
		d.Flash = true
		d.Reserved = 0
		must(t, s.UpdateDeal(t.Context(), d), "UpdateDeal(%s)", d.ID)
		d.Reserved = 7
		got, err := s.FindDealByID(t.Context(), d.ID)
		must(t, err, "FindDealByID(%s)", d.ID)
		wantEqual(t, got, d, "FindDealByID(%s) after update", d.ID)
	})

	t.Run("a flash deal is stored as one, and a deal is not by default", func(t *testing.T) {
		w := newWorld(t, s)
		plain := w.createDeal(t, 10, 5)
		flash := *plain
		flash.ID, flash.Flash = newID("deal"), true
		must(t, s.CreateDeal(t.Context(), &flash), "CreateDeal(flash)")
		for _, d := range []*tuango.Deal{plain, &flash} {
			got, err := s.FindDealByID(t.Context(), d.ID)
			must(t, err, "FindDealByID(%s)", d.ID)
			if got.Flash != d.Flash {
				t.Errorf("FindDealByID(%s).Flash = %v, want %v", d.ID, got.Flash, d.Flash)
			}
		}
		listed, err := s.FindDeals(t.Context(), tuango.DealFilter{IDs: []string{plain.ID, flash.ID}})
		must(t, err, "FindDeals(IDs)")
		for _, d := range listed {
			if d.Flash != (d.ID == flash.ID) {
				t.Errorf("FindDeals: deal %s Flash = %v", d.ID, d.Flash)
			}
		}
	})

	t.Run("UpdateDeal refuses stock below reserved", func(t *testing.T) {
		d := newWorld(t, s).createDeal(t, 10, 5)
		reserve(t, s, d.ID, 6)
		d.Stock = 5
		wantCode(t, s.UpdateDeal(t.Context(), d), tuango.CodeConflict, "UpdateDeal(%s, stock 5 with 6 reserved)", d.ID)
		wantDeal(t, s, d.ID, 10, 6)
		d.Stock = 6
		must(t, s.UpdateDeal(t.Context(), d), "UpdateDeal(%s, stock 6 with 6 reserved)", d.ID)
		wantDeal(t, s, d.ID, 6, 6)
	})

	t.Run("price history is kept oldest first", func(t *testing.T) {
		w := newWorld(t, s)
		d, other := w.createDeal(t, 10, 1), w.createDeal(t, 10, 1)
		prices := []tuango.DealPrice{
			{DealID: d.ID, PriceFen: 1990, ListPriceFen: 2990, EffectiveAt: t0().Add(time.Hour)},
			{DealID: d.ID, PriceFen: 2490, ListPriceFen: 2990, EffectiveAt: t0()},
			{DealID: other.ID, PriceFen: 990, ListPriceFen: 990, EffectiveAt: t0()},
			{DealID: d.ID, PriceFen: 1790, ListPriceFen: 2990, EffectiveAt: t0().Add(2 * time.Hour)},
		}
		for _, p := range prices {
			must(t, s.AddDealPrice(t.Context(), &p), "AddDealPrice(%s, %d)", p.DealID, p.PriceFen)
		}
		got, err := s.FindDealPrices(t.Context(), d.ID)
		must(t, err, "FindDealPrices(%s)", d.ID)
		wantEqual(t, got, []tuango.DealPrice{prices[1], prices[0], prices[3]}, "FindDealPrices(%s)", d.ID)
		none, err := s.FindDealPrices(t.Context(), w.createDeal(t, 10, 1).ID)
		must(t, err, "FindDealPrices(new deal)")
		if len(none) != 0 {
			t.Errorf("FindDealPrices(new deal) = %+v, want none", none)
		}
	})

	t.Run("ReserveStock takes all or nothing and never goes over stock", func(t *testing.T) {
		d := newWorld(t, s).createDeal(t, 10, 10)
		steps := []struct {
			qty          int
			want         bool
			wantReserved int
		}{
			{4, true, 4},
			{7, false, 4},
			{6, true, 10},
			{1, false, 10},
		}
		before := 0
		for _, st := range steps {
			ok, err := s.ReserveStock(t.Context(), d.ID, st.qty)
			wantOK(t, ok, err, st.want, "ReserveStock(%d) with %d reserved of 10", st.qty, before)
			wantDeal(t, s, d.ID, 10, st.wantReserved)
			before = st.wantReserved
		}
	})

	t.Run("ReleaseStock gives units back but never below zero", func(t *testing.T) {
		d := newWorld(t, s).createDeal(t, 10, 10)
		reserve(t, s, d.ID, 5)
		must(t, s.ReleaseStock(t.Context(), d.ID, 2), "ReleaseStock(2)")
		wantDeal(t, s, d.ID, 10, 3)
		if err := s.ReleaseStock(t.Context(), d.ID, 4); err == nil {
			t.Errorf("ReleaseStock(4) with 3 reserved = nil, want an error")
		}
		wantDeal(t, s, d.ID, 10, 3)
		ok, err := s.ReserveStock(t.Context(), d.ID, 7)
		wantOK(t, ok, err, true, "ReserveStock(7) after release, 3 reserved of 10")
	})

	t.Run("limit units are counted and uncounted per customer and deal", func(t *testing.T) {
		w := newWorld(t, s)
		d, d2 := w.createDeal(t, 100, 3), w.createDeal(t, 100, 3)
		u, other := createUser(t, s, tuango.RoleCustomer), createUser(t, s, tuango.RoleCustomer)
		steps := []struct {
			name  string
			user  string
			deal  string
			qty   int // negative releases
			units int // u's units of d afterwards
		}{
			{"count 2", u.ID, d.ID, 2, 2},
			{"count 1 more", u.ID, d.ID, 1, 3},
			{"another customer counts apart", other.ID, d.ID, 3, 3},
			{"another deal counts apart", u.ID, d2.ID, 2, 3},
			{"release 2", u.ID, d.ID, -2, 1},
			{"release the last", u.ID, d.ID, -1, 0},
			{"count again", u.ID, d.ID, 2, 2},
		}
		for _, st := range steps {
			if st.qty < 0 {
				must(t, s.ReleaseLimit(t.Context(), st.user, st.deal, -st.qty), "%s: ReleaseLimit(%d)", st.name, -st.qty)
			} else {
				must(t, s.AddLimitUnits(t.Context(), []tuango.LimitUnits{{UserID: st.user, DealID: st.deal, Units: st.qty}}), "%s: AddLimitUnits(%d)", st.name, st.qty)
			}
			got, err := s.FindLimitUnits(t.Context(), d.ID, []string{u.ID})
			must(t, err, "%s: FindLimitUnits", st.name)
			if got[u.ID] != st.units {
				t.Errorf("%s: %d units counted, want %d", st.name, got[u.ID], st.units)
			}
		}
	})

	t.Run("limit units are added and found per customer", func(t *testing.T) {
		w := newWorld(t, s)
		d1, d2 := w.createDeal(t, 1000, 50), w.createDeal(t, 1000, 50)
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

	t.Run("ReleaseLimit never uncounts more than counted", func(t *testing.T) {
		d := newWorld(t, s).createDeal(t, 100, 3)
		u := createUser(t, s, tuango.RoleCustomer)
		must(t, s.AddLimitUnits(t.Context(), []tuango.LimitUnits{{UserID: u.ID, DealID: d.ID, Units: 1}}), "AddLimitUnits(1)")
		if err := s.ReleaseLimit(t.Context(), u.ID, d.ID, 2); err == nil {
			t.Errorf("ReleaseLimit(2) with 1 counted = nil, want an error")
		}
		got, err := s.FindLimitUnits(t.Context(), d.ID, []string{u.ID})
		must(t, err, "FindLimitUnits")
		if got[u.ID] != 1 {
			t.Errorf("%d units counted after the refused release, want 1", got[u.ID])
		}
	})

	t.Run("concurrent ReserveStock sells exactly the stock", func(t *testing.T) {
		d := newWorld(t, s).createDeal(t, 50, 1)
		n := race(t, s, 300, "ReserveStock(1)", func(tx tuango.Store) (bool, error) {
			return tx.ReserveStock(t.Context(), d.ID, 1)
		})
		if n != 50 {
			t.Errorf("300 × ReserveStock(1) of 50: %d succeeded, want 50", n)
		}
		wantDeal(t, s, d.ID, 50, 50)
	})
}

// race runs try in n transactions at once and counts those that report
// true; any error fails the test.
func race(t *testing.T, s tuango.Store, n int, what string, try func(tx tuango.Store) (bool, error)) int {
	t.Helper()
	var won atomic.Int64
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			err := s.InTx(t.Context(), func(tx tuango.Store) error {
				ok, err := try(tx)
				if ok {
					won.Add(1)
				}
				return err
			})
			if err != nil {
				t.Errorf("InTx(%s) = %v", what, err)
			}
		})
	}
	wg.Wait()
	return int(won.Load())
}

func dealID(d tuango.Deal) string { return d.ID }

// reserve takes qty units of a deal, as setup.
func reserve(t *testing.T, s tuango.Store, dealID string, qty int) {
	t.Helper()
	ok, err := s.ReserveStock(t.Context(), dealID, qty)
	if err != nil || !ok {
		t.Fatalf("ReserveStock(%s, %d) = %v, %v, want true, nil", dealID, qty, ok, err)
	}
}

// wantDeal checks a deal's stock and reserved units.
func wantDeal(t *testing.T, s tuango.Store, dealID string, stock, reserved int) {
	t.Helper()
	d, err := s.FindDealByID(t.Context(), dealID)
	must(t, err, "FindDealByID(%s)", dealID)
	if d.Stock != stock || d.Reserved != reserved {
		t.Errorf("FindDealByID(%s) stock, reserved = %d, %d, want %d, %d", dealID, d.Stock, d.Reserved, stock, reserved)
	}
}
