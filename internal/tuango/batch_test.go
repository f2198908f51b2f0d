package tuango_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"tuango/internal/auth"
	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// node returns another Service on the same store: a second node of a
// cluster, or the same node with other settings.
func (w *world) node(cfg tuango.Config) *tuango.Service {
	svc := tuango.NewService(w.db.Store(), w.clock, nil, auth.NewHasher(auth.Params{Time: 1, Memory: 64, Threads: 1}, 2), nil, cfg, nil)
	return svc
}

// placeOne places an order for one unit of the world's deal on svc.
func (w *world) placeOne(svc *tuango.Service, who tuango.Actor, idem *tuango.Idempotency) (tuango.Once[*tuango.Order], error) {
	return svc.PlaceOrder(context.Background(), who, tuango.PlaceOrderRequest{PickupPointID: w.pp,
		Items: []tuango.OrderItem{{DealID: w.deal, Quantity: 1}}, Idem: idem})
}

func idem(scope, key string) *tuango.Idempotency {
	return &tuango.Idempotency{Scope: scope, Key: key, Fingerprint: key}
}

// Group commit on and off, on one node and on two: stock, limits and keys
// hold whatever shares a transaction.
func TestGroupCommitKeepsEveryRule(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   tuango.Config
		nodes int
	}{
		{"plain path (batch of one)", tuango.Config{BatchMax: 1}, 1},
		{"group commit", tuango.Config{BatchMax: 64}, 1},
		{"group commit with a window", tuango.Config{BatchMax: 64, BatchWindow: 2 * time.Millisecond}, 1},
		{"group commit on two nodes", tuango.Config{BatchMax: 64}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, storetest.DSN(t), 50)
			ctx := context.Background()
			nodes := make([]*tuango.Service, tc.nodes)
			for i := range nodes {
				nodes[i] = w.node(tc.cfg)
				defer nodes[i].Close()
			}
			buyers := make([]tuango.Actor, 120)
			for i := range buyers {
				buyers[i] = w.customer(t, fmt.Sprintf("1370000%04d", i))
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			codes := map[string]int{}
			orders := map[string]string{} // user+key → order id
			for i, b := range buyers {
				for k := range 3 { // each buyer asks three times; one key is sent twice, once to each node
					key := fmt.Sprintf("k%d", k%2)
					svc := nodes[(i+k/2)%len(nodes)]
					wg.Add(1)
					go func() {
						defer wg.Done()
						o, err := svc.PlaceOrder(ctx, b, tuango.PlaceOrderRequest{PickupPointID: w.pp,
							Items: []tuango.OrderItem{{DealID: w.deal, Quantity: 1}}, Idem: idem(b.UserID, key)})
						mu.Lock()
						defer mu.Unlock()
						if err == nil && o.Replayed {
							codes["replay"]++
						} else {
							codes[tuango.ErrorCode(err)]++
						}
						if err == nil {
							if prev, dup := orders[b.UserID+key]; dup && prev != o.Value.ID {
								t.Errorf("key %s of %s made two orders: %s and %s", key, b.UserID, prev, o.Value.ID)
							}
							orders[b.UserID+key] = o.Value.ID
						}
					}()
				}
			}
			wg.Wait()
			for code := range codes {
				switch code {
				case "", "replay", tuango.CodeSoldOut, tuango.CodeIdemKeyInFlight:
				default:
					t.Errorf("unexpected outcome %q (%d times)", code, codes[code])
				}
			}
			if codes[""] != 50 || len(orders) != 50 {
				t.Errorf("placed %d orders (%d distinct), want exactly the 50 in stock; outcomes %v", codes[""], len(orders), codes)
			}
			if r := w.reserved(t); r != 50 {
				t.Errorf("reserved = %d, want 50", r)
			}
			var units int
			for _, b := range buyers {
				n, err := w.db.Store().CountLiveUnits(ctx, b.UserID, w.deal)
				must(t, err)
				units += n
				if n > 50 {
					t.Errorf("%s has %d units", b.UserID, n)
				}
			}
			if units != 50 {
				t.Errorf("units in live orders = %d, want 50", units)
			}
		})
	}
}

