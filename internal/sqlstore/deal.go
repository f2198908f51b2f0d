package sqlstore

import (
	"context"
	"slices"

	"tuango/internal/tuango"
)

const dealSelect = `SELECT id, product_id, city_id, title, price_fen, list_price_fen, stock, reserved, limit_per_customer,
	sale_starts_at, sale_ends_at, delivery_date, created_at, updated_at, flash FROM deals`

func scanDeal(sc scanner, d *tuango.Deal) error {
	var starts, ends, created, updated int64
	err := sc.Scan(&d.ID, &d.ProductID, &d.CityID, &d.Title, &d.PriceFen, &d.ListPriceFen, &d.Stock, &d.Reserved,
		&d.LimitPerCustomer, &starts, &ends, &d.DeliveryDate, &created, &updated, &d.Flash)
	d.SaleStartsAt, d.SaleEndsAt = fromMicros(starts), fromMicros(ends)
	d.CreatedAt, d.UpdatedAt = fromMicros(created), fromMicros(updated)
	return err
}

// CreateDeal inserts a deal with nothing reserved.
func (s *Store) CreateDeal(ctx context.Context, d *tuango.Deal) error {
	_, err := s.exec(ctx, `INSERT INTO deals (id, product_id, city_id, title, price_fen, list_price_fen, stock, reserved,
		limit_per_customer, sale_starts_at, sale_ends_at, delivery_date, created_at, updated_at, flash)
		VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.ProductID, d.CityID, d.Title, d.PriceFen, d.ListPriceFen, d.Stock, d.LimitPerCustomer,
		micros(d.SaleStartsAt), micros(d.SaleEndsAt), d.DeliveryDate, micros(d.CreatedAt), micros(d.UpdatedAt), d.Flash)
	return wrap(err, "create deal %s", d.ID)
}

// UpdateDeal changes a deal's terms, never its reserved count, and refuses
// stock below what is reserved.
func (s *Store) UpdateDeal(ctx context.Context, d *tuango.Deal) error {
	ok, err := s.execOne(ctx, `UPDATE deals SET product_id = ?, city_id = ?, title = ?, price_fen = ?, list_price_fen = ?, stock = ?,
		limit_per_customer = ?, sale_starts_at = ?, sale_ends_at = ?, delivery_date = ?, updated_at = ?, flash = ?
		WHERE id = ? AND reserved <= ?`,
		d.ProductID, d.CityID, d.Title, d.PriceFen, d.ListPriceFen, d.Stock, d.LimitPerCustomer,
		micros(d.SaleStartsAt), micros(d.SaleEndsAt), d.DeliveryDate, micros(d.UpdatedAt), d.Flash, d.ID, d.Stock)
	if err != nil {
		return wrap(err, "update deal %s", d.ID)
	}
	if !ok {
		if _, err := s.FindDealByID(ctx, d.ID); err != nil {
			return err
		}
		return &tuango.Error{Code: tuango.CodeConflict, Field: "stock", Message: "is below the units already ordered"}
	}
	return nil
}

// FindDealByID finds a deal.
func (s *Store) FindDealByID(ctx context.Context, id string) (*tuango.Deal, error) {
	var d tuango.Deal
	if err := scanDeal(s.queryRow(ctx, dealSelect+` WHERE id = ?`, id), &d); err != nil {
		return nil, wrap(notFound(err), "find deal %s", id)
	}
	return &d, nil
}

// FindDeals lists deals, by city and time on sale.
func (s *Store) FindDeals(ctx context.Context, f tuango.DealFilter) ([]tuango.Deal, error) {
	var where []string
	var args []any
	if f.CityID != "" {
		where, args = append(where, "city_id = ?"), append(args, f.CityID)
	}
	if f.DeliveryDate != "" {
		where, args = append(where, "delivery_date = ?"), append(args, f.DeliveryDate)
	}
	if !f.LiveAt.IsZero() {
		where, args = append(where, "sale_starts_at <= ? AND sale_ends_at > ?"), append(args, micros(f.LiveAt), micros(f.LiveAt))
	}
	if f.IDs != nil {
		return queryByIDs(s, ctx, scanDeal, dealSelect, where, args, f.IDs)
	}
	q := dealSelect + whereClause(where) + ` ORDER BY sale_ends_at, id`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	return queryAll(s, ctx, scanDeal, q, args...)
}

// AddDealPrice appends to a deal's price history.
func (s *Store) AddDealPrice(ctx context.Context, p *tuango.DealPrice) error {
	_, err := s.exec(ctx, `INSERT INTO deal_prices (deal_id, effective_at, price_fen, list_price_fen) VALUES (?, ?, ?, ?)`,
		p.DealID, micros(p.EffectiveAt), p.PriceFen, p.ListPriceFen)
	return wrap(err, "add price of deal %s", p.DealID)
}

// FindDealPrices returns a deal's price history, oldest first.
func (s *Store) FindDealPrices(ctx context.Context, dealID string) ([]tuango.DealPrice, error) {
	return queryAll(s, ctx, func(sc scanner, p *tuango.DealPrice) error {
		var at int64
		err := sc.Scan(&p.DealID, &at, &p.PriceFen, &p.ListPriceFen)
		p.EffectiveAt = fromMicros(at)
		return err
	}, `SELECT deal_id, effective_at, price_fen, list_price_fen FROM deal_prices WHERE deal_id = ? ORDER BY effective_at`, dealID)
}

// ReserveStock takes qty units if that many remain: one guarded update.
func (s *Store) ReserveStock(ctx context.Context, dealID string, qty int) (bool, error) {
	ok, err := s.execOne(ctx, `UPDATE deals SET reserved = reserved + ? WHERE id = ? AND reserved + ? <= stock`, qty, dealID, qty)
	return ok, wrap(err, "reserve %d of deal %s", qty, dealID)
}

// lockTables are the tables of the kinds of rows Lock can lock.
var lockTables = map[tuango.Entity]string{
	tuango.EntityDeal:           "deals",
	tuango.EntitySupplier:       "suppliers",
	tuango.EntityProduct:        "products",
	tuango.EntityPickupPoint:    "pickup_points",
	tuango.EntityUser:           "users",
	tuango.EntityCity:           "cities",
	tuango.EntityCustomerCoupon: "customer_coupons",
}

// Lock locks rows of one kind in id order, each once: on PostgreSQL in one
// statement, which locks the rows in the order it returns them, with the
// lock an update of a row takes (FOR NO KEY UPDATE); on SQLite the one
// writer already excludes everyone else.
func (s *Store) Lock(ctx context.Context, e tuango.Entity, ids ...string) error {
	table, ok := lockTables[e]
	if !ok {
		return tuango.Errorf(tuango.CodeInternal, "sqlstore: no lock for rows of kind %q", e)
	}
	if s.db.engine.oneWriter() || len(ids) == 0 {
		return nil
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	_, err := s.exec(ctx, `SELECT 1 FROM `+table+` WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE`, ids)
	return wrap(err, "lock %d of %s", len(ids), e)
}

// ReleaseStock gives qty units back.
func (s *Store) ReleaseStock(ctx context.Context, dealID string, qty int) error {
	ok, err := s.execOne(ctx, `UPDATE deals SET reserved = reserved - ? WHERE id = ? AND reserved >= ?`, qty, dealID, qty)
	if err == nil && !ok {
		err = tuango.Errorf(tuango.CodeInternal, "deal %s has fewer than %d units reserved", dealID, qty)
	}
	return wrap(err, "release %d of deal %s", qty, dealID)
}

// ReleaseLimit uncounts qty units.
func (s *Store) ReleaseLimit(ctx context.Context, userID, dealID string, qty int) error {
	ok, err := s.execOne(ctx, `UPDATE customer_deal_units SET units = units - ? WHERE user_id = ? AND deal_id = ? AND units >= ?`,
		qty, userID, dealID, qty)
	if err == nil && !ok {
		err = tuango.Errorf(tuango.CodeInternal, "customer %s has fewer than %d units of deal %s counted", userID, qty, dealID)
	}
	return wrap(err, "release limit of deal %s", dealID)
}

// FindLimitUnits returns the units of a deal counted for each customer.
func (s *Store) FindLimitUnits(ctx context.Context, dealID string, userIDs []string) (map[string]int, error) {
	units := map[string]int{}
	if s.db.engine.name() == "postgres" {
		found, err := s.findLimitUnitsPostgres(ctx, dealID, userIDs)
		for _, l := range found {
			units[l.UserID] = l.Units
		}
		return units, wrap(err, "find limit units of deal %s", dealID)
	}
	err := inChunks(userIDs, func(marks string, args []any) error {
		found, err := queryAll(s, ctx, func(sc scanner, l *tuango.LimitUnits) error { return sc.Scan(&l.UserID, &l.Units) },
			`SELECT user_id, units FROM customer_deal_units WHERE deal_id = ? AND user_id IN (`+marks+`)`, append([]any{dealID}, args...)...)
		for _, l := range found {
			units[l.UserID] = l.Units
		}
		return err
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
