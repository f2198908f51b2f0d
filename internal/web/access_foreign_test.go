package web

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"tuango/internal/tuango"
)

// DESIGN rule 6, generated from the route table: every route a leader or a
// supplier may call (routeAccess kinds leader, supplier, staffOrLeader) is
// tried by the leader or supplier of one side with the ids of the other —
// another point's id, order, pickup code, deal or delivery, another
// supplier's purchase orders. An id the route takes answers exactly as an
// id that names nothing does (404 where it is in the path); a route that
// takes no id answers with its caller's own objects only; and the other
// side's objects are unchanged afterwards. A leader or supplier route
// without a case here fails TestForeignIDsAnswerAsMissingOnes.

// twoSides is a day with two pickup points on two routes, each with its
// leader, and two suppliers, each with a deal: side A (mine) and side B
// (theirs). B's delivery is signed for, so its orders have live pickup
// codes.
type twoSides struct {
	e                           *env
	leaderA, supplierA          *client
	leaderAPage, supplierAPage  *browser
	pointB, dealB, orderB, code string
	poB, productB, customerB    string
}

func newTwoSides(e *env) *twoSides {
	e.t.Helper()
	ctx := context.Background()
	t := e.t
	sc := newDayScene(e, false, false)
	w := &twoSides{e: e, pointB: e.otherPPID, customerB: "外点顾客甲"}
	w.leaderA = e.login(sc.leaderPhone)
	w.supplierA = e.login(sc.supplierPhone)
	must(t, e.store.CreateRoute(ctx, &tuango.Route{ID: "rte_2", WarehouseID: "wh_g", Name: "二号线"}))
	leaderB := e.roleUser(tuango.RoleLeader, "")
	e.operator.mustDo("PATCH", "/api/v1/admin/pickup-points/"+w.pointB, map[string]any{"route_id": "rte_2", "leader_id": leaderB.userID}, 200, nil)
	var sup supplierView
	e.operator.mustDo("POST", "/api/v1/admin/suppliers", map[string]any{"name": "外点蜂场"}, 201, &sup)
	var prd productView
	e.operator.mustDo("POST", "/api/v1/admin/products", map[string]any{"supplier_id": sup.ID, "name": "外点专供蜂蜜", "category": "粮油", "unit": "瓶", "cost_fen": 1500}, 201, &prd)
	w.productB = prd.ID
	saved := e.productID
	e.productID = prd.ID
	w.dealB = e.newDeal(50, 5, 2990)
	e.productID = saved
	e.roleUser(tuango.RoleSupplier, sup.ID) // B's supplier account exists, unused

	var out sessionView
	cb := &client{e: e}
	phoneB := fmt.Sprintf("138%08d", phoneSeq.Add(1))
	cb.mustDo("POST", "/api/v1/auth/register", map[string]any{"phone": phoneB, "password": "customer-pass", "name": w.customerB, "code": cb.sandboxCode(phoneB, "register")}, 201, &out)
	cb.token, cb.userID = out.Token, out.User.ID
	var o orderView
	cb.mustDo("POST", "/api/v1/orders", map[string]any{"pickup_point_id": w.pointB, "items": []map[string]any{{"deal_id": w.dealB, "quantity": 1}}}, 201, &o, "Idempotency-Key", newKey())
	var p paymentView
	cb.mustDo("POST", "/api/v1/orders/"+o.ID+"/payments", nil, 201, &p, "Idempotency-Key", newKey())
	cb.mustDo("POST", "/api/v1/sandbox/payments/"+p.ID+"/confirm", nil, 200, nil)
	o = cb.waitStatus(o.ID, "paid")
	w.orderB, w.code = o.ID, o.PickupCode

	e.operator.mustDo("POST", "/api/v1/admin/cutoffs", map[string]any{"city_id": e.cityID, "delivery_date": dayDate}, 200, nil)
	for _, r := range []string{"rte_1", "rte_2"} {
		e.operator.mustDo("POST", "/api/v1/admin/routes/"+r+"/dispatch", map[string]any{"delivery_date": dayDate}, 200, nil)
	}
	leaderB.mustDo("POST", "/api/v1/leader/deliveries/"+dayDate+"/sign", map[string]any{"lines": []map[string]any{{"deal_id": w.dealB, "received": 1, "damaged": 0}}}, 200, nil, "Idempotency-Key", newKey())
	var pos listPage[purchaseOrderView]
	e.operator.mustDo("GET", "/api/v1/admin/purchase-orders?city_id="+e.cityID+"&date="+dayDate, nil, 200, &pos)
	for _, po := range pos.Items {
		if po.SupplierID == sup.ID {
			w.poB = po.ID
		}
	}
	if w.code == "" || w.poB == "" {
		t.Fatalf("side B: pickup code %q, purchase order %q; want both", w.code, w.poB)
	}
	w.leaderAPage, w.supplierAPage = pageAs(e, w.leaderA), pageAs(e, w.supplierA)
	return w
}

