package web

import (
	"net/http"

	"tuango/internal/tuango"
)

type credentials struct {
	Phone    string `json:"phone"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

type sessionView struct {
	User  userView `json:"user"`
	Token string   `json:"token"`
}

func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) {
	var in credentials
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, token, err := s.svc.Register(r.Context(), in.Phone, in.Password, in.Name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, sessionView{User: viewUser(u), Token: token})
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Phone    string `json:"phone"`
		Password string `json:"password"`
	}
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, token, err := s.svc.Login(r.Context(), in.Phone, in.Password)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sessionView{User: viewUser(u), Token: token})
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	if err := s.svc.Logout(r.Context(), bearer(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	writeJSON(w, http.StatusOK, viewUser(userFrom(r.Context())))
}

func (s *Server) handleSetPickupPoint(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	var in struct {
		PickupPointID string `json:"pickup_point_id"`
	}
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.svc.SetHomePickupPoint(r.Context(), a, in.PickupPointID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewUser(u))
}
