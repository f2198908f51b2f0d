package tuango

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"strings"
	"time"
)

// SecondFactor makes and checks TOTP codes (internal/auth's, by a
// well-kept library).
type SecondFactor interface {
	// NewSecret returns a new secret for account and its otpauth:// URL.
	NewSecret(account string) (secret, url string, err error)
	// Code returns secret's code for the time step holding at.
	Code(secret string, at time.Time) (string, error)
	// Step is the length of a time step.
	Step() time.Duration
}

// SetSecondFactor sets the TOTP implementation; without one, staff who
// enrolled cannot sign in. Call it before serving.
func (s *Service) SetSecondFactor(f SecondFactor) { s.totp = f }

// RecoveryCodes is how many single-use recovery codes an enrolment gives.
const RecoveryCodes = 10

// CodeTOTPInvalid is the error of a wrong, reused or expired second factor.
const CodeTOTPInvalid = "totp_invalid"

// CodeTOTPEnrolmentRequired is the error of an operator or admin who has
// not yet enrolled in TOTP: until they do, only the enrolment answers.
const CodeTOTPEnrolmentRequired = "totp_enrolment_required"

// TOTPEnrolment is a new secret offered to a user, not yet in force.
type TOTPEnrolment struct {
	Secret string // base32, to type into an authenticator app
	URL    string // otpauth://, for the QR code
}

// NeedsEnrolment reports whether u must enrol in TOTP before anything
// else: an operator or admin without a second factor.
func NeedsEnrolment(u *User) bool { return u.Role.IsStaff() && u.TOTPSecret == "" }

// BeginTOTP offers a new TOTP secret to the actor, an operator or admin. Nothing is stored: the
// secret comes back with the first code in ConfirmTOTP.
func (s *Service) BeginTOTP(ctx context.Context, a Actor) (*TOTPEnrolment, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	if s.totp == nil {
		return nil, Errorf(CodeUnavailable, "the second factor is not configured on this server")
	}
	u, err := s.store.FindUserByID(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	if u.TOTPSecret != "" {
		return nil, Errorf(CodeConflict, "this account already has an authenticator; it cannot be replaced here")
	}
	secret, url, err := s.totp.NewSecret(u.Phone)
	if err != nil {
		return nil, err
	}
	return &TOTPEnrolment{Secret: secret, URL: url}, nil
}

// ConfirmTOTP puts secret in force for the actor once code shows that
// their authenticator has it, and returns the RecoveryCodes recovery codes
// (shown once; only their hashes are kept).
func (s *Service) ConfirmTOTP(ctx context.Context, a Actor, secret, code string) ([]string, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	if s.totp == nil {
		return nil, Errorf(CodeUnavailable, "the second factor is not configured on this server")
	}
	secret = strings.ToUpper(strings.TrimSpace(secret))
	if len(secret) < 16 || len(secret) > 64 || strings.Trim(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		return nil, FieldError("secret", "must be the secret shown, in base32")
	}
	now := s.clock.Now()
	step, ok := s.matchTOTP(secret, code, 0, now)
	if !ok {
		return nil, &Error{Code: CodeTOTPInvalid, Field: "code", Message: "the code does not match: check the phone's clock and enter the code the app shows now"}
	}
	codes := make([]string, RecoveryCodes)
	hashes := make([]string, RecoveryCodes)
	for i := range codes {
		codes[i] = newRecoveryCode()
		hashes[i] = hashToken(a.UserID + ":" + normaliseRecoveryCode(codes[i]))
	}
	var u *User
	err := s.store.InTx(ctx, func(tx Store) error {
		var err error
		u, err = changeUser(ctx, tx, a.UserID, func(u *User) error {
			if u.TOTPSecret != "" {
				return Errorf(CodeConflict, "this account already has an authenticator; it cannot be replaced here")
			}
			u.TOTPSecret, u.TOTPStep = secret, step
			return nil
		})
		if err != nil {
			return err
		}
		return tx.SaveRecoveryCodes(ctx, u.ID, hashes)
	})
	if err != nil {
		return nil, err
	}
	s.sessions.forgetUser(u.ID)
	s.authEvent(ctx, AuthEvent{Kind: AuthTOTPEnrolled, UserID: u.ID, Phone: u.Phone, At: now})
	return codes, nil
}

// matchTOTP finds the time step, within one either side of now and after
// last, whose code is code.
func (s *Service) matchTOTP(secret, code string, last int64, now time.Time) (int64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return 0, false
	}
	step := s.totp.Step()
	for _, d := range []time.Duration{0, -step, step} {
		at := now.Add(d)
		n := at.Unix() / int64(step/time.Second)
		want, err := s.totp.Code(secret, at)
		if err == nil && n > last && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return n, true
		}
	}
	return 0, false
}

