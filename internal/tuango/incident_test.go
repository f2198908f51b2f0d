package tuango_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

func TestOperatorsIncidents(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 10)
	ctx := context.Background()
	ordering := []tuango.ComponentImpact{{ID: tuango.CompOrdering, Status: tuango.ComponentPartialOutage}}
	valid := tuango.NewIncident{Name: "支付变慢", Impact: tuango.ImpactMinor, Components: ordering, Body: "正在排查", ETA: t0.Add(time.Hour)}

	t.Run("bad input is refused, naming the field, and nothing is written", func(t *testing.T) {
		cases := []struct {
			name  string
			edit  func(*tuango.NewIncident)
			field string
		}{
			{"no name", func(n *tuango.NewIncident) { n.Name = " " }, "name"},
			{"no body", func(n *tuango.NewIncident) { n.Body = "" }, "body"},
			{"unknown impact", func(n *tuango.NewIncident) { n.Impact = "huge" }, "impact"},
			{"no component", func(n *tuango.NewIncident) { n.Components = nil }, "components"},
			{"unknown component", func(n *tuango.NewIncident) { n.Components = []tuango.ComponentImpact{{ID: "kitchen"}} }, "components"},
			{"unknown city", func(n *tuango.NewIncident) { n.Components = []tuango.ComponentImpact{{ID: "city:cty_nowhere"}} }, "components"},
			{"unknown state", func(n *tuango.NewIncident) {
				n.Components = []tuango.ComponentImpact{{ID: tuango.CompOrdering, Status: "on_fire"}}
			}, "components"},
			{"a component twice", func(n *tuango.NewIncident) { n.Components = append(ordering, ordering...) }, "components"},
			{"eta in the past", func(n *tuango.NewIncident) { n.ETA = t0.Add(-time.Minute) }, "eta"},
			{"unknown effect", func(n *tuango.NewIncident) { n.Effects.Cutoff = "maybe" }, "cutoff"},
			{"maintenance without a window", func(n *tuango.NewIncident) { n.Kind = tuango.KindMaintenance }, "starts_at"},
			{"maintenance ending before it starts", func(n *tuango.NewIncident) {
				n.Kind, n.StartsAt, n.EndsAt = tuango.KindMaintenance, t0.Add(2*time.Hour), t0.Add(time.Hour)
			}, "ends_at"},
			{"unknown kind", func(n *tuango.NewIncident) { n.Kind = "outage" }, "kind"},
		}
		for _, c := range cases {
			in := valid
			c.edit(&in)
			_, err := w.svc.OpenIncident(ctx, w.op, in)
			var e *tuango.Error
			if tuango.ErrorCode(err) != tuango.CodeInvalid || !errors.As(err, &e) || e.Field != c.field {
				t.Errorf("%s: OpenIncident = %v, want validation_failed on %s", c.name, err, c.field)
			}
		}
		got, err := w.db.Store().FindIncidents(ctx, t0.Add(-time.Hour), 100)
		must(t, err)
		if len(got) != 0 {
			t.Errorf("after refusals: %d incidents stored, want 0", len(got))
		}
	})

	t.Run("a customer may not open one", func(t *testing.T) {
		_, err := w.svc.OpenIncident(ctx, tuango.Actor{UserID: "u", Role: tuango.RoleCustomer}, valid)
		if tuango.ErrorCode(err) != tuango.CodeForbidden {
			t.Errorf("OpenIncident(customer) = %v, want forbidden", err)
		}
	})

	t.Run("updates move it to resolved; then it takes a postmortem and no more updates", func(t *testing.T) {
		inc, err := w.svc.OpenIncident(ctx, w.op, valid)
		must(t, err)
		if _, err := w.svc.PublishPostmortem(ctx, w.op, inc.ID, "too early"); tuango.ErrorCode(err) != tuango.CodeConflict {
			t.Errorf("PublishPostmortem(open incident) = %v, want conflict", err)
		}
		if _, err := w.svc.PostIncidentUpdate(ctx, w.op, inc.ID, tuango.NewIncidentUpdate{Status: "fixed", Body: "x"}); tuango.ErrorCode(err) != tuango.CodeInvalid {
			t.Errorf("PostIncidentUpdate(status fixed) = %v, want validation_failed", err)
		}
		w.clock.Advance(time.Minute)
		_, err = w.svc.PostIncidentUpdate(ctx, w.op, inc.ID, tuango.NewIncidentUpdate{Status: tuango.IncidentIdentified, Body: "支付渠道限流", ETA: t0.Add(30 * time.Minute),
			Effects: tuango.Effects{Cutoff: tuango.EffectNone, Delivery: tuango.EffectNone, Settlement: tuango.EffectDelayed}})
		must(t, err)
		w.clock.Advance(time.Minute)
		_, err = w.svc.PostIncidentUpdate(ctx, w.op, inc.ID, tuango.NewIncidentUpdate{Status: tuango.IncidentResolved, Body: "已恢复"})
		must(t, err)
		if _, err := w.svc.PostIncidentUpdate(ctx, w.op, inc.ID, tuango.NewIncidentUpdate{Status: tuango.IncidentMonitoring, Body: "again"}); tuango.ErrorCode(err) != tuango.CodeConflict {
			t.Errorf("PostIncidentUpdate(resolved incident) = %v, want conflict", err)
		}
		if _, err := w.svc.PublishPostmortem(ctx, w.op, inc.ID, " "); tuango.ErrorCode(err) != tuango.CodeInvalid {
			t.Errorf("PublishPostmortem(empty) = %v, want validation_failed", err)
		}
		_, err = w.svc.PublishPostmortem(ctx, w.op, inc.ID, "发生了什么：…")
		must(t, err)
		got, updates, err := w.svc.GetIncident(ctx, inc.ID)
		must(t, err)
		if got.Status != tuango.IncidentResolved || !got.ResolvedAt.Equal(t0.Add(2*time.Minute)) || got.Postmortem == "" {
			t.Errorf("incident = %s resolved at %v postmortem %q", got.Status, got.ResolvedAt, got.Postmortem)
		}
		var statuses []string
		for _, u := range updates {
			statuses = append(statuses, string(u.Status))
		}
		if s := strings.Join(statuses, " "); s != "investigating identified resolved" {
			t.Errorf("updates = %s, want investigating identified resolved", s)
		}
		if updates[1].Effects.Settlement != tuango.EffectDelayed {
			t.Errorf("the identified update's settlement = %q, want delayed", updates[1].Effects.Settlement)
		}
	})
}

