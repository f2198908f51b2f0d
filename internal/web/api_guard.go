package web

import (
	"net/http"
	"strings"

	"tuango/internal/tuango"
)

// The block and allow lists, for operators: GET lists the live rules,
// POST adds one ({cidr, reason, expires_at}), DELETE ends every live rule
// of the list for a cidr (?cidr=… or {cidr} in the body) — on the block
// list, an operator's block and a detection's ban alike.

type sourceRuleView struct {
	ID        string `json:"id"`
	CIDR      string `json:"cidr"`
	Reason    string `json:"reason"`
	Origin    string `json:"origin"`
	CreatedBy string `json:"created_by"`
	CreatedAt string `json:"created_at"`
	ExpiresAt string `json:"expires_at,omitempty"`
}

func viewSourceRule(r *tuango.SourceRule) sourceRuleView {
	return sourceRuleView{ID: r.ID, CIDR: r.CIDR, Reason: r.Reason, Origin: r.Origin, CreatedBy: r.CreatedBy,
		CreatedAt: formatTime(r.CreatedAt), ExpiresAt: formatTime(r.ExpiresAt)}
}

type sourceRuleRequest struct {
	CIDR      string `json:"cidr"`
	Reason    string `json:"reason"`
	ExpiresAt string `json:"expires_at"`
}

func (in *sourceRuleRequest) input() (tuango.SourceRuleInput, error) {
	out := tuango.SourceRuleInput{CIDR: in.CIDR, Reason: in.Reason}
	if strings.TrimSpace(in.ExpiresAt) != "" {
		t, err := parseTime("expires_at", strings.TrimSpace(in.ExpiresAt))
		if err != nil {
			return out, err
		}
		out.ExpiresAt = t
	}
	return out, nil
}

func (s *Server) handleListSourceRules(list string) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
		rs, err := s.svc.ListSourceRules(r.Context(), a, list)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, listOf(rs, viewSourceRule))
	}
}

func (s *Server) handleAddSourceRule(list string) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
		if err := a.RequireStaff(); err != nil {
			s.writeError(w, r, err)
			return
		}
		var in sourceRuleRequest
		if _, err := decode(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		ri, err := in.input()
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		rule, err := s.svc.AddSourceRule(r.Context(), a, list, ri)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.guard.stale()
		writeJSON(w, http.StatusCreated, viewSourceRule(rule))
	}
}

func (s *Server) handleRemoveSourceRules(list string) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
		if err := a.RequireStaff(); err != nil {
			s.writeError(w, r, err)
			return
		}
		cidr := r.URL.Query().Get("cidr")
		if cidr == "" && r.ContentLength != 0 {
			var in struct {
				CIDR string `json:"cidr"`
			}
			if _, err := decode(w, r, &in); err != nil {
				s.writeError(w, r, err)
				return
			}
			cidr = in.CIDR
		}
		n, err := s.svc.RemoveSourceRules(r.Context(), a, list, cidr)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.guard.stale()
		p, _ := tuango.ParseCIDR(cidr)
		writeJSON(w, http.StatusOK, map[string]any{"cidr": p.String(), "removed": n})
	}
}
