package chaos

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
)

// The raw rows the checker reads: only the columns it needs, read with plain
// SQL that both engines share, never through tuango's own store code.

type dealRow struct {
	id, product            string
	stock, reserved, limit int
}

type orderRow struct {
	id, user, status, key, reason  string
	point, city, date, code        string
	refunded                       int64      // refunded_fen
	events                         []eventRow // the order's moves, oldest first
	total                          int64
	created, expires, paid, cancel int64 // microseconds since the epoch
	lines                          []lineRow
}

type eventRow struct {
	status, place string
	at            int64
}

type lineRow struct {
	deal              string
	lineNo, quantity  int
	unitPrice, amount int64
	refundedQty       int
	refundedFen       int64
	partials          []partialRow
}

// partialRow is a partial refund of one order line (a shortage at sign-off).
type partialRow struct {
	id, payment, order, reason, status string
	lineNo, quantity                   int
	amount                             int64
}

// messageRow is an outbox message and where it was delivered.
type messageRow struct {
	id, user, order, kind string
	sent                  int64
	inbox, sms            int    // copies in the inbox and at the SMS receiver
	smsPhone, inboxUser   string // where they went
}

type paymentRow struct {
	id, order, user, status, txn string
	amount                       int64
}

type refundRow struct {
	id, payment, order, status string
	amount                     int64
}

type sandboxPaymentRow struct {
	id, txn, payer, status string
	amount                 int64
}

type sandboxRefundRow struct {
	id, payment string
	amount      int64
}

type userKey struct{ user, key string }

type userDeal struct{ user, deal string }

// tables is a snapshot of the rows the rules are about.
type tables struct {
	deals      map[string]*dealRow
	orders     map[string]*orderRow
	orderIDs   []string // sorted, so that samples are stable
	units      map[userDeal]int
	payments   map[string]*paymentRow
	paymentIDs []string
	refunds    []refundRow
	events     []struct{ provider, id string }
	idem       map[userKey]int // status of each stored response
	sbPayments map[string]*sandboxPaymentRow
	sbRefunds  []sandboxRefundRow
	pickups    []struct{ order, point string } // verifications that handed an order over
	partials   []partialRow
	messages   map[string]*messageRow
	messageIDs []string
	strays     []string          // inbox or SMS copies of no outbox message
	phones     map[string]string // user → phone
}

