package tuango_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"tuango/internal/payment"
	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// withCommission runs a day of qty units to pickup, collects it, and
// releases the leader's commission once the after-sales window closed: 5%
// of qty × 199 fen available.
func withCommission(t *testing.T, w *world, phone string, qty int) tuango.Actor {
	t.Helper()
	ctx := context.Background()
	orders, _, leader := dayToPickup(t, w, phone, []int{qty}, 0)
	_, err := w.svc.VerifyPickup(ctx, leader, orders[0].PickupCode, idem(leader.UserID, "pickup"))
	must(t, err)
	w.clock.Advance(tuango.DefaultAfterSalesWindow + time.Hour)
	n, err := w.svc.ReleaseCommissions(ctx, 100)
	must(t, err)
	if n != 1 {
		t.Fatalf("ReleaseCommissions = %d, want 1", n)
	}
	return leader
}

// payouts gives the world's service the payout sandbox.
func payouts(w *world, svc *tuango.Service) *payment.PayoutSandbox {
	ps := payment.NewPayoutSandbox(w.db.Store(), w.clock)
	svc.SetPayoutProvider(ps)
	return ps
}

func sandboxPayouts(t *testing.T, w *world) int {
	t.Helper()
	n, err := w.db.Store().CountSandboxPayouts(context.Background())
	must(t, err)
	return n
}

func inboxKinds(t *testing.T, w *world, a tuango.Actor) []tuango.NotificationKind {
	t.Helper()
	ctx := context.Background()
	_, err := w.svc.DeliverNotifications(ctx, 100)
	must(t, err)
	ms, _, err := w.svc.Notifications(ctx, a, 50, "")
	must(t, err)
	var ks []tuango.NotificationKind
	for _, m := range ms {
		ks = append(ks, m.Kind)
	}
	return ks
}

