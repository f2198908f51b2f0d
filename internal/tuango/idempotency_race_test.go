package tuango_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// A leader's sign-off is retried on another node while the first attempt,
// whose answer was lost, is still running: the retry looks the key up
// before the first commits and runs its effect after, finding the
// delivery signed. It must answer with the first attempt's result, not
// already_signed (found by tuango chaos on PostgreSQL).
func TestRetryRacingItsFirstAttemptGetsItsAnswer(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 100)
	ctx := context.Background()
	const date = "2026-11-26"
	a := w.customer(t, "13900000401")
	w.pay(t, a, w.order(t, a, "k", 3))
	_, err := w.svc.Cutoff(ctx, w.op, "cty_1", date)
	must(t, err)
	leader := w.leader(t, "13900000499")
	shipAll(t, w, date)
	other := w.node(tuango.Config{})
	req := tuango.SignRequest{DeliveryDate: date, Lines: []tuango.SignLine{{DealID: w.deal, Received: 2}}, Idem: idem(leader.UserID, "sign")}

	var first tuango.Once[*tuango.SignResult]
	ran := false
	defer tuango.SetLookedUpHook(firstCall(&ran, func() {
		var err error
		first, err = w.svc.SignDelivery(ctx, leader, req) // the first attempt, on its node
		must(t, err)
	}))()
	retry, err := other.SignDelivery(ctx, leader, req)
	if err != nil {
		t.Fatalf("the retry = %v, want the first attempt's answer", err)
	}
	if !ran || first.Replayed || !retry.Replayed {
		t.Errorf("first replayed %v, retry replayed %v (hook ran %v); want the first done and the retry a replay", first.Replayed, retry.Replayed, ran)
	}
	if len(retry.Value.Refunds) != 1 || len(first.Value.Refunds) != 1 || retry.Value.Refunds[0] != first.Value.Refunds[0] {
		t.Errorf("retry refunds %+v, first %+v; want the same one refund", retry.Value.Refunds, first.Value.Refunds)
	}
}

// A placement retried on another node while its first attempt is still
// running: the retry reads the key unanswered, the first attempt commits
// its order (the key's record) before the retry locks the deal, and the
// retry's insert of an order under the same key fails. The retry must
// answer with the first attempt's order, replayed, and take no unit.
// Only PostgreSQL runs two nodes' transactions side by side: on SQLite
// the batch's key read and its insert share the one write transaction.
func TestPlacementRacingItsFirstAttemptOnAnotherNode(t *testing.T) {
	for _, cfg := range []tuango.Config{{BatchMax: 1}, {BatchMax: 64}} {
		t.Run(fmt.Sprint("batch max ", cfg.BatchMax), func(t *testing.T) {
			w := newWorld(t, storetest.PostgresDSN(t), 10)
			a := w.customer(t, "13900000402")
			retryNode := w.node(cfg)
			defer retryNode.Close()
			var first tuango.Once[*tuango.Order]
			var firstErr error
			ran := false
			defer tuango.SetKeysReadHook(firstCall(&ran, func() {
				first, firstErr = w.placeOne(w.svc, a, idem(a.UserID, "k")) // the first attempt, on its node
			}))()
			retry, err := w.placeOne(retryNode, a, idem(a.UserID, "k"))
			must(t, firstErr)
			if err != nil {
				t.Fatalf("the retry = %v, want the first attempt's answer", err)
			}
			if !ran || first.Replayed || !retry.Replayed || retry.Value.ID != first.Value.ID {
				t.Errorf("first %s (replayed %v), retry %s (replayed %v), hook ran %v; want the first placed and the retry its replay",
					first.Value.ID, first.Replayed, retry.Value.ID, retry.Replayed, ran)
			}
			if r := w.reserved(t); r != 1 {
				t.Errorf("reserved = %d, want 1: one order", r)
			}
			orders, err := w.db.Store().FindOrders(context.Background(), tuango.OrderFilter{UserID: a.UserID})
			must(t, err)
			if len(orders) != 1 {
				t.Errorf("the customer has %d orders, want 1", len(orders))
			}
		})
	}
}

