package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"tuango/internal/tuango"
)

// The status page's JSON, in the shape of Statuspage's summary.json, and
// the operator's incident API. GET /api/v1/status reads this node's memory
// only, so it answers while the database is down.

type statusSummary struct {
	Page       statusPageInfo  `json:"page"`
	Status     statusIndicator `json:"status"`
	Components []componentView `json:"components"`
	Incidents  []incidentView  `json:"incidents"`
	Scheduled  []incidentView  `json:"scheduled_maintenances"`
	Resolved   []incidentView  `json:"recent_incidents"`
}

type statusPageInfo struct {
	Name string `json:"name"`
	// UpdatedAt is when this node last read the status from the database.
	UpdatedAt string `json:"updated_at"`
	// Live is false while this node's probes fail: the rest is its last
	// copy, with its own probes' incident laid over.
	Live bool `json:"live"`
}

type statusIndicator struct {
	Indicator   string `json:"indicator"`
	Description string `json:"description"`
}

type componentView struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
	// Uptime90d is the share of good probes over 90 days, in percent with
	// two decimals; empty when no probe ran.
	Uptime90d string `json:"uptime_90d"`
}

type incidentView struct {
	ID             string       `json:"id"`
	Name           string       `json:"name"`
	Status         string       `json:"status"`
	Impact         string       `json:"impact"`
	Kind           string       `json:"kind"`
	Components     []any        `json:"components"`
	CreatedAt      string       `json:"created_at"`
	UpdatedAt      string       `json:"updated_at"`
	ResolvedAt     string       `json:"resolved_at,omitempty"`
	ScheduledFor   string       `json:"scheduled_for,omitempty"`
	ScheduledUntil string       `json:"scheduled_until,omitempty"`
	Automatic      bool         `json:"automatic"`
	Postmortem     string       `json:"postmortem,omitempty"`
	Updates        []updateView `json:"updates"`
}

type updateView struct {
	ID      string      `json:"id"`
	Status  string      `json:"status"`
	Body    string      `json:"body"`
	ETA     string      `json:"eta"`
	At      string      `json:"at"`
	Effects effectsView `json:"effects"`
}

type effectsView struct {
	Cutoff     string `json:"cutoff"`
	Delivery   string `json:"delivery"`
	Settlement string `json:"settlement"`
}

// componentNames are the fixed components' names in the JSON.
var componentNames = map[string]string{
	tuango.CompStorefront: "Storefront", tuango.CompOrdering: "Ordering & payment", tuango.CompLeaderTools: "Leader tools",
	tuango.CompSupplierConsole: "Supplier console", tuango.CompNotifications: "Notifications",
}

// indicatorDescriptions are Statuspage's words for the overall status.
var indicatorDescriptions = map[tuango.Impact]string{
	tuango.ImpactNone: "All Systems Operational", tuango.ImpactMinor: "Minor Service Outage", tuango.ImpactMajor: "Partial System Outage",
	tuango.ImpactCritical: "Major System Outage", tuango.ImpactMaintenance: "Service Under Maintenance",
}

func viewUpdate(u tuango.IncidentUpdate) updateView {
	return updateView{ID: u.ID, Status: string(u.Status), Body: u.Body, ETA: formatTime(u.ETA), At: formatTime(u.At),
		Effects: effectsView{string(u.Effects.Cutoff), string(u.Effects.Delivery), string(u.Effects.Settlement)}}
}

func viewIncident(inc tuango.Incident, updates []tuango.IncidentUpdate) incidentView {
	v := incidentView{ID: inc.ID, Name: inc.Name, Status: string(inc.Status), Impact: string(inc.Impact), Kind: inc.Kind,
		CreatedAt: formatTime(inc.CreatedAt), UpdatedAt: formatTime(inc.UpdatedAt), ResolvedAt: formatTime(inc.ResolvedAt),
		ScheduledFor: formatTime(inc.StartsAt), ScheduledUntil: formatTime(inc.EndsAt), Automatic: inc.Auto, Postmortem: inc.Postmortem,
		Components: []any{}, Updates: []updateView{}}
	for _, c := range inc.Components {
		v.Components = append(v.Components, c)
	}
	for _, u := range updates {
		v.Updates = append(v.Updates, viewUpdate(u))
	}
	return v
}

