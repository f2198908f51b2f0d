package sqlstore

import (
	"context"
	"time"

	"tuango/internal/tuango"
)

// LockLoginAccount upserts phone's guard row: on PostgreSQL the row lock
// is held to the end of the transaction; on SQLite the one writer already
// serialises.
func (s *Store) LockLoginAccount(ctx context.Context, phone string, now time.Time) error {
	_, err := s.exec(ctx, `INSERT INTO login_guards (phone, touched_at) VALUES (?, ?)
		ON CONFLICT (phone) DO UPDATE SET touched_at = excluded.touched_at`, phone, micros(now))
	return wrap(err, "lock login account")
}

// CountLoginFailures counts phone's failures from source and from all.
func (s *Store) CountLoginFailures(ctx context.Context, phone, source string, sourceSince, allSince time.Time) (tuango.LoginFailures, error) {
	var n tuango.LoginFailures
	var oldest int64
	err := s.queryRow(ctx, `SELECT
		COALESCE(SUM(CASE WHEN source = ? AND at >= ? THEN 1 ELSE 0 END), 0),
		COALESCE(MIN(CASE WHEN source = ? AND at >= ? THEN at END), 0),
		COUNT(*)
		FROM login_failures WHERE phone = ? AND at >= ?`,
		source, micros(sourceSince), source, micros(sourceSince), phone, micros(allSince)).Scan(&n.FromSource, &oldest, &n.All)
	if err != nil {
		return n, wrap(err, "count login failures of %s", phone)
	}
	if oldest != 0 {
		n.OldestFromSource = fromMicros(oldest)
	}
	return n, nil
}

// AddLoginFailure records one failed guess.
func (s *Store) AddLoginFailure(ctx context.Context, f *tuango.LoginFailure) error {
	_, err := s.exec(ctx, `INSERT INTO login_failures (id, phone, source, at) VALUES (?, ?, ?, ?)`, f.ID, f.Phone, f.Source, micros(f.At))
	return wrap(err, "add login failure")
}

// DeleteLoginFailure forgets one failure.
func (s *Store) DeleteLoginFailure(ctx context.Context, id string) error {
	_, err := s.exec(ctx, `DELETE FROM login_failures WHERE id = ?`, id)
	return wrap(err, "delete login failure %s", id)
}

// ClearLoginFailures forgets phone's failures from source.
func (s *Store) ClearLoginFailures(ctx context.Context, phone, source string) error {
	_, err := s.exec(ctx, `DELETE FROM login_failures WHERE phone = ? AND source = ?`, phone, source)
	return wrap(err, "clear login failures")
}

// PurgeLoginFailures deletes failures and guard rows older than before.
func (s *Store) PurgeLoginFailures(ctx context.Context, before time.Time) (int, error) {
	n := 0
	err := s.InTx(ctx, func(tx tuango.Store) error {
		t := tx.(*Store)
		res, err := t.exec(ctx, `DELETE FROM login_failures WHERE at < ?`, micros(before))
		if err != nil {
			return err
		}
		k, _ := res.RowsAffected()
		n = int(k)
		if _, err := t.exec(ctx, `DELETE FROM login_guards WHERE touched_at < ?`, micros(before)); err != nil {
			return err
		}
		if _, err := t.exec(ctx, `DELETE FROM auth_code_requests WHERE at < ?`, micros(before)); err != nil {
			return err
		}
		_, err = t.exec(ctx, `DELETE FROM auth_codes WHERE expires_at < ?`, micros(before))
		return err
	})
	return n, wrap(err, "purge login failures")
}

// SaveAuthCode stores c, replacing the phone's code for its purpose.
func (s *Store) SaveAuthCode(ctx context.Context, c *tuango.AuthCode) error {
	_, err := s.exec(ctx, `INSERT INTO auth_codes (phone, purpose, code_hash, created_at, expires_at, attempts) VALUES (?, ?, ?, ?, ?, 0)
		ON CONFLICT (phone, purpose) DO UPDATE SET code_hash = excluded.code_hash, created_at = excluded.created_at, expires_at = excluded.expires_at, attempts = 0`,
		c.Phone, c.Purpose, c.CodeHash, micros(c.CreatedAt), micros(c.ExpiresAt))
	return wrap(err, "save auth code")
}

