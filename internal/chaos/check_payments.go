package chaos

import (
	"maps"
	"slices"
)

// paymentsOnce: a paid order has exactly one capture that is not refunded;
// refunds never exceed what was captured; a capture that landed on a
// cancelled order is refunded exactly once; each provider event is applied
// at most once (rules 5 and 13).
func (c *checker) paymentsOnce(v *verdict) {
	refunds := map[string][]refundRow{}
	for _, f := range c.t.refunds {
		refunds[f.payment] = append(refunds[f.payment], f)
	}
	kept := map[string]int{} // order → succeeded payments not refunded
	for _, id := range c.t.paymentIDs {
		p := c.t.payments[id]
		o := c.t.orders[p.order]
		n := len(refunds[p.id])
		switch {
		case o == nil:
			v.fail("payment %s is for order %s, which is missing", p.id, p.order)
		case p.user != o.user || p.amount != o.total:
			v.fail("payment %s (%s, %d fen) does not match its order %s (%s, %d fen)", p.id, p.user, p.amount, o.id, o.user, o.total)
		case !c.x.payOrders[o.id]:
			v.fail("payment %s of order %s was never asked for", p.id, o.id)
		case p.status != "succeeded" && n > 0:
			v.fail("payment %s is %s but has %d refunds", p.id, p.status, n)
		case p.status == "succeeded" && o.status == "pending_payment":
			v.fail("payment %s succeeded but its order %s is still pending_payment", p.id, o.id)
		case p.status == "succeeded" && o.status == "cancelled" && n != 1:
			v.fail("payment %s captured on cancelled order %s has %d refunds; want exactly 1", p.id, o.id, n)
		case n > 1:
			v.fail("payment %s has %d refunds", p.id, n)
		default:
			if p.status == "succeeded" && n == 0 {
				kept[o.id]++
			}
			v.pass()
		}
	}
	for _, id := range c.t.orderIDs {
		if o := c.t.orders[id]; o.status == "paid" || deliveryStatus[o.status] {
			if kept[id] != 1 {
				v.fail("paid order %s (%s) has %d captured payments that were not refunded whole; want exactly 1", id, o.status, kept[id])
			} else {
				v.pass()
			}
		}
	}
	for _, f := range c.t.refunds {
		p := c.t.payments[f.payment]
		switch {
		case p == nil:
			v.fail("refund %s is of payment %s, which is missing", f.id, f.payment)
		case f.amount > p.amount || f.amount <= 0:
			v.fail("refund %s returns %d fen of payment %s, which captured %d", f.id, f.amount, p.id, p.amount)
		case f.order != p.order:
			v.fail("refund %s names order %s; its payment %s is for order %s", f.id, f.order, p.id, p.order)
		default:
			v.pass()
		}
	}
	seen := map[[2]string]bool{}
	for _, e := range c.t.events {
		k := [2]string{e.provider, e.id}
		if seen[k] {
			v.fail("provider event %s/%s is recorded twice", e.provider, e.id)
		} else {
			v.pass()
		}
		seen[k] = true
	}
	txns := map[string]string{}
	for _, id := range c.t.paymentIDs {
		p := c.t.payments[id]
		if p.status != "succeeded" {
			continue
		}
		if other, dup := txns[p.txn]; dup || p.txn == "" {
			v.fail("provider transaction %q is applied to payments %s and %s", p.txn, other, p.id)
		} else {
			v.pass()
		}
		txns[p.txn] = p.id
	}
}

