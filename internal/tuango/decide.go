package tuango

import (
	"context"
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
	units map[unitKey]int                // live units per (customer, deal)
	taken map[string]int                 // units this batch takes, per deal
	added map[unitKey]int                // units this batch counts, per (customer, deal)
	used  map[IdemKey]*IdempotencyRecord // the batch's keys that already have an answer
}

type unitKey struct{ user, deal string }

// loadOrderState locks the batch's deals and reads the deals, pickup points
// and limit counters its orders touch, and the answers already stored for
// its idempotency keys.
func (s *Service) loadOrderState(ctx context.Context, tx Store, batch []*placement) (*orderState, error) {
	st := &orderState{pps: map[string]*PickupPoint{}, deals: map[string]*Deal{}, units: map[unitKey]int{},
		taken: map[string]int{}, added: map[unitKey]int{}, used: map[IdemKey]*IdempotencyRecord{}}
	dealSet, ppSet := map[string]bool{}, map[string]bool{}
	usersOf := map[string]map[string]bool{}
	keys := make([]IdemKey, 0, len(batch))
	for _, p := range batch {
		keys = append(keys, IdemKey{p.req.Idem.Scope, p.req.Idem.Key})
		ppSet[p.req.PickupPointID] = true
		for _, it := range p.req.Items {
			dealSet[it.DealID] = true
			if usersOf[it.DealID] == nil {
				usersOf[it.DealID] = map[string]bool{}
			}
			usersOf[it.DealID][p.req.UserID] = true
		}
	}
	dealIDs := sortedKeys(dealSet)
	// All the batch's deal rows first, in id order (see LockDeals).
	if err := tx.LockDeals(ctx, dealIDs); err != nil {
		return nil, err
	}
	deals, err := tx.FindDeals(ctx, DealFilter{IDs: dealIDs})
	if err != nil {
		return nil, err
	}
	for i := range deals {
		st.deals[deals[i].ID] = &deals[i]
	}
	pps, err := tx.FindPickupPoints(ctx, PickupPointFilter{IDs: sortedKeys(ppSet)})
	if err != nil {
		return nil, err
	}
	for i := range pps {
		st.pps[pps[i].ID] = &pps[i]
	}
	for _, id := range dealIDs {
		if st.deals[id] == nil {
			continue
		}
		units, err := tx.FindLimitUnits(ctx, id, sortedKeys(usersOf[id]))
		if err != nil {
			return nil, err
		}
		for u, n := range units {
			st.units[unitKey{u, id}] = n
		}
	}
	recs, err := tx.FindIdempotencies(ctx, keys)
	if err != nil {
		return nil, err
	}
	for i := range recs {
		st.used[IdemKey{recs[i].Scope, recs[i].Key}] = &recs[i]
	}
	return st, nil
}

// decide applies the rules of placing an order to the state, changing
// nothing: the pickup point is open, every deal exists, is sold in its
// city and is on sale now, enough stock remains, and the customer's live
// units stay within the limit. Checks run in deal-id order; errors name
// the request's own line.
func (s *Service) decide(st *orderState, req PlaceOrderRequest, now time.Time) (*Order, error) {
	pp := st.pps[req.PickupPointID]
	if pp == nil || !pp.Active {
		return nil, FieldError("pickup_point_id", "no open pickup point has this id")
	}
	o := &Order{
		ID:             s.newID("ord"),
		UserID:         req.UserID,
		PickupPointID:  pp.ID,
		CityID:         pp.CityID,
		Status:         OrderPendingPayment,
		CreatedAt:      now,
		ExpiresAt:      now.Add(s.cfg.OrderTimeout),
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
			return nil, FieldError(field, "no deal has this id")
		case d.CityID != pp.CityID:
			return nil, FieldError(field, "this deal is not sold at pickup point %s", pp.ID)
		case !d.LiveAt(now):
			return nil, &Error{Code: CodeDealNotLive, Field: field, Message: fmt.Sprintf("%s is not on sale now (on sale %s to %s)", d.Title, d.SaleStartsAt.Format(time.RFC3339), d.SaleEndsAt.Format(time.RFC3339))}
		case d.Remaining() < it.Quantity:
			if d.Remaining() <= 0 {
				s.soldOut.mark(d.ID, now)
			}
			return nil, &Error{Code: CodeSoldOut, Field: field, Message: fmt.Sprintf("%s is sold out, or fewer than %d remain", d.Title, it.Quantity)}
		case st.units[unitKey{req.UserID, d.ID}]+it.Quantity > d.LimitPerCustomer:
			return nil, &Error{Code: CodeLimitExceeded, Field: field, Message: fmt.Sprintf("%s is limited to %d per customer, counting your other orders", d.Title, d.LimitPerCustomer)}
		}
		amount := d.PriceFen * Fen(it.Quantity)
		o.Lines = append(o.Lines, OrderLine{OrderID: o.ID, LineNo: i + 1, DealID: d.ID, Title: d.Title, Quantity: it.Quantity,
			UnitPriceFen: d.PriceFen, AmountFen: amount, CommissionBps: pp.CommissionBps})
		o.TotalFen += amount
		// An order unpaid when its deal's sale ends is not shipped.
		if d.SaleEndsAt.Before(o.ExpiresAt) {
			o.ExpiresAt = d.SaleEndsAt
		}
	}
	sort.Slice(o.Lines, func(a, b int) bool { return o.Lines[a].LineNo < o.Lines[b].LineNo })
	return o, nil
}

// take records an accepted order in the state.
func (st *orderState) take(o *Order) {
	for _, l := range o.Lines {
		st.deals[l.DealID].Reserved += l.Quantity
		st.taken[l.DealID] += l.Quantity
		k := unitKey{o.UserID, l.DealID}
		st.units[k] += l.Quantity
		st.added[k] += l.Quantity
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

// replay is the answer to a key of the batch that already has one (see
// answerOf); nil for a new key, which is then decided.
func (st *orderState) replay(idem *Idempotency) error {
	return answerOf(st.used[IdemKey{idem.Scope, idem.Key}], idem)
}
