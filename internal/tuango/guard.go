package tuango

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"
)

// The block and allow lists. A source on the block list (by an operator,
// or banned by intrusion detection) is refused with 403 banned on every
// node; a source on the allow list is never detected, banned or refused.
const (
	ListBlock = "block"
	ListAllow = "allow"

	// OriginOperator marks a rule an operator made; a detection's rule
	// carries its scenario's name instead.
	OriginOperator = "operator"

	// FirstBan is how long a source's first detection bans it; each
	// repeat within BanMemory doubles it, up to LongestBan.
	FirstBan   = 4 * time.Hour
	LongestBan = 7 * 24 * time.Hour
	BanMemory  = 30 * 24 * time.Hour
)

// CodeBanned is the answer to every request from a banned source.
const CodeBanned = "banned"

// SourceRule is one entry of the block or allow list.
type SourceRule struct {
	ID        string
	List      string // ListBlock or ListAllow
	CIDR      string // canonical: "203.0.113.7/32", "10.0.0.0/8"
	Reason    string
	Origin    string // OriginOperator, or the detection scenario
	CreatedBy string // the operator's user id, "cli", or "ids"
	CreatedAt time.Time
	ExpiresAt time.Time // zero: no end
}

// Live reports whether r is in force at now.
func (r *SourceRule) Live(now time.Time) bool {
	return r.ExpiresAt.IsZero() || now.Before(r.ExpiresAt)
}

// GuardStore keeps the block and allow lists.
type GuardStore interface {
	// BumpGuardVersion counts one change to the lists, and on PostgreSQL
	// holds the counter's row lock to the end of the transaction, so that
	// changes to the lists happen one at a time.
	BumpGuardVersion(ctx context.Context) (int64, error)
	// GuardVersion is the count of changes so far: one row, read by every
	// node every second.
	GuardVersion(ctx context.Context) (int64, error)
	AddSourceRule(ctx context.Context, r *SourceRule) error
	// EndSourceRules ends the live rules of list for cidr at now.
	EndSourceRules(ctx context.Context, list, cidr string, now time.Time) (int, error)
	// FindSourceRules returns the rules of both lists live at now, oldest first.
	FindSourceRules(ctx context.Context, now time.Time) ([]SourceRule, error)
	// CountDetectionBans counts cidr's bans by detection made since since.
	CountDetectionBans(ctx context.Context, cidr string, since time.Time) (int, error)
	// PurgeSourceRules deletes rules that ended before before.
	PurgeSourceRules(ctx context.Context, before time.Time) (int, error)
}

// ParseCIDR reads an address ("203.0.113.7", "2001:db8::1") or a CIDR
// ("10.0.0.0/8") and returns its canonical prefix.
func ParseCIDR(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return netip.Prefix{}, FieldError("cidr", "give an address such as 203.0.113.7 or a range such as 203.0.113.0/24")
	}
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, FieldError("cidr", "%q is not an IP address or a CIDR range such as 203.0.113.0/24", s)
		}
		a = a.Unmap().WithZone("")
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, FieldError("cidr", "%q is not an IP address or a CIDR range such as 203.0.113.0/24", s)
	}
	return p.Masked(), nil
}

// IPv6SourceBits is the length of the prefix one IPv6 client counts as.
const IPv6SourceBits = 64

// SourcePrefix is the range one client holds, as the rate limits,
// detection and its bans count it: an IPv4 address alone, an IPv6 address
// with the rest of its /64 (the least a network gives one subscriber, who
// can move to any of its 2^64 addresses at will).
func SourcePrefix(a netip.Addr) netip.Prefix {
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	p, _ := a.Prefix(IPv6SourceBits) // an invalid a gives the zero prefix
	return p
}

// LimitSource is the key the database's limits count a client address
// under (one-time codes per address, failed sign-ins per account and
// address): an IPv6 address's /64, as SourcePrefix, so that moving
// through the /64 does not reset them; an IPv4 address, or anything that
// is not an address, as it is.
func LimitSource(source string) string {
	a, err := netip.ParseAddr(source)
	if err != nil {
		return source
	}
	if a = a.Unmap(); a.Is4() {
		return a.String()
	}
	return SourcePrefix(a).String()
}

