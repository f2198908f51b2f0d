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
	if a.Name, err = CheckPersonName(a.Name); err != nil {
		return err
	}
	if !a.Role.Valid() {
		return FieldError("role", "must be one of customer, leader, supplier, operator, admin")
	}
	return nil
}

// Registration is what a person gives to register as a customer: the
// one-time code sent to the phone (purpose "register") proves it is theirs.
type Registration struct {
	Phone, Password, Name, Code string
	Source                      string // the client's address
}

// CodeCodeInvalid is the error of a one-time code that is wrong, expired,
// used up or was never sent.
const CodeCodeInvalid = "code_invalid"

// Register creates a customer account and logs it in. The code is checked
// before anything else is said about the phone: only its owner learns
// that it already has an account.
func (s *Service) Register(ctx context.Context, in Registration) (*User, string, error) {
	a := NewAccount{Phone: in.Phone, Password: in.Password, Name: in.Name, Role: RoleCustomer}
	if err := a.validate(); err != nil {
		return nil, "", err
	}
	if err := s.useCode(ctx, in.Phone, PurposeRegister, in.Code, false); err != nil {
		return nil, "", err
	}
	u, err := s.CreateUser(ctx, a)
	if err != nil {
		return nil, "", err
	}
	if err := s.store.DeleteAuthCode(ctx, in.Phone, PurposeRegister); err != nil {
		return nil, "", err
	}
	token, err := s.newSession(ctx, u)
	if err != nil {
		return nil, "", err
	}
	s.authEvent(ctx, AuthEvent{Kind: AuthRegistered, UserID: u.ID, Phone: u.Phone, Source: in.Source})
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

// CodeTOTPRequired is the error of a staff login whose password was right
// but that still needs its authenticator code (or a recovery code).
const CodeTOTPRequired = "totp_required"

// Login checks a phone and password and starts a session, within the
// login limits: SourceFailures failed guesses per account from one source
// per SourceWindow (then 429 too_many_attempts, the right password
// included), and past AccountFailures per AccountWindow from everywhere a
// one-time code as well. Unknown phones are counted and answered the same.
//
// An operator or admin enrolled in TOTP also gives in.TOTP (a code from
// the authenticator, or a recovery code). Without it, a right password
// gets CodeTOTPRequired and, as the second value, a login ticket: the
// second step may give the ticket (in.Ticket) instead of the password,
// within CodeTTL, until a login with it succeeds.
func (s *Service) Login(ctx context.Context, in LoginRequest) (u *User, token string, err error) {
	defer s.auditLogin(ctx, in, &u, &token, &err)
	bad := Errorf(CodeInvalidCredentials, "the phone number or password is wrong")
	if CheckPhone(in.Phone) != nil || (in.Password == "" && in.Ticket == "") || utf8.RuneCountInString(in.Password) > MaxPasswordLen {
		return nil, "", bad
	}
	now := s.clock.Now()
	needCode, guess, err := s.beginLogin(ctx, in.Phone, in.Source, now)
	if err != nil {
		return nil, "", err
	}
	fail := func(why string) (*User, string, error) {
		s.authEvent(ctx, AuthEvent{Kind: AuthLoginFailed, Phone: in.Phone, Source: in.Source, At: now, Detail: why})
		return nil, "", bad
	}
	u, err = s.store.FindUserByPhone(ctx, in.Phone)
	if err != nil && !IsNotFound(err) {
		return nil, "", err
	}
	var ok bool
	if in.Ticket != "" {
		ok = u != nil && s.useCode(ctx, in.Phone, purposeTicket, in.Ticket, false) == nil
	} else {
		hash := dummyHash(s.hasher)
		if u != nil {
			hash = u.PasswordHash
		}
		// The same work whether or not the phone has an account, so that
		// timing does not tell which phone numbers do.
		ok, err = s.hasher.Verify(hash, in.Password)
		if err != nil && u != nil {
			return nil, "", err
		}
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
		return fail("wrong password")
	}
	if u.DisabledAt != nil {
		return fail("account disabled")
	}
	if u.Role.IsStaff() && u.TOTPSecret != "" {
		if in.TOTP == "" {
			// The password was right: this guess is forgotten, and each
			// try at the second factor counts once, as when the code
			// comes with the password (docs/security.md). Only this
			// guess: the failures before it stay, so asking for tickets
			// again never frees more tries at the code.
			if err := s.store.DeleteLoginFailure(ctx, guess); err != nil {
				return nil, "", err
			}
			ticket, err := s.newTicket(ctx, in.Phone, now)
			if err != nil {
				return nil, "", err
			}
			return nil, ticket, &Error{Code: CodeTOTPRequired, Field: "totp", Message: "enter the 6-digit code from your authenticator app, or a recovery code"}
		}
		if err := s.checkSecondFactor(ctx, u, in.TOTP, in.Source, now); err != nil {
			s.authEvent(ctx, AuthEvent{Kind: AuthLoginFailed, UserID: u.ID, Phone: in.Phone, Source: in.Source, At: now, Detail: "wrong second factor"})
			return nil, "", err
		}
	}
	if err := s.store.ClearLoginFailures(ctx, in.Phone, LimitSource(in.Source)); err != nil {
		return nil, "", err
	}
	if needCode {
		if err := s.store.DeleteAuthCode(ctx, in.Phone, "login"); err != nil {
			return nil, "", err
		}
	}
	if in.Ticket != "" { // used up
		if err := s.store.DeleteAuthCode(ctx, in.Phone, purposeTicket); err != nil {
			return nil, "", err
		}
	}
	token, err = s.newSession(ctx, u)
	if err != nil {
		return nil, "", err
	}
	s.authEvent(ctx, AuthEvent{Kind: AuthLoginOK, UserID: u.ID, Phone: u.Phone, Source: in.Source, At: now})
	return u, token, nil
}

func dummyHash(h PasswordHasher) string {
	if d, ok := h.(interface{ Dummy() string }); ok {
		return d.Dummy()
	}
	return ""
}

// randomToken returns prefix and 16 random bytes (128 bits) in base64url.
func randomToken(prefix string) string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// newSession starts a session for u with its role's timeouts. Every login
// starts a new one: a token is never carried over from before (rotation).
func (s *Service) newSession(ctx context.Context, u *User) (string, error) {
	token := randomToken("tg_")
	now, p := s.clock.Now(), s.policy(u.Role)
	err := s.store.CreateSession(ctx, &Session{TokenHash: hashToken(token), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(p.Max), IdleTimeout: p.Idle, LastSeenAt: now})
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
	unauth := func() error {
		return Errorf(CodeUnauthorized, "log in first: the session token is missing, wrong or expired")
	}
	if token == "" || len(token) > 100 {
		return nil, unauth()
	}
	hash, now := hashToken(token), s.clock.Now()
	if u, ok := s.sessions.get(hash, now); ok {
		return u, nil
	}
	gen := s.sessions.generation()
	found, err := s.logins.find(ctx, hash)
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, unauth()
	}
	u, sess := found.User, found.Session // copies: two requests of one token may share a read
	if u.DisabledAt != nil {
		return nil, unauth()
	}
	if sess.IdleTimeout > 0 && now.Sub(sess.LastSeenAt) >= min(sessionTouchEvery, sess.IdleTimeout/2) {
		if err := s.store.TouchSession(ctx, hash, now); err != nil {
			return nil, err
		}
	}
	s.sessions.put(hash, &u, now, gen)
	return &u, nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, token string) (err error) {
	defer s.auditLogout(ctx, s.tokenUser(ctx, token), &err)
	s.sessions.forgetToken(hashToken(token))
	u, _, err := s.store.FindSessionUser(ctx, hashToken(token), s.clock.Now())
	if err := s.store.DeleteSession(ctx, hashToken(token)); err != nil {
		return err
	}
	s.sessions.forgetToken(hashToken(token)) // again: a lookup may have raced the delete
	if err == nil {
		s.authEvent(ctx, AuthEvent{Kind: AuthLogout, UserID: u.ID, Phone: u.Phone})
	}
	return nil
}

// LogoutEverywhere ends every session of the actor's account, this one
// included, and reports how many ended.
func (s *Service) LogoutEverywhere(ctx context.Context, a Actor) (int, error) {
	n, err := s.endSessions(ctx, a.UserID, "")
	if err != nil {
		return 0, err
	}
	s.authEvent(ctx, AuthEvent{Kind: AuthLogoutAll, UserID: a.UserID, Detail: sessionsEnded(n)})
	return n, nil
}

// endSessions ends every session of a user but keep's (a token, or none)
// on every node: here at once, elsewhere within SessionCacheTTL.
func (s *Service) endSessions(ctx context.Context, userID, keep string) (int, error) {
	except := ""
	if keep != "" {
		except = hashToken(keep)
	}
	s.sessions.forgetUser(userID)
	n, err := s.store.DeleteUserSessions(ctx, userID, except)
	s.sessions.forgetUser(userID) // again: a lookup may have raced the delete
	return n, err
}

func sessionsEnded(n int) string {
	if n == 1 {
		return "1 session ended"
	}
	return itoa(n) + " sessions ended"
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
