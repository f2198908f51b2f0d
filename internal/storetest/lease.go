package storetest

import (
	"testing"
	"time"

	"tuango/internal/tuango"
)

func testLease(t *testing.T, s tuango.Store) {
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
