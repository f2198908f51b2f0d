package tuango_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// audienceWorld is a world with a second city and users in and out of
// the first city's audience; want are the ids an announcement for cty_1
// must reach.
type audienceWorld struct {
	*world
	want, others []string
}

func newAudienceWorld(t *testing.T, dsn string) *audienceWorld {
	t.Helper()
	ctx := context.Background()
	w := &audienceWorld{world: newWorld(t, dsn, 500)}
	s := w.db.Store()
	must(t, s.CreateCity(ctx, &tuango.City{ID: "cty_2", Name: "武汉", TimeZone: "Asia/Shanghai", Cutoff: "23:00"}))
	user := func(id string, role tuango.Role, home, supplier string, in bool) tuango.Actor {
		t.Helper()
		phone := fmt.Sprintf("139%08d", len(w.want)+len(w.others)+1)
		must(t, s.CreateUser(ctx, &tuango.User{ID: id, Phone: phone, Name: id, Role: role, PasswordHash: "x", HomePickupPointID: home, SupplierID: supplier, CreatedAt: t0}))
		if in {
			w.want = append(w.want, id)
		} else {
			w.others = append(w.others, id)
		}
		return tuango.Actor{UserID: id, Role: role}
	}
	far := &tuango.PickupPoint{CityID: "cty_2", Name: "远店", Address: "路2号", CommissionBps: 500, Active: true}
	must(t, w.svc.CreatePickupPoint(ctx, w.op, far))
	user("usr_home", tuango.RoleCustomer, w.pp, "", true)
	buyer := user("usr_buyer", tuango.RoleCustomer, "", "", true)
	w.order(t, buyer, "a1", 1)
	user("usr_far", tuango.RoleCustomer, far.ID, "", false)
	user("usr_none", tuango.RoleCustomer, "", "", false)
	user("usr_lead1", tuango.RoleLeader, "", "", true)
	user("usr_lead2", tuango.RoleLeader, "", "", false)
	must(t, s.CreatePickupPoint(ctx, &tuango.PickupPoint{ID: "pp_led1", CityID: "cty_1", Name: "团长店", Address: "路3号", LeaderID: "usr_lead1", CommissionBps: 500, Active: true}))
	must(t, s.CreatePickupPoint(ctx, &tuango.PickupPoint{ID: "pp_led2", CityID: "cty_2", Name: "团长店2", Address: "路4号", LeaderID: "usr_lead2", CommissionBps: 500, Active: true}))
	d, err := s.FindDealByID(ctx, w.deal)
	must(t, err)
	p, err := s.FindProductByID(ctx, d.ProductID)
	must(t, err)
	user("usr_sup1", tuango.RoleSupplier, "", p.SupplierID, true)
	idle := &tuango.Supplier{Name: "闲"}
	must(t, w.svc.CreateSupplier(ctx, w.op, idle))
	user("usr_sup2", tuango.RoleSupplier, "", idle.ID, false)
	user("usr_op", tuango.RoleOperator, "", "", false)
	sort.Strings(w.want)
	return w
}

// told counts the outbox messages of kind per user.
func told(t *testing.T, s tuango.Store, kind tuango.NotificationKind) map[string]int {
	t.Helper()
	msgs, err := s.FindUnsentMessages(context.Background(), 100_000)
	must(t, err)
	got := map[string]int{}
	for _, m := range msgs {
		if m.Kind == kind {
			got[m.UserID]++
		}
	}
	return got
}

func incident(id string, cities ...string) tuango.Announcement {
	return tuango.Announcement{ID: id, Event: "incident.updated", Cities: cities, Kind: tuango.NotifyIncident,
		Params:  tuango.NotifyParams{Incident: "下单失败", Status: "investigating", ETA: "2026-11-25T03:00:00Z", Body: "数据库不可用"},
		Payload: json.RawMessage(`{"incident":"inc_1","status":"investigating"}`)}
}

