package tuango

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The status page's incidents: what is wrong, which parts of tuango it
// touches, and each update an operator or the probes post about it.

// ComponentStatus is the state of one part of tuango, in Statuspage's words.
type ComponentStatus string

// The five states of a component, best first.
const (
	ComponentOperational   ComponentStatus = "operational"
	ComponentMaintenance   ComponentStatus = "under_maintenance"
	ComponentDegraded      ComponentStatus = "degraded_performance"
	ComponentPartialOutage ComponentStatus = "partial_outage"
	ComponentMajorOutage   ComponentStatus = "major_outage"
)

// componentRank orders the states: a component shows its worst.
var componentRank = map[ComponentStatus]int{ComponentOperational: 0, ComponentMaintenance: 1, ComponentDegraded: 2, ComponentPartialOutage: 3, ComponentMajorOutage: 4}

// Valid reports whether c is one of the five states.
func (c ComponentStatus) Valid() bool { _, ok := componentRank[c]; return ok }

// Worse reports whether c is worse than d.
func (c ComponentStatus) Worse(d ComponentStatus) bool { return componentRank[c] > componentRank[d] }

// The fixed components; each city is one more, "city:" and its id.
const (
	CompStorefront      = "storefront"
	CompOrdering        = "ordering"
	CompLeaderTools     = "leader_tools"
	CompSupplierConsole = "supplier_console"
	CompNotifications   = "notifications"
)

// FixedComponents are the components every tuango has, in page order.
var FixedComponents = []string{CompStorefront, CompOrdering, CompLeaderTools, CompSupplierConsole, CompNotifications}

// CityComponent is the component id of a city.
func CityComponent(cityID string) string { return "city:" + cityID }

// IncidentStatus is where an incident (or a maintenance) stands.
type IncidentStatus string

// An incident goes investigating → identified → monitoring → resolved; a
// maintenance scheduled → in_progress → completed.
const (
	IncidentInvestigating IncidentStatus = "investigating"
	IncidentIdentified    IncidentStatus = "identified"
	IncidentMonitoring    IncidentStatus = "monitoring"
	IncidentResolved      IncidentStatus = "resolved"
	MaintenanceScheduled  IncidentStatus = "scheduled"
	MaintenanceInProgress IncidentStatus = "in_progress"
	MaintenanceCompleted  IncidentStatus = "completed"
)

// Closed reports whether the status ends its incident or maintenance.
func (s IncidentStatus) Closed() bool { return s == IncidentResolved || s == MaintenanceCompleted }

// Incident kinds.
const (
	KindIncident    = "incident"
	KindMaintenance = "maintenance"
)

// Impact is how bad an incident is, in Statuspage's words.
type Impact string

// Impacts, least first.
const (
	ImpactNone        Impact = "none"
	ImpactMinor       Impact = "minor"
	ImpactMajor       Impact = "major"
	ImpactCritical    Impact = "critical"
	ImpactMaintenance Impact = "maintenance"
)

var impactRank = map[Impact]int{ImpactNone: 0, ImpactMaintenance: 1, ImpactMinor: 2, ImpactMajor: 3, ImpactCritical: 4}

// Worse reports whether i is worse than j.
func (i Impact) Worse(j Impact) bool { return impactRank[i] > impactRank[j] }

// Effect is what an incident means for one step of the day.
type Effect string

// Effects on the cutoff, tomorrow's delivery and settlement; empty is not
// stated.
const (
	EffectNone    Effect = "none"    // goes ahead as planned
	EffectAtRisk  Effect = "at_risk" // may be late if this lasts
	EffectDelayed Effect = "delayed" // will be late
)

func (e Effect) valid() bool {
	return e == "" || e == EffectNone || e == EffectAtRisk || e == EffectDelayed
}

// Effects say what an update means for the cutoff, tomorrow's delivery
// and the settlement of suppliers and leaders.
type Effects struct {
	Cutoff, Delivery, Settlement Effect
}

