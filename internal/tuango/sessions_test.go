package tuango_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// Sessions are cached per node for SessionCacheTTL: a logout takes effect
// at once on the node that did it and within the TTL on the others; a
// change to the user is seen at once on its node.
func TestSessionCache(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 10)
	ctx := context.Background()
	other := w.node(tuango.Config{BatchMax: 1}) // a second node on the same database
	u, token := register(t, w.svc, "13300000001", "password-1")
	for _, svc := range []*tuango.Service{w.svc, other} {
		if got, err := svc.Authenticate(ctx, token); err != nil || got.ID != u.ID {
			t.Fatalf("Authenticate = %v, %v", got, err)
		}
	}
	a := tuango.Actor{UserID: u.ID, Role: u.Role}
	if _, err := w.svc.SetHomePickupPoint(ctx, a, w.pp); err != nil {
		t.Fatal(err)
	}
	if got, _ := w.svc.Authenticate(ctx, token); got.HomePickupPointID != w.pp {
		t.Errorf("home pickup point on the same node = %q, want %q at once", got.HomePickupPointID, w.pp)
	}
	must(t, w.svc.Logout(ctx, token))
	if _, err := w.svc.Authenticate(ctx, token); tuango.ErrorCode(err) != tuango.CodeUnauthorized {
		t.Errorf("Authenticate after logout on the same node = %v, want unauthorized", err)
	}
	if _, err := other.Authenticate(ctx, token); err != nil {
		t.Errorf("Authenticate on another node within the TTL = %v, want the cached session", err)
	}
	w.clock.Advance(tuango.SessionCacheTTL)
	if _, err := other.Authenticate(ctx, token); tuango.ErrorCode(err) != tuango.CodeUnauthorized {
		t.Errorf("Authenticate on another node after the TTL = %v, want unauthorized", err)
	}
}

// pausingStore is the real store with FindSessionUsers (the grouped
// lookup every request's Authenticate makes) held at a gate, so that a
// test can end a session while a lookup of it is in flight.
type pausingStore struct {
	tuango.Store
	mu      sync.Mutex
	read    chan struct{} // closed once the paused lookup has read
	release chan struct{} // closed to let it return
}

func (p *pausingStore) pauseNext() {
	p.mu.Lock()
	p.read, p.release = make(chan struct{}), make(chan struct{})
	p.mu.Unlock()
}

func (p *pausingStore) FindSessionUsers(ctx context.Context, hashes []string, now time.Time) ([]tuango.SessionUser, error) {
	found, err := p.Store.FindSessionUsers(ctx, hashes, now)
	p.mu.Lock()
	read, release := p.read, p.release
	p.read, p.release = nil, nil
	p.mu.Unlock()
	if read != nil {
		close(read)
		<-release
	}
	return found, err
}

// A session ended anywhere stops working on every node within one second,
// including when a lookup on the node raced the logout: before, another
// node trusted its cache for 2 s, and a lookup that read the session just
// before the logout put it back into the cache of the node that logged out.
// Two services on one database (PostgreSQL under TUANGO_TEST_DB=postgres).
func TestRevocationReachesEveryNodeWithinASecond(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 10)
	ctx := context.Background()
	ps := &pausingStore{Store: w.db.Store()}
	nodeA := w.svc
	nodeB := tuango.NewService(ps, w.clock, nil, nil, nil, tuango.Config{}, nil)

	t.Run("a logout on one node ends the session on the other within a second", func(t *testing.T) {
		_, token := register(t, nodeA, "13300000011", "password-1")
		if _, err := nodeB.Authenticate(ctx, token); err != nil {
			t.Fatal(err)
		}
		must(t, nodeA.Logout(ctx, token))
		w.clock.Advance(time.Second)
		if _, err := nodeB.Authenticate(ctx, token); tuango.ErrorCode(err) != tuango.CodeUnauthorized {
			t.Errorf("node B, 1 s after the logout on node A: Authenticate = %v, want unauthorized", err)
		}
	})

	t.Run("a lookup racing the logout on the same node does not cache the session", func(t *testing.T) {
		_, token := register(t, nodeA, "13300000012", "password-1")
		ps.pauseNext()
		read, release := ps.read, ps.release
		done := make(chan error, 1)
		go func() { _, err := nodeB.Authenticate(ctx, token); done <- err }()
		<-read // the lookup has read the live session
		must(t, nodeB.Logout(ctx, token))
		close(release)
		<-done // it answers for the request that began before the logout
		if _, err := nodeB.Authenticate(ctx, token); tuango.ErrorCode(err) != tuango.CodeUnauthorized {
			t.Errorf("Authenticate after the logout that a lookup raced = %v, want unauthorized", err)
		}
	})

	t.Run("a lookup racing a logout on another node is trusted at most a second from when it began", func(t *testing.T) {
		_, token := register(t, nodeA, "13300000013", "password-1")
		ps.pauseNext()
		read, release := ps.read, ps.release
		done := make(chan error, 1)
		go func() { _, err := nodeB.Authenticate(ctx, token); done <- err }()
		<-read
		must(t, nodeA.Logout(ctx, token))
		w.clock.Advance(time.Second)
		close(release)
		<-done
		if _, err := nodeB.Authenticate(ctx, token); tuango.ErrorCode(err) != tuango.CodeUnauthorized {
			t.Errorf("node B, 1 s after a logout on node A that its lookup raced: Authenticate = %v, want unauthorized", err)
		}
	})

	t.Run("a password reset on one node ends the sessions on the other within a second", func(t *testing.T) {
		_, token := register(t, nodeA, "13300000014", "password-1")
		if _, err := nodeB.Authenticate(ctx, token); err != nil {
			t.Fatal(err)
		}
		code, err := nodeA.RequestCode(ctx, tuango.CodeRequest{Phone: "13300000014", Purpose: tuango.PurposeReset})
		must(t, err)
		must(t, nodeA.ResetPassword(ctx, tuango.PasswordReset{Phone: "13300000014", Code: code, NewPassword: "a-new-pass-phrase"}))
		w.clock.Advance(time.Second)
		if _, err := nodeB.Authenticate(ctx, token); tuango.ErrorCode(err) != tuango.CodeUnauthorized {
			t.Errorf("node B, 1 s after a reset on node A: Authenticate = %v, want unauthorized", err)
		}
	})
}