// An operator's change under an optional key, retried on another node
// while its first attempt is still running: the retry finds the key
// unanswered, the first attempt commits, and the retry's own effect then
// meets the first's record of the key. The retry must roll its effect
// back and answer with the first attempt's result, replayed.
func TestOptionalKeyRacingItsFirstAttemptOnAnotherNode(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 10)
	ctx := context.Background()
	other := w.node(tuango.Config{})
	key := idem(w.op.UserID, "supplier")
	create := func(svc *tuango.Service, name string) func(context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			sup := &tuango.Supplier{Name: name}
			err := svc.CreateSupplier(ctx, w.op, sup)
			return sup.ID, err
		}
	}
	before, err := w.db.Store().FindSuppliers(ctx)
	must(t, err)
	var first tuango.Once[string]
	ran := false
	defer tuango.SetLookedUpHook(firstCall(&ran, func() {
		var err error
		first, err = tuango.OnceIfKeyed(ctx, w.svc, key, create(w.svc, "第一次的供应商")) // the first attempt, on its node
		must(t, err)
	}))()
	retry, err := tuango.OnceIfKeyed(ctx, other, key, create(other, "重试的供应商"))
	if err != nil {
		t.Fatalf("the retry = %v, want the first attempt's answer", err)
	}
	if !ran || first.Replayed || !retry.Replayed || retry.Value != first.Value || first.Value == "" {
		t.Errorf("first %+v, retry %+v (hook ran %v); want the first done and the retry its replay", first, retry, ran)
	}
	after, err := w.db.Store().FindSuppliers(ctx)
	must(t, err)
	if len(after) != len(before)+1 {
		t.Errorf("suppliers %d → %d, want one more: the retry's own supplier must roll back", len(before), len(after))
	}
	for _, s := range after {
		if s.Name == "重试的供应商" {
			t.Errorf("the retry's supplier %s was kept", s.ID)
		}
	}
}

// firstCall is fn run on the first call only, noting in ran that it ran:
// a hook that plays the first attempt once, not again when that attempt
// passes the same point itself.
func firstCall(ran *bool, fn func()) func() {
	return func() {
		if *ran {
			return
		}
		*ran = true
		fn()
	}
}

// A batch waits for its deal's lock while the deal's sale is ended (as
// the cutoff ends the sales of its city, under that lock) and the clock
// passes the new end. The batch must decide its orders at the time it
// holds the lock, and refuse this one as no longer on sale: decided at
// the time it had before it waited, it accepted an order the sale's end
// had already closed out. Only PostgreSQL lets another transaction change
// the deal while a batch waits: on SQLite the batch's transaction holds
// the one writer from its start.
func TestAnOrderIsDecidedWhenItsDealsAreLocked(t *testing.T) {
	for _, cfg := range []tuango.Config{{BatchMax: 1}, {BatchMax: 64}} {
		t.Run(fmt.Sprint("batch max ", cfg.BatchMax), func(t *testing.T) {
			w := newWorld(t, storetest.PostgresDSN(t), 10)
			ctx := context.Background()
			a := w.customer(t, "13900000403")
			node := w.node(cfg)
			defer node.Close()
			ran := false
			defer tuango.SetKeysReadHook(firstCall(&ran, func() { // after the batch read its clock before, now before its lock
				ended := w.clock.Now().Add(time.Second)
				_, err := w.svc.UpdateDeal(ctx, w.op, w.deal, func(d *tuango.Deal) error { d.SaleEndsAt = ended; return nil })
				must(t, err)
				w.clock.Advance(2 * time.Second)
			}))()
			_, err := w.placeOne(node, a, idem(a.UserID, "late"))
			if !ran {
				t.Fatal("the hook did not run")
			}
			if tuango.ErrorCode(err) != tuango.CodeDealNotLive {
				t.Errorf("the order after its deal's sale ended = %v, want %s", err, tuango.CodeDealNotLive)
			}
			if r := w.reserved(t); r != 0 {
				t.Errorf("reserved = %d, want 0", r)
			}
		})
	}
}
