package tuango

import (
	"context"
)

// origin is where a request comes from, carried in its context so that
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

// dropOperatorAction forgets the request's pending operator action: a
// replayed answer did nothing that the audit should record.
func dropOperatorAction(ctx context.Context) {
	if o := originFrom(ctx); o != nil && !o.written {
		o.action = nil
	}
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
	if o == nil || o.action == nil || o.written || ctx.Value(boundTxKey{}) != nil {
		// A transaction bound to ctx (see runOnce) is the outermost one,
		// and appends the action itself.
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
