package tuango

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The ledger: double-entry, append-only, in integer fen. Every money event
// posts one balanced set of transfers in the transaction of the state change
// it describes; a set's key is unique, so an event replayed posts nothing.
// A transfer's amount is what goes into its account (negative: out of it),
// so that each account's balance is what it holds for its party, and a
// set's amounts sum to zero. The chart of accounts and each event's set are
// in docs/decisions.md ("Ledger").

// The accounts; supplier and leader accounts end in ":" and the party's id.
const (
	// AccountProviderClearing is the payment provider's side: negative by
	// what the provider holds for the platform.
	AccountProviderClearing = "provider_clearing"
	// AccountCustomerPayments holds what customers paid for goods not yet
	// handed over (or given back).
	AccountCustomerPayments = "customer_payments"
	// AccountRefunds holds refunds granted that the provider has not paid
	// back yet.
	AccountRefunds = "refunds"
	// AccountPlatformRevenue is what the platform earned: negative for a
	// deal sold below cost plus commission.
	AccountPlatformRevenue = "platform_revenue"
	// AccountCouponSubsidy is what the platform carries for coupons
	// (negative by the discounts given; posted by coupons).
	AccountCouponSubsidy = "coupon_subsidy"
	// AccountPayouts is money paid out to suppliers and leaders (payouts).
	AccountPayouts = "payouts"

	prefixSupplierPayable    = "supplier_payable:"
	prefixCommissionFrozen   = "leader_commission_frozen:"
	prefixCommissionAvailabe = "leader_commission_available:"
)

// SupplierPayable is the account of what the platform owes a supplier.
func SupplierPayable(supplierID string) string { return prefixSupplierPayable + supplierID }

// CommissionFrozen is a leader's commission until the after-sales window
// of its orders closes.
func CommissionFrozen(leaderID string) string { return prefixCommissionFrozen + leaderID }

// CommissionAvailable is a leader's commission that can be withdrawn.
func CommissionAvailable(leaderID string) string { return prefixCommissionAvailabe + leaderID }

// MayGoNegative reports whether an account may have a negative balance:
// only the provider's and payout side, and the platform's own accounts
// (INVARIANTS rule 17). Every account held for a party never does.
func MayGoNegative(account string) bool {
	switch account {
	case AccountProviderClearing, AccountPayouts, AccountPlatformRevenue, AccountCouponSubsidy:
		return true
	}
	return false
}

// LedgerEvent is the kind of business event a set records.
type LedgerEvent string

// The events that post sets.
const (
	EventPaymentCaptured    LedgerEvent = "payment_captured"
	EventRefundGranted      LedgerEvent = "refund_granted"      // a refund before pickup
	EventRefundAfterPickup  LedgerEvent = "refund_after_pickup" // a refund of a line handed over
	EventRefundPaid         LedgerEvent = "refund_paid"         // the provider paid a refund back
	EventPickupCompleted    LedgerEvent = "pickup_completed"
	EventOrderUnclaimed     LedgerEvent = "order_unclaimed"
	EventCommissionReleased LedgerEvent = "commission_released"
	EventLedgerOpened       LedgerEvent = "ledger_opened" // the backfill of data older than the ledger; no transfers
)

// LedgerSet is the balanced set of transfers of one business event, with
// what it traces to.
type LedgerSet struct {
	ID        string
	Event     LedgerEvent
	Key       string // unique per event: a second set with the key is refused
	OrderID   string
	PaymentID string
	RefundID  string
	LineNo    int
	At        time.Time
	Transfers []Transfer
}

// Transfer is one amount into (or, negative, out of) an account.
type Transfer struct {
	Account   string
	AmountFen Fen
}

// LedgerEntry is a transfer as read back, with its set's event.
type LedgerEntry struct {
	SetID     string
	N         int // its place in the set
	Event     LedgerEvent
	Account   string
	AmountFen Fen
	OrderID   string
	At        time.Time
}

// AccountBalance is an account's balance: the sum of its transfers.
type AccountBalance struct {
	Account    string
	BalanceFen Fen
}

// LedgerFilter selects ledger entries, oldest first.
type LedgerFilter struct {
	OrderID string       // when set, only this order's
	After   *LedgerEntry // continue after this entry (its At, SetID, N)
	Limit   int
}

// linePaid is what the customer paid for a line: the base of its refunds
// and commission. Every use goes through here.
func linePaid(l OrderLine) Fen { return l.PaidFen }

