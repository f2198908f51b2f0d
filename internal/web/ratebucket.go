package web

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate is one token bucket's shape: PerSecond tokens added each second,
// up to Burst. A zero PerSecond means no limit.
type Rate struct {
	PerSecond float64
	Burst     int
}

// RateLimits are the token buckets every request passes: a signed-in
// request spends from its account's bucket only (so that a neighbourhood
// behind one NAT is not limited by its neighbours), an anonymous one from
// its address's, and the sign-in routes also from their address's Auth
// bucket. The buckets are per node (see docs/security.md).
type RateLimits struct {
	Account, IP, Auth Rate
}

// DefaultRateLimits are serve's and demo's: far above what a person on a
// phone does, even in a flash sale, and below what one client can send.
var DefaultRateLimits = RateLimits{Account: Rate{20, 60}, IP: Rate{50, 200}, Auth: Rate{20, 200}}

// ParseRateLimits reads "off", or "account=R:B,ip=R:B,auth=R:B" (R per
// second, B the burst; a bucket left out keeps its default, R 0 turns it off).
func ParseRateLimits(s string) (RateLimits, error) {
	s = strings.TrimSpace(s)
	if s == "off" || s == "0" {
		return RateLimits{}, nil
	}
	l := DefaultRateLimits
	if s == "" {
		return l, nil
	}
	for _, part := range strings.Split(s, ",") {
		name, spec, ok := strings.Cut(strings.TrimSpace(part), "=")
		rs, bs, ok2 := strings.Cut(spec, ":")
		r, err1 := strconv.ParseFloat(rs, 64)
		b, err2 := strconv.Atoi(bs)
		if !ok || !ok2 || err1 != nil || err2 != nil || r < 0 || math.IsInf(r, 0) || math.IsNaN(r) || b < 1 && r > 0 {
			return l, fmt.Errorf("%q: want NAME=RATE:BURST, such as account=20:60 (RATE per second, BURST at least 1), or off", part)
		}
		switch name {
		case "account":
			l.Account = Rate{r, b}
		case "ip":
			l.IP = Rate{r, b}
		case "auth":
			l.Auth = Rate{r, b}
		default:
			return l, fmt.Errorf("%q: the buckets are account, ip and auth", name)
		}
	}
	return l, nil
}

// buckets is one kind of token bucket, one per key, in two generations
// swapped every minute, so that idle keys are dropped and memory stays
// bounded (a key idle for a minute has refilled anyway, unless its burst
// takes longer to refill: then forgetting it only forgives it early).
type buckets struct {
	name      string
	rate      Rate
	mu        sync.Mutex
	cur, prev map[string]*rate.Limiter
	swapped   time.Time
}

const maxBuckets = 200_000

func newBuckets(name string, r Rate) *buckets {
	if r.PerSecond <= 0 {
		return nil
	}
	return &buckets{name: name, rate: r, cur: map[string]*rate.Limiter{}, prev: map[string]*rate.Limiter{}}
}

// verdict is what a bucket said of one request.
type verdict struct {
	b         *buckets
	ok        bool
	remaining int
	wait      time.Duration // until a token is there again, when !ok
	full      time.Duration // until the bucket is full again
}

func (b *buckets) take(key string, now time.Time) verdict {
	b.mu.Lock()
	if now.Sub(b.swapped) > time.Minute || len(b.cur) >= maxBuckets {
		b.prev, b.cur, b.swapped = b.cur, map[string]*rate.Limiter{}, now
	}
	l := b.cur[key]
	if l == nil {
		if l = b.prev[key]; l == nil {
			l = rate.NewLimiter(rate.Limit(b.rate.PerSecond), b.rate.Burst)
		}
		b.cur[key] = l
	}
	b.mu.Unlock()
	ok := l.AllowN(now, 1)
	tokens := l.TokensAt(now)
	v := verdict{b: b, ok: ok, remaining: max(0, int(math.Floor(tokens)))}
	v.full = time.Duration((float64(b.rate.Burst) - tokens) / b.rate.PerSecond * float64(time.Second))
	if !ok {
		v.wait = time.Duration((1 - tokens) / b.rate.PerSecond * float64(time.Second))
	}
	return v
}

func ceilSeconds(d time.Duration) int64 { return int64(math.Ceil(d.Seconds() - 1e-9)) }

// policy is the bucket as draft-ietf-httpapi-ratelimit-headers-10 writes
// a quota policy: q units per window of w seconds (the time to refill a
// whole burst).
func (b *buckets) policy() string {
	w := max(1, int64(math.Ceil(float64(b.rate.Burst)/b.rate.PerSecond)))
	return fmt.Sprintf("%q;q=%d;w=%d", b.name, b.rate.Burst, w)
}

// setHeaders writes RateLimit-Policy and RateLimit for the buckets a
// request spent from, and Retry-After when one refused it.
func setRateHeaders(h http.Header, vs []verdict) {
	var pol, cur []string
	for _, v := range vs {
		pol = append(pol, v.b.policy())
		cur = append(cur, fmt.Sprintf("%q;r=%d;t=%d", v.b.name, v.remaining, max(0, ceilSeconds(v.full))))
		if !v.ok {
			h.Set("Retry-After", strconv.FormatInt(max(1, ceilSeconds(v.wait)), 10))
		}
	}
	h.Set("RateLimit-Policy", strings.Join(pol, ", "))
	h.Set("RateLimit", strings.Join(cur, ", "))
}

// bucketLimits holds the three kinds of bucket.
type bucketLimits struct {
	account, ip, auth *buckets
}

func newBucketLimits(l RateLimits) *bucketLimits {
	return &bucketLimits{account: newBuckets("account", l.Account), ip: newBuckets("ip", l.IP), auth: newBuckets("auth", l.Auth)}
}

// isAuthRoute reports whether r signs in, registers or asks for a code:
// the routes an attacker without an account hammers.
func isAuthRoute(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	switch r.URL.Path {
	case "/login", "/register", "/api/v1/auth/login", "/api/v1/auth/register", "/api/v1/auth/codes", "/api/v1/auth/password":
		return true
	}
	return false
}

// check spends from the buckets r falls under: its account's when signed
// in, else its source group's (an IPv6 address's /64; not for an
// allow-listed address), and the auth bucket on the sign-in routes. It
// returns the verdicts, the last one refusing when the request may not go
// on.
func (l *bucketLimits) check(r *http.Request, account string, src source, now time.Time) ([]verdict, bool) {
	var vs []verdict
	if account != "" && l.account != nil {
		vs = append(vs, l.account.take(account, now))
	} else if account == "" && l.ip != nil && !src.allowed {
		vs = append(vs, l.ip.take(src.group, now))
	}
	if len(vs) > 0 && !vs[0].ok {
		return vs, false
	}
	if l.auth != nil && !src.allowed && isAuthRoute(r) {
		v := l.auth.take(src.group, now)
		vs = append(vs, v)
		if !v.ok {
			return vs, false
		}
	}
	return vs, true
}
