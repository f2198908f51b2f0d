package web

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"tuango/internal/tuango"
)

// guardRefresh is how stale a node's copy of the block and allow lists may
// get: a ban made on any node is enforced on every node within it (plus
// one query). Each refresh reads one row, the lists' change count, and
// reloads the lists only when it moved.
const guardRefresh = 500 * time.Millisecond

// guardRule is one live rule as a node enforces it.
type guardRule struct {
	prefix  netip.Prefix
	expires time.Time // zero: no end
}

type guardSet struct {
	version int64
	blocks  []guardRule
	allows  []guardRule
}

// guardLists is a node's copy of the block and allow lists.
type guardLists struct {
	set     atomic.Pointer[guardSet]
	checked atomic.Int64 // monotonic nanoseconds of the last refresh (or try)
	mu      sync.Mutex   // one refresh at a time
	epoch   time.Time
}

func newGuardLists() *guardLists {
	g := &guardLists{epoch: time.Now()}
	g.set.Store(&guardSet{version: -1})
	g.checked.Store(-int64(time.Hour))
	return g
}

// current returns the lists no older than guardRefresh: a request that
// finds them stale refreshes them first (others wait for it, a moment).
// When the database cannot be read, the last copy goes on being enforced.
func (g *guardLists) current(ctx context.Context, svc *tuango.Service) *guardSet {
	if time.Since(g.epoch)-time.Duration(g.checked.Load()) < guardRefresh {
		return g.set.Load()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if time.Since(g.epoch)-time.Duration(g.checked.Load()) < guardRefresh {
		return g.set.Load()
	}
	defer func() { g.checked.Store(int64(time.Since(g.epoch))) }()
	// Short: a database that does not answer must not hold requests up;
	// the last copy is enforced meanwhile.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 100*time.Millisecond)
	defer cancel()
	old := g.set.Load()
	v, err := svc.GuardVersion(ctx)
	if err != nil || v == old.version {
		return old
	}
	v, rules, err := svc.LiveSourceRules(ctx)
	if err != nil {
		return old
	}
	next := &guardSet{version: v}
	for _, r := range rules {
		p, err := netip.ParsePrefix(r.CIDR)
		if err != nil {
			continue
		}
		gr := guardRule{prefix: p, expires: r.ExpiresAt}
		if r.List == tuango.ListAllow {
			next.allows = append(next.allows, gr)
		} else {
			next.blocks = append(next.blocks, gr)
		}
	}
	g.set.Store(next)
	return next
}

// stale makes the next request reload the lists: after this node banned.
func (g *guardLists) stale() { g.checked.Store(-int64(time.Hour)) }

func matches(rules []guardRule, a netip.Addr, now time.Time) bool {
	for _, r := range rules {
		if (r.expires.IsZero() || now.Before(r.expires)) && r.prefix.Contains(a) {
			return true
		}
	}
	return false
}

// allowed reports whether a is on the allow list at now.
func (gs *guardSet) allowed(a netip.Addr, now time.Time) bool { return matches(gs.allows, a, now) }

// blocked reports whether a is refused at now: on the block list and not
// on the allow list.
func (gs *guardSet) blocked(a netip.Addr, now time.Time) bool {
	return matches(gs.blocks, a, now) && !matches(gs.allows, a, now)
}

// bannedBody is the whole answer to a banned source: nothing that helps
// it tell why, since when or until when.
// A person on a page (often one of many behind a carrier's shared
// address) gets the same in a few fixed words of both languages, still
// nothing rendered for them.
var (
	bannedBody = []byte(`{"status":403,"code":"banned"}` + "\n")
	bannedPage = []byte(`<!doctype html><html lang="zh-CN"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
		`<title>暂时无法访问 · Access refused</title><p>暂时无法从这个网络访问，请稍后再试。</p><p lang="en">tuango cannot be reached from this network for now; please try again later.</p></html>` + "\n")
)

func writeBanned(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusForbidden)
		w.Write(bannedBody)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusForbidden)
	w.Write(bannedPage)
}

// source is where a request came from, as the limits and the lists see it.
type source struct {
	addr netip.Addr
	text string // the address, as logs and the audit log show it
	// group is what the per-address limits and detection count the
	// source as: its tuango.SourcePrefix, an IPv6 address's /64, so that
	// a client cannot escape them by moving to another of its addresses.
	group   string
	allowed bool
}

// refuseBanned answers 403 banned to a source on the block list, before
// anything else is done for it, and otherwise says where the request is
// from.
func (s *Server) refuseBanned(w http.ResponseWriter, r *http.Request) (source, bool) {
	text := s.clientAddr(r)
	a, err := netip.ParseAddr(text)
	if err != nil {
		return source{text: text, group: text}, false
	}
	a = a.Unmap()
	gs := s.guard.current(r.Context(), s.svc)
	now := s.svc.Clock().Now()
	if gs.blocked(a, now) {
		writeBanned(w, r)
		return source{}, true
	}
	return source{addr: a, text: a.String(), group: tuango.SourcePrefix(a).String(), allowed: gs.allowed(a, now)}, false
}

// ban bans a source after a detection, on every node: this one at once,
// the others at their next refresh. BanSource bans its group, the range
// the detection counted, naming the address seen.
func (s *Server) ban(ctx context.Context, src source, scenario, detail string) {
	ban, made, err := s.svc.BanSource(context.WithoutCancel(ctx), src.text, scenario, detail)
	if err != nil {
		if tuango.ErrorCode(err) != tuango.CodeConflict { // on the allow list: not banned, rightly
			s.log.WarnContext(ctx, "ban failed", "source", src.text, "scenario", scenario, "err", err)
		}
		return
	}
	s.guard.stale()
	if made {
		s.log.WarnContext(ctx, "source banned", "source", src.text, "cidr", ban.CIDR, "scenario", scenario, "detail", detail, "until", ban.ExpiresAt)
	}
}