func hasKind(ks []tuango.NotificationKind, k tuango.NotificationKind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// A withdrawal holds its amount at once, is approved, sent, paid once,
// and the leader is told; bad amounts and other roles change nothing.
func TestWithdrawalIsHeldApprovedAndPaidOnce(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 100)
	ctx := context.Background()
	payouts(w, w.svc)
	leader := withCommission(t, w, "139100001", 40) // 7960 fen: 398 commission
	avail, pending := tuango.CommissionAvailable(leader.UserID), tuango.WithdrawalsPending(leader.UserID)

	t.Run("below ¥1 is a field error", func(t *testing.T) {
		_, err := w.svc.RequestWithdrawal(ctx, leader, 99, idem(leader.UserID, "small"))
		var e *tuango.Error
		if !errors.As(err, &e) || e.Code != tuango.CodeInvalid || e.Field != "amount_fen" {
			t.Errorf("withdraw 99 fen = %v, want validation_failed on amount_fen", err)
		}
	})
	t.Run("a customer cannot withdraw", func(t *testing.T) {
		c := w.customer(t, "13710000001")
		if _, err := w.svc.RequestWithdrawal(ctx, c, 100, idem(c.UserID, "c")); tuango.ErrorCode(err) != tuango.CodeForbidden {
			t.Errorf("customer withdrawal = %v, want forbidden", err)
		}
	})

	ans, err := w.svc.RequestWithdrawal(ctx, leader, 300, idem(leader.UserID, "w1"))
	must(t, err)
	p := ans.Value
	if p.Status != tuango.PayoutRequested || p.AmountFen != 300 || ans.Replayed {
		t.Fatalf("withdrawal = %+v (replayed %v), want requested 300", p, ans.Replayed)
	}
	if a, h := balanceOf(t, w, avail), balanceOf(t, w, pending); a != 98 || h != 300 {
		t.Errorf("after the request: available %d, pending %d; want 98, 300", a, h)
	}
	again, err := w.svc.RequestWithdrawal(ctx, leader, 300, idem(leader.UserID, "w1"))
	must(t, err)
	if !again.Replayed || again.Value.ID != p.ID {
		t.Errorf("the same key again = %+v, want the replay of %s", again, p.ID)
	}
	if _, err := w.svc.RequestWithdrawal(ctx, leader, 99+1, idem(leader.UserID, "w2")); tuango.ErrorCode(err) != tuango.CodeInsufficientBalance {
		t.Errorf("100 fen more with 98 available = %v, want insufficient_balance", err)
	}
	if _, err := w.svc.ApproveWithdrawal(ctx, leader, p.ID); tuango.ErrorCode(err) != tuango.CodeForbidden {
		t.Errorf("the leader approving = %v, want forbidden", err)
	}

	// Requested: the sweep sends nothing yet.
	if n, err := w.svc.SendPayouts(ctx, 100); err != nil || n != 0 || sandboxPayouts(t, w) != 0 {
		t.Errorf("sweep before approval = %d, %v; want nothing sent", n, err)
	}
	got, err := w.svc.ApproveWithdrawal(ctx, w.op, p.ID)
	must(t, err)
	if got.Status != tuango.PayoutApproved || got.DecidedBy != w.op.UserID {
		t.Errorf("approved = %+v", got)
	}
	if _, err := w.svc.ApproveWithdrawal(ctx, w.op, p.ID); err != nil {
		t.Errorf("approving again = %v, want the withdrawal as it is", err)
	}
	if _, err := w.svc.RejectWithdrawal(ctx, w.op, p.ID, "late"); tuango.ErrorCode(err) != tuango.CodeConflict {
		t.Errorf("rejecting an approved withdrawal = %v, want conflict", err)
	}
	for i := 0; i < 3; i++ {
		_, err := w.svc.SendPayouts(ctx, 100)
		must(t, err)
	}
	wd, _, err := w.svc.LeaderWithdrawals(ctx, leader, 10, "")
	must(t, err)
	if len(wd) != 1 || wd[0].Status != tuango.PayoutPaid {
		t.Fatalf("the leader's withdrawals = %+v, want one paid", wd)
	}
	if h, out := balanceOf(t, w, pending), balanceOf(t, w, tuango.AccountPayouts); h != 0 || out != 300 {
		t.Errorf("paid: pending %d, payouts %d; want 0, 300", h, out)
	}
	if n := len(ledgerSets(t, w)[tuango.EventPayoutPaid]); n != 1 || sandboxPayouts(t, w) != 1 {
		t.Errorf("payout_paid sets = %d, provider payouts = %d; want 1 and 1", n, sandboxPayouts(t, w))
	}
	if ks := inboxKinds(t, w, leader); !hasKind(ks, tuango.NotifyWithdrawalPaid) {
		t.Errorf("the leader's inbox = %v, want %s", ks, tuango.NotifyWithdrawalPaid)
	}
	wantLedgerClean(t, w)
}

// A rejected withdrawal gives the hold back; the leader is told.
func TestRejectedWithdrawalGivesTheHoldBack(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 100)
	ctx := context.Background()
	leader := withCommission(t, w, "139100002", 40)
	ans, err := w.svc.RequestWithdrawal(ctx, leader, 398, idem(leader.UserID, "all"))
	must(t, err)
	list, _, err := w.svc.Withdrawals(ctx, w.op, tuango.PayoutRequested, 10, "")
	must(t, err)
	if len(list) != 1 || list[0].ID != ans.Value.ID {
		t.Fatalf("the queue = %+v, want the request", list)
	}
	if _, _, err := w.svc.Withdrawals(ctx, w.op, "lost", 10, ""); tuango.ErrorCode(err) != tuango.CodeInvalid {
		t.Errorf("status lost = %v, want validation_failed", err)
	}
	p, err := w.svc.RejectWithdrawal(ctx, w.op, ans.Value.ID, "account name differs")
	must(t, err)
	if p.Status != tuango.PayoutRejected {
		t.Errorf("rejected = %+v", p)
	}
	if _, err := w.svc.RejectWithdrawal(ctx, w.op, ans.Value.ID, "again"); err != nil {
		t.Errorf("rejecting again = %v, want it as it is", err)
	}
	if _, err := w.svc.ApproveWithdrawal(ctx, w.op, ans.Value.ID); tuango.ErrorCode(err) != tuango.CodeConflict {
		t.Errorf("approving a rejected withdrawal = %v, want conflict", err)
	}
	if _, err := w.svc.ApproveWithdrawal(ctx, w.op, "wdr_missing"); !tuango.IsNotFound(err) {
		t.Errorf("approving a missing withdrawal = %v, want not_found", err)
	}
	if a := balanceOf(t, w, tuango.CommissionAvailable(leader.UserID)); a != 398 {
		t.Errorf("available after the rejection = %d, want 398", a)
	}
	if n := len(ledgerSets(t, w)[tuango.EventWithdrawalRejected]); n != 1 {
		t.Errorf("rejection sets = %d, want 1", n)
	}
	if ks := inboxKinds(t, w, leader); !hasKind(ks, tuango.NotifyWithdrawalRejected) {
		t.Errorf("the leader's inbox = %v, want %s", ks, tuango.NotifyWithdrawalRejected)
	}
	wantLedgerClean(t, w)
}

