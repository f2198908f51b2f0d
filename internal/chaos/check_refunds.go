package chaos

import (
	"maps"
	"slices"
)

// refundsWithinPaid: per order line, the units and fen refunded never
// exceed what was bought and paid, each refund is at the unit price paid,
// and the line's and order's refunded sums agree with the refunds; per
// payment, whole and partial refunds together never exceed it; an order
// is refunded exactly when all it cost came back at sign-off (rule 13, 25).
func (c *checker) refundsWithinPaid(v *verdict) {
	for _, id := range c.t.orderIDs {
		o := c.t.orders[id]
		var orderSum int64
		for _, l := range o.lines {
			qty, fen := 0, int64(0)
			for _, p := range l.partials {
				qty += p.quantity
				fen += p.amount
				if p.amount != l.unitPrice*int64(p.quantity) {
					v.fail("partial refund %s of order %s line %d: %d fen for %d units at %d fen each", p.id, o.id, l.lineNo, p.amount, p.quantity, l.unitPrice)
				}
			}
			orderSum += fen
			switch {
			case qty > l.quantity || fen > l.amount:
				v.fail("order %s line %d: %d units (%d fen) refunded of %d units (%d fen) paid", o.id, l.lineNo, qty, fen, l.quantity, l.amount)
			case qty != l.refundedQty || fen != l.refundedFen:
				v.fail("order %s line %d records %d units (%d fen) refunded; its refunds add up to %d units (%d fen)", o.id, l.lineNo, l.refundedQty, l.refundedFen, qty, fen)
			default:
				v.pass()
			}
		}
		switch {
		case o.refunded != orderSum:
			v.fail("order %s records %d fen refunded; its lines' refunds add up to %d", o.id, o.refunded, orderSum)
		case (o.status == "refunded") != (orderSum > 0 && orderSum == o.total):
			v.fail("order %s is %s with %d of %d fen refunded at sign-off", o.id, o.status, orderSum, o.total)
		}
	}
	back := map[string]int64{}
	for _, f := range c.t.refunds {
		back[f.payment] += f.amount
	}
	for _, p := range c.t.partials {
		back[p.payment] += p.amount
		if pay := c.t.payments[p.payment]; pay == nil || pay.order != p.order || pay.status != "succeeded" {
			v.fail("partial refund %s of order %s is against payment %s, not a succeeded payment of that order", p.id, p.order, p.payment)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(back)) {
		if p := c.t.payments[id]; p != nil && back[id] > p.amount {
			v.fail("payment %s took %d fen; %d fen were refunded of it", id, p.amount, back[id])
		} else {
			v.pass()
		}
	}
}
