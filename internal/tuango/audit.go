package tuango

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// The audit log: who did what, when, from where. Records are appended
// cheaply in the transaction of what they describe (no shared head to
// lock on the order path), and one sweep under a lease chains them in
// order: each chained record carries its sequence number, the hash of the
// record before it and its own hash over both and its content. Chaining
// waits at most a sweep interval; docs/security.md ("Audit log") says what
// a record not yet chained is exposed to.

// Audit record kinds. A kind is "area.what"; operator actions are
// "operator." plus the route's method and pattern.
const (
	AuditLoginOK        = "auth.login_ok"
	AuditLoginFailed    = "auth.login_failed"
	AuditLogout         = "auth.logout"
	AuditPasswordChange = "auth.password_change"
	AuditRegister       = "auth.register"
	AuditStockAdjusted  = "stock.adjusted"
	AuditPickupVerified = "pickup.verified"
	AuditPickupRefused  = "pickup.refused"
	AuditCouponsIssued  = "money.coupons_issued"
	AuditBan            = "security.ban"
	// AuditMoneyPrefix starts the kind of every ledger posting: "money."
	// and the ledger event (payment_captured, refund_granted, ...).
	AuditMoneyPrefix    = "money."
	AuditOperatorPrefix = "operator."
)

// ActorSystem is the actor of what the platform's own sweeps do.
const ActorSystem = "system"

// AuditRecord is one entry of the audit log. Seq, PrevHash and Hash are
// empty until the record is chained.
type AuditRecord struct {
	ID        string
	At        time.Time
	ActorID   string // a user id, ActorSystem, or for a failed login "phone:" and the phone
	ActorRole string
	Source    string // the client's address, empty for the platform's own work
	Kind      string
	Subject   string // what it is about: "order:ord_…", "deal:…", a path
	Detail    string // what changed, as JSON
	Seq       int64
	PrevHash  string
	Hash      string
}

// AuditFilter selects chained and waiting records for the operator's page.
type AuditFilter struct {
	ActorID string
	Kind    string // a kind, or a prefix ending in "." ("money.")
	From    time.Time
	To      time.Time // exclusive
	// Before pages: records with an id before it (newest first).
	Before string
	Limit  int
}

// AuditStore keeps the audit log.
type AuditStore interface {
	// AppendAudit stores a waiting record; a second record with the same
	// id is ignored.
	AppendAudit(ctx context.Context, r *AuditRecord) error
	// FindUnchainedAudit returns waiting records, oldest first.
	FindUnchainedAudit(ctx context.Context, limit int) ([]AuditRecord, error)
	// FindAuditHead returns the last chained record's seq and hash (0 and
	// "" when none is chained).
	FindAuditHead(ctx context.Context) (int64, string, error)
	// ChainAudit writes the seq, prev_hash and hash of waiting records; it
	// fails with conflict if one of them is chained already or a seq is
	// taken.
	ChainAudit(ctx context.Context, rs []AuditRecord) error
	// FindAuditChain returns chained records with seq above after, in seq
	// order.
	FindAuditChain(ctx context.Context, after int64, limit int) ([]AuditRecord, error)
	// FindAudit lists records newest first, chained or not.
	FindAudit(ctx context.Context, f AuditFilter) ([]AuditRecord, error)
	// CountUnchainedAudit counts the waiting records and the oldest's time.
	CountUnchainedAudit(ctx context.Context) (int, time.Time, error)
}

// AuditHash is a record's hash: SHA-256 over its seq, the previous
// record's hash and its content, each field length-delimited by JSON, so
// that no two different records hash alike by moving text between fields.
func AuditHash(r AuditRecord, prev string) string {
	b, _ := json.Marshal([]any{r.Seq, prev, r.ID, r.At.UTC().UnixMicro(), r.ActorID, r.ActorRole, r.Source, r.Kind, r.Subject, r.Detail})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Audit appends a record on its own, now: the call for events outside a
// business transaction (a ban, a failed login). Empty fields are filled
// from the request's origin (WithOrigin) and the clock.
func (s *Service) Audit(ctx context.Context, r AuditRecord) error {
	return s.auditIn(ctx, s.store, r)
}

// auditIn appends r in tx, the transaction of what it describes.
func (s *Service) auditIn(ctx context.Context, tx Store, r AuditRecord) error {
	if r.Kind == "" {
		return Errorf(CodeInternal, "an audit record needs a kind")
	}
	s.fillAudit(ctx, &r)
	if err := tx.AppendAudit(ctx, &r); err != nil {
		return fmt.Errorf("audit %s: %w", r.Kind, err)
	}
	return nil
}

func (s *Service) fillAudit(ctx context.Context, r *AuditRecord) {
	o := originFrom(ctx)
	if r.ID == "" {
		r.ID = s.newID("aud")
	}
	if r.At.IsZero() {
		r.At = s.clock.Now()
	}
	r.At = r.At.UTC().Truncate(time.Microsecond)
	if r.Source == "" && o != nil {
		r.Source = o.source
	}
	if r.ActorID == "" {
		r.ActorID, r.ActorRole = ActorSystem, ""
		if o != nil {
			if id, role := o.actor(); id != "" {
				r.ActorID, r.ActorRole = id, string(role)
			}
		}
	}
	if r.Detail == "" {
		r.Detail = "{}"
	}
}

// auditDetail is v as JSON, for a record's Detail.
func auditDetail(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf(`{"error":%q}`, err.Error())
	}
	return string(b)
}

