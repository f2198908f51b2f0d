package storetest

import (
	"testing"
	"time"

	"tuango/internal/tuango"
)

func testGuard(t *testing.T, s tuango.Store) {
	ctx := t.Context()
	add := func(list, cidr, origin string, created, expires time.Time) *tuango.SourceRule {
		t.Helper()
		r := &tuango.SourceRule{ID: newID("src"), List: list, CIDR: cidr, Reason: "test " + cidr, Origin: origin, CreatedBy: "ids", CreatedAt: created, ExpiresAt: expires}
		must(t, s.InTx(ctx, func(tx tuango.Store) error {
			if _, err := tx.BumpGuardVersion(ctx); err != nil {
				return err
			}
			return tx.AddSourceRule(ctx, r)
		}), "AddSourceRule(%s)", cidr)
		return r
	}
	v0, err := s.GuardVersion(ctx)
	must(t, err, "GuardVersion")

	forever := add(tuango.ListBlock, "10.0.0.0/8", tuango.OriginOperator, t0().Add(-time.Hour), time.Time{})
	ban := add(tuango.ListBlock, "203.0.113.7/32", "http-probing", t0().Add(-time.Minute), t0().Add(4*time.Hour))
	add(tuango.ListBlock, "203.0.113.7/32", "http-probing", t0().Add(-10*24*time.Hour), t0().Add(-9*24*time.Hour)) // an old ban, ended
	allow := add(tuango.ListAllow, "198.51.100.0/24", tuango.OriginOperator, t0(), t0().Add(time.Hour))

	t.Run("every change counts in the version", func(t *testing.T) {
		v, err := s.GuardVersion(ctx)
		must(t, err, "GuardVersion")
		if v != v0+4 {
			t.Errorf("GuardVersion = %d, want %d", v, v0+4)
		}
	})
	t.Run("live rules, oldest first, with their fields", func(t *testing.T) {
		got, err := s.FindSourceRules(ctx, t0())
		must(t, err, "FindSourceRules")
		wantEqual(t, got, []tuango.SourceRule{*forever, *ban, *allow}, "FindSourceRules(t0)")
	})
	t.Run("a rule has ended at its expiry", func(t *testing.T) {
		got, err := s.FindSourceRules(ctx, t0().Add(4*time.Hour))
		must(t, err, "FindSourceRules")
		wantEqual(t, got, []tuango.SourceRule{*forever}, "FindSourceRules(t0+4h)")
	})
	t.Run("detection bans are counted since a time, operators' blocks not", func(t *testing.T) {
		n, err := s.CountDetectionBans(ctx, "203.0.113.7/32", t0().Add(-30*24*time.Hour))
		must(t, err, "CountDetectionBans")
		if n != 2 {
			t.Errorf("CountDetectionBans(30 days) = %d, want 2", n)
		}
		n, err = s.CountDetectionBans(ctx, "203.0.113.7/32", t0().Add(-time.Hour))
		must(t, err, "CountDetectionBans")
		if n != 1 {
			t.Errorf("CountDetectionBans(1 hour) = %d, want 1", n)
		}
		n, err = s.CountDetectionBans(ctx, "10.0.0.0/8", t0().Add(-30*24*time.Hour))
		must(t, err, "CountDetectionBans")
		if n != 0 {
			t.Errorf("CountDetectionBans(operator's block) = %d, want 0", n)
		}
	})
	t.Run("ending a list's rules for a cidr keeps them countable", func(t *testing.T) {
		n, err := s.EndSourceRules(ctx, tuango.ListAllow, "203.0.113.7/32", t0())
		must(t, err, "EndSourceRules")
		if n != 0 {
			t.Errorf("EndSourceRules(allow list, a blocked cidr) = %d, want 0", n)
		}
		n, err = s.EndSourceRules(ctx, tuango.ListBlock, "203.0.113.7/32", t0())
		must(t, err, "EndSourceRules")
		if n != 1 {
			t.Errorf("EndSourceRules = %d, want 1 (the live ban only)", n)
		}
		got, err := s.FindSourceRules(ctx, t0())
		must(t, err, "FindSourceRules")
		wantEqual(t, got, []tuango.SourceRule{*forever, *allow}, "FindSourceRules after ending the ban")
		c, err := s.CountDetectionBans(ctx, "203.0.113.7/32", t0().Add(-30*24*time.Hour))
		must(t, err, "CountDetectionBans")
		if c != 2 {
			t.Errorf("CountDetectionBans after ending = %d, want 2", c)
		}
	})
	t.Run("purge deletes what ended before, never what has no end", func(t *testing.T) {
		n, err := s.PurgeSourceRules(ctx, t0().Add(-time.Hour))
		must(t, err, "PurgeSourceRules")
		if n != 1 {
			t.Errorf("PurgeSourceRules = %d, want 1 (the old ban)", n)
		}
		c, err := s.CountDetectionBans(ctx, "203.0.113.7/32", t0().Add(-30*24*time.Hour))
		must(t, err, "CountDetectionBans")
		if c != 1 {
			t.Errorf("CountDetectionBans after purge = %d, want 1", c)
		}
		got, err := s.FindSourceRules(ctx, t0())
		must(t, err, "FindSourceRules")
		wantEqual(t, got, []tuango.SourceRule{*forever, *allow}, "FindSourceRules after purge")
	})
}
