package sqlstore

import (
	"context"
	"strings"

	"tuango/internal/tuango"
)

// Group commit writes a batch of orders as sets: a few multi-row
// statements instead of several statements per order. Rows go in chunks of
// powers of two up to 128, so that the statement texts stay few (eight per
// kind of statement) and their prepared statements are reused, while a
// batch of n rows takes at most log2(n)+1 statements.
var chunkSizes = []int{128, 64, 32, 16, 8, 4, 2, 1}

func chunk(n int) int {
	for _, c := range chunkSizes {
		if n >= c {
			return c
		}
	}
	return n
}

// insertRows runs head VALUES (...), (...) tail over rows in chunks.
func (s *Store) insertRows(ctx context.Context, head, tail string, width int, rows [][]any) error {
	row := "(" + placeholders(width) + ")"
	for len(rows) > 0 {
		n := chunk(len(rows))
		var b strings.Builder
		b.WriteString(head)
		b.WriteString(" VALUES ")
		args := make([]any, 0, n*width)
		for i, r := range rows[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(row)
			args = append(args, r...)
		}
		b.WriteString(tail)
		if _, err := s.exec(ctx, b.String(), args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// readChunk is how many of n values one lookup statement takes: n rounded
// up to a power of two, at most the largest chunk. A lookup pads its list
// by repeating its last value, which finds nothing more, so that up to 128
// values take ONE statement (a read transaction of its own on SQLite)
// from eight prepared texts.
func readChunk(n int) int {
	c := 1
	for c < n && c < chunkSizes[0] {
		c *= 2
	}
	return c
}

// inChunks calls fn with the ids in padded chunks (see readChunk), each
// with "?, ?, ..." for it; ids may repeat in a chunk.
func inChunks(ids []string, fn func(marks string, args []any) error) error {
	for len(ids) > 0 {
		n := min(len(ids), chunkSizes[0])
		c := readChunk(n)
		args := make([]any, c)
		for i := range args {
			args[i] = ids[min(i, n-1)]
		}
		if err := fn(placeholders(c), args); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// CreateOrders inserts orders and their lines.
func (s *Store) CreateOrders(ctx context.Context, orders []*tuango.Order) error {
	var ors, lines [][]any
	for _, o := range orders {
		ors = append(ors, []any{o.ID, o.UserID, o.PickupPointID, o.CityID, string(o.Status), o.TotalFen, o.IdempotencyKey, micros(o.CreatedAt), micros(o.ExpiresAt)})
		for _, l := range o.Lines {
			lines = append(lines, []any{o.ID, l.LineNo, l.DealID, l.Title, l.Quantity, l.UnitPriceFen, l.AmountFen, l.CommissionBps})
		}
	}
	if err := s.insertRows(ctx, `INSERT INTO orders (id, user_id, pickup_point_id, city_id, status, total_fen, idempotency_key, created_at, expires_at)`, "", 9, ors); err != nil {
		return wrap(err, "create %d orders", len(orders))
	}
	err := s.insertRows(ctx, `INSERT INTO order_lines (order_id, line_no, deal_id, title, quantity, unit_price_fen, amount_fen, commission_bps)`, "", 8, lines)
	return wrap(err, "create lines of %d orders", len(orders))
}

// SaveIdempotencies stores records; an existing key is a conflict.
func (s *Store) SaveIdempotencies(ctx context.Context, rs []*tuango.IdempotencyRecord) error {
	rows := make([][]any, len(rs))
	for i, r := range rs {
		// status held the HTTP status when records stored responses; answers
		// are now the domain's own (see tuango.IdempotencyRecord), and it is 0.
		rows[i] = []any{r.Scope, r.Key, r.Fingerprint, 0, r.Body, micros(r.CreatedAt)}
	}
	err := s.insertRows(ctx, `INSERT INTO idempotency_records (scope, key, fingerprint, status, body, created_at)`, "", 6, rows)
	return wrap(s.db.engine.translate(err), "save %d idempotency keys", len(rs))
}

// FindLimitUnits returns the units of a deal counted for each customer.
func (s *Store) FindLimitUnits(ctx context.Context, dealID string, userIDs []string) (map[string]int, error) {
	units := map[string]int{}
	err := inChunks(userIDs, func(marks string, args []any) error {
		rows, err := s.query(ctx, `SELECT user_id, units FROM customer_deal_units WHERE deal_id = ? AND user_id IN (`+marks+`)`, append([]any{dealID}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u string
			var n int
			if err := rows.Scan(&u, &n); err != nil {
				return err
			}
			units[u] = n
		}
		return rows.Err()
	})
	return units, wrap(err, "find limit units of deal %s", dealID)
}

// AddLimitUnits adds units to customers' counters, one row per pair.
func (s *Store) AddLimitUnits(ctx context.Context, lus []tuango.LimitUnits) error {
	rows := make([][]any, len(lus))
	for i, l := range lus {
		rows[i] = []any{l.UserID, l.DealID, l.Units}
	}
	err := s.insertRows(ctx, `INSERT INTO customer_deal_units (user_id, deal_id, units)`,
		` ON CONFLICT (user_id, deal_id) DO UPDATE SET units = customer_deal_units.units + excluded.units`, 3, rows)
	return wrap(err, "add limit units")
}
