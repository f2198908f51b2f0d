package tuango

import (
	"context"
	"time"
)

// AuthEventKind names an authentication event.
type AuthEventKind string

// The authentication events, each reported once, in one place (authEvent).
const (
	AuthRegistered      AuthEventKind = "registered"
	AuthLoginOK         AuthEventKind = "login_ok"
	AuthLoginFailed     AuthEventKind = "login_failed"
	AuthLogout          AuthEventKind = "logout"
	AuthLogoutAll       AuthEventKind = "logout_all"
	AuthPasswordChanged AuthEventKind = "password_changed"
	AuthPasswordReset   AuthEventKind = "password_reset"
	AuthTOTPEnrolled    AuthEventKind = "totp_enrolled"
	AuthRecoveryUsed    AuthEventKind = "recovery_code_used"
	AuthSessionsRevoked AuthEventKind = "sessions_revoked"
	AuthAccountDisabled AuthEventKind = "account_disabled"
	AuthRoleChanged     AuthEventKind = "role_changed"
	AuthTOTPReset       AuthEventKind = "totp_reset"
)

// AuthEvent is one authentication event: who (when known), which phone,
// from where, when, and a short word on what (a failure's reason, how
// many sessions ended).
type AuthEvent struct {
	Kind   AuthEventKind
	UserID string
	Phone  string
	Source string
	At     time.Time
	Detail string
}

// OnAuthEvent sets a function told of every authentication event, after
// the event's change is committed (the audit log hooks in here). Call it
// before serving.
func (s *Service) OnAuthEvent(fn func(context.Context, AuthEvent)) { s.authHook = fn }

// authEvent reports an authentication event: to the log, and to the hook.
func (s *Service) authEvent(ctx context.Context, e AuthEvent) {
	if e.At.IsZero() {
		e.At = s.clock.Now()
	}
	s.log.InfoContext(ctx, "auth event", "event", string(e.Kind), "user_id", e.UserID, "source", e.Source, "detail", e.Detail)
	s.auditAuthEvent(ctx, e)
	if s.authHook != nil {
		s.authHook(ctx, e)
	}
}
