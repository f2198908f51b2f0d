package chaos

import (
	"cmp"
	"slices"
)

// acknowledgedOrders: no acknowledged order is lost or changed (rule 1).
func (c *checker) acknowledgedOrders(v *verdict) {
	for _, op := range c.x.acks {
		if op.F != PlaceOrder {
			continue
		}
		o := c.t.orders[op.OrderID]
		switch {
		case o == nil:
			v.fail("order %s acknowledged to customer %d (key %s, node %s, %s) is missing", op.OrderID, op.Process, op.Key, op.Node, op.Time.Format("15:04:05.000"))
		case o.user != c.user(op) || o.key != op.Key:
			v.fail("order %s was acknowledged to customer %d for key %s but belongs to %s with key %s", o.id, op.Process, op.Key, o.user, o.key)
		case o.total != op.TotalFen:
			v.fail("order %s totals %d fen; %d fen was acknowledged", o.id, o.total, op.TotalFen)
		case o.itemsString() != itemsString(op.Items):
			v.fail("order %s holds %s; %s was acknowledged", o.id, o.itemsString(), itemsString(op.Items))
		case !knownStatus(o.status):
			v.fail("order %s is in status %q, not at or beyond pending_payment", o.id, o.status)
		case !linesAddUp(o):
			v.fail("order %s: its lines' amounts do not add up to its total %d fen", o.id, o.total)
		default:
			v.pass()
		}
	}
}

func knownStatus(s string) bool {
	return s == "pending_payment" || s == "paid" || s == "cancelled" || deliveryStatus[s]
}

func linesAddUp(o *orderRow) bool {
	var sum int64
	for _, l := range o.lines {
		if l.amount != l.unitPrice*int64(l.quantity) {
			return false
		}
		sum += l.amount
	}
	return sum == o.total && len(o.lines) > 0
}

// noPhantoms: every order traces to a request that was invoked with the
// same body (rule 2), no order exists for a key whose every attempt was
// refused, and no order was cancelled "by the customer" without a request.
func (c *checker) noPhantoms(v *verdict) {
	for _, id := range c.t.orderIDs {
		o := c.t.orders[id]
		k := userKey{o.user, o.key}
		items, invoked := c.x.invoked[k]
		_, customer := c.x.customers[o.user]
		switch {
		case !customer:
			v.fail("order %s belongs to %s, who is none of the test's customers", o.id, o.user)
		case !invoked:
			v.fail("order %s of %s has key %q, which no request carried", o.id, o.user, o.key)
		case itemsString(items) != o.itemsString():
			v.fail("order %s holds %s but its key %s asked for %s", o.id, o.itemsString(), o.key, itemsString(items))
		case !c.x.unsettled[k]:
			v.fail("order %s exists although every request with key %s was refused", o.id, o.key)
		case o.status == "cancelled" && o.reason == "customer" && c.x.cancels[o.id].IsZero():
			v.fail("order %s was cancelled by the customer, who never asked", o.id)
		default:
			v.pass()
		}
	}
}

// onePerKey: at most one order per (customer, key), and every
// acknowledgement of a key names the same order or payment (rule 4).
func (c *checker) onePerKey(v *verdict) {
	byKey := map[userKey][]string{}
	for _, id := range c.t.orderIDs {
		o := c.t.orders[id]
		byKey[userKey{o.user, o.key}] = append(byKey[userKey{o.user, o.key}], o.id)
	}
	keys := make([]userKey, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b userKey) int {
		return cmp.Or(cmp.Compare(a.user, b.user), cmp.Compare(a.key, b.key))
	})
	for _, k := range keys {
		if ids := byKey[k]; len(ids) > 1 {
			v.fail("key %s of %s has %d orders: %v", k.key, k.user, len(ids), ids)
		} else {
			v.pass()
		}
	}
	first := map[userKey]Op{}
	for _, op := range c.x.acks {
		if op.F != PlaceOrder && op.F != CreatePayment {
			continue
		}
		k := userKey{c.user(op), op.F + "\x00" + op.Key}
		f, seen := first[k]
		switch {
		case !seen:
			first[k] = op
		case op.OrderID != f.OrderID || op.PaymentID != f.PaymentID || op.TotalFen != f.TotalFen || op.AmountFen != f.AmountFen:
			v.fail("%s key %s was acknowledged twice with different results: %s%s then %s%s", op.F, op.Key, f.OrderID, f.PaymentID, op.OrderID, op.PaymentID)
		default:
			v.pass()
		}
	}
}

