package payment

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"tuango/internal/tuango"
)

// SandboxPayout is a payout as the payout sandbox keeps it.
type SandboxPayout struct {
	PayoutID    string
	PartyID     string
	AmountFen   tuango.Fen
	Status      string // processing, paid or failed
	Reason      string
	CreatedAt   time.Time
	DueAt       time.Time // when its result is known
	CompletedAt time.Time
}

// PayoutSandboxStore keeps the payout sandbox's records, in their own
// table, as a real provider would keep them on its side.
type PayoutSandboxStore interface {
	// CreateSandboxPayout stores p unless a payout with its id exists, and
	// returns the stored one.
	CreateSandboxPayout(ctx context.Context, p *SandboxPayout) (*SandboxPayout, error)
	FindSandboxPayout(ctx context.Context, id string) (*SandboxPayout, error)
	// CompleteSandboxPayout ends a processing payout; false if it was not.
	CompleteSandboxPayout(ctx context.Context, id, status, reason string, at time.Time) (bool, error)
}

// PayoutFaults make the payout sandbox misbehave. Probabilities are
// between 0 and 1.
type PayoutFaults struct {
	FailSend float64       `json:"fail_send"` // refuse the call: tuango sends it again later
	Fail     float64       `json:"fail"`      // take the payout, then report it failed
	Delay    time.Duration `json:"delay"`     // how long a payout takes before its result is known
}

// ParsePayoutFaults reads faults written like "fail_send=0.5,fail=0.1,delay=2s".
func ParsePayoutFaults(s string) (PayoutFaults, error) {
	var f PayoutFaults
	err := parseFaultList("payout faults", s, &f.Delay, "fail_send, fail, delay", map[string]*float64{"fail_send": &f.FailSend, "fail": &f.Fail})
	return f, err
}

// parseFaultList reads name=value pairs separated by commas into the
// probabilities named and the delay; what names the list in errors, and
// known lists every name it takes.
func parseFaultList(what, s string, delay *time.Duration, known string, probs map[string]*float64) error {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return fmt.Errorf("%s: %q is not name=value", what, kv)
		}
		if k == "delay" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return fmt.Errorf("%s: delay %q is not a duration", what, v)
			}
			*delay = d
			continue
		}
		into, ok := probs[k]
		if !ok {
			return fmt.Errorf("%s: unknown fault %q (%s)", what, k, known)
		}
		p, err := strconv.ParseFloat(v, 64)
		if err != nil || p < 0 || p > 1 {
			return fmt.Errorf("%s: %s=%q is not a probability between 0 and 1", what, k, v)
		}
		*into = p
	}
	return nil
}

// PayoutSandbox is a payout provider that behaves like a bank's or
// WeChat Pay's transfer API: a payout is accepted under its id (the same
// id again is the same payout), processed for a while, and then paid or
// failed; tuango learns the result by asking.
type PayoutSandbox struct {
	store PayoutSandboxStore
	clock tuango.Clock
	roll  func(p float64) bool

	mu     sync.Mutex
	faults PayoutFaults
}

// NewPayoutSandbox returns a payout sandbox keeping its records in store.
func NewPayoutSandbox(store PayoutSandboxStore, clock tuango.Clock) *PayoutSandbox {
	return &PayoutSandbox{store: store, clock: clock, roll: func(p float64) bool { return p > 0 && mrand.Float64() < p }}
}

// SetFaults switches faults on or off.
func (s *PayoutSandbox) SetFaults(f PayoutFaults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// Faults returns the faults in force.
func (s *PayoutSandbox) Faults() PayoutFaults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// SendPayout takes a payout; one it has already is not taken again.
func (s *PayoutSandbox) SendPayout(ctx context.Context, p *tuango.Payout) error {
	f := s.Faults()
	if s.roll(f.FailSend) {
		return fmt.Errorf("payout sandbox: SYSTEM_ERROR (fault injected)")
	}
	now := s.clock.Now()
	status, reason := tuango.ProviderPayoutProcessing, ""
	if s.roll(f.Fail) {
		// Decided now, told when asked: the account was refused.
		reason = "ACCOUNT_FROZEN (fault injected)"
	}
	sp, err := s.store.CreateSandboxPayout(ctx, &SandboxPayout{PayoutID: p.ID, PartyID: p.PartyID, AmountFen: p.AmountFen,
		Status: status, Reason: reason, CreatedAt: now, DueAt: now.Add(f.Delay)})
	if err != nil {
		return err
	}
	if sp.AmountFen != p.AmountFen || sp.PartyID != p.PartyID {
		return fmt.Errorf("payout sandbox: payout %s exists for %s of %d fen", p.ID, sp.PartyID, sp.AmountFen)
	}
	return nil
}

// QueryPayout reports a payout; once its time is up a processing payout
// ends paid, or failed if a fault decided so when it was taken.
func (s *PayoutSandbox) QueryPayout(ctx context.Context, id string) (tuango.PayoutResult, error) {
	sp, err := s.store.FindSandboxPayout(ctx, id)
	if tuango.IsNotFound(err) {
		return tuango.PayoutResult{}, nil
	}
	if err != nil {
		return tuango.PayoutResult{}, err
	}
	now := s.clock.Now()
	if sp.Status == tuango.ProviderPayoutProcessing && !now.Before(sp.DueAt) {
		status := tuango.ProviderPayoutPaid
		if sp.Reason != "" {
			status = tuango.ProviderPayoutFailed
		}
		if _, err := s.store.CompleteSandboxPayout(ctx, id, status, sp.Reason, now); err != nil {
			return tuango.PayoutResult{}, err
		}
		if sp, err = s.store.FindSandboxPayout(ctx, id); err != nil {
			return tuango.PayoutResult{}, err
		}
	}
	return tuango.PayoutResult{Known: true, Status: sp.Status, Reason: sp.Reason}, nil
}