// lineSubsidy is what a coupon took off the units of a line not refunded:
// their list price less what is left of what was paid for them. The
// platform carries it (coupon_subsidy) when the goods are handed over.
func lineSubsidy(l OrderLine) Fen {
	if d := l.UnitPriceFen*Fen(l.Quantity-l.RefundedQuantity) - (linePaid(l) - l.RefundedFen); d > 0 {
		return d
	}
	return 0
}

// commission is a leader's commission at bps on a paid amount, rounded to
// the nearest fen, halves up: deterministic, and the platform's revenue
// takes the remainder, so a set still sums to zero.
func commission(paid Fen, bps int) Fen {
	if paid <= 0 || bps <= 0 {
		return 0
	}
	return (paid*Fen(bps) + 5000) / 10000
}

// postHook, when set by a test, posts a set instead of the transaction
// given: the deliberately broken build of the issue, which verify must
// catch.
var postHook func(ctx context.Context, tx Store, set *LedgerSet) error

// post writes a set in tx. An event already posted (its key exists) posts
// nothing: the first set stands.
func (s *Service) post(ctx context.Context, tx Store, set *LedgerSet) error {
	_, err := s.postNew(ctx, tx, set)
	return err
}

// postNew is post that reports whether this call posted the set.
func (s *Service) postNew(ctx context.Context, tx Store, set *LedgerSet) (bool, error) {
	set.ID = s.newID("lgs")
	var sum Fen
	kept := set.Transfers[:0]
	for _, t := range set.Transfers {
		sum += t.AmountFen
		if t.AmountFen != 0 {
			kept = append(kept, t)
		}
	}
	set.Transfers = kept
	if sum != 0 {
		return false, Errorf(CodeInternal, "ledger set %s (%s) does not balance: it sums to %d fen", set.Key, set.Event, sum)
	}
	if postHook != nil {
		return true, postHook(ctx, tx, set)
	}
	err := tx.PostLedgerSet(ctx, set)
	if ErrorCode(err) == CodeConflict {
		return false, nil
	}
	if err == nil {
		err = s.auditMoney(ctx, tx, set)
	}
	return err == nil, err
}

// postCapture records a payment captured: the provider holds the money,
// the platform holds it for the customer.
func (s *Service) postCapture(ctx context.Context, tx Store, p *Payment, now time.Time) error {
	return s.post(ctx, tx, &LedgerSet{Event: EventPaymentCaptured, Key: "capture:" + p.ID, OrderID: p.OrderID, PaymentID: p.ID, At: now,
		Transfers: []Transfer{{AccountProviderClearing, -p.AmountFen}, {AccountCustomerPayments, p.AmountFen}}})
}

// postRefundGranted records a refund before pickup (a cancellation, a late
// payment, a shortage at sign-off): the customer's money becomes a refund
// owed until the provider pays it back.
func (s *Service) postRefundGranted(ctx context.Context, tx Store, r *Refund, now time.Time) error {
	return s.post(ctx, tx, &LedgerSet{Event: EventRefundGranted, Key: "refund:" + r.ID, OrderID: r.OrderID, PaymentID: r.PaymentID, RefundID: r.ID,
		LineNo: r.LineNo, At: now, Transfers: []Transfer{{AccountCustomerPayments, -r.AmountFen}, {AccountRefunds, r.AmountFen}}})
}

// postRefundPaid records that the provider paid a refund back.
func (s *Service) postRefundPaid(ctx context.Context, tx Store, r *Refund, now time.Time) error {
	return s.post(ctx, tx, &LedgerSet{Event: EventRefundPaid, Key: "refund_paid:" + r.ID, OrderID: r.OrderID, PaymentID: r.PaymentID, RefundID: r.ID,
		LineNo: r.LineNo, At: now, Transfers: []Transfer{{AccountRefunds, -r.AmountFen}, {AccountProviderClearing, r.AmountFen}}})
}

// lineSupplier finds the supplier of a line's deal.
func lineSupplier(ctx context.Context, tx Store, l OrderLine) (string, error) {
	d, err := tx.FindDealByID(ctx, l.DealID)
	if err != nil {
		return "", err
	}
	p, err := tx.FindProductByID(ctx, d.ProductID)
	if err != nil {
		return "", err
	}
	return p.SupplierID, nil
}

