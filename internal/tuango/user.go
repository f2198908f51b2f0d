package tuango

import (
	"regexp"
	"time"
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
}

// UserFilter selects users for FindUsers, which lists them by name.
type UserFilter struct {
	Role  Role   // when set, only users of this role
	Query string // when set, only users whose name or phone contains it
	Limit int    // when above zero, at most this many
}

// Session is a logged-in session; only the token's hash is stored.
type Session struct {
	TokenHash string
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// SessionTTL is how long a session lasts.
const SessionTTL = 30 * 24 * time.Hour

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

// CheckPassword validates a new password.
func CheckPassword(pw string) error {
	switch {
	case pw == "":
		return FieldError("password", "is required")
	case len(pw) < 8:
		return FieldError("password", "must be at least 8 characters")
	case len(pw) > 128:
		return FieldError("password", "must be at most 128 bytes")
	}
	return nil
}

// PasswordHasher hashes and verifies passwords (argon2id in production).
type PasswordHasher interface {
	Hash(password string) (string, error)
	Verify(hash, password string) (bool, error)
}
