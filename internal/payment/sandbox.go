// Package payment holds tuango's payment providers: the built-in sandbox,
// which behaves like WeChat Pay v3, and later one file per real provider.
package payment

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"tuango/internal/tuango"
)

// SandboxPayment is a payment as the sandbox provider keeps it.
type SandboxPayment struct {
	PaymentID string
	TxnID     string
	PayerID   string
	AmountFen tuango.Fen
	NotifyURL string
	Status    string // created or paid
	CreatedAt time.Time
	PaidAt    time.Time
}

// SandboxStore keeps the sandbox's records: in a real deployment they live
// at the provider, here in their own tables.
type SandboxStore interface {
	// CreateSandboxPayment stores p unless a payment with its id exists,
	// and returns the stored one.
	CreateSandboxPayment(ctx context.Context, p *SandboxPayment) (*SandboxPayment, error)
	FindSandboxPayment(ctx context.Context, paymentID string) (*SandboxPayment, error)
	// PaySandboxPayment marks a created payment paid; false if it was not.
	PaySandboxPayment(ctx context.Context, paymentID string, at time.Time) (bool, error)
	// CreateSandboxRefund stores a refund once; false if it existed.
	CreateSandboxRefund(ctx context.Context, refundID, paymentID string, amount tuango.Fen, at time.Time) (bool, error)
	// SandboxRefunded sums what was refunded of a payment.
	SandboxRefunded(ctx context.Context, paymentID string) (tuango.Fen, error)
}

// Faults make the sandbox misbehave as real providers do. Probabilities are
// between 0 and 1.
type Faults struct {
	Drop         float64       `json:"drop"`          // never send the notification
	Duplicate    float64       `json:"duplicate"`     // send it twice
	Delay        time.Duration `json:"delay"`         // wait this long before sending
	BadSignature float64       `json:"bad_signature"` // sign it with the wrong key
	FailCreate   float64       `json:"fail_create"`   // refuse to create payments
	CreateDelay  time.Duration `json:"create_delay"`  // take this long to create a payment (a provider that hangs)
}

// ParseFaults reads faults written like "drop=0.2,duplicate=0.5,delay=2s".
func ParseFaults(s string) (Faults, error) {
	var f Faults
	// create_delay is the one other duration: taken out before the list.
	var rest []string
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		if k != "create_delay" {
			rest = append(rest, kv)
			continue
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return f, fmt.Errorf("sandbox faults: create_delay %q is not a duration", v)
		}
		f.CreateDelay = d
	}
	s = strings.Join(rest, ",")
	err := parseFaultList("sandbox faults", s, &f.Delay, "drop, duplicate, delay, bad_signature, fail_create, create_delay", map[string]*float64{
		"drop": &f.Drop, "duplicate": &f.Duplicate, "bad_signature": &f.BadSignature, "fail_create": &f.FailCreate})
	return f, err
}

// Sandbox is a payment provider that behaves like WeChat Pay v3: payments
// are created, confirmed by the customer on a sandbox page, and announced
// by signed asynchronous notifications that may come late, twice or never.
type Sandbox struct {
	store   SandboxStore
	clock   tuango.Clock
	key     []byte // the merchant's API key, shared with the verifier
	baseURL string // tuango's own URL, for pay pages and notifications
	client  *http.Client
	log     *slog.Logger

	mu     sync.Mutex
	faults Faults
	wg     sync.WaitGroup
	closed chan struct{}
}

// NewSandbox returns a sandbox provider that signs with key and sends
// notifications to baseURL + NotifyPath.
func NewSandbox(store SandboxStore, clock tuango.Clock, key []byte, baseURL string, log *slog.Logger) *Sandbox {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sandbox{store: store, clock: clock, key: key, baseURL: strings.TrimSuffix(baseURL, "/"),
		client: &http.Client{Timeout: 10 * time.Second}, log: log, closed: make(chan struct{})}
}

// NotifyPath is where tuango receives the sandbox's notifications.
const NotifyPath = "/api/v1/payments/notify/sandbox"

// SetBaseURL changes where pages and notifications point, once the server
// knows its address.
func (s *Sandbox) SetBaseURL(u string) {
	s.mu.Lock()
	s.baseURL = strings.TrimSuffix(u, "/")
	s.mu.Unlock()
}

// SetFaults switches faults on or off.
func (s *Sandbox) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// Faults returns the faults in force.
func (s *Sandbox) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

func (s *Sandbox) roll(p float64) bool { return p > 0 && mrand.Float64() < p }

// Close stops sending notifications and waits for those under way.
func (s *Sandbox) Close() {
	select {
	case <-s.closed:
	default:
		close(s.closed)
	}
	s.wg.Wait()
}

// Name returns "sandbox".
func (s *Sandbox) Name() string { return "sandbox" }

