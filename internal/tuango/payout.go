package tuango

import (
	"context"
	"time"
)

// Payouts: money leaving the platform. A leader withdraws available
// commission (a withdrawal, approved or rejected by an operator); an
// operator settles a supplier's payable up to a date (a settlement). Both
// become a payout that the payouts sweep sends to the payout provider
// under the payout's id, its idempotency key there, and then polls for the
// result: paid, or failed and the money returned. The ledger sets are in
// docs/decisions.md ("Payouts").

// PayoutKind says whom a payout pays.
type PayoutKind string

// The kinds of payout.
const (
	PayoutWithdrawal PayoutKind = "withdrawal" // to a leader; PartyID is the leader's user id
	PayoutSettlement PayoutKind = "settlement" // to a supplier; PartyID is the supplier's id
)

// PayoutStatus is where a payout is; it only moves forward.
type PayoutStatus string

// The statuses of a payout.
const (
	PayoutRequested PayoutStatus = "requested" // a withdrawal waiting for an operator
	PayoutRejected  PayoutStatus = "rejected"  // final: the hold went back
	PayoutApproved  PayoutStatus = "approved"  // queued for the provider
	PayoutSent      PayoutStatus = "sent"      // the provider has it
	PayoutPaid      PayoutStatus = "paid"      // final
	PayoutFailed    PayoutStatus = "failed"    // final: the money went back
)

// MinWithdrawalFen is the smallest withdrawal: ¥1.
const MinWithdrawalFen Fen = 100

// CodeInsufficientBalance refuses a withdrawal above the available
// commission.
const CodeInsufficientBalance = "insufficient_balance"

// The payout accounts, and the events of their sets.
const (
	prefixWithdrawalsPending = "withdrawals_pending:"
	prefixSettlementsPending = "settlements_pending:"

	EventWithdrawalRequested LedgerEvent = "withdrawal_requested" // available → withdrawals_pending
	EventWithdrawalRejected  LedgerEvent = "withdrawal_rejected"  // withdrawals_pending → available
	EventSettlementHeld      LedgerEvent = "settlement_held"      // supplier_payable → settlements_pending
	EventPayoutPaid          LedgerEvent = "payout_paid"          // pending → payouts
	EventPayoutReturned      LedgerEvent = "payout_returned"      // a failed payout: pending → available or payable
)

// WithdrawalsPending is a leader's commission held for withdrawals not
// yet paid or given back.
func WithdrawalsPending(leaderID string) string { return prefixWithdrawalsPending + leaderID }

// SettlementsPending is a supplier's payable held for settlements not yet
// paid or given back.
func SettlementsPending(supplierID string) string { return prefixSettlementsPending + supplierID }

// Payout is one payment out of the platform.
type Payout struct {
	ID          string       `json:"id"`
	Kind        PayoutKind   `json:"kind"`
	PartyID     string       `json:"party_id"`
	AmountFen   Fen          `json:"amount_fen"`
	Status      PayoutStatus `json:"status"`
	PeriodTo    string       `json:"period_to,omitempty"` // a settlement's last day, YYYY-MM-DD
	Reason      string       `json:"reason,omitempty"`    // why it was rejected or failed, or the last send error
	Attempts    int          `json:"attempts"`            // sends that failed and will be tried again
	DecidedBy   string       `json:"decided_by,omitempty"`
	CreatedAt   time.Time    `json:"created_at"`
	DecidedAt   time.Time    `json:"decided_at"`
	SentAt      time.Time    `json:"sent_at"`
	CompletedAt time.Time    `json:"completed_at"`
}

// pending is the account that holds a payout's money until it is paid.
func (p *Payout) pending() string {
	if p.Kind == PayoutSettlement {
		return SettlementsPending(p.PartyID)
	}
	return WithdrawalsPending(p.PartyID)
}

// source is the account a payout's money came from and goes back to.
func (p *Payout) source() string {
	if p.Kind == PayoutSettlement {
		return SupplierPayable(p.PartyID)
	}
	return CommissionAvailable(p.PartyID)
}

// PayoutFilter selects payouts, oldest first unless Newest.
type PayoutFilter struct {
	Kind     PayoutKind
	PartyID  string
	Status   PayoutStatus
	PeriodTo string
	After    string // an id: continue after it, in the list's order
	Newest   bool
	Limit    int
}