func loadTables(ctx context.Context, db *sql.DB) (*tables, error) {
	t := &tables{deals: map[string]*dealRow{}, orders: map[string]*orderRow{}, units: map[userDeal]int{},
		payments: map[string]*paymentRow{}, idem: map[userKey]int{}, sbPayments: map[string]*sandboxPaymentRow{},
		messages: map[string]*messageRow{}, phones: map[string]string{}}
	q := func(query string, scan func(*sql.Rows) error) error {
		rows, err := db.QueryContext(ctx, query)
		if err != nil {
			return fmt.Errorf("chaos: read %q: %w", query, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return fmt.Errorf("chaos: read %q: %w", query, err)
			}
		}
		return rows.Err()
	}
	steps := []struct {
		query string
		scan  func(*sql.Rows) error
	}{
		{`SELECT id, stock, reserved, limit_per_customer, product_id FROM deals`, func(r *sql.Rows) error {
			var d dealRow
			err := r.Scan(&d.id, &d.stock, &d.reserved, &d.limit, &d.product)
			t.deals[d.id] = &d
			return err
		}},
		{`SELECT id, user_id, status, idempotency_key, cancel_reason, total_fen, created_at, expires_at, paid_at, cancelled_at, pickup_point_id,
			city_id, delivery_date, pickup_code, refunded_fen FROM orders`, func(r *sql.Rows) error {
			var o orderRow
			err := r.Scan(&o.id, &o.user, &o.status, &o.key, &o.reason, &o.total, &o.created, &o.expires, &o.paid, &o.cancel, &o.point,
				&o.city, &o.date, &o.code, &o.refunded)
			t.orders[o.id] = &o
			t.orderIDs = append(t.orderIDs, o.id)
			return err
		}},
		{`SELECT order_id, deal_id, line_no, quantity, unit_price_fen, amount_fen, refunded_quantity, refunded_fen FROM order_lines ORDER BY order_id, line_no`, func(r *sql.Rows) error {
			var id string
			var l lineRow
			if err := r.Scan(&id, &l.deal, &l.lineNo, &l.quantity, &l.unitPrice, &l.amount, &l.refundedQty, &l.refundedFen); err != nil {
				return err
			}
			o := t.orders[id]
			if o == nil { // a line without its order: keep it visible to the checks
				o = &orderRow{id: id, status: "(missing)"}
				t.orders[id] = o
				t.orderIDs = append(t.orderIDs, id)
			}
			o.lines = append(o.lines, l)
			return nil
		}},
		{`SELECT order_id, status, at, place FROM order_events ORDER BY order_id, at`, func(r *sql.Rows) error {
			var id string
			var e eventRow
			if err := r.Scan(&id, &e.status, &e.at, &e.place); err != nil {
				return err
			}
			if o := t.orders[id]; o != nil {
				o.events = append(o.events, e)
			}
			return nil
		}},
		{`SELECT order_id, pickup_point_id FROM pickup_verifications WHERE order_id <> ''`, func(r *sql.Rows) error {
			var p struct{ order, point string }
			err := r.Scan(&p.order, &p.point)
			t.pickups = append(t.pickups, p)
			return err
		}},
		{`SELECT user_id, deal_id, units FROM customer_deal_units`, func(r *sql.Rows) error {
			var k userDeal
			var n int
			err := r.Scan(&k.user, &k.deal, &n)
			t.units[k] = n
			return err
		}},
		{`SELECT id, order_id, user_id, status, provider_txn_id, amount_fen FROM payments`, func(r *sql.Rows) error {
			var p paymentRow
			err := r.Scan(&p.id, &p.order, &p.user, &p.status, &p.txn, &p.amount)
			t.payments[p.id] = &p
			t.paymentIDs = append(t.paymentIDs, p.id)
			return err
		}},
		{`SELECT id, payment_id, order_id, status, amount_fen FROM refunds ORDER BY id`, func(r *sql.Rows) error {
			var f refundRow
			err := r.Scan(&f.id, &f.payment, &f.order, &f.status, &f.amount)
			t.refunds = append(t.refunds, f)
			return err
		}},
		{`SELECT provider, event_id FROM provider_events`, func(r *sql.Rows) error {
			var e struct{ provider, id string }
			err := r.Scan(&e.provider, &e.id)
			t.events = append(t.events, e)
			return err
		}},
		{`SELECT scope, key, status FROM idempotency_records`, func(r *sql.Rows) error {
			var k userKey
			var status int
			err := r.Scan(&k.user, &k.key, &status)
			t.idem[k] = status
			return err
		}},
		{`SELECT payment_id, txn_id, payer_id, status, amount_fen FROM sandbox_payments`, func(r *sql.Rows) error {
			var p sandboxPaymentRow
			err := r.Scan(&p.id, &p.txn, &p.payer, &p.status, &p.amount)
			t.sbPayments[p.id] = &p
			return err
		}},
		{`SELECT refund_id, payment_id, amount_fen FROM sandbox_refunds ORDER BY refund_id`, func(r *sql.Rows) error {
			var f sandboxRefundRow
			err := r.Scan(&f.id, &f.payment, &f.amount)
			t.sbRefunds = append(t.sbRefunds, f)
			return err
		}},
	}
	steps = append(steps, dayTables(t)...)
	for _, s := range steps {
		if err := q(s.query, s.scan); err != nil {
			return nil, err
		}
	}
	sort.Strings(t.orderIDs)
	sort.Strings(t.paymentIDs)
	sort.Strings(t.messageIDs)
	t.attachPartials()
	return t, nil
}

// unitsByStatus sums, per deal, the units of orders in the given status;
// "paid" counts every sold order: paid, or on its way after the cutoff
// (units short at sign-off are refunded, never put back on sale).
func (t *tables) unitsByStatus(status string) map[string]int {
	m := map[string]int{}
	for _, o := range t.orders {
		if o.status == status || (status == "paid" && deliveryStatus[o.status]) {
			for _, l := range o.lines {
				m[l.deal] += l.quantity
			}
		}
	}
	return m
}

func live(status string) bool {
	return status == "pending_payment" || status == "paid" || deliveryStatus[status]
}
