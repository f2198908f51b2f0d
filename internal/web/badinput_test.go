package web

import (
	"fmt"
	"strings"
	"testing"

	"tuango/internal/tuango"
)

// Rule 7: every kind of bad input gets a 4xx problem that names what is
// wrong, and writes nothing.
func TestBadInputChangesNothing(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(100, 5, 100)
	c := e.customer()
	c.mustOrder(deal, 2)
	order := func(items string) string {
		return fmt.Sprintf(`{"pickup_point_id":%q,"items":%s}`, e.ppID, items)
	}
	item := func(q string) string { return order(fmt.Sprintf(`[{"deal_id":%q,"quantity":%s}]`, deal, q)) }
	tests := []struct {
		name        string
		who         *client
		method      string
		path        string
		body        string
		contentType string
		wantStatus  int
		wantCode    string
		wantField   string
	}{
		{"malformed JSON", c, "POST", "/api/v1/orders", `{"pickup_point_id":`, "", 400, tuango.CodeInvalid, ""},
		{"not an object", c, "POST", "/api/v1/orders", `[1,2]`, "", 400, tuango.CodeInvalid, ""},
		{"empty body", c, "POST", "/api/v1/orders", ``, "", 400, tuango.CodeInvalid, ""},
		{"two objects", c, "POST", "/api/v1/orders", item("1") + item("1"), "", 400, tuango.CodeInvalid, ""},
		{"unknown field", c, "POST", "/api/v1/orders", `{"pickup_point_id":"x","items":[],"coupon":"FREE"}`, "", 400, tuango.CodeInvalid, "coupon"},
		{"quantity as a string", c, "POST", "/api/v1/orders", item(`"2"`), "", 400, tuango.CodeInvalid, "items.quantity"},
		{"quantity fractional", c, "POST", "/api/v1/orders", item(`1.5`), "", 400, tuango.CodeInvalid, "items.quantity"},
		{"quantity zero", c, "POST", "/api/v1/orders", item(`0`), "", 400, tuango.CodeInvalid, "items[0].quantity"},
		{"quantity negative", c, "POST", "/api/v1/orders", item(`-3`), "", 400, tuango.CodeInvalid, "items[0].quantity"},
		{"quantity absurd", c, "POST", "/api/v1/orders", item(`1000000`), "", 400, tuango.CodeInvalid, "items[0].quantity"},
		{"quantity beyond int64", c, "POST", "/api/v1/orders", item(`1e30`), "", 400, tuango.CodeInvalid, "items.quantity"},
		{"no items", c, "POST", "/api/v1/orders", order(`[]`), "", 400, tuango.CodeInvalid, "items"},
		{"items not an array", c, "POST", "/api/v1/orders", order(`{}`), "", 400, tuango.CodeInvalid, "items"},
		{"same deal twice", c, "POST", "/api/v1/orders", order(fmt.Sprintf(`[{"deal_id":%q,"quantity":1},{"deal_id":%q,"quantity":1}]`, deal, deal)), "", 400, tuango.CodeInvalid, "items[1].deal_id"},
		{"unknown deal", c, "POST", "/api/v1/orders", order(`[{"deal_id":"deal_nope","quantity":1}]`), "", 400, tuango.CodeInvalid, "items[0].deal_id"},
		{"deal id with control characters", c, "POST", "/api/v1/orders", order(`[{"deal_id":"deal\u0000x","quantity":1}]`), "", 400, tuango.CodeInvalid, "items[0].deal_id"},
		{"unknown pickup point", c, "POST", "/api/v1/orders", fmt.Sprintf(`{"pickup_point_id":"pp_nope","items":[{"deal_id":%q,"quantity":1}]}`, deal), "", 400, tuango.CodeInvalid, "pickup_point_id"},
		{"missing pickup point", c, "POST", "/api/v1/orders", fmt.Sprintf(`{"items":[{"deal_id":%q,"quantity":1}]}`, deal), "", 400, tuango.CodeInvalid, "pickup_point_id"},
		{"too many lines", c, "POST", "/api/v1/orders", order("[" + strings.Repeat(`{"deal_id":"d","quantity":1},`, 60) + `{"deal_id":"e","quantity":1}]`), "", 400, tuango.CodeInvalid, "items"},
		{"oversized body", c, "POST", "/api/v1/orders", `{"pickup_point_id":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, "", 413, codeBodyTooLarge, ""},
		{"wrong content type", c, "POST", "/api/v1/orders", item("1"), "text/plain", 415, codeUnsupportedMedia, ""},
		{"JSON content type in capitals, with a charset", c, "POST", "/api/v1/orders", item("0"), "Application/JSON; charset=utf-8", 400, tuango.CodeInvalid, "items[0].quantity"},
		{"content type that only starts like JSON", c, "POST", "/api/v1/orders", item("1"), "application/jsonx", 415, codeUnsupportedMedia, ""},
		{"register: bad phone", &client{e: e}, "POST", "/api/v1/auth/register", `{"phone":"12345","password":"long-enough","name":"x"}`, "", 400, tuango.CodeInvalid, "phone"},
		{"register: short password", &client{e: e}, "POST", "/api/v1/auth/register", `{"phone":"13712345678","password":"short","name":"x"}`, "", 400, tuango.CodeInvalid, "password"},
		{"register: control character in name", &client{e: e}, "POST", "/api/v1/auth/register", `{"phone":"13712345678","password":"long-enough","name":"a\u0007b"}`, "", 400, tuango.CodeInvalid, "name"},
		{"register: name too long", &client{e: e}, "POST", "/api/v1/auth/register", `{"phone":"13712345678","password":"long-enough","name":"` + strings.Repeat("名", 51) + `"}`, "", 400, tuango.CodeInvalid, "name"},
		{"register: taken phone without its code says only that the code is wrong", &client{e: e}, "POST", "/api/v1/auth/register", `{"phone":"13900000001","password":"long-enough","name":"x"}`, "", 400, tuango.CodeCodeInvalid, "code"},
		{"register: free phone without a code", &client{e: e}, "POST", "/api/v1/auth/register", `{"phone":"13712345679","password":"long-enough","name":"x"}`, "", 400, tuango.CodeCodeInvalid, "code"},
		{"login: wrong password", &client{e: e}, "POST", "/api/v1/auth/login", `{"phone":"13900000001","password":"wrong-password"}`, "", 401, tuango.CodeInvalidCredentials, ""},
		{"login: unknown phone", &client{e: e}, "POST", "/api/v1/auth/login", `{"phone":"13700000000","password":"wrong-password"}`, "", 401, tuango.CodeInvalidCredentials, ""},
		{"home pickup point unknown", c, "PUT", "/api/v1/me/pickup-point", `{"pickup_point_id":"pp_nope"}`, "", 400, tuango.CodeInvalid, "pickup_point_id"},
		{"deal: negative price", e.operator, "POST", "/api/v1/admin/deals", dealBody(e, `"price_fen":-1`), "", 400, tuango.CodeInvalid, "price_fen"},
		{"deal: price as float", e.operator, "POST", "/api/v1/admin/deals", dealBody(e, `"price_fen":9.9`), "", 400, tuango.CodeInvalid, "price_fen"},
		{"deal: list price below price", e.operator, "POST", "/api/v1/admin/deals", dealBody(e, `"list_price_fen":1`), "", 400, tuango.CodeInvalid, "list_price_fen"},
		{"deal: absurd stock", e.operator, "POST", "/api/v1/admin/deals", dealBody(e, `"stock":99999999999`), "", 400, tuango.CodeInvalid, "stock"},
		{"deal: zero limit", e.operator, "POST", "/api/v1/admin/deals", dealBody(e, `"limit_per_customer":0`), "", 400, tuango.CodeInvalid, "limit_per_customer"},
		{"deal: sale ends before it starts", e.operator, "POST", "/api/v1/admin/deals", dealBody(e, `"sale_ends_at":"2026-11-24T00:00:00Z"`), "", 400, tuango.CodeInvalid, "sale_ends_at"},
		{"deal: time not RFC 3339", e.operator, "POST", "/api/v1/admin/deals", dealBody(e, `"sale_starts_at":"tomorrow"`), "", 400, tuango.CodeInvalid, "sale_starts_at"},
		{"deal: bad delivery date", e.operator, "POST", "/api/v1/admin/deals", dealBody(e, `"delivery_date":"2026-02-30"`), "", 400, tuango.CodeInvalid, "delivery_date"},
		{"deal: unknown product", e.operator, "POST", "/api/v1/admin/deals", dealBody(e, `"product_id":"prd_nope"`), "", 400, tuango.CodeInvalid, "product_id"},
		{"deal: unknown city", e.operator, "POST", "/api/v1/admin/deals", dealBody(e, `"city_id":"cty_nope"`), "", 400, tuango.CodeInvalid, "city_id"},
		{"deal: stock below what is ordered", e.operator, "PATCH", "/api/v1/admin/deals/" + deal, `{"stock":1}`, "", 400, tuango.CodeInvalid, "stock"},
		{"deal: patch of a missing deal", e.operator, "PATCH", "/api/v1/admin/deals/deal_nope", `{"stock":1}`, "", 404, tuango.CodeNotFound, ""},
		{"product: unknown supplier", e.operator, "POST", "/api/v1/admin/products", `{"supplier_id":"sup_nope","name":"x","category":"x","unit":"x","cost_fen":1}`, "", 400, tuango.CodeInvalid, "supplier_id"},
		{"product: negative cost", e.operator, "POST", "/api/v1/admin/products", fmt.Sprintf(`{"supplier_id":%q,"name":"x","category":"x","unit":"x","cost_fen":-5}`, e.supplierID), "", 400, tuango.CodeInvalid, "cost_fen"},
		{"supplier: empty name", e.operator, "POST", "/api/v1/admin/suppliers", `{"name":"  "}`, "", 400, tuango.CodeInvalid, "name"},
		{"pickup point: commission absurd", e.operator, "POST", "/api/v1/admin/pickup-points", fmt.Sprintf(`{"city_id":%q,"name":"x","address":"y","commission_bps":90000}`, e.cityID), "", 400, tuango.CodeInvalid, "commission_bps"},
		{"pickup point: leader who is not a leader", e.operator, "POST", "/api/v1/admin/pickup-points", fmt.Sprintf(`{"city_id":%q,"name":"x","address":"y","leader_id":%q}`, e.cityID, c.userID), "", 400, tuango.CodeInvalid, "leader_id"},
		{"unknown route", c, "GET", "/api/v1/nothing-here", ``, "", 404, tuango.CodeNotFound, ""},
		{"deal: flash not a boolean", e.operator, "POST", "/api/v1/admin/deals", dealBody(e, `"flash":"yes"`), "", 400, tuango.CodeInvalid, "flash"},
		{"deal: patch with flash not a boolean", e.operator, "PATCH", "/api/v1/admin/deals/" + deal, `{"flash":1}`, "", 400, tuango.CodeInvalid, "flash"},
	}
	tables := []string{"orders", "order_lines", "users", "deals", "products", "suppliers", "pickup_points", "idempotency_records", "customer_deal_units", "deal_prices"}
	counts := func() map[string]int {
		m := map[string]int{}
		for _, tb := range tables {
			m[tb] = e.count(`SELECT COUNT(*) FROM ` + tb)
		}
		m["reserved"] = e.deal(deal).Reserved
		m["stock"] = e.deal(deal).Stock
		return m
	}
	before := counts()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if tt.body != "" {
				body = []byte(tt.body)
			}
			headers := []string{"Idempotency-Key", newKey()}
			if tt.contentType != "" {
				headers = append(headers, "Content-Type", tt.contentType)
			}
			r := tt.who.do(tt.method, tt.path, body, headers...)
			p := r.problem()
			if r.status != tt.wantStatus || p.Code != tt.wantCode || p.Field != tt.wantField {
				t.Errorf("= %d code %q field %q (%s), want %d %q %q", r.status, p.Code, p.Field, r.body, tt.wantStatus, tt.wantCode, tt.wantField)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q, want application/problem+json", ct)
			}
			if p.Detail == "" || p.Status != r.status || p.Type == "" || p.Title == "" {
				t.Errorf("problem lacks detail, status, type or title: %s", r.body)
			}
		})
	}
	after := counts()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s changed from %d to %d after bad input", k, v, after[k])
		}
	}
}

func dealBody(e *env, override string) string {
	fields := map[string]string{
		"product_id": fmt.Sprintf("%q", e.productID), "city_id": fmt.Sprintf("%q", e.cityID), "price_fen": "100", "list_price_fen": "200",
		"stock": "10", "limit_per_customer": "2", "sale_starts_at": `"2026-11-25T09:00:00+08:00"`, "sale_ends_at": `"2026-11-25T23:00:00+08:00"`,
		"delivery_date": `"2026-11-26"`,
	}
	k, v, _ := strings.Cut(override, ":")
	fields[strings.Trim(k, `"`)] = v
	var parts []string
	for k, v := range fields {
		parts = append(parts, fmt.Sprintf("%q:%s", k, v))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func TestWrongMethodIs405(t *testing.T) {
	e := newEnv(t)
	r := (&client{e: e}).do("DELETE", "/api/v1/deals", nil)
	if r.status != 405 || r.problem().Code != codeMethodNotAllowed || r.header.Get("Allow") != "GET" {
		t.Errorf("DELETE /api/v1/deals = %d %s (Allow %q), want 405 with Allow: GET", r.status, r.body, r.header.Get("Allow"))
	}
}