// In one batch, an order refused for its limit leaves the others alone.
func TestGroupCommitRefusesOrdersOneByOne(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 1000)
	svc := w.node(tuango.Config{BatchMax: 256, BatchWindow: 20 * time.Millisecond})
	defer svc.Close()
	ctx := context.Background()
	a := w.customer(t, "13600000001")
	var wg sync.WaitGroup
	results := make([]error, 20)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			qty := 1 + i%2*40 // 1 or 41 units; the limit is 50
			_, results[i] = svc.PlaceOrder(ctx, a, tuango.PlaceOrderRequest{PickupPointID: w.pp,
				Items: []tuango.OrderItem{{DealID: w.deal, Quantity: qty}}, Idem: idem(a.UserID, fmt.Sprint(i))})
		}()
	}
	wg.Wait()
	n, err := w.db.Store().CountLiveUnits(ctx, a.UserID, w.deal)
	must(t, err)
	accepted, limited := 0, 0
	for _, err := range results {
		switch tuango.ErrorCode(err) {
		case "":
			accepted++
		case tuango.CodeLimitExceeded:
			limited++
		default:
			t.Errorf("outcome %v", err)
		}
	}
	if n > 50 || accepted == 0 || limited == 0 || accepted+limited != 20 {
		t.Errorf("units %d (limit 50), accepted %d, limited %d", n, accepted, limited)
	}
	if r := w.reserved(t); r != n {
		t.Errorf("reserved %d, units in orders %d; want equal", r, n)
	}
}

// Once a deal sells out, refusals come from memory; a cancellation on this
// node brings the deal back at once.
func TestSoldOutIsRememberedAndForgotten(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 1)
	svc := w.node(tuango.Config{BatchMax: 8})
	defer svc.Close()
	ctx := context.Background()
	a, b := w.customer(t, "13500000001"), w.customer(t, "13500000002")
	place := func(who tuango.Actor, key string) (*tuango.Order, error) {
		ans, err := w.placeOne(svc, who, idem(who.UserID, key))
		return ans.Value, err
	}
	o, err := place(a, "1")
	must(t, err)
	if _, err := place(b, "1"); tuango.ErrorCode(err) != tuango.CodeSoldOut {
		t.Fatalf("second order = %v, want sold_out", err)
	}
	// The database now says there is stock, but this node remembers.
	must(t, w.db.Store().ReleaseStock(ctx, w.deal, 1))
	if _, err := place(b, "2"); tuango.ErrorCode(err) != tuango.CodeSoldOut {
		t.Errorf("order within the TTL = %v, want sold_out from memory", err)
	}
	must(t, w.db.Store().InTx(ctx, func(tx tuango.Store) error { _, err := tx.ReserveStock(ctx, w.deal, 1); return err }))
	if _, err := svc.CancelOrder(ctx, a, o.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := place(b, "3"); err != nil {
		t.Errorf("order after a cancellation on this node = %v, want success", err)
	}
	if _, err := place(a, "4"); tuango.ErrorCode(err) != tuango.CodeSoldOut {
		t.Errorf("order after it sold out again = %v, want sold_out", err)
	}
	w.clock.Advance(tuango.SoldOutTTL)
	must(t, w.db.Store().ReleaseStock(ctx, w.deal, 1))
	if _, err := place(a, "5"); err != nil {
		t.Errorf("order after the TTL, with stock back = %v, want success", err)
	}
}