// CreatePayment registers a payment; creating the same payment again
// returns the first.
func (s *Sandbox) CreatePayment(ctx context.Context, p *tuango.Payment) (tuango.ProviderPayment, error) {
	f := s.Faults()
	if s.roll(f.FailCreate) {
		return tuango.ProviderPayment{}, fmt.Errorf("sandbox: SYSTEM_ERROR (fault injected)")
	}
	if f.CreateDelay > 0 {
		select {
		case <-time.After(f.CreateDelay):
		case <-ctx.Done():
			return tuango.ProviderPayment{}, fmt.Errorf("sandbox: no answer within the caller's deadline (create_delay fault): %w", ctx.Err())
		}
	}
	s.mu.Lock()
	base := s.baseURL
	s.mu.Unlock()
	sp, err := s.store.CreateSandboxPayment(ctx, &SandboxPayment{
		PaymentID: p.ID, TxnID: newTxnID(), PayerID: p.UserID, AmountFen: p.AmountFen,
		NotifyURL: base + NotifyPath, Status: "created", CreatedAt: s.clock.Now(),
	})
	if err != nil {
		return tuango.ProviderPayment{}, err
	}
	if sp.AmountFen != p.AmountFen {
		return tuango.ProviderPayment{}, fmt.Errorf("sandbox: payment %s exists with another amount", p.ID)
	}
	return s.view(sp, base), nil
}

func (s *Sandbox) view(sp *SandboxPayment, base string) tuango.ProviderPayment {
	return tuango.ProviderPayment{PaymentID: sp.PaymentID, TxnID: sp.TxnID, AmountFen: sp.AmountFen,
		Succeeded: sp.Status == "paid", PaidAt: sp.PaidAt, PayURL: base + "/sandbox/pay/" + sp.PaymentID}
}

// QueryPayment reports a payment's state; one the sandbox never saw is
// simply not paid.
func (s *Sandbox) QueryPayment(ctx context.Context, paymentID string) (tuango.ProviderPayment, error) {
	sp, err := s.store.FindSandboxPayment(ctx, paymentID)
	if tuango.IsNotFound(err) {
		return tuango.ProviderPayment{PaymentID: paymentID}, nil
	}
	if err != nil {
		return tuango.ProviderPayment{}, err
	}
	return s.view(sp, s.baseURL), nil
}

// Refund returns money of a paid payment, once per refund id.
func (s *Sandbox) Refund(ctx context.Context, refundID, paymentID string, amount tuango.Fen) error {
	sp, err := s.store.FindSandboxPayment(ctx, paymentID)
	if err != nil {
		return fmt.Errorf("sandbox: refund of payment %s: %w", paymentID, err)
	}
	if sp.Status != "paid" {
		return fmt.Errorf("sandbox: payment %s is not paid", paymentID)
	}
	fresh, err := s.store.CreateSandboxRefund(ctx, refundID, paymentID, amount, s.clock.Now())
	if err != nil || !fresh {
		return err // the same refund again changes nothing
	}
	total, err := s.store.SandboxRefunded(ctx, paymentID)
	if err != nil {
		return err
	}
	if total > sp.AmountFen {
		return fmt.Errorf("sandbox: refunds of payment %s (%d fen) exceed what was paid (%d fen)", paymentID, total, sp.AmountFen)
	}
	return nil
}

// Confirm is the customer paying on the sandbox page. It is idempotent:
// confirming a paid payment notifies again and charges nothing.
func (s *Sandbox) Confirm(ctx context.Context, paymentID, payerID string) error {
	sp, err := s.store.FindSandboxPayment(ctx, paymentID)
	if err != nil {
		return err
	}
	if sp.PayerID != payerID {
		return tuango.ErrNotFound
	}
	now := s.clock.Now()
	if _, err := s.store.PaySandboxPayment(ctx, paymentID, now); err != nil {
		return err
	}
	if sp, err = s.store.FindSandboxPayment(ctx, paymentID); err != nil {
		return err
	}
	s.notify(sp)
	return nil
}

// Payment returns the sandbox's record of a payment to its payer.
func (s *Sandbox) Payment(ctx context.Context, paymentID, payerID string) (*SandboxPayment, error) {
	sp, err := s.store.FindSandboxPayment(ctx, paymentID)
	if err != nil {
		return nil, err
	}
	if sp.PayerID != payerID {
		return nil, tuango.ErrNotFound
	}
	return sp, nil
}

// notification is the body of a WeChat Pay v3 style notification. The real
// provider encrypts resource with AES-256-GCM; the sandbox sends it plain
// and says so in resource_type.
type notification struct {
	ID           string   `json:"id"`
	CreateTime   string   `json:"create_time"`
	EventType    string   `json:"event_type"`
	ResourceType string   `json:"resource_type"`
	Resource     resource `json:"resource"`
}

type resource struct {
	OutTradeNo    string `json:"out_trade_no"`
	TransactionID string `json:"transaction_id"`
	TradeState    string `json:"trade_state"`
	Amount        struct {
		Total    int64  `json:"total"`
		Currency string `json:"currency"`
	} `json:"amount"`
	SuccessTime string `json:"success_time"`
}

