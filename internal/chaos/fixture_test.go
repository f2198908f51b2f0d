package chaos

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"tuango/internal/payment"
	"tuango/internal/sms"
	"tuango/internal/sqlstore"
	"tuango/internal/tuango"
)

// fixture is a small, real run: a SQLite store, tuango's own service and
// sandbox provider, and a history recorded the way the fault test records
// it. Tests then break the tables or the history and expect the checker to
// notice.
type fixture struct {
	t       *testing.T
	dir     string
	svc     *tuango.Service
	sandbox *payment.Sandbox
	clock   *tuango.ManualClock
	rec     *Recorder
	setup   Setup
	city    string
	pp      string
	leader  string // the pickup point's leader
	db      sms.Store
	d1, d2  string
	// orders and payments by the names play gives them
	orders   map[string]string
	payments map[string]string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	f := &fixture{t: t, dir: t.TempDir(), orders: map[string]string{}, payments: map[string]string{}}
	db, err := sqlstore.Open(ctx, f.dir)
	if err != nil {
		t.Fatalf("sqlstore.Open() = %v", err)
	}
	t.Cleanup(func() { db.Close() })
	store := db.Store()
	f.db = store
	f.clock = tuango.NewManualClock(time.Now())
	now := f.clock.Now()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	city := &tuango.City{ID: tuango.RandomID("cty"), Name: "长沙", TimeZone: "Asia/Shanghai", Cutoff: "23:00"}
	must(store.CreateCity(ctx, city))
	must(store.CreateWarehouse(ctx, &tuango.Warehouse{ID: "wh_c", CityID: city.ID, Kind: tuango.WarehouseCentral, Name: "中心仓"}))
	must(store.CreateWarehouse(ctx, &tuango.Warehouse{ID: "wh_g", CityID: city.ID, Kind: tuango.WarehouseGrid, Name: "网格仓", ParentID: "wh_c"}))
	must(store.CreateRoute(ctx, &tuango.Route{ID: "rte_1", WarehouseID: "wh_g", Name: "一号线"}))
	leader := &tuango.User{ID: tuango.RandomID("usr"), Phone: "13900002001", Name: "团长", Role: tuango.RoleLeader, PasswordHash: "x", CreatedAt: now}
	must(store.CreateUser(ctx, leader))
	f.leader = leader.ID
	pp := &tuango.PickupPoint{ID: tuango.RandomID("pp"), CityID: city.ID, RouteID: "rte_1", Name: "幸福小区", Address: "幸福路 1 号", CommissionBps: 1000, Active: true,
		LeaderID: leader.ID, StopSeq: 1}
	must(store.CreatePickupPoint(ctx, pp))
	sup := &tuango.Supplier{ID: tuango.RandomID("sup"), Name: "果园", Contact: "13800000000"}
	must(store.CreateSupplier(ctx, sup))
	prd := &tuango.Product{ID: tuango.RandomID("prd"), SupplierID: sup.ID, Name: "草莓", Category: "水果", Unit: "500g", CostFen: 500}
	must(store.CreateProduct(ctx, prd))
	f.city, f.pp = city.ID, pp.ID
	f.setup = Setup{Scenario: "fixture", Deals: map[string]DealSetup{}, Customers: map[int]string{}}
	for _, id := range []*string{&f.d1, &f.d2} {
		d := &tuango.Deal{ID: tuango.RandomID("deal"), ProductID: prd.ID, CityID: city.ID, Title: "草莓", PriceFen: 990, ListPriceFen: 1990,
			Stock: 10, LimitPerCustomer: 3, SaleStartsAt: now.Add(-time.Hour), SaleEndsAt: now.Add(2 * time.Hour),
			DeliveryDate: now.Add(24 * time.Hour).Format(time.DateOnly), CreatedAt: now, UpdatedAt: now}
		must(store.CreateDeal(ctx, d))
		*id = d.ID
		f.setup.Deals[d.ID] = DealSetup{Stock: 10, Limit: 3}
	}
	for p := range 3 {
		u := &tuango.User{ID: tuango.RandomID("usr"), Phone: fmt.Sprintf("1390000%04d", 1001+p), Name: "顾客", Role: tuango.RoleCustomer,
			PasswordHash: "x", HomePickupPointID: pp.ID, CreatedAt: now}
		must(store.CreateUser(ctx, u))
		f.setup.Customers[p] = u.ID
	}
	f.sandbox = payment.NewSandbox(store, f.clock, []byte("sandbox-key"), "http://127.0.0.1:1", nil)
	f.sandbox.SetFaults(payment.Faults{Drop: 1}) // notifications never arrive: reconciliation applies payments
	f.svc = tuango.NewService(store, f.clock, nil, nil, f.sandbox, tuango.Config{OrderTimeout: time.Minute, ReconcileAfter: time.Second}, nil)
	f.rec, err = NewRecorder(filepath.Join(f.dir, "history.jsonl"))
	must(err)
	t.Cleanup(func() { f.rec.Close() })
	return f
}