// FindAuthCode finds phone's code for purpose.
func (s *Store) FindAuthCode(ctx context.Context, phone, purpose string) (*tuango.AuthCode, error) {
	c := tuango.AuthCode{Phone: phone, Purpose: purpose}
	var created, expires int64
	err := s.queryRow(ctx, `SELECT code_hash, created_at, expires_at, attempts FROM auth_codes WHERE phone = ? AND purpose = ?`, phone, purpose).Scan(&c.CodeHash, &created, &expires, &c.Attempts)
	if err != nil {
		return nil, wrap(notFound(err), "find auth code")
	}
	c.CreatedAt, c.ExpiresAt = fromMicros(created), fromMicros(expires)
	return &c, nil
}

// DeleteAuthCode deletes phone's code for purpose.
func (s *Store) DeleteAuthCode(ctx context.Context, phone, purpose string) error {
	_, err := s.exec(ctx, `DELETE FROM auth_codes WHERE phone = ? AND purpose = ?`, phone, purpose)
	return wrap(err, "delete auth code")
}

// AddAuthCodeFailure counts one wrong guess at phone's code for purpose.
func (s *Store) AddAuthCodeFailure(ctx context.Context, phone, purpose string) error {
	_, err := s.exec(ctx, `UPDATE auth_codes SET attempts = attempts + 1 WHERE phone = ? AND purpose = ?`, phone, purpose)
	return wrap(err, "count a wrong code")
}

// AddAuthCodeRequest records that a code was sent.
func (s *Store) AddAuthCodeRequest(ctx context.Context, r *tuango.AuthCodeRequest) error {
	_, err := s.exec(ctx, `INSERT INTO auth_code_requests (id, phone, source, at) VALUES (?, ?, ?, ?)`, r.ID, r.Phone, r.Source, micros(r.At))
	return wrap(err, "add auth code request")
}

// CountAuthCodeRequests counts the codes sent since since to phone and
// asked for from source, each up to atMost.
func (s *Store) CountAuthCodeRequests(ctx context.Context, phone, source string, since time.Time, atMost int) (byPhone, bySource int, err error) {
	err = s.queryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM (SELECT 1 FROM auth_code_requests WHERE phone = ? AND at >= ? LIMIT ?) p),
		(SELECT COUNT(*) FROM (SELECT 1 FROM auth_code_requests WHERE source = ? AND at >= ? LIMIT ?) a)`,
		phone, micros(since), atMost, source, micros(since), atMost).Scan(&byPhone, &bySource)
	return byPhone, bySource, wrap(err, "count auth code requests")
}

// SaveRecoveryCodes replaces a user's recovery codes with these hashes.
func (s *Store) SaveRecoveryCodes(ctx context.Context, userID string, hashes []string) error {
	return wrap(s.InTx(ctx, func(tx tuango.Store) error {
		t := tx.(*Store)
		if _, err := t.exec(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
			return err
		}
		for _, h := range hashes {
			if _, err := t.exec(ctx, `INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)`, userID, h); err != nil {
				return err
			}
		}
		return nil
	}), "save recovery codes of %s", userID)
}

// UseRecoveryCode marks a user's unused recovery code as used at at and
// reports whether there was one with this hash.
func (s *Store) UseRecoveryCode(ctx context.Context, userID, hash string, at time.Time) (bool, error) {
	ok, err := s.execOne(ctx, `UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`, micros(at), userID, hash)
	return ok, wrap(err, "use recovery code of %s", userID)
}

// CountRecoveryCodes counts a user's unused recovery codes.
func (s *Store) CountRecoveryCodes(ctx context.Context, userID string) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL`, userID).Scan(&n)
	return n, wrap(err, "count recovery codes of %s", userID)
}
