package chaos

import "slices"

// legalMoves is the order state machine as the checker knows it, written
// out from the design, not read from tuango's code.
var legalMoves = map[[2]string]bool{
	{"pending_payment", "paid"}: true, {"pending_payment", "cancelled"}: true, {"paid", "cancelled"}: true,
	{"paid", "confirmed"}: true, {"confirmed", "shipped"}: true, {"shipped", "arrived"}: true, {"shipped", "refunded"}: true,
	{"arrived", "picked_up"}: true, {"arrived", "unclaimed"}: true,
}

// pathRank orders the statuses along the path, for moves recorded in one
// instant.
var pathRank = []string{"pending_payment", "paid", "confirmed", "shipped", "arrived", "picked_up", "unclaimed", "refunded", "cancelled"}

var deliveryStatus = map[string]bool{"confirmed": true, "shipped": true, "arrived": true, "picked_up": true, "unclaimed": true, "refunded": true}

// legalTransitions: every order's moves, from pending_payment, are legal
// and end in its status (rule 12); an order in a delivery state has them.
func (c *checker) legalTransitions(v *verdict) {
	for _, id := range c.t.orderIDs {
		o := c.t.orders[id]
		evs := slices.Clone(o.events)
		slices.SortStableFunc(evs, func(a, b eventRow) int {
			if a.at != b.at {
				return int(a.at - b.at)
			}
			return slices.Index(pathRank, a.status) - slices.Index(pathRank, b.status)
		})
		if len(evs) == 0 {
			if deliveryStatus[o.status] {
				v.fail("order %s is %s but recorded no move there", o.id, o.status)
				continue
			}
			v.pass()
			continue
		}
		at, ok := "pending_payment", true
		for _, e := range evs {
			if !legalMoves[[2]string{at, e.status}] {
				v.fail("order %s moved %s → %s, which the state machine does not have", o.id, at, e.status)
				ok = false
				break
			}
			at = e.status
		}
		switch {
		case !ok:
		case at != o.status:
			v.fail("order %s is %s but its last recorded move went to %s", o.id, o.status, at)
		default:
			v.pass()
		}
	}
}

// pickupOnce: a pickup code hands an order over once, only at its own
// point, and an order is picked up only by a verification (rule 12).
func (c *checker) pickupOnce(v *verdict) {
	seen := map[string]int{}
	for _, p := range c.t.pickups {
		seen[p.order]++
		o := c.t.orders[p.order]
		switch {
		case o == nil:
			v.fail("a verification handed over order %s, which does not exist", p.order)
		case o.point != p.point:
			v.fail("order %s of pickup point %s was handed over at %s", o.id, o.point, p.point)
		case seen[p.order] > 1:
			v.fail("order %s was handed over %d times", o.id, seen[p.order])
		default:
			v.pass()
		}
	}
	for _, id := range c.t.orderIDs {
		switch o := c.t.orders[id]; {
		case o.status == "picked_up" && seen[id] == 0:
			v.fail("order %s is picked_up without a verification", id)
		case o.status != "picked_up" && seen[id] > 0:
			v.fail("order %s was handed over but is %s", id, o.status)
		default:
			v.pass()
		}
	}
}

// pickupsAcknowledged: an acknowledged pickup handed over the order of
// that code at the leader's own point, and that order is picked up; a code
// shown at another point was never acknowledged there (rule 12).
func (c *checker) pickupsAcknowledged(v *verdict) {
	for _, op := range c.x.acks {
		if op.F != PickupOp {
			continue
		}
		o := c.t.orders[op.OrderID]
		switch {
		case o == nil:
			v.fail("pickup of order %s was acknowledged at %s, but it is missing", op.OrderID, op.PickupPoint)
		case o.point != op.PickupPoint:
			v.fail("the leader of %s was handed order %s of pickup point %s (code %s)", op.PickupPoint, o.id, o.point, op.PickupCode)
		case o.status != "picked_up":
			v.fail("pickup of order %s was acknowledged but it is %s", o.id, o.status)
		default:
			v.pass()
		}
	}
}
