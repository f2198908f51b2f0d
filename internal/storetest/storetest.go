// Package storetest is the store conformance suite: every behaviour of a
// tuango.Store is tested here, the same way for every engine.
package storetest

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"tuango/internal/tuango"
)

// Run runs the conformance suite. open returns a fresh, migrated store and
// arranges its closing with t.Cleanup; it is called once per group of
// subtests, and every subtest makes its own rows, so a store may be shared.
func Run(t *testing.T, open func(t *testing.T) tuango.Store) {
	groups := []struct {
		name string
		run  func(t *testing.T, s tuango.Store)
	}{
		{"Catalog", testCatalog},
		{"Deal", testDeal},
		{"Lock", testLock},
		{"User", testUser},
		{"Order", testOrder},
		{"WriteOrders", testWriteOrders},
		{"OrderStats", testOrderStats},
		{"Payment", testPayment},
		{"Delivery", testDelivery},
		{"CutoffBatch", testCutoffBatch},
		{"Outbox", testOutbox},
		{"Closure", testClosure},
		{"Coupon", testCoupon},
		{"AfterSales", testAfterSales},
		{"Idempotency", testIdempotency},
		{"Lease", testLease},
		{"Ledger", testLedger},
		{"Statement", testStatement},
		{"Payout", testPayout},
		{"Ping", testPing},
		{"Tx", testTx},
		{"LoginLimit", testLoginLimit},
		{"UnpaidOrders", testUnpaidOrders},
		{"Incident", testIncident},
		{"Tell", testTell},
		{"Outage", testOutage},
		{"Auth", testAuth},
		{"BackupRuns", testBackupRuns},
		{"Audit", testAudit},
		{"Guard", testGuard},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.run(t, open(t)) })
	}
}

// t0 is the suite's "now": a fixed time with microseconds, so that a store
// that drops them is caught.
func t0() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 123456000, time.UTC) }

// must stops a test whose setup failed.
func must(t *testing.T, err error, format string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s = %v", fmt.Sprintf(format, args...), err)
	}
}

// wantCode checks that err carries the tuango error code want.
func wantCode(t *testing.T, err error, want, format string, args ...any) {
	t.Helper()
	if got := tuango.ErrorCode(err); got != want {
		t.Errorf("%s = %v (code %q), want code %q", fmt.Sprintf(format, args...), err, got, want)
	}
}

// wantNotFound checks that err is a not_found error.
func wantNotFound(t *testing.T, err error, format string, args ...any) {
	t.Helper()
	wantCode(t, err, tuango.CodeNotFound, format, args...)
}

// wantEqual checks that a found value equals the one stored.
func wantEqual[T any](t *testing.T, got, want T, format string, args ...any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %+v, want %+v", fmt.Sprintf(format, args...), got, want)
	}
}

// wantContains checks that a listing holds a row stored by this test.
func wantContains[T comparable](t *testing.T, got []T, want T, format string, args ...any) {
	t.Helper()
	if !slices.Contains(got, want) {
		t.Errorf("%s = %+v, want it to contain %+v", fmt.Sprintf(format, args...), got, want)
	}
}

// wantOK checks a guarded write's report.
func wantOK(t *testing.T, got bool, err error, want bool, format string, args ...any) {
	t.Helper()
	call := fmt.Sprintf(format, args...)
	if err != nil {
		t.Errorf("%s error = %v, want nil", call, err)
		return
	}
	if got != want {
		t.Errorf("%s = %v, want %v", call, got, want)
	}
}

// ids lists the ids of xs, in order.
func ids[T any](xs []T, id func(T) string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, id(x))
	}
	return out
}

// only keeps the ids in xs that are in mine, in order: global finders also
// return rows of other subtests that share the store.
func only(xs []string, mine ...string) []string {
	var out []string
	for _, x := range xs {
		if slices.Contains(mine, x) {
			out = append(out, x)
		}
	}
	return out
}

// wantIDs checks a list of ids.
func wantIDs(t *testing.T, got []string, want []string, format string, args ...any) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s ids = %q, want %q", fmt.Sprintf(format, args...), got, want)
	}
}