// ComponentImpact is one component an incident touches and its state.
type ComponentImpact struct {
	ID     string          `json:"id"`
	Status ComponentStatus `json:"status"`
}

// Incident is an incident or a scheduled maintenance on the status page.
type Incident struct {
	ID         string
	Kind       string
	Name       string
	Impact     Impact
	Status     IncidentStatus
	Components []ComponentImpact
	// Auto marks the incident the probes opened.
	Auto bool
	// StartsAt and EndsAt are a maintenance's planned window.
	StartsAt, EndsAt time.Time
	CreatedBy        string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	ResolvedAt       time.Time
	Postmortem       string
	PostmortemAt     time.Time
}

// IncidentUpdate is one message posted on an incident.
type IncidentUpdate struct {
	ID         string
	IncidentID string
	Status     IncidentStatus
	Body       string
	ETA        time.Time // the expected recovery; zero when not known
	Effects    Effects
	CreatedBy  string
	At         time.Time
	// AnnouncedAt is when the update was handed to the announcements; zero
	// until then.
	AnnouncedAt time.Time
}

// UptimeCount is one component's probes on one UTC day.
type UptimeCount struct {
	Component   string
	Day         string // YYYY-MM-DD, UTC
	Probes      int
	Failures    int
	DownSeconds int
}

// IncidentStore keeps the status page's data.
type IncidentStore interface {
	// CreateIncident stores an incident. An automatic one while another
	// automatic one is open fails with conflict.
	CreateIncident(ctx context.Context, in *Incident) error
	// UpdateIncident writes an incident's status, impact, components,
	// times and postmortem.
	UpdateIncident(ctx context.Context, in *Incident) error
	FindIncidentByID(ctx context.Context, id string) (*Incident, error)
	// FindOpenAutoIncident finds the automatic incident still open.
	FindOpenAutoIncident(ctx context.Context) (*Incident, error)
	// FindIncidents lists the incidents still open and those updated at or
	// after since, newest first, at most limit.
	FindIncidents(ctx context.Context, since time.Time, limit int) ([]Incident, error)
	// AddIncidentUpdate stores an update and reports whether it did: an id
	// already stored is skipped.
	AddIncidentUpdate(ctx context.Context, u *IncidentUpdate) (bool, error)
	// FindIncidentUpdates lists the updates of the given incidents, oldest
	// first.
	FindIncidentUpdates(ctx context.Context, incidentIDs []string) ([]IncidentUpdate, error)
	// FindUnannouncedIncidentUpdates lists updates not yet announced,
	// oldest first.
	FindUnannouncedIncidentUpdates(ctx context.Context, limit int) ([]IncidentUpdate, error)
	// MarkIncidentUpdateAnnounced records that an update was announced.
	MarkIncidentUpdateAnnounced(ctx context.Context, id string, at time.Time) error
	// AddUptime adds probe counts to each component's day.
	AddUptime(ctx context.Context, rows []UptimeCount) error
	// FindUptime lists the counts of every component from a day on.
	FindUptime(ctx context.Context, fromDay string) ([]UptimeCount, error)
	// RecordProbe writes a node's write probe.
	RecordProbe(ctx context.Context, node string, at time.Time) error
}

// NewIncident is what an operator posts to open an incident or schedule
// a maintenance.
type NewIncident struct {
	Kind       string // incident (default) or maintenance
	Name       string
	Impact     Impact
	Components []ComponentImpact
	Body       string
	ETA        time.Time
	Effects    Effects
	// StartsAt and EndsAt are a maintenance's window.
	StartsAt, EndsAt time.Time
}

// NewIncidentUpdate is what an operator posts on an incident.
type NewIncidentUpdate struct {
	Status  IncidentStatus
	Body    string
	ETA     time.Time
	Effects Effects
	// Components, when given, replace the incident's components.
	Components []ComponentImpact
}

