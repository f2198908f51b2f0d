package tuango

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Webhooks. Staff subscribe a URL to events; each announcement of a
// subscribed event becomes one delivery per webhook, written with the
// announcement's fan-out and sent by a sweep (DeliverWebhooks), retried
// with exponential backoff and jitter until it is answered 2xx or has
// failed WebhookAttempts times. The receiver gets the delivery's id in a
// header, so that one sent again after a crash is recognised.

// Webhook is a subscriber: a URL and the events sent to it, signed with
// its secret.
type Webhook struct {
	ID        string
	URL       string
	Secret    string
	Events    []string // event names; "*" is every event
	CreatedBy string
	CreatedAt time.Time
}

// Wants reports whether the webhook subscribes to an event.
func (w *Webhook) Wants(event string) bool {
	for _, e := range w.Events {
		if e == "*" || e == event {
			return true
		}
	}
	return false
}

// DeliveryStatus is where a webhook delivery stands.
type DeliveryStatus string

// Delivery states.
const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliveryDelivered DeliveryStatus = "delivered"
	DeliveryFailed    DeliveryStatus = "failed"
)

// WebhookDelivery is one announcement's message to one webhook.
type WebhookDelivery struct {
	ID             string
	WebhookID      string
	AnnouncementID string
	Event          string
	Body           string // the exact bytes posted and signed
	Status         DeliveryStatus
	Attempts       int
	NextAt         time.Time
	LastError      string
	CreatedAt      time.Time
	FinishedAt     time.Time
	// URL and Secret are the webhook's, read with a due delivery.
	URL    string
	Secret string
}

// DeliveryFilter selects deliveries for the operator's page.
type DeliveryFilter struct {
	WebhookID string
	Status    DeliveryStatus
	Limit     int
}

// WebhookSender posts a delivery's body to its URL, signed with its
// secret; an error (a refused address, a timeout, an answer outside 2xx)
// is a failed attempt. The webhook package implements it.
type WebhookSender interface {
	Send(ctx context.Context, d *WebhookDelivery) error
}

// SetWebhookSender sets what sends webhook deliveries; without one they
// wait. Call it before the worker starts.
func (s *Service) SetWebhookSender(ws WebhookSender) { s.webhooks = ws }

// Webhook retries: the first retry after about WebhookRetryBase, each
// next one after twice the one before (at most WebhookRetryMax), each
// wait drawn at random from its second half so that retries spread out;
// after WebhookAttempts failed attempts a delivery is failed.
const (
	WebhookAttempts  = 8
	WebhookRetryBase = 30 * time.Second
	WebhookRetryMax  = time.Hour
	maxWebhooks      = 100
	maxWebhookEvents = 20
)

// CreateWebhookRequest is an admin's new subscriber.
type CreateWebhookRequest struct {
	URL    string
	Secret string
	Events []string
}

// CreateWebhook subscribes a URL to events (staff only).
func (s *Service) CreateWebhook(ctx context.Context, a Actor, req CreateWebhookRequest) (*Webhook, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	u, err := CheckWebhookURL(req.URL, s.cfg.WebhooksAllowPrivate)
	if err != nil {
		return nil, err
	}
	if n := len(req.Secret); n < 16 || n > 200 {
		return nil, FieldError("secret", "must be 16 to 200 characters long (it is %d); use a random string", n)
	}
	if len(req.Events) == 0 || len(req.Events) > maxWebhookEvents {
		return nil, FieldError("events", "must name 1 to %d events, such as incident.updated, or \"*\" for every event", maxWebhookEvents)
	}
	seen := map[string]bool{}
	var events []string
	for _, e := range req.Events {
		if !validEvent(e) {
			return nil, FieldError("events", "%q is not an event name: letters, digits, '.', '_' or '-', or \"*\"", e)
		}
		if !seen[e] {
			seen[e] = true
			events = append(events, e)
		}
	}
	hooks, err := s.store.FindWebhooks(ctx)
	if err != nil {
		return nil, err
	}
	if len(hooks) >= maxWebhooks {
		return nil, Errorf(CodeConflict, "there are %d webhooks already, the most allowed; delete one first", len(hooks))
	}
	w := &Webhook{ID: s.newID("whk"), URL: u, Secret: req.Secret, Events: events, CreatedBy: a.UserID, CreatedAt: s.clock.Now()}
	if err := s.store.CreateWebhook(ctx, w); err != nil {
		return nil, err
	}
	return w, nil
}

