package tuango

import (
	"context"
	"unicode/utf8"
)

// ChangePassword changes the actor's password, given the current one,
// and ends every other session of the account; keep (the session token
// the change came with) goes on.
func (s *Service) ChangePassword(ctx context.Context, a Actor, keep, oldPassword, newPassword string) error {
	if err := CheckNewPassword("new_password", newPassword); err != nil {
		return err
	}
	u, err := s.store.FindUserByID(ctx, a.UserID)
	if err != nil {
		return err
	}
	ok := false
	if oldPassword != "" && utf8.RuneCountInString(oldPassword) <= MaxPasswordLen {
		if ok, err = s.hasher.Verify(u.PasswordHash, oldPassword); err != nil {
			return err
		}
	}
	if !ok {
		return &Error{Code: CodeInvalidCredentials, Field: "old_password", Message: "the current password is wrong"}
	}
	n, err := s.setPassword(ctx, u, newPassword, keep)
	if err != nil {
		return err
	}
	s.authEvent(ctx, AuthEvent{Kind: AuthPasswordChanged, UserID: u.ID, Phone: u.Phone, Detail: sessionsEnded(n)})
	return nil
}

// PasswordReset is what a person gives to set a new password by the
// one-time code (purpose "reset") sent to their phone.
type PasswordReset struct {
	Phone, Code, NewPassword string
	Source                   string
}

// ResetPassword sets a new password for the owner of a phone who has its
// reset code, and ends every session of the account. The code is checked
// first, so only the phone's owner learns whether it has an account.
func (s *Service) ResetPassword(ctx context.Context, in PasswordReset) error {
	if err := CheckPhone(in.Phone); err != nil {
		return err
	}
	if err := CheckNewPassword("new_password", in.NewPassword); err != nil {
		return err
	}
	if err := s.useCode(ctx, in.Phone, PurposeReset, in.Code, false); err != nil {
		return err
	}
	u, err := s.store.FindUserByPhone(ctx, in.Phone)
	if IsNotFound(err) {
		return FieldError("phone", "no account has this phone number; register instead")
	}
	if err != nil {
		return err
	}
	n, err := s.setPassword(ctx, u, in.NewPassword, "")
	if err != nil {
		return err
	}
	if err := s.store.DeleteAuthCode(ctx, in.Phone, PurposeReset); err != nil {
		return err
	}
	// The owner proved the phone is theirs: the failed guesses of others
	// no longer stand between them and their account.
	if err := s.store.ClearLoginFailures(ctx, in.Phone, LimitSource(in.Source)); err != nil {
		return err
	}
	s.authEvent(ctx, AuthEvent{Kind: AuthPasswordReset, UserID: u.ID, Phone: u.Phone, Source: in.Source, Detail: sessionsEnded(n)})
	return nil
}

// setPassword stores a new password hash for u and ends its sessions but
// keep's.
func (s *Service) setPassword(ctx context.Context, u *User, password, keep string) (int, error) {
	hash, err := s.hasher.Hash(password)
	if err != nil {
		return 0, err
	}
	if _, err := changeUser(ctx, s.store, u.ID, func(u *User) error { u.PasswordHash = hash; return nil }); err != nil {
		return 0, err
	}
	return s.endSessions(ctx, u.ID, keep)
}

// changeUser changes a user under its row lock (in st's transaction, or
// a new one), so that changes made at
// once on several nodes (a password, a role, disabling) do not undo each
// other, and returns the user as written.
func changeUser(ctx context.Context, st Store, id string, change func(*User) error) (*User, error) {
	var u *User
	err := st.InTx(ctx, func(tx Store) error {
		if err := tx.Lock(ctx, EntityUser, id); err != nil {
			return err
		}
		var err error
		if u, err = tx.FindUserByID(ctx, id); err != nil {
			return err
		}
		if err := change(u); err != nil {
			return err
		}
		return tx.UpdateUser(ctx, u)
	})
	return u, err
}

// DisableUser disables an account (admins only): it cannot sign in, and
// every session it has ends on every node within SessionCacheTTL.
func (s *Service) DisableUser(ctx context.Context, a Actor, userID string) (*User, error) {
	if a.Role != RoleAdmin {
		return nil, Errorf(CodeForbidden, "only an admin may disable an account")
	}
	u, err := changeUser(ctx, s.store, userID, func(u *User) error {
		if u.DisabledAt == nil {
			now := s.clock.Now()
			u.DisabledAt = &now
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	n, err := s.endSessions(ctx, u.ID, "")
	if err != nil {
		return nil, err
	}
	s.authEvent(ctx, AuthEvent{Kind: AuthAccountDisabled, UserID: u.ID, Phone: u.Phone, Detail: "by " + a.UserID + "; " + sessionsEnded(n)})
	return u, nil
}

// SetRole changes an account's role (admins only). Its sessions end, so
// that the new role starts with a new session (rotation on a role change).
func (s *Service) SetRole(ctx context.Context, a Actor, userID string, role Role) (*User, error) {
	if a.Role != RoleAdmin {
		return nil, Errorf(CodeForbidden, "only an admin may change a role")
	}
	if !role.Valid() {
		return nil, FieldError("role", "must be one of customer, leader, supplier, operator, admin")
	}
	var old Role
	u, err := changeUser(ctx, s.store, userID, func(u *User) error { old, u.Role = u.Role, role; return nil })
	if err != nil {
		return nil, err
	}
	n, err := s.endSessions(ctx, u.ID, "")
	if err != nil {
		return nil, err
	}
	s.authEvent(ctx, AuthEvent{Kind: AuthRoleChanged, UserID: u.ID, Phone: u.Phone, Detail: string(old) + " to " + string(role) + " by " + a.UserID + "; " + sessionsEnded(n)})
	return u, nil
}
