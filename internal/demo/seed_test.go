package demo_test

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"tuango/internal/auth"
	"tuango/internal/demo"
	"tuango/internal/sqlstore"
	"tuango/internal/tuango"
)

// now is 10:30 in 长沙: the day's deals run until 23:00 tonight.
var now = time.Date(2025, 6, 12, 2, 30, 0, 0, time.UTC)

func newHasher() *auth.Hasher { return auth.NewHasher(auth.Params{Time: 1, Memory: 64, Threads: 1}, 2) }

func openStore(t *testing.T) tuango.Store {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db.Store()
}

func seed(t *testing.T, seed int64) (tuango.Store, *demo.Summary) {
	t.Helper()
	store := openStore(t)
	sum, err := demo.Seed(context.Background(), store, newHasher(), now, seed)
	if err != nil {
		t.Fatalf("Seed: %v", err)
	}
	return store, sum
}

func liveDeals(t *testing.T, store tuango.Store, cityID string, at time.Time) []tuango.Deal {
	t.Helper()
	deals, err := store.FindDeals(context.Background(), tuango.DealFilter{CityID: cityID, LiveAt: at})
	if err != nil {
		t.Fatal(err)
	}
	return deals
}

func TestSeed(t *testing.T) {
	ctx := context.Background()
	store, sum := seed(t, 1)

	cities, err := store.FindCities(ctx)
	if err != nil || len(cities) != 2 {
		t.Fatalf("FindCities = %+v, %v; want 长沙 and 武汉", cities, err)
	}
	byName := map[string]tuango.City{cities[0].Name: cities[0], cities[1].Name: cities[1]}
	city := byName["长沙"]
	if city.Cutoff != "23:00" || city.ID != sum.CityID || byName["武汉"].Cutoff != "22:00" || byName["武汉"].ID != sum.SecondCityID {
		t.Fatalf("cities = %+v, want 长沙 with cutoff 23:00 and 武汉 with 22:00", byName)
	}
	t.Run("武汉 has its own points, all on routes with stop sequences, and its deals", func(t *testing.T) {
		pps, err := store.FindPickupPoints(ctx, tuango.PickupPointFilter{CityID: sum.SecondCityID})
		if err != nil || len(pps) != sum.SecondCityPoints || len(pps) < 10 {
			t.Fatalf("武汉's pickup points = %d, %v; want %d", len(pps), err, sum.SecondCityPoints)
		}
		for _, pp := range pps {
			if pp.RouteID == "" || pp.StopSeq < 1 || pp.LeaderID == "" {
				t.Errorf("pickup point %s: route %q, stop %d, leader %q", pp.Name, pp.RouteID, pp.StopSeq, pp.LeaderID)
			}
		}
		if deals := liveDeals(t, store, sum.SecondCityID, now); len(deals) != sum.SecondCityDeals || len(deals) < 70 {
			t.Errorf("武汉's live deals = %d, summary %d", len(deals), sum.SecondCityDeals)
		}
	})
	t.Run("every supplier has an account bound to it", func(t *testing.T) {
		sups, _ := store.FindSuppliers(ctx)
		for i, s := range sups {
			u, err := store.FindUserByPhone(ctx, fmt.Sprint(13900003001+i))
			if err != nil || u.Role != tuango.RoleSupplier || u.SupplierID != s.ID {
				t.Errorf("supplier account %d = %+v, %v; want one bound to %s", 13900003001+i, u, err, s.ID)
			}
		}
	})
	whs, err := store.FindWarehouses(ctx, city.ID)
	if err != nil || len(whs) != 4 {
		t.Errorf("FindWarehouses = %d, %v; want 4", len(whs), err)
	}
	routes, err := store.FindRoutes(ctx, city.ID)
	if err != nil || len(routes) != 6 {
		t.Errorf("FindRoutes = %d, %v; want 6", len(routes), err)
	}
	sups, err := store.FindSuppliers(ctx)
	if err != nil || len(sups) != 20 {
		t.Errorf("FindSuppliers = %d, %v; want 20", len(sups), err)
	}
	products, err := store.FindProducts(ctx, "")
	if err != nil || len(products) < 180 || len(products) > 220 {
		t.Errorf("FindProducts = %d, %v; want 180 to 220", len(products), err)
	}
	cost := map[string]tuango.Fen{}
	for _, p := range products {
		cost[p.ID] = p.CostFen
	}

	t.Run("every pickup point has its own group leader", func(t *testing.T) {
		pps, err := store.FindPickupPoints(ctx, tuango.PickupPointFilter{CityID: city.ID})
		if err != nil || len(pps) != 60 {
			t.Fatalf("FindPickupPoints = %d, %v; want 60", len(pps), err)
		}
		leaders := map[string]bool{}
		for _, pp := range pps {
			u, err := store.FindUserByID(ctx, pp.LeaderID)
			if err != nil || u.Role != tuango.RoleLeader {
				t.Errorf("leader of %s = %+v, %v; want a user with role leader", pp.Name, u, err)
				continue
			}
			if leaders[u.ID] {
				t.Errorf("leader %s runs more than one pickup point", u.Phone)
			}
			leaders[u.ID] = true
			if !pp.Active || pp.CommissionBps < 500 || pp.CommissionBps > 1200 || !strings.HasPrefix(pp.Address, "长沙市") {
				t.Errorf("pickup point %+v: want active, commission 500–1200 bps, an address in 长沙市", pp)
			}
		}
		if u, err := store.FindUserByPhone(ctx, sum.FirstLeaderPhone); err != nil || u.Role != tuango.RoleLeader {
			t.Errorf("FindUserByPhone(%s) = %+v, %v; want a leader", sum.FirstLeaderPhone, u, err)
		}
	})

	t.Run("deals are live, valid and priced above cost", func(t *testing.T) {
		deals := liveDeals(t, store, city.ID, now)
		if len(deals) < 70 || len(deals) > 90 || len(deals) != sum.Deals {
			t.Fatalf("%d deals live at now, summary says %d; want 70 to 90", len(deals), sum.Deals)
		}
		flash := 0
		for _, d := range deals {
			if err := d.Validate(); err != nil {
				t.Errorf("deal %q: Validate() = %v", d.Title, err)
			}
			if d.PriceFen <= cost[d.ProductID] {
				t.Errorf("deal %q: price %d, want above cost %d", d.Title, d.PriceFen, cost[d.ProductID])
			}
			if strings.HasPrefix(d.Title, "【秒杀】") != d.Flash {
				t.Errorf("deal %q: Flash = %v; want true exactly for the 【秒杀】 deals", d.Title, d.Flash)
			}
			if strings.HasPrefix(d.Title, "【秒杀】") {
				flash++
				if d.Stock > 50 || d.LimitPerCustomer != 1 {
					t.Errorf("flash deal %q: stock %d limit %d; want at most 50 and 1", d.Title, d.Stock, d.LimitPerCustomer)
				}
			}
			prices, err := store.FindDealPrices(ctx, d.ID)
			if err != nil || len(prices) != 1 || prices[0].PriceFen != d.PriceFen {
				t.Errorf("FindDealPrices(%s) = %+v, %v; want its one price", d.ID, prices, err)
			}
		}
		if flash != 3 {
			t.Errorf("%d flash deals; want 3", flash)
		}
	})

	t.Run("customers each have a home pickup point", func(t *testing.T) {
		if sum.Customers != 500 {
			t.Errorf("Summary.Customers = %d, want 500", sum.Customers)
		}
		if sum.FirstCustomerPhone != "13900001001" || sum.LastCustomerPhone != "13900001500" {
			t.Errorf("Summary customer phones = %s…%s, want 13900001001…13900001500", sum.FirstCustomerPhone, sum.LastCustomerPhone)
		}
		for i := range 500 {
			phone := strconv.Itoa(13900001001 + i)
			u, err := store.FindUserByPhone(ctx, phone)
			if err != nil || u.Role != tuango.RoleCustomer || u.HomePickupPointID == "" {
				t.Errorf("FindUserByPhone(%s) = %+v, %v; want a customer with a home pickup point", phone, u, err)
			}
		}
	})

	t.Run("operator logs in with the demo password", func(t *testing.T) {
		u, err := store.FindUserByPhone(ctx, "13900000001")
		if err != nil || u.Role != tuango.RoleOperator {
			t.Fatalf("FindUserByPhone(operator) = %+v, %v; want role operator", u, err)
		}
		if ok, err := newHasher().Verify(u.PasswordHash, "tuango-demo"); !ok || err != nil {
			t.Errorf("Verify(operator hash, tuango-demo) = %v, %v; want true", ok, err)
		}
	})

	t.Run("seeded store says so and refuses a second seed", func(t *testing.T) {
		if ok, err := demo.Seeded(ctx, store); !ok || err != nil {
			t.Errorf("Seeded = %v, %v; want true", ok, err)
		}
		if ok, err := demo.Seeded(ctx, openStore(t)); ok || err != nil {
			t.Errorf("Seeded(empty store) = %v, %v; want false", ok, err)
		}
		if _, err := demo.Seed(ctx, store, newHasher(), now, 2); tuango.ErrorCode(err) != tuango.CodeConflict {
			t.Errorf("second Seed = %v; want code conflict", err)
		}
	})
}

