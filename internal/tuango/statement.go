package tuango

import (
	"context"
	"strings"
	"time"
)

// Statements: what the ledger says a supplier or a leader was owed, earned
// and paid over a period. Every figure is a sum of the transfers on the
// party's accounts; the orders are read only to name the goods and units a
// transfer is for. See docs/decisions.md ("Statements").

// StatementZone is the time zone a statement's dates are read in: every
// city is in China's single zone, and a supplier serves several cities.
const StatementZone = "Asia/Shanghai"

// MaxStatementDays is the longest period one statement covers.
const MaxStatementDays = 366

// StatementFilter selects the transfers on some accounts at or after From
// and before To.
type StatementFilter struct {
	Accounts []string
	From, To time.Time
}

// StatementEntry is a transfer with what its set traces to.
type StatementEntry struct {
	LedgerEntry
	LineNo         int    // the order line of a set about one line, else 0
	RefundID       string // the refund a set records, if any
	RefundQuantity int    // the units of that refund (0 for a whole refund)
}

// StatementStore is what statements read from the store.
type StatementStore interface {
	// FindStatementEntries lists the transfers on f's accounts in
	// [f.From, f.To), oldest first (by time, set, place).
	FindStatementEntries(ctx context.Context, f StatementFilter) ([]StatementEntry, error)
	// AccountBalancesBefore sums each account's transfers before t; an
	// account with none is absent.
	AccountBalancesBefore(ctx context.Context, accounts []string, t time.Time) (map[string]Fen, error)
}

// StatementLine is one transfer on a party's account in the period.
type StatementLine struct {
	At        time.Time
	Event     LedgerEvent
	Account   string
	OrderID   string
	LineNo    int    // the order line, when the transfer is about one
	Title     string // the goods, when known
	Units     int    // units handed over (positive) or refunded (negative)
	AmountFen Fen
	SetID     string
	RefundID  string
}

// SupplierSummary sums a supplier's statement lines.
type SupplierSummary struct {
	UnitsDelivered int // handed over or left unclaimed at the point
	CostFen        Fen // their snapshotted cost
	RefundedUnits  int // given back after pickup
	DeductionsFen  Fen // the cost of those, negative
	PayableFen     Fen // CostFen + DeductionsFen
	PaidOutFen     Fen // every other event, net, as money out (payouts)
	BalanceFen     Fen // the closing balance
}

// LeaderSummary sums a leader's statement lines.
type LeaderSummary struct {
	OrdersPickedUp int
	EarnedFen      Fen // commission frozen at pickup
	ReleasedFen    Fen // moved from frozen to available
	ReversedFen    Fen // taken back by refunds after pickup, positive
	WithdrawnFen   Fen // every other event, net, as money out (withdrawals)
	BalanceFen     Fen // the closing balance, frozen and available
}

// Statement is a party's statement for [From, To], dates inclusive in
// StatementZone. Closing = Opening + the lines' amounts.
type Statement struct {
	Party        Role // RoleSupplier or RoleLeader
	PartyID      string
	From, To     string
	OpeningFen   Fen
	Lines        []StatementLine
	ClosingFen   Fen
	AvailableFen Fen // what the party may be paid at To
	FrozenFen    Fen // a leader's commission still in its window at To
	Supplier     *SupplierSummary
	Leader       *LeaderSummary
}

// StatementPeriod reads a period's dates: from and to are YYYY-MM-DD in
// StatementZone, to inclusive, at most MaxStatementDays days. An empty to
// is today (by the clock), an empty from the first of to's month. It
// returns the dates and the instants [start, end).
func StatementPeriod(from, to string, now time.Time) (string, string, time.Time, time.Time, error) {
	loc := shanghai()
	if to == "" {
		to = now.In(loc).Format(time.DateOnly)
	}
	end, err := time.ParseInLocation(time.DateOnly, to, loc)
	if err != nil || !dateRE.MatchString(to) {
		return "", "", time.Time{}, time.Time{}, FieldError("to", "must be a date written YYYY-MM-DD")
	}
	if from == "" {
		from = end.Format("2006-01") + "-01"
	}
	start, err := time.ParseInLocation(time.DateOnly, from, loc)
	if err != nil || !dateRE.MatchString(from) {
		return "", "", time.Time{}, time.Time{}, FieldError("from", "must be a date written YYYY-MM-DD")
	}
	if start.After(end) {
		return "", "", time.Time{}, time.Time{}, FieldError("from", "must not be after to (%s)", to)
	}
	end = end.AddDate(0, 0, 1)
	if end.Sub(start) > MaxStatementDays*24*time.Hour {
		return "", "", time.Time{}, time.Time{}, FieldError("to", "a statement covers at most %d days", MaxStatementDays)
	}
	return from, to, start, end, nil
}

