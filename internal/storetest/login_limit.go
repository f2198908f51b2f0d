package storetest

import (
	"testing"
	"time"

	"tuango/internal/tuango"
)

func testLoginLimit(t *testing.T, s tuango.Store) {
	ctx := t.Context()
	phone := "139" + newID("")[len(newID(""))-8:]
	add := func(source string, at time.Time) {
		t.Helper()
		must(t, s.InTx(ctx, func(tx tuango.Store) error {
			if err := tx.LockLoginAccount(ctx, phone, at); err != nil {
				return err
			}
			return tx.AddLoginFailure(ctx, &tuango.LoginFailure{ID: newID("lgf"), Phone: phone, Source: source, At: at})
		}), "AddLoginFailure(%s)", source)
	}
	add("10.0.0.1", t0().Add(-70*time.Minute)) // outside both windows
	add("10.0.0.1", t0().Add(-20*time.Minute)) // outside the source window
	add("10.0.0.1", t0().Add(-10*time.Minute))
	add("10.0.0.1", t0().Add(-5*time.Minute))
	add("10.0.0.2", t0().Add(-time.Minute))
	add("10.0.0.9", t0().Add(-time.Minute)) // a third source
	must(t, s.InTx(ctx, func(tx tuango.Store) error {
		return tx.AddLoginFailure(ctx, &tuango.LoginFailure{ID: newID("lgf"), Phone: "13000000000", Source: "10.0.0.1", At: t0()})
	}), "AddLoginFailure(other phone)")

	t.Run("counts per source and per account within their windows", func(t *testing.T) {
		got, err := s.CountLoginFailures(ctx, phone, "10.0.0.1", t0().Add(-15*time.Minute), t0().Add(-time.Hour))
		must(t, err, "CountLoginFailures")
		want := tuango.LoginFailures{FromSource: 2, OldestFromSource: t0().Add(-10 * time.Minute), All: 5}
		wantEqual(t, got, want, "CountLoginFailures")
	})
	t.Run("a source with none counts none", func(t *testing.T) {
		got, err := s.CountLoginFailures(ctx, phone, "10.0.0.3", t0().Add(-15*time.Minute), t0().Add(-time.Hour))
		must(t, err, "CountLoginFailures")
		wantEqual(t, got, tuango.LoginFailures{All: 5}, "CountLoginFailures(new source)")
	})
	t.Run("deleting one failure forgets that one only", func(t *testing.T) {
		id := newID("lgf")
		must(t, s.AddLoginFailure(ctx, &tuango.LoginFailure{ID: id, Phone: phone, Source: "10.0.0.9", At: t0()}), "AddLoginFailure")
		must(t, s.DeleteLoginFailure(ctx, id), "DeleteLoginFailure")
		must(t, s.DeleteLoginFailure(ctx, id), "DeleteLoginFailure again")
		got, err := s.CountLoginFailures(ctx, phone, "10.0.0.9", t0().Add(-15*time.Minute), t0().Add(-time.Hour))
		must(t, err, "CountLoginFailures")
		wantEqual(t, got, tuango.LoginFailures{FromSource: 1, OldestFromSource: t0().Add(-time.Minute), All: 5}, "CountLoginFailures after deleting one")
	})
	t.Run("clearing forgets one source only", func(t *testing.T) {
		must(t, s.ClearLoginFailures(ctx, phone, "10.0.0.1"), "ClearLoginFailures")
		got, err := s.CountLoginFailures(ctx, phone, "10.0.0.2", t0().Add(-15*time.Minute), t0().Add(-2*time.Hour))
		must(t, err, "CountLoginFailures")
		wantEqual(t, got, tuango.LoginFailures{FromSource: 1, OldestFromSource: t0().Add(-time.Minute), All: 2}, "CountLoginFailures after clearing 10.0.0.1")
	})
	t.Run("purge deletes what is older", func(t *testing.T) {
		add("10.0.0.4", t0().Add(-3*time.Hour))
		n, err := s.PurgeLoginFailures(ctx, t0().Add(-time.Hour))
		must(t, err, "PurgeLoginFailures")
		if n < 1 {
			t.Errorf("PurgeLoginFailures = %d, want at least 1", n)
		}
		got, err := s.CountLoginFailures(ctx, phone, "10.0.0.4", t0().Add(-5*time.Hour), t0().Add(-5*time.Hour))
		must(t, err, "CountLoginFailures")
		wantEqual(t, got, tuango.LoginFailures{All: 2}, "CountLoginFailures after purge")
	})
	t.Run("one code per phone and purpose, replaced when sent again", func(t *testing.T) {
		c := &tuango.AuthCode{Phone: phone, Purpose: "login", CodeHash: "h1", CreatedAt: t0(), ExpiresAt: t0().Add(10 * time.Minute)}
		must(t, s.SaveAuthCode(ctx, c), "SaveAuthCode")
		c2 := *c
		c2.CodeHash, c2.CreatedAt = "h2", t0().Add(time.Minute)
		must(t, s.SaveAuthCode(ctx, &c2), "SaveAuthCode again")
		got, err := s.FindAuthCode(ctx, phone, "login")
		must(t, err, "FindAuthCode")
		wantEqual(t, *got, c2, "FindAuthCode")
		_, err = s.FindAuthCode(ctx, phone, "reset")
		wantNotFound(t, err, "FindAuthCode(other purpose)")
		must(t, s.DeleteAuthCode(ctx, phone, "login"), "DeleteAuthCode")
		_, err = s.FindAuthCode(ctx, phone, "login")
		wantNotFound(t, err, "FindAuthCode after delete")
	})
}
