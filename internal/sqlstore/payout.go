package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"tuango/internal/payment"
	"tuango/internal/tuango"
)

const payoutColumns = `id, kind, party_id, amount_fen, status, period_to, reason, attempts, decided_by, created_at, decided_at, sent_at, completed_at`

func scanPayout(sc scanner, p *tuango.Payout) error {
	var created, decided, sent, completed int64
	err := sc.Scan(&p.ID, &p.Kind, &p.PartyID, &p.AmountFen, &p.Status, &p.PeriodTo, &p.Reason, &p.Attempts, &p.DecidedBy,
		&created, &decided, &sent, &completed)
	p.CreatedAt, p.DecidedAt, p.SentAt, p.CompletedAt = fromMicros(created), fromMicros(decided), fromMicros(sent), fromMicros(completed)
	return err
}

// CreatePayout stores a payout; a second settlement of a period is a conflict.
func (s *Store) CreatePayout(ctx context.Context, p *tuango.Payout) error {
	_, err := s.exec(ctx, `INSERT INTO payouts (`+payoutColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, string(p.Kind), p.PartyID, p.AmountFen, string(p.Status), p.PeriodTo, p.Reason, p.Attempts, p.DecidedBy,
		micros(p.CreatedAt), micros(p.DecidedAt), micros(p.SentAt), micros(p.CompletedAt))
	return wrap(err, "create payout %s", p.ID)
}

// FindPayoutByID finds a payout.
func (s *Store) FindPayoutByID(ctx context.Context, id string) (*tuango.Payout, error) {
	var p tuango.Payout
	if err := scanPayout(s.queryRow(ctx, `SELECT `+payoutColumns+` FROM payouts WHERE id = ?`, id), &p); err != nil {
		return nil, wrap(notFound(err), "find payout %s", id)
	}
	return &p, nil
}

// FindPayouts lists payouts in id order (newest first when asked).
func (s *Store) FindPayouts(ctx context.Context, f tuango.PayoutFilter) ([]tuango.Payout, error) {
	var where []string
	var args []any
	add := func(cond string, v any) { where, args = append(where, cond), append(args, v) }
	if f.Kind != "" {
		add("kind = ?", string(f.Kind))
	}
	if f.PartyID != "" {
		add("party_id = ?", f.PartyID)
	}
	if f.Status != "" {
		add("status = ?", string(f.Status))
	}
	if f.PeriodTo != "" {
		add("period_to = ?", f.PeriodTo)
	}
	order := " ORDER BY id"
	if f.After != "" {
		if f.Newest {
			add("id < ?", f.After)
		} else {
			add("id > ?", f.After)
		}
	}
	if f.Newest {
		order += " DESC"
	}
	q := `SELECT ` + payoutColumns + ` FROM payouts` + whereClause(where) + order
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	ps, err := queryAll(s, ctx, scanPayout, q, args...)
	return ps, wrap(err, "find payouts")
}

// MovePayout moves a payout between statuses, guarded by the one it is in.
func (s *Store) MovePayout(ctx context.Context, m tuango.PayoutMove) (bool, error) {
	stamp := "completed_at"
	switch m.To {
	case tuango.PayoutApproved, tuango.PayoutRejected:
		stamp = "decided_at"
	case tuango.PayoutSent:
		stamp = "sent_at"
	}
	q := `UPDATE payouts SET status = ?, ` + stamp + ` = ?, decided_by = CASE WHEN ? = '' THEN decided_by ELSE ? END,
		reason = CASE WHEN ? = '' THEN reason ELSE ? END WHERE id = ? AND status = ?`
	ok, err := s.execOne(ctx, q, string(m.To), micros(m.At), m.By, m.By, m.Reason, m.Reason, m.ID, string(m.From))
	return ok, wrap(err, "move payout %s from %s to %s", m.ID, m.From, m.To)
}

// NotePayoutAttempt counts a failed send.
func (s *Store) NotePayoutAttempt(ctx context.Context, id, reason string) error {
	if len(reason) > 500 {
		reason = reason[:500]
	}
	_, err := s.exec(ctx, `UPDATE payouts SET attempts = attempts + 1, reason = ? WHERE id = ?`, reason, id)
	return wrap(err, "note an attempt of payout %s", id)
}