// PayoutMove is a guarded change of a payout's status.
type PayoutMove struct {
	ID       string
	From, To PayoutStatus
	At       time.Time
	By       string // who decided (approve, reject)
	Reason   string
}

// PayoutStore keeps payouts (part of Store).
type PayoutStore interface {
	// CreatePayout stores a payout; a second settlement of a supplier's
	// period fails with conflict.
	CreatePayout(ctx context.Context, p *Payout) error
	FindPayoutByID(ctx context.Context, id string) (*Payout, error)
	FindPayouts(ctx context.Context, f PayoutFilter) ([]Payout, error)
	// MovePayout moves a payout from one status to another and reports
	// whether it was in From; it stamps decided, sent or completed by To.
	MovePayout(ctx context.Context, m PayoutMove) (bool, error)
	// NotePayoutAttempt counts a send that failed, with why.
	NotePayoutAttempt(ctx context.Context, id, reason string) error
	// LedgerBalance sums an account's transfers, those before a time
	// when before is set, leaving out the sets of the events named.
	LedgerBalance(ctx context.Context, account string, before time.Time, except ...LedgerEvent) (Fen, error)
}

// PayoutResult is a payout as the provider reports it.
type PayoutResult struct {
	Known  bool   // the provider has the payout
	Status string // processing, paid or failed
	Reason string // why it failed
}

// The provider's statuses of a payout.
const (
	ProviderPayoutProcessing = "processing"
	ProviderPayoutPaid       = "paid"
	ProviderPayoutFailed     = "failed"
)

// PayoutProvider pays money out, asynchronously: a payout is sent, and
// its result is asked for later.
type PayoutProvider interface {
	// SendPayout hands the provider a payout; a payout id it already has
	// is the same payout, and is not paid again.
	SendPayout(ctx context.Context, p *Payout) error
	// QueryPayout reports a payout's state at the provider.
	QueryPayout(ctx context.Context, id string) (PayoutResult, error)
}

// SetPayoutProvider sets who pays payouts out; without one the payouts
// sweep does nothing. Call it before the worker starts.
func (s *Service) SetPayoutProvider(p PayoutProvider) { s.payouts = p }

// payoutSentHook, when set by a test, runs after the provider took a
// payout and before it is recorded sent: an error there is a node dying
// between the two.
var payoutSentHook func(p *Payout) error

func (s *Service) postPayoutSet(ctx context.Context, tx Store, p *Payout, ev LedgerEvent, key, from, to string, now time.Time) error {
	return s.post(ctx, tx, &LedgerSet{Event: ev, Key: key + p.ID, At: now,
		Transfers: []Transfer{{from, -p.AmountFen}, {to, p.AmountFen}}})
}

// RequestWithdrawal holds amount of a leader's available commission for a
// withdrawal, exactly once per key: the hold is posted with the request,
// so that two requests can never spend the same balance.
func (s *Service) RequestWithdrawal(ctx context.Context, a Actor, amount Fen, idem *Idempotency) (Once[*Payout], error) {
	var none Once[*Payout]
	if a.Role != RoleLeader {
		return none, Errorf(CodeForbidden, "only a group leader withdraws commission")
	}
	if amount < MinWithdrawalFen {
		return none, FieldError("amount_fen", "must be at least %d fen (¥1)", MinWithdrawalFen)
	}
	return exactlyOnce(ctx, s, idem, nil, func(tx Store, now time.Time) (*Payout, error) {
		if err := tx.Lock(ctx, EntityUser, a.UserID); err != nil {
			return nil, err
		}
		avail, err := tx.LedgerBalance(ctx, CommissionAvailable(a.UserID), time.Time{})
		if err != nil {
			return nil, err
		}
		if amount > avail {
			return nil, Errorf(CodeInsufficientBalance, "you have %d fen of commission available; %d was asked", avail, amount)
		}
		p := &Payout{ID: s.newID("wdr"), Kind: PayoutWithdrawal, PartyID: a.UserID, AmountFen: amount, Status: PayoutRequested, CreatedAt: now}
		if err := tx.CreatePayout(ctx, p); err != nil {
			return nil, err
		}
		return p, s.postPayoutSet(ctx, tx, p, EventWithdrawalRequested, "withdrawal:", CommissionAvailable(a.UserID), p.pending(), now)
	})
}

// WithdrawalBalance is a leader's commission: available to withdraw, and
// held for withdrawals under way.
type WithdrawalBalance struct {
	AvailableFen Fen
	PendingFen   Fen
	FrozenFen    Fen
}

