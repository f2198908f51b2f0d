package storetest

import (
	"slices"
	"testing"

	"tuango/internal/tuango"
)

func testCatalog(t *testing.T, s tuango.Store) {
	t.Run("city round-trips", func(t *testing.T) {
		c := createCity(t, s)
		got, err := s.FindCityByID(t.Context(), c.ID)
		must(t, err, "FindCityByID(%s)", c.ID)
		wantEqual(t, got, c, "FindCityByID(%s)", c.ID)
		all, err := s.FindCities(t.Context())
		must(t, err, "FindCities()")
		wantContains(t, all, *c, "FindCities()")
	})

	t.Run("second city with one id is conflict", func(t *testing.T) {
		c := createCity(t, s)
		again := &tuango.City{ID: c.ID, Name: "株洲", TimeZone: "Asia/Shanghai", Cutoff: "22:00"}
		wantCode(t, s.CreateCity(t.Context(), again), tuango.CodeConflict, "CreateCity(%s) again", c.ID)
		got, err := s.FindCityByID(t.Context(), c.ID)
		must(t, err, "FindCityByID(%s)", c.ID)
		wantEqual(t, got, c, "FindCityByID(%s) after the refused create", c.ID)
	})

	t.Run("warehouses are listed by city", func(t *testing.T) {
		c := createCity(t, s)
		central, grid, _ := createRoute(t, s, c.ID)
		createRoute(t, s, createCity(t, s).ID)
		got, err := s.FindWarehouses(t.Context(), c.ID)
		must(t, err, "FindWarehouses(%s)", c.ID)
		want := []tuango.Warehouse{*central, *grid}
		if central.ID > grid.ID {
			want = []tuango.Warehouse{*grid, *central}
		}
		wantEqual(t, got, want, "FindWarehouses(%s)", c.ID)
	})

	t.Run("routes are found by id and listed by city", func(t *testing.T) {
		c := createCity(t, s)
		_, _, r := createRoute(t, s, c.ID)
		createRoute(t, s, createCity(t, s).ID)
		got, err := s.FindRouteByID(t.Context(), r.ID)
		must(t, err, "FindRouteByID(%s)", r.ID)
		wantEqual(t, got, r, "FindRouteByID(%s)", r.ID)
		list, err := s.FindRoutes(t.Context(), c.ID)
		must(t, err, "FindRoutes(%s)", c.ID)
		wantEqual(t, list, []tuango.Route{*r}, "FindRoutes(%s)", c.ID)
	})

	t.Run("pickup point round-trips and updates", func(t *testing.T) {
		c := createCity(t, s)
		_, _, r := createRoute(t, s, c.ID)
		leader := createUser(t, s, tuango.RoleLeader)
		p := createPickupPoint(t, s, c.ID, r.ID, leader.ID)
		got, err := s.FindPickupPointByID(t.Context(), p.ID)
		must(t, err, "FindPickupPointByID(%s)", p.ID)
		wantEqual(t, got, p, "FindPickupPointByID(%s)", p.ID)

		p.Name, p.Address, p.CommissionBps, p.Active = "新名字", "新地址 2 号", 1500, false
		p.RouteID, p.LeaderID = "", ""
		must(t, s.UpdatePickupPoint(t.Context(), p), "UpdatePickupPoint(%s)", p.ID)
		got, err = s.FindPickupPointByID(t.Context(), p.ID)
		must(t, err, "FindPickupPointByID(%s)", p.ID)
		wantEqual(t, got, p, "FindPickupPointByID(%s) after update", p.ID)
	})

	t.Run("pickup points are listed by city and by leader", func(t *testing.T) {
		c := createCity(t, s)
		_, _, r := createRoute(t, s, c.ID)
		leader := createUser(t, s, tuango.RoleLeader)
		led := createPickupPoint(t, s, c.ID, r.ID, leader.ID)
		unled := createPickupPoint(t, s, c.ID, "", "")
		elsewhere := createPickupPoint(t, s, createCity(t, s).ID, "", leader.ID)

		byCity, err := s.FindPickupPoints(t.Context(), tuango.PickupPointFilter{CityID: c.ID})
		must(t, err, "FindPickupPoints(city %s)", c.ID)
		wantIDs(t, ids(byCity, pickupPointID), sorted(led.ID, unled.ID), "FindPickupPoints(city %s)", c.ID)

		byLeader, err := s.FindPickupPoints(t.Context(), tuango.PickupPointFilter{LeaderID: leader.ID})
		must(t, err, "FindPickupPoints(leader %s)", leader.ID)
		wantIDs(t, ids(byLeader, pickupPointID), sorted(led.ID, elsewhere.ID), "FindPickupPoints(leader %s)", leader.ID)

		both, err := s.FindPickupPoints(t.Context(), tuango.PickupPointFilter{CityID: c.ID, LeaderID: leader.ID})
		must(t, err, "FindPickupPoints(city %s, leader %s)", c.ID, leader.ID)
		wantIDs(t, ids(both, pickupPointID), []string{led.ID}, "FindPickupPoints(city %s, leader %s)", c.ID, leader.ID)
	})

	t.Run("supplier round-trips and updates", func(t *testing.T) {
		sup := createSupplier(t, s)
		got, err := s.FindSupplierByID(t.Context(), sup.ID)
		must(t, err, "FindSupplierByID(%s)", sup.ID)
		wantEqual(t, got, sup, "FindSupplierByID(%s)", sup.ID)

		sup.Name, sup.Contact = "青山果园", ""
		must(t, s.UpdateSupplier(t.Context(), sup), "UpdateSupplier(%s)", sup.ID)
		all, err := s.FindSuppliers(t.Context())
		must(t, err, "FindSuppliers()")
		wantContains(t, all, *sup, "FindSuppliers()")
	})

	t.Run("product round-trips, updates and is listed by supplier", func(t *testing.T) {
		sup := createSupplier(t, s)
		p := createProduct(t, s, sup.ID)
		other := createProduct(t, s, createSupplier(t, s).ID)
		got, err := s.FindProductByID(t.Context(), p.ID)
		must(t, err, "FindProductByID(%s)", p.ID)
		wantEqual(t, got, p, "FindProductByID(%s)", p.ID)

		p.Name, p.Category, p.Unit, p.CostFen = "脐橙", "水果", "5kg", 0
		must(t, s.UpdateProduct(t.Context(), p), "UpdateProduct(%s)", p.ID)
		list, err := s.FindProducts(t.Context(), sup.ID)
		must(t, err, "FindProducts(%s)", sup.ID)
		wantEqual(t, list, []tuango.Product{*p}, "FindProducts(%s) after update", sup.ID)

		all, err := s.FindProducts(t.Context(), "")
		must(t, err, `FindProducts("")`)
		wantIDs(t, only(ids(all, productID), p.ID, other.ID), sorted(p.ID, other.ID), `FindProducts("")`)
	})

	t.Run("missing rows are not found", func(t *testing.T) {
		ctx := t.Context()
		missing := newID("missing")
		finds := map[string]func() error{
			"FindCityByID":        func() error { _, err := s.FindCityByID(ctx, missing); return err },
			"FindRouteByID":       func() error { _, err := s.FindRouteByID(ctx, missing); return err },
			"FindPickupPointByID": func() error { _, err := s.FindPickupPointByID(ctx, missing); return err },
			"FindSupplierByID":    func() error { _, err := s.FindSupplierByID(ctx, missing); return err },
			"FindProductByID":     func() error { _, err := s.FindProductByID(ctx, missing); return err },
		}
		for name, find := range finds {
			t.Run(name, func(t *testing.T) { wantNotFound(t, find(), "%s(%s)", name, missing) })
		}
	})

	t.Run("pickup points are found by ids", func(t *testing.T) {
		w := newWorld(t, s)
		pps, err := s.FindPickupPoints(t.Context(), tuango.PickupPointFilter{IDs: []string{w.point.ID, "pp_missing"}})
		must(t, err, "FindPickupPoints(IDs)")
		if len(pps) != 1 || pps[0].ID != w.point.ID {
			t.Errorf("FindPickupPoints(IDs) = %+v, want the one point", pps)
		}
	})

	t.Run("updates of missing rows are not found", func(t *testing.T) {
		ctx := t.Context()
		w := newWorld(t, s)
		point := *w.point
		point.ID = newID("missing")
		wantNotFound(t, s.UpdatePickupPoint(ctx, &point), "UpdatePickupPoint(%s)", point.ID)
		sup := tuango.Supplier{ID: newID("missing"), Name: "无"}
		wantNotFound(t, s.UpdateSupplier(ctx, &sup), "UpdateSupplier(%s)", sup.ID)
		prod := *w.product
		prod.ID = newID("missing")
		wantNotFound(t, s.UpdateProduct(ctx, &prod), "UpdateProduct(%s)", prod.ID)
	})
}

func pickupPointID(p tuango.PickupPoint) string { return p.ID }
func productID(p tuango.Product) string         { return p.ID }

// sorted returns ids in ascending order, the order of listings by id.
func sorted(ids ...string) []string {
	slices.Sort(ids)
	return ids
}
