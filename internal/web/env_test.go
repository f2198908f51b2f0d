package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tuango/internal/auth"
	"tuango/internal/metrics"
	"tuango/internal/payment"
	"tuango/internal/sms"
	"tuango/internal/sqlstore"
	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// env is a real tuango over HTTP: a real database (a SQLite file, or a
// PostgreSQL schema when TUANGO_TEST_DB=postgres), the sandbox provider, the
// real handler on 127.0.0.1, and a clock the test moves.
type env struct {
	t       *testing.T
	db      *sqlstore.DB
	dsn     string
	store   *sqlstore.Store
	clock   *tuango.ManualClock
	svc     *tuango.Service
	sandbox *payment.Sandbox
	breaker *payment.Breaker // the sandbox behind the circuit breaker, as serve runs it
	srv     *httptest.Server
	key     []byte
	csrfKey []byte // signs the pages' forms
	metrics *metrics.Metrics
	logs    lockedBuffer // the server's log, JSON lines

	cityID, ppID, otherPPID, supplierID, productID string
	operator                                       *client
}

var testStart = time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC) // 10:00 in 长沙

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvAt(t, storetest.DSN(t))
}

// newEnvAt opens the database named by dsn (see storetest.DSN); opening
// the same dsn again is a restart on the same data.
func newEnvAt(t *testing.T, dsn string) *env {
	t.Helper()
	return newEnvConfig(t, dsn, tuango.Config{})
}

// newEnvConfig is newEnvAt with the service configured by cfg.
func newEnvConfig(t *testing.T, dsn string, cfg tuango.Config) *env {
	t.Helper()
	return newEnvServer(t, dsn, cfg, nil)
}

// newEnvServer is newEnvConfig with the server's configuration changed by
// tweak (nil changes nothing).
func newEnvServer(t *testing.T, dsn string, cfg tuango.Config, tweak func(*Config)) *env {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dsn: dsn, db: db, store: db.Store(), clock: tuango.NewManualClock(testStart), key: []byte("test-merchant-key")}
	// Tests move the clock through whole days: unless a test is about the
	// session timeouts, sessions outlast them.
	long := tuango.SessionPolicy{Idle: 60 * 24 * time.Hour, Max: 60 * 24 * time.Hour}
	if cfg.Sessions == (tuango.SessionPolicy{}) {
		cfg.Sessions = long
	}
	if cfg.StaffSessions == (tuango.SessionPolicy{}) {
		cfg.StaffSessions = long
	}
	hasher := auth.NewHasher(auth.Params{Time: 1, Memory: 64, Threads: 1}, 4)
	e.sandbox = payment.NewSandbox(e.store, e.clock, e.key, "http://unset", nil)
	e.breaker = payment.NewBreaker(e.sandbox, e.clock, payment.BreakerConfig{Failures: 5, OpenFor: 500 * time.Millisecond, CallTimeout: 2 * time.Second})
	e.svc = tuango.NewService(e.store, e.clock, nil, hasher, e.breaker, cfg, nil)
	e.svc.SetSecondFactor(auth.TOTP{})
	e.csrfKey = []byte("csrf")
	e.metrics = metrics.New()
	e.svc.SetObserver(e.metrics)
	e.metrics.WatchDB(db, e.svc, e.clock)
	e.metrics.WatchTelling(e.svc)
	e.metrics.WatchBreaker(e.breaker)
	scfg := Config{Service: e.svc, Sandbox: e.sandbox, CSRFKey: e.csrfKey, Metrics: e.metrics, Logger: e.logger(),
		SMS: sms.NewSandbox(e.store, e.clock), TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, SandboxControls: true,
		OrderWriteTimeout: 10 * time.Second} // as serve bounds them: the order requests' bodies are read before their handlers
	if tweak != nil {
		tweak(&scfg)
	}
	e.srv = httptest.NewServer(NewServer(scfg))
	e.sandbox.SetBaseURL(e.srv.URL)
	envs.Store(e.srv.URL, e)
	t.Cleanup(func() {
		e.srv.Close()
		e.sandbox.Close()
		db.Close()
	})
	e.seed()
	return e
}

