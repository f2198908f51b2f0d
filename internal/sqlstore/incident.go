package sqlstore

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"tuango/internal/tuango"
)

const incidentColumns = `id, kind, name, impact, status, components, auto, starts_at, ends_at, created_by, created_at, updated_at, resolved_at, postmortem, postmortem_at`

func scanIncident(sc scanner, in *tuango.Incident) error {
	var comps string
	var auto int
	var starts, ends, created, updated, resolved, pm int64
	err := sc.Scan(&in.ID, &in.Kind, &in.Name, &in.Impact, &in.Status, &comps, &auto, &starts, &ends, &in.CreatedBy, &created, &updated, &resolved, &in.Postmortem, &pm)
	if err != nil {
		return err
	}
	in.Auto = auto == 1
	in.StartsAt, in.EndsAt, in.CreatedAt, in.UpdatedAt, in.ResolvedAt, in.PostmortemAt = fromMicros(starts), fromMicros(ends), fromMicros(created), fromMicros(updated), fromMicros(resolved), fromMicros(pm)
	return json.Unmarshal([]byte(comps), &in.Components)
}

func incidentArgs(in *tuango.Incident) []any {
	comps, _ := json.Marshal(in.Components)
	auto := 0
	if in.Auto {
		auto = 1
	}
	return []any{in.ID, in.Kind, in.Name, string(in.Impact), string(in.Status), string(comps), auto, micros(in.StartsAt), micros(in.EndsAt),
		in.CreatedBy, micros(in.CreatedAt), micros(in.UpdatedAt), micros(in.ResolvedAt), in.Postmortem, micros(in.PostmortemAt)}
}

// CreateIncident stores an incident; a second open automatic one fails
// with conflict (the partial unique index incidents_auto_open).
func (s *Store) CreateIncident(ctx context.Context, in *tuango.Incident) error {
	_, err := s.exec(ctx, `INSERT INTO incidents (`+incidentColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, incidentArgs(in)...)
	return wrap(err, "create incident %s", in.ID)
}

// UpdateIncident writes an incident's changing columns.
func (s *Store) UpdateIncident(ctx context.Context, in *tuango.Incident) error {
	comps, _ := json.Marshal(in.Components)
	err := mustChange(s.execOne(ctx, `UPDATE incidents SET impact = ?, status = ?, components = ?, updated_at = ?, resolved_at = ?, postmortem = ?, postmortem_at = ?
		WHERE id = ?`, string(in.Impact), string(in.Status), string(comps), micros(in.UpdatedAt), micros(in.ResolvedAt), in.Postmortem, micros(in.PostmortemAt), in.ID))
	return wrap(err, "update incident %s", in.ID)
}

// FindIncidentByID finds an incident.
func (s *Store) FindIncidentByID(ctx context.Context, id string) (*tuango.Incident, error) {
	var in tuango.Incident
	if err := scanIncident(s.queryRow(ctx, `SELECT `+incidentColumns+` FROM incidents WHERE id = ?`, id), &in); err != nil {
		return nil, wrap(notFound(err), "find incident %s", id)
	}
	return &in, nil
}

// FindOpenAutoIncident finds the open automatic incident.
func (s *Store) FindOpenAutoIncident(ctx context.Context) (*tuango.Incident, error) {
	var in tuango.Incident
	err := scanIncident(s.queryRow(ctx, `SELECT `+incidentColumns+` FROM incidents WHERE auto = 1 AND status NOT IN ('resolved', 'completed')`), &in)
	if err != nil {
		return nil, wrap(notFound(err), "find the open automatic incident")
	}
	return &in, nil
}

// FindIncidents lists open incidents and those updated since, newest first.
func (s *Store) FindIncidents(ctx context.Context, since time.Time, limit int) ([]tuango.Incident, error) {
	ins, err := queryAll(s, ctx, scanIncident, `SELECT `+incidentColumns+` FROM incidents
		WHERE status NOT IN ('resolved', 'completed') OR updated_at >= ? ORDER BY created_at DESC, id DESC LIMIT ?`, micros(since), limit)
	return ins, wrap(err, "find incidents")
}

const incidentUpdateColumns = `id, incident_id, status, body, eta, cutoff, delivery, settlement, created_by, at, announced_at`