const (
	maxIncidentName = 200
	maxUpdateBody   = 5000
	maxPostmortem   = 20000
)

// OpenIncident opens an incident or schedules a maintenance, with its
// first update.
func (s *Service) OpenIncident(ctx context.Context, a Actor, in NewIncident) (*Incident, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	inc, u, err := in.build(s.clock.Now(), s.cityKnown(ctx))
	if err != nil {
		return nil, err
	}
	inc.ID, inc.CreatedBy = s.newID("inc"), a.UserID
	u.ID, u.IncidentID, u.CreatedBy = s.newID("inu"), inc.ID, a.UserID
	err = s.store.InTx(ctx, func(tx Store) error {
		if err := tx.CreateIncident(ctx, inc); err != nil {
			return err
		}
		_, err := tx.AddIncidentUpdate(ctx, u)
		return err
	})
	if err != nil {
		return nil, err
	}
	return inc, nil
}

// Check validates in at now as OpenIncident does, without opening it,
// except that a city component's city is taken as given (OpenIncident
// looks it up).
func (in NewIncident) Check(now time.Time) error {
	_, _, err := in.build(now, anyCity)
	return err
}

// build checks in at now and makes the incident and its first update,
// without their ids and author.
func (in NewIncident) build(now time.Time, cityKnown func(id string) (bool, error)) (*Incident, *IncidentUpdate, error) {
	if in.Kind == "" {
		in.Kind = KindIncident
	}
	inc := &Incident{Kind: in.Kind, Name: strings.TrimSpace(in.Name), Impact: in.Impact,
		CreatedAt: now, UpdatedAt: now, StartsAt: Truncate(in.StartsAt), EndsAt: Truncate(in.EndsAt)}
	switch in.Kind {
	case KindIncident:
		inc.Status = IncidentInvestigating
		if !in.StartsAt.IsZero() || !in.EndsAt.IsZero() {
			return nil, nil, FieldError("starts_at", "is for a maintenance only")
		}
	case KindMaintenance:
		inc.Status, inc.Impact = MaintenanceScheduled, ImpactMaintenance
		if in.StartsAt.IsZero() || in.EndsAt.IsZero() {
			return nil, nil, FieldError("starts_at", "and ends_at are required for a maintenance")
		}
		if !in.EndsAt.After(in.StartsAt) {
			return nil, nil, FieldError("ends_at", "must be after starts_at")
		}
		if !in.StartsAt.After(now) {
			inc.Status = MaintenanceInProgress
		}
	default:
		return nil, nil, FieldError("kind", "must be incident or maintenance, not %q", in.Kind)
	}
	if err := checkName(inc.Name); err != nil {
		return nil, nil, err
	}
	if inc.Impact == "" {
		inc.Impact = ImpactMinor
	}
	if _, ok := impactRank[inc.Impact]; !ok || (inc.Kind == KindIncident && inc.Impact == ImpactMaintenance) {
		return nil, nil, FieldError("impact", "must be none, minor, major or critical, not %q", in.Impact)
	}
	comps, err := checkComponents(in.Components, inc.Kind, cityKnown)
	if err != nil {
		return nil, nil, err
	}
	inc.Components = comps
	u := &IncidentUpdate{Status: inc.Status, Body: strings.TrimSpace(in.Body), ETA: Truncate(in.ETA), Effects: in.Effects, At: now}
	if err := checkUpdate(u, now); err != nil {
		return nil, nil, err
	}
	return inc, u, nil
}