// seed makes a city, two pickup points, a supplier, a product and an operator.
func (e *env) seed() {
	e.t.Helper()
	ctx := context.Background()
	if cities, _ := e.store.FindCities(ctx); len(cities) > 0 {
		e.cityID = cities[0].ID
		pps, _ := e.store.FindPickupPoints(ctx, tuango.PickupPointFilter{})
		e.ppID, e.otherPPID = pps[0].ID, pps[1].ID
		sups, _ := e.store.FindSuppliers(ctx)
		e.supplierID = sups[0].ID
		prds, _ := e.store.FindProducts(ctx, "")
		e.productID = prds[0].ID
		e.operator = e.login("13900000001")
		return
	}
	e.cityID = "cty_test"
	must(e.t, e.store.CreateCity(ctx, &tuango.City{ID: e.cityID, Name: "长沙", TimeZone: "Asia/Shanghai", Cutoff: "23:00"}))
	op, err := e.svc.CreateUser(ctx, tuango.NewAccount{Phone: "13900000001", Password: "operator-pass", Name: "运营", Role: tuango.RoleOperator})
	if err != nil {
		e.t.Fatal(err)
	}
	e.enrol(op)
	e.operator = e.login("13900000001")
	var pp pickupPointView
	e.operator.mustDo("POST", "/api/v1/admin/pickup-points", map[string]any{"city_id": e.cityID, "name": "枫林小区·张姐便利店", "address": "岳麓区枫林一路1号", "commission_bps": 800}, 201, &pp)
	e.ppID = pp.ID
	e.operator.mustDo("POST", "/api/v1/admin/pickup-points", map[string]any{"city_id": e.cityID, "name": "砂子塘小区·梁姐生鲜店", "address": "雨花区韶山中路203号", "commission_bps": 600}, 201, &pp)
	e.otherPPID = pp.ID
	var sup supplierView
	e.operator.mustDo("POST", "/api/v1/admin/suppliers", map[string]any{"name": "望城蔬菜合作社"}, 201, &sup)
	e.supplierID = sup.ID
	var prd productView
	e.operator.mustDo("POST", "/api/v1/admin/products", map[string]any{"supplier_id": sup.ID, "name": "鲜鸡蛋 15枚", "category": "肉禽蛋", "unit": "盒", "cost_fen": 980}, 201, &prd)
	e.productID = prd.ID
}

// newDeal publishes a deal on sale now until 23:00 local.
func (e *env) newDeal(stock, limit int, price tuango.Fen) string {
	e.t.Helper()
	var d dealView
	e.operator.mustDo("POST", "/api/v1/admin/deals", map[string]any{
		"product_id": e.productID, "city_id": e.cityID, "price_fen": price, "list_price_fen": price + 500,
		"stock": stock, "limit_per_customer": limit,
		"sale_starts_at": testStart.Add(-time.Hour).Format(time.RFC3339), "sale_ends_at": "2026-11-25T23:00:00+08:00",
		"delivery_date": "2026-11-26",
	}, 201, &d)
	return d.ID
}

