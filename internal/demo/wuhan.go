package demo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"tuango/internal/tuango"
)

// The demo's second city, with its own cutoff, warehouses, routes, pickup
// points and leaders, selling the same suppliers' products; and one
// supplier account per supplier, bound to it.
const (
	SecondCityName      = "武汉"
	SecondCityCutoff    = "22:00"
	firstSecondLeader   = firstLeaderPhone + 60 // after 长沙's 60 leaders
	firstSupplierPhone  = 13900003001
	secondCityStream    = 0x7768616e // "whan"
	secondCityCustomers = 100
	firstSecondCustomer = firstCustomerPhone + NumCustomers // 13900001501 …
)

var wuhanRoutes = []struct {
	name        string
	communities []string
}{
	{"武昌线", []string{"中南花园", "水果湖小区", "徐东雅苑", "积玉桥小区", "首义小区", "白沙洲花园"}},
	{"汉口线", []string{"常青花园", "后湖百步亭", "唐家墩小区", "万松园", "球场街小区", "同济小区"}},
}

// secondCity seeds 武汉 from its own random stream, after 长沙, so that
// 长沙's data stays what it was for a seed.
func secondCity(ctx context.Context, tx tuango.Store, products []tuango.Product, now time.Time, hash string, seed int64, sum *Summary) error {
	g := newGen(seed, secondCityStream)
	city := &tuango.City{ID: g.id("cty"), Name: SecondCityName, TimeZone: "Asia/Shanghai", Cutoff: SecondCityCutoff}
	if err := tx.CreateCity(ctx, city); err != nil {
		return err
	}
	sum.SecondCityID = city.ID
	central := &tuango.Warehouse{ID: g.id("wh"), CityID: city.ID, Kind: tuango.WarehouseCentral, Name: "武汉中心仓（东西湖）"}
	grid := &tuango.Warehouse{ID: g.id("wh"), CityID: city.ID, Kind: tuango.WarehouseGrid, Name: "武汉网格仓（洪山）", ParentID: central.ID}
	for _, w := range []*tuango.Warehouse{central, grid} {
		if err := tx.CreateWarehouse(ctx, w); err != nil {
			return err
		}
	}
	var pps []tuango.PickupPoint
	for _, r := range wuhanRoutes {
		rt := &tuango.Route{ID: g.id("rt"), WarehouseID: grid.ID, Name: r.name}
		if err := tx.CreateRoute(ctx, rt); err != nil {
			return err
		}
		for i, community := range r.communities {
			surname, given, _ := g.person()
			pp := tuango.PickupPoint{ID: g.id("pp"), CityID: city.ID, RouteID: rt.ID, StopSeq: i + 1,
				Name: community + "·" + surname + "姐便利店", Address: fmt.Sprintf("武汉市%s%d号", community, 1+g.r.IntN(300)),
				CommissionBps: 600 + 50*g.r.IntN(10), Active: true}
			leader := &tuango.User{ID: g.id("usr"), Phone: strconv.Itoa(firstSecondLeader + len(pps)), Name: surname + given, Role: tuango.RoleLeader,
				PasswordHash: hash, HomePickupPointID: pp.ID, CreatedAt: g.before(now, 360)}
			pp.LeaderID = leader.ID
			if err := tx.CreateUser(ctx, leader); err != nil {
				return err
			}
			if err := tx.CreatePickupPoint(ctx, &pp); err != nil {
				return err
			}
			pps = append(pps, pp)
		}
	}
	sum.SecondCityPoints = len(pps)
	for i := range secondCityCustomers {
		surname, given, _ := g.person()
		u := &tuango.User{ID: g.id("usr"), Phone: strconv.Itoa(firstSecondCustomer + i), Name: surname + given, Role: tuango.RoleCustomer,
			PasswordHash: hash, HomePickupPointID: pps[g.r.IntN(len(pps))].ID, CreatedAt: g.before(now, 365)}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
	}
	sups, err := tx.FindSuppliers(ctx)
	if err != nil {
		return err
	}
	for i, s := range sups {
		u := &tuango.User{ID: g.id("usr"), Phone: strconv.Itoa(firstSupplierPhone + i), Name: s.Name, Role: tuango.RoleSupplier,
			PasswordHash: hash, SupplierID: s.ID, CreatedAt: g.before(now, 360)}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
	}
	sum.FirstSupplierPhone, sum.LastSupplierPhone = strconv.Itoa(firstSupplierPhone), strconv.Itoa(firstSupplierPhone+len(sups)-1)
	b, err := createDeals(ctx, tx, city, products, now, seed^secondCityStream)
	sum.SecondCityDeals = b.deals
	return err
}