// notify sends the payment's notification in the background, with faults.
func (s *Sandbox) notify(sp *SandboxPayment) {
	f := s.Faults()
	if s.roll(f.Drop) {
		s.log.Info("sandbox: dropping notification (fault injected)", "payment", sp.PaymentID)
		return
	}
	n := notification{ID: "EV-" + sp.TxnID, CreateTime: s.clock.Now().Format(time.RFC3339), EventType: "TRANSACTION.SUCCESS", ResourceType: "plaintext"}
	n.Resource.OutTradeNo, n.Resource.TransactionID, n.Resource.TradeState = sp.PaymentID, sp.TxnID, "SUCCESS"
	n.Resource.Amount.Total, n.Resource.Amount.Currency = int64(sp.AmountFen), "CNY"
	n.Resource.SuccessTime = sp.PaidAt.Format(time.RFC3339)
	body, _ := json.Marshal(n)
	copies := 1
	if s.roll(f.Duplicate) {
		copies = 2
	}
	badSig := s.roll(f.BadSignature)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if f.Delay > 0 {
			select {
			case <-time.After(f.Delay):
			case <-s.closed:
				return
			}
		}
		for i := 0; i < copies; i++ {
			s.deliver(sp.NotifyURL, body, badSig)
		}
	}()
}

// deliver posts one notification, retrying a few times on failure as the
// real provider does (it retries for hours; reconciliation covers the rest).
func (s *Sandbox) deliver(url string, body []byte, badSig bool) {
	for attempt, wait := 1, 200*time.Millisecond; attempt <= 4; attempt, wait = attempt+1, wait*4 {
		key := s.key
		if badSig {
			key = []byte("not-the-merchant-key")
		}
		ts := strconv.FormatInt(s.clock.Now().Unix(), 10)
		nonce := newNonce()
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			s.log.Error("sandbox: notification request", "err", err)
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Wechatpay-Timestamp", ts)
		req.Header.Set("Wechatpay-Nonce", nonce)
		req.Header.Set("Wechatpay-Signature", Sign(key, ts, nonce, body))
		req.Header.Set("Wechatpay-Serial", "sandbox")
		resp, err := s.client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode/100 == 2 || badSig {
				return
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		s.log.Warn("sandbox: notification not accepted", "url", url, "attempt", attempt, "err", err)
		select {
		case <-time.After(wait):
		case <-s.closed:
			return
		}
	}
}

// Sign returns the base64 HMAC-SHA256 of timestamp, nonce and body, each
// followed by a newline, as the sandbox signs notifications.
func Sign(key []byte, timestamp, nonce string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(timestamp + "\n" + nonce + "\n"))
	m.Write(body)
	m.Write([]byte("\n"))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// VerifyNotification checks a notification's signature and timestamp and
// decodes it.
func (s *Sandbox) VerifyNotification(n tuango.Notification, now time.Time) (tuango.PaymentEvent, error) {
	var ev tuango.PaymentEvent
	ts, err := strconv.ParseInt(n.Timestamp, 10, 64)
	if err != nil {
		return ev, tuango.Errorf(tuango.CodeBadSignature, "the Wechatpay-Timestamp header is missing or not a number")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tuango.NotificationWindow || d < -tuango.NotificationWindow {
		return ev, tuango.Errorf(tuango.CodeStaleNotification, "the notification's timestamp is %s from now, outside the %s replay window", d.Round(time.Second), tuango.NotificationWindow)
	}
	if n.Nonce == "" || len(n.Nonce) > 64 {
		return ev, tuango.Errorf(tuango.CodeBadSignature, "the Wechatpay-Nonce header is missing")
	}
	want := Sign(s.key, n.Timestamp, n.Nonce, n.Body)
	if !hmac.Equal([]byte(want), []byte(n.Signature)) {
		return ev, tuango.Errorf(tuango.CodeBadSignature, "the notification's signature does not verify")
	}
	var body notification
	dec := json.NewDecoder(bytes.NewReader(n.Body))
	if err := dec.Decode(&body); err != nil {
		return ev, tuango.Errorf(tuango.CodeInvalid, "the notification body is not valid JSON: %v", err)
	}
	r := body.Resource
	if body.ID == "" || r.OutTradeNo == "" || r.Amount.Total <= 0 {
		return ev, tuango.Errorf(tuango.CodeInvalid, "the notification lacks an id, out_trade_no or amount")
	}
	paid, _ := time.Parse(time.RFC3339, r.SuccessTime)
	ev.EventID = body.ID
	ev.Payment = tuango.ProviderPayment{PaymentID: r.OutTradeNo, TxnID: r.TransactionID, AmountFen: tuango.Fen(r.Amount.Total),
		Succeeded: body.EventType == "TRANSACTION.SUCCESS" && r.TradeState == "SUCCESS", PaidAt: paid.UTC()}
	return ev, nil
}

func newTxnID() string {
	var b [12]byte
	rand.Read(b[:])
	return "4200" + hex.EncodeToString(b[:])
}

func newNonce() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
