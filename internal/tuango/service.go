package tuango

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Config holds the business settings of a Service.
type Config struct {
	// OrderTimeout is how long an order may stay unpaid.
	OrderTimeout time.Duration
	// BatchMax is the most orders group commit puts in one transaction;
	// 1 places each order in its own transaction.
	BatchMax int
	// BatchWindow is how long a batch waits for more orders after its
	// first; 0 takes whatever is queued when the writer is free.
	BatchWindow time.Duration
	// ReconcileAfter is how long to wait for a payment's notification
	// before asking the provider.
	ReconcileAfter time.Duration
}

// Service is tuango's use cases. It is safe for concurrent use; it holds no
// state that another node needs.
type Service struct {
	store    Store
	clock    Clock
	newID    IDGen
	hasher   PasswordHasher
	provider PaymentProvider
	cfg      Config
	log      *slog.Logger

	mu       sync.Mutex
	inflight map[string]bool // idempotency keys being executed on this node
	batch    *batcher        // nil when group commit is off
	soldOut  soldOut
	keys     *keyReader // the keys of refusals from memory
	sessions sessionCache
}

// NewService returns a Service. newID may be nil for SortableIDs(clock).
func NewService(store Store, clock Clock, newID IDGen, hasher PasswordHasher, provider PaymentProvider, cfg Config, log *slog.Logger) *Service {
	if newID == nil {
		newID = SortableIDs(clock)
	}
	if cfg.OrderTimeout <= 0 {
		cfg.OrderTimeout = DefaultOrderTimeout
	}
	if cfg.ReconcileAfter <= 0 {
		cfg.ReconcileAfter = ReconcileAfter
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.BatchMax == 0 {
		cfg.BatchMax = DefaultBatchMax
	}
	s := &Service{store: store, clock: clock, newID: newID, hasher: hasher, provider: provider, cfg: cfg, log: log, inflight: map[string]bool{}}
	if cfg.BatchMax > 1 {
		s.batch = newBatcher(s, cfg.BatchMax, cfg.BatchWindow)
	}
	s.keys = newKeyReader(store)
	return s
}

// Close stops the group-commit batcher after the batch under way, and
// the key reader.
func (s *Service) Close() {
	if s.batch != nil {
		s.batch.close()
	}
	s.keys.close()
}

// Store returns the service's store, for jobs and tools that read it.
func (s *Service) Store() Store { return s.store }

// Clock returns the service's clock.
func (s *Service) Clock() Clock { return s.clock }

// Actor is who is asking: a logged-in user and their role.
type Actor struct {
	UserID string
	Role   Role
}

// RequireStaff fails with forbidden unless the actor is an operator or admin.
func (a Actor) RequireStaff() error {
	if !a.Role.IsStaff() {
		return Errorf(CodeForbidden, "this needs the operator or admin role")
	}
	return nil
}

// idempotent runs fn, which makes a state change in tx, exactly once per
// key: the response is rendered and stored in the same transaction, a reused
// key with the same fingerprint returns *Replay, with another fingerprint
// fails with idempotency_key_reused.
func (s *Service) idempotent(ctx context.Context, idem *Idempotency, fn func(tx Store, now time.Time) (any, error)) (any, error) {
	release, err := s.claimKey(ctx, idem)
	if err != nil {
		return nil, err
	}
	defer release()
	var result any
	err = s.store.InTx(ctx, func(tx Store) error {
		var err error
		result, err = s.applyOnce(ctx, tx, idem, s.clock.Now(), fn)
		return err
	})
	if err != nil {
		return nil, s.settleConflict(ctx, idem, err)
	}
	return result, nil
}

// claimKey returns the stored response of a used key as *Replay, refuses a
// reused key with another fingerprint, and marks the key in flight on this
// node until release is called.
func (s *Service) claimKey(ctx context.Context, idem *Idempotency) (release func(), err error) {
	if idem == nil || idem.Key == "" {
		return nil, Errorf(CodeIdemKeyMissing, "this request needs an Idempotency-Key header")
	}
	if err := s.replayed(ctx, idem); err != nil {
		return nil, err
	}
	return s.markInFlight(idem)
}

// replayed returns the stored response of a used key as *Replay, or
// idempotency_key_reused for another fingerprint; nil for a new key.
func (s *Service) replayed(ctx context.Context, idem *Idempotency) error {
	rec, err := s.store.FindIdempotency(ctx, idem.Scope, idem.Key)
	if IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	return answerOf(rec, idem)
}

// answerOf is the answer to a request whose key has the record rec: its
// stored response as *Replay, or idempotency_key_reused when the request
// differs from the one that stored it; nil when rec is nil.
func answerOf(rec *IdempotencyRecord, idem *Idempotency) error {
	switch {
	case rec == nil:
		return nil
	case rec.Fingerprint != idem.Fingerprint:
		return Errorf(CodeIdemKeyReused, "this Idempotency-Key was already used for a different request")
	default:
		return &Replay{Record: rec}
	}
}

// markInFlight marks a key in flight on this node until release is
// called; a second request with the key meanwhile gets
// idempotency_key_in_flight.
func (s *Service) markInFlight(idem *Idempotency) (release func(), err error) {
	slot := idem.Scope + "\x00" + idem.Key
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight[slot] {
		return nil, Errorf(CodeIdemKeyInFlight, "a request with this Idempotency-Key is still being processed; retry shortly")
	}
	s.inflight[slot] = true
	return func() {
		s.mu.Lock()
		delete(s.inflight, slot)
		s.mu.Unlock()
	}, nil
}

// applyOnce runs fn in tx and stores its rendered response with the key.
func (s *Service) applyOnce(ctx context.Context, tx Store, idem *Idempotency, now time.Time, fn func(tx Store, now time.Time) (any, error)) (any, error) {
	res, err := fn(tx, now)
	if err != nil {
		return nil, err
	}
	status, body, err := idem.Render(res)
	if err != nil {
		return nil, fmt.Errorf("render response: %w", err)
	}
	rec := &IdempotencyRecord{Scope: idem.Scope, Key: idem.Key, Fingerprint: idem.Fingerprint, Status: status, Body: body, CreatedAt: now}
	if err := tx.SaveIdempotency(ctx, rec); err != nil {
		return nil, err
	}
	return res, nil
}

// settleConflict turns a failed effect whose key another node committed
// first into that node's response.
func (s *Service) settleConflict(ctx context.Context, idem *Idempotency, err error) error {
	if ErrorCode(err) != CodeConflict {
		return err
	}
	if rerr := s.replayed(ctx, idem); rerr != nil {
		return rerr
	}
	return err
}

// AsReplay returns the stored record if err is a *Replay.
func AsReplay(err error) (*IdempotencyRecord, bool) {
	var r *Replay
	if errors.As(err, &r) {
		return r.Record, true
	}
	return nil, false
}

// PurgeIdempotency deletes idempotency records older than IdempotencyTTL.
func (s *Service) PurgeIdempotency(ctx context.Context) (int, error) {
	return s.store.DeleteIdempotencyBefore(ctx, s.clock.Now().Add(-IdempotencyTTL))
}
