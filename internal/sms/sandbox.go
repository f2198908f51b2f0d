// Package sms holds the sandbox SMS sender: it records what it would send,
// once per message id, and its faults can be switched on for tests, like
// the payment sandbox.
package sms

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"tuango/internal/tuango"
)

// Store is where the sandbox records its messages.
type Store interface {
	// RecordSMS stores a message once per id and reports whether it was new.
	RecordSMS(ctx context.Context, messageID, phone, text string, at time.Time) (bool, error)
}

// Faults are the sandbox's switchable failures.
type Faults struct {
	// FailRate is the chance that a send fails before anything is sent.
	FailRate float64
	// LoseAckRate is the chance that a send is made but reported failed,
	// as when the sender's node dies right after sending.
	LoseAckRate float64
}

// Sandbox is a tuango.Sender that records what it would send.
type Sandbox struct {
	store Store
	clock tuango.Clock
	mu    sync.Mutex
	f     Faults
}

var _ tuango.Sender = (*Sandbox)(nil)

// NewSandbox returns a sandbox sender over store.
func NewSandbox(store Store, clock tuango.Clock) *Sandbox {
	return &Sandbox{store: store, clock: clock}
}

// SetFaults switches faults on or off.
func (s *Sandbox) SetFaults(f Faults) {
	s.mu.Lock()
	s.f = f
	s.mu.Unlock()
}

// Faults returns the faults switched on.
func (s *Sandbox) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f
}

// ErrFault is the error of a switched-on fault.
var ErrFault = errors.New("sms sandbox: fault injected")

// Send records m for phone, once per message id.
func (s *Sandbox) Send(ctx context.Context, m *tuango.Message, phone string) error {
	s.mu.Lock()
	f := s.f
	s.mu.Unlock()
	if f.FailRate > 0 && rand.Float64() < f.FailRate {
		return ErrFault
	}
	if _, err := s.store.RecordSMS(ctx, m.ID, phone, m.Text, s.clock.Now()); err != nil {
		return err
	}
	if f.LoseAckRate > 0 && rand.Float64() < f.LoseAckRate {
		return ErrFault
	}
	return nil
}
