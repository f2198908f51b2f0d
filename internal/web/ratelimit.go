package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"tuango/internal/tuango"
)

// clientAddr is the address the request came from: the connection's, or,
// when the connection is from a configured trusted proxy, the last address
// in X-Forwarded-For that is not itself a trusted proxy. No address is
// exempt from any limit.
func (s *Server) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !s.trusted(addr) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !s.trusted(hop) {
			return hop.Unmap().String()
		}
	}
	return host
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// windowLimiter allows at most n events per key per window, counted on
// this node: for limits where a node's own count is enough (how many codes
// one address asks for); the per-account login limits are in the database.
type windowLimiter struct {
	n      int
	window time.Duration
	mu     sync.Mutex
	seen   map[string][]time.Time
}

func newWindowLimiter(n int, window time.Duration) *windowLimiter {
	return &windowLimiter{n: n, window: window, seen: map[string][]time.Time{}}
}

// allow records an event for key at now, or returns how long to wait.
func (l *windowLimiter) allow(key string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.seen) > 100_000 { // bounded memory under a flood of sources
		l.seen = map[string][]time.Time{}
	}
	kept := l.seen[key][:0]
	for _, t := range l.seen[key] {
		if now.Sub(t) < l.window {
			kept = append(kept, t)
		}
	}
	if len(kept) >= l.n {
		l.seen[key] = kept
		return kept[0].Add(l.window).Sub(now), false
	}
	l.seen[key] = append(kept, now)
	return 0, true
}

// codesPerAddress is how many one-time codes one address may ask for per hour.
const codesPerAddress = 10

func (s *Server) allowCodeRequest(r *http.Request) error {
	if wait, ok := s.codeLimit.allow(s.clientAddr(r), s.svc.Clock().Now()); !ok {
		return &tuango.Error{Code: tuango.CodeTooManyAttempts, RetryAfter: wait, Message: "too many codes asked for from here; try again later"}
	}
	return nil
}