// checkSecondFactor accepts a TOTP code (each step once) or an unused
// recovery code for u.
func (s *Service) checkSecondFactor(ctx context.Context, u *User, code, source string, now time.Time) error {
	invalid := &Error{Code: CodeTOTPInvalid, Field: "totp", Message: "the authenticator code is wrong or was already used; enter the current one, or a recovery code"}
	if s.totp == nil {
		return Errorf(CodeUnavailable, "the second factor is not configured on this server")
	}
	if step, ok := s.matchTOTP(u.TOTPSecret, code, u.TOTPStep, now); ok {
		advanced, err := s.store.AdvanceTOTPStep(ctx, u.ID, step)
		if err != nil {
			return err
		}
		if !advanced { // the same code, used a moment ago on another node
			return invalid
		}
		u.TOTPStep = step
		return nil
	}
	rc := normaliseRecoveryCode(code)
	if len(rc) != recoveryCodeLen {
		return invalid
	}
	used, err := s.store.UseRecoveryCode(ctx, u.ID, hashToken(u.ID+":"+rc), now)
	if err != nil {
		return err
	}
	if !used {
		return invalid
	}
	s.authEvent(ctx, AuthEvent{Kind: AuthRecoveryUsed, UserID: u.ID, Phone: u.Phone, Source: source, At: now})
	return nil
}

// A recovery code is 10 characters from an alphabet without look-alikes,
// shown as two groups of five (about 50 bits).
const (
	recoveryAlphabet = "23456789abcdefghjkmnpqrstuvwxyz"
	recoveryCodeLen  = 10
)

func newRecoveryCode() string {
	b := make([]byte, recoveryCodeLen)
	for i := range b {
		b[i] = recoveryAlphabet[randIntn(len(recoveryAlphabet))]
	}
	return string(b[:5]) + "-" + string(b[5:])
}

func randIntn(n int) int {
	var b [1]byte
	for {
		rand.Read(b[:])
		if int(b[0]) < 256/n*n {
			return int(b[0]) % n
		}
	}
}

// normaliseRecoveryCode drops spaces and dashes and lowers the case.
func normaliseRecoveryCode(c string) string {
	return strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(c)))
}

// ResetTOTP removes an account's second factor and recovery codes (admins
// only), for an operator who lost their phone: their sessions end, and the
// next login asks them to enrol again.
func (s *Service) ResetTOTP(ctx context.Context, a Actor, userID string) (*User, error) {
	if a.Role != RoleAdmin {
		return nil, Errorf(CodeForbidden, "only an admin may reset a second factor")
	}
	var u *User
	err := s.store.InTx(ctx, func(tx Store) error {
		var err error
		u, err = changeUser(ctx, tx, userID, func(u *User) error { u.TOTPSecret, u.TOTPStep = "", 0; return nil })
		if err != nil {
			return err
		}
		return tx.SaveRecoveryCodes(ctx, userID, nil)
	})
	if err != nil {
		return nil, err
	}
	n, err := s.endSessions(ctx, u.ID, "")
	if err != nil {
		return nil, err
	}
	s.authEvent(ctx, AuthEvent{Kind: AuthTOTPReset, UserID: u.ID, Phone: u.Phone, Detail: "by " + a.UserID + "; " + sessionsEnded(n)})
	return u, nil
}
