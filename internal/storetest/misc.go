package storetest

import (
	"testing"
	"time"

	"tuango/internal/tuango"
)

func testMisc(t *testing.T, s tuango.Store) {
	t.Run("Ping answers on a migrated store", func(t *testing.T) {
		if err := s.Ping(t.Context()); err != nil {
			t.Errorf("Ping() = %v, want nil", err)
		}
	})

	t.Run("idempotency record is saved once", func(t *testing.T) {
		r := &tuango.IdempotencyRecord{Scope: newID("usr"), Key: newID("key"), Fingerprint: "sha256:abc",
			Body: []byte(`{"id":"ord_1","total_fen":1990}` + "\n\x00\xff"), CreatedAt: t0()}
		must(t, s.SaveIdempotency(t.Context(), r), "SaveIdempotency(%s)", r.Key)
		got, err := s.FindIdempotency(t.Context(), r.Scope, r.Key)
		must(t, err, "FindIdempotency(%s)", r.Key)
		wantEqual(t, got, r, "FindIdempotency(%s)", r.Key)

		again := *r
		again.Fingerprint, again.Body = "sha256:def", []byte(`{}`)
		wantCode(t, s.SaveIdempotency(t.Context(), &again), tuango.CodeConflict, "SaveIdempotency(%s) again", r.Key)
		got, err = s.FindIdempotency(t.Context(), r.Scope, r.Key)
		must(t, err, "FindIdempotency(%s)", r.Key)
		wantEqual(t, got, r, "FindIdempotency(%s) after the refused save", r.Key)

		otherScope := *r
		otherScope.Scope = newID("usr")
		must(t, s.SaveIdempotency(t.Context(), &otherScope), "SaveIdempotency(%s) in another scope", r.Key)
	})

	t.Run("missing idempotency record is not found", func(t *testing.T) {
		_, err := s.FindIdempotency(t.Context(), newID("usr"), newID("key"))
		wantNotFound(t, err, "FindIdempotency(unknown key)")
	})

	t.Run("DeleteIdempotencyBefore deletes only older records", func(t *testing.T) {
		// Times of their own, long before every other test's rows.
		cutoff := time.Date(2001, 1, 8, 0, 0, 0, 0, time.UTC)
		old := &tuango.IdempotencyRecord{Scope: newID("usr"), Key: newID("key"), Body: []byte("old"), CreatedAt: cutoff.Add(-time.Microsecond)}
		kept := &tuango.IdempotencyRecord{Scope: old.Scope, Key: newID("key"), Body: []byte("kept"), CreatedAt: cutoff}
		for _, r := range []*tuango.IdempotencyRecord{old, kept} {
			must(t, s.SaveIdempotency(t.Context(), r), "SaveIdempotency(%s)", r.Key)
		}
		n, err := s.DeleteIdempotencyBefore(t.Context(), cutoff)
		must(t, err, "DeleteIdempotencyBefore(%v)", cutoff)
		if n != 1 {
			t.Errorf("DeleteIdempotencyBefore(%v) = %d, want 1", cutoff, n)
		}
		_, err = s.FindIdempotency(t.Context(), old.Scope, old.Key)
		wantNotFound(t, err, "FindIdempotency(old record) after DeleteIdempotencyBefore")
		if _, err := s.FindIdempotency(t.Context(), kept.Scope, kept.Key); err != nil {
			t.Errorf("FindIdempotency(record at the cutoff) after DeleteIdempotencyBefore = %v, want it kept", err)
		}
	})

	t.Run("AcquireLease is held by one owner until it expires", func(t *testing.T) {
		name := newID("lease")
		at := func(d time.Duration) time.Time { return t0().Add(d) }
		steps := []struct {
			name       string
			owner      string
			now, until time.Time
			want       bool
		}{
			{"free lease is taken", "node-a", at(0), at(time.Minute), true},
			{"other owner is refused while valid", "node-b", at(30 * time.Second), at(2 * time.Minute), false},
			{"same owner renews", "node-a", at(30 * time.Second), at(2 * time.Minute), true},
			{"other owner is refused until the renewed end", "node-b", at(90 * time.Second), at(3 * time.Minute), false},
			{"other owner takes it once expired", "node-b", at(2 * time.Minute), at(3 * time.Minute), true},
			{"first owner is now refused", "node-a", at(2*time.Minute + time.Second), at(4 * time.Minute), false},
		}
		for _, st := range steps {
			ok, err := s.AcquireLease(t.Context(), name, st.owner, st.now, st.until)
			wantOK(t, ok, err, st.want, "%s: AcquireLease(%s)", st.name, st.owner)
		}
		ok, err := s.AcquireLease(t.Context(), newID("lease"), "node-a", at(0), at(time.Minute))
		wantOK(t, ok, err, true, "AcquireLease(another name)")
	})

	t.Run("Setting stores the default once", func(t *testing.T) {
		name := newID("setting")
		for _, def := range []string{"first", "second", ""} {
			got, err := s.Setting(t.Context(), name, def)
			if err != nil || got != "first" {
				t.Errorf("Setting(%s, %q) = %q, %v, want %q, nil", name, def, got, err, "first")
			}
		}
		other := newID("setting")
		if got, err := s.Setting(t.Context(), other, "second"); err != nil || got != "second" {
			t.Errorf("Setting(%s, %q) = %q, %v, want %q, nil", other, "second", got, err, "second")
		}
	})
}