// Two nodes take requests for the same balance at once: the hold lets
// only as many through as the balance covers.
func TestWithdrawalsRacingForOneBalance(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 100)
	ctx := context.Background()
	leader := withCommission(t, w, "139100003", 40) // 398 available
	nodes := []*tuango.Service{w.svc, w.node(tuango.Config{})}
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = nodes[i%2].RequestWithdrawal(ctx, leader, 150, idem(leader.UserID, "race"+string(rune('a'+i))))
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch tuango.ErrorCode(err) {
		case tuango.CodeInsufficientBalance:
		case "":
			ok++
		default:
			if err != nil {
				t.Errorf("a racing request = %v, want success or insufficient_balance", err)
			} else {
				ok++
			}
		}
	}
	if ok != 2 {
		t.Errorf("requests of 150 granted from 398 = %d, want 2", ok)
	}
	if a := balanceOf(t, w, tuango.CommissionAvailable(leader.UserID)); a != 98 {
		t.Errorf("available = %d, want 98", a)
	}
	wantLedgerClean(t, w)
}

// A sweep that dies after the provider took the payout and before it was
// recorded: the next sweep sends it again under the same id, and the
// provider has one payout, paid once.
func TestPayoutNeverMadeTwiceWhenTheSweepDies(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 100)
	ctx := context.Background()
	leader := withCommission(t, w, "139100004", 40)
	ans, err := w.svc.RequestWithdrawal(ctx, leader, 200, idem(leader.UserID, "w"))
	must(t, err)
	_, err = w.svc.ApproveWithdrawal(ctx, w.op, ans.Value.ID)
	must(t, err)

	dying := w.node(tuango.Config{})
	payouts(w, dying)
	undo := tuango.SetPayoutSentHook(func(*tuango.Payout) error { return errors.New("killed") })
	if _, err := dying.SendPayouts(ctx, 100); err == nil {
		t.Fatal("the dying sweep finished")
	}
	undo()
	if n := sandboxPayouts(t, w); n != 1 {
		t.Fatalf("provider payouts after the dying sweep = %d, want 1", n)
	}
	still, _, err := w.svc.Withdrawals(ctx, w.op, tuango.PayoutApproved, 10, "")
	must(t, err)
	if len(still) != 1 {
		t.Fatalf("approved after the death = %+v, want the payout still approved", still)
	}

	payouts(w, w.svc)
	for i := 0; i < 2; i++ {
		_, err := w.svc.SendPayouts(ctx, 100)
		must(t, err)
	}
	if n := sandboxPayouts(t, w); n != 1 {
		t.Errorf("provider payouts = %d, want 1", n)
	}
	if n := len(ledgerSets(t, w)[tuango.EventPayoutPaid]); n != 1 {
		t.Errorf("payout_paid sets = %d, want 1", n)
	}
	if out := balanceOf(t, w, tuango.AccountPayouts); out != 200 {
		t.Errorf("paid out = %d, want 200", out)
	}
	wantLedgerClean(t, w)
}

