package web

import (
	"net/http"

	"tuango/internal/tuango"
)

type credentials struct {
	Phone    string `json:"phone"`
	Password string `json:"password"`
	Name     string `json:"name"`
	Code     string `json:"code"`
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
	u, token, err := s.svc.Register(r.Context(), tuango.Registration{Phone: in.Phone, Password: in.Password, Name: in.Name, Code: in.Code, Source: s.clientAddr(r)})
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
		TOTP     string `json:"totp"`
	}
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, token, err := s.svc.Login(r.Context(), tuango.LoginRequest{Phone: in.Phone, Password: in.Password, Code: in.Code, TOTP: in.TOTP, Source: s.clientAddr(r)})
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

// requestCode asks for a one-time code within the limits per phone and
// per address and returns it only when the SMS sender is the sandbox's
// and the sandbox is on (demo, or --sandbox).
func (s *Server) requestCode(r *http.Request, phone, purpose string) (string, error) {
	code, err := s.svc.RequestCode(r.Context(), tuango.CodeRequest{Phone: phone, Purpose: purpose, Source: s.clientAddr(r)})
	if err != nil || s.cfg.SMS == nil || !s.cfg.SandboxControls {
		return "", err
	}
	return code, nil
}

func (s *Server) handleLogoutEverywhere(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	n, err := s.svc.LogoutEverywhere(r.Context(), a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"sessions_ended": n})
}

type passwordReset struct {
	Phone       string `json:"phone"`
	Code        string `json:"code"`
	NewPassword string `json:"new_password"`
}

type passwordChange struct {
	OldPassword string `json:"old_password"`
	NewPassword string `json:"new_password"`
}

type totpConfirm struct {
	Secret string `json:"secret"`
	Code   string `json:"code"`
}

func (s *Server) handleResetPassword(w http.ResponseWriter, r *http.Request) {
	var in passwordReset
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.svc.ResetPassword(r.Context(), tuango.PasswordReset{Phone: in.Phone, Code: in.Code, NewPassword: in.NewPassword, Source: s.clientAddr(r)}); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "password_changed"})
}

func (s *Server) handleChangePassword(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	var in passwordChange
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.svc.ChangePassword(r.Context(), a, bearer(r), in.OldPassword, in.NewPassword); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "password_changed"})
}

type totpEnrolmentView struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
}

func (s *Server) handleBeginTOTP(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	en, err := s.svc.BeginTOTP(r.Context(), a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, totpEnrolmentView{Secret: en.Secret, OTPAuthURL: en.URL})
}

func (s *Server) handleConfirmTOTP(w http.ResponseWriter, r *http.Request, a tuango.Actor) {
	var in totpConfirm
	if _, err := decode(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	codes, err := s.svc.ConfirmTOTP(r.Context(), a, in.Secret, in.Code)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string][]string{"recovery_codes": codes})
}