// PostIncidentUpdate posts an update on an open incident and moves it to
// the update's status.
func (s *Service) PostIncidentUpdate(ctx context.Context, a Actor, id string, in NewIncidentUpdate) (*IncidentUpdate, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	u := &IncidentUpdate{ID: s.newID("inu"), IncidentID: id, Status: in.Status, Body: strings.TrimSpace(in.Body), ETA: Truncate(in.ETA),
		Effects: in.Effects, CreatedBy: a.UserID, At: now}
	err := s.store.InTx(ctx, func(tx Store) error {
		inc, err := tx.FindIncidentByID(ctx, id)
		if err != nil {
			return err
		}
		if inc.Status.Closed() {
			return Errorf(CodeConflict, "this %s is %s already; open a new one", inc.Kind, inc.Status)
		}
		comps, err := in.check(inc.Kind, u, now, s.cityKnown(ctx))
		if err != nil {
			return err
		}
		if comps != nil {
			inc.Components = comps
		}
		if _, err := tx.AddIncidentUpdate(ctx, u); err != nil {
			return err
		}
		moveIncident(inc, u.Status, now)
		return tx.UpdateIncident(ctx, inc)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// Check validates in at now as PostIncidentUpdate does on an open
// incident of kind, without posting it, except that a city component's
// city is taken as given.
func (in NewIncidentUpdate) Check(kind string, now time.Time) error {
	u := &IncidentUpdate{Status: in.Status, Body: strings.TrimSpace(in.Body), ETA: Truncate(in.ETA), Effects: in.Effects}
	_, err := in.check(kind, u, now, anyCity)
	return err
}

// check checks the update u made of in for an incident of kind, and
// returns the components that replace the incident's (nil: keep them).
func (in NewIncidentUpdate) check(kind string, u *IncidentUpdate, now time.Time, cityKnown func(id string) (bool, error)) ([]ComponentImpact, error) {
	if !statusFits(kind, in.Status) {
		if kind == KindMaintenance {
			return nil, FieldError("status", "must be scheduled, in_progress or completed for a maintenance, not %q", in.Status)
		}
		return nil, FieldError("status", "must be investigating, identified, monitoring or resolved, not %q", in.Status)
	}
	if err := checkUpdate(u, now); err != nil {
		return nil, err
	}
	if in.Components == nil {
		return nil, nil
	}
	return checkComponents(in.Components, kind, cityKnown)
}

// PublishPostmortem publishes what happened, its impact and what changes
// on a resolved incident; publishing again replaces it.
func (s *Service) PublishPostmortem(ctx context.Context, a Actor, id, body string) (*Incident, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	body = strings.TrimSpace(body)
	if body == "" {
		return nil, FieldError("body", "is required: what happened, its impact in numbers, and what changes")
	}
	if utf8.RuneCountInString(body) > maxPostmortem {
		return nil, FieldError("body", "is longer than %d characters", maxPostmortem)
	}
	var inc *Incident
	err := s.store.InTx(ctx, func(tx Store) error {
		var err error
		if inc, err = tx.FindIncidentByID(ctx, id); err != nil {
			return err
		}
		if inc.Kind != KindIncident || inc.Status != IncidentResolved {
			return Errorf(CodeConflict, "a postmortem is published once the incident is resolved; this one is %s", inc.Status)
		}
		inc.Postmortem, inc.PostmortemAt, inc.UpdatedAt = body, s.clock.Now(), s.clock.Now()
		return tx.UpdateIncident(ctx, inc)
	})
	if err != nil {
		return nil, err
	}
	return inc, nil
}

// GetIncident returns an incident and its updates, oldest first.
func (s *Service) GetIncident(ctx context.Context, id string) (*Incident, []IncidentUpdate, error) {
	inc, err := s.store.FindIncidentByID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	us, err := s.store.FindIncidentUpdates(ctx, []string{id})
	return inc, us, err
}

// IncidentWindow is the time an incident lasted: from its opening to its
// resolution, or to now while it is open.
func (s *Service) IncidentWindow(inc *Incident) (from, to time.Time) {
	to = inc.ResolvedAt
	if to.IsZero() {
		to = s.clock.Now()
	}
	return inc.CreatedAt, to
}

// moveIncident puts an incident at a new status.
func moveIncident(inc *Incident, to IncidentStatus, now time.Time) {
	inc.Status, inc.UpdatedAt = to, now
	if to.Closed() {
		inc.ResolvedAt = now
	}
}

func statusFits(kind string, st IncidentStatus) bool {
	if kind == KindMaintenance {
		return st == MaintenanceScheduled || st == MaintenanceInProgress || st == MaintenanceCompleted
	}
	return st == IncidentInvestigating || st == IncidentIdentified || st == IncidentMonitoring || st == IncidentResolved
}

func checkName(name string) error {
	if name == "" {
		return FieldError("name", "is required: say in a few words what is wrong")
	}
	if utf8.RuneCountInString(name) > maxIncidentName {
		return FieldError("name", "is longer than %d characters", maxIncidentName)
	}
	return nil
}

func checkUpdate(u *IncidentUpdate, now time.Time) error {
	if u.Body == "" {
		return FieldError("body", "is required: say what is known and what people should do")
	}
	if utf8.RuneCountInString(u.Body) > maxUpdateBody {
		return FieldError("body", "is longer than %d characters", maxUpdateBody)
	}
	if !u.ETA.IsZero() && !u.ETA.After(now) && !u.Status.Closed() {
		return FieldError("eta", "must be in the future (it is the expected recovery time)")
	}
	for name, e := range map[string]Effect{"cutoff": u.Effects.Cutoff, "delivery": u.Effects.Delivery, "settlement": u.Effects.Settlement} {
		if !e.valid() {
			return FieldError(name, "must be none, at_risk or delayed, not %q", e)
		}
	}
	return nil
}

// checkComponents checks that each component exists (a city's, by
// cityKnown) and its state is one of the five, once each; an incident
// needs at least one.
func checkComponents(cs []ComponentImpact, kind string, cityKnown func(id string) (bool, error)) ([]ComponentImpact, error) {
	if len(cs) == 0 {
		return nil, FieldError("components", "name at least one of %s, or city:ID", strings.Join(FixedComponents, ", "))
	}
	seen := map[string]bool{}
	out := make([]ComponentImpact, 0, len(cs))
	for _, c := range cs {
		if seen[c.ID] {
			return nil, FieldError("components", "name %q once", c.ID)
		}
		seen[c.ID] = true
		if city, ok := strings.CutPrefix(c.ID, "city:"); ok {
			known, err := cityKnown(city)
			if err != nil {
				return nil, err
			}
			if !known {
				return nil, FieldError("components", "no city has id %q", city)
			}
		} else if !slices.Contains(FixedComponents, c.ID) {
			return nil, FieldError("components", "%q is none of %s, or city:ID", c.ID, strings.Join(FixedComponents, ", "))
		}
		if c.Status == "" {
			c.Status = ComponentPartialOutage
			if kind == KindMaintenance {
				c.Status = ComponentMaintenance
			}
		}
		if !c.Status.Valid() {
			return nil, FieldError("components", "%s: the state must be operational, degraded_performance, partial_outage, major_outage or under_maintenance, not %q", c.ID, c.Status)
		}
		out = append(out, c)
	}
	return out, nil
}

// cityKnown reports whether a city has id, reading the cities once.
func (s *Service) cityKnown(ctx context.Context) func(id string) (bool, error) {
	var cities map[string]bool
	return func(id string) (bool, error) {
		if cities == nil {
			cs, err := s.store.FindCities(ctx)
			if err != nil {
				return false, err
			}
			cities = map[string]bool{}
			for _, c := range cs {
				cities[c.ID] = true
			}
		}
		return cities[id], nil
	}
}

// anyCity takes every city id as known: a check without the store.
func anyCity(string) (bool, error) { return true, nil }

// String names an update for logs.
func (u *IncidentUpdate) String() string {
	return fmt.Sprintf("%s %s %s", u.IncidentID, u.Status, u.ID)
}