// reconciliation: what the provider took and gave back equals what tuango
// recorded, payment by payment (rule 14), once quiet.
func (c *checker) reconciliation(v *verdict) {
	for _, id := range c.t.paymentIDs {
		p := c.t.payments[id]
		sp := c.t.sbPayments[id]
		switch {
		case sp == nil && p.status == "succeeded":
			v.fail("payment %s succeeded but the provider has no record of it", p.id)
		case sp == nil:
			v.pass() // never registered with the provider: nothing to close
		case sp.amount != p.amount || sp.payer != p.user:
			v.fail("payment %s: the provider has %d fen from %s, tuango %d fen from %s", p.id, sp.amount, sp.payer, p.amount, p.user)
		case sp.status == "paid" && (p.status != "succeeded" || p.txn != sp.txn):
			v.fail("the provider took %d fen for payment %s (txn %s) but tuango has it %s (txn %q)", sp.amount, p.id, sp.txn, p.status, p.txn)
		case sp.status != "paid" && p.status == "succeeded":
			v.fail("payment %s succeeded but the provider has it %s", p.id, sp.status)
		default:
			v.pass()
		}
	}
	for _, id := range slices.Sorted(maps.Keys(c.t.sbPayments)) {
		if sp := c.t.sbPayments[id]; c.t.payments[id] == nil {
			v.fail("the provider has payment %s (%s, %d fen) that tuango never made", id, sp.status, sp.amount)
		}
	}
	sent := map[string]sandboxRefundRow{}
	refunded := map[string]int64{}
	for _, f := range c.t.sbRefunds {
		sent[f.id] = f
		refunded[f.payment] += f.amount
	}
	for _, f := range c.t.refunds {
		s, ok := sent[f.id]
		switch {
		case f.status != "succeeded":
			v.fail("refund %s of payment %s is still %s after the quiet time", f.id, f.payment, f.status)
		case !ok || s.payment != f.payment || s.amount != f.amount:
			v.fail("refund %s (%d fen of payment %s) is not at the provider as recorded", f.id, f.amount, f.payment)
		default:
			v.pass()
		}
		delete(sent, f.id)
	}
	for _, f := range c.t.partials {
		s, ok := sent[f.id]
		switch {
		case f.status != "succeeded":
			v.fail("partial refund %s of payment %s is still %s after the quiet time", f.id, f.payment, f.status)
		case !ok || s.payment != f.payment || s.amount != f.amount:
			v.fail("partial refund %s (%d fen of payment %s) is not at the provider as recorded", f.id, f.amount, f.payment)
		default:
			v.pass()
		}
		delete(sent, f.id)
	}
	for _, id := range slices.Sorted(maps.Keys(sent)) {
		s := sent[id]
		v.fail("the provider refunded %d fen of payment %s as %s, which tuango never recorded", s.amount, s.payment, id)
	}
	for _, pid := range slices.Sorted(maps.Keys(refunded)) {
		if amount, sp := refunded[pid], c.t.sbPayments[pid]; sp == nil || amount > sp.amount {
			v.fail("the provider refunded %d fen of payment %s, more than it took", amount, pid)
		}
	}
}

// acknowledgedPayments: every acknowledged payment, confirmation and
// cancellation is reflected in the final state (rule 1 for payments).
func (c *checker) acknowledgedPayments(v *verdict) {
	refunded := map[string]bool{}
	for _, f := range c.t.refunds {
		refunded[f.payment] = true
	}
	for _, op := range c.x.acks {
		switch op.F {
		case CreatePayment:
			p := c.t.payments[op.PaymentID]
			switch {
			case p == nil:
				v.fail("payment %s acknowledged to customer %d (key %s) is missing", op.PaymentID, op.Process, op.Key)
			case p.order != op.OrderID || p.amount != op.AmountFen || p.user != c.user(op):
				v.fail("payment %s is for order %s, %d fen, of %s; acknowledged for order %s, %d fen", p.id, p.order, p.amount, p.user, op.OrderID, op.AmountFen)
			default:
				v.pass()
			}
		case ConfirmPayment:
			p := c.t.payments[op.PaymentID]
			var o *orderRow
			if p != nil {
				o = c.t.orders[p.order]
			}
			switch {
			case p == nil || o == nil:
				v.fail("payment %s confirmed to customer %d is missing, or its order is", op.PaymentID, op.Process)
			case p.status != "succeeded":
				v.fail("payment %s was confirmed at %s but is %s after the quiet time", p.id, op.Time.Format("15:04:05.000"), p.status)
			case o.status != "paid" && !deliveryStatus[o.status] && !(o.status == "cancelled" && refunded[p.id]):
				v.fail("payment %s succeeded but its order %s is %s and the payment is not refunded", p.id, o.id, o.status)
			default:
				v.pass()
			}
		case CancelOrder:
			if o := c.t.orders[op.OrderID]; o == nil {
				v.fail("cancellation of order %s was acknowledged to customer %d but the order is missing", op.OrderID, op.Process)
			} else if o.status != "cancelled" {
				v.fail("cancellation of order %s was acknowledged to customer %d (node %s, %s, HTTP %d, answered status %q) but the order is %s",
					o.id, op.Process, op.Node, op.Time.Format("15:04:05.000"), op.Status, op.State, o.status)
			} else {
				v.pass()
			}
		}
	}
}
