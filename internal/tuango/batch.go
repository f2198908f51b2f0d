package tuango

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Group commit. Placing an order is validated by the caller, then queued
// here; one goroutine takes everything queued (up to BatchMax, waiting up to
// BatchWindow after the first), decides each order in arrival order against
// the stock and limits it read under the deals' locks, writes the accepted
// ones as sets in ONE transaction, commits once and only then answers each
// caller. One fsync carries the whole batch; each order is still accepted or
// refused on its own. With BatchMax 1 the caller's goroutine does the same
// for its one order: the plain path.

// DefaultBatchMax is the most orders in one transaction by default.
const DefaultBatchMax = 512

type placement struct {
	ctx    context.Context
	req    PlaceOrderRequest
	done   chan placed
	queued time.Time // wall time, for the batch wait metric only
}

type placed struct {
	ans Once[*Order]
	err error
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
func (b *batcher) place(ctx context.Context, req PlaceOrderRequest) (Once[*Order], error) {
	p := &placement{ctx: ctx, req: req, done: make(chan placed, 1), queued: time.Now()}
	r, err := handOff(ctx, b.queue, b.stop, p, p.done)
	if err != nil {
		return Once[*Order]{}, err
	}
	return r.ans, r.err
}

// handOff queues job for a worker goroutine and waits for its answer on
// done. It gives up when ctx ends, and refuses once stop is closed.
func handOff[J, A any](ctx context.Context, queue chan<- J, stop <-chan struct{}, job J, done <-chan A) (A, error) {
	var none A
	select {
	case queue <- job:
	case <-ctx.Done():
		return none, ctx.Err()
	case <-stop:
		return none, Errorf(CodeUnavailable, "this node is shutting down; retry on another")
	}
	select {
	case a := <-done:
		return a, nil
	case <-ctx.Done():
		// The job is queued or under way: it may still be done.
		return none, fmt.Errorf("%w (%v)", errGaveUp, ctx.Err())
	}
}

// errGaveUp answers a caller that stopped waiting for a queued job: the
// job may still happen, so this is neither a success nor a refusal.
var errGaveUp = &Error{Code: CodeUnavailable, RetryAfter: 2 * time.Second,
	Message: "this took too long and may still be done: retry with the same Idempotency-Key to find out"}

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

// commit applies a batch in one transaction and answers every caller. A
// key that another node committed after this one claimed it makes the
// transaction fail whole; those callers get that node's response and the
// rest of the batch runs again.
func (b *batcher) commit(batch []*placement) { b.svc.commitPlacements(batch) }

func (s *Service) commitPlacements(batch []*placement) {
	ctx := context.Background()
	for attempt := 0; len(batch) > 0; attempt++ {
		live := batch[:0:0]
		for _, p := range batch {
			if err := p.ctx.Err(); err != nil {
				p.done <- placed{err: err} // its caller is gone; nothing written
				continue
			}
			live = append(live, p)
		}
		batch = live
		if len(batch) > 0 && attempt == 0 {
			s.obs.OrderBatch(len(batch), time.Since(batch[0].queued))
		}
		var results []placed
		err := s.store.InTx(ctx, func(tx Store) error {
			var err error
			results, err = s.applyOrders(ctx, tx, batch)
			return err
		})
		if err == nil {
			s.observeCommitted(results)
			for i, p := range batch {
				p.done <- results[i]
			}
			return
		}
		if IsOutcomeUnknown(err) {
			// The connection died during COMMIT: every order of the batch
			// may or may not be placed: neither a success nor a refusal,
			// and not run again here on a database that is going away.
			// Each caller's retry with its key settles it.
			for _, p := range batch {
				p.done <- placed{err: err}
			}
			return
		}
		if ErrorCode(err) != CodeConflict || attempt == 2 {
			for _, p := range batch { // nothing in the batch happened
				p.done <- placed{err: err}
			}
			return
		}
		rest := batch[:0:0]
		for _, p := range batch {
			if ans, rerr := settleBy(ctx, s.store, p.req.Idem, err, replayPlaced); ErrorCode(rerr) != CodeConflict {
				p.done <- placed{ans: ans, err: rerr}
				continue
			}
			rest = append(rest, p)
		}
		batch = rest
	}
}

// applyOrders decides and writes a batch of placements in tx: each order
// accepted or refused on its own, in arrival order, against the deals'
// stock and the customers' limits as they stand in tx, then every accepted
// order (its key's record, see placed.go), its stock and its limit units
// written in a few set statements. It returns one result per placement;
// an error means the transaction must not commit. Every order is decided
// at the time the batch holds its deals' locks (orderState.now).
func (s *Service) applyOrders(ctx context.Context, tx Store, batch []*placement) ([]placed, error) {
	st, err := s.loadOrderState(ctx, tx, batch)
	if err != nil {
		return nil, err
	}
	now := st.now
	results := make([]placed, len(batch))
	var orders []*Order
	for i, p := range batch {
		idem := p.req.Idem
		if ans, done, err := replayPlaced(ctx, tx, st.used[idem.id()], idem); done {
			if c := ErrorCode(err); err != nil && c != CodeIdemKeyReused && c != CodeConflict {
				return nil, err // the order it names could not be read: nothing of the batch is written
			}
			results[i] = placed{ans: ans, err: err}
			continue
		}
		v := decide(st, p.req, orderTerms{id: s.newID("ord"), now: now, timeout: s.cfg.OrderTimeout, flash: s.cfg.FlashOrderTimeout})
		if v.emptied != "" {
			s.soldOut.mark(v.emptied, now)
		}
		if v.err != nil {
			results[i] = placed{err: v.err}
			continue
		}
		asRecordOf(v.order, idem)
		st.take(v.order)
		orders = append(orders, v.order)
		results[i] = placed{ans: Once[*Order]{Value: v.order}}
	}
	if len(orders) == 0 {
		return results, nil
	}
	// One call for the batch's stock, limits, orders and keys: on
	// PostgreSQL one statement, while the deals' locks are held.
	w := OrderWrites{Limits: st.addedUnits(), Orders: orders}
	for _, id := range sortedKeys(st.taken) {
		w.Stock = append(w.Stock, DealUnits{DealID: id, Units: st.taken[id]})
	}
	ok, err := tx.WriteOrders(ctx, w)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, Errorf(CodeInternal, "a deal of the batch changed under its lock")
	}
	for _, o := range st.uses {
		ok, err := tx.UseCustomerCoupon(ctx, o.CustomerCouponID, o.ID, now)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, Errorf(CodeInternal, "coupon %s changed under its lock", o.CustomerCouponID)
		}
	}
	return results, nil
}