// LedgerBalance sums an account's transfers, before a time when set,
// without the sets of the events named.
func (s *Store) LedgerBalance(ctx context.Context, account string, before time.Time, except ...tuango.LedgerEvent) (tuango.Fen, error) {
	where := []string{"t.account = ?"}
	args := []any{account}
	if !before.IsZero() {
		where, args = append(where, "t.at < ?"), append(args, micros(before))
	}
	if len(except) > 0 {
		where = append(where, "s.event NOT IN (?"+strings.Repeat(", ?", len(except)-1)+")")
		for _, e := range except {
			args = append(args, string(e))
		}
	}
	var f tuango.Fen
	err := s.queryRow(ctx, `SELECT COALESCE(SUM(t.amount_fen), 0) FROM ledger_transfers t JOIN ledger_sets s ON s.id = t.set_id`+
		whereClause(where), args...).Scan(&f)
	return f, wrap(err, "sum account %s", account)
}

var _ payment.PayoutSandboxStore = (*Store)(nil)

// CreateSandboxPayout stores p unless a payout with its id exists, and
// returns the stored one.
func (s *Store) CreateSandboxPayout(ctx context.Context, p *payment.SandboxPayout) (*payment.SandboxPayout, error) {
	_, err := s.exec(ctx, `INSERT INTO sandbox_payouts (payout_id, party_id, amount_fen, status, reason, created_at, due_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (payout_id) DO NOTHING`,
		p.PayoutID, p.PartyID, p.AmountFen, p.Status, p.Reason, micros(p.CreatedAt), micros(p.DueAt))
	if err != nil {
		return nil, wrap(err, "create sandbox payout %s", p.PayoutID)
	}
	return s.FindSandboxPayout(ctx, p.PayoutID)
}

// FindSandboxPayout finds a sandbox payout.
func (s *Store) FindSandboxPayout(ctx context.Context, id string) (*payment.SandboxPayout, error) {
	var p payment.SandboxPayout
	var created, due, completed int64
	err := s.queryRow(ctx, `SELECT payout_id, party_id, amount_fen, status, reason, created_at, due_at, completed_at
		FROM sandbox_payouts WHERE payout_id = ?`, id).Scan(&p.PayoutID, &p.PartyID, &p.AmountFen, &p.Status, &p.Reason, &created, &due, &completed)
	if err != nil {
		return nil, wrap(notFound(err), "find sandbox payout %s", id)
	}
	p.CreatedAt, p.DueAt, p.CompletedAt = fromMicros(created), fromMicros(due), fromMicros(completed)
	return &p, nil
}

// CompleteSandboxPayout ends a processing payout paid or failed.
func (s *Store) CompleteSandboxPayout(ctx context.Context, id, status, reason string, at time.Time) (bool, error) {
	ok, err := s.execOne(ctx, `UPDATE sandbox_payouts SET status = ?, reason = ?, completed_at = ? WHERE payout_id = ? AND status = 'processing'`,
		status, reason, micros(at), id)
	return ok, wrap(err, "complete sandbox payout %s", id)
}

// CountSandboxPayouts counts the sandbox's payouts with an id, for tests
// that prove none was made twice.
func (s *Store) CountSandboxPayouts(ctx context.Context) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM sandbox_payouts`).Scan(&n)
	return n, wrap(err, "count sandbox payouts")
}

// loadPayoutData adds the payouts and the payout sandbox's paid payouts
// to the ledger's verification data (see LoadLedgerData).
func loadPayoutData(d *tuango.LedgerData, each func(q string, scan func(*sql.Rows) error) error) error {
	err := each(`SELECT `+payoutColumns+` FROM payouts ORDER BY id`, func(r *sql.Rows) error {
		var p tuango.Payout
		err := scanPayout(r, &p)
		d.Payouts = append(d.Payouts, p)
		return err
	})
	if err != nil {
		return err
	}
	return each(`SELECT payout_id, amount_fen FROM sandbox_payouts WHERE status = 'paid'`, func(r *sql.Rows) error {
		var id string
		var f tuango.Fen
		err := r.Scan(&id, &f)
		d.ProviderPayouts[id] = f
		return err
	})
}
