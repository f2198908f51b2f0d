package chaos

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Setup is what the checker is told about a run instead of reading it from
// the system under test: the hot deals' initial terms, who each virtual
// customer is, and when the system was found quiet.
type Setup struct {
	Scenario  string               `json:"scenario"`
	Seed      uint64               `json:"seed"`
	Nodes     int                  `json:"nodes"`
	Duration  time.Duration        `json:"duration"`
	Deals     map[string]DealSetup `json:"deals"`     // the hot deals by id
	Customers map[int]string       `json:"customers"` // process → user id
	QuietAt   time.Time            `json:"quiet_at"`
	// The day after the sale: the hot deals' city and delivery date, and
	// whether the day was played.
	City         string `json:"city_id"`
	DeliveryDate string `json:"delivery_date"`
	Day          bool   `json:"day"`
}

// DealSetup is a hot deal's stock and limit per customer when it was made.
type DealSetup struct {
	Stock int `json:"stock"`
	Limit int `json:"limit"`
}

// Check recomputes every rule from the history and the raw tables of db
// (dialect "sqlite" or "postgres") once the system is quiet. It trusts
// nothing the system under test computed: not its counters, not its views.
func Check(ctx context.Context, h History, db *sql.DB, dialect string, setup Setup) Report {
	r := newReport(h, setup)
	if dialect != "sqlite" && dialect != "postgres" {
		r.Err = fmt.Errorf("chaos: unknown dialect %q", dialect)
		return r
	}
	t, err := loadTables(ctx, db)
	if err != nil {
		r.Err = err
		return r
	}
	c := &checker{t: t, s: setup, x: indexHistory(h, setup)}
	c.run("acknowledged_orders_durable", "every acknowledged order exists with its acknowledged content", c.acknowledgedOrders)
	c.run("no_phantom_orders", "every order and customer cancellation traces to an invoked request with that body", c.noPhantoms)
	c.run("one_order_per_key", "at most one order per (customer, Idempotency-Key); replays acknowledge the same object", c.onePerKey)
	c.run("no_oversell", "per deal: 0 ≤ reserved ≤ stock and reserved = units in live orders", c.noOversell)
	c.run("stock_conserved", "per hot deal: initial = remaining + held (pending) + sold (paid), each ≥ 0", c.conservation)
	c.run("no_stock_leaked", "once quiet, no units held by an order past its payment deadline", c.noLeak)
	c.run("customer_limits", "per (customer, deal): live units ≤ limit, and the stored counter equals them", c.limits)
	c.run("payments_once", "a paid order has one capture; refunds ≤ captured; late captures refunded once; events once", c.paymentsOnce)
	c.run("reconciliation_closes", "provider payments and refunds = tuango's, per payment", c.reconciliation)
	c.run("acknowledged_payments_reflected", "every acknowledged payment, confirmation and cancellation took effect", c.acknowledgedPayments)
	c.run("legal_transitions", "every order's recorded moves are moves of the state machine, ending in its status", c.legalTransitions)
	c.run("pickup_code_once", "an order is handed over at most once, only at its own pickup point, and picked up only so", c.pickupOnce)
	c.run("cutoff_once", "every cutoff answered one summary, counting the orders confirmed; no order both confirmed and cancelled", c.cutoffOnce)
	c.run("lists_agree", "per product: purchase orders = sorting lists = manifests = pick lists = units of the confirmed orders", c.listsAgree)
	c.run("shortage_refunded_once", "every unit short or damaged at sign-off refunded once, on a signed line of that point; none refunded that was not short", c.shortagesRefunded)
	c.run("refunds_within_paid", "per line and per payment, refunds never exceed what was paid, at the price paid, and the stored sums agree", c.refundsWithinPaid)
	c.run("pickups_acknowledged", "an acknowledged pickup handed over its code's order at the leader's own point", c.pickupsAcknowledged)
	c.run("notifications_once", "every outbox message sent, once in the inbox and once at the SMS receiver; every order event told once", c.notificationsOnce)
	c.run("every_order_ends", "every order is final, or pending with a deadline after the quiet time; expiry never early", c.orderEnds)
	c.ledgerChecks(ctx, db) // ledger.go: INVARIANTS 15–19
	c.auditChecks(ctx, db)  // audit.go: INVARIANTS 20
	r.Checks = c.results
	r.Settled = c.settle()
	r.Orders = countOrders(t)
	return r
}

