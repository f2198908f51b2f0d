package tuango

import (
	"fmt"
	"sort"
	"time"
)

// orderState is what deciding a batch of orders needs, read in its
// transaction after the deals are locked, and updated in memory as orders
// are accepted.
type orderState struct {
	pps   map[string]*PickupPoint
	deals map[string]*Deal
	costs map[string]Fen                 // each deal's product's cost now
	shut  []Closure                      // closures of the batch's cities and points
	units map[unitKey]int                // live units per (customer, deal)
	taken map[string]int                 // units this batch takes, per deal
	added map[unitKey]int                // units this batch counts, per (customer, deal)
	used  map[IdemKey]*IdempotencyRecord // the batch's keys that already have an answer
	// coupons are the customer coupons the batch names, as they stand in
	// its transaction (a use in the batch marks one used); paid is whether
	// each of their holders has paid for an order before.
	coupons map[string]*CustomerCoupon
	paid    map[string]bool
	uses    []*Order // accepted orders that use a coupon, in order
	// unpaid counts each customer's orders awaiting payment, when
	// maxUnpaid (above zero) caps them.
	unpaid    map[string]int
	maxUnpaid int
	// now is the time the batch is decided at: read once its deals are
	// locked (see loadOrderState).
	now time.Time
}

type unitKey struct{ user, deal string }

// orderTerms is what deciding an order needs besides the state: the id
// the order gets if accepted, the time, and how long it may stay unpaid,
// and how long if a line is of a flash deal.
type orderTerms struct {
	id      string
	now     time.Time
	timeout time.Duration
	flash   time.Duration
}

// verdict is what decide decided of one order.
type verdict struct {
	order   *Order // the order to write, if accepted
	err     error  // why not, if refused
	emptied string // a deal found with nothing left, for the node's sold-out memory
}

