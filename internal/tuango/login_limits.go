package tuango

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"math/big"
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
	// ClearLoginFailures forgets phone's failures from source.
	ClearLoginFailures(ctx context.Context, phone, source string) error
	// PurgeLoginFailures deletes failures and guard rows older than before.
	PurgeLoginFailures(ctx context.Context, before time.Time) (int, error)
	// SaveAuthCode stores c, replacing the phone's code for that purpose.
	SaveAuthCode(ctx context.Context, c *AuthCode) error
	FindAuthCode(ctx context.Context, phone, purpose string) (*AuthCode, error)
	DeleteAuthCode(ctx context.Context, phone, purpose string) error
}

// LoginRequest is what a person gives to sign in, and where from.
type LoginRequest struct {
	Phone, Password string
	// Code is the one-time code, needed once the account has had too many
	// failed guesses from everywhere.
	Code string
	// Source is the client's address; the per-source limit is keyed on it.
	Source string
}

// beginLogin counts a guess before it is checked: the guess is recorded as
// a failure (forgotten if it succeeds), so that a node dying mid-check, or
// many guesses at once, cannot get past the limit. It reports whether the
// guess also needs a one-time code.
func (s *Service) beginLogin(ctx context.Context, phone, source string, now time.Time) (bool, error) {
	needCode := false
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
		return tx.AddLoginFailure(ctx, &LoginFailure{ID: s.newID("lgf"), Phone: phone, Source: source, At: now})
	})
	return needCode, err
}

// RequestLoginCode sends a one-time login code to phone's owner by SMS and
// returns it (the sandbox SMS sender shows it to tests and the demo). Any
// valid phone gets the same answer, account or not; only an owner is sent
// a message. At most one code per phone per CodeEvery.
func (s *Service) RequestLoginCode(ctx context.Context, phone string) (string, error) {
	if err := CheckPhone(phone); err != nil {
		return "", err
	}
	const purpose = "login"
	now := s.clock.Now()
	if old, err := s.store.FindAuthCode(ctx, phone, purpose); err == nil && now.Sub(old.CreatedAt) < CodeEvery {
		return "", &Error{Code: CodeTooManyAttempts, RetryAfter: old.CreatedAt.Add(CodeEvery).Sub(now), Message: "a code was sent a moment ago; wait a minute before asking for another"}
	} else if err != nil && !IsNotFound(err) {
		return "", err
	}
	code, err := newCode()
	if err != nil {
		return "", err
	}
	if err := s.store.SaveAuthCode(ctx, &AuthCode{Phone: phone, Purpose: purpose, CodeHash: hashToken(phone + ":" + code), CreatedAt: now, ExpiresAt: now.Add(CodeTTL)}); err != nil {
		return "", err
	}
	u, err := s.store.FindUserByPhone(ctx, phone)
	if err == nil && s.sender != nil {
		m := &Message{ID: s.newID("sms"), UserID: u.ID, Text: fmt.Sprintf("【团购】登录验证码 %s，%d 分钟内有效。如非本人操作，请修改密码。", code, int(CodeTTL/time.Minute)), CreatedAt: now}
		if err := s.sender.Send(ctx, m, phone); err != nil {
			return "", Errorf(CodeUnavailable, "the code could not be sent; please try again shortly")
		}
	} else if err != nil && !IsNotFound(err) {
		return "", err
	}
	return code, nil
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
	return same && now.Before(c.ExpiresAt), nil
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
