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

	t.Run("UpdateDeal changes terms but not reserved", func(t *testing.T) {
		d := newWorld(t, s).createDeal(t, 100, 5)
		reserve(t, s, d.ID, 7)
		d.Title, d.PriceFen, d.ListPriceFen, d.Stock, d.LimitPerCustomer = "沃柑 5kg", 3590, 4990, 200, 2
		d.SaleEndsAt, d.DeliveryDate, d.UpdatedAt = d.SaleEndsAt.Add(time.Hour), "2026-11-27", t0().Add(time.Minute)
		d.Reserved = 0
		must(t, s.UpdateDeal(t.Context(), d), "UpdateDeal(%s)", d.ID)
		d.Reserved = 7
		got, err := s.FindDealByID(t.Context(), d.ID)
		must(t, err, "FindDealByID(%s)", d.ID)
		wantEqual(t, got, d, "FindDealByID(%s) after update", d.ID)
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

	t.Run("ReserveLimit counts units against the limit", func(t *testing.T) {
		w := newWorld(t, s)
		d := w.createDeal(t, 100, 3)
		u, other := createUser(t, s, tuango.RoleCustomer), createUser(t, s, tuango.RoleCustomer)
		steps := []struct {
			name string
			user string
			qty  int // negative releases
			want bool
		}{
			{"first 2 of 3", u.ID, 2, true},
			{"2 more would make 4", u.ID, 2, false},
			{"1 more makes 3", u.ID, 1, true},
			{"1 more would make 4", u.ID, 1, false},
			{"another customer counts apart", other.ID, 3, true},
			{"release 2", u.ID, -2, true},
			{"2 more make 3 again", u.ID, 2, true},
			{"at the limit", u.ID, 1, false},
		}
		for _, st := range steps {
			if st.qty < 0 {
				must(t, s.ReleaseLimit(t.Context(), st.user, d.ID, -st.qty), "ReleaseLimit(%d)", -st.qty)
				continue
			}
			ok, err := s.ReserveLimit(t.Context(), st.user, d.ID, st.qty, 3)
			wantOK(t, ok, err, st.want, "%s: ReserveLimit(%d, limit 3)", st.name, st.qty)
		}
	})

	t.Run("ReserveLimit refuses more than the limit at once", func(t *testing.T) {
		d := newWorld(t, s).createDeal(t, 100, 3)
		u := createUser(t, s, tuango.RoleCustomer)
		ok, err := s.ReserveLimit(t.Context(), u.ID, d.ID, 4, 3)
		wantOK(t, ok, err, false, "ReserveLimit(4, limit 3) with none counted")
		ok, err = s.ReserveLimit(t.Context(), u.ID, d.ID, 3, 3)
		wantOK(t, ok, err, true, "ReserveLimit(3, limit 3) after the refusal")
	})

	t.Run("ReleaseLimit never uncounts more than counted", func(t *testing.T) {
		d := newWorld(t, s).createDeal(t, 100, 3)
		u := createUser(t, s, tuango.RoleCustomer)
		ok, err := s.ReserveLimit(t.Context(), u.ID, d.ID, 1, 3)
		wantOK(t, ok, err, true, "ReserveLimit(1, limit 3)")
		if err := s.ReleaseLimit(t.Context(), u.ID, d.ID, 2); err == nil {
			t.Errorf("ReleaseLimit(2) with 1 counted = nil, want an error")
		}
		ok, err = s.ReserveLimit(t.Context(), u.ID, d.ID, 3, 3)
		wantOK(t, ok, err, false, "ReserveLimit(3, limit 3) with 1 still counted")
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

	t.Run("concurrent ReserveLimit counts exactly the limit", func(t *testing.T) {
		d := newWorld(t, s).createDeal(t, 100, 3)
		u := createUser(t, s, tuango.RoleCustomer)
		n := race(t, s, 50, "ReserveLimit(1, limit 3)", func(tx tuango.Store) (bool, error) {
			return tx.ReserveLimit(t.Context(), u.ID, d.ID, 1, 3)
		})
		if n != 3 {
			t.Errorf("50 × ReserveLimit(1, limit 3): %d succeeded, want 3", n)
		}
		// Exactly 3 counted: one more fits under a limit of 4, and no more.
		ok, err := s.ReserveLimit(t.Context(), u.ID, d.ID, 1, 3)
		wantOK(t, ok, err, false, "ReserveLimit(1, limit 3) afterwards")
		ok, err = s.ReserveLimit(t.Context(), u.ID, d.ID, 1, 4)
		wantOK(t, ok, err, true, "ReserveLimit(1, limit 4) afterwards")
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