// decide applies the rules of placing an order to the state, changing
// nothing, not even the state (take records an accepted order): the pickup
// point is open, every deal exists, is sold in the point's city and is on
// sale now, every deal is delivered on one date, enough stock remains, and
// the customer's live units stay within the limit, and neither the city
// nor the point is closed on the delivery date, and a coupon named applies
// (see CustomerCoupon.applicable). Each line snapshots its price, the
// point's commission and the product's cost, and carries its share of the
// coupon's discount. Checks run in deal-id order; errors name the
// request's own line.
func decide(st *orderState, req PlaceOrderRequest, t orderTerms) verdict {
	pp := st.pps[req.PickupPointID]
	if pp == nil || !pp.Active {
		return verdict{err: FieldError("pickup_point_id", "no open pickup point has this id")}
	}
	if st.maxUnpaid > 0 && st.unpaid[req.UserID] >= st.maxUnpaid {
		return verdict{err: Errorf(CodeTooManyUnpaidOrders, "you have %d orders awaiting payment: pay or cancel one before placing another", st.unpaid[req.UserID])}
	}
	o := &Order{
		ID:             t.id,
		UserID:         req.UserID,
		PickupPointID:  pp.ID,
		CityID:         pp.CityID,
		Status:         OrderPendingPayment,
		CreatedAt:      t.now,
		ExpiresAt:      t.now.Add(t.timeout),
		IdempotencyKey: req.Idem.Key,
	}
	order := make([]int, len(req.Items))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return req.Items[order[a]].DealID < req.Items[order[b]].DealID })
	for _, i := range order {
		it := req.Items[i]
		field := itemField(i, "deal_id")
		d := st.deals[it.DealID]
		switch {
		case d == nil:
			return verdict{err: FieldError(field, "no deal has this id")}
		case d.CityID != pp.CityID:
			return verdict{err: FieldError(field, "this deal is not sold at pickup point %s", pp.ID)}
		case !d.LiveAt(t.now):
			return verdict{err: &Error{Code: CodeDealNotLive, Field: field, Message: fmt.Sprintf("%s is not on sale now (on sale %s to %s)", d.Title, d.SaleStartsAt.Format(time.RFC3339), d.SaleEndsAt.Format(time.RFC3339))}}
		case d.Remaining() < it.Quantity:
			v := verdict{err: &Error{Code: CodeSoldOut, Field: field, Message: fmt.Sprintf("%s is sold out, or fewer than %d remain", d.Title, it.Quantity)}}
			if d.Remaining() <= 0 {
				v.emptied = d.ID
			}
			return v
		case st.units[unitKey{req.UserID, d.ID}]+it.Quantity > d.LimitPerCustomer:
			return verdict{err: &Error{Code: CodeLimitExceeded, Field: field, Message: fmt.Sprintf("%s is limited to %d per customer, counting your other orders", d.Title, d.LimitPerCustomer)}}
		}
		if o.DeliveryDate == "" {
			o.DeliveryDate = d.DeliveryDate
		} else if d.DeliveryDate != o.DeliveryDate {
			return verdict{err: FieldError(field, "%s is delivered on %s and the order's other deals on %s; order them separately", d.Title, d.DeliveryDate, o.DeliveryDate)}
		}
		amount := d.PriceFen * Fen(it.Quantity)
		o.Lines = append(o.Lines, OrderLine{OrderID: o.ID, LineNo: i + 1, DealID: d.ID, Title: d.Title, Quantity: it.Quantity,
			UnitPriceFen: d.PriceFen, AmountFen: amount, PaidFen: amount, CommissionBps: pp.CommissionBps, UnitCostFen: st.costs[d.ID]})
		o.TotalFen += amount
		// A flash deal's unpaid hold is shorter, for the whole order.
		if until := t.now.Add(t.flash); d.Flash && until.Before(o.ExpiresAt) {
			o.ExpiresAt = until
		}
		// An order unpaid when its deal's sale ends is not shipped.
		if d.SaleEndsAt.Before(o.ExpiresAt) {
			o.ExpiresAt = d.SaleEndsAt
		}
	}
	for i := range st.shut {
		c := &st.shut[i]
		switch {
		case c.CityID == pp.CityID && c.closedOn(o.DeliveryDate):
			return verdict{err: Errorf(CodeCityClosed, "there is no delivery on %s: %s", o.DeliveryDate, c.Reason)}
		case c.PickupPointID == pp.ID && c.closedOn(o.DeliveryDate):
			return verdict{err: &Error{Code: CodePickupPointClosed, Field: "pickup_point_id", Message: "this pickup point is closed on " + o.DeliveryDate + ": " + c.Reason}}
		}
	}
	sort.Slice(o.Lines, func(a, b int) bool { return o.Lines[a].LineNo < o.Lines[b].LineNo })
	if req.CouponID != "" {
		c := st.coupons[req.CouponID]
		if err := c.applicable(req.UserID, o.TotalFen, st.paid[req.UserID], t.now); err != nil {
			return verdict{err: err}
		}
		o.CustomerCouponID = c.ID
		o.applyDiscount(c.Coupon.AmountOffFen)
	}
	return verdict{order: o}
}

// take records an accepted order in the state.
func (st *orderState) take(o *Order) {
	if st.maxUnpaid > 0 {
		st.unpaid[o.UserID]++
	}
	for _, l := range o.Lines {
		st.deals[l.DealID].Reserved += l.Quantity
		st.taken[l.DealID] += l.Quantity
		k := unitKey{o.UserID, l.DealID}
		st.units[k] += l.Quantity
		st.added[k] += l.Quantity
	}
	if c := st.coupons[o.CustomerCouponID]; c != nil {
		c.Status, c.OrderID = CouponUsed, o.ID
		st.uses = append(st.uses, o)
	}
}

// addedUnits returns the batch's limit units, one row per pair, in order.
func (st *orderState) addedUnits() []LimitUnits {
	rows := make([]LimitUnits, 0, len(st.added))
	for k, n := range st.added {
		rows = append(rows, LimitUnits{UserID: k.user, DealID: k.deal, Units: n})
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].DealID != rows[j].DealID {
			return rows[i].DealID < rows[j].DealID
		}
		return rows[i].UserID < rows[j].UserID
	})
	return rows
}
