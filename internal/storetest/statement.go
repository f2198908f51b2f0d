package storetest

import (
	"testing"
	"time"

	"tuango/internal/tuango"
)

func testStatement(t *testing.T, s tuango.Store) {
	t.Run("a party's transfers in a period, from inclusive, to exclusive, with balances before", func(t *testing.T) {
		frozen, avail := tuango.CommissionFrozen(newID("usr")), tuango.CommissionAvailable(newID("usr"))
		other := tuango.SupplierPayable(newID("sup"))
		at := func(h int) time.Time { return t0().Add(time.Duration(h) * time.Hour) }
		before := ledgerSetOf(newID("ord"), at(-1), frozen, 100)
		first := ledgerSetOf(newID("ord"), at(0), frozen, 40)
		first.LineNo, first.RefundID = 2, newID("rfd")
		second := ledgerSetOf(newID("ord"), at(1), avail, 7)
		elsewhere := ledgerSetOf(newID("ord"), at(1), other, 9)
		after := ledgerSetOf(newID("ord"), at(2), avail, 1000)
		for _, set := range []*tuango.LedgerSet{after, second, elsewhere, first, before} {
			must(t, s.PostLedgerSet(t.Context(), set), "PostLedgerSet(%s)", set.Key)
		}
		got, err := s.FindStatementEntries(t.Context(), tuango.StatementFilter{Accounts: []string{frozen, avail}, From: at(0), To: at(2)})
		must(t, err, "FindStatementEntries")
		want := []tuango.StatementEntry{
			{LedgerEntry: tuango.LedgerEntry{SetID: first.ID, N: 2, Event: first.Event, Account: frozen, AmountFen: 40, OrderID: first.OrderID, At: at(0)},
				LineNo: 2, RefundID: first.RefundID},
			{LedgerEntry: tuango.LedgerEntry{SetID: second.ID, N: 2, Event: second.Event, Account: avail, AmountFen: 7, OrderID: second.OrderID, At: at(1)}},
		}
		wantEqual(t, got, want, "FindStatementEntries([t0, t0+2h))")
		bal, err := s.AccountBalancesBefore(t.Context(), []string{frozen, avail, other}, at(1))
		must(t, err, "AccountBalancesBefore")
		wantEqual(t, bal, map[string]tuango.Fen{frozen: 140}, "AccountBalancesBefore(t0+1h)")
		bal, err = s.AccountBalancesBefore(t.Context(), []string{frozen, avail, other}, at(3))
		must(t, err, "AccountBalancesBefore")
		wantEqual(t, bal, map[string]tuango.Fen{frozen: 140, avail: 1007, other: 9}, "AccountBalancesBefore(t0+3h)")
		none, err := s.FindStatementEntries(t.Context(), tuango.StatementFilter{From: at(0), To: at(2)})
		must(t, err, "FindStatementEntries(no accounts)")
		if len(none) != 0 {
			t.Errorf("FindStatementEntries(no accounts) = %d entries, want 0", len(none))
		}
	})
}
