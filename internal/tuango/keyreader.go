package tuango

import (
	"context"
	"sync"
)

// A refusal from memory (sold out) must still give a retried key its
// first answer, so it reads the key first. After a sell-out those reads
// come tens of thousands a second, and one read per refusal cost more
// than the rest of the refusal. The key reader groups them like group
// commit groups orders: each of its goroutines takes whatever lookups are
// queued (up to keyReadMax) and finds them all in one statement on a
// reader connection, then answers each.

const (
	keyReadMax     = 128 // keys looked up in one statement at most
	keyReadWorkers = 2   // statements under way at once
)

type keyLookup struct {
	key  IdemKey
	done chan keyFound
}

type keyFound struct {
	rec *IdempotencyRecord
	err error
}

type keyReader struct {
	store Store
	queue chan *keyLookup
	stop  chan struct{}
	wg    sync.WaitGroup
}

func newKeyReader(store Store) *keyReader {
	r := &keyReader{store: store, queue: make(chan *keyLookup, 4*keyReadMax), stop: make(chan struct{})}
	for range keyReadWorkers {
		r.wg.Add(1)
		go r.run()
	}
	return r
}

// find returns the record of key, or nil if it has none.
func (r *keyReader) find(ctx context.Context, key IdemKey) (*IdempotencyRecord, error) {
	l := &keyLookup{key: key, done: make(chan keyFound, 1)}
	f, err := handOff(ctx, r.queue, r.stop, l, l.done)
	if err != nil {
		return nil, err
	}
	return f.rec, f.err
}

func (r *keyReader) run() {
	defer r.wg.Done()
	batch := make([]*keyLookup, 0, keyReadMax)
	keys := make([]IdemKey, 0, keyReadMax)
	for {
		select {
		case <-r.stop:
			return
		case l := <-r.queue:
			batch = append(batch[:0], l)
		}
	fill:
		for len(batch) < keyReadMax {
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
		recs, err := r.store.FindIdempotencies(context.Background(), keys)
		found := make(map[IdemKey]*IdempotencyRecord, len(recs))
		for i := range recs {
			found[IdemKey{recs[i].Scope, recs[i].Key}] = &recs[i]
		}
		for _, l := range batch {
			l.done <- keyFound{rec: found[l.key], err: err}
		}
	}
}

func (r *keyReader) close() {
	close(r.stop)
	r.wg.Wait()
}