// A key that already has an answer gets that answer again, whether its
// retry shares a batch with new orders or arrives after the deal sold out
// (when refusals come from memory): never sold_out for an order it placed.
func TestRetriedKeyGetsItsFirstAnswer(t *testing.T) {
	for _, cfg := range []tuango.Config{{BatchMax: 1}, {BatchMax: 64, BatchWindow: 20 * time.Millisecond}} {
		t.Run(fmt.Sprint("batch max ", cfg.BatchMax), func(t *testing.T) {
			w := newWorld(t, storetest.DSN(t), 6)
			svc := w.node(cfg)
			defer svc.Close()
			ctx := context.Background()
			a := w.customer(t, "13400000001")
			place := func(who tuango.Actor, idem *tuango.Idempotency) (tuango.Once[*tuango.Order], error) {
				return w.placeOne(svc, who, idem)
			}
			first, err := place(a, idem(a.UserID, "first"))
			must(t, err)
			wantReplay := func(ans tuango.Once[*tuango.Order], err error, what string) {
				t.Helper()
				if err != nil || !ans.Replayed || ans.Value.ID != first.Value.ID || ans.Value.Status != tuango.OrderPendingPayment {
					t.Errorf("%s = %+v, %v; want the first answer (order %s) replayed", what, ans, err, first.Value.ID)
				}
			}
			// The retry and four new orders together; with a window they
			// share one batch.
			var wg sync.WaitGroup
			errs := make([]error, 5)
			var retried tuango.Once[*tuango.Order]
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if i == 0 {
						retried, errs[i] = place(a, idem(a.UserID, "first"))
						return
					}
					b := w.customer(t, fmt.Sprintf("1340000100%d", i))
					_, errs[i] = place(b, idem(b.UserID, "new"))
				}()
			}
			wg.Wait()
			wantReplay(retried, errs[0], "a retry beside new orders")
			for i, err := range errs[1:] {
				if err != nil {
					t.Errorf("new order %d beside a retry = %v", i+1, err)
				}
			}
			// One unit is left: the next order takes it and the one after
			// sells out, which this node now remembers.
			c := w.customer(t, "13400000002")
			_, err = place(c, idem(c.UserID, "last"))
			must(t, err)
			if _, err := place(c, idem(c.UserID, "late")); tuango.ErrorCode(err) != tuango.CodeSoldOut {
				t.Fatalf("order after the last unit = %v, want sold_out", err)
			}
			ans, err := place(a, idem(a.UserID, "first"))
			wantReplay(ans, err, "a retry after the sell-out")
			other := idem(a.UserID, "first")
			other.Fingerprint = "another request"
			if _, err := place(a, other); tuango.ErrorCode(err) != tuango.CodeIdemKeyReused {
				t.Errorf("the key with another request after the sell-out = %v, want idempotency_key_reused", err)
			}
			if r := w.reserved(t); r != 6 {
				t.Errorf("reserved = %d, want 6", r)
			}
			if o, err := w.db.Store().FindOrderByID(ctx, first.Value.ID); err != nil || o.Status != tuango.OrderPendingPayment {
				t.Errorf("the first order = %v, %v; want it pending payment", o, err)
			}
		})
	}
}

// After a sell-out, many refusals at once share key reads: each retried
// key still gets its own first answer, and each new key gets sold_out.
func TestRefusalsFromMemoryReadTheirKeysTogether(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 40)
	svc := w.node(tuango.Config{BatchMax: 64})
	defer svc.Close()
	buyers := make([]tuango.Actor, 40)
	firsts := make([]string, len(buyers))
	for i := range buyers {
		buyers[i] = w.customer(t, fmt.Sprintf("1330000%04d", i))
		ans, err := w.placeOne(svc, buyers[i], idem(buyers[i].UserID, fmt.Sprint("first-", i)))
		if err != nil {
			t.Fatal(err)
		}
		firsts[i] = ans.Value.ID
	}
	late := w.customer(t, "13300009999")
	if _, err := w.placeOne(svc, late, idem(late.UserID, "late")); tuango.ErrorCode(err) != tuango.CodeSoldOut {
		t.Fatalf("order after the sell-out = %v, want sold_out", err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2*len(buyers))
	answers := make([]tuango.Once[*tuango.Order], 2*len(buyers))
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := buyers[i/2]
			key := fmt.Sprint("first-", i/2) // a retry
			if i%2 == 1 {
				key = fmt.Sprint("new-", i/2)
			}
			answers[i], errs[i] = w.placeOne(svc, b, idem(b.UserID, key))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if i%2 == 1 {
			if tuango.ErrorCode(err) != tuango.CodeSoldOut {
				t.Errorf("new order %d after the sell-out = %v, want sold_out", i/2, err)
			}
			continue
		}
		if ans := answers[i]; err != nil || !ans.Replayed || ans.Value.ID != firsts[i/2] {
			t.Errorf("retry %d after the sell-out = %+v, %v; want its own first answer, order %s", i/2, ans, err, firsts[i/2])
		}
	}
}
