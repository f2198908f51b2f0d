package storetest

import (
	"testing"
	"time"

	"tuango/internal/tuango"
)

// testAuth covers sessions' idle timeouts and revocation, the accounts'
// second factor and disabling, and the one-time codes' limits.
func testAuth(t *testing.T, s tuango.Store) {
	ctx := t.Context()

	t.Run("a session with an idle timeout ends unused and lives on when touched", func(t *testing.T) {
		u := createUser(t, s, tuango.RoleCustomer)
		sess := &tuango.Session{TokenHash: newID("tok"), UserID: u.ID, CreatedAt: t0(), ExpiresAt: t0().Add(24 * time.Hour), IdleTimeout: time.Hour, LastSeenAt: t0()}
		must(t, s.CreateSession(ctx, sess), "CreateSession")
		if _, err := s.FindSession(ctx, sess.TokenHash, t0().Add(59*time.Minute)); err != nil {
			t.Errorf("FindSession 59 min after the last use = %v, want it", err)
		}
		_, err := s.FindSession(ctx, sess.TokenHash, t0().Add(time.Hour))
		wantNotFound(t, err, "FindSession an hour unused")
		_, _, err = s.FindSessionUser(ctx, sess.TokenHash, t0().Add(time.Hour))
		wantNotFound(t, err, "FindSessionUser an hour unused")

		must(t, s.TouchSession(ctx, sess.TokenHash, t0().Add(50*time.Minute)), "TouchSession")
		must(t, s.TouchSession(ctx, sess.TokenHash, t0().Add(10*time.Minute)), "TouchSession earlier") // never goes back
		got, err := s.FindSession(ctx, sess.TokenHash, t0().Add(109*time.Minute))
		if err != nil {
			t.Fatalf("FindSession 59 min after the touch = %v, want it", err)
		}
		want := *sess
		want.LastSeenAt = t0().Add(50 * time.Minute)
		wantEqual(t, *got, want, "FindSession after the touch")
		_, err = s.FindSession(ctx, sess.TokenHash, t0().Add(24*time.Hour))
		wantNotFound(t, err, "FindSession at the absolute expiry")
	})

	t.Run("DeleteUserSessions ends all of a user's sessions but the one kept", func(t *testing.T) {
		u, other := createUser(t, s, tuango.RoleCustomer), createUser(t, s, tuango.RoleCustomer)
		mk := func(uid string, at time.Time) *tuango.Session {
			sess := &tuango.Session{TokenHash: newID("tok"), UserID: uid, CreatedAt: at, ExpiresAt: t0().Add(time.Hour), LastSeenAt: at}
			must(t, s.CreateSession(ctx, sess), "CreateSession")
			return sess
		}
		a, b, keep := mk(u.ID, t0()), mk(u.ID, t0().Add(time.Second)), mk(u.ID, t0().Add(2*time.Second))
		theirs := mk(other.ID, t0())
		got, err := s.FindUserSessions(ctx, u.ID, t0())
		must(t, err, "FindUserSessions")
		wantEqual(t, got, []tuango.Session{*keep, *b, *a}, "FindUserSessions, newest first")
		n, err := s.DeleteUserSessions(ctx, u.ID, keep.TokenHash)
		must(t, err, "DeleteUserSessions")
		if n != 2 {
			t.Errorf("DeleteUserSessions = %d, want 2", n)
		}
		got, err = s.FindUserSessions(ctx, u.ID, t0())
		must(t, err, "FindUserSessions after")
		wantEqual(t, got, []tuango.Session{*keep}, "FindUserSessions after DeleteUserSessions")
		n, err = s.DeleteUserSessions(ctx, u.ID, "")
		must(t, err, "DeleteUserSessions, none kept")
		if n != 1 {
			t.Errorf("DeleteUserSessions with none kept = %d, want 1", n)
		}
		if _, err := s.FindSession(ctx, theirs.TokenHash, t0()); err != nil {
			t.Errorf("another user's session after DeleteUserSessions = %v, want it", err)
		}
	})

	t.Run("a user's second factor and disabled time are kept", func(t *testing.T) {
		u := createUser(t, s, tuango.RoleOperator)
		at := t0().Add(time.Minute)
		u.TOTPSecret, u.TOTPStep, u.DisabledAt = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", 59_000_123, &at
		must(t, s.UpdateUser(ctx, u), "UpdateUser")
		got, err := s.FindUserByPhone(ctx, u.Phone)
		must(t, err, "FindUserByPhone")
		wantEqual(t, got, u, "FindUserByPhone")
		u.DisabledAt = nil
		must(t, s.UpdateUser(ctx, u), "UpdateUser enable")
		got, err = s.FindUserByID(ctx, u.ID)
		must(t, err, "FindUserByID")
		wantEqual(t, got, u, "FindUserByID after enabling")

		for _, tc := range []struct {
			step int64
			want bool
		}{{59_000_123, false}, {59_000_122, false}, {59_000_124, true}, {59_000_124, false}} {
			ok, err := s.AdvanceTOTPStep(ctx, u.ID, tc.step)
			must(t, err, "AdvanceTOTPStep(%d)", tc.step)
			if ok != tc.want {
				t.Errorf("AdvanceTOTPStep(%d) = %v, want %v", tc.step, ok, tc.want)
			}
		}
		if got, _ := s.FindUserByID(ctx, u.ID); got.TOTPStep != 59_000_124 {
			t.Errorf("TOTPStep = %d, want 59000124", got.TOTPStep)
		}
	})

	t.Run("recovery codes are used once each and replaced whole", func(t *testing.T) {
		u := createUser(t, s, tuango.RoleAdmin)
		must(t, s.SaveRecoveryCodes(ctx, u.ID, []string{"h1", "h2", "h3"}), "SaveRecoveryCodes")
		ok, err := s.UseRecoveryCode(ctx, u.ID, "h2", t0())
		must(t, err, "UseRecoveryCode")
		again, err := s.UseRecoveryCode(ctx, u.ID, "h2", t0())
		must(t, err, "UseRecoveryCode again")
		unknown, err := s.UseRecoveryCode(ctx, u.ID, "h9", t0())
		must(t, err, "UseRecoveryCode unknown")
		other, err := s.UseRecoveryCode(ctx, createUser(t, s, tuango.RoleAdmin).ID, "h1", t0())
		must(t, err, "UseRecoveryCode of another user")
		if !ok || again || unknown || other {
			t.Errorf("UseRecoveryCode: first %v, again %v, unknown %v, another user's %v; want true, false, false, false", ok, again, unknown, other)
		}
		n, err := s.CountRecoveryCodes(ctx, u.ID)
		must(t, err, "CountRecoveryCodes")
		if n != 2 {
			t.Errorf("CountRecoveryCodes = %d, want 2", n)
		}
		must(t, s.SaveRecoveryCodes(ctx, u.ID, []string{"h4"}), "SaveRecoveryCodes again")
		if n, _ := s.CountRecoveryCodes(ctx, u.ID); n != 1 {
			t.Errorf("CountRecoveryCodes after replacing = %d, want 1", n)
		}
	})

	t.Run("wrong guesses at a code are counted and a new code starts again", func(t *testing.T) {
		phone := newPhone(t)
		c := &tuango.AuthCode{Phone: phone, Purpose: tuango.PurposeRegister, CodeHash: "x", CreatedAt: t0(), ExpiresAt: t0().Add(10 * time.Minute)}
		must(t, s.SaveAuthCode(ctx, c), "SaveAuthCode")
		for range 3 {
			must(t, s.AddAuthCodeFailure(ctx, phone, tuango.PurposeRegister), "AddAuthCodeFailure")
		}
		must(t, s.AddAuthCodeFailure(ctx, phone, tuango.PurposeReset), "AddAuthCodeFailure of a code never sent")
		got, err := s.FindAuthCode(ctx, phone, tuango.PurposeRegister)
		must(t, err, "FindAuthCode")
		want := *c
		want.Attempts = 3
		wantEqual(t, *got, want, "FindAuthCode after 3 wrong guesses")
		must(t, s.SaveAuthCode(ctx, c), "SaveAuthCode again")
		got, err = s.FindAuthCode(ctx, phone, tuango.PurposeRegister)
		must(t, err, "FindAuthCode")
		wantEqual(t, *got, *c, "FindAuthCode of a new code")
	})

	t.Run("codes sent are counted per phone and per address within the window", func(t *testing.T) {
		phone, other := newPhone(t), newPhone(t)
		src := "198.51.100." + newID("")[len(newID(""))-2:]
		for _, r := range []tuango.AuthCodeRequest{
			{Phone: phone, Source: src, At: t0().Add(-2 * time.Hour)}, // outside
			{Phone: phone, Source: src, At: t0().Add(-30 * time.Minute)},
			{Phone: phone, Source: "203.0.113.1", At: t0().Add(-time.Minute)},
			{Phone: other, Source: src, At: t0()},
		} {
			r.ID = newID("acr")
			must(t, s.AddAuthCodeRequest(ctx, &r), "AddAuthCodeRequest")
		}
		byPhone, bySource, err := s.CountAuthCodeRequests(ctx, phone, src, t0().Add(-time.Hour), 100)
		must(t, err, "CountAuthCodeRequests")
		if byPhone != 2 || bySource != 2 {
			t.Errorf("CountAuthCodeRequests = %d by phone, %d by address; want 2 and 2", byPhone, bySource)
		}
		byPhone, bySource, err = s.CountAuthCodeRequests(ctx, phone, src, t0().Add(-time.Hour), 1)
		must(t, err, "CountAuthCodeRequests(at most 1)")
		if byPhone != 1 || bySource != 1 {
			t.Errorf("CountAuthCodeRequests(at most 1) = %d by phone, %d by address; want 1 and 1", byPhone, bySource)
		}
		_, err = s.PurgeLoginFailures(ctx, t0().Add(-time.Hour))
		must(t, err, "PurgeLoginFailures")
		if byPhone, _, _ := s.CountAuthCodeRequests(ctx, phone, src, time.Time{}, 100); byPhone != 2 {
			t.Errorf("after the purge, %d requests of the phone remain at all; want the 2 within the window", byPhone)
		}
	})
}