func scanIncidentUpdate(sc scanner, u *tuango.IncidentUpdate) error {
	var eta, at, announced int64
	err := sc.Scan(&u.ID, &u.IncidentID, &u.Status, &u.Body, &eta, &u.Effects.Cutoff, &u.Effects.Delivery, &u.Effects.Settlement, &u.CreatedBy, &at, &announced)
	u.ETA, u.At, u.AnnouncedAt = fromMicros(eta), fromMicros(at), fromMicros(announced)
	return err
}

// AddIncidentUpdate stores an update unless its id is stored already.
func (s *Store) AddIncidentUpdate(ctx context.Context, u *tuango.IncidentUpdate) (bool, error) {
	ok, err := s.execOne(ctx, `INSERT INTO incident_updates (`+incidentUpdateColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, u.ID, u.IncidentID, string(u.Status), u.Body, micros(u.ETA), string(u.Effects.Cutoff), string(u.Effects.Delivery),
		string(u.Effects.Settlement), u.CreatedBy, micros(u.At), micros(u.AnnouncedAt))
	return ok, wrap(err, "add incident update %s", u.ID)
}

// FindIncidentUpdates lists the updates of incidents, oldest first.
func (s *Store) FindIncidentUpdates(ctx context.Context, incidentIDs []string) ([]tuango.IncidentUpdate, error) {
	var out []tuango.IncidentUpdate
	err := inChunks(incidentIDs, func(marks string, args []any) error {
		us, err := queryAll(s, ctx, scanIncidentUpdate, `SELECT `+incidentUpdateColumns+` FROM incident_updates WHERE incident_id IN (`+marks+`) ORDER BY at, id`, args...)
		out = append(out, us...)
		return err
	})
	if err != nil {
		return nil, wrap(err, "find incident updates")
	}
	slices.SortStableFunc(out, func(a, b tuango.IncidentUpdate) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// FindUnannouncedIncidentUpdates lists the updates not yet announced.
func (s *Store) FindUnannouncedIncidentUpdates(ctx context.Context, limit int) ([]tuango.IncidentUpdate, error) {
	us, err := queryAll(s, ctx, scanIncidentUpdate, `SELECT `+incidentUpdateColumns+` FROM incident_updates WHERE announced_at = 0 ORDER BY at, id LIMIT ?`, limit)
	return us, wrap(err, "find unannounced incident updates")
}

// MarkIncidentUpdateAnnounced records an update's announcement.
func (s *Store) MarkIncidentUpdateAnnounced(ctx context.Context, id string, at time.Time) error {
	_, err := s.exec(ctx, `UPDATE incident_updates SET announced_at = ? WHERE id = ? AND announced_at = 0`, micros(at), id)
	return wrap(err, "mark incident update %s announced", id)
}

// AddUptime adds probe counts to each component's day.
func (s *Store) AddUptime(ctx context.Context, rows []tuango.UptimeCount) error {
	err := s.InTx(ctx, func(tx tuango.Store) error {
		t := tx.(*Store)
		for _, r := range rows {
			if _, err := t.exec(ctx, `INSERT INTO component_uptime (component, day, probes, failures, down_seconds) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (component, day) DO UPDATE SET probes = component_uptime.probes + excluded.probes,
				failures = component_uptime.failures + excluded.failures, down_seconds = component_uptime.down_seconds + excluded.down_seconds`,
				r.Component, r.Day, r.Probes, r.Failures, r.DownSeconds); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap(err, "add uptime")
}

// FindUptime lists every component's counts from a day on.
func (s *Store) FindUptime(ctx context.Context, fromDay string) ([]tuango.UptimeCount, error) {
	us, err := queryAll(s, ctx, func(sc scanner, u *tuango.UptimeCount) error {
		return sc.Scan(&u.Component, &u.Day, &u.Probes, &u.Failures, &u.DownSeconds)
	}, `SELECT component, day, probes, failures, down_seconds FROM component_uptime WHERE day >= ? ORDER BY component, day`, fromDay)
	return us, wrap(err, "find uptime")
}

// RecordProbe writes a node's write probe, through the writer like any
// other write, so that a database that cannot write fails it.
func (s *Store) RecordProbe(ctx context.Context, node string, at time.Time) error {
	_, err := s.exec(ctx, `INSERT INTO status_probes (node, at) VALUES (?, ?) ON CONFLICT (node) DO UPDATE SET at = excluded.at`, node, micros(at))
	return wrap(err, "record probe")
}
