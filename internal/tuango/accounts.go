package tuango

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"unicode/utf8"
)

// NewAccount is what a person gives to register.
type NewAccount struct {
	Phone    string
	Password string
	Name     string
	Role     Role
	// SupplierID binds a supplier account to the supplier it speaks for.
	SupplierID string
}

func (a *NewAccount) validate() error {
	if err := CheckPhone(a.Phone); err != nil {
		return err
	}
	if err := CheckPassword(a.Password); err != nil {
		return err
	}
	var err error
	if a.Name, err = checkText("name", a.Name, true, 50); err != nil {
		return err
	}
	if !a.Role.Valid() {
		return FieldError("role", "must be one of customer, leader, supplier, operator, admin")
	}
	return nil
}

// Register creates a customer account and logs it in.
func (s *Service) Register(ctx context.Context, phone, password, name string) (*User, string, error) {
	u, err := s.CreateUser(ctx, NewAccount{Phone: phone, Password: password, Name: name, Role: RoleCustomer})
	if err != nil {
		return nil, "", err
	}
	token, err := s.newSession(ctx, u.ID)
	if err != nil {
		return nil, "", err
	}
	return u, token, nil
}

// CreateUser creates an account with any role; callers check who may.
func (s *Service) CreateUser(ctx context.Context, a NewAccount) (*User, error) {
	if err := a.validate(); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(a.Password)
	if err != nil {
		return nil, err
	}
	u := &User{ID: s.newID("usr"), Phone: a.Phone, Name: a.Name, Role: a.Role, PasswordHash: hash, CreatedAt: s.clock.Now(), SupplierID: a.SupplierID}
	if err := s.store.CreateUser(ctx, u); err != nil {
		if ErrorCode(err) == CodeConflict {
			return nil, &Error{Code: CodePhoneTaken, Field: "phone", Message: "an account with this phone number already exists"}
		}
		return nil, err
	}
	return u, nil
}

// Login checks a phone and password and starts a session, within the
// login limits: SourceFailures failed guesses per account from one source
// per SourceWindow (then 429 too_many_attempts, the right password
// included), and past AccountFailures per AccountWindow from everywhere a
// one-time code as well. Unknown phones are counted and answered the same.
func (s *Service) Login(ctx context.Context, in LoginRequest) (u *User, token string, err error) {
	defer s.auditLogin(ctx, in, &u, &token, &err)
	bad := Errorf(CodeInvalidCredentials, "the phone number or password is wrong")
	if CheckPhone(in.Phone) != nil || in.Password == "" || utf8.RuneCountInString(in.Password) > MaxPasswordLen {
		return nil, "", bad
	}
	now := s.clock.Now()
	needCode, err := s.beginLogin(ctx, in.Phone, in.Source, now)
	if err != nil {
		return nil, "", err
	}
	u, err = s.store.FindUserByPhone(ctx, in.Phone)
	if err != nil && !IsNotFound(err) {
		return nil, "", err
	}
	hash := dummyHash(s.hasher)
	if u != nil {
		hash = u.PasswordHash
	}
	// The same work whether or not the phone has an account, so that
	// timing does not tell which phone numbers do.
	ok, err := s.hasher.Verify(hash, in.Password)
	if err != nil && u != nil {
		return nil, "", err
	}
	if needCode {
		codeOK, err := s.checkCode(ctx, in.Phone, "login", in.Code, now)
		if err != nil {
			return nil, "", err
		}
		if !codeOK {
			return nil, "", &Error{Code: CodeCodeRequired, Field: "code", Message: "this account has had too many failed attempts: ask for a code by SMS and enter it with the password"}
		}
	}
	if u == nil || !ok {
		return nil, "", bad
	}
	if err := s.store.ClearLoginFailures(ctx, in.Phone, in.Source); err != nil {
		return nil, "", err
	}
	if needCode {
		if err := s.store.DeleteAuthCode(ctx, in.Phone, "login"); err != nil {
			return nil, "", err
		}
	}
	token, err = s.newSession(ctx, u.ID)
	if err != nil {
		return nil, "", err
	}
	return u, token, nil
}

func dummyHash(h PasswordHasher) string {
	if d, ok := h.(interface{ Dummy() string }); ok {
		return d.Dummy()
	}
	return ""
}

func (s *Service) newSession(ctx context.Context, userID string) (string, error) {
	var b [32]byte
	rand.Read(b[:])
	token := "tg_" + base64.RawURLEncoding.EncodeToString(b[:])
	now := s.clock.Now()
	err := s.store.CreateSession(ctx, &Session{TokenHash: hashToken(token), UserID: userID, CreatedAt: now, ExpiresAt: now.Add(SessionTTL)})
	if err != nil {
		return "", err
	}
	return token, nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Authenticate finds the user of a session token.
func (s *Service) Authenticate(ctx context.Context, token string) (*User, error) {
	unauth := Errorf(CodeUnauthorized, "log in first: the session token is missing, wrong or expired")
	if token == "" || len(token) > 100 {
		return nil, unauth
	}
	hash, now := hashToken(token), s.clock.Now()
	if u, ok := s.sessions.get(hash, now); ok {
		return u, nil
	}
	u, err := s.store.FindSessionUser(ctx, hash, now)
	if IsNotFound(err) {
		return nil, unauth
	}
	if err != nil {
		return nil, err
	}
	s.sessions.put(hash, u, now)
	return u, nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, token string) (err error) {
	defer s.auditLogout(ctx, s.tokenUser(ctx, token), &err)
	s.sessions.forgetToken(hashToken(token))
	return s.store.DeleteSession(ctx, hashToken(token))
}

// SetHomePickupPoint sets where a customer collects orders by default.
func (s *Service) SetHomePickupPoint(ctx context.Context, a Actor, pickupPointID string) (*User, error) {
	if err := checkID("pickup_point_id", pickupPointID); err != nil {
		return nil, err
	}
	var u *User
	err := s.store.InTx(ctx, func(tx Store) error {
		pp, err := tx.FindPickupPointByID(ctx, pickupPointID)
		if IsNotFound(err) || (err == nil && !pp.Active) {
			return FieldError("pickup_point_id", "no open pickup point has this id")
		}
		if err != nil {
			return err
		}
		if u, err = tx.FindUserByID(ctx, a.UserID); err != nil {
			return err
		}
		u.HomePickupPointID = pp.ID
		return tx.UpdateUser(ctx, u)
	})
	s.sessions.forgetUser(a.UserID)
	return u, err
}