// handoverSet is the set of an order handed over (leaderID set) or left
// unclaimed (no commission): per line, of what the customer paid for the
// units not refunded, the supplier is owed the snapshotted cost of those
// units, the leader the snapshotted rate of it, and the platform the rest.
func handoverSet(ctx context.Context, tx Store, o *Order, leaderID string) ([]Transfer, error) {
	sums := map[string]Fen{}
	var order []string
	add := func(account string, f Fen) {
		if _, ok := sums[account]; !ok {
			order = append(order, account)
		}
		sums[account] += f
	}
	for _, l := range o.Lines {
		paid := linePaid(l) - l.RefundedFen
		units := l.Quantity - l.RefundedQuantity
		if paid == 0 && units == 0 {
			continue
		}
		sup, err := lineSupplier(ctx, tx, l)
		if err != nil {
			return nil, err
		}
		cost := l.UnitCostFen * Fen(units)
		var k Fen
		if leaderID != "" {
			k = commission(paid, l.CommissionBps)
		}
		sub := lineSubsidy(l)
		add(AccountCustomerPayments, -paid)
		if sub != 0 {
			add(AccountCouponSubsidy, -sub)
		}
		add(SupplierPayable(sup), cost)
		if leaderID != "" {
			add(CommissionFrozen(leaderID), k)
		}
		add(AccountPlatformRevenue, paid+sub-cost-k)
	}
	ts := make([]Transfer, 0, len(order))
	for _, a := range order {
		ts = append(ts, Transfer{a, sums[a]})
	}
	return ts, nil
}

// postPickup records an order handed over by its point's leader.
func (s *Service) postPickup(ctx context.Context, tx Store, o *Order, leaderID string, now time.Time) error {
	ts, err := handoverSet(ctx, tx, o, leaderID)
	if err != nil {
		return err
	}
	return s.post(ctx, tx, &LedgerSet{Event: EventPickupCompleted, Key: "pickup:" + o.ID, OrderID: o.ID, At: now, Transfers: ts})
}

// postUnclaimed records an order not collected: the customer is owed
// nothing more, the supplier delivered, the leader earns nothing (see
// docs/decisions.md).
func (s *Service) postUnclaimed(ctx context.Context, tx Store, o *Order, now time.Time) error {
	ts, err := handoverSet(ctx, tx, o, "")
	if err != nil {
		return err
	}
	return s.post(ctx, tx, &LedgerSet{Event: EventOrderUnclaimed, Key: "unclaimed:" + o.ID, OrderID: o.ID, At: now, Transfers: ts})
}

// orderBalances sums an order's transfers per account.
func orderBalances(ctx context.Context, tx Store, orderID string) (map[string]Fen, error) {
	es, err := tx.FindLedgerEntries(ctx, LedgerFilter{OrderID: orderID})
	if err != nil {
		return nil, err
	}
	m := map[string]Fen{}
	for _, e := range es {
		m[e.Account] += e.AmountFen
	}
	return m, nil
}

// refundAfterPickup refunds qty units (at least one) and amount
// fen of a line of a handed-over order in tx: it records them on the line
// and the order, creates the pending refund and posts its set, which takes
// back from the supplier the cost of the units, from the leader the
// commission in proportion (the commission on what stays paid is
// recomputed, so a line refunded in full has none left), frozen or, once
// released, available, and from the platform the rest. After-sales calls
// it; it never lets a line's refunds exceed what was paid for it.
func (s *Service) refundAfterPickup(ctx context.Context, tx Store, o *Order, lineNo, qty int, amount Fen, reason string, now time.Time) (*Refund, error) {
	if o.Status != OrderPickedUp {
		return nil, Errorf(CodeConflict, "order %s is %s, not picked up", o.ID, o.Status)
	}
	i := -1
	for j := range o.Lines {
		if o.Lines[j].LineNo == lineNo {
			i = j
		}
	}
	if i < 0 {
		return nil, FieldError("line_no", "order %s has no line %d", o.ID, lineNo)
	}
	next := *o
	next.Lines = append([]OrderLine(nil), o.Lines...)
	l := &next.Lines[i]
	was := *l
	before, units := linePaid(*l)-l.RefundedFen, l.Quantity-l.RefundedQuantity
	if amount <= 0 || amount > before {
		return nil, Errorf(CodeRefundExceedsPaid, "line %d has %d fen left to refund; %d was asked", lineNo, before, amount)
	}
	if qty < 1 || qty > units {
		return nil, FieldError("quantity", "must be between 1 and %d", units)
	}
	l.RefundedFen += amount
	l.RefundedQuantity += qty
	next.RefundedFen += amount
	ok, err := tx.UpdateOrderStatus(ctx, &next, o.Status)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, Errorf(CodeConflict, "order %s changed meanwhile; try again", o.ID)
	}
	pays, err := tx.FindPayments(ctx, PaymentFilter{OrderID: o.ID, Status: PaymentSucceeded})
	if err != nil {
		return nil, err
	}
	if len(pays) == 0 {
		return nil, Errorf(CodeInternal, "order %s is picked up but has no succeeded payment", o.ID)
	}
	r := &Refund{ID: s.newID("rfd"), PaymentID: pays[0].ID, OrderID: o.ID, LineNo: lineNo, Quantity: qty, AmountFen: amount,
		Reason: RefundAfterSales + ":" + reason, Status: RefundPending, CreatedAt: now}
	if err := tx.CreateRefund(ctx, r); err != nil {
		return nil, err
	}
	if err := s.postRefundAfterPickup(ctx, tx, was, r, now); err != nil {
		return nil, err
	}
	*o = next
	return r, nil
}

