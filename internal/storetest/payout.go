package storetest

import (
	"slices"
	"testing"
	"time"

	"tuango/internal/tuango"
)

func newPayout(kind tuango.PayoutKind, party string, amount tuango.Fen, status tuango.PayoutStatus) *tuango.Payout {
	return &tuango.Payout{ID: newID("pay"), Kind: kind, PartyID: party, AmountFen: amount, Status: status, CreatedAt: t0()}
}

func testPayout(t *testing.T, s tuango.Store) {
	t.Run("a payout round-trips; a missing one is not found", func(t *testing.T) {
		p := newPayout(tuango.PayoutWithdrawal, newID("usr"), 300, tuango.PayoutRequested)
		must(t, s.CreatePayout(t.Context(), p), "CreatePayout")
		got, err := s.FindPayoutByID(t.Context(), p.ID)
		must(t, err, "FindPayoutByID")
		wantEqual(t, got, p, "FindPayoutByID(%s)", p.ID)
		_, err = s.FindPayoutByID(t.Context(), newID("pay"))
		wantNotFound(t, err, "FindPayoutByID(missing)")
	})

	t.Run("a supplier's period is settled once", func(t *testing.T) {
		sup := newID("sup")
		a := newPayout(tuango.PayoutSettlement, sup, 100, tuango.PayoutApproved)
		a.PeriodTo = "2026-11-30"
		must(t, s.CreatePayout(t.Context(), a), "CreatePayout(first)")
		b := newPayout(tuango.PayoutSettlement, sup, 50, tuango.PayoutApproved)
		b.PeriodTo = "2026-11-30"
		wantCode(t, s.CreatePayout(t.Context(), b), tuango.CodeConflict, "CreatePayout(the same period)")
		c := newPayout(tuango.PayoutSettlement, sup, 50, tuango.PayoutApproved)
		c.PeriodTo = "2026-12-01"
		must(t, s.CreatePayout(t.Context(), c), "CreatePayout(another period)")
		// Withdrawals have no period: many of one leader are fine.
		l := newID("usr")
		for i := 0; i < 2; i++ {
			must(t, s.CreatePayout(t.Context(), newPayout(tuango.PayoutWithdrawal, l, 100, tuango.PayoutRequested)), "CreatePayout(withdrawal %d)", i)
		}
	})

	t.Run("a payout of no money is refused", func(t *testing.T) {
		if err := s.CreatePayout(t.Context(), newPayout(tuango.PayoutWithdrawal, newID("usr"), 0, tuango.PayoutRequested)); err == nil {
			t.Errorf("CreatePayout(0 fen) = nil, want an error")
		}
	})

	t.Run("payouts are listed by kind, party and status, in id order both ways, a page after a cursor", func(t *testing.T) {
		party := newID("usr")
		var ids []string
		for i, st := range []tuango.PayoutStatus{tuango.PayoutRequested, tuango.PayoutPaid, tuango.PayoutRequested} {
			p := newPayout(tuango.PayoutWithdrawal, party, tuango.Fen(100+i), st)
			must(t, s.CreatePayout(t.Context(), p), "CreatePayout")
			ids = append(ids, p.ID)
		}
		slices.Sort(ids)
		ofIDs := func(ps []tuango.Payout) []string {
			var out []string
			for _, p := range ps {
				out = append(out, p.ID)
			}
			return out
		}
		all, err := s.FindPayouts(t.Context(), tuango.PayoutFilter{Kind: tuango.PayoutWithdrawal, PartyID: party})
		must(t, err, "FindPayouts")
		wantEqual(t, ofIDs(all), ids, "FindPayouts(party) ids")
		newest, err := s.FindPayouts(t.Context(), tuango.PayoutFilter{PartyID: party, Newest: true, Limit: 2})
		must(t, err, "FindPayouts(newest)")
		wantEqual(t, ofIDs(newest), []string{ids[2], ids[1]}, "FindPayouts(newest, 2)")
		rest, err := s.FindPayouts(t.Context(), tuango.PayoutFilter{PartyID: party, Newest: true, After: ids[1]})
		must(t, err, "FindPayouts(after)")
		wantEqual(t, ofIDs(rest), []string{ids[0]}, "FindPayouts(newest, after the second)")
		req, err := s.FindPayouts(t.Context(), tuango.PayoutFilter{PartyID: party, Status: tuango.PayoutRequested})
		must(t, err, "FindPayouts(requested)")
		if len(req) != 2 {
			t.Errorf("FindPayouts(requested) = %d payouts, want 2", len(req))
		}
		none, err := s.FindPayouts(t.Context(), tuango.PayoutFilter{PartyID: party, Kind: tuango.PayoutSettlement})
		must(t, err, "FindPayouts(settlements)")
		if len(none) != 0 {
			t.Errorf("FindPayouts(a leader's settlements) = %+v, want none", none)
		}
	})

	t.Run("a payout moves only from the status it is in, stamped", func(t *testing.T) {
		p := newPayout(tuango.PayoutWithdrawal, newID("usr"), 300, tuango.PayoutRequested)
		must(t, s.CreatePayout(t.Context(), p), "CreatePayout")
		at := t0().Add(time.Minute)
		ok, err := s.MovePayout(t.Context(), tuango.PayoutMove{ID: p.ID, From: tuango.PayoutSent, To: tuango.PayoutPaid, At: at})
		must(t, err, "MovePayout(wrong from)")
		if ok {
			t.Errorf("MovePayout(from sent) of a requested payout = true, want false")
		}
		ok, err = s.MovePayout(t.Context(), tuango.PayoutMove{ID: p.ID, From: tuango.PayoutRequested, To: tuango.PayoutApproved, At: at, By: "op"})
		must(t, err, "MovePayout(approve)")
		ok2, err := s.MovePayout(t.Context(), tuango.PayoutMove{ID: p.ID, From: tuango.PayoutRequested, To: tuango.PayoutApproved, At: at, By: "op"})
		must(t, err, "MovePayout(approve again)")
		if !ok || ok2 {
			t.Errorf("MovePayout(approve) = %v then %v, want true then false", ok, ok2)
		}
		must(t, s.NotePayoutAttempt(t.Context(), p.ID, "timeout"), "NotePayoutAttempt")
		_, err = s.MovePayout(t.Context(), tuango.PayoutMove{ID: p.ID, From: tuango.PayoutApproved, To: tuango.PayoutSent, At: at.Add(time.Second)})
		must(t, err, "MovePayout(sent)")
		_, err = s.MovePayout(t.Context(), tuango.PayoutMove{ID: p.ID, From: tuango.PayoutSent, To: tuango.PayoutFailed, At: at.Add(2 * time.Second), Reason: "frozen"})
		must(t, err, "MovePayout(failed)")
		got, err := s.FindPayoutByID(t.Context(), p.ID)
		must(t, err, "FindPayoutByID")
		want := *p
		want.Status, want.DecidedBy, want.DecidedAt, want.SentAt, want.CompletedAt = tuango.PayoutFailed, "op", at, at.Add(time.Second), at.Add(2*time.Second)
		want.Attempts, want.Reason = 1, "frozen"
		wantEqual(t, *got, want, "the payout after its moves")
	})

	t.Run("an account's balance sums its transfers, before a time, without events left out", func(t *testing.T) {
		acct := "supplier_payable:" + newID("sup")
		post := func(ev tuango.LedgerEvent, at time.Time, f tuango.Fen) {
			set := &tuango.LedgerSet{ID: newID("lgs"), Event: ev, Key: newID("k"), At: at,
				Transfers: []tuango.Transfer{{Account: acct, AmountFen: f}, {Account: tuango.AccountPlatformRevenue, AmountFen: -f}}}
			must(t, s.PostLedgerSet(t.Context(), set), "PostLedgerSet")
		}
		post(tuango.EventPickupCompleted, t0(), 600)
		post(tuango.EventPickupCompleted, t0().Add(24*time.Hour), 300)
		post(tuango.EventSettlementHeld, t0().Add(time.Hour), -600)
		for _, tc := range []struct {
			name   string
			before time.Time
			except []tuango.LedgerEvent
			want   tuango.Fen
		}{
			{"all", time.Time{}, nil, 300},
			{"before a day", t0().Add(2 * time.Hour), nil, 0},
			{"before a day, without settlements", t0().Add(2 * time.Hour), []tuango.LedgerEvent{tuango.EventSettlementHeld}, 600},
			{"without settlements", time.Time{}, []tuango.LedgerEvent{tuango.EventSettlementHeld, tuango.EventPayoutReturned}, 900},
		} {
			got, err := s.LedgerBalance(t.Context(), acct, tc.before, tc.except...)
			must(t, err, "LedgerBalance(%s)", tc.name)
			if got != tc.want {
				t.Errorf("LedgerBalance(%s) = %d, want %d", tc.name, got, tc.want)
			}
		}
		none, err := s.LedgerBalance(t.Context(), "leader_commission_available:"+newID("usr"), time.Time{})
		must(t, err, "LedgerBalance(unused)")
		if none != 0 {
			t.Errorf("LedgerBalance(an account never used) = %d, want 0", none)
		}
	})
}