// loadOrderState reads the pickup points and closures the batch's orders
// touch and the answers already stored for its idempotency keys, then
// locks its deals, then its customer coupons, and reads the deals, limit
// counters and coupons.
func (s *Service) loadOrderState(ctx context.Context, tx Store, batch []*placement) (*orderState, error) {
	st := &orderState{pps: map[string]*PickupPoint{}, deals: map[string]*Deal{}, costs: map[string]Fen{}, units: map[unitKey]int{},
		taken: map[string]int{}, added: map[unitKey]int{}, used: map[IdemKey]*IdempotencyRecord{},
		coupons: map[string]*CustomerCoupon{}, paid: map[string]bool{}}
	dealSet, ppSet, couponSet := map[string]bool{}, map[string]bool{}, map[string]bool{}
	usersOf := map[string]map[string]bool{}
	keys := make([]IdemKey, 0, len(batch))
	for _, p := range batch {
		keys = append(keys, IdemKey{p.req.Idem.Scope, p.req.Idem.Key})
		ppSet[p.req.PickupPointID] = true
		if p.req.CouponID != "" {
			couponSet[p.req.CouponID] = true
		}
		for _, it := range p.req.Items {
			dealSet[it.DealID] = true
			if usersOf[it.DealID] == nil {
				usersOf[it.DealID] = map[string]bool{}
			}
			usersOf[it.DealID][p.req.UserID] = true
		}
	}
	// What the deals' locks do not guard is read before they are taken,
	// so that the locks are held for fewer round trips (on PostgreSQL the
	// next batch, of this node or another, waits for them until this one
	// has committed): the pickup points, the closures, and the answers
	// stored for the keys. A key that another node commits after this
	// read makes the batch's insert of it fail with conflict, and
	// commitPlacements answers from that node's record.
	pps, err := tx.FindPickupPoints(ctx, PickupPointFilter{IDs: sortedKeys(ppSet)})
	if err != nil {
		return nil, err
	}
	citySet := map[string]bool{}
	for i := range pps {
		st.pps[pps[i].ID] = &pps[i]
		citySet[pps[i].CityID] = true
	}
	if st.shut, err = tx.FindClosures(ctx, sortedKeys(citySet), sortedKeys(ppSet), s.clock.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)); err != nil {
		return nil, err
	}
	recs, err := tx.FindIdempotencies(ctx, keys)
	if err != nil {
		return nil, err
	}
	for i := range recs {
		st.used[IdemKey{recs[i].Scope, recs[i].Key}] = &recs[i]
	}
	if keysReadHook != nil {
		keysReadHook()
	}
	dealIDs := sortedKeys(dealSet)
	// Then all the batch's deal rows, in id order (see Store.Lock); the
	// stock and the limit counters are read under their locks.
	if err := tx.Lock(ctx, EntityDeal, dealIDs...); err != nil {
		return nil, err
	}
	// The batch's time, read once it holds the locks: a batch that waited
	// for them while the cutoff ended a deal's sale decides after that
	// end, as the deal it reads now says, not before it.
	st.now = s.clock.Now()
	deals, err := tx.FindDeals(ctx, DealFilter{IDs: dealIDs})
	if err != nil {
		return nil, err
	}
	costOf := map[string]Fen{}
	for i := range deals {
		st.deals[deals[i].ID] = &deals[i]
		cost, ok := costOf[deals[i].ProductID]
		if !ok {
			p, err := tx.FindProductByID(ctx, deals[i].ProductID)
			if err != nil {
				return nil, err
			}
			cost, costOf[p.ID] = p.CostFen, p.CostFen
		}
		st.costs[deals[i].ID] = cost
	}
	for _, id := range dealIDs {
		if st.deals[id] == nil {
			continue
		}
		units, err := tx.FindLimitUnits(ctx, id, sortedKeys(usersOf[id]))
		if err != nil {
			return nil, err
		}
		for u, n := range units {
			st.units[unitKey{u, id}] = n
		}
	}
	if err := s.loadCoupons(ctx, tx, st, sortedKeys(couponSet)); err != nil {
		return nil, err
	}
	if err := s.loadUnpaid(ctx, tx, st, batch); err != nil {
		return nil, err
	}
	return st, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// loadCoupons locks and reads the customer coupons a batch names, after