// A send the provider refuses is tried again; a payout the provider
// fails returns the money to the leader, who is told.
func TestFailedPayoutIsRetriedThenReturned(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 100)
	ctx := context.Background()
	ps := payouts(w, w.svc)
	leader := withCommission(t, w, "139100005", 40)
	ans, err := w.svc.RequestWithdrawal(ctx, leader, 250, idem(leader.UserID, "w"))
	must(t, err)
	_, err = w.svc.ApproveWithdrawal(ctx, w.op, ans.Value.ID)
	must(t, err)

	ps.SetFaults(payment.PayoutFaults{FailSend: 1})
	_, err = w.svc.SendPayouts(ctx, 100)
	must(t, err)
	ws, _, err := w.svc.LeaderWithdrawals(ctx, leader, 10, "")
	must(t, err)
	if ws[0].Status != tuango.PayoutApproved || ws[0].Attempts != 1 || sandboxPayouts(t, w) != 0 {
		t.Fatalf("after a refused send: %+v, provider %d; want approved, 1 attempt, nothing at the provider", ws[0], sandboxPayouts(t, w))
	}

	ps.SetFaults(payment.PayoutFaults{Fail: 1, Delay: time.Minute})
	_, err = w.svc.SendPayouts(ctx, 100)
	must(t, err)
	ws, _, _ = w.svc.LeaderWithdrawals(ctx, leader, 10, "")
	if ws[0].Status != tuango.PayoutSent {
		t.Fatalf("while the provider processes: %s, want sent", ws[0].Status)
	}
	w.clock.Advance(2 * time.Minute)
	_, err = w.svc.SendPayouts(ctx, 100)
	must(t, err)
	ws, _, _ = w.svc.LeaderWithdrawals(ctx, leader, 10, "")
	if ws[0].Status != tuango.PayoutFailed || ws[0].Reason == "" {
		t.Fatalf("after the provider failed it: %+v, want failed with a reason", ws[0])
	}
	if a, h := balanceOf(t, w, tuango.CommissionAvailable(leader.UserID)), balanceOf(t, w, tuango.WithdrawalsPending(leader.UserID)); a != 398 || h != 0 {
		t.Errorf("after the failure: available %d, pending %d; want 398, 0", a, h)
	}
	if ks := inboxKinds(t, w, leader); !hasKind(ks, tuango.NotifyWithdrawalFailed) {
		t.Errorf("the leader's inbox = %v, want %s", ks, tuango.NotifyWithdrawalFailed)
	}
	wantLedgerClean(t, w)
}