// Two nodes whose probes both see the database stop keep the incident in
// memory while it is down and write one incident when it is back, which
// then moves to monitoring and resolves by itself: three updates, once each.
func TestProbesOfTwoNodesOpenOneIncident(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a private PostgreSQL cluster")
	}
	pg := storetest.StartPostgres(t)
	a := newWorld(t, pg.URL, 10)
	ctx := context.Background()
	cfg := tuango.StatusConfig{Every: time.Second, Quiet: time.Minute}
	cfg.Node = "a"
	ma := a.svc.NewStatusMonitor(cfg)
	cfg.Node = "b"
	mb := tuangoMonitorOn(t, pg.URL, a.clock, cfg)
	round := func() {
		a.clock.Advance(time.Second)
		ma.Probe(ctx)
		mb.Probe(ctx)
	}
	round()
	if n := len(ma.Snapshot().Incidents); n != 0 {
		t.Fatalf("%d incidents before the stop", n)
	}
	pg.Stop("fast")
	round()
	round()
	if n := len(ma.Snapshot().Incidents); n != 0 {
		t.Errorf("two failures opened an incident; three should")
	}
	round()
	for name, m := range map[string]*tuango.StatusMonitor{"a": ma, "b": mb} {
		snap := m.Snapshot()
		if len(snap.Incidents) != 1 || snap.Incidents[0].Status != tuango.IncidentInvestigating || snap.Live {
			t.Fatalf("node %s while the database is down: %+v", name, snap.Incidents)
		}
		if c := component(snap, tuango.CompOrdering); c.Status != tuango.ComponentMajorOutage {
			t.Errorf("node %s: ordering is %s, want major_outage", name, c.Status)
		}
		if snap.Indicator != tuango.ImpactCritical {
			t.Errorf("node %s: indicator %s, want critical", name, snap.Indicator)
		}
	}
	pg.Start()
	round() // back: each writes its incident, b joins a's
	round() // second success: monitoring
	sa, sb := ma.Snapshot(), mb.Snapshot()
	if len(sa.Incidents) != 1 || len(sb.Incidents) != 1 || sa.Incidents[0].ID != sb.Incidents[0].ID {
		t.Fatalf("after recovery the nodes show %d and %d incidents, want the same one", len(sa.Incidents), len(sb.Incidents))
	}
	if sa.Incidents[0].Status != tuango.IncidentMonitoring {
		t.Errorf("after two good probes: %s, want monitoring", sa.Incidents[0].Status)
	}
	a.clock.Advance(cfg.Quiet)
	round()
	got, err := a.db.Store().FindIncidents(ctx, t0.Add(-time.Hour), 100)
	must(t, err)
	if len(got) != 1 {
		t.Fatalf("%d incidents stored, want 1", len(got))
	}
	inc, updates, err := a.svc.GetIncident(ctx, got[0].ID)
	must(t, err)
	var statuses []string
	for _, u := range updates {
		statuses = append(statuses, string(u.Status))
	}
	if s := strings.Join(statuses, " "); inc.Status != tuango.IncidentResolved || s != "investigating monitoring resolved" {
		t.Errorf("incident %s with updates %s, want resolved with investigating monitoring resolved", inc.Status, s)
	}
	if !inc.Auto || inc.CreatedAt.After(t0.Add(4*time.Second)) {
		t.Errorf("auto %v, opened at %v: want automatic, opened at the first failure", inc.Auto, inc.CreatedAt)
	}
	up := component(ma.Snapshot(), tuango.CompOrdering).Uptime
	if last := up[len(up)-1]; last.BasisPoints <= 0 || last.BasisPoints >= 10000 || last.DownSeconds == 0 {
		t.Errorf("today's ordering uptime %+v: want the failed probes counted", last)
	}
}

