package tuango_test

import (
	"context"
	"testing"

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
	defer tuango.SetLookedUpHook(func() {
		if ran {
			return
		}
		ran = true
		var err error
		first, err = w.svc.SignDelivery(ctx, leader, req) // the first attempt, on its node
		must(t, err)
	})()
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
