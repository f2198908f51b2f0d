package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"tuango/internal/tuango"
)

const userColumns = `u.id, u.phone, u.name, u.role, u.password_hash, u.home_pickup_point_id, u.supplier_id, u.created_at, u.disabled_at, u.totp_secret, u.totp_step`

const userSelect = `SELECT ` + userColumns + ` FROM users u`

func scanUser(sc scanner, u *tuango.User) error { return scanUserAnd(sc, u) }

// scanUserAnd scans a user's columns, then more.
func scanUserAnd(sc scanner, u *tuango.User, more ...any) error {
	var home, sup, totp sql.NullString
	var created int64
	var disabled sql.NullInt64
	err := sc.Scan(append([]any{&u.ID, &u.Phone, &u.Name, &u.Role, &u.PasswordHash, &home, &sup, &created, &disabled, &totp, &u.TOTPStep}, more...)...)
	u.HomePickupPointID, u.SupplierID, u.CreatedAt, u.TOTPSecret = home.String, sup.String, fromMicros(created), totp.String
	u.DisabledAt = nil
	if disabled.Valid {
		t := fromMicros(disabled.Int64)
		u.DisabledAt = &t
	}
	return err
}

func nullableTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return micros(*t)
}

// CreateUser inserts a user; a taken phone number is a conflict.
func (s *Store) CreateUser(ctx context.Context, u *tuango.User) error {
	_, err := s.exec(ctx, `INSERT INTO users (id, phone, name, role, password_hash, home_pickup_point_id, supplier_id, created_at, disabled_at, totp_secret, totp_step)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Phone, u.Name, string(u.Role), u.PasswordHash, nullable(u.HomePickupPointID), nullable(u.SupplierID), micros(u.CreatedAt),
		nullableTime(u.DisabledAt), nullable(u.TOTPSecret), u.TOTPStep)
	return wrap(err, "create user %s", u.ID)
}

// UpdateUser changes a user's name, role, password, home pickup point,
// disabled time and second factor.
func (s *Store) UpdateUser(ctx context.Context, u *tuango.User) error {
	ok, err := s.execOne(ctx, `UPDATE users SET name = ?, role = ?, password_hash = ?, home_pickup_point_id = ?, supplier_id = ?, disabled_at = ?, totp_secret = ?, totp_step = ? WHERE id = ?`,
		u.Name, string(u.Role), u.PasswordHash, nullable(u.HomePickupPointID), nullable(u.SupplierID), nullableTime(u.DisabledAt), nullable(u.TOTPSecret), u.TOTPStep, u.ID)
	return wrap(mustChange(ok, err), "update user %s", u.ID)
}

// AdvanceTOTPStep records step as a user's last accepted TOTP step if it
// is later than the one recorded, and reports whether it was.
func (s *Store) AdvanceTOTPStep(ctx context.Context, userID string, step int64) (bool, error) {
	ok, err := s.execOne(ctx, `UPDATE users SET totp_step = ? WHERE id = ? AND totp_step < ?`, step, userID, step)
	return ok, wrap(err, "advance totp step of %s", userID)
}

// FindUserByID finds a user.
func (s *Store) FindUserByID(ctx context.Context, id string) (*tuango.User, error) {
	var u tuango.User
	if err := scanUser(s.queryRow(ctx, userSelect+` WHERE u.id = ?`, id), &u); err != nil {
		return nil, wrap(notFound(err), "find user %s", id)
	}
	return &u, nil
}

// FindUserByPhone finds a user by phone number.
func (s *Store) FindUserByPhone(ctx context.Context, phone string) (*tuango.User, error) {
	var u tuango.User
	if err := scanUser(s.queryRow(ctx, userSelect+` WHERE u.phone = ?`, phone), &u); err != nil {
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
		where, args = append(where, "u.role = ?"), append(args, string(f.Role))
	}
	if f.SupplierID != "" {
		where, args = append(where, "u.supplier_id = ?"), append(args, f.SupplierID)
	}
	if f.Query != "" {
		like := "%" + likeEscaper.Replace(strings.ToLower(f.Query)) + "%"
		where, args = append(where, `(lower(u.name) LIKE ? ESCAPE '\' OR u.phone LIKE ? ESCAPE '\')`), append(args, like, like)
	}
	q := userSelect + whereClause(where) + ` ORDER BY u.name, u.id`
	if f.Limit > 0 {
		q, args = q+` LIMIT ?`, append(args, f.Limit)
	}
	users, err := queryAll(s, ctx, scanUser, q, args...)
	return users, wrap(err, "find users")
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)

// CreateSession inserts a session.
func (s *Store) CreateSession(ctx context.Context, sess *tuango.Session) error {
	_, err := s.exec(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at, idle_us, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)`,
		sess.TokenHash, sess.UserID, micros(sess.CreatedAt), micros(sess.ExpiresAt), sess.IdleTimeout.Microseconds(), micros(sess.LastSeenAt))
	return wrap(err, "create session")
}

// liveSession is the condition of a session alive at now (two arguments).
const liveSession = `s.expires_at > ? AND (s.idle_us = 0 OR s.last_seen_at + s.idle_us > ?)`

const sessionColumns = `s.token_hash, s.user_id, s.created_at, s.expires_at, s.idle_us, s.last_seen_at`

func scanSession(sess *tuango.Session) []any {
	return []any{&sess.TokenHash, &sess.UserID, (*microTime)(&sess.CreatedAt), (*microTime)(&sess.ExpiresAt), (*microDuration)(&sess.IdleTimeout), (*microTime)(&sess.LastSeenAt)}
}

// FindSession finds a session alive at now: before its absolute expiry
// and, with an idle timeout, used within it.
func (s *Store) FindSession(ctx context.Context, tokenHash string, now time.Time) (*tuango.Session, error) {
	var sess tuango.Session
	err := s.queryRow(ctx, `SELECT `+sessionColumns+` FROM sessions s WHERE s.token_hash = ? AND `+liveSession,
		tokenHash, micros(now), micros(now)).Scan(scanSession(&sess)...)
	if err != nil {
		return nil, wrap(notFound(err), "find session")
	}
	return &sess, nil
}

// FindSessionUser finds a live session and its user, in one query.
func (s *Store) FindSessionUser(ctx context.Context, tokenHash string, now time.Time) (*tuango.User, *tuango.Session, error) {
	found, err := s.FindSessionUsers(ctx, []string{tokenHash}, now)
	if err != nil {
		return nil, nil, err
	}
	if len(found) == 0 {
		return nil, nil, wrap(tuango.ErrNotFound, "find session user")
	}
	return &found[0].User, &found[0].Session, nil
}

const sessionUserSelect = `SELECT ` + userColumns + `, ` + sessionColumns + ` FROM sessions s JOIN users u ON u.id = s.user_id`

// postgresFindSessionUsers probes the sessions' primary key once per
// hash, like the batch's lookups in postgres_reads.go, whatever the
// table's statistics say: the sessions of a sale's customers are often
// younger than the last analyze.
const postgresFindSessionUsers = `SELECT x.* FROM unnest($1::text[]) AS h(hash)
	CROSS JOIN LATERAL (` + sessionUserSelect + ` WHERE s.token_hash = h.hash
		AND s.expires_at > $2 AND (s.idle_us = 0 OR s.last_seen_at + s.idle_us > $2) LIMIT 1) x`

// FindSessionUsers finds the live sessions of many token hashes and their
// users: on SQLite up to 128 per statement, on PostgreSQL all in one.
// Each session found is listed once; hashes without one are left out.
func (s *Store) FindSessionUsers(ctx context.Context, tokenHashes []string, now time.Time) ([]tuango.SessionUser, error) {
	scan := func(sc scanner, f *tuango.SessionUser) error {
		return scanUserAnd(sc, &f.User, scanSession(&f.Session)...)
	}
	var found []tuango.SessionUser
	var err error
	if s.db.engine.name() == "postgres" {
		found, err = queryAll(s, ctx, scan, postgresFindSessionUsers, tokenHashes, micros(now))
	} else {
		err = inChunks(tokenHashes, func(marks string, args []any) error {
			part, err := queryAll(s, ctx, scan, sessionUserSelect+` WHERE s.token_hash IN (`+marks+`) AND `+liveSession,
				append(args, micros(now), micros(now))...)
			found = append(found, part...)
			return err
		})
	}
	if err != nil {
		return nil, wrap(err, "find the sessions of %d tokens", len(tokenHashes))
	}
	seen := make(map[string]bool, len(found))
	out := found[:0]
	for _, f := range found { // a hash asked twice is found twice on PostgreSQL
		if !seen[f.Session.TokenHash] {
			seen[f.Session.TokenHash] = true
			out = append(out, f)
		}
	}
	return out, nil
}

// TouchSession records that a session was used at at.
func (s *Store) TouchSession(ctx context.Context, tokenHash string, at time.Time) error {
	_, err := s.exec(ctx, `UPDATE sessions SET last_seen_at = ? WHERE token_hash = ? AND last_seen_at < ?`, micros(at), tokenHash, micros(at))
	return wrap(err, "touch session")
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := s.exec(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
	return wrap(err, "delete session")
}

// DeleteUserSessions ends every session of a user but the one whose hash
// is except (none when empty) and reports how many ended.
func (s *Store) DeleteUserSessions(ctx context.Context, userID, except string) (int, error) {
	res, err := s.exec(ctx, `DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?`, userID, except)
	if err != nil {
		return 0, wrap(err, "delete sessions of %s", userID)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// FindUserSessions lists a user's live sessions, newest first.
func (s *Store) FindUserSessions(ctx context.Context, userID string, now time.Time) ([]tuango.Session, error) {
	sessions, err := queryAll(s, ctx, func(sc scanner, sess *tuango.Session) error { return sc.Scan(scanSession(sess)...) },
		`SELECT `+sessionColumns+` FROM sessions s WHERE s.user_id = ? AND `+liveSession+` ORDER BY s.created_at DESC, s.token_hash`, userID, micros(now), micros(now))
	return sessions, wrap(err, "find sessions of %s", userID)
}

// microTime scans a time stored as microseconds.
type microTime time.Time

func (m *microTime) Scan(v any) error {
	var n sql.NullInt64
	if err := n.Scan(v); err != nil {
		return err
	}
	*m = microTime(fromMicros(n.Int64))
	return nil
}

// microDuration scans a duration stored as microseconds.
type microDuration time.Duration

func (m *microDuration) Scan(v any) error {
	var n sql.NullInt64
	if err := n.Scan(v); err != nil {
		return err
	}
	*m = microDuration(time.Duration(n.Int64) * time.Microsecond)
	return nil
}
