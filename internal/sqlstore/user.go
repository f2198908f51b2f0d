package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"tuango/internal/tuango"
)

const userSelect = `SELECT id, phone, name, role, password_hash, home_pickup_point_id, supplier_id, created_at FROM users`

func scanUser(sc scanner, u *tuango.User) error {
	var home, sup sql.NullString
	var created int64
	err := sc.Scan(&u.ID, &u.Phone, &u.Name, &u.Role, &u.PasswordHash, &home, &sup, &created)
	u.HomePickupPointID, u.SupplierID, u.CreatedAt = home.String, sup.String, fromMicros(created)
	return err
}

// CreateUser inserts a user; a taken phone number is a conflict.
func (s *Store) CreateUser(ctx context.Context, u *tuango.User) error {
	_, err := s.exec(ctx, `INSERT INTO users (id, phone, name, role, password_hash, home_pickup_point_id, supplier_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Phone, u.Name, string(u.Role), u.PasswordHash, nullable(u.HomePickupPointID), nullable(u.SupplierID), micros(u.CreatedAt))
	return wrap(err, "create user %s", u.ID)
}

// UpdateUser changes a user's name, role, password and home pickup point.
func (s *Store) UpdateUser(ctx context.Context, u *tuango.User) error {
	ok, err := s.execOne(ctx, `UPDATE users SET name = ?, role = ?, password_hash = ?, home_pickup_point_id = ?, supplier_id = ? WHERE id = ?`,
		u.Name, string(u.Role), u.PasswordHash, nullable(u.HomePickupPointID), nullable(u.SupplierID), u.ID)
	return wrap(mustChange(ok, err), "update user %s", u.ID)
}

// FindUserByID finds a user.
func (s *Store) FindUserByID(ctx context.Context, id string) (*tuango.User, error) {
	var u tuango.User
	if err := scanUser(s.queryRow(ctx, userSelect+` WHERE id = ?`, id), &u); err != nil {
		return nil, wrap(notFound(err), "find user %s", id)
	}
	return &u, nil
}

// FindUserByPhone finds a user by phone number.
func (s *Store) FindUserByPhone(ctx context.Context, phone string) (*tuango.User, error) {
	var u tuango.User
	if err := scanUser(s.queryRow(ctx, userSelect+` WHERE phone = ?`, phone), &u); err != nil {
		return nil, wrap(notFound(err), "find user by phone")
	}
	return &u, nil
}

// FindUsers lists users by name, then id. The query is matched as typed:
// % and _ in it are escaped, and letters match either case on both engines.
func (s *Store) FindUsers(ctx context.Context, f tuango.UserFilter) ([]tuango.User, error) {
	var where []string
	var args []any
	if f.Role != "" {
		where, args = append(where, "role = ?"), append(args, string(f.Role))
	}
	if f.Query != "" {
		like := "%" + likeEscaper.Replace(strings.ToLower(f.Query)) + "%"
		where, args = append(where, `(lower(name) LIKE ? ESCAPE '\' OR phone LIKE ? ESCAPE '\')`), append(args, like, like)
	}
	q := userSelect + whereClause(where) + ` ORDER BY name, id`
	if f.Limit > 0 {
		q, args = q+` LIMIT ?`, append(args, f.Limit)
	}
	users, err := queryAll(s, ctx, scanUser, q, args...)
	return users, wrap(err, "find users")
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)

// CreateSession inserts a session.
func (s *Store) CreateSession(ctx context.Context, sess *tuango.Session) error {
	_, err := s.exec(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		sess.TokenHash, sess.UserID, micros(sess.CreatedAt), micros(sess.ExpiresAt))
	return wrap(err, "create session")
}

// FindSession finds a session that has not expired at now.
func (s *Store) FindSession(ctx context.Context, tokenHash string, now time.Time) (*tuango.Session, error) {
	var sess tuango.Session
	var created, expires int64
	err := s.queryRow(ctx, `SELECT token_hash, user_id, created_at, expires_at FROM sessions WHERE token_hash = ? AND expires_at > ?`,
		tokenHash, micros(now)).Scan(&sess.TokenHash, &sess.UserID, &created, &expires)
	if err != nil {
		return nil, wrap(notFound(err), "find session")
	}
	sess.CreatedAt, sess.ExpiresAt = fromMicros(created), fromMicros(expires)
	return &sess, nil
}

// FindSessionUser finds the user of a live session.
func (s *Store) FindSessionUser(ctx context.Context, tokenHash string, now time.Time) (*tuango.User, error) {
	var u tuango.User
	err := scanUser(s.queryRow(ctx, `SELECT u.id, u.phone, u.name, u.role, u.password_hash, u.home_pickup_point_id, u.supplier_id, u.created_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?`, tokenHash, micros(now)), &u)
	if err != nil {
		return nil, wrap(notFound(err), "find session user")
	}
	return &u, nil
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := s.exec(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
	return wrap(err, "delete session")
}
