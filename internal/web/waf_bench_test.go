package web

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"tuango/internal/tuango"
)

// BenchmarkOrderPathGuard measures what the guard adds in front of the
// order handler, per request: the request an app sends to place an order
// (Idempotency-Key, a JSON body), through the WAF in each
// mode and with detection and the buckets on, to a handler that only reads
// the body (the order's own cost is measured by tuango bench flash).
// Results are in docs/benchmarks.md.
func BenchmarkOrderPathGuard(b *testing.B) {
	body := []byte(`{"pickup_point_id":"pp_0123456789abcdef","items":[{"deal_id":"deal_192nf60mdzv0p13x","quantity":1},{"deal_id":"deal_192nf60mdzv0p13y","quantity":2}]}`)
	svc := tuango.NewService(nil, tuango.NewManualClock(testStart), nil, nil, nil, tuango.Config{}, nil)
	for _, v := range []struct {
		name string
		cfg  Config
		get  bool // the storefront's list instead
	}{
		{"waf=off", Config{WAF: WAFOff}, false},
		{"waf=detect inspect-orders", Config{WAF: WAFDetect, WAFInspectOrders: true}, false},
		{"waf=block inspect-orders", Config{WAF: WAFBlock, WAFInspectOrders: true}, false},
		{"waf=block+ids+rate inspect-orders", Config{WAF: WAFBlock, WAFInspectOrders: true, IDS: true, RateLimits: RateLimits{IP: Rate{1e9, 1e9}}}, false},
		{"waf=block (order spared)", Config{WAF: WAFBlock}, false},
		{"waf=block+ids+rate (order spared)", Config{WAF: WAFBlock, IDS: true, RateLimits: RateLimits{IP: Rate{1e9, 1e9}}}, false},
		{"GET deals waf=off", Config{WAF: WAFOff}, true},
		{"GET deals waf=block", Config{WAF: WAFBlock}, true},
	} {
		get := v.get
		b.Run(v.name, func(b *testing.B) {
			cfg := v.cfg
			cfg.Service = svc
			s := NewServer(cfg)
			h := s.shield(source{text: "192.0.2.1"}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				if r.Method == "POST" {
					w.WriteHeader(http.StatusCreated)
				}
			}))
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest("POST", "/api/v1/orders", bytes.NewReader(body))
				if get {
					r = httptest.NewRequest("GET", "/api/v1/deals?pickup_point_id=pp_0123456789abcdef", nil)
				}
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("Idempotency-Key", "key-0123456789")
				r.Header.Set("User-Agent", "tuango-app/1.0 (iPhone; iOS 18.1)")
				r.Header.Set("Accept", "application/json")
				r.RemoteAddr = "192.0.2.1:40000"
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusCreated && !get || get && w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
