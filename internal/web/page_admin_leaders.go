package web

import (
	"net/http"

	"tuango/internal/tuango"
)

type adminLeaderRow struct {
	tuango.User
	Points []string // the pickup points the leader runs
}

// leaderEditor is the form that creates a leader (id "") or renames one.
func leaderEditor(pg *page, id string, v map[string]string) *editor {
	if id != "" {
		return &editor{Title: pg.T("Rename group leader"), Action: "/admin/leaders/" + id, Submit: pg.T("Save"),
			Fields: []editorField{{Name: "name", Label: pg.T("person.name"), Type: "text", Value: v["name"]}}}
	}
	return &editor{Title: pg.T("New group leader"), Action: "/admin/leaders", Submit: pg.T("Create group leader"), Keyed: true, Fields: []editorField{
		{Name: "name", Label: pg.T("person.name"), Type: "text", Value: v["name"]},
		{Name: "phone", Label: pg.T("Phone"), Type: "tel", Value: v["phone"]},
		{Name: "password", Label: pg.T("Password (at least 8 characters)"), Type: "password"},
	}}
}

// handleAdminLeadersPage lists the group leaders with the pickup points
// they run, searchable by name or phone, above the form that adds one.
func (s *Server) handleAdminLeadersPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.staffPage(w, r, "Group leaders")
	if !ok {
		return
	}
	s.renderLeaders(w, r, pg, http.StatusOK, leaderEditor(pg, "", nil))
}

func (s *Server) renderLeaders(w http.ResponseWriter, r *http.Request, pg *page, status int, form *editor) {
	ctx, cancel := pageRead(r)
	defer cancel()
	q := r.URL.Query().Get("q")
	leaders, err := s.svc.ListLeaders(ctx, actor(pg.User), q, 500)
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	points, err := s.svc.Store().FindPickupPoints(ctx, tuango.PickupPointFilter{})
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	runs := map[string][]string{}
	for _, p := range points {
		if p.LeaderID != "" {
			runs[p.LeaderID] = append(runs[p.LeaderID], p.Name)
		}
	}
	rows := make([]adminLeaderRow, 0, len(leaders))
	for _, u := range leaders {
		rows = append(rows, adminLeaderRow{u, runs[u.ID]})
	}
	pg.Data = struct {
		Query   string
		Leaders []adminLeaderRow
		Form    *editor
	}{q, rows, form}
	s.render(w, r, status, "admin/leaders", pg)
}

// handleAdminLeaderForm creates a group leader.
func (s *Server) handleAdminLeaderForm(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.staffForm(w, r, "Group leaders")
	if !ok {
		return
	}
	v, password := formValues(r, "name", "phone"), r.PostFormValue("password")
	form := leaderEditor(pg, "", v)
	_, nameErr := tuango.CheckPersonName(v["name"])
	if form.refused(pg, "leader", []error{nameErr, tuango.CheckPhone(v["phone"]), tuango.CheckPassword(password)}) {
		s.renderLeaders(w, r, pg, http.StatusBadRequest, form)
		return
	}
	u, err := s.actCreateLeader(r.Context(), actor(pg.User), tuango.NewAccount{Phone: v["phone"], Password: password, Name: v["name"]})
	if form.failed(pg, "leader", err) {
		s.renderLeaders(w, r, pg, http.StatusBadRequest, form)
		return
	}
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	afterSave(w, r, "/admin/leaders/"+u.ID)
}

// handleAdminLeaderPage is the form that renames a group leader.
func (s *Server) handleAdminLeaderPage(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.staffPage(w, r, "Group leaders")
	if !ok {
		return
	}
	ctx, cancel := pageRead(r)
	defer cancel()
	u, err := s.svc.GetLeader(ctx, actor(pg.User), r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, pg, err)
		return
	}
	e := leaderEditor(pg, u.ID, map[string]string{"name": u.Name})
	e.Title, e.Saved = pg.T("Group leader %s, %s", u.Name, u.Phone), r.URL.Query().Has("saved")
	s.renderEditor(w, r, pg, http.StatusOK, e)
}

// handleAdminLeaderRename renames a group leader.
func (s *Server) handleAdminLeaderRename(w http.ResponseWriter, r *http.Request) {
	pg, ok := s.staffForm(w, r, "Group leaders")
	if !ok {
		return
	}
	id, v := r.PathValue("id"), formValues(r, "name")
	e := leaderEditor(pg, id, v)
	_, err := s.actRenameLeader(r.Context(), actor(pg.User), id, v["name"])
	s.finishEdit(w, r, pg, e, "leader", err, "/admin/leaders/"+id)
}