// LeaderBalance reads a leader's commission balances.
func (s *Service) LeaderBalance(ctx context.Context, a Actor) (*WithdrawalBalance, error) {
	if a.Role != RoleLeader {
		return nil, Errorf(CodeForbidden, "only a group leader has commission")
	}
	var b WithdrawalBalance
	for _, x := range []struct {
		account string
		into    *Fen
	}{{CommissionAvailable(a.UserID), &b.AvailableFen}, {WithdrawalsPending(a.UserID), &b.PendingFen}, {CommissionFrozen(a.UserID), &b.FrozenFen}} {
		f, err := s.store.LedgerBalance(ctx, x.account, time.Time{})
		if err != nil {
			return nil, err
		}
		*x.into = f
	}
	return &b, nil
}

// LeaderWithdrawals lists a leader's own withdrawals, newest first.
func (s *Service) LeaderWithdrawals(ctx context.Context, a Actor, limit int, cursor string) ([]Payout, string, error) {
	if a.Role != RoleLeader {
		return nil, "", Errorf(CodeForbidden, "only a group leader has withdrawals")
	}
	return s.payoutPage(ctx, PayoutFilter{Kind: PayoutWithdrawal, PartyID: a.UserID}, limit, cursor)
}

// Withdrawals lists every leader's withdrawals, of one status when set,
// newest first, for an operator.
func (s *Service) Withdrawals(ctx context.Context, a Actor, status PayoutStatus, limit int, cursor string) ([]Payout, string, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, "", err
	}
	switch status {
	case "", PayoutRequested, PayoutRejected, PayoutApproved, PayoutSent, PayoutPaid, PayoutFailed:
	default:
		return nil, "", FieldError("status", "must be one of requested, rejected, approved, sent, paid, failed")
	}
	return s.payoutPage(ctx, PayoutFilter{Kind: PayoutWithdrawal, Status: status}, limit, cursor)
}

// Settlements lists the suppliers' settlements to staff, newest first,
// with each one's status and, for one whose send failed or that the
// provider failed, why; of one status and one supplier when given.
func (s *Service) Settlements(ctx context.Context, a Actor, status PayoutStatus, supplierID string, limit int, cursor string) ([]Payout, string, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, "", err
	}
	switch status {
	case "", PayoutApproved, PayoutSent, PayoutPaid, PayoutFailed: // a settlement is approved when made: never requested or rejected
	default:
		return nil, "", FieldError("status", "must be one of approved, sent, paid, failed")
	}
	if supplierID != "" {
		if err := checkID("supplier_id", supplierID); err != nil {
			return nil, "", err
		}
		if _, err := s.store.FindSupplierByID(ctx, supplierID); err != nil { // a mistyped id is told, not answered with an empty list
			return nil, "", err
		}
	}
	return s.payoutPage(ctx, PayoutFilter{Kind: PayoutSettlement, Status: status, PartyID: supplierID}, limit, cursor)
}

func (s *Service) payoutPage(ctx context.Context, f PayoutFilter, limit int, cursor string) ([]Payout, string, error) {
	limit, err := pageLimit(limit)
	if err != nil {
		return nil, "", err
	}
	if cursor != "" {
		if checkID("cursor", cursor) != nil {
			return nil, "", FieldError("cursor", "is not a cursor of this list")
		}
		f.After = cursor
	}
	f.Newest, f.Limit = true, limit+1
	ps, err := s.store.FindPayouts(ctx, f)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(ps) > limit {
		ps = ps[:limit]
		next = ps[limit-1].ID
	}
	return ps, next, nil
}

// withdrawal finds a withdrawal in tx; any other payout is not found.
func withdrawal(ctx context.Context, tx Store, id string) (*Payout, error) {
	if err := checkID("id", id); err != nil {
		return nil, err
	}
	p, err := tx.FindPayoutByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.Kind != PayoutWithdrawal {
		return nil, ErrNotFound
	}
	return p, nil
}

// ApproveWithdrawal queues a requested withdrawal for payout. Approving
// one already approved (or further) answers it as it is.
func (s *Service) ApproveWithdrawal(ctx context.Context, a Actor, id string) (*Payout, error) {
	return s.decideWithdrawal(ctx, a, id, PayoutApproved, "")
}

