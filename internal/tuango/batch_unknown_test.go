package tuango_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tuango/internal/auth"
	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// cutAtCommit is the real store whose transactions, when cut is set, lose
// their connection after their last statement and before their COMMIT:
// the server terminates the backend, as when the primary dies then.
type cutAtCommit struct {
	tuango.Store
	admin *sql.DB
	cut   atomic.Bool
}

func (c *cutAtCommit) InTx(ctx context.Context, fn func(tx tuango.Store) error) error {
	return c.Store.InTx(ctx, func(tx tuango.Store) error {
		if err := fn(tx); err != nil || !c.cut.Load() {
			return err
		}
		// The private server's only session idle in a transaction is this
		// one, waiting to send COMMIT; wait until it is gone.
		var n int
		if err := c.admin.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE state = 'idle in transaction' AND pid <> pg_backend_pid()`).Scan(&n); err != nil || n != 1 {
			return fmt.Errorf("terminate the transaction's backend: %d terminated, %v", n, err)
		}
		for i := 0; i < 100; i++ {
			if err := c.admin.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'`).Scan(&n); err == nil && n == 0 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		return nil
	})
}

// A batch whose connection dies before its COMMIT is answered as
// unknown — 503, never placed, never refused — for every order in it; the
// retries with the same keys then place each order once.
func TestBatchCutAtCommitIsOutcomeUnknown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a private PostgreSQL cluster")
	}
	pg := storetest.StartPostgres(t)
	w := newWorld(t, pg.URL, 50)
	admin, err := sql.Open("pgx", pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	store := &cutAtCommit{Store: w.db.Store(), admin: admin}
	svc := tuango.NewService(store, w.clock, nil, auth.NewHasher(auth.Params{Time: 1, Memory: 64, Threads: 1}, 2), nil,
		tuango.Config{BatchMax: 64, BatchWindow: 20 * time.Millisecond}, nil)
	defer svc.Close()
	buyers := make([]tuango.Actor, 4)
	for i := range buyers {
		buyers[i] = w.customer(t, fmt.Sprintf("1371111%04d", i))
	}
	place := func(b tuango.Actor) (tuango.Once[*tuango.Order], error) {
		return svc.PlaceOrder(context.Background(), b, tuango.PlaceOrderRequest{PickupPointID: w.pp,
			Items: []tuango.OrderItem{{DealID: w.deal, Quantity: 1}}, Idem: idem(b.UserID, "cut")})
	}

	store.cut.Store(true)
	var wg sync.WaitGroup
	errs := make([]error, len(buyers))
	for i, b := range buyers {
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = place(b) }()
	}
	wg.Wait()
	store.cut.Store(false)
	for i, err := range errs {
		if !tuango.IsOutcomeUnknown(err) || tuango.ErrorCode(err) != tuango.CodeUnavailable {
			t.Errorf("buyer %d: PlaceOrder with the COMMIT cut = %v; want the outcome unknown (unavailable)", i, err)
		}
	}
	d, err := w.db.Store().FindDealByID(context.Background(), w.deal)
	if err != nil || d.Reserved != 0 {
		t.Fatalf("after the cut COMMIT the deal has %d reserved (%v); want 0: the server never committed", d.Reserved, err)
	}

	ids := map[string]string{}
	for round := 0; round < 2; round++ { // the retry settles it; the one after replays it
		for i, b := range buyers {
			o, err := place(b)
			if err != nil {
				t.Fatalf("retry %d of buyer %d: %v", round+1, i, err)
			}
			if first, ok := ids[b.UserID]; ok && first != o.Value.ID {
				t.Errorf("buyer %d: the second retry answered order %s, the first %s", i, o.Value.ID, first)
			}
			ids[b.UserID] = o.Value.ID
		}
	}
	if d, _ := w.db.Store().FindDealByID(context.Background(), w.deal); d.Reserved != len(buyers) {
		t.Errorf("after the retries the deal has %d reserved; want %d, one per key", d.Reserved, len(buyers))
	}
}
