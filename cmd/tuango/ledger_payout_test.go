package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"tuango/internal/sqlstore"
	"tuango/internal/storetest"
)

// tuango ledger verify reads the payout sandbox's records: a payout the
// provider paid that tuango never made is listed, and the command fails.
func TestLedgerVerifyCommandReadsThePayoutProvider(t *testing.T) {
	dsn := storetest.DSN(t)
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	verify := func() (string, error) {
		var out, errb bytes.Buffer
		err := run(ctx, []string{"ledger", "verify", "--data", dsn, "--db", dsn}, env(nil), nil, &out, &errb)
		return out.String() + errb.String(), err
	}
	if out, err := verify(); err != nil {
		t.Fatalf("verify on an empty database = %v:\n%s", err, out)
	}
	raw, _, err := sqlstore.OpenRaw(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`INSERT INTO sandbox_payouts (payout_id, party_id, amount_fen, status, created_at, due_at, completed_at)
		VALUES ('stl_ghost', 'sup_x', 500, 'paid', 1, 1, 1)`); err != nil {
		t.Fatal(err)
	}
	out, err := verify()
	if err == nil || !strings.Contains(out, "stl_ghost") {
		t.Errorf("verify with a payout tuango never made = %v:\n%s\nwant it listed and a failure", err, out)
	}
}
