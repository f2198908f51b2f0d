package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

func TestAdmissionClasses(t *testing.T) {
	cases := []struct{ method, path, want string }{
		{"GET", "/healthz", ""},
		{"GET", "/readyz", ""},
		{"GET", "/metrics", ""},
		{"GET", "/status", ""},
		{"GET", "/status/feed.atom", ""},
		{"GET", "/api/v1/status", ""},
		{"GET", "/static/app.css", ""},
		{"POST", "/api/v1/payments/notify/sandbox", ""},
		{"POST", "/api/v1/orders", classOrders},
		{"POST", "/api/v1/orders/ord_1/payments", classOrders},
		{"POST", "/checkout", classOrders},
		{"POST", "/orders/ord_1/pay", classOrders},
		{"GET", "/api/v1/orders", classAPI},
		{"POST", "/api/v1/orders/ord_1/cancel", classAPI},
		{"GET", "/api/v1/deals", classAPI},
		{"GET", "/", classPages},
		{"GET", "/orders/ord_1", classPages},
	}
	for _, c := range cases {
		if got := admissionClass(httptest.NewRequest(c.method, c.path, nil)); got != c.want {
			t.Errorf("admissionClass(%s %s) = %q, want %q", c.method, c.path, got, c.want)
		}
	}
}

// More slow payments at once than the order path's limit: those over it
// are shed at once with 503 overloaded and Retry-After and write nothing,
// those admitted are served, and operations and cheap reads are answered
// all along.
func TestAdmissionShedsTheOrderPathOverItsLimit(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(NewServer(Config{Service: e.svc, Sandbox: e.sandbox, CSRFKey: e.csrfKey, Metrics: e.metrics,
		Admission: AdmissionConfig{Orders: 4, Pages: 4, API: 64, Wait: 20 * time.Millisecond}})) // no target: the limit stays at 4
	defer srv.Close()
	deal := e.newDeal(50, 50, 990)
	c := e.customer()
	const n = 10
	var orders []orderView
	for range n {
		orders = append(orders, c.mustOrder(deal, 1))
	}
	e.setFaults(map[string]any{"create_delay_ms": 1200}) // each payment takes 1.2 s at the provider

	post := func(path string) (int, http.Header, []byte) {
		req, _ := http.NewRequest("POST", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Idempotency-Key", newKey())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0, nil, nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, b
	}
	type answer struct {
		status int
		retry  string
		code   string
	}
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i, o := range orders {
		wg.Go(func() {
			st, h, b := post("/api/v1/orders/" + o.ID + "/payments")
			var p problem
			json.Unmarshal(b, &p)
			answers[i] = answer{st, h.Get("Retry-After"), p.Code}
		})
	}
	// While the four admitted payments hang at the provider, operations
	// and reads are served.
	time.Sleep(200 * time.Millisecond)
	for _, path := range []string{"/healthz", "/metrics", "/api/v1/deals?pickup_point_id=" + e.ppID} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s while the order path is full = %d, want 200", path, resp.StatusCode)
		}
	}
	wg.Wait()

	served, shed := 0, 0
	for i, a := range answers {
		switch {
		case a.status == 201:
			served++
		case a.status == 503 && a.code == codeOverloaded && a.retry == "1":
			shed++
			if got := e.count(`SELECT COUNT(*) FROM payments WHERE order_id = ?`, orders[i].ID); got != 0 {
				t.Errorf("a shed payment left %d payments behind, want none", got)
			}
		default:
			t.Errorf("payment %d = %d %q (Retry-After %q), want 201, or 503 overloaded with Retry-After 1", i, a.status, a.code, a.retry)
		}
	}
	if served != 4 || shed != n-4 {
		t.Errorf("served %d and shed %d of %d, want 4 served (the limit) and %d shed", served, shed, n, n-4)
	}
	// The order path is free again: the next one is served.
	e.setFaults(map[string]any{})
	for _, o := range orders {
		if e.count(`SELECT COUNT(*) FROM payments WHERE order_id = ?`, o.ID) == 0 {
			if st, _, b := post("/api/v1/orders/" + o.ID + "/payments"); st != 201 {
				t.Errorf("a payment once the burst is over = %d %s, want 201", st, b)
			}
			break
		}
	}
	resp, err := http.Get(srv.URL + "/metrics")
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `tuango_http_shed_total{class="orders"} 6`) {
		t.Errorf("metrics do not count the 6 shed order requests")
	}
}

func TestShedPageIsInTheUsersLanguage(t *testing.T) {
	e := newEnv(t)
	s := NewServer(Config{Service: e.svc, Sandbox: e.sandbox, CSRFKey: e.csrfKey})
	for lang, want := range map[string]string{"zh": "现在访问的人太多，请 1 秒后再试", "en": "Too many people are using tuango right now; please try again in 1 s"} {
		r := httptest.NewRequest("GET", "/?lang="+lang, nil)
		w := httptest.NewRecorder()
		s.shed(w, r)
		if w.Code != 503 || w.Header().Get("Retry-After") != "1" || !strings.Contains(w.Body.String(), want) {
			t.Errorf("shed page in %s = %d, Retry-After %q, want 503, 1 and %q in the body:\n%s", lang, w.Code, w.Header().Get("Retry-After"), want, w.Body.String())
		}
	}
}