func shanghai() *time.Location {
	loc, err := time.LoadLocation(StatementZone)
	if err != nil {
		return time.FixedZone(StatementZone, 8*3600) // no daylight saving since 1991
	}
	return loc
}

// SupplierStatement is the statement of the supplier the caller (a
// supplier user) speaks for.
func (s *Service) SupplierStatement(ctx context.Context, a Actor, from, to string) (*Statement, error) {
	if a.Role != RoleSupplier {
		return nil, Errorf(CodeForbidden, "this needs a supplier account")
	}
	u, err := s.store.FindUserByID(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	var accounts []string // an account bound to no supplier has an empty statement, as it has no purchase orders
	if u.SupplierID != "" {
		accounts = []string{SupplierPayable(u.SupplierID)}
	}
	st, err := s.statement(ctx, RoleSupplier, u.SupplierID, accounts, from, to)
	if err != nil {
		return nil, err
	}
	sum := &SupplierSummary{BalanceFen: st.ClosingFen}
	for _, l := range st.Lines {
		switch l.Event {
		case EventPickupCompleted, EventOrderUnclaimed:
			sum.UnitsDelivered += l.Units
			sum.CostFen += l.AmountFen
		case EventRefundAfterPickup:
			sum.RefundedUnits -= l.Units
			sum.DeductionsFen += l.AmountFen
		default:
			sum.PaidOutFen -= l.AmountFen
		}
	}
	sum.PayableFen = sum.CostFen + sum.DeductionsFen
	st.Supplier, st.AvailableFen = sum, st.ClosingFen
	return st, nil
}

// LeaderStatement is the caller's (a leader's) commission statement, over
// its frozen and available accounts.
func (s *Service) LeaderStatement(ctx context.Context, a Actor, from, to string) (*Statement, error) {
	if a.Role != RoleLeader {
		return nil, Errorf(CodeForbidden, "this needs a leader account")
	}
	frozen, avail := CommissionFrozen(a.UserID), CommissionAvailable(a.UserID)
	st, err := s.statement(ctx, RoleLeader, a.UserID, []string{frozen, avail}, from, to)
	if err != nil {
		return nil, err
	}
	sum := &LeaderSummary{BalanceFen: st.ClosingFen}
	orders := map[string]bool{}
	for _, l := range st.Lines {
		switch {
		case l.Event == EventPickupCompleted && l.Account == frozen:
			if !orders[l.OrderID] {
				orders[l.OrderID] = true
				sum.OrdersPickedUp++
			}
			sum.EarnedFen += l.AmountFen
		case l.Event == EventCommissionReleased:
			if l.Account == avail {
				sum.ReleasedFen += l.AmountFen
			}
		case l.Event == EventRefundAfterPickup:
			sum.ReversedFen -= l.AmountFen
		default:
			sum.WithdrawnFen -= l.AmountFen
		}
	}
	st.Leader = sum
	return st, nil
}

// statement reads the opening balances and the lines of accounts (the
// first is where a supplier's, the second where a leader's available
// money is) and names each line's goods.
func (s *Service) statement(ctx context.Context, party Role, id string, accounts []string, from, to string) (*Statement, error) {
	from, to, start, end, err := StatementPeriod(from, to, s.clock.Now())
	if err != nil {
		return nil, err
	}
	open, err := s.store.AccountBalancesBefore(ctx, accounts, start)
	if err != nil {
		return nil, err
	}
	es, err := s.store.FindStatementEntries(ctx, StatementFilter{Accounts: accounts, From: start, To: end})
	if err != nil {
		return nil, err
	}
	st := &Statement{Party: party, PartyID: id, From: from, To: to, Lines: []StatementLine{}}
	bal := map[string]Fen{}
	for _, a := range accounts {
		bal[a] = open[a]
		st.OpeningFen += open[a]
	}
	goods := statementGoods{s: s, orders: map[string]*Order{}, suppliers: map[string]string{}, afterSales: map[string]map[int]int{}}
	st.ClosingFen = st.OpeningFen
	for _, e := range es {
		l := StatementLine{At: e.At, Event: e.Event, Account: e.Account, OrderID: e.OrderID, LineNo: e.LineNo,
			AmountFen: e.AmountFen, SetID: e.SetID, RefundID: e.RefundID}
		if err := goods.name(ctx, &l, e, party, id); err != nil {
			return nil, err
		}
		st.Lines = append(st.Lines, l)
		st.ClosingFen += e.AmountFen
		bal[e.Account] += e.AmountFen
	}
	if party == RoleLeader {
		st.FrozenFen, st.AvailableFen = bal[accounts[0]], bal[accounts[1]]
	}
	return st, nil
}

// statementGoods names the goods and units of statement lines from the
// orders, reading each order once.
type statementGoods struct {
	s          *Service
	orders     map[string]*Order
	suppliers  map[string]string      // deal → supplier
	afterSales map[string]map[int]int // order → line → units refunded after pickup
}

func (g *statementGoods) name(ctx context.Context, l *StatementLine, e StatementEntry, party Role, id string) error {
	if e.OrderID == "" {
		return nil
	}
	o, ok := g.orders[e.OrderID]
	if !ok {
		var err error
		if o, err = g.s.store.FindOrderByID(ctx, e.OrderID); err != nil {
			return err
		}
		g.orders[e.OrderID] = o
	}
	var titles []string
	var lines []int
	handover := e.Event == EventPickupCompleted || e.Event == EventOrderUnclaimed
	after := map[int]int{}
	if handover {
		var err error
		if after, err = g.refundedAfterPickup(ctx, o); err != nil {
			return err
		}
	}
	for _, ol := range o.Lines {
		if e.LineNo != 0 && ol.LineNo != e.LineNo {
			continue
		}
		if party == RoleSupplier && e.LineNo == 0 {
			sup, err := g.supplier(ctx, ol)
			if err != nil {
				return err
			}
			if sup != id {
				continue
			}
		}
		if handover {
			l.Units += ol.Quantity - ol.RefundedQuantity + after[ol.LineNo]
		}
		titles, lines = append(titles, ol.Title), append(lines, ol.LineNo)
	}
	if e.Event == EventRefundAfterPickup {
		l.Units = -e.RefundQuantity
	}
	if len(lines) == 1 {
		l.LineNo = lines[0]
	}
	l.Title = strings.Join(titles, " / ")
	return nil
}

func (g *statementGoods) supplier(ctx context.Context, l OrderLine) (string, error) {
	if sup, ok := g.suppliers[l.DealID]; ok {
		return sup, nil
	}
	sup, err := lineSupplier(ctx, g.s.store, l)
	g.suppliers[l.DealID] = sup
	return sup, err
}

// refundedAfterPickup counts per line the units of an order's after-sales
// refunds, so that a pickup's units are those handed over then.
func (g *statementGoods) refundedAfterPickup(ctx context.Context, o *Order) (map[int]int, error) {
	if m, ok := g.afterSales[o.ID]; ok {
		return m, nil
	}
	m := map[int]int{}
	pays, err := g.s.store.FindPayments(ctx, PaymentFilter{OrderID: o.ID})
	if err != nil {
		return nil, err
	}
	for _, p := range pays {
		rs, err := g.s.store.FindRefunds(ctx, p.ID, "", 0)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			if strings.HasPrefix(r.Reason, RefundAfterSales+":") {
				m[r.LineNo] += r.Quantity
			}
		}
	}
	g.afterSales[o.ID] = m
	return m, nil
}
