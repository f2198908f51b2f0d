// Package webhook sends tuango's webhook deliveries: an HTTP POST of the
// delivery's body, signed with the webhook's secret.
//
// Headers of every delivery:
//
//	Content-Type: application/json
//	X-Tuango-Delivery: <the delivery's id, the same on every attempt>
//	X-Tuango-Event: <the event, e.g. incident.updated>
//	X-Tuango-Signature: sha256=<lowercase hex of HMAC-SHA256(secret, raw body)>
//
// A receiver checks the signature over the bytes it received, before
// parsing them, and drops a delivery id it has already handled.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"tuango/internal/tuango"
)

// Headers a delivery carries.
const (
	HeaderSignature = "X-Tuango-Signature"
	HeaderDelivery  = "X-Tuango-Delivery"
	HeaderEvent     = "X-Tuango-Event"
)

// Sign returns a body's signature as sent in X-Tuango-Signature.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether a signature header is the body's, in constant time.
func Verify(secret string, body []byte, header string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(strings.TrimSpace(header)))
}

// Sender posts deliveries. Unless it allows private addresses, it refuses
// to connect to any loopback, private or link-local address, checked on
// the address actually dialled (after DNS), so that a name that resolves
// to one cannot reach inside the network. It follows no redirect and uses
// no proxy.
type Sender struct {
	client *http.Client
}

// Timeout is how long one attempt may take.
const Timeout = 10 * time.Second

// New returns a Sender.
func New(allowPrivate bool) *Sender {
	d := &net.Dialer{Timeout: 5 * time.Second, Control: func(network, address string, _ syscall.RawConn) error {
		if allowPrivate {
			return nil
		}
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		if ip := net.ParseIP(host); ip == nil || !tuango.PublicIP(ip) {
			return fmt.Errorf("webhook: %s is a private or local address; deliveries go to public addresses only", host)
		}
		return nil
	}}
	tr := &http.Transport{Proxy: nil, DialContext: d.DialContext, TLSHandshakeTimeout: 5 * time.Second,
		ResponseHeaderTimeout: Timeout, MaxIdleConnsPerHost: 2, IdleConnTimeout: 30 * time.Second}
	return &Sender{client: &http.Client{Transport: tr, Timeout: Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Send posts one delivery; an answer outside 2xx is an error.
func (s *Sender) Send(ctx context.Context, d *tuango.WebhookDelivery) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, strings.NewReader(d.Body))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "tuango-webhooks/1")
	req.Header.Set(HeaderDelivery, d.ID)
	req.Header.Set(HeaderEvent, d.Event)
	req.Header.Set(HeaderSignature, Sign(d.Secret, []byte(d.Body)))
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook: the receiver answered %s", resp.Status)
	}
	return nil
}
