package tuango_test

import (
	"context"
	"testing"
	"time"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// kOf is the test's own commission rule: 5% of what stays paid, to the
// nearest fen, halves up.
func kOf(paid tuango.Fen) tuango.Fen { return (paid*500 + 5000) / 10000 }

// wantBalanced checks that a statement's opening plus its lines is its
// closing, and returns the lines' sum.
func wantBalanced(t *testing.T, st *tuango.Statement) tuango.Fen {
	t.Helper()
	var sum tuango.Fen
	for _, l := range st.Lines {
		sum += l.AmountFen
		if l.SetID == "" || l.OrderID == "" || l.Title == "" {
			t.Errorf("line %+v does not trace to its set, order and goods", l)
		}
	}
	if st.OpeningFen+sum != st.ClosingFen {
		t.Errorf("%s statement %s..%s: opening %d + lines %d != closing %d", st.Party, st.From, st.To, st.OpeningFen, sum, st.ClosingFen)
	}
	return sum
}

// A small day: four orders, a shortage at sign-off, three pickups, one
// order never collected, a refund after pickup while the commission is
// frozen and one after it was released. The supplier's and the leader's
// statements equal, to the fen, what the orders, costs and rates say; a
// period split in two sums to the whole; another party sees nothing.
func TestStatementsEqualTheDay(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 100)
	ctx := context.Background()
	orders, _, leader := dayToPickup(t, w, "139000071", []int{2, 3, 1, 2}, 1)
	for _, o := range orders[:3] {
		_, err := w.svc.VerifyPickup(ctx, leader, o.PickupCode, idem(leader.UserID, "p"+o.ID))
		must(t, err)
	}
	// Which order had the shortage depends on the sign-off's rule; refund
	// after pickup one unit of a picked-up order with two or more left.
	var twice *tuango.Order
	for _, o := range orders[:3] {
		if l := o.Lines[0]; l.Quantity-l.RefundedQuantity >= 2 {
			twice = o
		}
	}
	if twice == nil {
		t.Fatal("no picked-up order has two units left")
	}
	_, err := w.svc.RefundAfterPickup(ctx, twice.ID, 1, 1, 199, "missing") // frozen
	must(t, err)
	w.clock.Advance(tuango.DefaultPickupWindow + time.Hour) // 2026-11-28 in Shanghai
	n, err := w.svc.ExpirePickups(ctx, 100)
	must(t, err)
	if n != 1 {
		t.Fatalf("ExpirePickups = %d, want 1", n)
	}
	if n, err := w.svc.ReleaseCommissions(ctx, 100); err != nil || n != 3 {
		t.Fatalf("ReleaseCommissions = %d, %v; want 3", n, err)
	}
	w.clock.Advance(24 * time.Hour)                                       // 2026-11-29
	_, err = w.svc.RefundAfterPickup(ctx, twice.ID, 1, 1, 150, "damaged") // available
	must(t, err)

	// The independent computation, from the orders as they ended.
	const cost = 150
	var wantPayable, wantK, wantEarned tuango.Fen
	var delivered, picked int
	for _, o := range orders {
		o, err := w.db.Store().FindOrderByID(ctx, o.ID)
		must(t, err)
		l := o.Lines[0]
		left := l.Quantity - l.RefundedQuantity
		wantPayable += cost * tuango.Fen(left)
		delivered += left
		paidAtPickup := l.PaidFen - l.RefundedFen
		if o.ID == twice.ID {
			delivered += 2
			paidAtPickup += 199 + 150
		}
		if o.Status == tuango.OrderPickedUp {
			picked++
			wantK += kOf(l.PaidFen - l.RefundedFen)
			wantEarned += kOf(paidAtPickup)
		}
	}
	if delivered != 8-1 {
		t.Fatalf("units handed over = %d, want 7 (eight ordered, one short)", delivered)
	}
	sup := supplierOf(t, w)
	su, err := w.svc.CreateUser(ctx, tuango.NewAccount{Phone: "13600007101", Password: "password-1", Name: "供应商", Role: tuango.RoleSupplier, SupplierID: sup})
	must(t, err)
	supplier := tuango.Actor{UserID: su.ID, Role: tuango.RoleSupplier}

	t.Run("the supplier's statement is what the orders and costs say", func(t *testing.T) {
		st, err := w.svc.SupplierStatement(ctx, supplier, "2026-11-01", "2026-11-30")
		must(t, err)
		wantBalanced(t, st)
		s := st.Supplier
		if st.OpeningFen != 0 || st.ClosingFen != wantPayable || st.AvailableFen != wantPayable || st.FrozenFen != 0 {
			t.Errorf("opening %d, closing %d, available %d, frozen %d; want 0, %d, %d, 0", st.OpeningFen, st.ClosingFen, st.AvailableFen, st.FrozenFen, wantPayable, wantPayable)
		}
		if s.UnitsDelivered != 7 || s.CostFen != 7*cost || s.RefundedUnits != 2 || s.DeductionsFen != -2*cost ||
			s.PayableFen != wantPayable || s.PaidOutFen != 0 || s.BalanceFen != wantPayable {
			t.Errorf("summary = %+v; want 7 units, cost %d, 2 refunded, deductions %d, payable and balance %d", *s, 7*cost, -2*cost, wantPayable)
		}
		if len(st.Lines) != 4+2 {
			t.Errorf("lines = %d, want 6 (four handovers, two refunds)", len(st.Lines))
		}
		for _, l := range st.Lines {
			if l.Event == tuango.EventRefundAfterPickup && (l.Units != -1 || l.LineNo != 1 || l.OrderID != twice.ID || l.AmountFen != -cost || l.RefundID == "") {
				t.Errorf("refund line %+v, want one unit of line 1 of %s, -%d, with its refund", l, twice.ID, cost)
			}
			if l.Event == tuango.EventPickupCompleted && l.AmountFen != cost*tuango.Fen(l.Units) {
				t.Errorf("pickup line %+v: amount is not its units at cost", l)
			}
		}
	})

	t.Run("the leader's statement is what the orders and rate say", func(t *testing.T) {
		st, err := w.svc.LeaderStatement(ctx, leader, "2026-11-01", "2026-11-30")
		must(t, err)
		wantBalanced(t, st)
		s := st.Leader
		if st.ClosingFen != wantK || st.AvailableFen != wantK || st.FrozenFen != 0 {
			t.Errorf("closing %d, available %d, frozen %d; want %d, %d, 0", st.ClosingFen, st.AvailableFen, st.FrozenFen, wantK, wantK)
		}
		if s.OrdersPickedUp != picked || picked != 3 || s.EarnedFen != wantEarned || s.ReleasedFen != wantEarned-(kOf(349+twiceLeft(t, w, twice))-kOf(150+twiceLeft(t, w, twice))) ||
			s.ReversedFen != wantEarned-wantK || s.WithdrawnFen != 0 || s.BalanceFen != wantK {
			t.Errorf("summary = %+v; want 3 orders, earned %d, reversed %d, balance %d", *s, wantEarned, wantEarned-wantK, wantK)
		}
		// On the 25th, before the release: all of it frozen.
		day, err := w.svc.LeaderStatement(ctx, leader, "2026-11-25", "2026-11-25")
		must(t, err)
		wantBalanced(t, day)
		if day.AvailableFen != 0 || day.FrozenFen != day.ClosingFen || day.FrozenFen != wantEarned-(kOf(349+twiceLeft(t, w, twice))-kOf(150+twiceLeft(t, w, twice))) {
			t.Errorf("on the 25th: available %d, frozen %d, closing %d", day.AvailableFen, day.FrozenFen, day.ClosingFen)
		}
	})

	t.Run("a period split in two gives the whole", func(t *testing.T) {
		for _, get := range []func(from, to string) (*tuango.Statement, error){
			func(from, to string) (*tuango.Statement, error) {
				return w.svc.SupplierStatement(ctx, supplier, from, to)
			},
			func(from, to string) (*tuango.Statement, error) { return w.svc.LeaderStatement(ctx, leader, from, to) },
		} {
			whole, err := get("2026-11-20", "2026-12-01")
			must(t, err)
			a, err := get("2026-11-20", "2026-11-27")
			must(t, err)
			b, err := get("2026-11-28", "2026-12-01")
			must(t, err)
			if len(a.Lines) == 0 || len(b.Lines) == 0 {
				t.Errorf("%s: halves of %d and %d lines; the test wants both non-empty", whole.Party, len(a.Lines), len(b.Lines))
			}
			if a.ClosingFen != b.OpeningFen || b.ClosingFen != whole.ClosingFen || len(a.Lines)+len(b.Lines) != len(whole.Lines) ||
				wantBalanced(t, a)+wantBalanced(t, b) != wantBalanced(t, whole) {
				t.Errorf("%s: halves %d→%d (%d lines), %d→%d (%d lines); whole %d→%d (%d lines)", whole.Party,
					a.OpeningFen, a.ClosingFen, len(a.Lines), b.OpeningFen, b.ClosingFen, len(b.Lines), whole.OpeningFen, whole.ClosingFen, len(whole.Lines))
			}
		}
	})

	t.Run("another leader and another supplier see only their own", func(t *testing.T) {
		other := w.leader(t, "13900007298")
		st, err := w.svc.LeaderStatement(ctx, other, "2026-11-01", "2026-11-30")
		must(t, err)
		if len(st.Lines) != 0 || st.ClosingFen != 0 {
			t.Errorf("another leader's statement = %d lines, %d fen; want none", len(st.Lines), st.ClosingFen)
		}
		ou, err := w.svc.CreateUser(ctx, tuango.NewAccount{Phone: "13600007102", Password: "password-1", Name: "别家", Role: tuango.RoleSupplier, SupplierID: "sup_other"})
		must(t, err)
		st, err = w.svc.SupplierStatement(ctx, tuango.Actor{UserID: ou.ID, Role: tuango.RoleSupplier}, "2026-11-01", "2026-11-30")
		must(t, err)
		if len(st.Lines) != 0 || st.ClosingFen != 0 {
			t.Errorf("another supplier's statement = %d lines, %d fen; want none", len(st.Lines), st.ClosingFen)
		}
		nu, err := w.svc.CreateUser(ctx, tuango.NewAccount{Phone: "13600007103", Password: "password-1", Name: "未绑定", Role: tuango.RoleSupplier})
		must(t, err)
		st, err = w.svc.SupplierStatement(ctx, tuango.Actor{UserID: nu.ID, Role: tuango.RoleSupplier}, "2026-11-01", "2026-11-30")
		must(t, err)
		if len(st.Lines) != 0 || st.ClosingFen != 0 {
			t.Errorf("a supplier account bound to no supplier = %d lines, %d fen; want none", len(st.Lines), st.ClosingFen)
		}
		if _, err := w.svc.SupplierStatement(ctx, leader, "", ""); tuango.ErrorCode(err) != tuango.CodeForbidden {
			t.Errorf("a leader asking for a supplier statement = %v, want forbidden", err)
		}
		if _, err := w.svc.LeaderStatement(ctx, supplier, "", ""); tuango.ErrorCode(err) != tuango.CodeForbidden {
			t.Errorf("a supplier asking for a leader statement = %v, want forbidden", err)
		}
	})

	t.Run("bad periods are refused with the field", func(t *testing.T) {
		for _, c := range []struct{ from, to, field string }{
			{"2026-13-01", "2026-11-30", "from"},
			{"2026-11-01", "30/11/2026", "to"},
			{"2026-11-30", "2026-11-01", "from"},
			{"2025-11-01", "2026-11-30", "to"},
		} {
			_, err := w.svc.LeaderStatement(ctx, leader, c.from, c.to)
			var e *tuango.Error
			if !asErr(err, &e) || e.Code != tuango.CodeInvalid || e.Field != c.field {
				t.Errorf("LeaderStatement(%q, %q) = %v, want invalid %s", c.from, c.to, err, c.field)
			}
		}
		st, err := w.svc.LeaderStatement(ctx, leader, "2025-11-30", "2026-11-30") // 366 days
		must(t, err)
		if st.From != "2025-11-30" {
			t.Errorf("From = %s", st.From)
		}
		st, err = w.svc.LeaderStatement(ctx, leader, "", "")
		must(t, err)
		if st.From != "2026-11-01" || st.To != "2026-11-29" {
			t.Errorf("the default period = %s..%s, want the month so far, 2026-11-01..2026-11-29", st.From, st.To)
		}
	})
	wantLedgerClean(t, w)
}

// twiceLeft is what stays paid of the twice-refunded order's line at the
// end, so the test can say what was frozen before the second refund.
func twiceLeft(t *testing.T, w *world, o *tuango.Order) tuango.Fen {
	t.Helper()
	got, err := w.db.Store().FindOrderByID(context.Background(), o.ID)
	must(t, err)
	return got.Lines[0].PaidFen - got.Lines[0].RefundedFen
}
