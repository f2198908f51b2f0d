package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"tuango/internal/auth"
	"tuango/internal/demo"
	"tuango/internal/payment"
	"tuango/internal/sqlstore"
	"tuango/internal/tuango"
)

// demoWorld is tuango on a SQLite file seeded with the demo city (60
// pickup points, about 80 live deals) at 10:30 in 长沙, its service run
// with cfg, and a demo customer logged in.
type demoWorld struct {
	db      *sqlstore.DB
	clock   *tuango.ManualClock
	svc     *tuango.Service
	sandbox *payment.Sandbox
	sum     *demo.Summary
	user    *tuango.User // the demo customer
	token   string       // their session
}

func newDemoWorld(b *testing.B, cfg tuango.Config) *demoWorld {
	b.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	clock := tuango.NewManualClock(time.Date(2026, 11, 25, 2, 30, 0, 0, time.UTC)) // 10:30 in 长沙
	hasher := auth.NewHasher(auth.Params{Time: 1, Memory: 64, Threads: 1}, 2)
	w := &demoWorld{db: db, clock: clock}
	if w.sum, err = demo.Seed(ctx, db.Store(), hasher, clock.Now(), 1); err != nil {
		b.Fatal(err)
	}
	w.sandbox = payment.NewSandbox(db.Store(), clock, []byte("k"), "http://unset", nil)
	b.Cleanup(w.sandbox.Close)
	w.svc = tuango.NewService(db.Store(), clock, nil, hasher, w.sandbox, cfg, nil)
	b.Cleanup(w.svc.Close)
	if w.user, w.token, err = w.svc.Login(ctx, tuango.LoginRequest{Phone: w.sum.FirstCustomerPhone, Password: w.sum.Password, Source: "bench"}); err != nil {
		b.Fatal(err)
	}
	return w
}

// benchDemo is the demo world's server, and its customer's session.
func benchDemo(b *testing.B) (*Server, *http.Cookie) {
	w := newDemoWorld(b, tuango.Config{})
	return NewServer(Config{Service: w.svc, Sandbox: w.sandbox, CSRFKey: []byte("csrf")}), &http.Cookie{Name: sessionCookie, Value: w.token}
}

// BenchmarkStorefront renders a demo customer's storefront (every live
// deal of their city, with price histories) through the whole handler,
// and reports the p50 and p99 of one render.
func BenchmarkStorefront(b *testing.B) {
	for _, enc := range []string{"", "gzip"} {
		b.Run(fmt.Sprintf("encoding=%s", map[string]string{"": "identity", "gzip": "gzip"}[enc]), func(b *testing.B) {
			srv, session := benchDemo(b)
			render := func() *httptest.ResponseRecorder {
				req := httptest.NewRequest("GET", "/", nil)
				req.AddCookie(session)
				if enc != "" {
					req.Header.Set("Accept-Encoding", enc)
				}
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("storefront = %d: %s", w.Code, w.Body)
				}
				return w
			}
			render() // the first render reads every deal's price history once
			times := make([]time.Duration, 0, b.N)
			var size int
			for b.Loop() {
				start := time.Now()
				w := render()
				times = append(times, time.Since(start))
				size = w.Body.Len()
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(size), "bytes/page")
		})
	}
}
