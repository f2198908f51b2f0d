package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"tuango/internal/sqlstore"
	"tuango/internal/storetest"
	"tuango/internal/tuango"
	"tuango/internal/webhook"
)

var t0 = time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)

var admin = tuango.Actor{UserID: "adm", Role: tuango.RoleAdmin}

func newService(t *testing.T, dsn string, allowPrivate bool) (*tuango.Service, *tuango.ManualClock, *sqlstore.DB) {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := tuango.NewManualClock(t0)
	svc := tuango.NewService(db.Store(), clock, nil, nil, nil, tuango.Config{WebhooksAllowPrivate: allowPrivate}, nil)
	svc.SetWebhookSender(webhook.New(allowPrivate))
	return svc, clock, db
}

// receiver is a subscriber's endpoint: it checks every signature, fails
// the first attempts of each delivery, and counts each delivery it
// accepted once by its id.
type receiver struct {
	secret   string
	failures int // how many attempts of each delivery it answers 503

	mu       sync.Mutex
	attempts map[string]int
	accepted map[string]string // delivery id -> body
	badSigs  int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if !webhook.Verify(rc.secret, body, r.Header.Get(webhook.HeaderSignature)) {
		rc.badSigs++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	id := r.Header.Get(webhook.HeaderDelivery)
	rc.attempts[id]++
	if rc.attempts[id] <= rc.failures {
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	}
	if _, dup := rc.accepted[id]; !dup {
		rc.accepted[id] = string(body)
	}
	w.WriteHeader(http.StatusNoContent)
}

func newReceiver(t *testing.T, secret string, failures int) (*receiver, string) {
	rc := &receiver{secret: secret, failures: failures, attempts: map[string]int{}, accepted: map[string]string{}}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return rc, srv.URL + "/hooks/tuango"
}

func announce(t *testing.T, svc *tuango.Service, id, event string) {
	t.Helper()
	err := svc.Announce(context.Background(), tuango.Announcement{ID: id, Event: event, Kind: tuango.NotifyIncident,
		Params: tuango.NotifyParams{Incident: "下单失败", Status: "investigating"}, Payload: json.RawMessage(`{"incident":"inc_1","status":"investigating"}`)})
	if err != nil {
		t.Fatal(err)
	}
}

// sweep runs the fan-out and delivery sweeps once, then moves the clock
// past the longest retry wait.
func sweep(t *testing.T, svc *tuango.Service, clock *tuango.ManualClock) {
	t.Helper()
	ctx := context.Background()
	if _, err := svc.FanOutAnnouncements(ctx, 1000); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DeliverWebhooks(ctx, 50); err != nil {
		t.Fatal(err)
	}
	clock.Advance(tuango.WebhookRetryMax + time.Second)
}

func TestDeliveriesAreSignedRetriedAndOnce(t *testing.T) {
	ctx := context.Background()
	svc, clock, db := newService(t, storetest.DSN(t), true)
	const secret = "a-secret-of-24-characters"
	rc, url := newReceiver(t, secret, 2)
	other, otherURL := newReceiver(t, secret, 0)
	if _, err := svc.CreateWebhook(ctx, admin, tuango.CreateWebhookRequest{URL: url, Secret: secret, Events: []string{"incident.updated"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateWebhook(ctx, admin, tuango.CreateWebhookRequest{URL: otherURL, Secret: secret, Events: []string{"maintenance.scheduled"}}); err != nil {
		t.Fatal(err)
	}
	announce(t, svc, "inc_1-upd_1", "incident.updated")
	announce(t, svc, "inc_1-upd_1", "incident.updated") // the same id: one announcement
	announce(t, svc, "inc_1-upd_2", "incident.updated")
	for range 4 {
		sweep(t, svc, clock)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.badSigs != 0 {
		t.Errorf("%d deliveries had a bad signature", rc.badSigs)
	}
	if len(rc.accepted) != 2 {
		t.Fatalf("the subscriber accepted %d deliveries, want 2 (one per announcement)", len(rc.accepted))
	}
	for id, n := range rc.attempts {
		if n != 3 {
			t.Errorf("delivery %s was attempted %d times, want 3 (two refused, then accepted, then never again)", id, n)
		}
	}
	seen := map[string]bool{}
	for _, body := range rc.accepted {
		var b struct {
			ID, Event string
			Data      map[string]string
		}
		if err := json.Unmarshal([]byte(body), &b); err != nil {
			t.Fatalf("body %s: %v", body, err)
		}
		if b.Event != "incident.updated" || b.Data["incident"] != "inc_1" {
			t.Errorf("body %s: want event incident.updated and the announcement's data", body)
		}
		seen[b.ID] = true
	}
	if !seen["inc_1-upd_1"] || !seen["inc_1-upd_2"] {
		t.Errorf("announcements delivered: %v", seen)
	}
	if len(other.attempts) != 0 {
		t.Errorf("a webhook not subscribed to the event got %d deliveries", len(other.attempts))
	}
	counts, err := svc.CountDeliveries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts[tuango.DeliveryDelivered] != 2 || counts[tuango.DeliveryPending] != 0 {
		t.Errorf("deliveries by status = %v, want 2 delivered", counts)
	}
	_ = db
}

// A receiver that never accepts: the delivery is tried WebhookAttempts
// times, then failed, shown as such and never tried again.
func TestDeliveryFailsAfterItsAttempts(t *testing.T) {
	ctx := context.Background()
	svc, clock, _ := newService(t, storetest.DSN(t), true)
	rc, url := newReceiver(t, "another-secret-1234", 1000)
	if _, err := svc.CreateWebhook(ctx, admin, tuango.CreateWebhookRequest{URL: url, Secret: "another-secret-1234", Events: []string{"*"}}); err != nil {
		t.Fatal(err)
	}
	announce(t, svc, "inc_9-upd_1", "incident.updated")
	for range tuango.WebhookAttempts + 3 {
		sweep(t, svc, clock)
	}
	ds, err := svc.WebhookDeliveries(ctx, admin, tuango.DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].Status != tuango.DeliveryFailed || ds[0].Attempts != tuango.WebhookAttempts || !strings.Contains(ds[0].LastError, "503") {
		t.Fatalf("deliveries = %+v, want one failed after %d attempts with the last answer", ds, tuango.WebhookAttempts)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, n := range rc.attempts {
		if n != tuango.WebhookAttempts {
			t.Errorf("attempted %d times, want %d", n, tuango.WebhookAttempts)
		}
	}
}

// Retries wait longer each time, with jitter, never past the cap: a
// delivery refused once is not due again at once.
func TestDeliveryBacksOff(t *testing.T) {
	ctx := context.Background()
	svc, clock, _ := newService(t, storetest.DSN(t), true)
	rc, url := newReceiver(t, "backoff-secret-123", 1000)
	if _, err := svc.CreateWebhook(ctx, admin, tuango.CreateWebhookRequest{URL: url, Secret: "backoff-secret-123", Events: []string{"*"}}); err != nil {
		t.Fatal(err)
	}
	announce(t, svc, "inc_8-upd_1", "incident.updated")
	if _, err := svc.FanOutAnnouncements(ctx, 100); err != nil {
		t.Fatal(err)
	}
	prev := time.Duration(0)
	for attempt := 1; attempt <= 5; attempt++ {
		if _, err := svc.DeliverWebhooks(ctx, 50); err != nil {
			t.Fatal(err)
		}
		ds, err := svc.WebhookDeliveries(ctx, admin, tuango.DeliveryFilter{})
		if err != nil {
			t.Fatal(err)
		}
		wait := ds[0].NextAt.Sub(clock.Now())
		full := tuango.WebhookRetryBase << (attempt - 1)
		if wait < full/2 || wait > full {
			t.Errorf("after attempt %d the wait is %v, want between %v and %v", attempt, wait, full/2, full)
		}
		if attempt > 2 && wait <= prev/2 {
			t.Errorf("after attempt %d the wait %v did not grow from %v", attempt, wait, prev)
		}
		// Not due a moment before its time.
		clock.Advance(wait - time.Second)
		if n, err := svc.DeliverWebhooks(ctx, 50); err != nil || n != 0 {
			t.Fatalf("DeliverWebhooks before the retry time = %d, %v", n, err)
		}
		rc.mu.Lock()
		got := rc.attempts
		total := 0
		for _, n := range got {
			total += n
		}
		rc.mu.Unlock()
		if total != attempt {
			t.Fatalf("%d attempts after %d sweeps due", total, attempt)
		}
		clock.Advance(time.Second)
		prev = wait
	}
}

// Without the flag, a webhook may not point at loopback or private
// addresses, neither written as the URL's host nor reached through a name.
func TestWebhookURLsRefused(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newService(t, storetest.DSN(t), false)
	for _, u := range []string{"ftp://example.com/x", "http://127.0.0.1:8080/x", "http://10.1.2.3/x", "http://[::1]/x", "http://169.254.169.254/latest",
		"http://localhost/x", "https://user:pw@example.com/x", "http://192.168.1.1/", "http://100.64.0.1/", "http://0.0.0.0/", "example.com/x", "http:///x"} {
		_, err := svc.CreateWebhook(ctx, admin, tuango.CreateWebhookRequest{URL: u, Secret: "a-secret-of-24-characters", Events: []string{"*"}})
		if tuango.ErrorCode(err) != tuango.CodeInvalid {
			t.Errorf("CreateWebhook(%q) = %v, want invalid", u, err)
		}
	}
	for name, req := range map[string]tuango.CreateWebhookRequest{
		"short secret": {URL: "https://example.com/x", Secret: "short", Events: []string{"*"}},
		"no events":    {URL: "https://example.com/x", Secret: "a-secret-of-24-characters"},
		"bad event":    {URL: "https://example.com/x", Secret: "a-secret-of-24-characters", Events: []string{"incident updated"}},
	} {
		if _, err := svc.CreateWebhook(ctx, admin, req); tuango.ErrorCode(err) != tuango.CodeInvalid {
			t.Errorf("%s: CreateWebhook = %v, want invalid", name, err)
		}
	}
	if _, err := svc.CreateWebhook(ctx, tuango.Actor{UserID: "usr_c", Role: tuango.RoleCustomer}, tuango.CreateWebhookRequest{URL: "https://example.com/x", Secret: "a-secret-of-24-characters", Events: []string{"*"}}); tuango.ErrorCode(err) != tuango.CodeForbidden {
		t.Errorf("a customer's CreateWebhook = %v, want forbidden", err)
	}
	hooks, err := svc.Webhooks(ctx, admin)
	if err != nil || len(hooks) != 0 {
		t.Fatalf("webhooks after refusals = %v, %v; want none", hooks, err)
	}

	// A name that resolves to loopback is refused when dialled, whatever
	// the URL looked like when it was stored.
	rc, url := newReceiver(t, "a-secret-of-24-characters", 0)
	for _, u := range []string{url, strings.Replace(url, "127.0.0.1", "localhost", 1)} {
		d := &tuango.WebhookDelivery{ID: "whd_x", URL: u, Secret: "s", Body: "{}"}
		if err := webhook.New(false).Send(ctx, d); err == nil || !strings.Contains(err.Error(), "private or local") {
			t.Errorf("Send to %s = %v, want refused as private", u, err)
		}
	}
	if len(rc.attempts) != 0 {
		t.Errorf("the loopback receiver was reached %d times", len(rc.attempts))
	}
}

func TestSignature(t *testing.T) {
	// HMAC-SHA256 of "hello" with key "key", as published test vectors give it.
	if got, want := webhook.Sign("key", []byte("hello")), "sha256=9307b3b915efb5171ff14d8cb55fbcc798c6c0ef1456d66ded1a6aa723a58b7b"; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
	if webhook.Verify("key", []byte("hello!"), webhook.Sign("key", []byte("hello"))) {
		t.Error("Verify accepted the signature of another body")
	}
}

// Two nodes sending the same due delivery at once (a lapsed lease) send
// it under one id, which the receiver counts once; the record of the
// attempt is written once.
func TestDeliveryRacedByTwoNodes(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	svc, _, _ := newService(t, dsn, true)
	other, _, _ := newService(t, dsn, true)
	rc, url := newReceiver(t, "race-secret-1234567", 0)
	if _, err := svc.CreateWebhook(ctx, admin, tuango.CreateWebhookRequest{URL: url, Secret: "race-secret-1234567", Events: []string{"*"}}); err != nil {
		t.Fatal(err)
	}
	announce(t, svc, "inc_7-upd_1", "incident.updated")
	if _, err := svc.FanOutAnnouncements(ctx, 100); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	finished := make([]int, 2)
	for i, s := range []*tuango.Service{svc, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := s.DeliverWebhooks(ctx, 50)
			if err != nil {
				t.Error(err)
			}
			finished[i] = n
		}()
	}
	wg.Wait()
	if finished[0]+finished[1] != 1 {
		t.Errorf("the delivery was recorded finished %d times, want once", finished[0]+finished[1])
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.accepted) != 1 {
		t.Errorf("the receiver counted %d deliveries, want 1", len(rc.accepted))
	}
}
