package jobs

import (
	"context"
	"sync"
	"testing"
	"time"

	"tuango/internal/payment"
	"tuango/internal/sqlstore"
	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// The send_payouts sweep of two nodes at once, on one database: the lease
// lets one run it, and an approved payout is sent and paid once, whichever
// node's sweep takes it.
func TestPayoutSweepPaysOnceAcrossNodes(t *testing.T) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, storetest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clock := tuango.NewManualClock(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC))
	st := db.Store()
	p := &tuango.Payout{ID: tuango.RandomID("stl"), Kind: tuango.PayoutSettlement, PartyID: "sup_a", AmountFen: 500,
		Status: tuango.PayoutApproved, PeriodTo: "2026-11-24", CreatedAt: clock.Now()}
	if err := st.CreatePayout(ctx, p); err != nil {
		t.Fatal(err)
	}
	var runners []*Runner
	var tasks []Task
	for _, node := range []string{"node-a", "node-b"} {
		svc := tuango.NewService(st, clock, nil, nil, nil, tuango.Config{}, nil)
		svc.SetPayoutProvider(payment.NewPayoutSandbox(st, clock))
		var task Task
		for _, tk := range Sweeps(svc, time.Second) {
			if tk.Name == "send_payouts" {
				task = tk
			}
		}
		if task.Run == nil {
			t.Fatal("Sweeps has no send_payouts")
		}
		runners, tasks = append(runners, NewRunner(st, clock, node, nil, task)), append(tasks, task)
	}
	for round := 0; round < 3; round++ {
		var wg sync.WaitGroup
		for i := range runners {
			wg.Add(1)
			go func(i int) { defer wg.Done(); runners[i].RunOnce(ctx, tasks[i]) }(i)
		}
		wg.Wait()
		clock.Advance(2 * time.Second)
	}
	got, err := st.FindPayoutByID(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != tuango.PayoutPaid {
		t.Errorf("payout = %s, want paid", got.Status)
	}
	if n, err := st.CountSandboxPayouts(ctx); err != nil || n != 1 {
		t.Errorf("provider payouts = %d, %v; want 1", n, err)
	}
	if has, err := st.HasLedgerSet(ctx, "payout_paid:"+p.ID); err != nil || !has {
		t.Errorf("payout_paid set = %v, %v; want one", has, err)
	}
}