// SourceRuleInput is what an operator gives to add a rule.
type SourceRuleInput struct {
	CIDR      string
	Reason    string
	ExpiresAt time.Time // zero: no end
}

// Check validates in for list at now as AddSourceRule does, without
// adding it.
func (in SourceRuleInput) Check(list string, now time.Time) error {
	if err := checkList(list); err != nil {
		return err
	}
	_, err := in.rule(list, now)
	return err
}

func (in SourceRuleInput) rule(list string, now time.Time) (*SourceRule, error) {
	p, err := ParseCIDR(in.CIDR)
	if err != nil {
		return nil, err
	}
	// A block this wide would shut out most of the internet, operators
	// included: far likelier a typo than an intent.
	if list == ListBlock && (p.Addr().Is4() && p.Bits() < 8 || p.Addr().Is6() && p.Bits() < 16) {
		return nil, FieldError("cidr", "%s is too wide to block (at most /8 for IPv4, /16 for IPv6)", p)
	}
	reason := strings.TrimSpace(in.Reason)
	if reason == "" {
		return nil, FieldError("reason", "say why, so that whoever looks at the list later knows")
	}
	if utf8.RuneCountInString(reason) > 200 {
		return nil, FieldError("reason", "keep the reason to 200 characters")
	}
	if !in.ExpiresAt.IsZero() && !in.ExpiresAt.After(now) {
		return nil, FieldError("expires_at", "the end must be in the future")
	}
	return &SourceRule{List: list, CIDR: p.String(), Reason: reason, Origin: OriginOperator, CreatedAt: now, ExpiresAt: in.ExpiresAt.UTC()}, nil
}

func checkList(list string) error {
	if list != ListBlock && list != ListAllow {
		return FieldError("list", "the list is %q or %q", ListBlock, ListAllow)
	}
	return nil
}

// CLIActor is who acts through tuango block and tuango allow: someone
// with the database's own authority, recorded as "cli".
var CLIActor = Actor{UserID: "cli", Role: RoleAdmin}

