package sqlstore

import (
	"context"
	"strings"
	"time"

	"tuango/internal/tuango"
)

// inList is "?, ?, …" for n values.
func inList(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func accountArgs(accounts []string) []any {
	args := make([]any, len(accounts))
	for i, a := range accounts {
		args[i] = a
	}
	return args
}

// FindStatementEntries lists the transfers on some accounts in a period,
// oldest first, with their set's line and refund.
func (s *Store) FindStatementEntries(ctx context.Context, f tuango.StatementFilter) ([]tuango.StatementEntry, error) {
	if len(f.Accounts) == 0 {
		return []tuango.StatementEntry{}, nil
	}
	q := `SELECT t.set_id, t.n, s.event, t.account, t.amount_fen, t.order_id, t.at, s.line_no, s.refund_id, COALESCE(r.quantity, 0)
		FROM ledger_transfers t JOIN ledger_sets s ON s.id = t.set_id
		LEFT JOIN partial_refunds r ON r.id = s.refund_id
		WHERE t.account IN (` + inList(len(f.Accounts)) + `) AND t.at >= ? AND t.at < ?
		ORDER BY t.at, t.set_id, t.n`
	args := append(accountArgs(f.Accounts), micros(f.From), micros(f.To))
	es, err := queryAll(s, ctx, func(sc scanner, e *tuango.StatementEntry) error {
		var at int64
		err := sc.Scan(&e.SetID, &e.N, &e.Event, &e.Account, &e.AmountFen, &e.OrderID, &at, &e.LineNo, &e.RefundID, &e.RefundQuantity)
		e.At = fromMicros(at)
		return err
	}, q, args...)
	return es, wrap(err, "find statement entries")
}

// AccountBalancesBefore sums each account's transfers before a time.
func (s *Store) AccountBalancesBefore(ctx context.Context, accounts []string, before time.Time) (map[string]tuango.Fen, error) {
	m := map[string]tuango.Fen{}
	if len(accounts) == 0 {
		return m, nil
	}
	bs, err := queryAll(s, ctx, func(sc scanner, b *tuango.AccountBalance) error {
		return sc.Scan(&b.Account, &b.BalanceFen)
	}, `SELECT account, SUM(amount_fen) FROM ledger_transfers WHERE account IN (`+inList(len(accounts))+`) AND at < ? GROUP BY account`,
		append(accountArgs(accounts), micros(before))...)
	for _, b := range bs {
		m[b.Account] = b.BalanceFen
	}
	return m, wrap(err, "sum accounts before %s", before.Format(time.RFC3339))
}
