package web

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"tuango/internal/tuango"
)

// The operator's incidents page: open an incident or schedule a
// maintenance, post updates, publish a postmortem once resolved. Every
// field at fault is named at once: the domain's checks run on the form
// before it is sent (see fieldErrors), and the service checks again.

type adminIncidentsData struct {
	Status     statusPageData
	Form       incidentForm
	Update     incidentForm // the update form that failed, for its incident
	Postmortem incidentForm
	Components []componentChoice
	Done       string // what was just done, worded
}

// incidentForm is an incident, update or postmortem form as typed.
type incidentForm struct {
	For                                                string // the incident of an update or postmortem form
	Kind, Name, Impact, State, Body, ETA, Starts, Ends string
	Status, Cutoff, Delivery, Settlement               string
	Components                                         map[string]bool
	Errors                                             map[string]string
}

type componentChoice struct{ ID, Name string }

// incidentFormFields are the form's fields, by the domain's field name.
var incidentFormFields = map[string]string{"name": "name", "impact": "impact", "components": "components", "body": "body", "eta": "eta",
	"kind": "kind", "starts_at": "starts_at", "ends_at": "ends_at", "status": "status", "cutoff": "cutoff", "delivery": "delivery", "settlement": "settlement"}

func (s *Server) renderAdminIncidents(w http.ResponseWriter, r *http.Request, pg *page, status int, data *adminIncidentsData) {
	ctx, cancel := context.WithTimeout(r.Context(), pageReadTimeout)
	defer cancel()
	if err := s.status.Refresh(ctx); err != nil {
		s.log.WarnContext(r.Context(), "incidents page: status from memory", "err", err)
	}
	snap := s.status.Snapshot()
	data.Status = s.statusPage(pg, snap)
	for _, c := range data.Status.Components {
		data.Components = append(data.Components, componentChoice{c.ID, c.Name})
	}
	for _, f := range []*incidentForm{&data.Form, &data.Update, &data.Postmortem} {
		if f.Errors == nil {
			f.Errors = map[string]string{}
		}
		if f.Components == nil {
			f.Components = map[string]bool{}
		}
	}
	if data.Form.Impact == "" {
		data.Form.Impact, data.Form.State, data.Form.Kind = "major", string(tuango.ComponentPartialOutage), tuango.KindIncident
	}
	pg.Desktop, pg.Data = true, data
	s.render(w, r, status, "admin/incidents", pg)
}

func (s *Server) handleAdminIncidentsPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.rolePage(w, r, "Incidents", isStaff)
	if !ok {
		return
	}
	data := &adminIncidentsData{}
	if done := r.URL.Query().Get("done"); done == "opened" || done == "updated" || done == "postmortem" {
		data.Done = pg.T("incidents.done." + done)
	}
	s.renderAdminIncidents(w, r, pg, http.StatusOK, data)
}

// formTimeValue reads an optional datetime-local field in Beijing time.
func formTimeValue(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, true
	}
	t, err := time.ParseInLocation(formTime, v, shanghai)
	return t, err == nil
}

func (s *Server) handleAdminIncidentForm(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.roleForm(w, r, "Incidents", "/admin/incidents", isStaff)
	if !ok {
		return
	}
	r.ParseForm()
	f := incidentForm{Kind: r.PostFormValue("kind"), Name: r.PostFormValue("name"), Impact: r.PostFormValue("impact"), State: r.PostFormValue("state"),
		Body: r.PostFormValue("body"), ETA: r.PostFormValue("eta"), Starts: r.PostFormValue("starts_at"), Ends: r.PostFormValue("ends_at"),
		Cutoff: r.PostFormValue("cutoff"), Delivery: r.PostFormValue("delivery"), Settlement: r.PostFormValue("settlement"),
		Components: map[string]bool{}, Errors: map[string]string{}}
	n := tuango.NewIncident{Kind: f.Kind, Name: f.Name, Impact: tuango.Impact(f.Impact), Body: f.Body,
		Effects: tuango.Effects{Cutoff: tuango.Effect(f.Cutoff), Delivery: tuango.Effect(f.Delivery), Settlement: tuango.Effect(f.Settlement)}}
	if n.Kind == tuango.KindMaintenance {
		f.State = string(tuango.ComponentMaintenance)
	}
	for _, id := range r.PostForm["components"] {
		f.Components[id] = true
		n.Components = append(n.Components, tuango.ComponentImpact{ID: id, Status: tuango.ComponentStatus(f.State)})
	}
	for field, v := range map[string]*string{"eta": &f.ETA, "starts_at": &f.Starts, "ends_at": &f.Ends} {
		t, ok := formTimeValue(*v)
		if !ok {
			f.Errors[field] = pg.T("rule.incident.time")
			continue
		}
		switch field {
		case "eta":
			n.ETA = t
		case "starts_at":
			n.StartsAt = t
		case "ends_at":
			n.EndsAt = t
		}
	}
	typed, now := n, pg.now
	f.refuse(pg, fieldErrors(func() error { return typed.Check(now) }, map[string]func(){
		"kind": func() { typed.Kind, typed.StartsAt, typed.EndsAt = tuango.KindIncident, time.Time{}, time.Time{} },
		"starts_at": func() {
			typed.StartsAt, typed.EndsAt = time.Time{}, time.Time{}
			if typed.Kind == tuango.KindMaintenance {
				typed.StartsAt, typed.EndsAt = now.Add(time.Hour), now.Add(2*time.Hour)
			}
		},
		"ends_at":    func() { typed.EndsAt = typed.StartsAt.Add(time.Hour) },
		"name":       func() { typed.Name = "x" },
		"impact":     func() { typed.Impact = "" },
		"components": func() { typed.Components = []tuango.ComponentImpact{{ID: tuango.FixedComponents[0]}} },
		"body":       func() { typed.Body = "x" },
		"eta":        func() { typed.ETA = time.Time{} },
		"cutoff":     func() { typed.Effects.Cutoff = "" },
		"delivery":   func() { typed.Effects.Delivery = "" },
		"settlement": func() { typed.Effects.Settlement = "" },
	}))
	data := &adminIncidentsData{Form: f}
	if len(f.Errors) > 0 {
		s.renderAdminIncidents(w, r, pg, http.StatusBadRequest, data)
		return
	}
	if _, err := s.svc.OpenIncident(r.Context(), actor(pg.User), n); err != nil {
		s.incidentFormError(w, r, pg, err, &data.Form, data)
		return
	}
	s.refreshStatus(r.Context())
	http.Redirect(w, r, "/admin/incidents?done=opened", http.StatusSeeOther)
}