// postRefundAfterPickup posts the set of a refund r of a handed-over line,
// as the line was before it (was): it takes back from the supplier the
// cost of the units, from the leader the commission in proportion (the
// commission on what stays paid is recomputed, so a line refunded in full
// has none left), frozen or, once released, available, gives the coupon's
// subsidy of the units back, and takes the rest from the platform. Every
// refund after pickup posts through here, in the refund's transaction.
func (s *Service) postRefundAfterPickup(ctx context.Context, tx Store, was OrderLine, r *Refund, now time.Time) error {
	after := was
	after.RefundedFen += r.AmountFen
	after.RefundedQuantity += r.Quantity
	sup, err := lineSupplier(ctx, tx, was)
	if err != nil {
		return err
	}
	bal, err := orderBalances(ctx, tx, r.OrderID)
	if err != nil {
		return err
	}
	amount := r.AmountFen
	sub := lineSubsidy(was) - lineSubsidy(after) // the subsidy of the units given back
	ts := []Transfer{{AccountRefunds, amount}}
	cost := was.UnitCostFen * Fen(r.Quantity)
	ts = append(ts, Transfer{SupplierPayable(sup), -cost})
	k := commission(linePaid(was)-was.RefundedFen, was.CommissionBps) - commission(linePaid(after)-after.RefundedFen, was.CommissionBps)
	if leader := orderLeader(bal); leader != "" && k != 0 {
		acct := CommissionFrozen(leader)
		if released, err := tx.HasLedgerSet(ctx, "release:"+r.OrderID); err != nil {
			return err
		} else if released {
			acct = CommissionAvailable(leader)
		}
		ts = append(ts, Transfer{acct, -k})
	} else {
		k = 0
	}
	if sub != 0 {
		ts = append(ts, Transfer{AccountCouponSubsidy, sub})
	}
	ts = append(ts, Transfer{AccountPlatformRevenue, -(amount + sub - cost - k)})
	return s.post(ctx, tx, &LedgerSet{Event: EventRefundAfterPickup, Key: "refund:" + r.ID, OrderID: r.OrderID, PaymentID: r.PaymentID, RefundID: r.ID,
		LineNo: was.LineNo, At: now, Transfers: ts})
}

// orderLeader is the leader whose commission an order's transfers name.
func orderLeader(bal map[string]Fen) string {
	for a := range bal {
		if id, ok := strings.CutPrefix(a, prefixCommissionFrozen); ok {
			return id
		}
	}
	return ""
}