// RejectWithdrawal refuses a requested withdrawal and gives its hold back
// to the leader's available commission; the leader is told. Rejecting one
// already rejected answers it as it is.
func (s *Service) RejectWithdrawal(ctx context.Context, a Actor, id, reason string) (*Payout, error) {
	if len([]rune(reason)) > 200 {
		return nil, FieldError("reason", "must be at most 200 characters")
	}
	return s.decideWithdrawal(ctx, a, id, PayoutRejected, reason)
}

func (s *Service) decideWithdrawal(ctx context.Context, a Actor, id string, to PayoutStatus, reason string) (*Payout, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	var out *Payout
	err := s.store.InTx(ctx, func(tx Store) error {
		p, err := withdrawal(ctx, tx, id)
		if err != nil {
			return err
		}
		out = p
		if p.Status != PayoutRequested {
			if (to == PayoutRejected) == (p.Status == PayoutRejected) {
				return nil // decided so already
			}
			return Errorf(CodeConflict, "withdrawal %s is %s already", id, p.Status)
		}
		now := s.clock.Now()
		if _, err := tx.MovePayout(ctx, PayoutMove{ID: id, From: PayoutRequested, To: to, At: now, By: a.UserID, Reason: reason}); err != nil {
			return err
		}
		p.Status, p.DecidedAt, p.DecidedBy, p.Reason = to, now, a.UserID, reason
		if to != PayoutRejected {
			return nil
		}
		if err := s.postPayoutSet(ctx, tx, p, EventWithdrawalRejected, "withdrawal_rejected:", p.pending(), p.source(), now); err != nil {
			return err
		}
		return s.notify(ctx, tx, p.PartyID, "", NotifyWithdrawalRejected, now, NotifyParams{AmountFen: p.AmountFen, Reason: reason})
	})
	return out, err
}

// Settlement is what settling one supplier's period did.
type Settlement struct {
	SupplierID     string
	PeriodTo       string
	AmountFen      Fen     // paid out by this settlement, or by the earlier one of the period
	Payout         *Payout // nil when there was nothing to pay
	AlreadySettled bool    // the period was settled before: nothing more is paid
}

// settlementZone is where a settlement's date ends: China has one time
// zone and no daylight saving.
var settlementZone = time.FixedZone("CST", 8*3600)

// Settle settles, for one supplier or (supplierID empty) all, what the
// platform owed it at the end of day to (China time), less what earlier
// settlements took, as a payout. A supplier's day is settled once: settling
// it again pays nothing more.
func (s *Service) Settle(ctx context.Context, a Actor, supplierID, to string) ([]Settlement, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	day, err := time.ParseInLocation(time.DateOnly, to, settlementZone)
	if err != nil {
		return nil, FieldError("to", "must be a date, YYYY-MM-DD")
	}
	end := day.AddDate(0, 0, 1)
	if end.After(s.clock.Now()) {
		return nil, FieldError("to", "%s has not ended yet; settle a day that is over", to)
	}
	var ids []string
	if supplierID != "" {
		if err := checkID("supplier_id", supplierID); err != nil {
			return nil, err
		}
		if _, err := s.store.FindSupplierByID(ctx, supplierID); err != nil {
			return nil, err
		}
		ids = []string{supplierID}
	} else {
		sups, err := s.store.FindSuppliers(ctx)
		if err != nil {
			return nil, err
		}
		for _, sp := range sups {
			ids = append(ids, sp.ID)
		}
	}
	out := make([]Settlement, 0, len(ids))
	for _, id := range ids {
		st, err := s.settleOne(ctx, a, id, to, end)
		if err != nil {
			return out, err
		}
		out = append(out, st)
	}
	return out, nil
}