func (f *fixture) actor(p int) tuango.Actor {
	return tuango.Actor{UserID: f.setup.Customers[p], Role: tuango.RoleCustomer}
}

func (f *fixture) idem(p int, key string) *tuango.Idempotency {
	return &tuango.Idempotency{Scope: f.setup.Customers[p], Key: key, Fingerprint: key}
}

// complete records how an operation ended: ok, or fail with the error's code.
func (f *fixture) complete(inv Op, err error, ok Op) {
	f.t.Helper()
	var e *tuango.Error
	switch {
	case err == nil:
		ok.Type, ok.Status = OK, 200
		f.rec.Complete(inv, ok)
	case errors.As(err, &e) && e.Code != tuango.CodeInternal:
		f.rec.Complete(inv, Op{Type: Fail, Status: 409, Code: e.Code})
	default:
		f.t.Fatalf("%s: %v", inv.F, err)
	}
}

func (f *fixture) place(p int, name, key string, items ...Item) {
	f.t.Helper()
	inv := f.rec.Invoke(Op{Process: p, F: PlaceOrder, Key: key, Node: "n1", Items: items})
	req := tuango.PlaceOrderRequest{PickupPointID: f.pp, Idem: f.idem(p, key)}
	for _, it := range items {
		req.Items = append(req.Items, tuango.OrderItem{DealID: it.DealID, Quantity: it.Quantity})
	}
	ans, err := f.svc.PlaceOrder(context.Background(), f.actor(p), req)
	o := ans.Value
	var ack Op
	if err == nil {
		f.orders[name] = o.ID
		ack = Op{OrderID: o.ID, State: string(o.Status), TotalFen: int64(o.TotalFen), Items: items}
	}
	f.complete(inv, err, ack)
}

func (f *fixture) pay(p int, order, key string) {
	f.t.Helper()
	inv := f.rec.Invoke(Op{Process: p, F: CreatePayment, Key: key, Node: "n1", OrderID: f.orders[order]})
	ans, err := f.svc.CreatePayment(context.Background(), f.actor(p), f.orders[order], f.idem(p, key))
	pay := ans.Value
	var ack Op
	if err == nil {
		f.payments[order] = pay.ID
		ack = Op{PaymentID: pay.ID, State: string(pay.Status), AmountFen: int64(pay.AmountFen)}
	}
	f.complete(inv, err, ack)
}

