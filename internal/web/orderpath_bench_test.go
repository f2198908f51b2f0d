package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"tuango/internal/tuango"
)

// BenchmarkOrderRequestSteps measures the request path of an order one
// step at a time, with allocations: the frame every request goes through
// (tuango's middleware, admission, the mux and the answer's headers, for
// GET /healthz), the body's fingerprint for its Idempotency-Key, decoding
// the body (BenchmarkDecodeOrderRequest has more bodies), and encoding the
// 201 answer of a placed order. The writer's part is BenchmarkPlaceOrder
// (internal/tuango); the whole path over HTTP is tuango bench flash.
// Run:
//
//	go test ./internal/web -run '^$' -bench OrderRequestSteps -benchmem
func BenchmarkOrderRequestSteps(b *testing.B) {
	body := []byte(`{"pickup_point_id":"pp_0123456789abcdef","items":[{"deal_id":"deal_192nf60mdzv0p13x","quantity":1}]}`)
	b.Run("frame", func(b *testing.B) {
		srv, _ := benchDemo(b)
		for b.Loop() {
			r := httptest.NewRequest("GET", "/healthz", nil)
			r.RemoteAddr = "192.0.2.1:40000"
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("healthz = %d: %s", w.Code, w.Body)
			}
		}
	})
	b.Run("fingerprint", func(b *testing.B) {
		r := httptest.NewRequest("POST", "/api/v1/orders", nil)
		r.Header.Set("Idempotency-Key", "0b7e1c52-5f7a-4c41-9a53-1f0d2c9e8a11")
		a := tuango.Actor{UserID: "usr_0123456789abcdef", Role: tuango.RoleCustomer}
		for b.Loop() {
			if _, err := idempotencyOf(r, a, body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodeOrderRequest(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode", func(b *testing.B) {
		at := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
		o := &tuango.Order{ID: "ord_0c8s2f7d4k9m1n3p5q7r", UserID: "usr_0123456789abcdef", PickupPointID: "pp_0123456789abcdef", CityID: "cty_changsha",
			Status: tuango.OrderPendingPayment, TotalFen: 990, CreatedAt: at, ExpiresAt: at.Add(5 * time.Minute), DeliveryDate: "2026-12-02",
			IdempotencyKey: "0b7e1c52-5f7a-4c41-9a53-1f0d2c9e8a11",
			Lines: []tuango.OrderLine{{OrderID: "ord_0c8s2f7d4k9m1n3p5q7r", LineNo: 1, DealID: "deal_192nf60mdzv0p13x", Title: "麒麟西瓜 1个 约4kg", Quantity: 1,
				UnitPriceFen: 990, AmountFen: 990, CommissionBps: 1000, UnitCostFen: 600, PaidFen: 990}}}
		for b.Loop() {
			w := httptest.NewRecorder()
			writeOnce(w, http.StatusCreated, tuango.Once[*tuango.Order]{Value: o}, viewOrder)
			if w.Code != http.StatusCreated {
				b.Fatal(w.Code)
			}
		}
	})
}