// theirs is side B as the database holds it: its point, orders, lines,
// closures, pickups and refunds.
func (w *twoSides) theirs() string {
	w.e.t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT COUNT(*) FROM pickup_points WHERE id = ? AND active = TRUE`,
		`SELECT COUNT(*) FROM orders WHERE pickup_point_id = ? AND status = 'arrived'`,
		`SELECT COUNT(*) FROM orders WHERE pickup_point_id = ?`,
		`SELECT COALESCE(SUM(l.refunded_fen), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.pickup_point_id = ?`,
		`SELECT COUNT(*) FROM pickup_point_closures WHERE pickup_point_id = ?`,
		`SELECT COUNT(*) FROM order_events e JOIN orders o ON o.id = e.order_id WHERE o.pickup_point_id = ?`,
	} {
		fmt.Fprintf(&b, "%d ", w.e.count(q, w.pointB))
	}
	fmt.Fprintf(&b, "%d", w.e.count(`SELECT COUNT(*) FROM refunds WHERE order_id = ?`, w.orderB))
	return b.String()
}

// answer is what a call answered, as far as it must not tell a foreign id
// from a missing one.
type answer struct {
	status     int
	code, text string
}

func apiAnswer(r response) answer {
	p := r.problem()
	return answer{r.status, p.Code, p.Field}
}

// pageAnswer is a page's status and its error message, the element marked
// role="alert" (forms) or the error page's heading.
func pageAnswer(p page_) answer {
	a := answer{status: p.status}
	if i := strings.Index(p.body, `role="alert"`); i >= 0 {
		rest := p.body[i:]
		if j := strings.Index(rest, "<"); j >= 0 {
			a.text = rest[:j]
		}
	}
	return a
}

// sameAsMissing checks that the foreign id got the missing id's answer,
// and, for an id in the path, that it is 404.
func sameAsMissing(t *testing.T, foreign, missing answer, inPath bool) {
	t.Helper()
	if foreign != missing {
		t.Errorf("a foreign id answered %+v, a missing one %+v: want the same", foreign, missing)
	}
	if inPath && foreign.status != 404 {
		t.Errorf("a foreign id in the path answered %d, want 404", foreign.status)
	}
	if foreign.status < 400 {
		t.Errorf("a foreign id was accepted: %+v", foreign)
	}
}

// langSwitchRE is a page's language switch, which links to the page as
// it was asked for, query and all: it repeats what the caller sent, and
// tells nothing of side B.
var langSwitchRE = regexp.MustCompile(`<a href="[^"]*lang=[^"]*" lang="[^"]*">`)

// namesNone checks that an answer names none of side B's objects.
func (w *twoSides) namesNone(t *testing.T, what string, body []byte) {
	t.Helper()
	body = langSwitchRE.ReplaceAll(body, nil)
	for _, x := range []string{w.pointB, w.orderB, w.code, w.dealB, w.poB, w.productB, w.customerB, "外点专供蜂蜜"} {
		if strings.Contains(string(body), x) {
			t.Errorf("%s names %q of another point or supplier:\n%s", what, x, body)
		}
	}
}

// foreignCases has one case per leader and supplier route.
var foreignCases = map[string]func(t *testing.T, w *twoSides){
	"PUT /api/v1/admin/pickup-points/{id}/closures": func(t *testing.T, w *twoSides) {
		body := map[string]any{"from": "2026-12-01", "to": "2026-12-02", "reason": "x"}
		sameAsMissing(t, apiAnswer(w.leaderA.do("PUT", "/api/v1/admin/pickup-points/"+w.pointB+"/closures", body)),
			apiAnswer(w.leaderA.do("PUT", "/api/v1/admin/pickup-points/pp_missing/closures", body)), true)
	},
	"GET /api/v1/supplier/purchase-orders": func(t *testing.T, w *twoSides) {
		r := w.supplierA.do("GET", "/api/v1/supplier/purchase-orders?date="+dayDate+"&supplier_id="+w.poB, nil)
		if r.status != 200 || !strings.Contains(string(r.body), w.e.supplierID) {
			t.Errorf("= %d %s, want its own purchase order", r.status, r.body)
		}
		w.namesNone(t, "the supplier's purchase orders", r.body)
	},
	"GET /api/v1/leader/deliveries/{date}": func(t *testing.T, w *twoSides) {
		r := w.leaderA.do("GET", "/api/v1/leader/deliveries/"+dayDate+"?pickup_point_id="+w.pointB, nil)
		if r.status != 200 || !strings.Contains(string(r.body), w.e.ppID) {
			t.Errorf("= %d %s, want its own delivery", r.status, r.body)
		}
		w.namesNone(t, "the leader's delivery", r.body)
	},
	"POST /api/v1/leader/deliveries/{date}/sign": func(t *testing.T, w *twoSides) {
		sign := func(deal string) answer {
			return apiAnswer(w.leaderA.do("POST", "/api/v1/leader/deliveries/"+dayDate+"/sign", map[string]any{"lines": []map[string]any{{"deal_id": deal, "received": 1, "damaged": 0}}}, "Idempotency-Key", newKey()))
		}
		sameAsMissing(t, sign(w.dealB), sign("deal_missing"), false)
	},
	"POST /api/v1/leader/pickups": func(t *testing.T, w *twoSides) {
		pick := func(code string) answer {
			return apiAnswer(w.leaderA.do("POST", "/api/v1/leader/pickups", map[string]any{"code": code}, "Idempotency-Key", newKey()))
		}
		sameAsMissing(t, pick(w.code), pick("00000000"), false)
	},

	// A withdrawal is always the caller's own: there is no id to name
	// another leader by, and a body that tries is refused.
	"GET /api/v1/leader/withdrawals": func(t *testing.T, w *twoSides) {
		var got leaderWithdrawalsView
		r := w.leaderA.do("GET", "/api/v1/leader/withdrawals?party_id="+w.pointB+"&leader_id="+w.pointB, nil)
		if r.status != 200 {
			t.Fatalf("= %d %s, want its own withdrawals", r.status, r.body)
		}
		must(t, json.Unmarshal(r.body, &got))
		for _, p := range got.Items {
			if p.PartyID != w.leaderA.userID {
				t.Errorf("the leader's withdrawals list %+v of another party", p)
			}
		}
		w.namesNone(t, "the leader's withdrawals", r.body)
	},
	"POST /api/v1/leader/withdrawals": func(t *testing.T, w *twoSides) {
		r := w.leaderA.do("POST", "/api/v1/leader/withdrawals", map[string]any{"amount_fen": 100, "leader_id": w.pointB}, "Idempotency-Key", newKey())
		if r.status != 400 {
			t.Errorf("a withdrawal naming another leader = %d %s, want 400", r.status, r.body)
		}
		if n := w.e.count(`SELECT COUNT(*) FROM payouts WHERE party_id <> ?`, w.leaderA.userID); n != 0 {
			t.Errorf("payouts of another party = %d, want 0", n)
		}
	},

	"GET /leader/withdrawals": func(t *testing.T, w *twoSides) {
		p := w.leaderAPage.get("/leader/withdrawals?leader_id=" + w.pointB)
		if p.status != 200 {
			t.Errorf("= %d, want the leader's own withdrawals", p.status)
		}
		w.namesNone(t, "the leader's withdrawals page", []byte(p.body))
	},
	"POST /leader/withdrawals": func(t *testing.T, w *twoSides) {
		csrf := w.leaderAPage.get("/leader/withdrawals").csrf(t)
		p := w.leaderAPage.post("/leader/withdrawals", url.Values{"csrf": {csrf}, "key": {"k" + strings.TrimPrefix(newKey(), "key-")}, "amount": {"1"}, "leader_id": {w.pointB}})
		if p.status < 400 {
			t.Errorf("= %d, want a refusal: the leader has no commission of its own", p.status)
		}
		if n := w.e.count(`SELECT COUNT(*) FROM payouts WHERE party_id <> ?`, w.leaderA.userID); n != 0 {
			t.Errorf("payouts of another party = %d, want 0", n)
		}
	},
	"GET /leader": func(t *testing.T, w *twoSides) {
		p := w.leaderAPage.get("/leader?date=" + dayDate + "&pickup_point_id=" + w.pointB)
		if p.status != 200 {
			t.Errorf("= %d, want the leader's own page", p.status)
		}
		w.namesNone(t, "the leader's page", []byte(p.body))
	},
	"POST /leader/deliveries/{date}/sign": func(t *testing.T, w *twoSides) {
		csrf := w.leaderAPage.get("/leader?date=" + dayDate).csrf(t)
		sign := func(deal string) answer {
			return pageAnswer(w.leaderAPage.post("/leader/deliveries/"+dayDate+"/sign", url.Values{"csrf": {csrf}, "key": {"k" + strings.TrimPrefix(newKey(), "key-")},
				"deal_id": {deal}, "received_" + deal: {"1"}, "damaged_" + deal: {"0"}}))
		}
		sameAsMissing(t, sign(w.dealB), sign("deal_missing"), false)
	},
	"POST /leader/pickups": func(t *testing.T, w *twoSides) {
		csrf := w.leaderAPage.get("/leader?date=" + dayDate).csrf(t)
		pick := func(code string) answer {
			return pageAnswer(w.leaderAPage.post("/leader/pickups", url.Values{"csrf": {csrf}, "key": {"k" + strings.TrimPrefix(newKey(), "key-")}, "code": {code}}))
		}
		sameAsMissing(t, pick(w.code), pick("00000000"), false)
	},
	"POST /leader/closures": func(t *testing.T, w *twoSides) {
		csrf := w.leaderAPage.get("/leader?date=" + dayDate).csrf(t)
		before := w.e.count(`SELECT COUNT(*) FROM pickup_point_closures WHERE pickup_point_id = ?`, w.e.ppID)
		p := w.leaderAPage.post("/leader/closures", url.Values{"csrf": {csrf}, "pickup_point_id": {w.pointB}, "from": {"2026-12-10"}, "to": {"2026-12-11"}, "reason": {"休息"}})
		if p.status != 200 || w.e.count(`SELECT COUNT(*) FROM pickup_point_closures WHERE pickup_point_id = ?`, w.e.ppID) != before+1 {
			t.Errorf("= %d, want its own point closed", p.status)
		}
	},
	"GET /leader/pick-list": func(t *testing.T, w *twoSides) {
		for _, f := range []string{"csv", "print"} {
			p := w.leaderAPage.get("/leader/pick-list?date=" + dayDate + "&format=" + f + "&pickup_point_id=" + w.pointB)
			if p.status != 200 {
				t.Errorf("%s = %d, want its own pick list", f, p.status)
			}
			w.namesNone(t, "the leader's pick list as "+f, []byte(p.body))
		}
	},
	"GET /supplier": func(t *testing.T, w *twoSides) {
		p := w.supplierAPage.get("/supplier?date=" + dayDate + "&supplier_id=" + w.poB)
		if p.status != 200 || !strings.Contains(p.body, "鲜鸡蛋 15枚") {
			t.Errorf("= %d, want its own purchase order:\n%s", p.status, p.body)
		}
		w.namesNone(t, "the supplier's page", []byte(p.body))
	},
	"GET /supplier/products": func(t *testing.T, w *twoSides) {
		p := w.supplierAPage.get("/supplier/products?supplier_id=" + w.productB)
		if p.status != 200 || !strings.Contains(p.body, "鲜鸡蛋 15枚") {
			t.Errorf("= %d, want its own products:\n%s", p.status, p.body)
		}
		w.namesNone(t, "the supplier's products", []byte(p.body))
	},
	"GET /supplier/purchase-orders": func(t *testing.T, w *twoSides) {
		for _, f := range []string{"csv", "print"} {
			p := w.supplierAPage.get("/supplier/purchase-orders?date=" + dayDate + "&format=" + f + "&supplier_id=" + w.poB)
			if p.status != 200 {
				t.Errorf("%s = %d, want its own purchase orders", f, p.status)
			}
			w.namesNone(t, "the supplier's purchase orders as "+f, []byte(p.body))
		}
	},
	// Statements.
	"GET /api/v1/supplier/statement": statementCase("/api/v1/supplier/statement", false),
	"GET /api/v1/leader/statement":   statementCase("/api/v1/leader/statement", false),
	"GET /supplier/statement":        statementCase("/supplier/statement", true),
	"GET /leader/statement":          statementCase("/leader/statement", true),
}

// foreignGaps names the leader and supplier routes without a case, and
// the cases that name no such route.
func foreignGaps(routes []Route, table map[string]access, cases map[string]func(*testing.T, *twoSides)) []string {
	var gaps []string
	seen := map[string]bool{}
	for _, rt := range routes {
		switch table[routeKey(rt)] {
		case leader, supplier, staffOrLeader:
			seen[routeKey(rt)] = true
			if cases[routeKey(rt)] == nil {
				gaps = append(gaps, "no foreign-id case for "+routeKey(rt))
			}
		}
	}
	for k := range cases {
		if !seen[k] {
			gaps = append(gaps, "a foreign-id case for "+k+", which is no leader or supplier route")
		}
	}
	slices.Sort(gaps)
	return gaps
}

func TestForeignIDsAnswerAsMissingOnes(t *testing.T) {
	routes := NewServer(Config{}).Routes()
	if gaps := foreignGaps(routes, routeAccess, foreignCases); len(gaps) > 0 {
		t.Errorf("foreignCases is out of step with the route table:\n%s", strings.Join(gaps, "\n"))
	}
	t.Run("a leader route added without a case is reported", func(t *testing.T) {
		table := maps.Clone(routeAccess)
		table["GET /leader/new-thing"] = leader
		gaps := foreignGaps(append(routes, Route{Method: "GET", Pattern: "/leader/new-thing"}), table, foreignCases)
		if !slices.Equal(gaps, []string{"no foreign-id case for GET /leader/new-thing"}) {
			t.Errorf("gaps = %q, want the new route reported", gaps)
		}
	})
	e := newEnv(t)
	w := newTwoSides(e)
	for _, rt := range routes {
		key := routeKey(rt)
		check := foreignCases[key]
		if check == nil {
			continue
		}
		t.Run(key, func(t *testing.T) {
			before := w.theirs()
			check(t, w)
			if after := w.theirs(); after != before {
				t.Errorf("the other side changed: %s before, %s after", before, after)
			}
		})
	}
}