// AddSourceRule puts a source on the block or allow list for an operator,
// an admin or the CLI.
func (s *Service) AddSourceRule(ctx context.Context, a Actor, list string, in SourceRuleInput) (*SourceRule, error) {
	if err := checkList(list); err != nil {
		return nil, err
	}
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	by := a.UserID
	now := s.clock.Now()
	r, err := in.rule(list, now)
	if err != nil {
		return nil, err
	}
	r.ID, r.CreatedBy = s.newID("src"), by
	err = s.store.InTx(ctx, func(tx Store) error {
		if _, err := tx.BumpGuardVersion(ctx); err != nil {
			return err
		}
		return tx.AddSourceRule(ctx, r)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// RemoveSourceRules ends every live rule of list for cidr (an operator's
// block and a detection's ban alike); not_found when there is none.
func (s *Service) RemoveSourceRules(ctx context.Context, a Actor, list, cidr string) (int, error) {
	if err := checkList(list); err != nil {
		return 0, err
	}
	if err := a.RequireStaff(); err != nil {
		return 0, err
	}
	p, err := ParseCIDR(cidr)
	if err != nil {
		return 0, err
	}
	n := 0
	err = s.store.InTx(ctx, func(tx Store) error {
		if _, err := tx.BumpGuardVersion(ctx); err != nil {
			return err
		}
		n, err = tx.EndSourceRules(ctx, list, p.String(), s.clock.Now())
		if err == nil && n == 0 {
			return Errorf(CodeNotFound, "%s is not on the %s list", p, list)
		}
		return err
	})
	return n, err
}

// ListSourceRules returns list's live rules, oldest first.
func (s *Service) ListSourceRules(ctx context.Context, a Actor, list string) ([]SourceRule, error) {
	if err := checkList(list); err != nil {
		return nil, err
	}
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	all, err := s.store.FindSourceRules(ctx, s.clock.Now())
	if err != nil {
		return nil, err
	}
	out := []SourceRule{}
	for _, r := range all {
		if r.List == list {
			out = append(out, r)
		}
	}
	return out, nil
}

// LiveSourceRules returns the lists' change count and their live rules:
// what a node enforces.
func (s *Service) LiveSourceRules(ctx context.Context) (int64, []SourceRule, error) {
	v, err := s.store.GuardVersion(ctx)
	if err != nil {
		return 0, nil, err
	}
	rs, err := s.store.FindSourceRules(ctx, s.clock.Now())
	return v, rs, err
}

// GuardVersion returns the lists' change count, cheaply.
func (s *Service) GuardVersion(ctx context.Context) (int64, error) {
	return s.store.GuardVersion(ctx)
}

// BanDuration is how long a source's ban lasts when it has been banned by
// detection prior times within BanMemory: FirstBan, doubled per repeat, at
// most LongestBan.
func BanDuration(prior int) time.Duration {
	d := FirstBan
	for i := 0; i < prior && d < LongestBan; i++ {
		d *= 2
	}
	return min(d, LongestBan)
}

// BanSource bans addr after a detection by scenario: the one place where
// a source is banned automatically (the audit log records bans here). It
// bans addr's SourcePrefix (an IPv4 address, an IPv6 address's /64); addr
// is the address seen, or that prefix itself. A source with a live ban
// keeps it (two nodes detecting it at once ban it once); an address on the
// allow list is not banned. It reports the ban in force and whether this
// call made it.
func (s *Service) BanSource(ctx context.Context, addr, scenario, detail string) (*SourceRule, bool, error) {
	p, err := ParseCIDR(addr)
	if err != nil {
		return nil, false, err
	}
	seen := p.Addr()
	single := p.Bits() == seen.BitLen()
	src := SourcePrefix(seen)
	if !single && p != src {
		return nil, false, FieldError("cidr", "detection bans one source (an IPv4 address, or an IPv6 address's /64), not %s", p)
	}
	now := s.clock.Now()
	var ban *SourceRule
	made := false
	err = s.store.InTx(ctx, func(tx Store) error {
		if _, err := tx.BumpGuardVersion(ctx); err != nil {
			return err
		}
		live, err := tx.FindSourceRules(ctx, now)
		if err != nil {
			return err
		}
		// An allow rule for an address inside the range does not stop
		// the ban: it goes on winning for that address, as every allow
		// rule does over every block.
		for _, r := range live {
			q, err := netip.ParsePrefix(r.CIDR)
			if err != nil || !q.Contains(seen) {
				continue
			}
			if r.List == ListAllow {
				return Errorf(CodeConflict, "%s is on the allow list", seen)
			}
			if r.CIDR == src.String() {
				ban = &r
			}
		}
		if ban != nil {
			return nil
		}
		prior, err := tx.CountDetectionBans(ctx, src.String(), now.Add(-BanMemory))
		if err != nil {
			return err
		}
		reason := fmt.Sprintf("detected: %s", scenario)
		if single && src.Bits() != seen.BitLen() {
			reason += " from " + seen.String()
		}
		if detail != "" {
			reason = truncate(reason+" ("+detail+")", 200)
		}
		ban = &SourceRule{ID: s.newID("src"), List: ListBlock, CIDR: src.String(), Reason: reason, Origin: scenario, CreatedBy: "ids",
			CreatedAt: now, ExpiresAt: now.Add(BanDuration(prior))}
		made = true
		if err := tx.AddSourceRule(ctx, ban); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, AuditRecord{Kind: AuditBan, Subject: "ip:" + src.String(), At: now,
			Detail: auditDetail(map[string]string{"scenario": scenario, "reason": reason, "expires_at": ban.ExpiresAt.UTC().Format(time.RFC3339)})})
	})
	if err != nil {
		return nil, false, err
	}
	return ban, made, nil
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// PurgeSourceRules forgets rules that ended longer ago than BanMemory.
func (s *Service) PurgeSourceRules(ctx context.Context) (int, error) {
	return s.store.PurgeSourceRules(ctx, s.clock.Now().Add(-BanMemory))
}