// summary is the status as this node sees it, in the JSON's shape.
func summary(snap tuango.StatusSnapshot) statusSummary {
	out := statusSummary{Page: statusPageInfo{Name: "tuango", UpdatedAt: formatTime(snap.At), Live: snap.Live},
		Status:     statusIndicator{string(snap.Indicator), indicatorDescriptions[snap.Indicator]},
		Components: []componentView{}, Incidents: []incidentView{}, Scheduled: []incidentView{}, Resolved: []incidentView{}}
	for _, c := range snap.Components {
		name := componentNames[c.ID]
		if c.City != "" {
			name = c.City
		}
		out.Components = append(out.Components, componentView{ID: c.ID, Name: name, Status: string(c.Status), Uptime90d: uptimePercent(c.Uptime)})
	}
	for _, v := range snap.Incidents {
		if v.Status.Closed() {
			out.Resolved = append(out.Resolved, viewIncident(v.Incident, v.Updates))
		} else {
			out.Incidents = append(out.Incidents, viewIncident(v.Incident, v.Updates))
		}
	}
	for _, v := range snap.Maintenances {
		out.Scheduled = append(out.Scheduled, viewIncident(v.Incident, v.Updates))
	}
	return out
}

// uptimePercent is the share of good probes over the days that had any,
// as "99.95"; empty when none had.
func uptimePercent(days []tuango.UptimeDay) string {
	sum, n := 0, 0
	for _, d := range days {
		if d.BasisPoints >= 0 {
			sum, n = sum+d.BasisPoints, n+1
		}
	}
	if n == 0 {
		return ""
	}
	bp := sum / n
	return fmt.Sprintf("%d.%02d", bp/100, bp%100)
}

func (s *Server) handleStatusJSON(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, summary(s.status.Snapshot()))
}

// incidentRequest is the body of POST /api/v1/admin/incidents.
type incidentRequest struct {
	Kind       string          `json:"kind"`
	Name       string          `json:"name"`
	Impact     string          `json:"impact"`
	Components json.RawMessage `json:"components"`
	Body       string          `json:"body"`
	ETA        string          `json:"eta"`
	StartsAt   string          `json:"starts_at"`
	EndsAt     string          `json:"ends_at"`
	Cutoff     string          `json:"cutoff"`
	Delivery   string          `json:"delivery"`
	Settlement string          `json:"settlement"`
}

func effectsOf(cutoff, delivery, settlement string) tuango.Effects {
	return tuango.Effects{Cutoff: tuango.Effect(cutoff), Delivery: tuango.Effect(delivery), Settlement: tuango.Effect(settlement)}
}

// optionalTime reads a time field that may be left out.
func optionalTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	return parseTime(field, v)
}

// parseComponents reads components given as ids (["ordering"]) or as
// objects ([{"id": "ordering", "status": "major_outage"}]).
func parseComponents(raw json.RawMessage) ([]tuango.ComponentImpact, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	var ids []string
	if err := json.Unmarshal(raw, &ids); err == nil {
		out := make([]tuango.ComponentImpact, len(ids))
		for i, id := range ids {
			out[i] = tuango.ComponentImpact{ID: id}
		}
		return out, nil
	}
	var cs []tuango.ComponentImpact
	if err := json.Unmarshal(raw, &cs); err != nil {
		return nil, tuango.FieldError("components", `must be an array of component ids, or of {"id", "status"}`)
	}
	return cs, nil
}

func (in *incidentRequest) incident() (tuango.NewIncident, error) {
	out := tuango.NewIncident{Kind: in.Kind, Name: in.Name, Impact: tuango.Impact(in.Impact), Body: in.Body, Effects: effectsOf(in.Cutoff, in.Delivery, in.Settlement)}
	var err error
	if out.Components, err = parseComponents(in.Components); err != nil {
		return out, err
	}
	if out.ETA, err = optionalTime("eta", in.ETA); err != nil {
		return out, err
	}
	if out.StartsAt, err = optionalTime("starts_at", in.StartsAt); err != nil {
		return out, err
	}
	out.EndsAt, err = optionalTime("ends_at", in.EndsAt)
	return out, err
}

