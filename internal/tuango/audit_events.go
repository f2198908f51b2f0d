package tuango

import (
	"context"
	"time"
)

// The audit records the business writes itself, each in the transaction
// of the event (or, for a refusal that changes nothing else, on its own).

// auditMoney records a ledger set just posted: every money movement
// (captures, refunds, pickups, commissions, withdrawals, payouts,
// settlements) posts exactly one.
func (s *Service) auditMoney(ctx context.Context, tx Store, set *LedgerSet) error {
	type transfer struct {
		Account   string `json:"account"`
		AmountFen Fen    `json:"amount_fen"`
	}
	d := struct {
		Set       string     `json:"set"`
		OrderID   string     `json:"order_id,omitempty"`
		PaymentID string     `json:"payment_id,omitempty"`
		RefundID  string     `json:"refund_id,omitempty"`
		LineNo    int        `json:"line_no,omitempty"`
		Transfers []transfer `json:"transfers"`
	}{Set: set.ID, OrderID: set.OrderID, PaymentID: set.PaymentID, RefundID: set.RefundID, LineNo: set.LineNo, Transfers: []transfer{}}
	for _, t := range set.Transfers {
		d.Transfers = append(d.Transfers, transfer{t.Account, t.AmountFen})
	}
	return s.auditIn(ctx, tx, AuditRecord{Kind: AuditMoneyPrefix + string(set.Event), Subject: set.Key, At: set.At, Detail: auditDetail(d)})
}

// auditAuth records a sign-in, a failed one, a sign-out or a password
// change. A failed guess names the phone tried, not a user: whether the
// phone has an account is not the log's to tell either.
func (s *Service) auditAuth(ctx context.Context, kind string, u *User, phone, source string, why string) error {
	r := AuditRecord{Kind: kind, Source: source, Subject: "phone:" + maskPhone(phone)}
	if u != nil {
		r.ActorID, r.ActorRole, r.Subject = u.ID, string(u.Role), "user:"+u.ID
	} else {
		r.ActorID = "phone:" + maskPhone(phone)
	}
	if why != "" {
		r.Detail = auditDetail(map[string]string{"reason": why})
	}
	return s.Audit(ctx, r)
}

// maskPhone keeps a phone's first three and last four digits, as Chinese
// platforms print them: enough to tell accounts apart in the log.
func maskPhone(p string) string {
	if len(p) < 8 {
		return p
	}
	return p[:3] + "****" + p[len(p)-4:]
}

// auditStock records an operator's change to a deal's stock.
func (s *Service) auditStock(ctx context.Context, tx Store, d *Deal, from int, now time.Time) error {
	return s.auditIn(ctx, tx, AuditRecord{Kind: AuditStockAdjusted, Subject: "deal:" + d.ID, At: now,
		Detail: auditDetail(map[string]int{"stock_from": from, "stock_to": d.Stock, "reserved": d.Reserved})})
}

// auditPickup records a leader's attempt at a pickup code (never the code).
func (s *Service) auditPickup(ctx context.Context, tx Store, v *PickupVerification, why string) error {
	kind, subject := AuditPickupVerified, "order:"+v.OrderID
	if v.OrderID == "" {
		kind, subject = AuditPickupRefused, "pickup_point:"+v.PickupPointID
	}
	d := map[string]string{"pickup_point_id": v.PickupPointID}
	if why != "" {
		d["reason"] = why
	}
	return s.auditIn(ctx, tx, AuditRecord{Kind: kind, Subject: subject, At: v.At, Detail: auditDetail(d)})
}

// auditLogin records a login's outcome, deferred from Login: a success,
// or a refused guess (wrong password, too many attempts, a code needed, a
// wrong or reused second factor). A success whose record cannot be written
// is no success: the caller gets the error and no token. A wrong second
// factor came with the right password, so its record names the account:
// someone who is not its owner may hold the password.
func (s *Service) auditLogin(ctx context.Context, in LoginRequest, u **User, token *string, err *error) {
	if *err == nil {
		if aerr := s.auditAuth(ctx, AuditLoginOK, *u, in.Phone, in.Source, ""); aerr != nil {
			*u, *token, *err = nil, "", aerr
		}
		return
	}
	var who *User
	switch c := ErrorCode(*err); c {
	case CodeTOTPInvalid:
		if found, ferr := s.store.FindUserByPhone(ctx, in.Phone); ferr == nil {
			who = found
		}
		fallthrough
	case CodeInvalidCredentials, CodeTooManyAttempts, CodeCodeRequired:
		if aerr := s.auditAuth(ctx, AuditLoginFailed, who, in.Phone, in.Source, c); aerr != nil {
			s.log.ErrorContext(ctx, "audit a failed login", "err", aerr)
		}
	}
}

// auditLogout records a session ended, deferred from Logout with the
// session's user read before it ends (nil if none).
func (s *Service) auditLogout(ctx context.Context, u *User, err *error) {
	if *err != nil {
		return
	}
	r := AuditRecord{Kind: AuditLogout, Subject: "session"}
	if u != nil {
		r.ActorID, r.ActorRole, r.Subject = u.ID, string(u.Role), "user:"+u.ID
	}
	*err = s.Audit(ctx, r)
}

// tokenUser is a session token's user, or nil.
func (s *Service) tokenUser(ctx context.Context, token string) *User {
	u, _, err := s.store.FindSessionUser(ctx, hashToken(token), s.clock.Now())
	if err != nil {
		return nil
	}
	return u
}

// auditAuthEvent records the authentication events that Login and Logout
// do not record themselves: registering, password changes and resets,
// the second factor, sessions ended, accounts disabled or given a role.
// The event's change is already committed; a record that cannot be
// written is logged as an error.
func (s *Service) auditAuthEvent(ctx context.Context, e AuthEvent) {
	switch e.Kind {
	case AuthLoginOK, AuthLoginFailed, AuthLogout:
		return // Login's and Logout's own records
	}
	r := AuditRecord{Kind: "auth." + string(e.Kind), Source: e.Source, At: e.At}
	switch {
	case e.UserID != "":
		r.Subject = "user:" + e.UserID
	case e.Phone != "":
		r.Subject = "phone:" + maskPhone(e.Phone)
	}
	if e.Detail != "" {
		r.Detail = auditDetail(map[string]string{"detail": e.Detail})
	}
	if err := s.Audit(ctx, r); err != nil {
		s.log.ErrorContext(ctx, "audit an authentication event", "event", string(e.Kind), "err", err)
	}
}
