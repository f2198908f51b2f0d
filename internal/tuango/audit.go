package tuango

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
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
