package tuango

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// The exactly-once protocol. Every state change that takes an
// Idempotency-Key (placing an order, paying, and the later sign-offs,
// pickups, after-sales requests and withdrawals) goes through these four
// steps, written once here:
//
//  1. claim: the key (required but for OnceIfKeyed) is marked in flight on this node
//     so that it is never decided twice here at once (a duplicate meanwhile
//     gets idempotency_key_in_flight);
//  2. look up the key's stored answer, before the effect or inside its
//     transaction (group commit reads a batch's keys there): the same
//     request gets it back as a replay, another request under the same key
//     gets idempotency_key_reused;
//  3. run the effect, and store its answer with the key in the same
//     transaction (recordOf);
//  4. if another node stored the key first, the store refuses the second
//     record, the whole transaction rolls back, and the caller gets that
//     node's answer instead (settle).
//
// The stored answer is the domain's own result (an *Order, a *Payment),
// not an HTTP response: the caller gets a typed Once and encodes it, the
// same way the first time and on every replay. The operators' optional
// keys (OnceIfKeyed) are the exception: what their handler answered is
// the result there.

// IdempotencyTTL is how long idempotency records are kept at least.
const IdempotencyTTL = 7 * 24 * time.Hour

// Idempotency names one request for exactly-once execution.
type Idempotency struct {
	Scope       string // who owns the key: a user id
	Key         string
	Fingerprint string // a hash of the request: the key with another request is refused
}

// Once is the answer of a call made exactly once per key: its result, and
// whether that is the stored result of an earlier call with the key, in
// which case this call changed nothing.
type Once[T any] struct {
	Value    T
	Replayed bool
}

// IdempotencyRecord is a key's stored answer. Body is the answer in the
// domain's own encoding (see recordOf), or, for the key of a placed
// order, empty: the order is the record, and OrderID and Expires name it
// and its first payment deadline (see placed.go).
type IdempotencyRecord struct {
	Scope       string
	Key         string
	Fingerprint string
	Body        []byte
	CreatedAt   time.Time
	OrderID     string
	Expires     time.Time
}

// IdemKey names one idempotency record: the key within its scope (the
// user who sent it).
type IdemKey struct{ Scope, Key string }

func (idem *Idempotency) id() IdemKey { return IdemKey{idem.Scope, idem.Key} }

// required fails unless a key was sent.
func (idem *Idempotency) required() error {
	if idem == nil || idem.Key == "" {
		return Errorf(CodeIdemKeyMissing, "this request needs an Idempotency-Key header")
	}
	return nil
}