func TestSeedIsDeterministic(t *testing.T) {
	a, sumA := seed(t, 42)
	b, sumB := seed(t, 42)
	c, sumC := seed(t, 43)
	dealsA := liveDeals(t, a, sumA.CityID, now)
	if dealsB := liveDeals(t, b, sumB.CityID, now); !reflect.DeepEqual(dealsA, dealsB) {
		t.Error("two seeds with the same seed and now made different deals")
	}
	if dealsC := liveDeals(t, c, sumC.CityID, now); reflect.DeepEqual(dealsA, dealsC) {
		t.Error("seeds 42 and 43 made the same deals")
	}
}

func TestRefresh(t *testing.T) {
	ctx := context.Background()
	store, sum := seed(t, 7)
	if n, err := demo.Refresh(ctx, store, now, 7); n != 0 || err != nil {
		t.Errorf("Refresh right after Seed = %d, %v; want 0", n, err)
	}
	later := now.Add(48 * time.Hour)
	n, err := demo.Refresh(ctx, store, later, 7)
	if err != nil || n < 140 || n > 180 {
		t.Fatalf("Refresh two days later = %d, %v; want 70 to 90 in each city", n, err)
	}
	deals := append(liveDeals(t, store, sum.CityID, later), liveDeals(t, store, sum.SecondCityID, later)...)
	if len(deals) != n {
		t.Errorf("%d deals live two days later; want the %d new ones", len(deals), n)
	}
	for _, d := range deals {
		if err := d.Validate(); err != nil {
			t.Errorf("deal %q: Validate() = %v", d.Title, err)
		}
	}
	if n, err := demo.Refresh(ctx, store, later, 7); n != 0 || err != nil {
		t.Errorf("second Refresh = %d, %v; want 0", n, err)
	}
	if _, err := demo.Refresh(ctx, openStore(t), now, 7); tuango.ErrorCode(err) != tuango.CodeNotFound {
		t.Errorf("Refresh(empty store) = %v; want code not_found", err)
	}
}

