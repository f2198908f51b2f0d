package sqlstore

import (
	"context"
	"time"

	"tuango/internal/tuango"
)

// MarkProviderDown opens an outage, or keeps the open one fresh. The
// partial unique index on open outages makes two nodes opening at once
// end up with one row.
func (s *Store) MarkProviderDown(ctx context.Context, o *tuango.ProviderOutage) error {
	_, err := s.exec(ctx, `INSERT INTO provider_outages (id, provider, started_at, seen_at, opened_by) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (provider) WHERE ended_at = 0 DO UPDATE SET seen_at = excluded.seen_at
		WHERE provider_outages.seen_at < excluded.seen_at`,
		o.ID, o.Provider, micros(o.StartedAt), micros(o.SeenAt), o.OpenedBy)
	return wrap(err, "mark provider %s down", o.Provider)
}

// EndProviderOutage ends the open outage if it was last seen before okAt.
func (s *Store) EndProviderOutage(ctx context.Context, provider, node string, okAt time.Time) (bool, error) {
	ok, err := s.execOne(ctx, `UPDATE provider_outages SET ended_at = ?, ended_by = ? WHERE provider = ? AND ended_at = 0 AND seen_at < ?`,
		micros(okAt), node, provider, micros(okAt))
	return ok, wrap(err, "end outage of provider %s", provider)
}

// LapseProviderOutages ends the open outages nobody has seen lately.
func (s *Store) LapseProviderOutages(ctx context.Context, provider string, seenBefore time.Time) (int, error) {
	res, err := s.exec(ctx, `UPDATE provider_outages SET ended_at = seen_at, ended_by = 'lapsed' WHERE provider = ? AND ended_at = 0 AND seen_at < ?`,
		provider, micros(seenBefore))
	if err != nil {
		return 0, wrap(err, "lapse outages of provider %s", provider)
	}
	n, err := res.RowsAffected()
	return int(n), wrap(err, "lapse outages of provider %s", provider)
}

// FindProviderOutages lists the open outages and those ended since.
func (s *Store) FindProviderOutages(ctx context.Context, provider string, since time.Time) ([]tuango.ProviderOutage, error) {
	out, err := queryAll(s, ctx, func(sc scanner, o *tuango.ProviderOutage) error {
		var started, seen, ended int64
		err := sc.Scan(&o.ID, &o.Provider, &started, &seen, &ended, &o.OpenedBy, &o.EndedBy)
		o.StartedAt, o.SeenAt, o.EndedAt = fromMicros(started), fromMicros(seen), fromMicros(ended)
		return err
	}, `SELECT id, provider, started_at, seen_at, ended_at, opened_by, ended_by FROM provider_outages
		WHERE provider = ? AND (ended_at = 0 OR ended_at >= ?) ORDER BY started_at DESC, id DESC`, provider, micros(since))
	return out, wrap(err, "find outages of provider %s", provider)
}

// earliestSaleEnd is the earliest sale end among an order's deals.
const earliestSaleEnd = `(SELECT MIN(d.sale_ends_at) FROM order_lines l JOIN deals d ON d.id = l.deal_id WHERE l.order_id = orders.id)`

// ExtendPaymentDeadlines moves unpaid orders' deadlines that fall in a
// span, never past their deals' sale end and never earlier.
func (s *Store) ExtendPaymentDeadlines(ctx context.Context, from, to, until time.Time) (int, error) {
	u := micros(until)
	res, err := s.exec(ctx, `UPDATE orders SET expires_at = CASE WHEN `+earliestSaleEnd+` < ? THEN `+earliestSaleEnd+` ELSE ? END
		WHERE status = 'pending_payment' AND expires_at >= ? AND expires_at <= ? AND expires_at < ? AND expires_at < `+earliestSaleEnd,
		u, u, micros(from), micros(to), u)
	if err != nil {
		return 0, wrap(err, "extend payment deadlines")
	}
	n, err := res.RowsAffected()
	return int(n), wrap(err, "extend payment deadlines")
}
