package tuango

import (
	_ "embed"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Role says what a user may do.
type Role string

// The roles.
const (
	RoleCustomer Role = "customer"
	RoleLeader   Role = "leader"
	RoleSupplier Role = "supplier"
	RoleOperator Role = "operator"
	RoleAdmin    Role = "admin"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleCustomer, RoleLeader, RoleSupplier, RoleOperator, RoleAdmin:
		return true
	}
	return false
}

// IsStaff reports whether r may use the operator API.
func (r Role) IsStaff() bool { return r == RoleOperator || r == RoleAdmin }

// User is an account, identified by a mainland mobile number.
type User struct {
	ID                string
	Phone             string
	Name              string
	Role              Role
	PasswordHash      string
	HomePickupPointID string
	SupplierID        string // for role supplier: the supplier it speaks for
	CreatedAt         time.Time
	// DisabledAt, when set, is when the account was disabled: it cannot
	// sign in and its sessions have ended.
	DisabledAt *time.Time
	// TOTPSecret is the base32 secret of the TOTP second factor, empty
	// until enrolled; TOTPStep is the last time step whose code was
	// accepted, so that each code is good once.
	TOTPSecret string
	TOTPStep   int64
}

// UserFilter selects users for FindUsers, which lists them by name.
type UserFilter struct {
	Role  Role   // when set, only users of this role
	Query string // when set, only users whose name or phone contains it
	// SupplierID, when set, keeps only the accounts of this supplier.
	SupplierID string
	Limit      int // when above zero, at most this many
}

// Session is a logged-in session; only the token's hash is stored. It
// ends at ExpiresAt (the absolute timeout) or once unused for IdleTimeout
// after LastSeenAt (0: no idle timeout).
type Session struct {
	TokenHash   string
	UserID      string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	IdleTimeout time.Duration
	LastSeenAt  time.Time
}

// SessionUser is a session with its user.
type SessionUser struct {
	User    User
	Session Session
}

// SessionTTL is how long a customer's, leader's or supplier's session
// lasts at most, unless configured otherwise.
const SessionTTL = 30 * 24 * time.Hour

// The other session timeouts' defaults: a customer's session ends after a
// week unused; an operator's or admin's after 30 minutes unused and 12
// hours at most.
const (
	SessionIdle      = 7 * 24 * time.Hour
	StaffSessionIdle = 30 * time.Minute
	StaffSessionTTL  = 12 * time.Hour
)

var phoneRE = regexp.MustCompile(`^1[3-9]\d{9}$`)

// CheckPhone validates a mainland China mobile number: 11 digits from 13x to 19x.
func CheckPhone(phone string) error {
	if phone == "" {
		return FieldError("phone", "is required")
	}
	if !phoneRE.MatchString(phone) {
		return FieldError("phone", "must be an 11-digit mainland mobile number such as 13800138000")
	}
	return nil
}

// CheckPersonName validates the name a person's account goes by and
// returns it trimmed: required, at most 50 characters.
func CheckPersonName(name string) (string, error) { return checkText("name", name, true, 50) }

// Password lengths, in characters: NIST SP 800-63B's floor of 8, and room
// for passphrases well past its 64.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 128
)

// CheckNewPassword validates a new password like CheckPassword, naming
// the field the error is about.
func CheckNewPassword(field, pw string) error {
	err := CheckPassword(pw)
	if e, ok := err.(*Error); ok {
		e.Field = field
	}
	return err
}

// breachedPasswords is the 11,611 passwords of 8 characters or more among
// the 30,000 most frequent in leaked password dumps, most frequent first,
// one a line, lower case: the "passwords" frequency list of zxcvbn 4.4.2
// (npm, MIT licence, Dropbox), itself taken from Xato's 10 million
// passwords corpus.
//
//go:embed breached_passwords.txt
var breachedPasswords string

// CheckPassword validates a new password: 8 to 128 characters and not
// among the commonly breached (compared in lower case).
func CheckPassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case pw == "":
		return FieldError("password", "is required")
	case n < MinPasswordLen:
		return FieldError("password", "must be at least %d characters", MinPasswordLen)
	case n > MaxPasswordLen:
		return FieldError("password", "must be at most %d characters", MaxPasswordLen)
	case isBreached(pw):
		return &Error{Code: CodePasswordTooWeak, Field: "password", Message: "is one of the most common passwords in leaked password lists; choose another"}
	}
	return nil
}

// CodePasswordTooWeak is the error of a new password found among the
// commonly breached.
const CodePasswordTooWeak = "password_too_weak"

func isBreached(pw string) bool {
	pw = strings.ToLower(pw)
	return strings.HasPrefix(breachedPasswords, pw+"\n") || strings.Contains(breachedPasswords, "\n"+pw+"\n")
}

// PasswordHasher hashes and verifies passwords (argon2id in production).
type PasswordHasher interface {
	Hash(password string) (string, error)
	Verify(hash, password string) (bool, error)
}