// its deals (see Store.Lock), so that two batches on two nodes using one
// coupon are decided one after the other, and reads whether each of
// their holders of a new-customer coupon has paid for an order before.
func (s *Service) loadCoupons(ctx context.Context, tx Store, st *orderState, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := tx.Lock(ctx, EntityCustomerCoupon, ids...); err != nil {
		return err
	}
	cs, err := tx.FindCustomerCoupons(ctx, CustomerCouponFilter{IDs: ids})
	if err != nil {
		return err
	}
	for i := range cs {
		c := &cs[i]
		st.coupons[c.ID] = c
		if _, done := st.paid[c.UserID]; done || c.Coupon.Kind != CouponNewCustomer {
			continue
		}
		if st.paid[c.UserID], err = tx.HasPaidOrder(ctx, c.UserID); err != nil {
			return err
		}
	}
	return nil
}

// loadUnpaid locks the batch's customers, after its deals and coupons (see
// Store.Lock), and counts their unpaid orders, so that two batches on two
// nodes cannot both take a customer past the cap.
func (s *Service) loadUnpaid(ctx context.Context, tx Store, st *orderState, batch []*placement) error {
	st.unpaid, st.maxUnpaid = map[string]int{}, s.cfg.MaxUnpaidOrders
	if st.maxUnpaid <= 0 {
		return nil
	}
	users := map[string]bool{}
	for _, p := range batch {
		users[p.req.UserID] = true
	}
	ids := sortedKeys(users)
	if err := tx.Lock(ctx, EntityUser, ids...); err != nil {
		return err
	}
	var err error
	st.unpaid, err = tx.CountUnpaidOrders(ctx, ids, st.now)
	return err
}