// A settlement pays a supplier's payable as of a date once; settling the
// period again, or an earlier one, pays nothing more.
func TestSettlementPaysAPeriodOnce(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 100)
	ctx := context.Background()
	payouts(w, w.svc)
	withCommission(t, w, "139100006", 4) // 4 × 150 owed to the supplier
	sup := supplierOf(t, w)
	accounts := supplierAccounts(t, w, sup, "13920000001", "13920000002") // both are told
	stranger, _ := register(t, w.svc, "13920000003", "password-1")
	today := w.clock.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	if _, err := w.svc.Settle(ctx, w.op, "", today); tuango.ErrorCode(err) != tuango.CodeInvalid {
		t.Errorf("settling today = %v, want validation_failed: the day is not over", err)
	}
	if _, err := w.svc.Settle(ctx, w.op, "", "2026/11/30"); tuango.ErrorCode(err) != tuango.CodeInvalid {
		t.Errorf("a bad date = %v, want validation_failed", err)
	}
	if _, err := w.svc.Settle(ctx, w.op, "sup_missing", "2026-11-26"); !tuango.IsNotFound(err) {
		t.Errorf("a missing supplier = %v, want not_found", err)
	}
	w.clock.Advance(48 * time.Hour)
	sts, err := w.svc.Settle(ctx, w.op, "", today)
	must(t, err)
	if len(sts) != 1 || sts[0].SupplierID != sup || sts[0].AmountFen != 600 || sts[0].Payout == nil || sts[0].AlreadySettled {
		t.Fatalf("settlement = %+v, want 600 for %s", sts, sup)
	}
	again, err := w.svc.Settle(ctx, w.op, sup, today)
	must(t, err)
	if !again[0].AlreadySettled || again[0].Payout.ID != sts[0].Payout.ID {
		t.Errorf("the same period again = %+v, want the first, already settled", again[0])
	}
	earlier, err := w.svc.Settle(ctx, w.op, sup, "2026-11-20")
	must(t, err)
	if earlier[0].Payout != nil || earlier[0].AmountFen != 0 {
		t.Errorf("an earlier period = %+v, want nothing to pay", earlier[0])
	}
	wantPaidOut(t, w, sup, 600, "after the payout")
	for _, a := range accounts {
		wantSettlementTold(t, w, a, tuango.NotifySettlementPaid, today, 600)
	}
	if ks := inboxKinds(t, w, tuango.Actor{UserID: stranger.ID, Role: stranger.Role}); hasKind(ks, tuango.NotifySettlementPaid) {
		t.Errorf("a customer's inbox = %v, want no settlement in it", ks)
	}
	later := w.clock.Now().Add(-24 * time.Hour).In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	more, err := w.svc.Settle(ctx, w.op, sup, later)
	must(t, err)
	if more[0].Payout != nil {
		t.Errorf("a later period with nothing new = %+v, want nothing to pay", more[0])
	}
	wantLedgerClean(t, w)
}

// Verification catches a payout paid twice, a provider that paid another
// amount or a payout tuango never made, and a paid payout without its set.
func TestLedgerVerifyCatchesPayoutMistakes(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 100)
	ctx := context.Background()
	payouts(w, w.svc)
	leader := withCommission(t, w, "139100007", 40)
	ans, err := w.svc.RequestWithdrawal(ctx, leader, 300, idem(leader.UserID, "w"))
	must(t, err)
	_, err = w.svc.ApproveWithdrawal(ctx, w.op, ans.Value.ID)
	must(t, err)
	for i := 0; i < 2; i++ {
		_, err = w.svc.SendPayouts(ctx, 100)
		must(t, err)
	}
	wantLedgerClean(t, w)
	id := ans.Value.ID
	for _, tc := range []struct {
		name   string
		break_ func(d *tuango.LedgerData)
		want   string
	}{
		{"paid twice", func(d *tuango.LedgerData) {
			for _, s := range d.Sets {
				if s.Key == "payout_paid:"+id {
					d.Sets = append(d.Sets, s)
					return
				}
			}
		}, tuango.ViolationPayout},
		{"the provider paid another amount", func(d *tuango.LedgerData) { d.ProviderPayouts[id] = 301 }, tuango.ViolationProvider},
		{"the provider paid a payout never made", func(d *tuango.LedgerData) { d.ProviderPayouts["wdr_ghost"] = 100 }, tuango.ViolationProvider},
		{"paid without its set", func(d *tuango.LedgerData) {
			kept := d.Sets[:0]
			for _, s := range d.Sets {
				if s.Key != "payout_paid:"+id {
					kept = append(kept, s)
				}
			}
			d.Sets = kept
		}, tuango.ViolationPayout},
		{"recorded failed but paid at the provider", func(d *tuango.LedgerData) {
			for i := range d.Payouts {
				d.Payouts[i].Status = tuango.PayoutFailed
			}
		}, tuango.ViolationProvider},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := w.db.LedgerData(ctx)
			must(t, err)
			tc.break_(d)
			found := false
			for _, v := range tuango.VerifyLedger(*d).Violations {
				found = found || v.Kind == tc.want
			}
			if !found {
				t.Errorf("verification found no %s", tc.want)
			}
		})
	}
}

