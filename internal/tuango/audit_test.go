package tuango_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// auditKinds chains what is waiting and returns every record's kind, in
// chain order.
func auditRecords(t *testing.T, w *world) []tuango.AuditRecord {
	t.Helper()
	ctx := context.Background()
	if _, err := w.svc.ChainAudit(ctx, 1000); err != nil {
		t.Fatal(err)
	}
	rs, err := w.db.Store().FindAuditChain(ctx, 0, 10000)
	must(t, err)
	return rs
}

func findKind(rs []tuango.AuditRecord, kind string) []tuango.AuditRecord {
	var out []tuango.AuditRecord
	for _, r := range rs {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

// Every sign-in, failed guess and sign-out is recorded with who and from
// where; a failed guess names the phone masked, never the password.
func TestAuditRecordsAuthentication(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 10)
	ctx := tuango.WithOrigin(context.Background(), "203.0.113.7", "req1")
	w.customer(t, "13800000011")
	if _, _, err := w.svc.Login(ctx, tuango.LoginRequest{Phone: "13800000011", Password: "wrong-password", Source: "203.0.113.7"}); tuango.ErrorCode(err) != tuango.CodeInvalidCredentials {
		t.Fatalf("wrong password: %v", err)
	}
	u, token, err := w.svc.Login(ctx, tuango.LoginRequest{Phone: "13800000011", Password: "password-1", Source: "203.0.113.7"})
	must(t, err)
	must(t, w.svc.Logout(ctx, token))
	rs := auditRecords(t, w)

	failed := findKind(rs, tuango.AuditLoginFailed)
	if len(failed) != 1 || failed[0].ActorID != "phone:138****0011" || failed[0].Source != "203.0.113.7" || !strings.Contains(failed[0].Detail, "invalid_credentials") {
		t.Errorf("failed logins = %+v, want one from 203.0.113.7 naming phone:138****0011", failed)
	}
	for _, r := range rs {
		if strings.Contains(r.Detail, "wrong-password") || strings.Contains(r.Detail, "password-1") || strings.Contains(r.Detail, token) {
			t.Errorf("record %d carries a secret: %+v", r.Seq, r)
		}
	}
	ok := findKind(rs, tuango.AuditLoginOK)
	if len(ok) != 1 || ok[0].ActorID != u.ID || ok[0].ActorRole != "customer" || ok[0].Source != "203.0.113.7" {
		t.Errorf("logins = %+v, want one by %s from 203.0.113.7", ok, u.ID)
	}
	if out := findKind(rs, tuango.AuditLogout); len(out) != 1 || out[0].ActorID != u.ID {
		t.Errorf("logouts = %+v, want one by %s", out, u.ID)
	}
}

// An operator's action is recorded in the transaction of the change: once
// when it commits, not at all when it rolls back.
func TestAuditOperatorActionCommitsWithItsChange(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 10)
	op := &tuango.User{ID: "usr_op", Role: tuango.RoleOperator}
	act := func(name string) context.Context {
		ctx := tuango.WithOrigin(context.Background(), "198.51.100.2", name)
		tuango.NoteActor(ctx, op)
		tuango.NoteOperatorAction(ctx, "PATCH /api/v1/admin/deals/{id}", "/api/v1/admin/deals/"+w.deal, `{"stock":"40"}`)
		return ctx
	}
	ctx := act("refused")
	if _, err := w.svc.UpdateDeal(ctx, w.op, w.deal, func(d *tuango.Deal) error { d.Stock = -1; return nil }); err == nil {
		t.Fatal("stock -1 was accepted")
	}
	// refused: the web layer answers 4xx and records nothing more
	ctx = act("accepted")
	_, err := w.svc.UpdateDeal(ctx, w.op, w.deal, func(d *tuango.Deal) error { d.Stock = 40; return nil })
	must(t, err)
	must(t, w.svc.RecordOperatorAction(ctx)) // already written with the change: a no-op
	rs := auditRecords(t, w)
	ops := findKind(rs, "operator.PATCH /api/v1/admin/deals/{id}")
	if len(ops) != 1 {
		t.Fatalf("operator records = %+v, want one: the accepted change's (the refused one rolled back with its record)", ops)
	}
	if ops[0].ActorID != "usr_op" || ops[0].ActorRole != "operator" || ops[0].Source != "198.51.100.2" || ops[0].Subject != "/api/v1/admin/deals/"+w.deal {
		t.Errorf("operator record = %+v", ops[0])
	}
	stock := findKind(rs, tuango.AuditStockAdjusted)
	if len(stock) != 1 || stock[0].Detail != `{"reserved":0,"stock_from":10,"stock_to":40}` || stock[0].ActorID != "usr_op" {
		t.Errorf("stock records = %+v, want one from 10 to 40 by usr_op", stock)
	}
}

// A customer's request is no operator action; nothing is recorded for it
// but what it moves.
func TestAuditIgnoresCustomersRequests(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 10)
	a := w.customer(t, "13800000012")
	ctx := tuango.WithOrigin(context.Background(), "198.51.100.3", "r")
	tuango.NoteActor(ctx, &tuango.User{ID: a.UserID, Role: a.Role})
	tuango.NoteOperatorAction(ctx, "POST /api/v1/orders", "/api/v1/orders", "{}")
	_, err := w.svc.PlaceOrder(ctx, a, tuango.PlaceOrderRequest{PickupPointID: w.pp, Items: []tuango.OrderItem{{DealID: w.deal, Quantity: 1}}, Idem: idem(a.UserID, "k")})
	must(t, err)
	must(t, w.svc.RecordOperatorAction(ctx))
	for _, r := range auditRecords(t, w) {
		if strings.HasPrefix(r.Kind, tuango.AuditOperatorPrefix) {
			t.Errorf("a customer's order was recorded as an operator action: %+v", r)
		}
	}
}

// Money moved is recorded in its transaction: a capture and a refund.
func TestAuditRecordsMoneyMovements(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 10)
	ctx := context.Background()
	a := w.customer(t, "13800000013")
	o := w.order(t, a, "k", 2)
	p := w.payment(t, a, o, "p")
	must(t, w.sb.Confirm(ctx, p.ID, a.UserID))
	w.clock.Advance(tuango.ReconcileAfter + 1e9)
	if _, err := w.svc.Reconcile(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.CancelOrder(ctx, a, o.ID); err != nil {
		t.Fatal(err)
	}
	rs := auditRecords(t, w)
	cap := findKind(rs, "money.payment_captured")
	if len(cap) != 1 || cap[0].Subject != "capture:"+p.ID || !strings.Contains(cap[0].Detail, `"amount_fen":`) {
		t.Errorf("captures = %+v, want one for %s", cap, p.ID)
	}
	if ref := findKind(rs, "money.refund_granted"); len(ref) != 1 || !strings.Contains(ref[0].Detail, o.ID) {
		t.Errorf("refunds = %+v, want one of order %s", ref, o.ID)
	}
	c, err := w.svc.VerifyAudit(ctx, 0, "", nil)
	if err != nil || c.Checked != int64(len(rs)) || c.Waiting != 0 {
		t.Errorf("VerifyAudit = %+v, %v; want %d checked, none waiting", c, err, len(rs))
	}
	var b *tuango.AuditBreak
	if _, err := w.svc.VerifyAudit(ctx, 0, strings.Repeat("0", 64), nil); !errors.As(err, &b) || b.Seq != 1 {
		t.Errorf("VerifyAudit from a wrong genesis = %v, want a break at record 1", err)
	}
}