func TestAnnounceReachesTheCitysPeopleOnce(t *testing.T) {
	ctx := context.Background()
	w := newAudienceWorld(t, storetest.DSN(t))
	a := incident("inc_1-upd_1", "cty_1")
	must(t, w.svc.Announce(ctx, a))
	must(t, w.svc.Announce(ctx, a)) // the same id again is one announcement

	t.Run("a small sweep leaves the rest for the next", func(t *testing.T) {
		n, err := w.svc.FanOutAnnouncements(ctx, 2)
		if err != nil || n != 2 {
			t.Fatalf("FanOutAnnouncements(2) = %d, %v; want 2", n, err)
		}
		if got := len(told(t, w.db.Store(), tuango.NotifyIncident)); got != 2 {
			t.Errorf("%d users told after the first sweep, want 2", got)
		}
	})
	t.Run("every one of the city's people once, nobody else", func(t *testing.T) {
		n, err := w.svc.FanOutAnnouncements(ctx, 1000)
		if err != nil || n != len(w.want)-2 {
			t.Fatalf("FanOutAnnouncements = %d, %v; want %d", n, err, len(w.want)-2)
		}
		if n, err := w.svc.FanOutAnnouncements(ctx, 1000); err != nil || n != 0 {
			t.Fatalf("a sweep after the end = %d, %v; want 0", n, err)
		}
		got := told(t, w.db.Store(), tuango.NotifyIncident)
		var ids []string
		for id, k := range got {
			ids = append(ids, id)
			if k != 1 {
				t.Errorf("%s told %d times, want once", id, k)
			}
		}
		sort.Strings(ids)
		if fmt.Sprint(ids) != fmt.Sprint(w.want) {
			t.Errorf("told %v, want %v", ids, w.want)
		}
		an, err := w.svc.FindAnnouncement(ctx, a.ID)
		must(t, err)
		if an.DoneAt.IsZero() || an.Told != len(w.want) {
			t.Errorf("announcement done at %v, told %d; want done, %d", an.DoneAt, an.Told, len(w.want))
		}
	})
	t.Run("every city reaches every customer, leader and supplier", func(t *testing.T) {
		must(t, w.svc.Announce(ctx, incident("inc_2-upd_1")))
		_, err := w.svc.FanOutAnnouncements(ctx, 1000)
		must(t, err)
		msgs, err := w.db.Store().FindUnsentMessages(ctx, 100_000)
		must(t, err)
		all := map[string]int{}
		for _, m := range msgs {
			if m.Kind == tuango.NotifyIncident {
				all[m.UserID]++
			}
		}
		for _, id := range append(append([]string{}, w.want...), w.others...) {
			want := 2
			if !contains(w.want, id) {
				want = 1
			}
			if id == "usr_op" {
				want = 0
			}
			if all[id] != want {
				t.Errorf("%s has %d incident messages, want %d", id, all[id], want)
			}
		}
	})
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// Two nodes sweeping at once (a lease that lapsed under a slow holder)
// still tell each user once: the cursor moves by a guarded update.
func TestAnnounceFanOutRacedByTwoNodes(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	w := newAudienceWorld(t, dsn)
	other := newWorld(t, dsn, 500)
	must(t, w.svc.Announce(ctx, incident("inc_1-upd_2", "cty_1")))
	var wg sync.WaitGroup
	for _, svc := range []*tuango.Service{w.svc, other.svc, w.svc, other.svc} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				if _, err := svc.FanOutAnnouncements(ctx, 1); err != nil && tuango.ErrorCode(err) != tuango.CodeConflict {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	_, err := w.svc.FanOutAnnouncements(ctx, 1000)
	must(t, err)
	got := told(t, w.db.Store(), tuango.NotifyIncident)
	if len(got) != len(w.want) {
		t.Errorf("told %d users, want %d", len(got), len(w.want))
	}
	for id, k := range got {
		if k != 1 || !contains(w.want, id) {
			t.Errorf("%s told %d times (in the audience: %v)", id, k, contains(w.want, id))
		}
	}
}

func TestAnnounceRefusesBadInput(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 10)
	for name, a := range map[string]tuango.Announcement{
		"no id":       {Event: "incident.updated", Kind: tuango.NotifyIncident},
		"no event":    {ID: "x", Kind: tuango.NotifyIncident},
		"bad event":   {ID: "x", Event: "incident updated", Kind: tuango.NotifyIncident},
		"no kind":     {ID: "x", Event: "incident.updated"},
		"bad city":    {ID: "x", Event: "incident.updated", Kind: tuango.NotifyIncident, Cities: []string{"a,b"}},
		"bad payload": {ID: "x", Event: "incident.updated", Kind: tuango.NotifyIncident, Payload: json.RawMessage(`{`)},
	} {
		t.Run(name, func(t *testing.T) {
			if err := w.svc.Announce(context.Background(), a); tuango.ErrorCode(err) != tuango.CodeInvalid {
				t.Errorf("Announce = %v, want invalid", err)
			}
		})
	}
	if _, err := w.db.Store().FindAnnouncementByID(context.Background(), "x"); !tuango.IsNotFound(err) {
		t.Errorf("a refused announcement was stored: %v", err)
	}
	_ = time.Second
}
