package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"tuango/internal/tuango"
)

// PostLedgerSet appends a set and its transfers, once per key.
func (s *Store) PostLedgerSet(ctx context.Context, set *tuango.LedgerSet) error {
	ok, err := s.execOne(ctx, `INSERT INTO ledger_sets (id, event, event_key, order_id, payment_id, refund_id, line_no, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_key) DO NOTHING`,
		set.ID, string(set.Event), set.Key, set.OrderID, set.PaymentID, set.RefundID, set.LineNo, micros(set.At))
	if err != nil {
		return wrap(err, "post ledger set %s", set.Key)
	}
	if !ok {
		return &tuango.Error{Code: tuango.CodeConflict, Message: "the ledger already has a set for " + set.Key}
	}
	rows := make([][]any, len(set.Transfers))
	for i, t := range set.Transfers {
		rows[i] = []any{set.ID, i + 1, t.Account, t.AmountFen, set.OrderID, micros(set.At)}
	}
	return wrap(s.insertRows(ctx, `INSERT INTO ledger_transfers (set_id, n, account, amount_fen, order_id, at)`, "", 6, rows),
		"post the transfers of ledger set %s", set.Key)
}

// HasLedgerSet reports whether a set with the key exists.
func (s *Store) HasLedgerSet(ctx context.Context, key string) (bool, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM ledger_sets WHERE event_key = ?`, key).Scan(&n)
	return n > 0, wrap(err, "find ledger set %s", key)
}

// FindLedgerEntries lists transfers oldest first.
func (s *Store) FindLedgerEntries(ctx context.Context, f tuango.LedgerFilter) ([]tuango.LedgerEntry, error) {
	var where []string
	var args []any
	if f.OrderID != "" {
		where, args = append(where, "t.order_id = ?"), append(args, f.OrderID)
	}
	if a := f.After; a != nil {
		where = append(where, "(t.at > ? OR (t.at = ? AND (t.set_id > ? OR (t.set_id = ? AND t.n > ?))))")
		at := micros(a.At)
		args = append(args, at, at, a.SetID, a.SetID, a.N)
	}
	q := `SELECT t.set_id, t.n, s.event, t.account, t.amount_fen, t.order_id, t.at FROM ledger_transfers t JOIN ledger_sets s ON s.id = t.set_id` +
		whereClause(where) + ` ORDER BY t.at, t.set_id, t.n`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	es, err := queryAll(s, ctx, func(sc scanner, e *tuango.LedgerEntry) error {
		var at int64
		err := sc.Scan(&e.SetID, &e.N, &e.Event, &e.Account, &e.AmountFen, &e.OrderID, &at)
		e.At = fromMicros(at)
		return err
	}, q, args...)
	return es, wrap(err, "find ledger entries")
}

// LedgerBalances sums the journal per account.
func (s *Store) LedgerBalances(ctx context.Context) ([]tuango.AccountBalance, error) {
	bs, err := queryAll(s, ctx, func(sc scanner, b *tuango.AccountBalance) error {
		return sc.Scan(&b.Account, &b.BalanceFen)
	}, `SELECT account, SUM(amount_fen) FROM ledger_transfers GROUP BY account ORDER BY account`)
	return bs, wrap(err, "sum the ledger")
}

// FindUnreleasedPickups finds handed-over orders whose commission waits
// for release.
func (s *Store) FindUnreleasedPickups(ctx context.Context, cityID string, before time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		limit = 500
	}
	ids, err := queryAll(s, ctx, func(sc scanner, id *string) error { return sc.Scan(id) },
		`SELECT o.id FROM orders o WHERE o.city_id = ? AND o.status = ? AND o.picked_up_at <= ?
		AND EXISTS (SELECT 1 FROM ledger_sets p WHERE p.event_key = 'pickup:' || o.id)
		AND NOT EXISTS (SELECT 1 FROM ledger_sets r WHERE r.event_key = 'release:' || o.id)
		ORDER BY o.picked_up_at, o.id LIMIT ?`, cityID, string(tuango.OrderPickedUp), micros(before), limit)
	return ids, wrap(err, "find unreleased pickups of %s", cityID)
}

// LoadLedgerData reads, with plain SQL on a raw pool (OpenRaw), everything
// the ledger's verification needs: the journal, the orders with their
// lines, the payments and refunds, and the sandbox provider's records. It
// reads the tables as they are, trusting no code of the store.
func LoadLedgerData(ctx context.Context, db *sql.DB) (*tuango.LedgerData, error) {
	d := &tuango.LedgerData{ProviderPaid: map[string]tuango.Fen{}, ProviderRefunds: map[string]tuango.Fen{}, ProviderPayouts: map[string]tuango.Fen{}}
	each := func(q string, scan func(*sql.Rows) error) error {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			return fmt.Errorf("sqlstore: ledger data: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return fmt.Errorf("sqlstore: ledger data: %w", err)
			}
		}
		return rows.Err()
	}
	sets := map[string]int{}
	err := each(`SELECT id, event, event_key, order_id, payment_id, refund_id, line_no, at FROM ledger_sets ORDER BY at, id`, func(r *sql.Rows) error {
		var s tuango.LedgerSet
		var at int64
		err := r.Scan(&s.ID, &s.Event, &s.Key, &s.OrderID, &s.PaymentID, &s.RefundID, &s.LineNo, &at)
		s.At = fromMicros(at)
		sets[s.ID] = len(d.Sets)
		d.Sets = append(d.Sets, s)
		return err
	})
	if err != nil {
		return nil, err
	}
	err = each(`SELECT set_id, account, amount_fen FROM ledger_transfers ORDER BY set_id, n`, func(r *sql.Rows) error {
		var id string
		var t tuango.Transfer
		if err := r.Scan(&id, &t.Account, &t.AmountFen); err != nil {
			return err
		}
		i, ok := sets[id]
		if !ok {
			// A transfer without its set still counts in the balances.
			sets[id] = len(d.Sets)
			d.Sets = append(d.Sets, tuango.LedgerSet{ID: id, Event: "(missing set)", Key: "(missing set " + id + ")"})
			i = sets[id]
		}
		d.Sets[i].Transfers = append(d.Sets[i].Transfers, t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	orders := map[string]int{}
	err = each(`SELECT id, status, total_fen, refunded_fen FROM orders ORDER BY id`, func(r *sql.Rows) error {
		var o tuango.Order
		err := r.Scan(&o.ID, &o.Status, &o.TotalFen, &o.RefundedFen)
		orders[o.ID] = len(d.Orders)
		d.Orders = append(d.Orders, o)
		return err
	})
	if err != nil {
		return nil, err
	}
	err = each(`SELECT order_id, line_no, deal_id, quantity, unit_price_fen, amount_fen, commission_bps, unit_cost_fen, refunded_quantity, refunded_fen, paid_fen
		FROM order_lines ORDER BY order_id, line_no`, func(r *sql.Rows) error {
		var l tuango.OrderLine
		if err := r.Scan(&l.OrderID, &l.LineNo, &l.DealID, &l.Quantity, &l.UnitPriceFen, &l.AmountFen, &l.CommissionBps, &l.UnitCostFen, &l.RefundedQuantity, &l.RefundedFen, &l.PaidFen); err != nil {
			return err
		}
		if i, ok := orders[l.OrderID]; ok {
			d.Orders[i].Lines = append(d.Orders[i].Lines, l)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = each(`SELECT id, order_id, provider, status, amount_fen FROM payments ORDER BY id`, func(r *sql.Rows) error {
		var p tuango.Payment
		err := r.Scan(&p.ID, &p.OrderID, &p.Provider, &p.Status, &p.AmountFen)
		d.Payments = append(d.Payments, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	err = each(`SELECT id, payment_id, order_id, 0, 0, amount_fen, status FROM refunds
		UNION ALL SELECT id, payment_id, order_id, line_no, quantity, amount_fen, status FROM partial_refunds ORDER BY 1`, func(r *sql.Rows) error {
		var f tuango.Refund
		err := r.Scan(&f.ID, &f.PaymentID, &f.OrderID, &f.LineNo, &f.Quantity, &f.AmountFen, &f.Status)
		d.Refunds = append(d.Refunds, f)
		return err
	})
	if err != nil {
		return nil, err
	}
	err = each(`SELECT payment_id, amount_fen FROM sandbox_payments WHERE status = 'paid'`, func(r *sql.Rows) error {
		var id string
		var f tuango.Fen
		err := r.Scan(&id, &f)
		d.ProviderPaid[id] = f
		return err
	})
	if err != nil {
		return nil, err
	}
	err = each(`SELECT refund_id, amount_fen FROM sandbox_refunds`, func(r *sql.Rows) error {
		var id string
		var f tuango.Fen
		err := r.Scan(&id, &f)
		d.ProviderRefunds[id] = f
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := loadPayoutData(d, each); err != nil {
		return nil, err
	}
	return d, nil
}

// LedgerData reads what the ledger's verification needs from this
// database's read pool (see LoadLedgerData).
func (db *DB) LedgerData(ctx context.Context) (*tuango.LedgerData, error) {
	return LoadLedgerData(ctx, db.read)
}
