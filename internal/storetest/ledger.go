package storetest

import (
	"errors"
	"testing"
	"time"

	"tuango/internal/tuango"
)

func ledgerSetOf(orderID string, at time.Time, account string, amount tuango.Fen) *tuango.LedgerSet {
	return &tuango.LedgerSet{ID: newID("lgs"), Event: tuango.EventPaymentCaptured, Key: newID("capture:pay"), OrderID: orderID,
		PaymentID: newID("pay"), At: at, Transfers: []tuango.Transfer{{Account: tuango.AccountProviderClearing, AmountFen: -amount}, {Account: account, AmountFen: amount}}}
}

func testLedger(t *testing.T, s tuango.Store) {
	t.Run("a set and its transfers round-trip, oldest first", func(t *testing.T) {
		order := newID("ord")
		first := ledgerSetOf(order, t0(), tuango.AccountCustomerPayments, 1990)
		second := ledgerSetOf(order, t0().Add(time.Second), tuango.AccountCustomerPayments, 500)
		must(t, s.PostLedgerSet(t.Context(), second), "PostLedgerSet(second)")
		must(t, s.PostLedgerSet(t.Context(), first), "PostLedgerSet(first)")
		got, err := s.FindLedgerEntries(t.Context(), tuango.LedgerFilter{OrderID: order})
		must(t, err, "FindLedgerEntries(%s)", order)
		want := []tuango.LedgerEntry{
			{SetID: first.ID, N: 1, Event: first.Event, Account: tuango.AccountProviderClearing, AmountFen: -1990, OrderID: order, At: t0()},
			{SetID: first.ID, N: 2, Event: first.Event, Account: tuango.AccountCustomerPayments, AmountFen: 1990, OrderID: order, At: t0()},
			{SetID: second.ID, N: 1, Event: second.Event, Account: tuango.AccountProviderClearing, AmountFen: -500, OrderID: order, At: t0().Add(time.Second)},
			{SetID: second.ID, N: 2, Event: second.Event, Account: tuango.AccountCustomerPayments, AmountFen: 500, OrderID: order, At: t0().Add(time.Second)},
		}
		wantEqual(t, got, want, "FindLedgerEntries(%s)", order)
		page, err := s.FindLedgerEntries(t.Context(), tuango.LedgerFilter{OrderID: order, After: &got[1], Limit: 1})
		must(t, err, "FindLedgerEntries(after)")
		wantEqual(t, page, want[2:3], "FindLedgerEntries(after the first set, limit 1)")
		has, err := s.HasLedgerSet(t.Context(), first.Key)
		must(t, err, "HasLedgerSet")
		if !has {
			t.Errorf("HasLedgerSet(%s) = false after posting it", first.Key)
		}
		if has, _ := s.HasLedgerSet(t.Context(), newID("missing")); has {
			t.Error("HasLedgerSet(missing) = true")
		}
	})

	t.Run("a second set with one key is a conflict that keeps the transaction", func(t *testing.T) {
		account := tuango.SupplierPayable(newID("sup"))
		set := ledgerSetOf(newID("ord"), t0(), account, 100)
		must(t, s.PostLedgerSet(t.Context(), set), "PostLedgerSet")
		again := ledgerSetOf(set.OrderID, t0(), account, 999)
		again.Key = set.Key
		other := ledgerSetOf(set.OrderID, t0(), account, 7)
		err := s.InTx(t.Context(), func(tx tuango.Store) error {
			wantCode(t, tx.PostLedgerSet(t.Context(), again), tuango.CodeConflict, "PostLedgerSet(same key)")
			return tx.PostLedgerSet(t.Context(), other)
		})
		must(t, err, "InTx after a conflict")
		bs, err := s.LedgerBalances(t.Context())
		must(t, err, "LedgerBalances")
		var got tuango.Fen
		for _, b := range bs {
			if b.Account == account {
				got = b.BalanceFen
			}
		}
		if got != 107 {
			t.Errorf("balance of %s = %d, want 107: the refused set wrote nothing, the next one committed", account, got)
		}
	})

	t.Run("a set in a transaction that fails is not posted", func(t *testing.T) {
		set := ledgerSetOf(newID("ord"), t0(), tuango.AccountCustomerPayments, 5)
		boom := errors.New("boom")
		err := s.InTx(t.Context(), func(tx tuango.Store) error {
			must(t, tx.PostLedgerSet(t.Context(), set), "PostLedgerSet")
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want boom", err)
		}
		if has, _ := s.HasLedgerSet(t.Context(), set.Key); has {
			t.Error("a set of a rolled-back transaction is posted")
		}
		if es, _ := s.FindLedgerEntries(t.Context(), tuango.LedgerFilter{OrderID: set.OrderID}); len(es) != 0 {
			t.Errorf("transfers of a rolled-back set = %+v", es)
		}
	})

	t.Run("picked-up orders wait for their release until it is posted", func(t *testing.T) {
		w := newWorld(t, s)
		d := w.createDeal(t, 10, 5)
		u := createUser(t, s, tuango.RoleCustomer)
		var orders []*tuango.Order
		for i := range 3 {
			o := w.createOrder(t, u.ID, tuango.OrderArrived, t0(), item{d, 1})
			next := *o
			next.Status, next.PickedUpAt = tuango.OrderPickedUp, t0().Add(time.Duration(i)*time.Hour)
			ok, err := s.UpdateOrderStatus(t.Context(), &next, tuango.OrderArrived)
			must(t, err, "UpdateOrderStatus")
			if !ok {
				t.Fatal("UpdateOrderStatus did not move the order")
			}
			orders = append(orders, o)
		}
		for _, o := range orders[:2] { // the third's handover is not posted
			must(t, s.PostLedgerSet(t.Context(), &tuango.LedgerSet{ID: newID("lgs"), Event: tuango.EventPickupCompleted, Key: "pickup:" + o.ID, OrderID: o.ID, At: t0()}), "post pickup")
		}
		got, err := s.FindUnreleasedPickups(t.Context(), w.city.ID, t0().Add(3*time.Hour), 10)
		must(t, err, "FindUnreleasedPickups")
		wantEqual(t, got, []string{orders[0].ID, orders[1].ID}, "FindUnreleasedPickups")
		got, _ = s.FindUnreleasedPickups(t.Context(), w.city.ID, t0().Add(30*time.Minute), 10)
		wantEqual(t, got, []string{orders[0].ID}, "FindUnreleasedPickups(before the second's pickup)")
		must(t, s.PostLedgerSet(t.Context(), &tuango.LedgerSet{ID: newID("lgs"), Event: tuango.EventCommissionReleased, Key: "release:" + orders[0].ID, OrderID: orders[0].ID, At: t0()}), "post release")
		got, _ = s.FindUnreleasedPickups(t.Context(), w.city.ID, t0().Add(3*time.Hour), 10)
		wantEqual(t, got, []string{orders[1].ID}, "FindUnreleasedPickups(after a release)")
		if got, _ := s.FindUnreleasedPickups(t.Context(), createCity(t, s).ID, t0().Add(3*time.Hour), 10); len(got) != 0 {
			t.Errorf("another city's unreleased pickups = %v", got)
		}
	})
}
