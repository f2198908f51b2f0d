package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// With PostgreSQL behind a link that goes silent (as a server can while a
// failover promotes its standby), an order request — its login check
// included — answers 503 with Retry-After once OrderWriteTimeout has
// passed, not when the driver or the client gives up.
func TestOrderRequestsAreBoundedWhenTheDatabaseHangs(t *testing.T) {
	dsn := storetest.PostgresDSN(t) // skips without TUANGO_TEST_POSTGRES_URL
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newStallProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	e := newEnvAt(t, u.String())
	deal := e.newDeal(10, 5, 1290)
	buyer := e.customer()
	bounded := httptest.NewServer(NewServer(Config{Service: e.svc, Sandbox: e.sandbox, CSRFKey: e.csrfKey, Logger: e.logger(), OrderWriteTimeout: 500 * time.Millisecond}))
	defer bounded.Close()
	proxy.stalled.Store(true)
	e.clock.Advance(2 * tuango.SessionCacheTTL) // the login is checked in the database again

	order := func(base, key string, wait time.Duration) (int, string, time.Duration, error) {
		body, _ := json.Marshal(map[string]any{"pickup_point_id": e.ppID, "items": []map[string]any{{"deal_id": deal, "quantity": 1}}})
		req, _ := http.NewRequest("POST", base+"/api/v1/orders", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+buyer.token)
		req.Header.Set("Idempotency-Key", key)
		start := time.Now()
		resp, err := (&http.Client{Timeout: wait}).Do(req)
		if err != nil {
			return 0, "", time.Since(start), err
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Retry-After"), time.Since(start), nil
	}
	for i := range 3 {
		status, retry, took, err := order(bounded.URL, fmt.Sprintf("hang-%d", i), 5*time.Second)
		if err != nil || status != http.StatusServiceUnavailable || retry == "" || took > 1500*time.Millisecond {
			t.Errorf("order %d with the database silent = %d (Retry-After %q, %v) in %v; want 503 with Retry-After within about 0.5 s", i, status, retry, err, took)
		}
	}
	// Without the bound the same order waits for the driver's connect
	// timeout (2 s here), or for ever on a connection already open.
	if _, _, took, err := order(e.srv.URL, "hang-unbounded", 3*time.Second); err == nil && took < 1800*time.Millisecond {
		t.Errorf("without the bound an order answered in %v with the database silent; the test's database did not hang", took)
	}
	proxy.close() // cut the silent connections, so that the servers can close
}