// AuditHead returns the last chained record's seq and hash, for the
// metrics and the backups.
func (s *Service) AuditHead(ctx context.Context) (int64, string, error) {
	return s.store.FindAuditHead(ctx)
}

// ListAudit lists the audit log for an operator, newest first.
func (s *Service) ListAudit(ctx context.Context, a Actor, f AuditFilter) ([]AuditRecord, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	return s.store.FindAudit(ctx, f)
}

// AuditBacklog counts the records waiting to be chained and the oldest's
// age.
func (s *Service) AuditBacklog(ctx context.Context) (int, time.Duration, error) {
	n, oldest, err := s.store.CountUnchainedAudit(ctx)
	if err != nil || n == 0 {
		return n, 0, err
	}
	return n, s.clock.Now().Sub(oldest), nil
}

// ChainAudit chains up to limit waiting records after the head, oldest
// first, in one transaction, and reports how many. The sweep that calls it
// runs under a lease; two chainers at once still cannot both write a seq.
func (s *Service) ChainAudit(ctx context.Context, limit int) (int, error) {
	n := 0
	err := s.store.InTx(ctx, func(tx Store) error {
		rs, err := tx.FindUnchainedAudit(ctx, limit)
		if err != nil || len(rs) == 0 {
			return err
		}
		seq, prev, err := tx.FindAuditHead(ctx)
		if err != nil {
			return err
		}
		for i := range rs {
			seq++
			rs[i].Seq, rs[i].PrevHash = seq, prev
			rs[i].Hash = AuditHash(rs[i], prev)
			prev = rs[i].Hash
		}
		n = len(rs)
		return tx.ChainAudit(ctx, rs)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// AuditBreak is the first record where the chain does not verify.
type AuditBreak struct {
	Seq    int64
	ID     string
	Reason string
}

func (b *AuditBreak) Error() string {
	if b.ID == "" {
		return fmt.Sprintf("audit record %d: %s", b.Seq, b.Reason)
	}
	return fmt.Sprintf("audit record %d (%s): %s", b.Seq, b.ID, b.Reason)
}

// AuditCheck is the result of walking the chain.
type AuditCheck struct {
	Checked  int64  // chained records checked
	HeadSeq  int64  // the last one's seq
	HeadHash string // and its hash
	Waiting  int    // records not chained yet
}

// VerifyAudit walks the chain from the record after from (0: the first)
// to the last, with fromHash the hash of record from, and recomputes every
// link. It returns an *AuditBreak at the first record that is missing,
// out of order, or whose hash or link does not match. progress, if not
// nil, is told the records checked so far.
func (s *Service) VerifyAudit(ctx context.Context, from int64, fromHash string, progress func(checked int64)) (AuditCheck, error) {
	var c AuditCheck
	seq, prev := from, fromHash
	for {
		rs, err := s.store.FindAuditChain(ctx, seq, 1000)
		if err != nil {
			return c, err
		}
		n, b := CheckAuditChain(seq, prev, rs)
		c.Checked += int64(n)
		if b != nil {
			return c, b
		}
		if n > 0 {
			seq, prev = rs[n-1].Seq, rs[n-1].Hash
		}
		c.HeadSeq, c.HeadHash = seq, prev
		if progress != nil {
			progress(c.Checked)
		}
		if len(rs) < 1000 {
			break
		}
	}
	n, _, err := s.store.CountUnchainedAudit(ctx)
	c.Waiting = n
	return c, err
}

// CheckAuditChain checks chained records rs, in seq order, that follow
// the record seq whose hash is prev: each must be the next number, link to
// the hash before it and hash to its own. It returns how many verify
// before the first that does not, and that one's break (nil if none).
func CheckAuditChain(seq int64, prev string, rs []AuditRecord) (int, *AuditBreak) {
	for i, r := range rs {
		want := seq + 1
		switch {
		case r.Seq != want:
			return i, &AuditBreak{Seq: want, Reason: fmt.Sprintf("missing: the chain goes from record %d to record %d", seq, r.Seq)}
		case r.PrevHash != prev:
			return i, &AuditBreak{Seq: r.Seq, ID: r.ID, Reason: "its link to the record before does not match that record's hash (a record was removed, inserted or moved before it)"}
		case AuditHash(r, prev) != r.Hash:
			return i, &AuditBreak{Seq: r.Seq, ID: r.ID, Reason: "its content does not match its hash (the record was changed)"}
		}
		seq, prev = r.Seq, r.Hash
	}
	return len(rs), nil
}

// Origin is where a request comes from, carried in its context so that
// the audit records written while serving it name the client and actor.
type origin struct {
	source    string
	requestID string

	// The authenticated user, once known, and an operator's action waiting
	// to be recorded in the request's first committed transaction.
	actorID   string
	actorRole Role
	action    *AuditRecord
	written   bool
}

type originKey struct{}

// WithOrigin returns ctx carrying the client's address and request id.
func WithOrigin(ctx context.Context, source, requestID string) context.Context {
	return context.WithValue(ctx, originKey{}, &origin{source: source, requestID: requestID})
}

func originFrom(ctx context.Context) *origin {
	o, _ := ctx.Value(originKey{}).(*origin)
	return o
}

func (o *origin) actor() (string, Role) { return o.actorID, o.actorRole }

// NoteActor records the authenticated user of the request in ctx, for the
// audit records written while serving it.
func NoteActor(ctx context.Context, u *User) {
	if o := originFrom(ctx); o != nil && u != nil {
		o.actorID, o.actorRole = u.ID, u.Role
	}
}

// NoteOperatorAction marks the request in ctx as an operator's action on
// subject (what it asked, as JSON in detail), to be recorded with the
// first transaction that commits while serving it; see RecordOperatorAction
// for a request that commits none. Only staff actions are recorded. A
// request is served by one goroutine: the origin needs no lock.
func NoteOperatorAction(ctx context.Context, kind, subject, detail string) {
	o := originFrom(ctx)
	if o == nil || !o.actorRole.IsStaff() || o.written {
		return
	}
	// A later note knows more (a page's form parsed after its session was
	// read) and replaces an earlier one not yet written.
	o.action = &AuditRecord{Kind: AuditOperatorPrefix + kind, Subject: subject, Detail: detail}
}

// RecordOperatorAction records the request's operator action if no
// transaction has yet: for a write that made it without one.
func (s *Service) RecordOperatorAction(ctx context.Context) error {
	o := originFrom(ctx)
	if o == nil || o.action == nil || o.written {
		return nil
	}
	if err := s.auditIn(ctx, s.store, *o.action); err != nil {
		return err
	}
	o.written = true
	return nil
}

// auditedStore is the service's store: its outermost transactions also
// append the request's pending operator action, so that the record
// commits with the change it describes.
type auditedStore struct {
	Store
	svc *Service
}

func (a auditedStore) InTx(ctx context.Context, fn func(tx Store) error) error {
	o := originFrom(ctx)
	if o == nil || o.action == nil || o.written {
		return a.Store.InTx(ctx, fn)
	}
	if o.action.ID == "" {
		a.svc.fillAudit(ctx, o.action) // one id: a retried transaction appends it once
	}
	err := a.Store.InTx(ctx, func(tx Store) error {
		if err := fn(tx); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, o.action)
	})
	if err == nil {
		o.written = true
	}
	return err
}

// auditState is this node's last verification of the chain, for the
// metrics: the sweep that verifies runs under a lease, so one node at a
// time holds a fresh one.
type auditState struct {
	mu   sync.Mutex
	at   time.Time
	ok   bool
	seq  int64
	hash string
}

// AuditVerified reports this node's last verification of the chain: when
// (zero: never), whether it held, and up to which record.
func (s *Service) AuditVerified() (time.Time, bool, int64) {
	s.audit.mu.Lock()
	defer s.audit.mu.Unlock()
	return s.audit.at, s.audit.ok, s.audit.seq
}

// VerifyAuditSweep verifies the records chained since this node's last
// good verification (all of them the first time, or after a break), and
// reports how many it checked: the worker's sweep.
func (s *Service) VerifyAuditSweep(ctx context.Context) (int, error) {
	s.audit.mu.Lock()
	from, hash := s.audit.seq, s.audit.hash
	if !s.audit.ok {
		from, hash = 0, ""
	}
	s.audit.mu.Unlock()
	c, err := s.VerifyAudit(ctx, from, hash, nil)
	var b *AuditBreak
	if err != nil && !errors.As(err, &b) {
		return int(c.Checked), err // the database, not the chain: nothing learnt
	}
	s.audit.mu.Lock()
	defer s.audit.mu.Unlock()
	s.audit.at, s.audit.ok = s.clock.Now(), b == nil
	if b == nil {
		s.audit.seq, s.audit.hash = c.HeadSeq, c.HeadHash
		return int(c.Checked), nil
	}
	s.log.ErrorContext(ctx, "the audit log's hash chain is broken", "seq", b.Seq, "id", b.ID, "reason", b.Reason)
	return int(c.Checked), err
}
