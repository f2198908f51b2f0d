package tuango

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Some reads come tens of thousands a second in a flash sale, one per
// request: the keys of refusals from memory (a sold-out answer must still
// give a retried key its first answer, so it reads the key first), and
// the sessions a node has not cached (a sale's customers arrive at every
// node within seconds). One statement each cost more than the rest of the
// request. A group reader groups them like group commit groups orders:
// each of its goroutines takes whatever lookups are queued (up to
// groupReadMax) and finds them all in one statement on a reader
// connection, then answers each. A lookup alone pays two hand-offs
// between goroutines and nothing else.

const (
	groupReadMax     = 128 // lookups in one statement at most
	groupReadWorkers = 2   // statements under way at once
)

// groupReadTimeout bounds one grouped statement. Each lookup alone was
// bounded by its own request; a group's statement serves many, so it has
// its own bound: a connection that stops answering fails the lookups it
// holds after this long, rather than holding every later lookup of the
// node behind it (a variable for the tests).
var groupReadTimeout = 5 * time.Second

type groupLookup[K comparable, V any] struct {
	key  K
	done chan groupFound[V]
}

type groupFound[V any] struct {
	v   V
	err error
}

type groupReader[K comparable, V any] struct {
	// read finds the values of keys; a key it does not find is left out.
	read  func(ctx context.Context, keys []K) (map[K]V, error)
	queue chan *groupLookup[K, V]
	stop  chan struct{}
	wg    sync.WaitGroup
}

func newGroupReader[K comparable, V any](read func(context.Context, []K) (map[K]V, error)) *groupReader[K, V] {
	r := &groupReader[K, V]{read: read, queue: make(chan *groupLookup[K, V], 4*groupReadMax), stop: make(chan struct{})}
	for range groupReadWorkers {
		r.wg.Add(1)
		go r.run()
	}
	return r
}

// errReadGaveUp answers a caller that stopped waiting for a read: unlike
// a write's (errGaveUp), nothing of it may still be done.
var errReadGaveUp = &Error{Code: CodeUnavailable, RetryAfter: 2 * time.Second,
	Message: "the database took too long to answer; try again in a moment"}

// find returns the value of key, or V's zero value if it has none.
func (r *groupReader[K, V]) find(ctx context.Context, key K) (V, error) {
	l := &groupLookup[K, V]{key: key, done: make(chan groupFound[V], 1)}
	f, err := handOff(ctx, r.queue, r.stop, l, l.done)
	if errors.Is(err, errGaveUp) {
		err = fmt.Errorf("%w (%v)", errReadGaveUp, ctx.Err())
	}
	if err != nil {
		var none V
		return none, err
	}
	return f.v, f.err
}

func (r *groupReader[K, V]) run() {
	defer r.wg.Done()
	batch := make([]*groupLookup[K, V], 0, groupReadMax)
	keys := make([]K, 0, groupReadMax)
	for {
		select {
		case <-r.stop:
			return
		case l := <-r.queue:
			batch = append(batch[:0], l)
		}
	fill:
		for len(batch) < groupReadMax {
			select {
			case l := <-r.queue:
				batch = append(batch, l)
			default:
				break fill
			}
		}
		keys = keys[:0]
		for _, l := range batch {
			keys = append(keys, l.key)
		}
		ctx, cancel := context.WithTimeout(context.Background(), groupReadTimeout)
		found, err := r.read(ctx, keys)
		if err != nil && ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", errReadGaveUp, err)
		}
		cancel()
		for _, l := range batch {
			l.done <- groupFound[V]{v: found[l.key], err: err}
		}
	}
}

func (r *groupReader[K, V]) close() {
	close(r.stop)
	r.wg.Wait()
}

// newKeyReader reads the stored answers of idempotency keys.
func newKeyReader(store Store) *groupReader[IdemKey, *IdempotencyRecord] {
	return newGroupReader(func(ctx context.Context, keys []IdemKey) (map[IdemKey]*IdempotencyRecord, error) {
		recs, err := store.FindIdempotencies(ctx, keys)
		found := make(map[IdemKey]*IdempotencyRecord, len(recs))
		for i := range recs {
			found[IdemKey{recs[i].Scope, recs[i].Key}] = &recs[i]
		}
		return found, err
	})
}

// newSessionReader reads live sessions and their users by token hash,
// alive at the time of the statement: no earlier than the time of any
// request it answers.
func newSessionReader(store Store, clock Clock) *groupReader[string, *SessionUser] {
	return newGroupReader(func(ctx context.Context, hashes []string) (map[string]*SessionUser, error) {
		live, err := store.FindSessionUsers(ctx, hashes, clock.Now())
		found := make(map[string]*SessionUser, len(live))
		for i := range live {
			found[live[i].Session.TokenHash] = &live[i]
		}
		return found, err
	})
}
