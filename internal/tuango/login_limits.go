package tuango

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// The login limits. Failures are counted per phone, whether or not it has
// an account, so that the answers never tell which phones do.
const (
	// SourceFailures failed guesses per account from one source in
	// SourceWindow, after which that source gets 429 too_many_attempts.
	SourceFailures = 5
	SourceWindow   = 15 * time.Minute
	// AccountFailures failed guesses per account from all sources in
	// AccountWindow, after which signing in also needs a one-time code.
	AccountFailures = 20
	AccountWindow   = time.Hour
	// CodeTTL is how long a one-time code works; CodeEvery is how often
	// one may be sent to a phone for a purpose.
	CodeTTL   = 10 * time.Minute
	CodeEvery = time.Minute
)

// CodeCodeRequired is the error of a login that needs a one-time code.
const CodeCodeRequired = "code_required"

// LoginFailure is one failed guess at an account's password.
type LoginFailure struct {
	ID     string
	Phone  string
	Source string // the client address
	At     time.Time
}

// LoginFailures counts the failed guesses at one account.
type LoginFailures struct {
	FromSource       int       // from one source, since the source window began
	OldestFromSource time.Time // the oldest of those
	All              int       // from every source, since the account window began
}

// AuthCode is a one-time code sent by SMS; only its hash is stored.
type AuthCode struct {
	Phone     string
	Purpose   string // "login", "register" or "reset"
	CodeHash  string
	CreatedAt time.Time
	ExpiresAt time.Time
	Attempts  int // wrong guesses at it so far
}

// AuthCodeRequest is one one-time code sent, counted against the limits
// per phone and per address.
type AuthCodeRequest struct {
	ID     string
	Phone  string
	Source string
	At     time.Time
}

// LoginLimitStore keeps the login limits' counters and one-time codes, in
// the database so that every node sees the same counts.
type LoginLimitStore interface {
	// LockLoginAccount holds phone's guard row until the transaction
	// ends, so that concurrent guesses at one account count one by one.
	LockLoginAccount(ctx context.Context, phone string, now time.Time) error
	// CountLoginFailures counts phone's failures from source since
	// sourceSince and from everywhere since allSince.
	CountLoginFailures(ctx context.Context, phone, source string, sourceSince, allSince time.Time) (LoginFailures, error)
	AddLoginFailure(ctx context.Context, f *LoginFailure) error
	// DeleteLoginFailure forgets the one failure with id.
	DeleteLoginFailure(ctx context.Context, id string) error
	// ClearLoginFailures forgets phone's failures from source.
	ClearLoginFailures(ctx context.Context, phone, source string) error
	// PurgeLoginFailures deletes failures and guard rows older than before.
	PurgeLoginFailures(ctx context.Context, before time.Time) (int, error)
	// SaveAuthCode stores c, replacing the phone's code for that purpose.
	SaveAuthCode(ctx context.Context, c *AuthCode) error
	FindAuthCode(ctx context.Context, phone, purpose string) (*AuthCode, error)
	DeleteAuthCode(ctx context.Context, phone, purpose string) error
	// AddAuthCodeFailure counts a wrong guess at phone's code for purpose.
	AddAuthCodeFailure(ctx context.Context, phone, purpose string) error
	AddAuthCodeRequest(ctx context.Context, r *AuthCodeRequest) error
	// CountAuthCodeRequests counts the codes sent to phone, and those asked
	// for from source, since since: each up to atMost, where it stops
	// reading (an address without a limit may have asked for thousands).
	CountAuthCodeRequests(ctx context.Context, phone, source string, since time.Time, atMost int) (byPhone, bySource int, err error)
	// SaveRecoveryCodes replaces a user's TOTP recovery codes (hashes).
	SaveRecoveryCodes(ctx context.Context, userID string, hashes []string) error
	// UseRecoveryCode marks an unused recovery code used; false if none.
	UseRecoveryCode(ctx context.Context, userID, hash string, at time.Time) (bool, error)
	CountRecoveryCodes(ctx context.Context, userID string) (int, error)
}

// LoginRequest is what a person gives to sign in, and where from.
type LoginRequest struct {
	Phone, Password string
	// Code is the one-time code, needed once the account has had too many
	// failed guesses from everywhere.
	Code string
	// Source is the client's address; the per-source limit is keyed on
	// it (an IPv6 address's /64, see LimitSource).
	Source string
	// TOTP is an operator's or admin's authenticator code, or one of
	// their recovery codes.
	TOTP string
	// Ticket, from a first step answered CodeTOTPRequired, stands in for
	// the password in the second.
	Ticket string
}

