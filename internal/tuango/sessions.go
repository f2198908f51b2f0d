package tuango

import (
	"sync"
	"time"
)

// SessionCacheTTL is how long a node trusts a session it has looked up
// without asking the database again. Every authenticated request needs
// its user, and under a flash sale that lookup was a quarter of the
// server's CPU. The TTL counts from when the lookup began, so a session
// ended anywhere (logout, password change, account disabled) stops
// working on every node within it; on the node that ended it, at once.
const SessionCacheTTL = time.Second

// sessionTouchEvery is how stale a session's last use may be before a
// lookup writes it again: the idle timeout is kept to within this, for one
// write per session per interval instead of one per request.
const sessionTouchEvery = time.Minute

// maxCachedSessions bounds the cache; past it, it starts again empty.
const maxCachedSessions = 100_000

// SessionPolicy is how long a session lasts: at most Max from login, and
// Idle from its last use (0 for either: the default).
type SessionPolicy struct {
	Idle, Max time.Duration
}

// policy returns the session timeouts for role.
func (s *Service) policy(role Role) SessionPolicy {
	p, def := s.cfg.Sessions, SessionPolicy{Idle: SessionIdle, Max: SessionTTL}
	if role.IsStaff() {
		p, def = s.cfg.StaffSessions, SessionPolicy{Idle: StaffSessionIdle, Max: StaffSessionTTL}
	}
	if p.Idle <= 0 {
		p.Idle = def.Idle
	}
	if p.Max <= 0 {
		p.Max = def.Max
	}
	return p
}

type sessionCache struct {
	mu sync.Mutex
	m  map[string]cachedSession
	// gen counts the forgets: a lookup that began before one does not put
	// what it read, which may be the session just ended, into the cache.
	gen uint64
}

type cachedSession struct {
	user  User
	until time.Time
}

func (c *sessionCache) get(tokenHash string, now time.Time) (*User, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[tokenHash]
	if !ok || !now.Before(e.until) {
		return nil, false
	}
	u := e.user // a copy: callers may change theirs
	return &u, true
}

// generation returns the count of forgets, read before a lookup.
func (c *sessionCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put caches u for a lookup that began at began, when gen was the count of
// forgets, unless something was forgotten since.
func (c *sessionCache) put(tokenHash string, u *User, began time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if c.m == nil || len(c.m) >= maxCachedSessions {
		c.m = map[string]cachedSession{}
	}
	c.m[tokenHash] = cachedSession{user: *u, until: began.Add(SessionCacheTTL)}
}

func (c *sessionCache) forgetToken(tokenHash string) {
	c.mu.Lock()
	c.gen++
	delete(c.m, tokenHash)
	c.mu.Unlock()
}

// forgetUser drops every cached session of a user whose account changed.
func (c *sessionCache) forgetUser(userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for k, e := range c.m {
		if e.user.ID == userID {
			delete(c.m, k)
		}
	}
}
