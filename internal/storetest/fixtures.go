package storetest

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"testing"
	"time"

	"tuango/internal/tuango"
)

// newID returns an id no other test uses.
func newID(prefix string) string { return tuango.RandomID(prefix) }

// newPhone returns a valid mainland mobile number no other test uses.
func newPhone(t *testing.T) string {
	t.Helper()
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000_000))
	must(t, err, "rand.Int")
	return fmt.Sprintf("13%09d", n)
}

func createCity(t *testing.T, s tuango.Store) *tuango.City {
	t.Helper()
	c := &tuango.City{ID: newID("cty"), Name: "长沙", TimeZone: "Asia/Shanghai", Cutoff: "23:00"}
	must(t, s.CreateCity(t.Context(), c), "CreateCity(%s)", c.ID)
	return c
}

// createRoute creates a central warehouse, a grid warehouse under it and a
// route from the grid warehouse, in the city.
func createRoute(t *testing.T, s tuango.Store, cityID string) (central, grid *tuango.Warehouse, r *tuango.Route) {
	t.Helper()
	ctx := t.Context()
	central = &tuango.Warehouse{ID: newID("wh"), CityID: cityID, Kind: tuango.WarehouseCentral, Name: "中心仓"}
	must(t, s.CreateWarehouse(ctx, central), "CreateWarehouse(%s)", central.ID)
	grid = &tuango.Warehouse{ID: newID("wh"), CityID: cityID, Kind: tuango.WarehouseGrid, Name: "网格仓", ParentID: central.ID}
	must(t, s.CreateWarehouse(ctx, grid), "CreateWarehouse(%s)", grid.ID)
	r = &tuango.Route{ID: newID("rte"), WarehouseID: grid.ID, Name: "一号线"}
	must(t, s.CreateRoute(ctx, r), "CreateRoute(%s)", r.ID)
	return central, grid, r
}

func createUser(t *testing.T, s tuango.Store, role tuango.Role) *tuango.User {
	t.Helper()
	u := &tuango.User{ID: newID("usr"), Phone: newPhone(t), Name: "张三", Role: role, PasswordHash: "hash", CreatedAt: t0()}
	must(t, s.CreateUser(t.Context(), u), "CreateUser(%s)", u.ID)
	return u
}

func createPickupPoint(t *testing.T, s tuango.Store, cityID, routeID, leaderID string) *tuango.PickupPoint {
	t.Helper()
	p := &tuango.PickupPoint{ID: newID("pp"), CityID: cityID, RouteID: routeID, Name: "幸福小区便利店", Address: "幸福路 1 号",
		LeaderID: leaderID, CommissionBps: 1000, Active: true}
	must(t, s.CreatePickupPoint(t.Context(), p), "CreatePickupPoint(%s)", p.ID)
	return p
}

func createSupplier(t *testing.T, s tuango.Store) *tuango.Supplier {
	t.Helper()
	sup := &tuango.Supplier{ID: newID("sup"), Name: "绿源农场", Contact: "李四 13900139000"}
	must(t, s.CreateSupplier(t.Context(), sup), "CreateSupplier(%s)", sup.ID)
	return sup
}

func createProduct(t *testing.T, s tuango.Store, supplierID string) *tuango.Product {
	t.Helper()
	p := &tuango.Product{ID: newID("prd"), SupplierID: supplierID, Name: "沃柑", Category: "水果", Unit: "2.5kg", CostFen: 1200}
	must(t, s.CreateProduct(t.Context(), p), "CreateProduct(%s)", p.ID)
	return p
}

// world is a city with a route, a pickup point run by a leader, a supplier
// and a product: enough to put deals and orders on.
type world struct {
	s       tuango.Store
	city    *tuango.City
	route   *tuango.Route
	leader  *tuango.User
	point   *tuango.PickupPoint
	product *tuango.Product
}

func newWorld(t *testing.T, s tuango.Store) *world {
	t.Helper()
	w := &world{s: s, city: createCity(t, s), leader: createUser(t, s, tuango.RoleLeader)}
	_, _, w.route = createRoute(t, s, w.city.ID)
	w.point = createPickupPoint(t, s, w.city.ID, w.route.ID, w.leader.ID)
	w.product = createProduct(t, s, createSupplier(t, s).ID)
	return w
}

// dealOn returns an unsaved deal of the world's product, on sale from an
// hour before t0 to eleven hours after.
func (w *world) dealOn(stock, limit int) *tuango.Deal {
	return &tuango.Deal{ID: newID("dl"), ProductID: w.product.ID, CityID: w.city.ID, Title: "沃柑 2.5kg",
		PriceFen: 1990, ListPriceFen: 2990, Stock: stock, LimitPerCustomer: limit,
		SaleStartsAt: t0().Add(-time.Hour), SaleEndsAt: t0().Add(11 * time.Hour), DeliveryDate: "2026-11-26",
		CreatedAt: t0(), UpdatedAt: t0()}
}

func (w *world) createDeal(t *testing.T, stock, limit int) *tuango.Deal {
	t.Helper()
	d := w.dealOn(stock, limit)
	must(t, w.s.CreateDeal(t.Context(), d), "CreateDeal(%s)", d.ID)
	return d
}

// item is one line of a test order.
type item struct {
	deal *tuango.Deal
	qty  int
}

// orderOf returns an unsaved order at the world's pickup point, placed at
// created and due 15 minutes later, with lines numbered from 1.
func (w *world) orderOf(userID string, status tuango.OrderStatus, created time.Time, items ...item) *tuango.Order {
	o := &tuango.Order{ID: newID("ord"), UserID: userID, PickupPointID: w.point.ID, CityID: w.city.ID, Status: status,
		CreatedAt: created, ExpiresAt: created.Add(tuango.DefaultOrderTimeout), IdempotencyKey: newID("key"), DeliveryDate: "2026-11-26"}
	for i, it := range items {
		amount := it.deal.PriceFen * tuango.Fen(it.qty)
		o.Lines = append(o.Lines, tuango.OrderLine{OrderID: o.ID, LineNo: i + 1, DealID: it.deal.ID, Title: it.deal.Title,
			Quantity: it.qty, UnitPriceFen: it.deal.PriceFen, AmountFen: amount, PaidFen: amount, CommissionBps: w.point.CommissionBps, UnitCostFen: w.product.CostFen})
		o.TotalFen += amount
	}
	return o
}

func (w *world) createOrder(t *testing.T, userID string, status tuango.OrderStatus, created time.Time, items ...item) *tuango.Order {
	t.Helper()
	o := w.orderOf(userID, status, created, items...)
	must(t, w.s.CreateOrder(t.Context(), o), "CreateOrder(%s)", o.ID)
	return o
}

// createPayment creates a pending payment for the whole of an order.
func (w *world) createPayment(t *testing.T, o *tuango.Order, created time.Time) *tuango.Payment {
	t.Helper()
	p := &tuango.Payment{ID: newID("pay"), OrderID: o.ID, UserID: o.UserID, Provider: "sandbox", AmountFen: o.TotalFen,
		Status: tuango.PaymentPending, CreatedAt: created}
	must(t, w.s.CreatePayment(t.Context(), p), "CreatePayment(%s)", p.ID)
	return p
}

// refundOf returns an unsaved pending refund of a whole payment.
func refundOf(p *tuango.Payment, created time.Time) *tuango.Refund {
	return &tuango.Refund{ID: newID("rfd"), PaymentID: p.ID, OrderID: p.OrderID, AmountFen: p.AmountFen,
		Reason: tuango.RefundOrderCancelled, Status: tuango.RefundPending, CreatedAt: created}
}
