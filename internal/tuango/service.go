package tuango

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Config holds the business settings of a Service.
type Config struct {
	// OrderTimeout is how long an order may stay unpaid.
	OrderTimeout time.Duration
	// FlashOrderTimeout is how long an order with a line of a flash deal
	// may stay unpaid; 0 is DefaultFlashOrderTimeout, and an order never
	// waits longer than OrderTimeout.
	FlashOrderTimeout time.Duration
	// BatchMax is the most orders group commit puts in one transaction;
	// 1 places each order in its own transaction.
	BatchMax int
	// BatchWindow is how long a batch waits for more orders after its
	// first; 0 takes whatever is queued when the writer is free.
	BatchWindow time.Duration
	// ReconcileAfter is how long to wait for a payment's notification
	// before asking the provider.
	ReconcileAfter time.Duration
	// PickupWindow is how long an arrived order waits for its customer
	// before it becomes unclaimed.
	PickupWindow time.Duration
	// CutoffChunk is how many paid orders one cutoff transaction
	// confirms; 0 is DefaultCutoffChunk.
	CutoffChunk int
	// AfterSalesAutoFen is the largest after-sales refund approved
	// without an operator; 0 means DefaultAfterSalesAutoFen, negative none.
	AfterSalesAutoFen Fen
	// MaxUnpaidOrders is how many orders awaiting payment a customer may
	// hold at once, so that fresh accounts cannot hoard a flash deal's
	// stock; 0 lifts the cap (serve's default is DefaultMaxUnpaidOrders).
	MaxUnpaidOrders int
	// WebhooksAllowPrivate lets webhooks go to loopback and private
	// addresses (tests, and a receiver inside the operator's network).
	WebhooksAllowPrivate bool
	// Sessions are the session timeouts for customers, leaders and
	// suppliers; StaffSessions for operators and admins. Zero fields take
	// the defaults (SessionIdle, SessionTTL; StaffSessionIdle,
	// StaffSessionTTL).
	Sessions, StaffSessions SessionPolicy
	// CodesPerPhone and CodesPerSource are how many one-time codes may be
	// sent to one phone, and asked for from one address, per CodeWindow;
	// 0 lifts the limit (serve's defaults are DefaultCodesPerPhone and
	// DefaultCodesPerSource; load tests lift them).
	CodesPerPhone, CodesPerSource int
}

// DefaultMaxUnpaidOrders is serve's cap on a customer's unpaid orders.
const DefaultMaxUnpaidOrders = 5

// Service is tuango's use cases. It is safe for concurrent use; it holds no
// state that another node needs.
type Service struct {
	store    Store
	clock    Clock
	newID    IDGen
	hasher   PasswordHasher
	provider PaymentProvider
	payouts  PayoutProvider // nil: payouts wait
	sender   Sender         // nil: notifications reach the inbox only
	texts    Texts          // nil: the sender gets a message's stored text
	obs      Observer
	cfg      Config
	log      *slog.Logger

	mu       sync.Mutex
	inflight map[IdemKey]bool // idempotency keys being executed on this node
	batch    *batcher         // nil when group commit is off
	soldOut  soldOut
	keys     *groupReader[IdemKey, *IdempotencyRecord] // the keys of refusals from memory
	logins   *groupReader[string, *SessionUser]        // the sessions this node has not cached
	sessions sessionCache
	webhooks WebhookSender // nil: webhook deliveries wait
	failures failureBuffer // order requests refused for want of the database, not yet written
	authHook func(context.Context, AuthEvent)
	totp     SecondFactor  // nil: staff who enrolled cannot sign in
	replica  CatalogReader // nil: the catalog is read from store (see SetReplica)
	audit    auditState    // this node's last check of the audit chain
}

// NewService returns a Service. newID may be nil for SortableIDs(clock).
func NewService(store Store, clock Clock, newID IDGen, hasher PasswordHasher, provider PaymentProvider, cfg Config, log *slog.Logger) *Service {
	if newID == nil {
		newID = SortableIDs(clock)
	}
	if cfg.OrderTimeout <= 0 {
		cfg.OrderTimeout = DefaultOrderTimeout
	}
	if cfg.FlashOrderTimeout <= 0 {
		cfg.FlashOrderTimeout = DefaultFlashOrderTimeout
	}
	if cfg.PickupWindow <= 0 {
		cfg.PickupWindow = DefaultPickupWindow
	}
	if cfg.AfterSalesAutoFen == 0 {
		cfg.AfterSalesAutoFen = DefaultAfterSalesAutoFen
	}
	if cfg.ReconcileAfter <= 0 {
		cfg.ReconcileAfter = ReconcileAfter
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.BatchMax == 0 {
		cfg.BatchMax = DefaultBatchMax
	}
	if cfg.CutoffChunk <= 0 {
		cfg.CutoffChunk = DefaultCutoffChunk
	}
	s := &Service{store: store, clock: clock, newID: newID, hasher: hasher, provider: provider, cfg: cfg, log: log, inflight: map[IdemKey]bool{}, obs: nopObserver{}}
	s.store = auditedStore{Store: store, svc: s}
	if cfg.BatchMax > 1 {
		s.batch = newBatcher(s, cfg.BatchMax, cfg.BatchWindow)
	}
	s.keys = newKeyReader(store)
	s.logins = newSessionReader(store, clock)
	return s
}

// Close stops the group-commit batcher after the batch under way, and
// the group readers.
func (s *Service) Close() {
	if s.batch != nil {
		s.batch.close()
	}
	s.keys.close()
	s.logins.close()
}

// OrderTimeouts returns how long an order may stay unpaid, and how long
// one with a line of a flash deal may (never longer than the first).
func (s *Service) OrderTimeouts() (normal, flash time.Duration) {
	return s.cfg.OrderTimeout, min(s.cfg.FlashOrderTimeout, s.cfg.OrderTimeout)
}

// Store returns the service's store, for jobs and tools that read it.
func (s *Service) Store() Store { return s.store }

// Clock returns the service's clock.
func (s *Service) Clock() Clock { return s.clock }

// Actor is who is asking: a logged-in user and their role.
type Actor struct {
	UserID string
	Role   Role
}

// RequireStaff fails with forbidden unless the actor is an operator or admin.
func (a Actor) RequireStaff() error {
	if !a.Role.IsStaff() {
		return Errorf(CodeForbidden, "this needs the operator or admin role")
	}
	return nil
}
