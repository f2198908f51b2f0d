package tuango

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// Each incident update is told once to the people it affects: a sweep
// under the lease hands every update not yet announced to Announce (which
// stores it once by its id and fans it out), then marks it announced. A
// node killed between the two announces it again on the next sweep, which
// Announce's id makes a no-op: exactly once.

// EventIncidentUpdated is the webhook event of an incident update.
const EventIncidentUpdated = "incident.updated"

// AnnounceIncidentUpdates announces up to limit updates not yet announced,
// oldest first, and reports how many it announced.
func (s *Service) AnnounceIncidentUpdates(ctx context.Context, limit int) (int, error) {
	us, err := s.store.FindUnannouncedIncidentUpdates(ctx, limit)
	if err != nil {
		return 0, err
	}
	incs := map[string]*Incident{}
	for i, u := range us {
		inc := incs[u.IncidentID]
		if inc == nil {
			if inc, err = s.store.FindIncidentByID(ctx, u.IncidentID); err != nil {
				return i, err
			}
			incs[u.IncidentID] = inc
		}
		if err := s.Announce(ctx, incidentAnnouncement(inc, u)); err != nil {
			return i, err
		}
		if err := s.store.MarkIncidentUpdateAnnounced(ctx, u.ID, s.clock.Now()); err != nil {
			return i, err
		}
	}
	return len(us), nil
}

// incidentAnnouncement is what an update tells: its cities are those the
// incident names (every city when it names none), its webhook data the
// incident and the update.
func incidentAnnouncement(inc *Incident, u IncidentUpdate) Announcement {
	cities := incidentCities(inc)
	eta := ""
	if !u.ETA.IsZero() {
		eta = u.ETA.UTC().Format(time.RFC3339)
	}
	payload, _ := json.Marshal(incidentPayload{
		Incident: incidentData{ID: inc.ID, Name: inc.Name, Kind: inc.Kind, Impact: string(inc.Impact), Status: string(u.Status), Components: inc.Components},
		Update: updateData{ID: u.ID, Status: string(u.Status), Body: u.Body, ETA: eta, At: u.At.UTC().Format(time.RFC3339Nano),
			Cutoff: string(u.Effects.Cutoff), Delivery: string(u.Effects.Delivery), Settlement: string(u.Effects.Settlement)},
	})
	return Announcement{ID: "incident-update:" + u.ID, Event: EventIncidentUpdated, Cities: cities, Kind: NotifyIncident,
		Params:  NotifyParams{Incident: inc.Name, Status: string(u.Status), ETA: eta, Body: u.Body},
		Payload: payload, At: u.At}
}

type incidentPayload struct {
	Incident incidentData `json:"incident"`
	Update   updateData   `json:"update"`
}

type incidentData struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Kind       string            `json:"kind"`
	Impact     string            `json:"impact"`
	Status     string            `json:"status"`
	Components []ComponentImpact `json:"components"`
}

type updateData struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	Body       string `json:"body"`
	ETA        string `json:"eta"`
	At         string `json:"at"`
	Cutoff     string `json:"cutoff"`
	Delivery   string `json:"delivery"`
	Settlement string `json:"settlement"`
}

// IssueIncidentApology gives the apology coupon to every customer whose
// order failed or was delayed in a resolved incident's window and cities.
func (s *Service) IssueIncidentApology(ctx context.Context, a Actor, incidentID string, spec ApologySpec) (int, error) {
	if err := a.RequireStaff(); err != nil {
		return 0, err
	}
	inc, err := s.store.FindIncidentByID(ctx, incidentID)
	if err != nil {
		return 0, err
	}
	if inc.Kind != KindIncident || inc.Status != IncidentResolved {
		return 0, Errorf(CodeConflict, "apology coupons go out once the incident is resolved, when its window is known; this one is %s", inc.Status)
	}
	from, to := s.IncidentWindow(inc)
	return s.IssueApologyCoupons(ctx, inc.ID, from, to, incidentCities(inc), spec)
}

// incidentCities are the cities an incident names; none means every city.
func incidentCities(inc *Incident) []string {
	var cities []string
	for _, c := range inc.Components {
		if id, ok := strings.CutPrefix(c.ID, "city:"); ok {
			cities = append(cities, id)
		}
	}
	return cities
}
