package tuango_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// apologyWorld has customers whose orders failed, were delayed, or went
// fine, in and out of an incident's window and city.
type apologyWorld struct {
	*world
	tokens map[string]string
	ids    map[string]string
}

func (w *apologyWorld) signUp(t *testing.T, name, home string) tuango.Actor {
	t.Helper()
	u, token, err := w.svc.Register(context.Background(), fmt.Sprintf("137%08d", len(w.ids)+1), "password-1", name)
	must(t, err)
	a := tuango.Actor{UserID: u.ID, Role: u.Role}
	if home != "" {
		_, err := w.svc.SetHomePickupPoint(context.Background(), a, home)
		must(t, err)
	}
	w.tokens[name], w.ids[name] = token, u.ID
	return a
}

func (w *apologyWorld) names(ids []string) []string {
	var out []string
	for name, id := range w.ids {
		for _, x := range ids {
			if x == id {
				out = append(out, name)
			}
		}
	}
	sort.Strings(out)
	return out
}

var apology = tuango.ApologySpec{AmountOffFen: 500, MinSpendFen: 1000, ValidDays: 7}

func TestApologyCouponsGoToExactlyTheFailedAndDelayed(t *testing.T) {
	ctx := context.Background()
	w := &apologyWorld{world: newWorld(t, storetest.DSN(t), 500), tokens: map[string]string{}, ids: map[string]string{}}
	must(t, w.db.Store().CreateCity(ctx, &tuango.City{ID: "cty_2", Name: "武汉", TimeZone: "Asia/Shanghai", Cutoff: "23:00"}))
	far := &tuango.PickupPoint{CityID: "cty_2", Name: "远店", Address: "路2号", CommissionBps: 500, Active: true}
	must(t, w.svc.CreatePickupPoint(ctx, w.op, far))

	failed := w.signUp(t, "failed", w.pp)
	w.signUp(t, "failed_twice", w.pp)
	w.signUp(t, "failed_early", w.pp)
	w.signUp(t, "failed_far", far.ID)
	w.signUp(t, "cached", w.pp)
	delayed := w.signUp(t, "delayed", "")
	fine := w.signUp(t, "fine", "")
	early := w.signUp(t, "expired_early", "")
	w.signUp(t, "stranger", "")
	_ = failed

	// Before the incident: a failure and an expiry that are not its.
	w.svc.NoteOrderFailure(w.tokens["failed_early"])
	w.order(t, early, "e1", 1) // expires 15 minutes on, before the window
	w.clock.Advance(20 * time.Minute)
	_, err := w.svc.ExpireOrders(ctx, 100)
	must(t, err)
	_, err = w.svc.FlushOrderFailures(ctx)
	must(t, err)

	from := t0.Add(time.Hour)
	w.clock.Advance(from.Sub(w.clock.Now()))
	w.order(t, delayed, "d1", 1) // its deadline falls in the window, unpaid
	w.clock.Advance(10 * time.Minute)
	// The database is down: order requests answer 503 and are noted.
	w.svc.NoteOrderFailure(w.tokens["failed"])
	w.svc.NoteOrderFailure(w.tokens["failed_twice"])
	w.svc.NoteOrderFailure(w.tokens["failed_twice"])
	w.svc.NoteOrderFailure(w.tokens["failed_far"])
	w.svc.NoteOrderFailure("tg_not-a-session")
	if _, err := w.svc.Authenticate(ctx, w.tokens["cached"]); err != nil { // its session is in the node's cache
		t.Fatal(err)
	}
	w.svc.NoteOrderFailure(w.tokens["cached"])
	if held, _ := w.svc.NotedFailures(); held != 5 {
		t.Errorf("the node holds %d noted failures, want 5 (one per user or session)", held)
	}
	to := from.Add(time.Hour)
	w.clock.Advance(to.Add(-5 * time.Minute).Sub(w.clock.Now()))
	w.order(t, fine, "f1", 1) // placed late in the window: its deadline is after it
	w.clock.Advance(to.Add(time.Hour).Sub(w.clock.Now()))
	_, err = w.svc.ExpireOrders(ctx, 100)
	must(t, err)
	n, err := w.svc.FlushOrderFailures(ctx)
	if err != nil || n != 4 {
		t.Fatalf("FlushOrderFailures = %d, %v; want 4 (the unknown token is nobody)", n, err)
	}
	if held, _ := w.svc.NotedFailures(); held != 0 {
		t.Errorf("%d failures still held after the flush", held)
	}

	t.Run("the city's failed and delayed customers, once each", func(t *testing.T) {
		n, err := w.svc.IssueApologyCoupons(ctx, "inc_1", from, to, []string{"cty_1"}, apology)
		if err != nil || n != 4 {
			t.Fatalf("IssueApologyCoupons = %d, %v; want 4", n, err)
		}
		cs, err := w.db.Store().FindApologyCustomers(ctx, tuango.ApologyFilter{From: from, To: to, Cities: []string{"cty_1"}, OrderedFrom: from.AddDate(0, 0, -30)})
		must(t, err)
		if got, want := fmt.Sprint(w.names(cs)), "[cached delayed failed failed_twice]"; got != want {
			t.Errorf("customers = %s, want %s", got, want)
		}
		for name, id := range w.ids {
			held, err := w.svc.MyCoupons(ctx, tuango.Actor{UserID: id, Role: tuango.RoleCustomer})
			must(t, err)
			want := 0
			if contains([]string{"cached", "delayed", "failed", "failed_twice"}, name) {
				want = 1
			}
			if len(held) != want {
				t.Errorf("%s holds %d coupons, want %d", name, len(held), want)
			}
			for _, c := range held {
				if c.Coupon.AmountOffFen != 500 || c.Coupon.MinSpendFen != 1000 || c.Coupon.ValidTo.Sub(c.Coupon.ValidFrom) != 7*24*time.Hour {
					t.Errorf("%s's coupon is %+v, want 5 yuan off 10 for 7 days", name, c.Coupon)
				}
			}
		}
	})
	t.Run("a second call issues nothing more", func(t *testing.T) {
		n, err := w.svc.IssueApologyCoupons(ctx, "inc_1", from, to, []string{"cty_1"}, apology)
		if err != nil || n != 0 {
			t.Errorf("again = %d, %v; want 0", n, err)
		}
	})
	t.Run("every city includes the far customer", func(t *testing.T) {
		n, err := w.svc.IssueApologyCoupons(ctx, "inc_2", from, to, nil, apology)
		if err != nil || n != 5 {
			t.Errorf("IssueApologyCoupons(every city) = %d, %v; want 5", n, err)
		}
	})
	t.Run("bad input issues nothing", func(t *testing.T) {
		for name, call := range map[string]func() (int, error){
			"no incident":      func() (int, error) { return w.svc.IssueApologyCoupons(ctx, "", from, to, nil, apology) },
			"window backwards": func() (int, error) { return w.svc.IssueApologyCoupons(ctx, "inc_3", to, from, nil, apology) },
			"no days": func() (int, error) {
				return w.svc.IssueApologyCoupons(ctx, "inc_3", from, to, nil, tuango.ApologySpec{AmountOffFen: 500, MinSpendFen: 1000})
			},
			"min below off": func() (int, error) {
				return w.svc.IssueApologyCoupons(ctx, "inc_3", from, to, nil, tuango.ApologySpec{AmountOffFen: 500, MinSpendFen: 500, ValidDays: 3})
			},
			"nothing off": func() (int, error) {
				return w.svc.IssueApologyCoupons(ctx, "inc_3", from, to, nil, tuango.ApologySpec{MinSpendFen: 500, ValidDays: 3})
			},
			"bad city": func() (int, error) {
				return w.svc.IssueApologyCoupons(ctx, "inc_3", from, to, []string{"a b"}, apology)
			},
		} {
			if n, err := call(); tuango.ErrorCode(err) != tuango.CodeInvalid || n != 0 {
				t.Errorf("%s: = %d, %v; want invalid", name, n, err)
			}
		}
		if _, err := w.db.Store().FindCouponByID(ctx, "cpn_apology_inc_3"); !tuango.IsNotFound(err) {
			t.Errorf("a refused call made its coupon: %v", err)
		}
	})
}
