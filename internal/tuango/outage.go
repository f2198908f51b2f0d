package tuango

import (
	"context"
	"time"
)

// CodePaymentUnavailable refuses to start a payment while the payment
// provider is failing (its circuit breaker is open): the order stays
// unpaid and its deadline is held, so the customer pays later.
const CodePaymentUnavailable = "payment_unavailable"

// OutageLapse is how long an open outage lasts without a node saying it
// still sees the provider failing; then it ends at its last sighting.
// Nodes report every few seconds (see jobs.WatchProvider).
const OutageLapse = time.Minute

// ProviderOutage is a span in which a payment provider failed, as the
// nodes that saw it recorded it. EndedAt is zero while it is open.
type ProviderOutage struct {
	ID        string
	Provider  string
	StartedAt time.Time // the first failure of the streak that opened a breaker
	SeenAt    time.Time // the latest time a node reported it failing
	EndedAt   time.Time
	OpenedBy  string // the node that opened it
	EndedBy   string // the node that saw the provider answer again, or "lapsed"
}

// Open reports whether the outage had not ended at now: not ended, and
// seen within OutageLapse.
func (o ProviderOutage) Open(now time.Time) bool {
	return o.EndedAt.IsZero() && now.Sub(o.SeenAt) <= OutageLapse
}

// ProviderState is what a provider behind a circuit breaker knows of its
// own health on this node.
type ProviderState struct {
	// Down is true while calls are refused without being tried (the
	// breaker is open) or only probed (half-open).
	Down bool
	// Refusing is true while calls are refused without being tried (open);
	// half-open lets a call through to probe the provider.
	Refusing bool
	// FailingSince is the first failure of the current streak; zero when
	// the last call succeeded.
	FailingSince time.Time
	// LastOK is the last time a call succeeded on this node.
	LastOK time.Time
	// RetryAfter is how long until the breaker tries the provider again.
	RetryAfter time.Duration
}

// ProviderHealth is a payment provider that knows whether it is failing,
// such as one wrapped in a circuit breaker (payment.Breaker).
type ProviderHealth interface {
	Health() ProviderState
}

// PaymentState reports this node's view of the payment provider; a
// provider without a breaker is always up.
func (s *Service) PaymentState() ProviderState {
	if h, ok := s.provider.(ProviderHealth); ok {
		return h.Health()
	}
	return ProviderState{}
}

// paymentUnavailable is the refusal given while the provider is down.
func paymentUnavailable(retry time.Duration) *Error {
	if retry < time.Second {
		retry = time.Second
	}
	return &Error{Code: CodePaymentUnavailable, RetryAfter: retry,
		Message: "payment is unavailable for a moment because the payment provider is not answering; your order is kept and its payment deadline is extended, so try again shortly"}
}

// ReportProvider records this node's view of the payment provider: a
// failing provider opens (or keeps fresh) its outage; a provider that
// answered after the outage was last seen failing ends it. node names this
// node. It is called every few seconds on every node.
func (s *Service) ReportProvider(ctx context.Context, node string) error {
	st := s.PaymentState()
	name := s.provider.Name()
	now := s.clock.Now()
	if st.Down {
		since := st.FailingSince
		if since.IsZero() || since.After(now) {
			since = now
		}
		return s.store.MarkProviderDown(ctx, &ProviderOutage{ID: s.newID("out"), Provider: name, StartedAt: since, SeenAt: now, OpenedBy: node})
	}
	if st.LastOK.IsZero() {
		return nil
	}
	_, err := s.store.EndProviderOutage(ctx, name, node, st.LastOK)
	return err
}

// FindProviderOutages lists the payment provider's outages open or ended
// since the given time, the latest first.
func (s *Service) FindProviderOutages(ctx context.Context, since time.Time) ([]ProviderOutage, error) {
	return s.store.FindProviderOutages(ctx, s.provider.Name(), since)
}

// holdDeadlines extends the payment deadlines that fall in an outage of
// the payment provider, so that nobody's order expires because payment
// was impossible. While an outage is open, each unpaid order whose
// deadline fell after the outage began and comes within half an order
// timeout is moved to now plus an order timeout; once it has ended, those
// whose deadline fell inside it are moved to its end plus an order
// timeout. Neither goes past the order's deals' sale end: an order unpaid
// at cutoff is not shipped, outage or not. It runs in the expiry sweep,
// before anything expires, and reports how many deadlines it moved.
func (s *Service) holdDeadlines(ctx context.Context, now time.Time) (int, error) {
	name := s.provider.Name()
	if _, err := s.store.LapseProviderOutages(ctx, name, now.Add(-OutageLapse)); err != nil {
		return 0, err
	}
	outages, err := s.store.FindProviderOutages(ctx, name, now.Add(-2*s.cfg.OrderTimeout))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range outages {
		from, to, until := o.StartedAt, o.EndedAt, o.EndedAt.Add(s.cfg.OrderTimeout)
		if o.EndedAt.IsZero() {
			to, until = now.Add(s.cfg.OrderTimeout/2), now.Add(s.cfg.OrderTimeout)
		}
		moved, err := s.store.ExtendPaymentDeadlines(ctx, from, to, until)
		if err != nil {
			return n, err
		}
		n += moved
	}
	if n > 0 {
		s.log.InfoContext(ctx, "payment provider outage: extended unpaid orders' deadlines", "provider", name, "orders", n)
	}
	return n, nil
}
