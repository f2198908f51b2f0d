package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tuango/internal/demo"
)

// buildTuango builds the binary into a test folder.
func buildTuango(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tuango")
	build := exec.Command("go", "build", "-o", bin, "./cmd/tuango")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// With --db-read on the standby, the storefront and the deal list keep
// answering from it while the primary is gone and no failover comes (the
// monitor is killed too), and ordering answers 503 with Retry-After.
func TestStandbyServesTheStorefrontWhileThePrimaryIsGone(t *testing.T) {
	h := startHA(t)
	bin := buildTuango(t)
	ctx := context.Background()
	primary, err := h.WaitSettled(ctx, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	name, _, err := createDatabase(ctx, h.NodeURL(primary, "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	addr, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(filepath.Join(t.TempDir(), "node.log"))
	if err != nil {
		t.Fatal(err)
	}
	n := &node{name: "n1", addr: addr, bin: bin, log: log, flags: append([]string{"--db", h.URL(name), "--db-read", h.ReadURL(name),
		"--addr", addr, "--order-write-timeout", "1500ms"}, nodeFlags...)}
	if err := n.start(ctx, "demo"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.kill)
	c := newClient([]*node{n}, nil)

	var pps struct {
		Items []struct{ ID string } `json:"items"`
	}
	if err := c.call(ctx, n, "GET", "/api/v1/pickup-points", "", nil, &pps); err != nil || len(pps.Items) == 0 {
		t.Fatalf("pickup points: %v (%d)", err, len(pps.Items))
	}
	pp := pps.Items[0].ID
	var deals struct {
		Items []struct{ Title string } `json:"items"`
	}
	if err := c.call(ctx, n, "GET", "/api/v1/deals?pickup_point_id="+pp, "", nil, &deals); err != nil || len(deals.Items) == 0 {
		t.Fatalf("deals: %v (%d)", err, len(deals.Items))
	}
	var ses session
	if err := c.call(ctx, n, "POST", "/api/v1/auth/login", "", map[string]string{"phone": fmt.Sprint(demoFirstCustomer), "password": demo.Password}, &ses); err != nil {
		t.Fatal(err)
	}

	h.monitor.kill() // no failover: the standby stays a standby
	h.Kill(primary)
	t.Logf("killed the monitor and the primary %s", h.Name(primary))

	hc := &http.Client{Timeout: 5 * time.Second}
	get := func(path string, cookie *http.Cookie) (int, http.Header, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", n.url()+path, nil)
		if cookie != nil {
			req.AddCookie(cookie)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	// The pool's connections to the dead primary fail first; /readyz,
	// which asks the primary, says so.
	deadline := time.Now().Add(20 * time.Second)
	for {
		if status, _, _ := get("/readyz", nil); status == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("/readyz still ready 20 s after the primary died")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if status, _, body := get("/api/v1/deals?pickup_point_id="+pp, nil); status != http.StatusOK || !strings.Contains(body, deals.Items[0].Title) {
		t.Errorf("GET /api/v1/deals with the primary gone = %d %.300s, want 200 with %q", status, body, deals.Items[0].Title)
	}
	if status, _, body := get("/api/v1/pickup-points", nil); status != http.StatusOK || !strings.Contains(body, pp) {
		t.Errorf("GET /api/v1/pickup-points with the primary gone = %d %.300s, want 200 with %s", status, body, pp)
	}
	// 200, not the 503 of the last good copy this node would show without a standby.
	status, _, page := get("/", &http.Cookie{Name: "tuango_pp", Value: pp})
	if status != http.StatusOK || !strings.Contains(html.UnescapeString(page), deals.Items[0].Title) {
		t.Errorf("the storefront with the primary gone = %d, want 200 listing %q:\n%.500s", status, deals.Items[0].Title, page)
	}

	body, _ := json.Marshal(map[string]any{"pickup_point_id": pp, "items": []map[string]any{{"deal_id": "deal_x", "quantity": 1}}})
	req, _ := http.NewRequest("POST", n.url()+"/api/v1/orders", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+ses.Token)
	req.Header.Set("Idempotency-Key", "standby-1")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("an order with the primary gone = %d (Retry-After %q), want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}