func (s *Service) settleOne(ctx context.Context, a Actor, supplierID, to string, end time.Time) (Settlement, error) {
	var st Settlement
	err := s.store.InTx(ctx, func(tx Store) error {
		st = Settlement{SupplierID: supplierID, PeriodTo: to}
		if err := tx.Lock(ctx, EntitySupplier, supplierID); err != nil {
			return err
		}
		prev, err := tx.FindPayouts(ctx, PayoutFilter{Kind: PayoutSettlement, PartyID: supplierID})
		if err != nil {
			return err
		}
		var settled Fen
		for i := range prev {
			if prev[i].PeriodTo == to {
				st.AmountFen, st.Payout, st.AlreadySettled = prev[i].AmountFen, &prev[i], true
				return nil
			}
			if prev[i].Status != PayoutFailed {
				settled += prev[i].AmountFen
			}
		}
		payable := SupplierPayable(supplierID)
		earned, err := tx.LedgerBalance(ctx, payable, end, EventSettlementHeld, EventPayoutReturned)
		if err != nil {
			return err
		}
		balance, err := tx.LedgerBalance(ctx, payable, time.Time{})
		if err != nil {
			return err
		}
		now := s.clock.Now()
		amount := min(earned-settled, balance)
		if amount <= 0 {
			return nil
		}
		p := &Payout{ID: s.newID("stl"), Kind: PayoutSettlement, PartyID: supplierID, AmountFen: amount, Status: PayoutApproved,
			PeriodTo: to, DecidedBy: a.UserID, CreatedAt: now, DecidedAt: now}
		if err := tx.CreatePayout(ctx, p); err != nil {
			return err
		}
		st.AmountFen, st.Payout = amount, p
		return s.postPayoutSet(ctx, tx, p, EventSettlementHeld, "settlement:", payable, p.pending(), now)
	})
	return st, err
}