// beginLogin counts a guess before it is checked: the guess is recorded as
// a failure (forgotten if it succeeds), so that a node dying mid-check, or
// many guesses at once, cannot get past the limit. It reports whether the
// guess also needs a one-time code, and the failure's id.
func (s *Service) beginLogin(ctx context.Context, phone, source string, now time.Time) (bool, string, error) {
	needCode, id := false, s.newID("lgf")
	source = LimitSource(source)
	err := s.store.InTx(ctx, func(tx Store) error {
		if err := tx.LockLoginAccount(ctx, phone, now); err != nil {
			return err
		}
		n, err := tx.CountLoginFailures(ctx, phone, source, now.Add(-SourceWindow), now.Add(-AccountWindow))
		if err != nil {
			return err
		}
		if n.FromSource >= SourceFailures {
			wait := max(n.OldestFromSource.Add(SourceWindow).Sub(now), time.Second)
			return &Error{Code: CodeTooManyAttempts, RetryAfter: wait,
				Message: fmt.Sprintf("too many failed attempts for this account from here; try again in %d minutes", int((wait+time.Minute-1)/time.Minute))}
		}
		needCode = n.All >= AccountFailures
		return tx.AddLoginFailure(ctx, &LoginFailure{ID: id, Phone: phone, Source: source, At: now})
	})
	return needCode, id, err
}

// The purposes of one-time codes. A login ticket, the proof that a staff
// login's password was right while its second factor is asked for, is
// kept the same way.
const (
	PurposeLogin    = "login"
	PurposeRegister = "register"
	PurposeReset    = "reset"
	purposeTicket   = "ticket"
)

// CodeWindow is the window of the per-phone and per-address code limits;
// CodeAttempts is how many wrong guesses void a code.
const (
	CodeWindow   = time.Hour
	CodeAttempts = 5
)

// The code limits serve uses unless told otherwise: per phone per hour
// (besides one a minute), and per address per hour.
const (
	DefaultCodesPerPhone  = 5
	DefaultCodesPerSource = 20
)

// CodeRequest asks for a one-time code sent by SMS.
type CodeRequest struct {
	Phone   string
	Purpose string // PurposeLogin, PurposeRegister or PurposeReset
	Source  string // the client's address, for the per-address limit (see LimitSource)
}

// RequestCode sends a one-time code to a phone by SMS and returns it (the
// sandbox SMS sender shows it to tests and the demo). Any valid phone gets
// the same answer, account or not: a registration code goes to any phone,
// a login or reset code only to an account's owner. Within
// Config.CodesPerPhone and CodesPerSource per CodeWindow, and with a
// phone limit, one per phone and purpose per CodeEvery.
func (s *Service) RequestCode(ctx context.Context, in CodeRequest) (string, error) {
	if err := CheckPhone(in.Phone); err != nil {
		return "", err
	}
	switch in.Purpose {
	case PurposeLogin, PurposeRegister, PurposeReset:
	default:
		return "", FieldError("purpose", "must be register, reset or login")
	}
	now := s.clock.Now()
	if err := s.checkCodeLimits(ctx, in, now); err != nil {
		return "", err
	}
	code, err := newCode()
	if err != nil {
		return "", err
	}
	if err := s.store.SaveAuthCode(ctx, &AuthCode{Phone: in.Phone, Purpose: in.Purpose, CodeHash: hashToken(in.Phone + ":" + code), CreatedAt: now, ExpiresAt: now.Add(CodeTTL)}); err != nil {
		return "", err
	}
	if err := s.store.AddAuthCodeRequest(ctx, &AuthCodeRequest{ID: s.newID("acr"), Phone: in.Phone, Source: LimitSource(in.Source), At: now}); err != nil {
		return "", err
	}
	u, err := s.store.FindUserByPhone(ctx, in.Phone)
	if err != nil && !IsNotFound(err) {
		return "", err
	}
	if s.sender != nil && (u != nil || in.Purpose == PurposeRegister) {
		m := &Message{ID: s.newID("sms"), Text: codeText(in.Purpose, code), CreatedAt: now}
		if u != nil {
			m.UserID = u.ID
		}
		if err := s.sender.Send(ctx, m, in.Phone); err != nil {
			return "", Errorf(CodeUnavailable, "the code could not be sent; please try again shortly")
		}
	}
	return code, nil
}

