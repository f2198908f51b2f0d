package tuango_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// paidOrders places and pays n orders of one unit, spread over customers,
// and returns them with their owners.
func paidOrders(t *testing.T, w *world, phone string, n int) ([]*tuango.Order, map[string]tuango.Actor) {
	t.Helper()
	owners := map[string]tuango.Actor{}
	var paid []*tuango.Order
	var a tuango.Actor
	for i := range n {
		if i%8 == 0 {
			a = w.customer(t, fmt.Sprintf("%s%02d", phone, i/8))
		}
		o := w.pay(t, a, w.order(t, a, fmt.Sprint("k", i), 1))
		paid, owners[o.ID] = append(paid, o), a
	}
	return paid, owners
}

// A long cutoff shows how far it is on its row, from any node, after each
// chunk; one that dies half way resumes where it stopped, and in the end
// every order was moved once, with one event and one notification.
func TestCutoffShowsProgressAndResumes(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 1000)
	ctx := context.Background()
	const date = "2026-11-26"
	paid, owners := paidOrders(t, w, "138000050", 24)
	late := w.customer(t, "13800005099")
	unpaid := []*tuango.Order{w.order(t, late, "u1", 1), w.order(t, late, "u2", 1)}

	node := w.node(tuango.Config{CutoffChunk: 5})
	defer node.Close()
	runCtx, die := context.WithCancel(ctx)
	var seen []string
	_, err := node.RunCutoff(runCtx, "cty_1", date, tuango.WorkerID, func(moved, total int) {
		seen = append(seen, fmt.Sprintf("%d/%d", moved, total))
		c, err := w.db.Store().FindCutoff(ctx, "cty_1", date) // as another node reads it
		must(t, err)
		if !c.FinishedAt.IsZero() || c.MovedOrders != moved || c.TotalOrders != total {
			t.Errorf("cutoff row mid-run = finished %v, %d of %d; want running, %d of %d", c.FinishedAt, c.MovedOrders, c.TotalOrders, moved, total)
		}
		_, err = w.svc.GetCutoff(ctx, w.op, "cty_1", date)
		if want := fmt.Sprintf("%d of %d orders moved", moved, total); tuango.ErrorCode(err) != tuango.CodeNotFound || !strings.Contains(err.Error(), want) {
			t.Errorf("GetCutoff mid-run = %v, want not_found saying %q", err, want)
		}
		if moved >= 12 {
			die() // the node dies half way
		}
	})
	if err == nil {
		t.Fatal("a cutoff whose node died half way succeeded")
	}
	if got := strings.Join(seen, " "); got != "2/26 7/26 12/26" {
		t.Errorf("progress = %s, want the unpaid two, then the paid in chunks of 5: 2/26 7/26 12/26", got)
	}

	c, err := w.svc.RunCutoff(ctx, "cty_1", date, tuango.WorkerID, nil)
	must(t, err)
	if c.ConfirmedOrders != 24 || c.CancelledOrders != 2 || c.MovedOrders != 26 || c.TotalOrders != 26 {
		t.Errorf("resumed cutoff = %+v, want 24 confirmed, 2 cancelled, 26 of 26 moved", c)
	}
	if got, err := w.svc.GetCutoff(ctx, w.op, "cty_1", date); err != nil || *got != *c {
		t.Errorf("GetCutoff after the finish = %+v, %v; want %+v", got, err, c)
	}
	msgs, err := w.db.Store().FindUnsentMessages(ctx, 1000)
	must(t, err)
	told := map[string]int{}
	for _, m := range msgs {
		if m.Kind == tuango.NotifyConfirmed {
			told[m.OrderID]++
			if m.UserID != owners[m.OrderID].UserID || m.Params.Date != date {
				t.Errorf("confirmation %+v, want to the owner of %s, for %s", m, m.OrderID, date)
			}
		}
	}
	for _, p := range paid {
		o, err := w.svc.GetOrder(ctx, owners[p.ID], p.ID)
		must(t, err)
		var moves []string
		for _, e := range o.Timeline {
			moves = append(moves, string(e.Status))
		}
		if o.Status != tuango.OrderConfirmed || strings.Join(moves, ",") != "paid,confirmed" || told[p.ID] != 1 {
			t.Errorf("order %s = %s, timeline %v, told %d times; want confirmed once, told once", p.ID, o.Status, moves, told[p.ID])
		}
		if ev := o.Timeline[len(o.Timeline)-1]; !ev.At.Equal(o.ConfirmedAt) || ev.Mover != tuango.MoverWorker || ev.Place != "cty_1" {
			t.Errorf("order %s confirmed at %v by %+v, want the event at confirmed_at %v, by the worker for the city", p.ID, ev.At, ev, o.ConfirmedAt)
		}
	}
	for _, u := range unpaid {
		if o, _ := w.svc.GetOrder(ctx, late, u.ID); o.Status != tuango.OrderCancelled || o.CancelReason != tuango.CancelExpired {
			t.Errorf("unpaid order %s = %s (%s), want cancelled, expired", u.ID, o.Status, o.CancelReason)
		}
	}
	if n := w.reserved(t); n != 24 {
		t.Errorf("units held = %d, want the 24 confirmed (the unpaid gave theirs back)", n)
	}
}

// A confirmation is never stamped before the move it follows: an order
// paid by a node whose clock runs ahead is confirmed at its payment's
// time, the others at the cutoff's.
func TestCutoffNeverStampsBeforeTheLastMove(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 100)
	ctx := context.Background()
	paid, owners := paidOrders(t, w, "138000060", 2)
	ahead := *paid[0]
	ahead.PaidAt = w.clock.Now().Add(time.Hour)
	ok, err := w.db.Store().UpdateOrderStatus(ctx, &ahead, tuango.OrderPaid)
	if err != nil || !ok {
		t.Fatalf("UpdateOrderStatus = %v, %v", ok, err)
	}
	now := w.clock.Now()
	_, err = w.svc.RunCutoff(ctx, "cty_1", "2026-11-26", tuango.WorkerID, nil)
	must(t, err)
	for i, want := range []time.Time{ahead.PaidAt, now} {
		o, err := w.svc.GetOrder(ctx, owners[paid[i].ID], paid[i].ID)
		must(t, err)
		ev := o.Timeline[len(o.Timeline)-1]
		if ev.Status != tuango.OrderConfirmed || !ev.At.Equal(want) || !o.ConfirmedAt.Equal(want) {
			t.Errorf("order %d confirmed at %v (event %s at %v), want %v", i, o.ConfirmedAt, ev.Status, ev.At, want)
		}
	}
}