// SendPayouts is the payouts sweep: it sends approved payouts to the
// provider, then asks it about those sent, and records each one paid or
// failed (the money back) with its set. A send is recorded after the
// provider took it; a node that dies between the two leaves the payout
// approved, and the next sweep sends it again under the same id, which the
// provider recognises, so nothing is ever paid twice. A send that fails is
// tried again at the next sweep. It reports how many payouts it moved.
func (s *Service) SendPayouts(ctx context.Context, limit int) (int, error) {
	if s.payouts == nil {
		return 0, nil
	}
	n := 0
	approved, err := s.store.FindPayouts(ctx, PayoutFilter{Status: PayoutApproved, Limit: limit})
	if err != nil {
		return 0, err
	}
	for i := range approved {
		p := &approved[i]
		if err := s.payouts.SendPayout(ctx, p); err != nil {
			if nerr := s.store.NotePayoutAttempt(ctx, p.ID, err.Error()); nerr != nil {
				return n, nerr
			}
			s.log.Warn("payout send failed; tried again at the next sweep", "payout", p.ID, "err", err)
			continue
		}
		if payoutSentHook != nil {
			if err := payoutSentHook(p); err != nil {
				return n, err
			}
		}
		ok, err := s.store.MovePayout(ctx, PayoutMove{ID: p.ID, From: PayoutApproved, To: PayoutSent, At: s.clock.Now()})
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	sent, err := s.store.FindPayouts(ctx, PayoutFilter{Status: PayoutSent, Limit: limit})
	if err != nil {
		return n, err
	}
	for i := range sent {
		p := &sent[i]
		res, err := s.payouts.QueryPayout(ctx, p.ID)
		if err != nil {
			s.log.Warn("payout query failed; asked again at the next sweep", "payout", p.ID, "err", err)
			continue
		}
		if !res.Known {
			// Recorded sent, so the provider took it: a provider that lost
			// it is sent it again, under the same id.
			if err := s.payouts.SendPayout(ctx, p); err != nil {
				s.log.Warn("payout resend failed", "payout", p.ID, "err", err)
			}
			continue
		}
		if res.Status != ProviderPayoutPaid && res.Status != ProviderPayoutFailed {
			continue
		}
		done, err := s.completePayout(ctx, p, res)
		if err != nil {
			return n, err
		}
		if done {
			n++
		}
	}
	return n, nil
}

// completePayout records a payout's result with its set, and tells the
// leader of a withdrawal or the supplier of a settlement; it reports
// whether this call recorded it.
func (s *Service) completePayout(ctx context.Context, p *Payout, res PayoutResult) (bool, error) {
	done := false
	err := s.store.InTx(ctx, func(tx Store) error {
		now := s.clock.Now()
		to, ev, key, into, kind := PayoutPaid, EventPayoutPaid, "payout_paid:", AccountPayouts, NotifyWithdrawalPaid
		if res.Status == ProviderPayoutFailed {
			to, ev, key, into, kind = PayoutFailed, EventPayoutReturned, "payout_returned:", p.source(), NotifyWithdrawalFailed
		}
		ok, err := tx.MovePayout(ctx, PayoutMove{ID: p.ID, From: PayoutSent, To: to, At: now, Reason: res.Reason})
		if err != nil || !ok {
			return err
		}
		done = true
		if err := s.postPayoutSet(ctx, tx, p, ev, key, p.pending(), into, now); err != nil {
			return err
		}
		if p.Kind == PayoutWithdrawal {
			return s.notify(ctx, tx, p.PartyID, "", kind, now, NotifyParams{AmountFen: p.AmountFen, Reason: res.Reason})
		}
		// A settlement is told to every account of its supplier.
		kind = NotifySettlementPaid
		if res.Status == ProviderPayoutFailed {
			kind = NotifySettlementFailed
		}
		accounts, err := tx.FindUsers(ctx, UserFilter{Role: RoleSupplier, SupplierID: p.PartyID})
		if err != nil {
			return err
		}
		ms := make([]*Message, 0, len(accounts))
		for _, u := range accounts {
			ms = append(ms, s.message(u.ID, "", kind, NotifyParams{AmountFen: p.AmountFen, Date: p.PeriodTo, Reason: res.Reason}, now))
		}
		return s.notifyMany(ctx, tx, ms)
	})
	return done, err
}

// ViolationPayout is a payout whose sets or provider record disagree with
// its status: a paid payout without exactly one payout_paid set of its
// amount, a payout paid at the provider and not in tuango, or the reverse.
const ViolationPayout = "payout"

// payoutKeys are the key prefixes of the payout sets.
var payoutKeys = []string{"withdrawal:", "settlement:", "withdrawal_rejected:", "payout_paid:", "payout_returned:"}

// verifyPayouts checks every payout against its sets and the provider:
// its hold once, of its amount; a rejected one given back once, a paid one
// paid once (INVARIANTS 19: no payout made twice), a failed one returned
// once; and the provider has paid exactly the payouts tuango has paid (or
// has sent and not yet heard about), each of its amount.
func verifyPayouts(d LedgerData, bad func(kind, format string, args ...any)) {
	sets := map[string][]*LedgerSet{} // prefix + payout id → sets
	for i := range d.Sets {
		set := &d.Sets[i]
		for _, k := range payoutKeys {
			if len(set.Key) > len(k) && set.Key[:len(k)] == k {
				sets[set.Key] = append(sets[set.Key], set)
			}
		}
	}
	payouts := map[string]*Payout{}
	for i := range d.Payouts {
		p := &d.Payouts[i]
		payouts[p.ID] = p
		want := map[string]bool{"payout_paid:": p.Status == PayoutPaid, "payout_returned:": p.Status == PayoutFailed,
			"withdrawal_rejected:": p.Status == PayoutRejected, "withdrawal:": p.Kind == PayoutWithdrawal, "settlement:": p.Kind == PayoutSettlement}
		for _, k := range payoutKeys {
			ss := sets[k+p.ID]
			n := 0
			if want[k] {
				n = 1
			}
			if len(ss) != n {
				bad(ViolationPayout, "%s %s is %s with %d %s sets, not %d", p.Kind, p.ID, p.Status, len(ss), k[:len(k)-1], n)
				continue
			}
			for _, set := range ss {
				var moved Fen
				for _, t := range set.Transfers {
					if t.AmountFen > 0 {
						moved += t.AmountFen
					}
				}
				if moved != p.AmountFen {
					bad(ViolationPayout, "%s %s is of %d fen but its set %s moves %d", p.Kind, p.ID, p.AmountFen, set.Key, moved)
				}
			}
		}
		got, paidThere := d.ProviderPayouts[p.ID]
		switch {
		case p.Status == PayoutPaid && !paidThere:
			bad(ViolationProvider, "payout %s is paid in the ledger but the payout provider has not paid it", p.ID)
		case paidThere && p.Status != PayoutPaid && p.Status != PayoutSent && p.Status != PayoutApproved:
			bad(ViolationProvider, "the payout provider paid payout %s, which tuango has %s", p.ID, p.Status)
		case paidThere && got != p.AmountFen:
			bad(ViolationProvider, "payout %s is of %d fen; the payout provider paid %d", p.ID, p.AmountFen, got)
		}
	}
	for key, ss := range sets {
		for _, k := range payoutKeys {
			if len(key) > len(k) && key[:len(k)] == k && payouts[key[len(k):]] == nil {
				bad(ViolationPayout, "set %s names payout %s, which does not exist", ss[0].Key, key[len(k):])
			}
		}
	}
	for _, id := range ledgerKeys(d.ProviderPayouts) {
		if payouts[id] == nil {
			bad(ViolationProvider, "the payout provider paid payout %s, which tuango never made", id)
		}
	}
}