// Webhooks lists the live webhooks (staff only).
func (s *Service) Webhooks(ctx context.Context, a Actor) ([]Webhook, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	return s.store.FindWebhooks(ctx)
}

// DeleteWebhook deletes a webhook (staff only); its pending deliveries
// fail.
func (s *Service) DeleteWebhook(ctx context.Context, a Actor, id string) error {
	if err := a.RequireStaff(); err != nil {
		return err
	}
	if err := checkID("id", id); err != nil {
		return ErrNotFound
	}
	ok, err := s.store.DeleteWebhook(ctx, id, s.clock.Now())
	if err == nil && !ok {
		return ErrNotFound
	}
	return err
}

// WebhookDeliveries lists deliveries, newest first (staff only).
func (s *Service) WebhookDeliveries(ctx context.Context, a Actor, f DeliveryFilter) ([]WebhookDelivery, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > MaxPage {
		f.Limit = DefaultPage
	}
	return s.store.FindDeliveries(ctx, f)
}

// CountDeliveries counts deliveries by status, for the metrics.
func (s *Service) CountDeliveries(ctx context.Context) (map[DeliveryStatus]int, error) {
	return s.store.CountDeliveries(ctx)
}

// CheckWebhookURL checks a webhook's URL: http or https, a host, no user
// name or password, and unless allowPrivate, no loopback, private,
// link-local or unspecified address written as the host (names are
// checked again on every connection, by the sender). It returns the URL
// as stored.
func CheckWebhookURL(raw string, allowPrivate bool) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > 500 {
		return "", FieldError("url", "is required, at most 500 characters")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", FieldError("url", "is not a URL: %v", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", FieldError("url", "must start with http:// or https://")
	case u.Hostname() == "":
		return "", FieldError("url", "has no host")
	case u.User != nil:
		return "", FieldError("url", "must not carry a user name or password; sign with the secret instead")
	case u.Fragment != "":
		return "", FieldError("url", "must not have a #fragment")
	}
	host := strings.ToLower(u.Hostname())
	if !allowPrivate {
		if host == "localhost" || strings.HasSuffix(host, ".localhost") {
			return "", FieldError("url", "points at this machine (%s); webhooks go to public addresses", host)
		}
		if ip, err := netip.ParseAddr(host); err == nil && !PublicAddr(ip) {
			return "", FieldError("url", "points at a private or local address (%s); webhooks go to public addresses", host)
		}
	}
	return u.String(), nil
}

// PublicAddr reports whether an address may receive webhooks when private
// addresses are not allowed: not loopback, private (RFC 1918, fc00::/7),
// link-local, multicast, unspecified, or carrier-grade NAT (100.64/10).
func PublicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	return !cgnat.Contains(ip) && !(ip.Is4() && ip.As4()[0] == 0)
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// PublicIP is PublicAddr for a net.IP.
func PublicIP(ip net.IP) bool {
	a, ok := netip.AddrFromSlice(ip)
	return ok && PublicAddr(a)
}

// webhookBody is what a delivery posts: the announcement, its event and
// its data.
type webhookBody struct {
	ID    string          `json:"id"`
	Event string          `json:"event"`
	At    string          `json:"at"`
	Data  json.RawMessage `json:"data"`
}