// claim is step 1: it marks the key in flight on this node until release
// is called.
func (s *Service) claim(idem *Idempotency) (release func(), err error) {
	slot := idem.id()
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

// answerVersion marks the encoding of stored answers. Records of another
// version (of builds before answers were stored in the domain's form)
// are refused with a conflict rather than misread.
const answerVersion = 1

type storedAnswer[T any] struct {
	V     int `json:"v"`
	Value T   `json:"value"`
}

// replayOf is step 2 for a key whose record is rec (nil when it has
// none): done reports that the call is answered — replayed, or refused
// because the key was used for another request — and must do nothing.
func replayOf[T any](rec *IdempotencyRecord, idem *Idempotency) (ans Once[T], done bool, err error) {
	if rec == nil {
		return ans, false, nil
	}
	if rec.Fingerprint != idem.Fingerprint {
		return ans, true, Errorf(CodeIdemKeyReused, "this Idempotency-Key was already used for a different request")
	}
	var a storedAnswer[T]
	if err := json.Unmarshal(rec.Body, &a); err != nil || a.V != answerVersion {
		return ans, true, Errorf(CodeConflict, "this Idempotency-Key was used by an earlier version of tuango; send the request again with a new key")
	}
	return Once[T]{Value: a.Value, Replayed: true}, true, nil
}

// recordOf is step 3: the record that stores v as the key's answer.
func recordOf[T any](idem *Idempotency, v T, now time.Time) (*IdempotencyRecord, error) {
	body, err := json.Marshal(storedAnswer[T]{V: answerVersion, Value: v})
	if err != nil {
		return nil, fmt.Errorf("tuango: store the answer of key %q: %w", idem.Key, err)
	}
	return &IdempotencyRecord{Scope: idem.Scope, Key: idem.Key, Fingerprint: idem.Fingerprint, Body: body, CreatedAt: now}, nil
}

// settle is step 4: a transaction that failed because another node
// stored the key first gets that node's answer. That node's effect may
// have made ours fail for a reason of its own (a delivery already signed,
// a code already used) or only at the key's insert (a conflict), so the
// key is looked up again after any failure; a failure with no answer
// stored stays as it is.
func settle[T any](ctx context.Context, store Store, idem *Idempotency, err error) (Once[T], error) {
	return settleBy(ctx, store, idem, err, func(_ context.Context, _ Store, rec *IdempotencyRecord, idem *Idempotency) (Once[T], bool, error) {
		return replayOf[T](rec, idem)
	})
}

// settleBy is settle with the replay of the key's record done by replay
// (replayPlaced for placed orders).
func settleBy[T any](ctx context.Context, store Store, idem *Idempotency, err error,
	replay func(context.Context, Store, *IdempotencyRecord, *Idempotency) (Once[T], bool, error)) (Once[T], error) {
	var none Once[T]
	if idem == nil {
		return none, err
	}
	rec, ferr := findAnswer(ctx, store, idem)
	if ferr != nil {
		return none, ferr
	}
	if ans, done, rerr := replay(ctx, store, rec, idem); done {
		return ans, rerr
	}
	return none, err
}

// findAnswer reads a key's record, or nil if it has none.
func findAnswer(ctx context.Context, store Store, idem *Idempotency) (*IdempotencyRecord, error) {
	rec, err := store.FindIdempotency(ctx, idem.Scope, idem.Key)
	if IsNotFound(err) {
		return nil, nil
	}
	return rec, err
}

// exactlyOnce runs a state change once per key, through all four steps.
// first, which may be nil, runs once the key is claimed and found unused,
// outside any transaction (to call a payment provider, say); effect then
// runs in one transaction with the storing of its answer.
func exactlyOnce[T any](ctx context.Context, s *Service, idem *Idempotency, first func(ctx context.Context) error, effect func(tx Store, now time.Time) (T, error)) (Once[T], error) {
	if err := idem.required(); err != nil {
		return Once[T]{}, err
	}
	return runOnce(ctx, s, idem, first, func(_ context.Context, tx Store, now time.Time) (T, error) { return effect(tx, now) })
}

// OnceIfKeyed runs call exactly once per key when idem is not nil, and
// as it is when it is nil: the optional key of an operator's change (see
// docs/architecture.md, "Exactly once"). call gets a context bound to the
// transaction that stores its answer, so that every transaction of the
// service it opens joins that one, and the effect and its key commit, or
// roll back, together; an error from call rolls back all it wrote.
func OnceIfKeyed[T any](ctx context.Context, s *Service, idem *Idempotency, call func(ctx context.Context) (T, error)) (Once[T], error) {
	if idem == nil {
		v, err := call(ctx)
		return Once[T]{Value: v}, err
	}
	return runOnce(ctx, s, idem, nil, func(bound context.Context, _ Store, _ time.Time) (T, error) { return call(bound) })
}

// boundTxKey marks a context bound to the transaction of runOnce.
type boundTxKey struct{}

// runOnce is exactlyOnce with the effect given a context bound to its
// transaction.
func runOnce[T any](ctx context.Context, s *Service, idem *Idempotency, first func(ctx context.Context) error, effect func(ctx context.Context, tx Store, now time.Time) (T, error)) (Once[T], error) {
	var none Once[T]
	release, err := s.claim(idem)
	if err != nil {
		return none, err
	}
	defer release()
	rec, err := findAnswer(ctx, s.store, idem)
	if err != nil {
		return none, err
	}
	if ans, done, err := replayOf[T](rec, idem); done {
		if err == nil {
			dropOperatorAction(ctx)
		}
		return ans, err
	}
	if lookedUpHook != nil {
		lookedUpHook()
	}
	if first != nil {
		if err := first(ctx); err != nil {
			return none, err
		}
	}
	var v T
	err = s.store.InTx(ctx, func(tx Store) error {
		now := s.clock.Now()
		var err error
		if v, err = effect(context.WithValue(tx.Bind(ctx), boundTxKey{}, true), tx, now); err != nil {
			return err
		}
		rec, err := recordOf(idem, v, now)
		if err != nil {
			return err
		}
		return tx.SaveIdempotency(ctx, rec)
	})
	if err != nil {
		ans, err := settle[T](ctx, s.store, idem, err)
		if err == nil && ans.Replayed {
			dropOperatorAction(ctx)
		}
		return ans, err
	}
	return Once[T]{Value: v}, nil
}

// PurgeIdempotency deletes idempotency records older than IdempotencyTTL.
func (s *Service) PurgeIdempotency(ctx context.Context) (int, error) {
	return s.store.DeleteIdempotencyBefore(ctx, s.clock.Now().Add(-IdempotencyTTL))
}

// lookedUpHook, when set by a test, runs after a key was looked up and
// found without an answer, before the effect: another node's request with
// the same key finishing in between.
var lookedUpHook func()

// keysReadHook, when set by a test, runs after a batch of placements read
// its keys' answers and before it locks its deals: another node placing
// one of the keys in between.
var keysReadHook func()
