package tuango

import (
	"context"
	"sync"
	"time"
)

// Group commit. Placing an order is validated by the caller, then queued
// here; one goroutine takes everything queued (up to BatchMax, waiting up to
// BatchWindow after the first), applies each order under its own savepoint
// in ONE transaction, in arrival order, commits once and only then answers
// each caller. One fsync carries the whole batch; each order is still
// accepted or refused on its own.

// DefaultBatchMax is the most orders in one transaction by default.
const DefaultBatchMax = 512

type placement struct {
	ctx  context.Context
	req  PlaceOrderRequest
	done chan placed
}

type placed struct {
	order *Order
	err   error
}

type batcher struct {
	svc    *Service
	queue  chan *placement
	max    int
	window time.Duration
	stop   chan struct{}
	wg     sync.WaitGroup
}

func newBatcher(s *Service, max int, window time.Duration) *batcher {
	b := &batcher{svc: s, queue: make(chan *placement, 4*max), max: max, window: window, stop: make(chan struct{})}
	b.wg.Add(1)
	go b.run()
	return b
}

// place queues one placement and waits for its answer. If the caller gives
// up first, the order may still be placed: a retry with the same key finds
// it.
func (b *batcher) place(ctx context.Context, req PlaceOrderRequest) (*Order, error) {
	p := &placement{ctx: ctx, req: req, done: make(chan placed, 1)}
	select {
	case b.queue <- p:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-b.stop:
		return nil, Errorf(CodeUnavailable, "this node is shutting down; retry on another")
	}
	select {
	case r := <-p.done:
		return r.order, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (b *batcher) close() {
	close(b.stop)
	b.wg.Wait()
}

func (b *batcher) run() {
	defer b.wg.Done()
	batch := make([]*placement, 0, b.max)
	for {
		select {
		case <-b.stop:
			return
		case p := <-b.queue:
			batch = append(batch[:0], p)
		}
		batch = b.fill(batch)
		b.commit(batch)
	}
}

// fill adds what is queued to the batch, waiting up to the window for more.
func (b *batcher) fill(batch []*placement) []*placement {
	var deadline <-chan time.Time
	if b.window > 0 {
		t := time.NewTimer(b.window)
		defer t.Stop()
		deadline = t.C
	}
	for len(batch) < b.max {
		select {
		case p := <-b.queue:
			batch = append(batch, p)
			continue
		default:
		}
		if deadline == nil {
			return batch
		}
		select {
		case p := <-b.queue:
			batch = append(batch, p)
		case <-deadline:
			return batch
		}
	}
	return batch
}

// commit applies a batch in one transaction and answers every caller.
func (b *batcher) commit(batch []*placement) {
	s := b.svc
	results := make([]placed, len(batch))
	ctx := context.Background()
	var deals []string
	for _, p := range batch {
		for _, it := range p.req.Items {
			deals = append(deals, it.DealID)
		}
	}
	err := s.store.InTx(ctx, func(tx Store) error {
		now := s.clock.Now()
		// All the batch's deal rows first, in id order (see LockDeals).
		if err := tx.LockDeals(ctx, deals); err != nil {
			return err
		}
		for i, p := range batch {
			if err := p.ctx.Err(); err != nil {
				results[i] = placed{err: err} // its caller is gone; nothing written
				continue
			}
			var o *Order
			err := tx.Savepoint(ctx, func(tx Store) error {
				res, err := s.applyOnce(ctx, tx, p.req.Idem, now, func(tx Store, now time.Time) (any, error) {
					return s.placeOrder(ctx, tx, p.req, now)
				})
				if err == nil {
					o = res.(*Order)
				}
				return err
			})
			results[i] = placed{order: o, err: err}
		}
		return nil
	})
	for i, p := range batch {
		r := results[i]
		if err != nil {
			// The commit failed: nothing in the batch happened.
			r = placed{err: err}
		}
		if r.err != nil {
			r.err = s.settleConflict(p.ctx, p.req.Idem, r.err)
		}
		p.done <- r
	}
}
