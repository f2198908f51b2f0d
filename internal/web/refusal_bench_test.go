package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"tuango/internal/metrics"
	"tuango/internal/tuango"
)

// BenchmarkSoldOutRequest sends the request of every buyer after a flash
// sale's sell-out, POST /api/v1/orders under a fresh Idempotency-Key for a
// sold-out deal, through the whole server as serve configures it (the
// frame, admission, the order's time bound, metrics, the sampled request
// log, the session, decoding, the key's read in a real SQLite file, the
// 409 problem) and reports its allocations. Only net/http's connection
// and its system calls are left out: tuango bench flash --stock 200
// measures those. Run:
//
//	go test ./internal/web -run '^$' -bench SoldOutRequest -benchmem
func BenchmarkSoldOutRequest(b *testing.B) {
	ctx := context.Background()
	w := newDemoWorld(b, tuango.Config{BatchMax: tuango.DefaultBatchMax})
	deals, err := w.db.Store().FindDeals(ctx, tuango.DealFilter{CityID: w.sum.CityID, LiveAt: w.clock.Now(), Limit: 1})
	if err != nil || len(deals) == 0 {
		b.Fatalf("no live deal in %s: %v", w.sum.CityID, err)
	}
	op := tuango.Actor{UserID: "op", Role: tuango.RoleOperator}
	if _, err := w.svc.UpdateDeal(ctx, op, deals[0].ID, func(d *tuango.Deal) error { d.Stock = d.Reserved; return nil }); err != nil {
		b.Fatal(err)
	}
	mx := metrics.New()
	srv := NewServer(Config{Service: w.svc, Sandbox: w.sandbox, CSRFKey: []byte("csrf"), Metrics: mx, OrderWriteTimeout: 10 * time.Second,
		RequestLog: RequestLogConfig{PerSecond: 100, Slow: 500 * time.Millisecond}, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	body := []byte(`{"pickup_point_id":"` + w.user.HomePickupPointID + `","items":[{"deal_id":"` + deals[0].ID + `","quantity":1}]}`)
	refuse := func(n int) {
		r := httptest.NewRequest("POST", "/api/v1/orders", bytes.NewReader(body))
		r.RemoteAddr = "192.0.2.1:40000"
		r.Header.Set("Authorization", "Bearer "+w.token)
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Idempotency-Key", "bench-"+strconv.Itoa(n))
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, r)
		if rec.Code != http.StatusConflict || !bytes.Contains(rec.Body.Bytes(), []byte(`"code":"sold_out"`)) {
			b.Fatalf("order %d = %d %s, want 409 sold_out", n, rec.Code, rec.Body)
		}
	}
	refuse(-1) // the writer finds it sold out; from here on, memory does
	n := 0
	for b.Loop() {
		refuse(n)
		n++
	}
}
