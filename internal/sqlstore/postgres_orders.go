package sqlstore

import (
	"context"

	"tuango/internal/tuango"
)

// postgresWriteOrders is a whole batch's writes as one statement: the
// stock taken by a guarded update (as ReserveStock), the limit counters'
// upsert (as AddLimitUnits), the orders (each its key's record, see
// FindIdempotency) and their lines, each table's rows passed as one array per column, so that the
// text is the same for any number of rows. Every part runs, referenced or
// not; the foreign keys of the lines are checked at the end of the
// statement, when their orders are in. It returns how many deals had
// their units, which must be all of them.
const postgresWriteOrders = `WITH
s AS (
	UPDATE deals d SET reserved = d.reserved + t.units
	FROM unnest($1::text[], $2::bigint[]) AS t(id, units)
	WHERE d.id = t.id AND d.reserved + t.units <= d.stock
	RETURNING d.id
),
u AS (
	INSERT INTO customer_deal_units (user_id, deal_id, units)
	SELECT * FROM unnest($3::text[], $4::text[], $5::bigint[])
	ON CONFLICT (user_id, deal_id) DO UPDATE SET units = customer_deal_units.units + excluded.units
),
o AS (
	INSERT INTO orders (id, user_id, pickup_point_id, city_id, status, total_fen, idempotency_key, created_at, expires_at, delivery_date, discount_fen, customer_coupon_id,
		idempotency_fingerprint, placed_expires_at)
	SELECT * FROM unnest($6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[], $12::text[], $13::bigint[], $14::bigint[], $15::text[], $16::bigint[], $17::text[],
		$28::text[], $29::bigint[])
),
l AS (
	INSERT INTO order_lines (order_id, line_no, deal_id, title, quantity, unit_price_fen, amount_fen, commission_bps, unit_cost_fen, paid_fen)
	SELECT * FROM unnest($18::text[], $19::bigint[], $20::text[], $21::text[], $22::bigint[], $23::bigint[], $24::bigint[], $25::bigint[], $26::bigint[], $27::bigint[])
)
SELECT count(*) FROM s`

// writeOrdersPostgres runs postgresWriteOrders: one round trip for the
// batch's writes (see WriteOrders).
func (s *Store) writeOrdersPostgres(ctx context.Context, w tuango.OrderWrites) (bool, error) {
	var (
		dealIDs                                        []string
		taken                                          []int64
		unitUsers, unitDeals                           []string
		units                                          []int64
		oIDs, oUsers, oPoints, oCities, oStatus, oKeys []string
		oDates, oCoupons                               []string
		oTotals, oCreated, oExpires, oDiscounts        []int64
		lOrders, lDeals, lTitles                       []string
		lNos, lQty, lPrices, lAmounts, lBps, lCosts    []int64
		lPaid                                          []int64
		oPrints                                        []string
		oPlacedExpires                                 []int64
	)
	for _, d := range w.Stock {
		dealIDs, taken = append(dealIDs, d.DealID), append(taken, int64(d.Units))
	}
	for _, l := range w.Limits {
		unitUsers, unitDeals, units = append(unitUsers, l.UserID), append(unitDeals, l.DealID), append(units, int64(l.Units))
	}
	for _, o := range w.Orders {
		oIDs, oUsers, oPoints, oCities = append(oIDs, o.ID), append(oUsers, o.UserID), append(oPoints, o.PickupPointID), append(oCities, o.CityID)
		oStatus, oKeys, oDates, oCoupons = append(oStatus, string(o.Status)), append(oKeys, o.IdempotencyKey), append(oDates, o.DeliveryDate), append(oCoupons, o.CustomerCouponID)
		oTotals, oCreated, oExpires, oDiscounts = append(oTotals, int64(o.TotalFen)), append(oCreated, micros(o.CreatedAt)), append(oExpires, micros(o.ExpiresAt)), append(oDiscounts, int64(o.DiscountFen))
		oPrints, oPlacedExpires = append(oPrints, o.IdempotencyFingerprint), append(oPlacedExpires, micros(o.PlacedExpiresAt))
		for _, l := range o.Lines {
			lOrders, lNos, lDeals, lTitles = append(lOrders, o.ID), append(lNos, int64(l.LineNo)), append(lDeals, l.DealID), append(lTitles, l.Title)
			lQty, lPrices, lAmounts = append(lQty, int64(l.Quantity)), append(lPrices, int64(l.UnitPriceFen)), append(lAmounts, int64(l.AmountFen))
			lBps, lCosts, lPaid = append(lBps, int64(l.CommissionBps)), append(lCosts, int64(l.UnitCostFen)), append(lPaid, int64(l.PaidFen))
		}
	}
	var n int
	err := s.queryRow(ctx, postgresWriteOrders, dealIDs, taken, unitUsers, unitDeals, units,
		oIDs, oUsers, oPoints, oCities, oStatus, oTotals, oKeys, oCreated, oExpires, oDates, oDiscounts, oCoupons,
		lOrders, lNos, lDeals, lTitles, lQty, lPrices, lAmounts, lBps, lCosts, lPaid,
		oPrints, oPlacedExpires).Scan(&n)
	if err != nil {
		return false, wrap(s.db.engine.translate(err), "write %d orders", len(w.Orders))
	}
	return n == len(w.Stock), nil
}
