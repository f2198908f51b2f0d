package storetest

import (
	"testing"
	"time"

	"tuango/internal/tuango"
)

func testUser(t *testing.T, s tuango.Store) {
	t.Run("user is found by id and by phone", func(t *testing.T) {
		w := newWorld(t, s)
		u := &tuango.User{ID: newID("usr"), Phone: newPhone(t), Name: "王五", Role: tuango.RoleCustomer, PasswordHash: "$argon2id$x",
			HomePickupPointID: w.point.ID, CreatedAt: t0()}
		must(t, s.CreateUser(t.Context(), u), "CreateUser(%s)", u.ID)
		got, err := s.FindUserByID(t.Context(), u.ID)
		must(t, err, "FindUserByID(%s)", u.ID)
		wantEqual(t, got, u, "FindUserByID(%s)", u.ID)
		got, err = s.FindUserByPhone(t.Context(), u.Phone)
		must(t, err, "FindUserByPhone(%s)", u.Phone)
		wantEqual(t, got, u, "FindUserByPhone(%s)", u.Phone)
	})

	t.Run("taken phone is conflict", func(t *testing.T) {
		first := createUser(t, s, tuango.RoleCustomer)
		second := &tuango.User{ID: newID("usr"), Phone: first.Phone, Name: "重复", Role: tuango.RoleCustomer, PasswordHash: "h", CreatedAt: t0()}
		wantCode(t, s.CreateUser(t.Context(), second), tuango.CodeConflict, "CreateUser(%s) with the phone of %s", second.ID, first.ID)
		_, err := s.FindUserByID(t.Context(), second.ID)
		wantNotFound(t, err, "FindUserByID(%s) after the refused create", second.ID)
		got, err := s.FindUserByPhone(t.Context(), first.Phone)
		must(t, err, "FindUserByPhone(%s)", first.Phone)
		wantEqual(t, got, first, "FindUserByPhone(%s) after the refused create", first.Phone)
	})

	t.Run("UpdateUser changes name, role, password and home", func(t *testing.T) {
		w := newWorld(t, s)
		u := createUser(t, s, tuango.RoleCustomer)
		sup := createSupplier(t, s)
		u.Name, u.Role, u.PasswordHash, u.HomePickupPointID, u.SupplierID = "赵六", tuango.RoleSupplier, "new-hash", w.point.ID, sup.ID
		must(t, s.UpdateUser(t.Context(), u), "UpdateUser(%s)", u.ID)
		got, err := s.FindUserByID(t.Context(), u.ID)
		must(t, err, "FindUserByID(%s)", u.ID)
		wantEqual(t, got, u, "FindUserByID(%s) after update", u.ID)
	})

	t.Run("missing user is not found", func(t *testing.T) {
		missing := &tuango.User{ID: newID("missing"), Phone: newPhone(t), Name: "无", Role: tuango.RoleCustomer, PasswordHash: "h"}
		_, err := s.FindUserByID(t.Context(), missing.ID)
		wantNotFound(t, err, "FindUserByID(%s)", missing.ID)
		_, err = s.FindUserByPhone(t.Context(), missing.Phone)
		wantNotFound(t, err, "FindUserByPhone(%s)", missing.Phone)
		wantNotFound(t, s.UpdateUser(t.Context(), missing), "UpdateUser(%s)", missing.ID)
	})

	t.Run("session is found until it expires", func(t *testing.T) {
		u := createUser(t, s, tuango.RoleCustomer)
		sess := &tuango.Session{TokenHash: newID("tok"), UserID: u.ID, CreatedAt: t0(), ExpiresAt: t0().Add(tuango.SessionTTL)}
		must(t, s.CreateSession(t.Context(), sess), "CreateSession(%s)", u.ID)
		for _, at := range []time.Time{sess.CreatedAt, sess.ExpiresAt.Add(-time.Microsecond)} {
			got, err := s.FindSession(t.Context(), sess.TokenHash, at)
			if err != nil {
				t.Errorf("FindSession(now %v) = %v, want the session", at, err)
				continue
			}
			wantEqual(t, got, sess, "FindSession(now %v)", at)
		}
		for _, at := range []time.Time{sess.ExpiresAt.Add(time.Microsecond), sess.ExpiresAt.Add(time.Hour)} {
			_, err := s.FindSession(t.Context(), sess.TokenHash, at)
			wantNotFound(t, err, "FindSession(now %v, after expiry %v)", at, sess.ExpiresAt)
		}
		_, err := s.FindSession(t.Context(), newID("tok"), t0())
		wantNotFound(t, err, "FindSession(unknown token)")
		got, gotSess, err := s.FindSessionUser(t.Context(), sess.TokenHash, sess.CreatedAt)
		if err != nil {
			t.Errorf("FindSessionUser = %v, want the user", err)
		} else {
			wantEqual(t, got, u, "FindSessionUser")
			wantEqual(t, gotSess, sess, "FindSessionUser's session")
		}
		_, _, err = s.FindSessionUser(t.Context(), sess.TokenHash, sess.ExpiresAt)
		wantNotFound(t, err, "FindSessionUser(at expiry)")
	})

	t.Run("FindSessionUsers finds exactly the live sessions asked for, each once", func(t *testing.T) {
		// 150 live sessions of 50 users (past one SQLite statement's 128),
		// asked with one expired, one idle too long, one unknown and one of
		// the live ones twice; one live session is not asked for.
		now := t0().Add(time.Hour)
		want := map[string]tuango.SessionUser{}
		var hashes []string
		var users []*tuango.User
		for i := range 151 {
			if i%3 == 0 {
				users = append(users, createUser(t, s, tuango.RoleCustomer))
			}
			u := users[len(users)-1]
			sess := &tuango.Session{TokenHash: newID("tok"), UserID: u.ID, CreatedAt: t0(), ExpiresAt: t0().Add(tuango.SessionTTL),
				IdleTimeout: 2 * time.Hour, LastSeenAt: t0()}
			must(t, s.CreateSession(t.Context(), sess), "CreateSession(%d)", i)
			if i == 150 {
				break
			}
			want[sess.TokenHash] = tuango.SessionUser{User: *u, Session: *sess}
			hashes = append(hashes, sess.TokenHash)
		}
		u := createUser(t, s, tuango.RoleCustomer)
		expired := &tuango.Session{TokenHash: newID("tok"), UserID: u.ID, CreatedAt: t0(), ExpiresAt: now}
		idle := &tuango.Session{TokenHash: newID("tok"), UserID: u.ID, CreatedAt: t0(), ExpiresAt: t0().Add(tuango.SessionTTL),
			IdleTimeout: time.Hour, LastSeenAt: t0()}
		for _, sess := range []*tuango.Session{expired, idle} {
			must(t, s.CreateSession(t.Context(), sess), "CreateSession(%s)", sess.TokenHash)
		}
		asked := append([]string{expired.TokenHash, hashes[7], idle.TokenHash, newID("tok")}, hashes...)
		got, err := s.FindSessionUsers(t.Context(), asked, now)
		must(t, err, "FindSessionUsers(%d hashes)", len(asked))
		if len(got) != len(want) {
			t.Errorf("FindSessionUsers found %d sessions, want %d", len(got), len(want))
		}
		seen := map[string]bool{}
		for _, f := range got {
			w, ok := want[f.Session.TokenHash]
			switch {
			case !ok:
				t.Errorf("FindSessionUsers found %s, which is not live or was not asked for", f.Session.TokenHash)
			case seen[f.Session.TokenHash]:
				t.Errorf("FindSessionUsers found %s twice", f.Session.TokenHash)
			default:
				wantEqual(t, f, w, "FindSessionUsers(%s)", f.Session.TokenHash)
			}
			seen[f.Session.TokenHash] = true
		}
		none, err := s.FindSessionUsers(t.Context(), nil, now)
		must(t, err, "FindSessionUsers(nil)")
		if len(none) != 0 {
			t.Errorf("FindSessionUsers(nil) = %d sessions", len(none))
		}
	})

	t.Run("deleted session is not found", func(t *testing.T) {
		u := createUser(t, s, tuango.RoleCustomer)
		sess := &tuango.Session{TokenHash: newID("tok"), UserID: u.ID, CreatedAt: t0(), ExpiresAt: t0().Add(time.Hour)}
		kept := &tuango.Session{TokenHash: newID("tok"), UserID: u.ID, CreatedAt: t0(), ExpiresAt: t0().Add(time.Hour)}
		must(t, s.CreateSession(t.Context(), sess), "CreateSession(%s)", sess.TokenHash)
		must(t, s.CreateSession(t.Context(), kept), "CreateSession(%s)", kept.TokenHash)
		must(t, s.DeleteSession(t.Context(), sess.TokenHash), "DeleteSession(%s)", sess.TokenHash)
		_, err := s.FindSession(t.Context(), sess.TokenHash, t0())
		wantNotFound(t, err, "FindSession(%s) after DeleteSession", sess.TokenHash)
		if _, err := s.FindSession(t.Context(), kept.TokenHash, t0()); err != nil {
			t.Errorf("FindSession(%s) of the user's other session = %v, want it", kept.TokenHash, err)
		}
		if err := s.DeleteSession(t.Context(), sess.TokenHash); err != nil {
			t.Errorf("DeleteSession(%s) again = %v, want nil", sess.TokenHash, err)
		}
	})

	t.Run("FindUsers lists one role, searched by name or phone, by name", func(t *testing.T) {
		tag := newID("领队")
		mk := func(name string, role tuango.Role) *tuango.User {
			u := &tuango.User{ID: newID("usr"), Phone: newPhone(t), Name: name, Role: role, PasswordHash: "hash", CreatedAt: t0()}
			must(t, s.CreateUser(t.Context(), u), "CreateUser(%s)", u.ID)
			return u
		}
		b := mk("b "+tag, tuango.RoleLeader)
		a := mk("a "+tag, tuango.RoleLeader)
		mk("c "+tag, tuango.RoleCustomer)
		got, err := s.FindUsers(t.Context(), tuango.UserFilter{Role: tuango.RoleLeader, Query: tag})
		must(t, err, "FindUsers(leaders, %q)", tag)
		wantEqual(t, got, []tuango.User{*a, *b}, "FindUsers(leaders, %q)", tag)

		got, err = s.FindUsers(t.Context(), tuango.UserFilter{Role: tuango.RoleLeader, Query: b.Phone[3:]})
		must(t, err, "FindUsers(leaders, part of a phone)")
		wantEqual(t, got, []tuango.User{*b}, "FindUsers(leaders, %q)", b.Phone[3:])

		got, err = s.FindUsers(t.Context(), tuango.UserFilter{Role: tuango.RoleLeader, Query: tag, Limit: 1})
		must(t, err, "FindUsers(limit 1)")
		wantEqual(t, got, []tuango.User{*a}, "FindUsers(leaders, %q, limit 1)", tag)

		got, err = s.FindUsers(t.Context(), tuango.UserFilter{Role: tuango.RoleLeader, Query: "%_" + tag})
		must(t, err, "FindUsers(wildcards)")
		wantEqual(t, len(got), 0, "len(FindUsers(%q)): %% and _ are matched as themselves", "%_"+tag)

		all, err := s.FindUsers(t.Context(), tuango.UserFilter{Role: tuango.RoleLeader})
		must(t, err, "FindUsers(every leader)")
		wantContains(t, all, *a, "FindUsers(every leader)")
		for _, u := range all {
			if u.Role != tuango.RoleLeader {
				t.Errorf("FindUsers(every leader) holds %s of role %s", u.ID, u.Role)
			}
		}
	})
}