// fakeClock is a clock the test moves.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestAdmissionLimitAdapts(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	l := newLimiter("orders", 25, 100*time.Millisecond, 0, nil, clock.now)
	if l.limit != 25 || l.max != 100 || l.floor != 25 {
		t.Fatalf("a new limiter's limit = %.0f of %.0f to %.0f, want it to start at the floor, 25, of 25 to 100", l.limit, l.floor, l.max)
	}
	r := httptest.NewRequest("POST", "/api/v1/orders", nil)
	// With the limit in use and answers fast, it grows, never past four
	// times the floor.
	for range 5000 {
		held := 0
		for l.inflight < int(l.limit) && l.acquire(r) {
			held++
		}
		for range held {
			l.release(time.Millisecond)
		}
	}
	if l.limit != l.max {
		t.Errorf("limit after many fast answers = %.1f, want the most %.0f", l.limit, l.max)
	}
	// Slow answers shrink the limit by a tenth, once per target at most...
	for range 4 {
		l.acquire(r)
		l.release(time.Second)
	}
	if l.limit != 90 {
		t.Errorf("limit after 4 slow answers within one target = %.1f, want 90: one cut", l.limit)
	}
	// ...and, while nothing finds the class full, never below the floor.
	for range 50 {
		if !l.acquire(r) {
			t.Fatal("acquire under the limit failed")
		}
		clock.advance(100 * time.Millisecond)
		l.release(time.Second)
	}
	if l.limit != l.floor {
		t.Errorf("limit after 50 slow answers = %.1f, want the floor %.0f", l.limit, l.floor)
	}
	// Full and with no wait budget: shed.
	for range int(l.limit) {
		l.acquire(r)
	}
	if l.acquire(r) {
		t.Error("acquire over the limit with no wait succeeded, want shed")
	}
}

// A closed loop of buyers no larger than the floor, each sending again
// when answered, never fills the class: however late every answer is,
// none is shed and the limit stays at the floor.
func TestAdmissionKeepsTheFloorForAClosedLoop(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	l := newLimiter("orders", 256, 100*time.Millisecond, 20*time.Millisecond, nil, clock.now)
	for round := range 100 {
		for i := range 256 {
			if ok, _ := l.tryAcquire(); !ok {
				t.Fatalf("round %d: buyer %d of 256 was not admitted (limit %.1f), want every one", round, i, l.limit)
			}
		}
		for range 256 {
			clock.advance(2 * time.Millisecond) // 256 answers in 512 ms: each takes half a second
			l.release(512 * time.Millisecond)
		}
	}
	if l.lifted || l.limit < 256 {
		t.Errorf("after 100 slow rounds the limit is %.1f (floor lifted: %v), want at least the floor 256, not lifted", l.limit, l.lifted)
	}
}

// An open flood with every answer late lifts the floor: the limit drops
// to the answers per target, the requests over it are shed at once
// (without waiting), and the floor comes back once the flood is over.
func TestAdmissionLiftsTheFloorForAFlood(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	l := newLimiter("orders", 256, 100*time.Millisecond, 20*time.Millisecond, nil, clock.now)
	for range 256 {
		if ok, _ := l.tryAcquire(); !ok {
			t.Fatal("a request under the floor was not admitted")
		}
	}
	// More arrive than there are slots: they queue (there is a wait budget).
	ok, ch := l.tryAcquire()
	if ok || ch == nil {
		t.Fatalf("tryAcquire on a full class = %v, %v; want queued, with the floor not lifted", ok, ch)
	}
	l.queue = nil // that waiter gave up
	// 80 answers in the interval, each 400 ms late: the node answers 800/s,
	// so 80 in flight are answered within a target.
	for range 80 {
		clock.advance(1250 * time.Microsecond)
		l.release(400 * time.Millisecond)
	}
	if !l.lifted || l.limit != 80 {
		t.Fatalf("after a late interval with the class full: limit %.1f, floor lifted %v; want 80 (800/s × 100 ms), lifted", l.limit, l.lifted)
	}
	// A slow answer within the interval cuts it no lower than that.
	clock.advance(10 * time.Millisecond)
	l.release(time.Second)
	if l.limit != 80 {
		t.Errorf("limit after a slow answer with the floor lifted = %.1f, want 80: a slow answer cuts no lower", l.limit)
	}
	for l.inflight < int(l.limit) {
		l.tryAcquire()
	}
	if ok, ch := l.tryAcquire(); ok || ch != nil {
		t.Errorf("tryAcquire over a lifted limit = %v, %v; want shed at once, not queued", ok, ch)
	}
	// The flood ends: in the next interval nobody finds the class full.
	for l.inflight > 0 {
		clock.advance(5 * time.Millisecond)
		l.release(50 * time.Millisecond)
	}
	clock.advance(100 * time.Millisecond)
	l.tryAcquire()
	l.release(50 * time.Millisecond)
	if l.lifted || l.limit < 256 {
		t.Errorf("after an interval with the class never full: limit %.1f, floor lifted %v; want at least the floor 256, not lifted", l.limit, l.lifted)
	}
}