func (s *Server) handleAdminIncidentUpdateForm(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.roleForm(w, r, "Incidents", "/admin/incidents", isStaff)
	if !ok {
		return
	}
	id := r.PathValue("id")
	f := incidentForm{For: id, Status: r.PostFormValue("status"), Body: r.PostFormValue("body"), ETA: r.PostFormValue("eta"),
		Cutoff: r.PostFormValue("cutoff"), Delivery: r.PostFormValue("delivery"), Settlement: r.PostFormValue("settlement"), Errors: map[string]string{}}
	eta, good := formTimeValue(f.ETA)
	if !good {
		f.Errors["eta"] = pg.T("rule.incident.time")
	}
	in := tuango.NewIncidentUpdate{Status: tuango.IncidentStatus(f.Status), Body: f.Body, ETA: eta,
		Effects: tuango.Effects{Cutoff: tuango.Effect(f.Cutoff), Delivery: tuango.Effect(f.Delivery), Settlement: tuango.Effect(f.Settlement)}}
	ctx, cancel := pageRead(r)
	inc, err := s.svc.Store().FindIncidentByID(ctx, id)
	cancel()
	if err != nil {
		s.incidentFormError(w, r, pg, err, &f, &adminIncidentsData{Update: f})
		return
	}
	if !inc.Status.Closed() { // a closed one is refused whatever the form says
		typed, now := in, pg.now
		f.refuse(pg, fieldErrors(func() error { return typed.Check(inc.Kind, now) }, map[string]func(){
			"status": func() {
				typed.Status = tuango.IncidentIdentified
				if inc.Kind == tuango.KindMaintenance {
					typed.Status = tuango.MaintenanceInProgress
				}
			},
			"body":       func() { typed.Body = "x" },
			"eta":        func() { typed.ETA = time.Time{} },
			"cutoff":     func() { typed.Effects.Cutoff = "" },
			"delivery":   func() { typed.Effects.Delivery = "" },
			"settlement": func() { typed.Effects.Settlement = "" },
		}))
	}
	data := &adminIncidentsData{Update: f}
	if len(f.Errors) > 0 {
		s.renderAdminIncidents(w, r, pg, http.StatusBadRequest, data)
		return
	}
	if _, err := s.svc.PostIncidentUpdate(r.Context(), actor(pg.User), id, in); err != nil {
		s.incidentFormError(w, r, pg, err, &data.Update, data)
		return
	}
	s.refreshStatus(r.Context())
	http.Redirect(w, r, "/admin/incidents?done=updated#incident-"+url.PathEscape(id), http.StatusSeeOther)
}

func (s *Server) handleAdminPostmortemForm(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.roleForm(w, r, "Incidents", "/admin/incidents", isStaff)
	if !ok {
		return
	}
	id := r.PathValue("id")
	data := &adminIncidentsData{Postmortem: incidentForm{For: id, Body: r.PostFormValue("body"), Errors: map[string]string{}}}
	if _, err := s.svc.PublishPostmortem(r.Context(), actor(pg.User), id, r.PostFormValue("body")); err != nil {
		s.incidentFormError(w, r, pg, err, &data.Postmortem, data)
		return
	}
	s.refreshStatus(r.Context())
	http.Redirect(w, r, "/admin/incidents?done=postmortem#incident-"+url.PathEscape(id), http.StatusSeeOther)
}

// refuse puts under its field each of errs, the domain's refusals of the
// form as typed (see fieldErrors), unless the field has its error already
// (a time that could not be read).
func (f *incidentForm) refuse(pg *page, errs []error) {
	for _, err := range errs {
		if field, ok := incidentFormFields[fieldOf(err)]; ok && f.Errors[field] == "" {
			f.Errors[field] = pg.T("rule.incident." + field)
		}
	}
}

// incidentFormError shows a refused form again with what was wrong, in
// the page's language, beside the field at fault.
func (s *Server) incidentFormError(w http.ResponseWriter, r *http.Request, pg *page, err error, f *incidentForm, data *adminIncidentsData) {
	if tuango.IsNotFound(err) {
		s.pageError(w, r, pg, err)
		return
	}
	s.formError(w, r, pg, err, func(status int, msg string) {
		if field, ok := incidentFormFields[fieldOf(err)]; ok && tuango.ErrorCode(err) == tuango.CodeInvalid {
			f.Errors[field] = pg.T("rule.incident." + field)
		} else {
			f.Errors["form"] = msg
		}
		s.renderAdminIncidents(w, r, pg, status, data)
	})
}
