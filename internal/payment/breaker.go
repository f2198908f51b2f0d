package payment

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"

	"tuango/internal/tuango"
)

// BreakerConfig says when a provider's circuit breaker opens and how long
// it stays open.
type BreakerConfig struct {
	// Failures in a row that open the breaker (default 5).
	Failures int
	// OpenFor is how long the breaker refuses calls before it lets one
	// through to probe the provider (default 10 s).
	OpenFor time.Duration
	// CallTimeout bounds each call to the provider, so that a provider that
	// hangs counts as failing (default 5 s).
	CallTimeout time.Duration
}

// Breaker is a payment provider behind a circuit breaker
// (github.com/sony/gobreaker): after Failures failed calls in a row it
// refuses calls at once with payment_unavailable for OpenFor, then lets one
// call probe the provider; a success closes it. It is per node; nodes share
// what they see through the provider outages in the database
// (Service.ReportProvider).
type Breaker struct {
	tuango.PaymentProvider
	cb      *gobreaker.CircuitBreaker[tuango.ProviderPayment]
	clock   tuango.Clock
	cfg     BreakerConfig
	changed chan struct{} // a state change, for the reporter to act on at once

	mu       sync.Mutex
	failing  time.Time // the first failure of the current streak
	lastOK   time.Time
	openedAt time.Time // wall time the breaker last opened
}

// NewBreaker wraps p in a circuit breaker.
func NewBreaker(p tuango.PaymentProvider, clock tuango.Clock, cfg BreakerConfig) *Breaker {
	if cfg.Failures <= 0 {
		cfg.Failures = 5
	}
	if cfg.OpenFor <= 0 {
		cfg.OpenFor = 10 * time.Second
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 5 * time.Second
	}
	b := &Breaker{PaymentProvider: p, clock: clock, cfg: cfg, changed: make(chan struct{}, 1)}
	b.cb = gobreaker.NewCircuitBreaker[tuango.ProviderPayment](gobreaker.Settings{
		Name:        p.Name(),
		MaxRequests: 1,
		Timeout:     cfg.OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= uint32(cfg.Failures) },
		// A caller that gave up says nothing about the provider.
		IsExcluded: func(err error) bool { return errors.Is(err, context.Canceled) },
		OnStateChange: func(_ string, _, to gobreaker.State) {
			if to == gobreaker.StateOpen {
				b.mu.Lock()
				b.openedAt = time.Now() // wall time: gobreaker's own timer runs on it
				b.mu.Unlock()
			}
			select {
			case b.changed <- struct{}{}:
			default:
			}
		},
	})
	return b
}

// Changed signals every change of the breaker's state.
func (b *Breaker) Changed() <-chan struct{} { return b.changed }

// State is the breaker's state: closed, half-open or open.
func (b *Breaker) State() string { return b.cb.State().String() }

// StateValue is the state as a number for the metrics: 0 closed, 1
// half-open, 2 open (gobreaker's order).
func (b *Breaker) StateValue() float64 { return float64(b.cb.State()) }

// Health reports the breaker's view of the provider.
func (b *Breaker) Health() tuango.ProviderState {
	state := b.cb.State()
	b.mu.Lock()
	defer b.mu.Unlock()
	st := tuango.ProviderState{Down: state != gobreaker.StateClosed, Refusing: state == gobreaker.StateOpen, FailingSince: b.failing, LastOK: b.lastOK}
	if state == gobreaker.StateOpen {
		st.RetryAfter = b.cfg.OpenFor - time.Since(b.openedAt)
	}
	if st.Down && st.RetryAfter < time.Second {
		st.RetryAfter = time.Second
	}
	return st
}

// call runs one provider call through the breaker, bounded by CallTimeout.
func (b *Breaker) call(ctx context.Context, fn func(ctx context.Context) (tuango.ProviderPayment, error)) (tuango.ProviderPayment, error) {
	pp, err := b.cb.Execute(func() (tuango.ProviderPayment, error) {
		cctx, cancel := context.WithTimeout(ctx, b.cfg.CallTimeout)
		defer cancel()
		pp, err := fn(cctx)
		if err != nil && ctx.Err() == nil && cctx.Err() != nil {
			err = context.DeadlineExceeded // the provider hung: a failure, not the caller giving up
		}
		b.note(err)
		return pp, err
	})
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		return pp, &tuango.Error{Code: tuango.CodePaymentUnavailable, RetryAfter: b.Health().RetryAfter,
			Message: "payment is unavailable for a moment because the payment provider is not answering; your order is kept, so try again shortly"}
	}
	return pp, err
}

// note records a call's outcome for Health.
func (b *Breaker) note(err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	now := b.clock.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if err == nil {
		b.failing, b.lastOK = time.Time{}, now
	} else if b.failing.IsZero() {
		b.failing = now
	}
}

// CreatePayment registers a payment unless the breaker is open.
func (b *Breaker) CreatePayment(ctx context.Context, p *tuango.Payment) (tuango.ProviderPayment, error) {
	return b.call(ctx, func(ctx context.Context) (tuango.ProviderPayment, error) {
		return b.PaymentProvider.CreatePayment(ctx, p)
	})
}

// QueryPayment asks the provider about a payment unless the breaker is
// open; reconciliation then simply asks again later.
func (b *Breaker) QueryPayment(ctx context.Context, paymentID string) (tuango.ProviderPayment, error) {
	return b.call(ctx, func(ctx context.Context) (tuango.ProviderPayment, error) {
		return b.PaymentProvider.QueryPayment(ctx, paymentID)
	})
}

// Refund returns money unless the breaker is open; the refund stays
// pending and the refund sweep sends it later.
func (b *Breaker) Refund(ctx context.Context, refundID, paymentID string, amount tuango.Fen) error {
	_, err := b.call(ctx, func(ctx context.Context) (tuango.ProviderPayment, error) {
		return tuango.ProviderPayment{}, b.PaymentProvider.Refund(ctx, refundID, paymentID, amount)
	})
	return err
}