// tuangoMonitorOn is a second node: its own database handle and service.
func tuangoMonitorOn(t *testing.T, dsn string, clock *tuango.ManualClock, cfg tuango.StatusConfig) *tuango.StatusMonitor {
	t.Helper()
	w := newWorld(t, dsn, 10)
	svc := tuango.NewService(w.db.Store(), clock, nil, nil, w.sb, tuango.Config{}, nil)
	return svc.NewStatusMonitor(cfg)
}

func component(s tuango.StatusSnapshot, id string) tuango.ComponentView {
	for _, c := range s.Components {
		if c.ID == id {
			return c
		}
	}
	return tuango.ComponentView{}
}

// Each update is announced once: the sweep hands it to Announce and marks
// it; an update announced before the mark was written (a node killed in
// between) is handed again and stays one announcement.
func TestIncidentUpdatesAnnouncedOnce(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 10)
	ctx := context.Background()
	inc, err := w.svc.OpenIncident(ctx, w.op, tuango.NewIncident{Name: "下单失败", Impact: tuango.ImpactMajor, Body: "正在处理",
		Components: []tuango.ComponentImpact{{ID: tuango.CompOrdering}, {ID: "city:cty_1"}}})
	must(t, err)
	n, err := w.svc.AnnounceIncidentUpdates(ctx, 100)
	must(t, err)
	if n != 1 {
		t.Fatalf("first sweep announced %d, want 1", n)
	}
	u, err := w.svc.PostIncidentUpdate(ctx, w.op, inc.ID, tuango.NewIncidentUpdate{Status: tuango.IncidentIdentified, Body: "找到原因", ETA: t0.Add(time.Hour)})
	must(t, err)
	// A node announced it and died before marking it.
	must(t, w.svc.Announce(ctx, tuango.Announcement{ID: "incident-update:" + u.ID, Event: tuango.EventIncidentUpdated, Kind: tuango.NotifyIncident}))
	n, err = w.svc.AnnounceIncidentUpdates(ctx, 100)
	must(t, err)
	if n != 1 {
		t.Errorf("second sweep announced %d, want 1 (the identified update)", n)
	}
	if n, _ := w.svc.AnnounceIncidentUpdates(ctx, 100); n != 0 {
		t.Errorf("a third sweep announced %d, want 0", n)
	}
	a, err := w.db.Store().FindAnnouncementByID(ctx, "incident-update:"+u.ID)
	must(t, err)
	if a.Event != tuango.EventIncidentUpdated || a.Kind != tuango.NotifyIncident {
		t.Errorf("announcement = %+v", a)
	}
	first, _, err := w.svc.GetIncident(ctx, inc.ID)
	must(t, err)
	updates, err := w.db.Store().FindIncidentUpdates(ctx, []string{first.ID})
	must(t, err)
	for _, x := range updates {
		if x.AnnouncedAt.IsZero() {
			t.Errorf("update %s not marked announced", x.ID)
		}
		if x.ID == u.ID {
			continue // the dead node's copy, stored first, stays as it was
		}
		a, err := w.db.Store().FindAnnouncementByID(ctx, "incident-update:"+x.ID)
		must(t, err)
		if len(a.Cities) != 1 || a.Cities[0] != "cty_1" {
			t.Errorf("announcement of %s for cities %v, want the incident's city cty_1", x.ID, a.Cities)
		}
	}
}
