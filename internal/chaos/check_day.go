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

// notificationsOnce: once quiet, every outbox message was sent, has one
// copy in its user's inbox and one at the SMS receiver, to the user's
// phone; nothing reached either that the outbox never held; and each
// order event was told once: one confirmation per confirmed order, one
// arrival or shortage message per signed order (a shortage exactly when a
// line was refunded), at most one reminder (rule 26).
func (c *checker) notificationsOnce(v *verdict) {
	for _, s := range c.t.strays {
		v.fail("%s reached its receiver, but the outbox has no such message", s)
	}
	per := map[[2]string]int{} // (order, kind) → messages
	for _, id := range c.t.messageIDs {
		m := c.t.messages[id]
		if m.order != "" {
			per[[2]string{m.order, m.kind}]++
		}
		phone := c.t.phones[m.user]
		switch {
		case m.sent == 0 && c.s.Day:
			v.fail("message %s (%s to %s) was never sent", m.id, m.kind, m.user)
		case m.inbox != 1 || m.inboxUser != m.user:
			v.fail("message %s (%s) has %d inbox copies (user %q); want one, in %s's inbox", m.id, m.kind, m.inbox, m.inboxUser, m.user)
		case m.sms != 1 || m.smsPhone != phone:
			v.fail("message %s (%s) reached the SMS receiver %d times (phone %q); want once, to %s", m.id, m.kind, m.sms, m.smsPhone, phone)
		default:
			v.pass()
		}
	}
	for _, id := range c.t.orderIDs {
		o := c.t.orders[id]
		if ok, _ := o.hasEvent("confirmed"); ok {
			c.toldOnce(v, o, "order_confirmed", per[[2]string{o.id, "order_confirmed"}], 1)
		}
		if ok, _ := o.signedAt(); ok {
			short := 0
			if o.refunded > 0 {
				short = 1
			}
			c.toldOnce(v, o, "order_arrived", per[[2]string{o.id, "order_arrived"}], 1-short)
			c.toldOnce(v, o, "order_short", per[[2]string{o.id, "order_short"}], short)
		}
		if n := per[[2]string{o.id, "pickup_reminder"}]; n > 1 {
			v.fail("order %s: its customer was reminded %d times", o.id, n)
		}
	}
}

func (c *checker) toldOnce(v *verdict, o *orderRow, kind string, got, want int) {
	if got != want {
		v.fail("order %s (%s): %d %s messages, want %d", o.id, o.status, got, kind, want)
		return
	}
	v.pass()
}

// dayHappened settles an outcome-unknown operation of the day from the
// final state.
func (c *checker) dayHappened(op Op) bool {
	switch op.F {
	case SignOp:
		for _, o := range c.t.orders {
			if ok, place := o.signedAt(); ok && place == op.PickupPoint {
				return true
			}
		}
	case PickupOp:
		o := c.t.orders[op.OrderID]
		return o != nil && o.status == "picked_up" && o.point == op.PickupPoint
	case CutoffOp, DispatchOp:
		status := map[string]string{CutoffOp: "confirmed", DispatchOp: "shipped"}[op.F]
		for _, o := range c.t.orders {
			if ok, _ := o.hasEvent(status); ok && o.city == c.s.City && o.date == c.s.DeliveryDate {
				return true
			}
		}
	}
	return false
}