// Sessions end after their role's idle timeout unused, and at their
// absolute timeout however used; operators' are shorter than customers'.
func TestSessionTimeoutsPerRole(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 10)
	ctx := context.Background()
	svc := w.node(tuango.Config{Sessions: tuango.SessionPolicy{Idle: time.Hour, Max: 3 * time.Hour},
		StaffSessions: tuango.SessionPolicy{Idle: 10 * time.Minute, Max: time.Hour}})

	t.Run("a customer's session survives use and ends unused past the idle timeout", func(t *testing.T) {
		_, token := register(t, svc, "13300000021", "password-1")
		for range 2 {
			w.clock.Advance(50 * time.Minute)
			if _, err := svc.Authenticate(ctx, token); err != nil {
				t.Fatalf("Authenticate 50 min after the last use = %v, want the session", err)
			}
		}
		w.clock.Advance(61 * time.Minute)
		if _, err := svc.Authenticate(ctx, token); tuango.ErrorCode(err) != tuango.CodeUnauthorized {
			t.Errorf("Authenticate 61 min unused = %v, want unauthorized", err)
		}
	})

	t.Run("a customer's session in use ends at the absolute timeout", func(t *testing.T) {
		_, token := register(t, svc, "13300000022", "password-1")
		for range 5 {
			w.clock.Advance(35 * time.Minute)
			if _, err := svc.Authenticate(ctx, token); err != nil {
				t.Fatalf("Authenticate in use = %v", err)
			}
		}
		w.clock.Advance(6 * time.Minute) // 3 h 1 min since login
		if _, err := svc.Authenticate(ctx, token); tuango.ErrorCode(err) != tuango.CodeUnauthorized {
			t.Errorf("Authenticate past the absolute timeout = %v, want unauthorized", err)
		}
	})

	t.Run("an operator's session ends after the staff idle timeout", func(t *testing.T) {
		if _, err := svc.CreateUser(ctx, tuango.NewAccount{Phone: "13900000021", Password: "operator-pass", Name: "运营", Role: tuango.RoleOperator}); err != nil {
			t.Fatal(err)
		}
		_, token, err := svc.Login(ctx, tuango.LoginRequest{Phone: "13900000021", Password: "operator-pass", Source: "192.0.2.9"})
		must(t, err)
		w.clock.Advance(11 * time.Minute)
		if _, err := svc.Authenticate(ctx, token); tuango.ErrorCode(err) != tuango.CodeUnauthorized {
			t.Errorf("operator's Authenticate 11 min unused = %v, want unauthorized", err)
		}
	})
}

// hangingStore is the real store whose first hang grouped session lookups
// wait until their context ends, as on a connection that stopped
// answering.
type hangingStore struct {
	tuango.Store
	mu   sync.Mutex
	hang int
	end  chan struct{} // closed when the test ends: no hang outlasts it
}

func (h *hangingStore) FindSessionUsers(ctx context.Context, hashes []string, now time.Time) ([]tuango.SessionUser, error) {
	h.mu.Lock()
	hang := h.hang > 0
	h.hang--
	h.mu.Unlock()
	if hang {
		select {
		case <-ctx.Done():
		case <-h.end:
		}
		return nil, context.Canceled
	}
	return h.Store.FindSessionUsers(ctx, hashes, now)
}

// A grouped lookup that hangs fails the requests it serves after the
// group's bound, and the lookups after it are read again: before the
// bound, two hung statements (one per reader goroutine) held every later
// login of the node for as long as the connection hung.
func TestAHungSessionLookupDoesNotHoldTheNextOnes(t *testing.T) {
	defer tuango.SetGroupReadTimeout(100 * time.Millisecond)()
	w := newWorld(t, storetest.DSN(t), 10)
	hs := &hangingStore{Store: w.db.Store(), hang: 2, end: make(chan struct{})}
	node := tuango.NewService(hs, w.clock, nil, nil, nil, tuango.Config{}, nil)
	defer node.Close()
	defer close(hs.end)
	u, token := register(t, w.svc, "13300000021", "password-1")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var hung sync.WaitGroup
	for range 2 { // one per reader goroutine, each its own statement
		hung.Add(1)
		go func() {
			defer hung.Done()
			if _, err := node.Authenticate(ctx, token); tuango.ErrorCode(err) != tuango.CodeUnavailable {
				t.Errorf("Authenticate on a hung lookup = %v, want unavailable", err)
			}
		}()
		time.Sleep(20 * time.Millisecond)
	}
	hung.Wait()
	next, stop := context.WithTimeout(context.Background(), 2*time.Second)
	defer stop()
	if got, err := node.Authenticate(next, token); err != nil || got.ID != u.ID {
		t.Errorf("Authenticate after two hung lookups = %v, %v; want the user", got, err)
	}
}
