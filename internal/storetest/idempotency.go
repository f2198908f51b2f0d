package storetest

import (
	"fmt"
	"testing"
	"time"

	"tuango/internal/tuango"
)

func testIdempotency(t *testing.T, s tuango.Store) {
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

	t.Run("SaveIdempotencies stores all, or none when a key exists", func(t *testing.T) {
		scope := newID("usr")
		var recs []*tuango.IdempotencyRecord
		for i := range 21 {
			recs = append(recs, &tuango.IdempotencyRecord{Scope: scope, Key: fmt.Sprint("k", i), Fingerprint: "f", Body: []byte("{}"), CreatedAt: t0()})
		}
		must(t, s.SaveIdempotencies(t.Context(), recs[:20]), "SaveIdempotencies(20)")
		for _, r := range recs[:20] {
			if _, err := s.FindIdempotency(t.Context(), scope, r.Key); err != nil {
				t.Errorf("FindIdempotency(%s) = %v", r.Key, err)
			}
		}
		err := s.InTx(t.Context(), func(tx tuango.Store) error {
			return tx.SaveIdempotencies(t.Context(), []*tuango.IdempotencyRecord{recs[20], recs[3]})
		})
		if tuango.ErrorCode(err) != tuango.CodeConflict {
			t.Errorf("SaveIdempotencies with an existing key = %v, want conflict", err)
		}
		_, err = s.FindIdempotency(t.Context(), scope, recs[20].Key)
		wantNotFound(t, err, "FindIdempotency(%s) after a failed batch", recs[20].Key)
	})

	t.Run("FindIdempotencies finds exactly the stored keys of each scope", func(t *testing.T) {
		// 150 keys in 3 scopes (more than one statement's 128), every
		// other one stored, and some asked twice; the same key text is used
		// in every scope, so a match on the key alone shows up.
		scopes := []string{newID("usr"), newID("usr"), newID("usr")}
		var keys []tuango.IdemKey
		want := map[tuango.IdemKey]*tuango.IdempotencyRecord{}
		var recs []*tuango.IdempotencyRecord
		for i := range 150 {
			k := tuango.IdemKey{Scope: scopes[i%3], Key: fmt.Sprint("key-", i/3)}
			keys = append(keys, k)
			if (i/3)%2 == 0 && i%3 != 2 {
				r := &tuango.IdempotencyRecord{Scope: k.Scope, Key: k.Key, Fingerprint: fmt.Sprint("fp", i), Body: []byte(fmt.Sprintf(`{"n":%d}`, i)), CreatedAt: t0()}
				recs = append(recs, r)
				want[k] = r
			}
		}
		must(t, s.SaveIdempotencies(t.Context(), recs), "SaveIdempotencies")
		keys = append(keys, keys[0], keys[3], keys[149])
		got, err := s.FindIdempotencies(t.Context(), keys)
		must(t, err, "FindIdempotencies(153)")
		if len(got) != len(want) {
			t.Errorf("FindIdempotencies found %d records, want %d", len(got), len(want))
		}
		for i := range got {
			r := &got[i]
			w := want[tuango.IdemKey{Scope: r.Scope, Key: r.Key}]
			if w == nil {
				t.Errorf("FindIdempotencies found %s/%s, which was never stored", r.Scope, r.Key)
				continue
			}
			wantEqual(t, r, w, "FindIdempotencies(%s/%s)", r.Scope, r.Key)
		}
		none, err := s.FindIdempotencies(t.Context(), nil)
		must(t, err, "FindIdempotencies(nil)")
		if len(none) != 0 {
			t.Errorf("FindIdempotencies(nil) = %d records", len(none))
		}
	})
}