// A settlement the provider fails is owed again, and its supplier is told
// so; the next settlement pays it.
func TestFailedSettlementIsToldAndPaidNextTime(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 100)
	ctx := context.Background()
	ps := payouts(w, w.svc)
	withCommission(t, w, "139100008", 4) // 4 × 150 owed to the supplier
	sup := supplierOf(t, w)
	accounts := supplierAccounts(t, w, sup, "13920000011")
	cst := time.FixedZone("CST", 8*3600)
	first := w.clock.Now().In(cst).Format(time.DateOnly)
	w.clock.Advance(48 * time.Hour)
	sts, err := w.svc.Settle(ctx, w.op, sup, first)
	must(t, err)
	if len(sts) != 1 || sts[0].AmountFen != 600 {
		t.Fatalf("settlement = %+v, want 600", sts)
	}
	ps.SetFaults(payment.PayoutFaults{Fail: 1, Delay: time.Minute})
	_, err = w.svc.SendPayouts(ctx, 100)
	must(t, err)
	w.clock.Advance(2 * time.Minute)
	_, err = w.svc.SendPayouts(ctx, 100)
	must(t, err)
	if s := balanceOf(t, w, tuango.SupplierPayable(sup)); s != 600 {
		t.Errorf("after the failure: payable %d, want 600 owed again", s)
	}
	wantSettlementTold(t, w, accounts[0], tuango.NotifySettlementFailed, first, 600)

	ps.SetFaults(payment.PayoutFaults{}) // the provider pays again, at once
	next := w.clock.Now().Add(-24 * time.Hour).In(cst).Format(time.DateOnly)
	again, err := w.svc.Settle(ctx, w.op, sup, next)
	must(t, err)
	if again[0].Payout == nil || again[0].AmountFen != 600 {
		t.Fatalf("the next settlement = %+v, want the 600 that failed", again[0])
	}
	wantPaidOut(t, w, sup, 600, "after the next settlement")
	wantSettlementTold(t, w, accounts[0], tuango.NotifySettlementPaid, next, 600)
	wantLedgerClean(t, w)
}

// wantPaidOut runs the payouts sweep twice (send, then hear back) and
// wants supplier sup's payable settled and paid out in all.
func wantPaidOut(t *testing.T, w *world, sup string, paid tuango.Fen, when string) {
	t.Helper()
	for range 2 {
		_, err := w.svc.SendPayouts(context.Background(), 100)
		must(t, err)
	}
	if s, out := balanceOf(t, w, tuango.SupplierPayable(sup)), balanceOf(t, w, tuango.AccountPayouts); s != 0 || out != paid {
		t.Errorf("%s: payable %d, payouts %d; want 0, %d", when, s, out, paid)
	}
}

// supplierAccounts makes an account of supplier sup for each phone.
func supplierAccounts(t *testing.T, w *world, sup string, phones ...string) []tuango.Actor {
	t.Helper()
	var as []tuango.Actor
	for _, phone := range phones {
		u, err := w.svc.CreateUser(context.Background(), tuango.NewAccount{Phone: phone, Password: "supplier-pass", Name: "供应商", Role: tuango.RoleSupplier, SupplierID: sup})
		must(t, err)
		as = append(as, tuango.Actor{UserID: u.ID, Role: u.Role})
	}
	return as
}

// wantSettlementTold wants a's inbox to hold a message of kind about the
// settlement up to date of amount.
func wantSettlementTold(t *testing.T, w *world, a tuango.Actor, kind tuango.NotificationKind, date string, amount tuango.Fen) {
	t.Helper()
	if _, err := w.svc.DeliverNotifications(context.Background(), 100); err != nil {
		t.Fatal(err)
	}
	ms, _, err := w.svc.Notifications(context.Background(), a, 50, "")
	must(t, err)
	for _, m := range ms {
		if m.Kind == kind && m.Params.Date == date && m.Params.AmountFen == amount {
			return
		}
	}
	t.Errorf("%s's inbox = %+v, want %s of %d up to %s", a.UserID, ms, kind, amount, date)
}