// However few answers an overrun interval had, the lifted limit stays at
// a quarter of the floor or more. Under a flood the node's CPU goes to the
// requests it sheds, every answer is late because of them, and a limit
// cut to what was answered would cut each group commit's batch with it,
// and so what is answered next: at 10,000 requests a second on two
// cores, that spiral took a flash sale from about 4,000 orders a second
// to 238 (docs/benchmarks.md, section 12, "The second day").
func TestAdmissionLiftedLimitKeepsAQuarterOfTheFloor(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	l := newLimiter("orders", 256, 50*time.Millisecond, 20*time.Millisecond, nil, clock.now)
	for range 256 {
		l.tryAcquire()
	}
	l.tryAcquire() // the flood finds the class full (and queues: the floor holds until an interval is over)
	l.queue = nil
	for round := range 20 {
		// Five answers an interval, each a second late: 100/s, so Little's
		// law alone would keep 5 in flight.
		for range 5 {
			clock.advance(10 * time.Millisecond)
			l.release(time.Second)
		}
		if !l.lifted || l.limit != 64 {
			t.Fatalf("round %d: limit %.1f, floor lifted %v; want 64 (a quarter of 256), lifted", round, l.limit, l.lifted)
		}
		if ok, _ := l.tryAcquire(); ok { // the flood keeps the class full
			t.Fatalf("round %d: admitted with %d in flight over a limit of %.1f", round, l.inflight, l.limit)
		}
	}
}

// After a sell-out, an order for the deal is answered from memory, so it
// does not wait for a slot on a full order path: it is refused 409
// sold_out (or, sent again with the key that placed an order, answered as
// the first time) at once, where an order for a deal still on sale is
// shed. Nothing is written for either.
func TestAdmissionAnswersASoldOutOrderWithoutAnOrderSlot(t *testing.T) {
	e := newEnvServer(t, storetest.DSN(t), tuango.Config{}, func(c *Config) {
		c.Admission = AdmissionConfig{Orders: 2, Pages: 4, API: 64, Wait: 20 * time.Millisecond} // no target: the limit stays at 2
	})
	c := e.customer()
	gone, onSale := e.newDeal(1, 1, 990), e.newDeal(50, 50, 990)
	lastKey := newKey()
	body := map[string]any{"pickup_point_id": e.ppID, "items": []map[string]any{{"deal_id": gone, "quantity": 1}}}
	var last orderView
	c.mustDo("POST", "/api/v1/orders", body, 201, &last, "Idempotency-Key", lastKey) // the last unit
	if r := c.order(gone, 1); r.status != 409 {                                      // the writer finds it empty: the node now knows it sold out
		t.Fatalf("an order after the last unit = %d %s, want 409", r.status, r.body)
	}
	pending := []orderView{c.mustOrder(onSale, 1), c.mustOrder(onSale, 1)}
	ordersBefore := e.count(`SELECT COUNT(*) FROM orders`)

	// Two payments hang at the provider and hold both of the order path's slots.
	e.setFaults(map[string]any{"create_delay_ms": 1500})
	var wg sync.WaitGroup
	for _, o := range pending {
		wg.Go(func() { c.do("POST", "/api/v1/orders/"+o.ID+"/payments", nil, "Idempotency-Key", newKey()) })
	}
	defer wg.Wait()
	time.Sleep(300 * time.Millisecond)

	r := c.order(gone, 1)
	if p := r.problem(); r.status != 409 || p.Code != "sold_out" {
		t.Errorf("an order for the sold-out deal while the order path is full = %d %s, want 409 sold_out", r.status, r.body)
	}
	var again orderView
	if r := c.do("POST", "/api/v1/orders", body, "Idempotency-Key", lastKey); r.status != 201 {
		t.Errorf("the last unit's key sent again while the order path is full = %d %s, want 201", r.status, r.body)
	} else if json.Unmarshal(r.body, &again); again.ID != last.ID {
		t.Errorf("the last unit's key sent again answered order %q, want the first answer's %q", again.ID, last.ID)
	}
	r = c.order(onSale, 1)
	if p := r.problem(); r.status != 503 || p.Code != codeOverloaded {
		t.Errorf("an order for a deal on sale while the order path is full = %d %s, want 503 overloaded", r.status, r.body)
	}
	// A body that names no deal the node knows sold out, or cannot be
	// read for deals, takes the order path as before.
	if r := c.do("POST", "/api/v1/orders", []byte(`{"items": [`), "Idempotency-Key", newKey()); r.status != 503 {
		t.Errorf("an unreadable order body while the order path is full = %d %s, want 503 (shed before it is read)", r.status, r.body)
	}
	if got := e.count(`SELECT COUNT(*) FROM orders`); got != ordersBefore {
		t.Errorf("orders = %d after the refusals, want %d: a refusal or a shed request wrote one", got, ordersBefore)
	}
}