// checker holds what the checks share.
type checker struct {
	t       *tables
	s       Setup
	x       *hindex
	results []CheckResult
}

// verdict collects one check's outcomes.
type verdict struct{ r *CheckResult }

// maxSamples bounds how many violations a check describes.
const maxSamples = 5

func (v *verdict) pass() { v.r.Checked++ }

func (v *verdict) fail(format string, args ...any) {
	v.r.Checked++
	v.r.Violations++
	if len(v.r.Samples) < maxSamples {
		v.r.Samples = append(v.r.Samples, fmt.Sprintf(format, args...))
	}
}

func (c *checker) run(name, rule string, fn func(v *verdict)) {
	v := &verdict{r: &CheckResult{Name: name, Rule: rule}}
	fn(v)
	c.results = append(c.results, *v.r)
}

// hindex is the history arranged for the checks.
type hindex struct {
	invoked   map[userKey][]Item   // place_order invocations: the body of each key
	unsettled map[userKey]bool     // keys with an ok or info attempt, or one never completed
	acks      []Op                 // ok completions, in order
	infos     []Op                 // info completions and invocations never completed
	payOrders map[string]bool      // orders a create_payment was invoked on
	cancels   map[string]time.Time // orders a cancel_order was invoked on, and when first
	customers map[string]int       // user id → process
	dayOps    []Op                 // the day's operations, every event
}

func indexHistory(h History, s Setup) *hindex {
	x := &hindex{invoked: map[userKey][]Item{}, unsettled: map[userKey]bool{}, payOrders: map[string]bool{},
		cancels: map[string]time.Time{}, customers: map[string]int{}}
	for p, u := range s.Customers {
		x.customers[u] = p
	}
	comp := h.Completions()
	for _, op := range h {
		switch op.F {
		case CutoffOp, ListsOp, DispatchOp, SignOp, PickupOp:
			x.dayOps = append(x.dayOps, op)
		}
		user := s.Customers[op.Process]
		switch op.Type {
		case Invoke:
			switch op.F {
			case PlaceOrder:
				x.invoked[userKey{user, op.Key}] = op.Items
			case CreatePayment:
				x.payOrders[op.OrderID] = true
			case CancelOrder:
				if _, seen := x.cancels[op.OrderID]; !seen {
					x.cancels[op.OrderID] = op.Time
				}
			}
			if _, done := comp[op.ID]; !done {
				op.Type, op.Error = Info, "never completed"
				x.infos = append(x.infos, op)
				x.unsettled[userKey{user, op.Key}] = true
			}
		case OK:
			x.acks = append(x.acks, op)
			x.unsettled[userKey{user, op.Key}] = true
		case Info:
			x.infos = append(x.infos, op)
			x.unsettled[userKey{user, op.Key}] = true
		}
	}
	return x
}

// user returns the user id of the customer who ran op.
func (c *checker) user(op Op) string { return c.s.Customers[op.Process] }

// itemsString writes items in a canonical order, for comparison.
func itemsString(items []Item) string {
	parts := make([]string, 0, len(items))
	for _, it := range items {
		parts = append(parts, fmt.Sprintf("%s×%d", it.DealID, it.Quantity))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func (o *orderRow) itemsString() string {
	items := make([]Item, 0, len(o.lines))
	for _, l := range o.lines {
		items = append(items, Item{l.deal, l.quantity})
	}
	return itemsString(items)
}

// micros reads a time stored as microseconds since the epoch.
func micros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func stamp(v int64) string { return micros(v).Format("15:04:05.000") }
