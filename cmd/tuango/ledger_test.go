package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"tuango/internal/auth"
	"tuango/internal/demo"
	"tuango/internal/payment"
	"tuango/internal/sqlstore"
	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// tuango ledger verify on a real database: clean after demo data and a few
// paid, cancelled and refunded orders; then broken on purpose, row by row,
// it exits 1 and names each violation.
func TestLedgerVerifyCommand(t *testing.T) {
	dsn := storetest.DSN(t)
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	sum, err := demo.Seed(ctx, db.Store(), auth.NewHasher(auth.Params{Time: 1, Memory: 64, Threads: 1}, 1), now, 1)
	if err != nil {
		t.Fatal(err)
	}
	clock := tuango.NewManualClock(now)
	sb := payment.NewSandbox(db.Store(), clock, []byte("k"), "http://127.0.0.1:1", nil)
	defer sb.Close()
	svc := tuango.NewService(db.Store(), clock, nil, nil, sb, tuango.Config{}, nil)
	deals, err := db.Store().FindDeals(ctx, tuango.DealFilter{CityID: sum.CityID, LiveAt: now})
	if err != nil || len(deals) == 0 {
		t.Fatalf("demo deals = %d, %v", len(deals), err)
	}
	var orders []string
	for i, phone := range []string{"13900001001", "13900001002", "13900001003"} {
		u, err := db.Store().FindUserByPhone(ctx, phone)
		if err != nil {
			t.Fatal(err)
		}
		a := tuango.Actor{UserID: u.ID, Role: u.Role}
		o, err := svc.PlaceOrder(ctx, a, tuango.PlaceOrderRequest{PickupPointID: u.HomePickupPointID,
			Items: []tuango.OrderItem{{DealID: deals[i].ID, Quantity: 1}}, Idem: &tuango.Idempotency{Scope: u.ID, Key: "o", Fingerprint: "o"}})
		if err != nil {
			t.Fatal(err)
		}
		p, err := svc.CreatePayment(ctx, a, o.Value.ID, &tuango.Idempotency{Scope: u.ID, Key: "p", Fingerprint: "p"})
		if err != nil {
			t.Fatal(err)
		}
		if err := sb.Confirm(ctx, p.Value.ID, u.ID); err != nil {
			t.Fatal(err)
		}
		clock.Advance(tuango.ReconcileAfter + time.Second)
		if _, err := svc.Reconcile(ctx, 100); err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			if _, err := svc.CancelOrder(ctx, a, o.Value.ID); err != nil {
				t.Fatal(err)
			}
		}
		orders = append(orders, o.Value.ID)
	}
	if _, err := svc.SendRefunds(ctx, 100); err != nil {
		t.Fatal(err)
	}
	db.Close()

	verify := func() (string, error) {
		var out, errb bytes.Buffer
		err := run(ctx, []string{"ledger", "verify", "--data", dsn, "--db", dsn}, env(nil), nil, &out, &errb)
		return out.String() + errb.String(), err
	}
	out, err := verify()
	if err != nil || !strings.Contains(out, "every rule holds") || !strings.Contains(out, "customer_payments") || !strings.Contains(out, "total") {
		t.Fatalf("verify on a clean database = %v:\n%s", err, out)
	}

	// Everything here was posted live: the backfill finds nothing to add,
	// and verification still holds.
	var bout, berr bytes.Buffer
	if err := run(ctx, []string{"ledger", "backfill", "--data", dsn, "--db", dsn}, env(nil), nil, &bout, &berr); err != nil || !strings.Contains(bout.String(), "0 sets posted") {
		t.Fatalf("ledger backfill = %v:\n%s%s", err, bout.String(), berr.String())
	}
	if out, err := verify(); err != nil {
		t.Fatalf("verify after the backfill = %v:\n%s", err, out)
	}

	raw, _, err := sqlstore.OpenRaw(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	exec := func(q string) {
		t.Helper()
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`UPDATE ledger_transfers SET amount_fen = amount_fen + 1 WHERE account = 'provider_clearing' AND order_id = '` + orders[0] + `'`)
	exec(`UPDATE sandbox_payments SET amount_fen = amount_fen + 1 WHERE payment_id IN (SELECT id FROM payments WHERE order_id = '` + orders[1] + `')`)
	exec(`UPDATE refunds SET amount_fen = amount_fen + 5 WHERE order_id = '` + orders[2] + `'`)
	out, err = verify()
	if err == nil {
		t.Fatalf("verify on a broken database succeeded:\n%s", out)
	}
	for _, kind := range []string{tuango.ViolationUnbalancedSet, tuango.ViolationTrialBalance, tuango.ViolationProvider,
		tuango.ViolationRefundUnposted, tuango.ViolationRefundExceedsPaid} {
		if !strings.Contains(out, "VIOLATION "+kind+":") {
			t.Errorf("verify did not list %s:\n%s", kind, out)
		}
	}
}
