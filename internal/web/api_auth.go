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
		Code     string `json:"code"`
	}
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, token, err := s.svc.Login(r.Context(), tuango.LoginRequest{Phone: in.Phone, Password: in.Password, Code: in.Code, Source: s.clientAddr(r)})
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

type codeView struct {
	Sent bool `json:"sent"`
	// SandboxCode is the code itself, only with the sandbox SMS sender.
	SandboxCode string `json:"sandbox_code,omitempty"`
}

type codeRequest struct {
	Phone   string `json:"phone"`
	Purpose string `json:"purpose"`
}

func (s *Server) handleAuthCode(w http.ResponseWriter, r *http.Request) {
	var in codeRequest
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	code, err := s.requestCode(r, in.Phone, in.Purpose)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, codeView{Sent: true, SandboxCode: code})
}

// requestCode asks for a one-time code within the per-address limit and
// returns it only when the SMS sender is the sandbox.
func (s *Server) requestCode(r *http.Request, phone, purpose string) (string, error) {
	if purpose != "login" {
		return "", tuango.FieldError("purpose", "must be login")
	}
	if err := tuango.CheckPhone(phone); err != nil {
		return "", err
	}
	if err := s.allowCodeRequest(r); err != nil {
		return "", err
	}
	code, err := s.svc.RequestLoginCode(r.Context(), phone)
	if err != nil || s.cfg.SMS == nil {
		return "", err
	}
	return code, nil
}