func (e *env) deal(id string) *tuango.Deal {
	e.t.Helper()
	d, err := e.store.FindDealByID(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

var phoneSeq atomic.Int64

// customer registers a new customer and returns their client: a code
// sent to the phone first (the sandbox shows it), then the registration.
func (e *env) customer() *client {
	e.t.Helper()
	phone := fmt.Sprintf("138%08d", phoneSeq.Add(1))
	var out sessionView
	c := &client{e: e}
	c.mustDo("POST", "/api/v1/auth/register", map[string]any{"phone": phone, "password": "customer-pass", "name": "顾客", "code": c.sandboxCode(phone, "register")}, 201, &out)
	c.token, c.userID = out.Token, out.User.ID
	return c
}

// sandboxCode asks for a one-time code for phone and returns it, as the
// sandbox SMS sender shows it.
func (c *client) sandboxCode(phone, purpose string) string {
	c.e.t.Helper()
	var sent struct {
		SandboxCode string `json:"sandbox_code"`
	}
	c.mustDo("POST", "/api/v1/auth/codes", map[string]any{"phone": phone, "purpose": purpose}, 202, &sent)
	if sent.SandboxCode == "" {
		c.e.t.Fatalf("POST /api/v1/auth/codes for %s: no sandbox_code", phone)
	}
	return sent.SandboxCode
}

func (e *env) login(phone string) *client {
	e.t.Helper()
	pw := "operator-pass"
	var out sessionView
	c := &client{e: e}
	c.mustDo("POST", "/api/v1/auth/login", map[string]any{"phone": phone, "password": pw, "totp": e.totpFor(phone)}, 200, &out)
	c.token, c.userID = out.Token, out.User.ID
	return c
}

// envs finds a test's env by its server's URL, for the browsers' logins.
var envs sync.Map

// enrol puts a TOTP second factor in force for u, as its owner would.
func (e *env) enrol(u *tuango.User) {
	e.t.Helper()
	ctx := context.Background()
	a := tuango.Actor{UserID: u.ID, Role: u.Role}
	en, err := e.svc.BeginTOTP(ctx, a)
	if err != nil {
		e.t.Fatal(err)
	}
	code, err := auth.TOTP{}.Code(en.Secret, e.clock.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.svc.ConfirmTOTP(ctx, a, en.Secret, code); err != nil {
		e.t.Fatal(err)
	}
}

// totpFor returns the authenticator code of phone's account now ("" when
// it has no second factor). Each code is good once, and tests log in many
// times within 30 s of the test clock: the helper forgets the last step
// used, as if the clock had moved on.
func (e *env) totpFor(phone string) string {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.store.FindUserByPhone(ctx, phone)
	if err != nil || u.TOTPSecret == "" {
		return ""
	}
	u.TOTPStep = 0
	if err := e.store.UpdateUser(ctx, u); err != nil {
		e.t.Fatal(err)
	}
	code, err := auth.TOTP{}.Code(u.TOTPSecret, e.clock.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return code
}

// client is one user of the API.
type client struct {
	e      *env
	token  string
	userID string
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) problem() problem {
	var p problem
	json.Unmarshal(r.body, &p)
	return p
}

// do sends a request; body may be nil, a []byte sent as is, or a value
// encoded as JSON. headers are name, value pairs.
func (c *client) do(method, path string, body any, headers ...string) response {
	c.e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, rd)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// mustDo sends a request, checks the status and decodes the body into out.
func (c *client) mustDo(method, path string, body any, want int, out any, headers ...string) response {
	c.e.t.Helper()
	r := c.do(method, path, body, headers...)
	if r.status != want {
		c.e.t.Fatalf("%s %s = %d %s, want %d", method, path, r.status, r.body, want)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			c.e.t.Fatalf("%s %s: decode %s: %v", method, path, r.body, err)
		}
	}
	return r
}

var keySeq atomic.Int64

func newKey() string { return fmt.Sprintf("key-%d-%d", time.Now().UnixNano(), keySeq.Add(1)) }

// order places an order of qty units of one deal with a fresh key.
func (c *client) order(dealID string, qty int) response {
	c.e.t.Helper()
	return c.do("POST", "/api/v1/orders", map[string]any{"pickup_point_id": c.e.ppID, "items": []map[string]any{{"deal_id": dealID, "quantity": qty}}},
		"Idempotency-Key", newKey())
}

func (c *client) mustOrder(dealID string, qty int) orderView {
	c.e.t.Helper()
	r := c.order(dealID, qty)
	if r.status != 201 {
		c.e.t.Fatalf("order = %d %s, want 201", r.status, r.body)
	}
	var o orderView
	json.Unmarshal(r.body, &o)
	return o
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// count returns a number from the database, for checks that trust nothing
// the API says.
func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.QueryRowForTest(query, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return n
}