// confirm pays on the sandbox; reconciliation then applies the payment, as
// when the notification is lost.
func (f *fixture) confirm(p int, order string) {
	f.t.Helper()
	inv := f.rec.Invoke(Op{Process: p, F: ConfirmPayment, Node: "n1", PaymentID: f.payments[order]})
	err := f.sandbox.Confirm(context.Background(), f.payments[order], f.setup.Customers[p])
	f.complete(inv, err, Op{State: "paid"})
	f.clock.Advance(2 * time.Second)
	if _, err := f.svc.Reconcile(context.Background(), 100); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) cancel(p int, order string) {
	f.t.Helper()
	inv := f.rec.Invoke(Op{Process: p, F: CancelOrder, Node: "n1", OrderID: f.orders[order]})
	o, err := f.svc.CancelOrder(context.Background(), f.actor(p), f.orders[order])
	var ack Op
	if err == nil {
		ack = Op{State: string(o.Status)}
	}
	f.complete(inv, err, ack)
}

// play runs a small flash sale that touches every rule: an order paid, one
// left to expire, one cancelled, one paid then cancelled (refunded), one
// paid after it expired (refunded), a payment never confirmed, a refusal
// and two outcome-unknown requests, one that happened and one that did not.
func (f *fixture) play() {
	f.t.Helper()
	ctx := context.Background()
	d1, d2 := f.d1, f.d2
	f.place(0, "A", "a", Item{d1, 2})
	f.pay(0, "A", "a-pay")
	f.confirm(0, "A")
	f.place(1, "B", "b", Item{d1, 1}, Item{d2, 1})
	f.place(2, "C", "c", Item{d2, 3})
	f.cancel(2, "C")
	f.place(0, "D", "d", Item{d2, 1})
	f.pay(0, "D", "d-pay")
	f.confirm(0, "D")
	f.cancel(0, "D")
	f.place(1, "E", "e", Item{d1, 1})
	f.pay(1, "E", "e-pay")
	f.place(2, "G", "g", Item{d1, 1})
	f.pay(2, "G", "g-pay")
	f.place(2, "X", "x", Item{d2, 4}) // over the limit: refused

	// Outcome unknown: F reached the service, H never did.
	inv := f.rec.Invoke(Op{Process: 1, F: PlaceOrder, Key: "f", Node: "n2", Items: []Item{{d2, 1}}})
	o, err := f.svc.PlaceOrder(ctx, f.actor(1), tuango.PlaceOrderRequest{PickupPointID: f.pp, Items: []tuango.OrderItem{{DealID: d2, Quantity: 1}}, Idem: f.idem(1, "f")})
	if err != nil {
		f.t.Fatal(err)
	}
	f.orders["F"] = o.Value.ID
	f.rec.Complete(inv, Op{Type: Info, Error: "timeout"})
	inv = f.rec.Invoke(Op{Process: 0, F: PlaceOrder, Key: "h", Node: "n3", Items: []Item{{d2, 2}}})
	f.rec.Complete(inv, Op{Type: Info, Error: "connection refused"})

	// Every unpaid order expires; E's payment lands after that.
	f.clock.Advance(2 * time.Minute)
	if _, err := f.svc.ExpireOrders(ctx, 100); err != nil {
		f.t.Fatal(err)
	}
	f.confirm(1, "E")
	if _, err := f.svc.SendRefunds(ctx, 100); err != nil {
		f.t.Fatal(err)
	}
	f.setup.QuietAt = f.clock.Now()
}

// exec breaks the tables with raw SQL.
func (f *fixture) exec(query string, args ...any) {
	f.t.Helper()
	db, _, err := sqlstore.OpenRaw(f.dir)
	if err != nil {
		f.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(query, args...); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
}

// check runs the checker on the fixture's tables.
func (f *fixture) check(h History, s Setup) Report {
	f.t.Helper()
	f.chainAudit() // as a quiet node's sweep has
	db, dialect, err := sqlstore.OpenRaw(f.dir)
	if err != nil {
		f.t.Fatal(err)
	}
	defer db.Close()
	return Check(f.t.Context(), h, db, dialect, s)
}

// chainAudit chains the audit records waiting, as the chain_audit sweep does.
func (f *fixture) chainAudit() {
	f.t.Helper()
	if _, err := f.svc.ChainAudit(context.Background(), 100000); err != nil {
		f.t.Fatal(err)
	}
}