// ReleaseCommissions moves the frozen commission of orders whose
// after-sales window closed to their leaders' available balance, once per
// order, and reports how many orders it released: the worker's sweep. Each
// release is one transaction whose set's key makes it exactly once, also
// when two nodes sweep at once.
func (s *Service) ReleaseCommissions(ctx context.Context, limit int) (int, error) {
	cities, err := s.store.FindCities(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range cities {
		window, err := s.store.FindAfterSalesWindow(ctx, c.ID)
		if err != nil {
			return n, err
		}
		now := s.clock.Now()
		ids, err := s.store.FindUnreleasedPickups(ctx, c.ID, now.Add(-window), limit-n)
		if err != nil {
			return n, err
		}
		for _, id := range ids {
			released := false
			err := s.store.InTx(ctx, func(tx Store) error {
				released = false
				if done, err := tx.HasLedgerSet(ctx, "release:"+id); err != nil || done {
					return err
				}
				// An after-sales request asked in time and not decided yet
				// may still take commission back: the order's commission
				// waits for the decision, so that a leader never withdraws
				// what a refund then reverses.
				if err := tx.LockOrderForAfterSales(ctx, id); err != nil {
					return err
				}
				if open, err := tx.FindAfterSales(ctx, AfterSalesFilter{OrderID: id, Status: AfterSalesPending, Limit: 1}); err != nil || len(open) > 0 {
					return err
				}
				bal, err := orderBalances(ctx, tx, id)
				if err != nil {
					return err
				}
				var ts []Transfer
				for _, a := range sortedAccounts(bal) {
					if leader, ok := strings.CutPrefix(a, prefixCommissionFrozen); ok && bal[a] != 0 {
						ts = append(ts, Transfer{a, -bal[a]}, Transfer{CommissionAvailable(leader), bal[a]})
					}
				}
				released, err = s.postNew(ctx, tx, &LedgerSet{Event: EventCommissionReleased, Key: "release:" + id, OrderID: id, At: s.clock.Now(), Transfers: ts})
				return err
			})
			if err != nil {
				return n, err
			}
			if released {
				n++
			}
		}
		if n >= limit {
			break
		}
	}
	return n, nil
}

func sortedAccounts(m map[string]Fen) []string {
	as := make([]string, 0, len(m))
	for a := range m {
		as = append(as, a)
	}
	sort.Strings(as)
	return as
}

// BackfillLedger brings data older than the ledger into it, once: every
// succeeded payment's capture, every refund (and its payment back when the
// provider paid it), every order handed over or unclaimed, each at the
// time it happened, with the sets and keys the live events use. It runs in
// one transaction that ends with the set ledger_opened, so it either all
// happens or not at all, and runs only while that set is missing. It
// reports how many sets it posted. serve and demo run it at start.
func (s *Service) BackfillLedger(ctx context.Context) (int, error) {
	if done, err := s.store.HasLedgerSet(ctx, "ledger_opened"); err != nil || done {
		return 0, err
	}
	n := 0
	err := s.store.InTx(ctx, func(tx Store) error {
		n = 0
		if done, err := tx.HasLedgerSet(ctx, "ledger_opened"); err != nil || done {
			return err
		}
		count := func(key string, post func() error) error {
			if had, err := tx.HasLedgerSet(ctx, key); err != nil || had {
				return err
			}
			n++
			return post()
		}
		pays, err := tx.FindPayments(ctx, PaymentFilter{Status: PaymentSucceeded})
		if err != nil {
			return err
		}
		for i := range pays {
			p := &pays[i]
			if err := count("capture:"+p.ID, func() error { return s.postCapture(ctx, tx, p, p.SucceededAt) }); err != nil {
				return err
			}
		}
		refunds, err := tx.FindRefunds(ctx, "", "", 0)
		if err != nil {
			return err
		}
		for i := range refunds {
			r := &refunds[i]
			if err := count("refund:"+r.ID, func() error { return s.postRefundGranted(ctx, tx, r, r.CreatedAt) }); err != nil {
				return err
			}
			if r.Status == RefundSucceeded {
				if err := count("refund_paid:"+r.ID, func() error { return s.postRefundPaid(ctx, tx, r, r.CompletedAt) }); err != nil {
					return err
				}
			}
		}
		for _, st := range []OrderStatus{OrderPickedUp, OrderUnclaimed} {
			orders, err := tx.FindOrders(ctx, OrderFilter{Status: st})
			if err != nil {
				return err
			}
			for i := range orders {
				o := &orders[i]
				if st == OrderUnclaimed {
					if err := count("unclaimed:"+o.ID, func() error { return s.postUnclaimed(ctx, tx, o, o.UnclaimedAt) }); err != nil {
						return err
					}
					continue
				}
				pp, err := tx.FindPickupPointByID(ctx, o.PickupPointID)
				if err != nil {
					return err
				}
				if err := count("pickup:"+o.ID, func() error { return s.postPickup(ctx, tx, o, pp.LeaderID, o.PickedUpAt) }); err != nil {
					return err
				}
			}
		}
		return s.post(ctx, tx, &LedgerSet{Event: EventLedgerOpened, Key: "ledger_opened", At: s.clock.Now()})
	})
	return n, err
}

// TrialBalance is every account's balance and their total, which is zero
// when the books balance.
type TrialBalance struct {
	Accounts []AccountBalance
	TotalFen Fen
}

// TrialBalance sums the journal per account, for an operator.
func (s *Service) TrialBalance(ctx context.Context, a Actor) (*TrialBalance, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, err
	}
	bs, err := s.store.LedgerBalances(ctx)
	if err != nil {
		return nil, err
	}
	tb := &TrialBalance{Accounts: bs}
	for _, b := range bs {
		tb.TotalFen += b.BalanceFen
	}
	return tb, nil
}

