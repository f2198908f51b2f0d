package chaos

import (
	"fmt"
	"maps"
	"slices"
)

// The rules of the day after the sale (INVARIANTS.md 12 and 23–26, marked
// "later" until the day existed): a cutoff happens once, every unit short
// at sign-off is refunded once and within what was paid, a pickup code
// hands its order over once and only at its own point, and every
// notification reaches its receivers exactly once.

// signed returns, per pickup point, the sign-off a leader asked for (all
// attempts of a point carry one key and one body) and whether any attempt
// may have taken effect.
func (c *checker) signed() map[string]Op {
	m := map[string]Op{}
	for _, op := range c.x.dayOps {
		if op.F == SignOp && op.Type == Invoke {
			m[op.PickupPoint] = op
		}
	}
	return m
}

// hasEvent reports whether o entered status, and where.
func (o *orderRow) hasEvent(status string) (bool, string) {
	for _, e := range o.events {
		if e.status == status {
			return true, e.place
		}
	}
	return false, ""
}

// signedAt reports whether o was signed for (arrived, or refunded whole).
func (o *orderRow) signedAt() (bool, string) {
	if ok, place := o.hasEvent("arrived"); ok {
		return true, place
	}
	return o.hasEvent("refunded")
}

// cutoffOnce: every acknowledged cutoff of the day answered the same
// summary, which counts the orders that were confirmed; no order was
// both confirmed and cancelled (rule 24).
func (c *checker) cutoffOnce(v *verdict) {
	confirmed := 0
	for _, id := range c.t.orderIDs {
		o := c.t.orders[id]
		ok, _ := o.hasEvent("confirmed")
		if ok {
			confirmed++
		}
		if cancelled, _ := o.hasEvent("cancelled"); ok && cancelled {
			v.fail("order %s was both confirmed and cancelled", o.id)
		} else if ok {
			v.pass()
		}
	}
	first := ""
	for _, op := range c.x.acks {
		if op.F != CutoffOp {
			continue
		}
		if first == "" {
			first = op.State
		}
		var n int
		_, err := fmt.Sscanf(op.State, "confirmed %d,", &n)
		switch {
		case op.State != first:
			v.fail("the cutoff answered %q on node %s, and %q before", op.State, op.Node, first)
		case err != nil || n != confirmed:
			v.fail("the cutoff answered %q, but %d orders were confirmed", op.State, confirmed)
		default:
			v.pass()
		}
	}
}

// listsAgree: every read of the cutoff's lists found, per product, the
// units of the orders the cutoff confirmed for the city and date in the
// purchase orders, the sorting lists, the manifests and the pick lists
// alike; an order cancelled before the cutoff is in none (rule 23).
func (c *checker) listsAgree(v *verdict) {
	want := map[string]int{}
	for _, id := range c.t.orderIDs {
		o := c.t.orders[id]
		if ok, _ := o.hasEvent("confirmed"); !ok || o.city != c.s.City || o.date != c.s.DeliveryDate {
			continue
		}
		for _, l := range o.lines {
			if d := c.t.deals[l.deal]; d != nil {
				want[d.product] += l.quantity
			}
		}
	}
	for _, op := range c.x.acks {
		if op.F != ListsOp {
			continue
		}
		for _, list := range []string{listPurchaseOrders, listSorting, listManifests, listPick} {
			got := op.Units[list]
			products := map[string]bool{}
			for p := range want {
				products[p] = true
			}
			for p := range got {
				products[p] = true
			}
			for _, p := range slices.Sorted(maps.Keys(products)) {
				if got[p] != want[p] {
					v.fail("the %s count %d units of product %s; the confirmed orders hold %d", list, got[p], p, want[p])
				} else {
					v.pass()
				}
			}
		}
	}
}

// shortagesRefunded: at every pickup point that signed, each deal's units
// short or damaged (expected − received + damaged, at most what came)
// were refunded exactly so, on lines of that point's signed orders, each
// line at most once; nothing was refunded where nothing was short, and no
// point signed that no leader asked to (rules 6 and 25).
func (c *checker) shortagesRefunded(v *verdict) {
	asked := c.signed()
	refunded := map[[2]string]int{} // (point, deal) → units refunded
	signedPoints := map[string]bool{}
	for _, id := range c.t.orderIDs {
		o := c.t.orders[id]
		ok, place := o.signedAt()
		for _, l := range o.lines {
			// Every partial refund is a sign-off's (after-sales refunds
			// do not exist yet), whatever its reason says.
			shortage := len(l.partials)
			for _, p := range l.partials {
				refunded[[2]string{o.point, l.deal}] += p.quantity
			}
			if shortage > 1 {
				v.fail("order %s line %d has %d partial refunds; a line is short once", o.id, l.lineNo, shortage)
			}
			if shortage > 0 && !ok {
				v.fail("order %s line %d was refunded for a shortage but its order was never signed for", o.id, l.lineNo)
			}
		}
		if !ok {
			continue
		}
		signedPoints[o.point] = true
		if place != o.point {
			v.fail("order %s of pickup point %s was signed for at %s", o.id, o.point, place)
		}
	}
	for _, pp := range slices.Sorted(maps.Keys(signedPoints)) {
		op, ok := asked[pp]
		if !ok {
			v.fail("pickup point %s signed for its delivery, but no leader asked to", pp)
			continue
		}
		for _, l := range op.Sign {
			want := min(max(l.Expected-l.Received+l.Damaged, 0), l.Expected)
			if got := refunded[[2]string{pp, l.DealID}]; got != want {
				v.fail("pickup point %s, deal %s: %d expected, %d received, %d damaged, so %d units short; %d were refunded",
					pp, l.DealID, l.Expected, l.Received, l.Damaged, want, got)
			} else {
				v.pass()
			}
			delete(refunded, [2]string{pp, l.DealID})
		}
	}
	for _, k := range slices.SortedFunc(maps.Keys(refunded), func(a, b [2]string) int {
		if a[0] != b[0] {
			return cmpString(a[0], b[0])
		}
		return cmpString(a[1], b[1])
	}) {
		if refunded[k] > 0 {
			v.fail("pickup point %s: %d units of deal %s were refunded as short, but its sign-off named none short", k[0], refunded[k], k[1])
		}
	}
	for _, op := range c.x.acks {
		if op.F != SignOp {
			continue
		}
		for _, r := range op.Refunds {
			o := c.t.orders[r.OrderID]
			found := false
			if o != nil {
				for _, l := range o.lines {
					for _, p := range l.partials {
						found = found || (l.lineNo == r.LineNo && p.quantity == r.Quantity && p.amount == r.AmountFen)
					}
				}
			}
			if found {
				v.pass()
			} else {
				v.fail("the sign-off of %s acknowledged a refund of %d units (%d fen) of order %s line %d, which is not recorded so", op.PickupPoint, r.Quantity, r.AmountFen, r.OrderID, r.LineNo)
			}
		}
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
