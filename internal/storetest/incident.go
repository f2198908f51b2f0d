package storetest

import (
	"testing"
	"time"

	"tuango/internal/tuango"
)

func testIncident(t *testing.T, s tuango.Store) {
	ctx := t.Context()
	newIncident := func(auto bool) *tuango.Incident {
		return &tuango.Incident{ID: newID("inc"), Kind: tuango.KindIncident, Name: "下单失败 · ordering fails", Impact: tuango.ImpactMajor,
			Status: tuango.IncidentInvestigating, Auto: auto, CreatedBy: "usr_op", CreatedAt: t0(), UpdatedAt: t0(),
			Components: []tuango.ComponentImpact{{ID: tuango.CompOrdering, Status: tuango.ComponentMajorOutage}, {ID: "city:cty_1", Status: tuango.ComponentPartialOutage}}}
	}

	t.Run("an incident reads back as stored, and its changes", func(t *testing.T) {
		in := newIncident(false)
		must(t, s.CreateIncident(ctx, in), "CreateIncident")
		got, err := s.FindIncidentByID(ctx, in.ID)
		must(t, err, "FindIncidentByID")
		wantEqual(t, got, in, "FindIncidentByID")
		in.Status, in.UpdatedAt, in.ResolvedAt, in.Postmortem, in.PostmortemAt = tuango.IncidentResolved, t0().Add(time.Hour), t0().Add(time.Hour), "what happened", t0().Add(2*time.Hour)
		in.Components = in.Components[:1]
		must(t, s.UpdateIncident(ctx, in), "UpdateIncident")
		got, err = s.FindIncidentByID(ctx, in.ID)
		must(t, err, "FindIncidentByID after update")
		wantEqual(t, got, in, "FindIncidentByID after update")
		wantNotFound(t, s.UpdateIncident(ctx, &tuango.Incident{ID: "inc_none"}), "UpdateIncident(missing)")
		_, err = s.FindIncidentByID(ctx, "inc_none")
		wantNotFound(t, err, "FindIncidentByID(missing)")
	})

	t.Run("one automatic incident open at a time, another once it is resolved", func(t *testing.T) {
		a := newIncident(true)
		must(t, s.CreateIncident(ctx, a), "CreateIncident(auto)")
		wantCode(t, s.CreateIncident(ctx, newIncident(true)), tuango.CodeConflict, "CreateIncident(second auto)")
		must(t, s.CreateIncident(ctx, newIncident(false)), "CreateIncident(an operator's, beside the automatic one)")
		open, err := s.FindOpenAutoIncident(ctx)
		must(t, err, "FindOpenAutoIncident")
		if open.ID != a.ID {
			t.Errorf("FindOpenAutoIncident = %s, want %s", open.ID, a.ID)
		}
		a.Status, a.ResolvedAt = tuango.IncidentResolved, t0()
		must(t, s.UpdateIncident(ctx, a), "UpdateIncident(resolve)")
		_, err = s.FindOpenAutoIncident(ctx)
		wantNotFound(t, err, "FindOpenAutoIncident after resolving")
		b := newIncident(true)
		must(t, s.CreateIncident(ctx, b), "CreateIncident(auto after the first resolved)")
		b.Status = tuango.IncidentResolved
		must(t, s.UpdateIncident(ctx, b), "UpdateIncident(resolve b)")
	})

	t.Run("updates are stored once by id and listed oldest first", func(t *testing.T) {
		in := newIncident(false)
		must(t, s.CreateIncident(ctx, in), "CreateIncident")
		u1 := &tuango.IncidentUpdate{ID: in.ID + "-investigating", IncidentID: in.ID, Status: tuango.IncidentInvestigating, Body: "looking", ETA: t0().Add(time.Hour),
			Effects: tuango.Effects{Cutoff: tuango.EffectAtRisk, Delivery: tuango.EffectNone, Settlement: tuango.EffectDelayed}, CreatedBy: "probe:a", At: t0().Add(time.Minute)}
		u0 := &tuango.IncidentUpdate{ID: newID("inu"), IncidentID: in.ID, Status: tuango.IncidentIdentified, Body: "found", CreatedBy: "usr_op", At: t0()}
		for _, u := range []*tuango.IncidentUpdate{u1, u0} {
			ok, err := s.AddIncidentUpdate(ctx, u)
			must(t, err, "AddIncidentUpdate(%s)", u.ID)
			if !ok {
				t.Errorf("AddIncidentUpdate(%s) = false, want true", u.ID)
			}
		}
		again := *u1
		again.Body = "another node's copy"
		ok, err := s.AddIncidentUpdate(ctx, &again)
		must(t, err, "AddIncidentUpdate(same id)")
		if ok {
			t.Error("AddIncidentUpdate(same id) = true, want false: each move is written once")
		}
		got, err := s.FindIncidentUpdates(ctx, []string{in.ID})
		must(t, err, "FindIncidentUpdates")
		wantEqual(t, got, []tuango.IncidentUpdate{*u0, *u1}, "FindIncidentUpdates")

		un, err := s.FindUnannouncedIncidentUpdates(ctx, 1000)
		must(t, err, "FindUnannouncedIncidentUpdates")
		if !containsUpdate(un, u0.ID) || !containsUpdate(un, u1.ID) {
			t.Errorf("FindUnannouncedIncidentUpdates misses %s or %s", u0.ID, u1.ID)
		}
		must(t, s.MarkIncidentUpdateAnnounced(ctx, u0.ID, t0().Add(time.Hour)), "MarkIncidentUpdateAnnounced")
		must(t, s.MarkIncidentUpdateAnnounced(ctx, u0.ID, t0().Add(2*time.Hour)), "MarkIncidentUpdateAnnounced again")
		un, err = s.FindUnannouncedIncidentUpdates(ctx, 1000)
		must(t, err, "FindUnannouncedIncidentUpdates")
		if containsUpdate(un, u0.ID) || !containsUpdate(un, u1.ID) {
			t.Errorf("after announcing %s: FindUnannouncedIncidentUpdates = %v", u0.ID, un)
		}
		got, _ = s.FindIncidentUpdates(ctx, []string{in.ID})
		if len(got) == 2 && !got[0].AnnouncedAt.Equal(t0().Add(time.Hour)) {
			t.Errorf("announced at %v, want the first time, %v", got[0].AnnouncedAt, t0().Add(time.Hour))
		}
	})

	t.Run("open incidents and those changed since are listed, newest first", func(t *testing.T) {
		old := newIncident(false)
		old.CreatedAt, old.UpdatedAt, old.Status = t0().Add(-30*24*time.Hour), t0().Add(-30*24*time.Hour), tuango.IncidentResolved
		openOld := newIncident(false)
		openOld.CreatedAt, openOld.UpdatedAt = t0().Add(-40*24*time.Hour), t0().Add(-40*24*time.Hour)
		recent := newIncident(false)
		recent.CreatedAt, recent.UpdatedAt, recent.Status = t0().Add(time.Minute), t0().Add(time.Minute), tuango.IncidentResolved
		for _, in := range []*tuango.Incident{old, openOld, recent} {
			must(t, s.CreateIncident(ctx, in), "CreateIncident")
		}
		got, err := s.FindIncidents(ctx, t0().Add(-24*time.Hour), 1000)
		must(t, err, "FindIncidents")
		pos := map[string]int{}
		for i, in := range got {
			pos[in.ID] = i + 1
		}
		if pos[old.ID] != 0 {
			t.Error("FindIncidents lists an incident resolved before since")
		}
		if pos[openOld.ID] == 0 || pos[recent.ID] == 0 || pos[recent.ID] > pos[openOld.ID] {
			t.Errorf("FindIncidents: want the recent one (at %d) before the old open one (at %d)", pos[recent.ID], pos[openOld.ID])
		}
	})

	t.Run("uptime counts add up per component and day", func(t *testing.T) {
		comp := "city:" + newID("cty")
		must(t, s.AddUptime(ctx, []tuango.UptimeCount{{Component: comp, Day: "2026-11-24", Probes: 10, Failures: 1, DownSeconds: 10}, {Component: comp, Day: "2026-11-25", Probes: 5}}), "AddUptime")
		must(t, s.AddUptime(ctx, []tuango.UptimeCount{{Component: comp, Day: "2026-11-25", Probes: 3, Failures: 3, DownSeconds: 30}}), "AddUptime again")
		got, err := s.FindUptime(ctx, "2026-11-25")
		must(t, err, "FindUptime")
		var mine []tuango.UptimeCount
		for _, u := range got {
			if u.Component == comp {
				mine = append(mine, u)
			}
		}
		wantEqual(t, mine, []tuango.UptimeCount{{Component: comp, Day: "2026-11-25", Probes: 8, Failures: 3, DownSeconds: 30}}, "FindUptime")
	})

	t.Run("a node's write probe is one row, rewritten", func(t *testing.T) {
		must(t, s.RecordProbe(ctx, "node-a", t0()), "RecordProbe")
		must(t, s.RecordProbe(ctx, "node-a", t0().Add(time.Second)), "RecordProbe again")
	})
}

func containsUpdate(us []tuango.IncidentUpdate, id string) bool {
	for _, u := range us {
		if u.ID == id {
			return true
		}
	}
	return false
}