// LedgerTransfers lists transfers, of one order when orderID is set,
// oldest first, a page at a time, for an operator.
func (s *Service) LedgerTransfers(ctx context.Context, a Actor, orderID string, limit int, cursor string) ([]LedgerEntry, string, error) {
	if err := a.RequireStaff(); err != nil {
		return nil, "", err
	}
	if orderID != "" {
		if err := checkID("order_id", orderID); err != nil {
			return nil, "", err
		}
	}
	limit, err := pageLimit(limit)
	if err != nil {
		return nil, "", err
	}
	f := LedgerFilter{OrderID: orderID, Limit: limit + 1}
	if cursor != "" {
		after, err := parseLedgerCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		f.After = after
	}
	es, err := s.store.FindLedgerEntries(ctx, f)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(es) > limit {
		es = es[:limit]
		last := es[limit-1]
		next = strconv.FormatInt(last.At.UnixMicro(), 10) + "." + last.SetID + "." + strconv.Itoa(last.N)
	}
	return es, next, nil
}

func parseLedgerCursor(c string) (*LedgerEntry, error) {
	parts := strings.Split(c, ".")
	bad := FieldError("cursor", "is not a cursor of this list")
	if len(parts) != 3 {
		return nil, bad
	}
	at, err1 := strconv.ParseInt(parts[0], 10, 64)
	n, err2 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || checkID("cursor", parts[1]) != nil {
		return nil, bad
	}
	return &LedgerEntry{At: time.UnixMicro(at).UTC(), SetID: parts[1], N: n}, nil
}

// LedgerData is everything the ledger's verification reads: the journal,
// and the records it must agree with.
type LedgerData struct {
	Sets            []LedgerSet
	Orders          []Order // with their lines
	Payments        []Payment
	Refunds         []Refund
	ProviderPaid    map[string]Fen // the provider's paid payments: payment id → amount
	ProviderRefunds map[string]Fen // the provider's refunds: refund id → amount
	Payouts         []Payout
	ProviderPayouts map[string]Fen // the payout provider's paid payouts: payout id → amount
}

// LedgerViolation is one thing verification found wrong.
type LedgerViolation struct {
	Kind   string // a stable name: unbalanced_set, trial_balance, negative_balance, ...
	Detail string
}

func (v LedgerViolation) String() string { return v.Kind + ": " + v.Detail }

// LedgerReport is what verification found.
type LedgerReport struct {
	Sets       int
	Transfers  int
	Balances   []AccountBalance // recomputed from the journal
	TotalFen   Fen
	Violations []LedgerViolation
}

// The kinds of violation verification reports.
const (
	ViolationUnbalancedSet     = "unbalanced_set"
	ViolationTrialBalance      = "trial_balance"
	ViolationNegativeBalance   = "negative_balance"
	ViolationCapture           = "capture"         // a paid order without exactly one capture, or a capture without its payment
	ViolationRefundUnposted    = "refund_unposted" // a refund without its set, or a set without its refund
	ViolationRefundExceedsLine = "refund_exceeds_line"
	ViolationRefundExceedsPaid = "refund_exceeds_payment"
	ViolationProvider          = "provider_mismatch"
	ViolationCustomerMoney     = "customer_money_left" // a finished order still holds customer money
	ViolationHandover          = "handover_amounts"    // a pickup's payable or commission differs from its lines
)

// SandboxProvider is the name of the sandbox payment provider, whose
// records verification compares with the ledger.
const SandboxProvider = "sandbox"

// paidPath is every status of an order that was paid and not cancelled.
var paidPath = map[OrderStatus]bool{OrderPaid: true, OrderConfirmed: true, OrderShipped: true, OrderArrived: true,
	OrderPickedUp: true, OrderUnclaimed: true, OrderRefunded: true}

