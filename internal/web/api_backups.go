package web

import (
	"net/http"
	"strconv"
	"time"

	"tuango/internal/tuango"
)

type backupRunView struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"`
	OK         bool      `json:"ok"`
	Node       string    `json:"node"`
	File       string    `json:"file"`
	Bytes      int64     `json:"bytes"`
	SHA256     string    `json:"sha256"`
	Detail     string    `json:"detail"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
}

func viewBackupRun(r *tuango.BackupRun) backupRunView {
	return backupRunView{ID: r.ID, Kind: r.Kind, OK: r.OK, Node: r.Node, File: r.File, Bytes: r.Bytes, SHA256: r.SHA256,
		Detail: r.Detail, StartedAt: r.StartedAt.UTC(), FinishedAt: r.FinishedAt.UTC()}
}

// handleAdminBackups lists the latest backups and restore drills.
func (s *Server) handleAdminBackups(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	limit := 0
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			s.writeError(w, r, tuango.FieldError("limit", "must be a whole number"))
			return
		}
		if n == 0 {
			n = -1 // 0 asked for is out of range, not the default
		}
		limit = n
	}
	runs, err := s.svc.BackupRuns(r.Context(), a, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listOf(runs, viewBackupRun))
}