func (s *Server) handleAdminOpenIncident(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	if err := a.RequireStaff(); err != nil {
		s.writeError(w, r, err)
		return
	}
	var in incidentRequest
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := in.incident()
	var inc *tuango.Incident
	if err == nil {
		inc, err = s.svc.OpenIncident(r.Context(), a, n)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	_, updates, _ := s.svc.GetIncident(r.Context(), inc.ID)
	s.refreshStatus(r.Context())
	writeJSON(w, http.StatusCreated, viewIncident(*inc, updates))
}

// updateRequest is the body of POST /api/v1/admin/incidents/{id}/updates.
type updateRequest struct {
	Status     string          `json:"status"`
	Body       string          `json:"body"`
	ETA        string          `json:"eta"`
	Components json.RawMessage `json:"components"`
	Cutoff     string          `json:"cutoff"`
	Delivery   string          `json:"delivery"`
	Settlement string          `json:"settlement"`
}

func (s *Server) handleAdminIncidentUpdate(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	if err := a.RequireStaff(); err != nil {
		s.writeError(w, r, err)
		return
	}
	var in updateRequest
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	n := tuango.NewIncidentUpdate{Status: tuango.IncidentStatus(in.Status), Body: in.Body, Effects: effectsOf(in.Cutoff, in.Delivery, in.Settlement)}
	var err error
	n.ETA, err = optionalTime("eta", in.ETA)
	if err == nil {
		n.Components, err = parseComponents(in.Components)
	}
	var u *tuango.IncidentUpdate
	if err == nil {
		u, err = s.svc.PostIncidentUpdate(r.Context(), a, r.PathValue("id"), n)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.refreshStatus(r.Context())
	writeJSON(w, http.StatusCreated, viewUpdate(*u))
}

// postmortemRequest is the body of POST /api/v1/admin/incidents/{id}/postmortem.
type postmortemRequest struct {
	Body string `json:"body"`
}

func (s *Server) handleAdminPostmortem(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	if err := a.RequireStaff(); err != nil {
		s.writeError(w, r, err)
		return
	}
	var in postmortemRequest
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	inc, err := s.svc.PublishPostmortem(r.Context(), a, r.PathValue("id"), in.Body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	_, updates, _ := s.svc.GetIncident(r.Context(), inc.ID)
	s.refreshStatus(r.Context())
	writeJSON(w, http.StatusOK, viewIncident(*inc, updates))
}

// refreshStatus reads the status again after an operator's change, so that
// this node shows it at once (the others within a probe interval).
func (s *Server) refreshStatus(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := s.status.Refresh(ctx); err != nil {
		s.log.WarnContext(ctx, "status: read it again after a change", "err", err)
	}
}

// apologyRequest is the body of POST /api/v1/admin/incidents/{id}/apology-coupons.
type apologyRequest struct {
	AmountOffFen tuango.Fen `json:"amount_off_fen"`
	MinSpendFen  tuango.Fen `json:"min_spend_fen"`
	ValidDays    int        `json:"valid_days"`
}

// handleAdminApologyCoupons gives the incident's apology coupon to every
// customer whose order failed or was delayed in its window, found from
// the data; asked again, it issues only to those who have none.
func (s *Server) handleAdminApologyCoupons(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	if err := a.RequireStaff(); err != nil {
		s.writeError(w, r, err)
		return
	}
	var in apologyRequest
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := s.svc.IssueIncidentApology(r.Context(), a, r.PathValue("id"), tuango.ApologySpec{AmountOffFen: in.AmountOffFen, MinSpendFen: in.MinSpendFen, ValidDays: in.ValidDays})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Issued int `json:"issued"`
	}{n})
}
