package tuango

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Apology coupons. After an incident the operator gives one coupon to
// every customer whose order failed or was delayed by it, found from the
// data, never typed in:
//
//   - failed: an order or payment request of theirs was answered 5xx
//     during the incident's window. While the database is down such a
//     request leaves no row, so each node notes the request's user (or
//     session token, when even the session could not be read) in a
//     bounded buffer in memory (NoteOrderFailure), and a sweep on every
//     node writes the buffer to order_failures once the database answers
//     (FlushOrderFailures). What a node killed before its flush noted is
//     lost.
//   - delayed: an order of theirs whose payment deadline fell in the
//     window expired unpaid.
//
// Both are limited to the incident's cities (a customer of a city as for
// announcements: home pickup point there, or an order there within
// AudienceDays), every city when none is named. A failed customer of no
// city at all (no home point, no recent order: a newcomer whose first
// order failed) counts for every incident, since nothing says where they
// were buying. One coupon is made per
// incident, and each customer holds it once, so a second call issues
// nothing more.

// ApologySpec is the coupon an incident's customers get.
type ApologySpec struct {
	AmountOffFen, MinSpendFen Fen
	ValidDays                 int
}

// OrderFailure is one customer's order requests refused for want of the
// database, as noted by one node: the first one's time and how many.
type OrderFailure struct {
	ID        string
	UserID    string
	TokenHash string // when the user was not known (the session could not be read)
	At        time.Time
	Attempts  int
}

// ApologyFilter selects an incident's customers.
type ApologyFilter struct {
	From, To    time.Time
	Cities      []string
	OrderedFrom time.Time
}

// MaxNotedFailures bounds the failures one node holds in memory: each is
// one user (or session), so this many customers at least are kept.
const MaxNotedFailures = 20_000

// failureBuffer is a node's unflushed failures, one per user or session.
type failureBuffer struct {
	mu      sync.Mutex
	m       map[string]*OrderFailure
	dropped int
}

// NoteOrderFailure notes that an order request with a session token was
// answered 5xx: in memory only, for FlushOrderFailures.
func (s *Service) NoteOrderFailure(token string) {
	if token == "" || len(token) > 100 {
		return
	}
	hash, now := hashToken(token), s.clock.Now()
	key, f := "t:"+hash, OrderFailure{TokenHash: hash}
	if u, ok := s.sessions.get(hash, now); ok {
		key, f = "u:"+u.ID, OrderFailure{UserID: u.ID}
	}
	b := &s.failures
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[string]*OrderFailure{}
	}
	if e, ok := b.m[key]; ok {
		e.Attempts++
		return
	}
	if len(b.m) >= MaxNotedFailures {
		b.dropped++
		return
	}
	f.ID, f.At, f.Attempts = s.newID("ofl"), now, 1
	b.m[key] = &f
}

// NotedFailures reports how many failures this node holds unflushed, and
// how many it dropped because its buffer was full.
func (s *Service) NotedFailures() (held, dropped int) {
	s.failures.mu.Lock()
	defer s.failures.mu.Unlock()
	return len(s.failures.m), s.failures.dropped
}

// FlushOrderFailures writes this node's noted failures to the database
// and forgets them; those it cannot write stay for the next flush. It
// reports how many it wrote.
func (s *Service) FlushOrderFailures(ctx context.Context) (int, error) {
	b := &s.failures
	b.mu.Lock()
	taken := b.m
	b.m = nil
	b.mu.Unlock()
	if len(taken) == 0 {
		return 0, nil
	}
	var rows []OrderFailure
	for k, f := range taken {
		if f.UserID == "" {
			sess, err := s.store.FindSession(ctx, f.TokenHash, f.At)
			if IsNotFound(err) { // the token was no session: nobody to apologise to
				delete(taken, k)
				continue
			}
			if err != nil {
				s.putBackFailures(taken)
				return 0, err
			}
			f.UserID = sess.UserID
		}
		rows = append(rows, *f)
	}
	if err := s.store.AddOrderFailures(ctx, rows); err != nil {
		s.putBackFailures(taken)
		return 0, err
	}
	return len(rows), nil
}

// putBackFailures returns failures that could not be written to the
// buffer, merged with any noted since (the earlier one's id and time win).
func (s *Service) putBackFailures(taken map[string]*OrderFailure) {
	b := &s.failures
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[string]*OrderFailure{}
	}
	for k, f := range taken {
		if e, ok := b.m[k]; ok {
			e.ID, e.At, e.Attempts = f.ID, f.At, e.Attempts+f.Attempts
		} else {
			b.m[k] = f
		}
	}
}

// apologyName is the name of every apology coupon, as customers see it.
const apologyName = "服务故障致歉券"

// IssueApologyCoupons issues one coupon to each customer whose order
// failed or was delayed by an incident between from and to in the given
// cities (every city when none), once per incident, and reports how many
// it issued now.
func (s *Service) IssueApologyCoupons(ctx context.Context, incidentID string, from, to time.Time, cities []string, spec ApologySpec) (int, error) {
	if incidentID == "" || len(incidentID) > 100 || strings.ContainsAny(incidentID, " \t\r\n") {
		return 0, FieldError("incident_id", "is required: an incident's id")
	}
	if from.IsZero() || !from.Before(to) {
		return 0, FieldError("to", "the incident's window must end after it starts")
	}
	if spec.ValidDays < 1 || spec.ValidDays > 365 {
		return 0, FieldError("valid_days", "must be between 1 and 365")
	}
	for _, c := range cities {
		if err := checkID("cities", c); err != nil {
			return 0, err
		}
	}
	now := s.clock.Now()
	c := &Coupon{ID: "cpn_apology_" + url.PathEscape(incidentID), Name: apologyName, Kind: CouponThreshold, AmountOffFen: spec.AmountOffFen,
		MinSpendFen: spec.MinSpendFen, ValidFrom: now, ValidTo: now.AddDate(0, 0, spec.ValidDays), CreatedBy: "incident:" + incidentID, CreatedAt: now}
	if err := c.Validate(); err != nil {
		return 0, err
	}
	if _, err := s.store.FindCouponByID(ctx, c.ID); IsNotFound(err) {
		if err := s.store.CreateCoupon(ctx, c); err != nil && ErrorCode(err) != CodeConflict {
			return 0, err
		}
	} else if err != nil {
		return 0, err
	}
	users, err := s.store.FindApologyCustomers(ctx, ApologyFilter{From: Truncate(from), To: Truncate(to), Cities: cities, OrderedFrom: from.AddDate(0, 0, -AudienceDays)})
	if err != nil {
		return 0, err
	}
	cs := make([]*CustomerCoupon, len(users))
	for i, u := range users {
		cs[i] = &CustomerCoupon{ID: s.newID("ucp"), CouponID: c.ID, UserID: u, Status: CouponAvailable, IssuedAt: now}
	}
	n := 0
	for len(cs) > 0 {
		part := cs[:min(len(cs), 500)]
		cs = cs[len(part):]
		m := 0
		err := s.store.InTx(ctx, func(tx Store) error {
			var err error
			m, err = tx.IssueCoupons(ctx, part)
			return err
		})
		if err != nil {
			return n, err
		}
		n += m
	}
	s.log.Info("apology coupons issued", "incident", incidentID, "coupon", c.ID, "customers", len(users), "issued", n)
	return n, nil
}