// orderEnds: every order is final or has a deadline still ahead of the
// quiet time (rule 11); an expired order expired at or after its deadline.
func (c *checker) orderEnds(v *verdict) {
	quiet := c.s.QuietAt.UnixMicro()
	for _, id := range c.t.orderIDs {
		o := c.t.orders[id]
		switch o.status {
		case "paid":
			if o.paid == 0 {
				v.fail("order %s is paid with no time of payment", o.id)
				continue
			}
		case "cancelled":
			if o.cancel == 0 || (o.reason != "customer" && o.reason != "expired") {
				v.fail("order %s is cancelled at %d for reason %q", o.id, o.cancel, o.reason)
				continue
			}
			if o.reason == "expired" && o.cancel < o.expires && !expiredAtCutoff(o) {
				v.fail("order %s expired at %s, before its deadline %s", o.id, stamp(o.cancel), stamp(o.expires))
				continue
			}
		case "pending_payment":
			if o.expires <= quiet {
				v.fail("order %s is still pending_payment; its deadline %s passed before the quiet time %s", o.id, stamp(o.expires), stamp(quiet))
				continue
			}
		case "picked_up", "unclaimed", "refunded":
		case "confirmed", "shipped", "arrived":
			// Once the day is over, none of its orders waits for a
			// dispatch, a sign-off or its customer (the pickup window of
			// the nodes is short): an order left so has no job to end it.
			if c.s.Day && o.city == c.s.City && o.date == c.s.DeliveryDate {
				v.fail("order %s of the day's delivery is still %s after the quiet time", o.id, o.status)
				continue
			}
		default:
			v.fail("order %s is in unknown status %q", o.id, o.status)
			continue
		}
		v.pass()
	}
}

// settle decides each outcome-unknown operation one way: did it happen?
func (c *checker) settle() map[string]*Settled {
	m := map[string]*Settled{}
	for _, f := range OpTypes {
		m[f] = &Settled{}
	}
	for _, op := range c.x.infos {
		s := m[op.F]
		if s == nil {
			continue
		}
		if c.happened(op) {
			s.Happened++
		} else {
			s.NotHappened++
		}
	}
	return m
}

func (c *checker) happened(op Op) bool {
	user := c.user(op)
	switch op.F {
	case PlaceOrder:
		for _, o := range c.t.orders {
			if o.user == user && o.key == op.Key {
				return true
			}
		}
	case CreatePayment:
		_, ok := c.t.idem[userKey{user, op.Key}]
		return ok
	case ConfirmPayment:
		sp := c.t.sbPayments[op.PaymentID]
		return sp != nil && sp.status == "paid"
	case CancelOrder:
		o := c.t.orders[op.OrderID]
		return o != nil && o.status == "cancelled" && o.reason == "customer"
	case CutoffOp, DispatchOp, SignOp, PickupOp:
		return c.dayHappened(op)
	}
	return false
}

// expiredAtCutoff reports whether an order was expired by its city's
// cutoff (the worker's move recorded at the city, not at the pickup point
// as the expiry sweep's is): an order unpaid at the cutoff is never
// shipped, so an early close expires it before its payment deadline.
func expiredAtCutoff(o *orderRow) bool {
	for i := len(o.events) - 1; i >= 0; i-- {
		if o.events[i].status == "cancelled" {
			return o.city != "" && o.events[i].place == o.city
		}
	}
	return false
}