func TestDealWindow(t *testing.T) {
	tests := []struct {
		name         string
		now          time.Time
		wantEnds     time.Time
		wantDelivery string
	}{
		{"morning sells until tonight", time.Date(2025, 6, 12, 2, 30, 0, 0, time.UTC),
			time.Date(2025, 6, 12, 15, 0, 0, 0, time.UTC), "2025-06-13"},
		{"late evening sells until tomorrow night", time.Date(2025, 6, 12, 13, 30, 0, 0, time.UTC),
			time.Date(2025, 6, 13, 15, 0, 0, 0, time.UTC), "2025-06-14"},
		{"after cutoff sells until tomorrow night", time.Date(2025, 6, 12, 15, 30, 0, 0, time.UTC),
			time.Date(2025, 6, 13, 15, 0, 0, 0, time.UTC), "2025-06-14"},
		{"just after local midnight sells until that night", time.Date(2025, 12, 31, 16, 5, 0, 0, time.UTC),
			time.Date(2026, 1, 1, 15, 0, 0, 0, time.UTC), "2026-01-02"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := openStore(t)
			sum, err := demo.Seed(context.Background(), store, newHasher(), tt.now, 1)
			if err != nil {
				t.Fatal(err)
			}
			if !sum.SaleEndsAt.Equal(tt.wantEnds) || sum.DeliveryDate != tt.wantDelivery {
				t.Errorf("deals end %v, delivered %s; want %v, %s", sum.SaleEndsAt, sum.DeliveryDate, tt.wantEnds, tt.wantDelivery)
			}
			deals := liveDeals(t, store, sum.CityID, tt.now)
			if len(deals) != sum.Deals {
				t.Errorf("%d deals live at now; want all %d", len(deals), sum.Deals)
			}
			for _, d := range deals {
				if !d.SaleStartsAt.Equal(tt.now.Add(-time.Hour)) {
					t.Errorf("deal %q on sale from %v; want an hour before now", d.Title, d.SaleStartsAt)
				}
			}
		})
	}
}

// An operator may close a day early (提前截单); the demo restarted after
// it puts the next day on sale, not the day whose orders already went to
// the suppliers.
func TestRefreshSkipsADayCutOff(t *testing.T) {
	ctx := context.Background()
	store, sum := seed(t, 7)
	at := now.Add(time.Minute)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(store.CreateCutoff(ctx, &tuango.CutoffRun{CityID: sum.CityID, DeliveryDate: sum.DeliveryDate, StartedAt: at, StartedBy: "op", Early: true}))
	for _, d := range liveDeals(t, store, sum.CityID, at) { // as the cutoff ends them
		d.SaleEndsAt = at
		must(store.UpdateDeal(ctx, &d))
	}
	n, err := demo.Refresh(ctx, store, at, 7)
	if err != nil || n < 70 || n > 90 {
		t.Fatalf("Refresh after the early close = %d, %v; want 70 to 90 new deals", n, err)
	}
	deals := liveDeals(t, store, sum.CityID, at)
	if len(deals) != n {
		t.Fatalf("%d deals live after the refresh, want the %d new ones", len(deals), n)
	}
	for _, d := range deals {
		if d.DeliveryDate == sum.DeliveryDate {
			t.Fatalf("deal %q is on sale for %s, which was cut off", d.Title, d.DeliveryDate)
		}
	}
}