func codeText(purpose, code string) string {
	what := map[string]string{PurposeLogin: "登录", PurposeRegister: "注册", PurposeReset: "重置密码"}[purpose]
	return fmt.Sprintf("【团购】%s验证码 %s，%d 分钟内有效。如非本人操作，请忽略并修改密码。", what, code, int(CodeTTL/time.Minute))
}

func (s *Service) checkCodeLimits(ctx context.Context, in CodeRequest, now time.Time) error {
	if s.cfg.CodesPerPhone > 0 {
		if old, err := s.store.FindAuthCode(ctx, in.Phone, in.Purpose); err == nil && now.Sub(old.CreatedAt) < CodeEvery {
			return &Error{Code: CodeTooManyAttempts, RetryAfter: old.CreatedAt.Add(CodeEvery).Sub(now), Message: "a code was sent a moment ago; wait a minute before asking for another"}
		} else if err != nil && !IsNotFound(err) {
			return err
		}
	}
	if s.cfg.CodesPerPhone <= 0 && s.cfg.CodesPerSource <= 0 {
		return nil
	}
	byPhone, bySource, err := s.store.CountAuthCodeRequests(ctx, in.Phone, LimitSource(in.Source), now.Add(-CodeWindow),
		max(s.cfg.CodesPerPhone, s.cfg.CodesPerSource))
	if err != nil {
		return err
	}
	if s.cfg.CodesPerPhone > 0 && byPhone >= s.cfg.CodesPerPhone {
		return &Error{Code: CodeTooManyAttempts, RetryAfter: CodeWindow, Message: "too many codes sent to this phone; try again in an hour"}
	}
	if s.cfg.CodesPerSource > 0 && bySource >= s.cfg.CodesPerSource {
		return &Error{Code: CodeTooManyAttempts, RetryAfter: CodeWindow, Message: "too many codes asked for from here; try again in an hour"}
	}
	return nil
}

// RequestLoginCode sends a one-time login code (RequestCode, purpose login).
func (s *Service) RequestLoginCode(ctx context.Context, phone string) (string, error) {
	return s.RequestCode(ctx, CodeRequest{Phone: phone, Purpose: PurposeLogin})
}

// checkCode reports whether code is phone's live code for purpose.
func (s *Service) checkCode(ctx context.Context, phone, purpose, code string, now time.Time) (bool, error) {
	c, err := s.store.FindAuthCode(ctx, phone, purpose)
	if IsNotFound(err) || code == "" {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	same := subtle.ConstantTimeCompare([]byte(c.CodeHash), []byte(hashToken(phone+":"+code))) == 1
	return same && now.Before(c.ExpiresAt) && c.Attempts < CodeAttempts, nil
}

// useCode checks phone's code for purpose: a wrong guess is counted, and
// CodeAttempts of them void the code. With consume, a right one is used
// up; otherwise the caller deletes it once what it proves is done.
func (s *Service) useCode(ctx context.Context, phone, purpose, code string, consume bool) error {
	invalid := &Error{Code: CodeCodeInvalid, Field: "code", Message: "the code is wrong or has expired; ask for a new one"}
	ok, err := s.checkCode(ctx, phone, purpose, strings.TrimSpace(code), s.clock.Now())
	if err != nil {
		return err
	}
	if !ok {
		if err := s.store.AddAuthCodeFailure(ctx, phone, purpose); err != nil {
			return err
		}
		return invalid
	}
	if consume {
		return s.store.DeleteAuthCode(ctx, phone, purpose)
	}
	return nil
}

// newTicket keeps a login ticket for phone's second step.
func (s *Service) newTicket(ctx context.Context, phone string, now time.Time) (string, error) {
	ticket := randomToken("lt_")
	err := s.store.SaveAuthCode(ctx, &AuthCode{Phone: phone, Purpose: purposeTicket, CodeHash: hashToken(phone + ":" + ticket), CreatedAt: now, ExpiresAt: now.Add(CodeTTL)})
	return ticket, err
}

func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// PurgeLoginFailures forgets failed guesses older than the longest window.
func (s *Service) PurgeLoginFailures(ctx context.Context) (int, error) {
	return s.store.PurgeLoginFailures(ctx, s.clock.Now().Add(-AccountWindow))
}