// queueWebhooks writes a's deliveries, one per webhook that wants its
// event, and marks them written, in one transaction.
func (s *Service) queueWebhooks(ctx context.Context, a *Announcement) (int, error) {
	body, err := json.Marshal(webhookBody{ID: a.ID, Event: a.Event, At: a.At.Format(time.RFC3339Nano), Data: a.Payload})
	if err != nil {
		return 0, err
	}
	n := 0
	err = s.store.InTx(ctx, func(tx Store) error {
		hooks, err := tx.FindWebhooks(ctx)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		var ds []*WebhookDelivery
		for i := range hooks {
			if hooks[i].Wants(a.Event) {
				ds = append(ds, &WebhookDelivery{ID: s.newID("whd"), WebhookID: hooks[i].ID, AnnouncementID: a.ID, Event: a.Event,
					Body: string(body), Status: DeliveryPending, NextAt: now, CreatedAt: now})
			}
		}
		ok, err := tx.QueueWebhookDeliveries(ctx, a.ID, ds)
		if ok {
			n = len(ds)
		}
		return err
	})
	if err == nil {
		a.WebhooksQueued = true
	}
	return n, err
}

// webhookSends is how many deliveries one sweep sends at once.
const webhookSends = 8

// webhookClaim is how long a claimed delivery is left to its sender: more
// than a whole sweep of attempts at their timeout takes.
const webhookClaim = 5 * time.Minute

// DeliverWebhooks sends the deliveries that are due, at most limit, and
// reports how many it finished (delivered or failed for good).
func (s *Service) DeliverWebhooks(ctx context.Context, limit int) (int, error) {
	if s.webhooks == nil {
		return 0, nil
	}
	now := s.clock.Now()
	found, err := s.store.FindDueDeliveries(ctx, now, limit)
	if err != nil || len(found) == 0 {
		return 0, err
	}
	// Each is claimed before it is sent, so that a node whose sweep
	// overlaps this one (a lapsed lease under slow receivers) sends
	// others; one claimed by a node that then died is due again after
	// the claim.
	var due []WebhookDelivery
	for _, d := range found {
		ok, err := s.store.ClaimDelivery(ctx, d.ID, d.Attempts, d.NextAt, now.Add(webhookClaim))
		if err != nil {
			return 0, err
		}
		if ok {
			d.NextAt = now.Add(webhookClaim)
			due = append(due, d)
		}
	}
	errs := make([]error, len(due))
	var wg sync.WaitGroup
	sem := make(chan struct{}, webhookSends)
	for i := range due {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = s.webhooks.Send(ctx, &due[i])
		}()
	}
	wg.Wait()
	n := 0
	for i := range due {
		d, sendErr := &due[i], errs[i]
		from, now := d.Attempts, s.clock.Now()
		d.Attempts++
		switch {
		case sendErr == nil:
			d.Status, d.FinishedAt, d.LastError = DeliveryDelivered, now, ""
		case d.Attempts >= WebhookAttempts:
			d.Status, d.FinishedAt, d.LastError = DeliveryFailed, now, clip(sendErr.Error(), 300)
			s.log.Warn("webhook: a delivery failed for good", "delivery", d.ID, "webhook", d.WebhookID, "attempts", d.Attempts, "err", sendErr)
		default:
			d.NextAt, d.LastError = now.Add(retryAfter(d.Attempts)), clip(sendErr.Error(), 300)
		}
		ok, err := s.store.FinishDeliveryAttempt(ctx, d, from)
		if err != nil {
			return n, err
		}
		if ok && d.Status != DeliveryPending {
			n++
		}
	}
	return n, nil
}

// retryAfter is the wait before the attempt after the given number of
// failed ones: exponential, capped, with jitter over its second half.
func retryAfter(failed int) time.Duration {
	d := WebhookRetryBase << min(failed-1, 20)
	if d > WebhookRetryMax || d <= 0 {
		d = WebhookRetryMax
	}
	return d/2 + rand.N(d/2+1)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
