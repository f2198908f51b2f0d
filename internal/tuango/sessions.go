package tuango

import (
	"sync"
	"time"
)

// SessionCacheTTL is how long a node trusts a session it has looked up
// without asking the database again. Every authenticated request needs
// its user, and under a flash sale that lookup was a quarter of the
// server's CPU. A logout or a change to the user on this node takes effect
// at once; on other nodes, and a session's own expiry, within the TTL.
const SessionCacheTTL = 2 * time.Second

// maxCachedSessions bounds the cache; past it, it starts again empty.
const maxCachedSessions = 100_000

type sessionCache struct {
	mu sync.Mutex
	m  map[string]cachedSession
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

func (c *sessionCache) put(tokenHash string, u *User, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedSessions {
		c.m = map[string]cachedSession{}
	}
	c.m[tokenHash] = cachedSession{user: *u, until: now.Add(SessionCacheTTL)}
}

func (c *sessionCache) forgetToken(tokenHash string) {
	c.mu.Lock()
	delete(c.m, tokenHash)
	c.mu.Unlock()
}

// forgetUser drops every cached session of a user whose account changed.
func (c *sessionCache) forgetUser(userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.m {
		if e.user.ID == userID {
			delete(c.m, k)
		}
	}
}