// VerifyLedger recomputes every balance from the journal and checks the
// ledger's rules (INVARIANTS 13–19): each set balances and the trial
// balance is zero; no party's account is negative; every succeeded payment
// has one capture of its amount and every paid order exactly one capture
// kept; every refund has one set of its amount and refunds stay within the
// line's paid amount and the payment's capture; the provider's payments
// and refunds agree with the captures and refunds paid; a finished order
// holds no customer money; a handover's payable and commission are what
// its lines' costs and rates say.
func VerifyLedger(d LedgerData) LedgerReport {
	var r LedgerReport
	bad := func(kind, format string, args ...any) {
		r.Violations = append(r.Violations, LedgerViolation{kind, fmt.Sprintf(format, args...)})
	}
	bal := map[string]Fen{}
	orderBal := map[string]map[string]Fen{}
	captures := map[string][]*LedgerSet{} // payment → capture sets
	refundSets := map[string][]*LedgerSet{}
	paidSets := map[string][]*LedgerSet{}
	handovers := map[string]*LedgerSet{}
	afterPickup := map[string][]*LedgerSet{} // order → its refunds after pickup
	for i := range d.Sets {
		set := &d.Sets[i]
		r.Sets++
		var sum Fen
		for _, t := range set.Transfers {
			r.Transfers++
			sum += t.AmountFen
			bal[t.Account] += t.AmountFen
			if set.OrderID != "" {
				if orderBal[set.OrderID] == nil {
					orderBal[set.OrderID] = map[string]Fen{}
				}
				orderBal[set.OrderID][t.Account] += t.AmountFen
			}
		}
		if sum != 0 {
			bad(ViolationUnbalancedSet, "set %s (%s, %s) sums to %d fen", set.ID, set.Event, set.Key, sum)
		}
		switch set.Event {
		case EventPaymentCaptured:
			captures[set.PaymentID] = append(captures[set.PaymentID], set)
		case EventRefundGranted, EventRefundAfterPickup:
			refundSets[set.RefundID] = append(refundSets[set.RefundID], set)
			if set.Event == EventRefundAfterPickup {
				afterPickup[set.OrderID] = append(afterPickup[set.OrderID], set)
			}
		case EventRefundPaid:
			paidSets[set.RefundID] = append(paidSets[set.RefundID], set)
		case EventPickupCompleted, EventOrderUnclaimed:
			handovers[set.OrderID] = set
		}
	}
	for _, a := range sortedAccounts(bal) {
		r.Balances = append(r.Balances, AccountBalance{a, bal[a]})
		r.TotalFen += bal[a]
		if bal[a] < 0 && !MayGoNegative(a) {
			bad(ViolationNegativeBalance, "account %s is at %d fen; only clearing and the platform's accounts may go negative", a, bal[a])
		}
	}
	if r.TotalFen != 0 {
		bad(ViolationTrialBalance, "the trial balance is %d fen, not 0", r.TotalFen)
	}
	amountOf := func(set *LedgerSet, account string) Fen {
		var f Fen
		for _, t := range set.Transfers {
			if t.Account == account {
				f += t.AmountFen
			}
		}
		return f
	}
	payments := map[string]*Payment{}
	kept := map[string]int{} // order → captures not wholly refunded
	wholeRefunds := map[string]int{}
	for _, rf := range d.Refunds {
		if rf.LineNo == 0 {
			wholeRefunds[rf.PaymentID]++
		}
	}
	for i := range d.Payments {
		p := &d.Payments[i]
		payments[p.ID] = p
		cs := captures[p.ID]
		switch {
		case p.Status != PaymentSucceeded && len(cs) > 0:
			bad(ViolationCapture, "payment %s is %s but has %d captures", p.ID, p.Status, len(cs))
		case p.Status == PaymentSucceeded && len(cs) != 1:
			bad(ViolationCapture, "payment %s succeeded but has %d captures, not 1", p.ID, len(cs))
		case p.Status == PaymentSucceeded:
			if got := amountOf(cs[0], AccountCustomerPayments); got != p.AmountFen {
				bad(ViolationCapture, "payment %s captured %d fen but its capture posts %d", p.ID, p.AmountFen, got)
			}
			if wholeRefunds[p.ID] == 0 {
				kept[p.OrderID]++
			}
			paid, ok := d.ProviderPaid[p.ID]
			switch {
			case p.Provider != SandboxProvider:
			case !ok:
				bad(ViolationProvider, "payment %s is captured in the ledger but the provider has no paid payment", p.ID)
			case paid != p.AmountFen:
				bad(ViolationProvider, "payment %s: the provider took %d fen, the ledger captured %d", p.ID, paid, p.AmountFen)
			}
		}
	}
	for id := range captures {
		if payments[id] == nil {
			bad(ViolationCapture, "a capture names payment %s, which does not exist", id)
		}
	}
	for _, id := range ledgerKeys(d.ProviderPaid) {
		if p := payments[id]; p == nil || p.Status != PaymentSucceeded || p.Provider != SandboxProvider {
			bad(ViolationProvider, "the provider has payment %s paid, but tuango has no capture of it", id)
		}
	}
	orders := map[string]*Order{}
	for i := range d.Orders {
		o := &d.Orders[i]
		orders[o.ID] = o
		if paidPath[o.Status] && kept[o.ID] != 1 {
			bad(ViolationCapture, "order %s is %s with %d kept captures, not exactly 1", o.ID, o.Status, kept[o.ID])
		}
		if o.Status.Final() && orderBal[o.ID][AccountCustomerPayments] != 0 {
			bad(ViolationCustomerMoney, "order %s is %s but still holds %d fen of customer money", o.ID, o.Status, orderBal[o.ID][AccountCustomerPayments])
		}
		if h := handovers[o.ID]; h != nil {
			var cost, k, sub Fen
			for _, l := range o.Lines {
				units := l.Quantity - l.RefundedQuantity
				cost += l.UnitCostFen * Fen(units)
				sub += lineSubsidy(l)
				if h.Event == EventPickupCompleted {
					k += commission(linePaid(l)-l.RefundedFen, l.CommissionBps)
				}
			}
			var gotCost, gotK, gotSub Fen
			for _, t := range h.Transfers {
				switch {
				case t.Account == AccountCouponSubsidy:
					gotSub -= t.AmountFen
				case strings.HasPrefix(t.Account, prefixSupplierPayable):
					gotCost += t.AmountFen
				case strings.HasPrefix(t.Account, prefixCommissionFrozen):
					gotK += t.AmountFen
				}
			}
			// A refund after pickup changes the lines after the handover:
			// add back what it took.
			for _, s := range afterPickup[o.ID] {
				for _, t := range s.Transfers {
					if strings.HasPrefix(t.Account, prefixSupplierPayable) {
						gotCost += t.AmountFen
					}
					if t.Account == AccountCouponSubsidy {
						gotSub -= t.AmountFen
					}
					if strings.HasPrefix(t.Account, prefixCommissionFrozen) || strings.HasPrefix(t.Account, prefixCommissionAvailabe) {
						gotK += t.AmountFen
					}
				}
			}
			if gotCost != cost || gotK != k {
				bad(ViolationHandover, "order %s: the ledger owes its suppliers %d fen and its leader %d, its lines say %d and %d", o.ID, gotCost, gotK, cost, k)
			}
			if gotSub != sub {
				bad(ViolationHandover, "order %s: the ledger carries %d fen of coupon subsidy, its lines' discounts on what was handed over say %d", o.ID, gotSub, sub)
			}
		}
	}
	refundedLine := map[string]Fen{}
	refundedPay := map[string]Fen{}
	refunds := map[string]bool{}
	for _, rf := range d.Refunds {
		refunds[rf.ID] = true
		sets := refundSets[rf.ID]
		switch {
		case len(sets) != 1:
			bad(ViolationRefundUnposted, "refund %s of %d fen has %d sets, not 1", rf.ID, rf.AmountFen, len(sets))
		case amountOf(sets[0], AccountRefunds) != rf.AmountFen:
			bad(ViolationRefundUnposted, "refund %s is of %d fen but its set posts %d", rf.ID, rf.AmountFen, amountOf(sets[0], AccountRefunds))
		}
		if ps := paidSets[rf.ID]; (rf.Status == RefundSucceeded) != (len(ps) == 1) || len(ps) > 1 {
			bad(ViolationRefundUnposted, "refund %s is %s with %d payments back posted", rf.ID, rf.Status, len(ps))
		}
		if got, ok := d.ProviderRefunds[rf.ID]; rf.Status == RefundSucceeded && payments[rf.PaymentID] != nil &&
			payments[rf.PaymentID].Provider == SandboxProvider && (!ok || got != rf.AmountFen) {
			bad(ViolationProvider, "refund %s of %d fen is paid back in the ledger; the provider has %d (found: %v)", rf.ID, rf.AmountFen, got, ok)
		}
		refundedPay[rf.PaymentID] += rf.AmountFen
		if rf.LineNo > 0 {
			refundedLine[rf.OrderID+"#"+strconv.Itoa(rf.LineNo)] += rf.AmountFen
		} else if o := orders[rf.OrderID]; o != nil {
			// A whole refund returns every line's paid amount.
			for _, l := range o.Lines {
				refundedLine[o.ID+"#"+strconv.Itoa(l.LineNo)] += linePaid(l)
			}
		}
	}
	for id, sets := range refundSets {
		if !refunds[id] {
			bad(ViolationRefundUnposted, "set %s posts refund %s, which does not exist", sets[0].ID, id)
		}
	}
	for _, id := range ledgerKeys(d.ProviderRefunds) {
		if !refunds[id] {
			bad(ViolationProvider, "the provider paid back refund %s, which tuango never granted", id)
		}
	}
	for _, id := range ledgerKeys(refundedPay) {
		if p := payments[id]; p != nil && refundedPay[id] > p.AmountFen {
			bad(ViolationRefundExceedsPaid, "payment %s captured %d fen and has %d refunded", id, p.AmountFen, refundedPay[id])
		}
	}
	for _, o := range d.Orders {
		for _, l := range o.Lines {
			if got := refundedLine[o.ID+"#"+strconv.Itoa(l.LineNo)]; got > linePaid(l) {
				bad(ViolationRefundExceedsLine, "order %s line %d was paid %d fen and has %d refunded", o.ID, l.LineNo, linePaid(l), got)
			}
		}
	}
	verifyPayouts(d, bad)
	return r
}

func ledgerKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
