package chaos

import (
	"cmp"
	"maps"
	"slices"
	"sort"
	"time"
)

// dealIDs returns every deal the tables or the setup know of, sorted.
func (c *checker) dealIDs() []string {
	ids := map[string]bool{}
	for id := range c.t.deals {
		ids[id] = true
	}
	for id := range c.s.Deals {
		ids[id] = true
	}
	for _, o := range c.t.orders {
		for _, l := range o.lines {
			ids[l.deal] = true
		}
	}
	return slices.Sorted(maps.Keys(ids))
}

// noOversell: units in live orders never exceed stock, at any instant the
// history witnessed nor at the end, and the deal's reserved count is exactly
// the units in live orders (rule 8).
func (c *checker) noOversell(v *verdict) {
	pending, paid := c.t.unitsByStatus("pending_payment"), c.t.unitsByStatus("paid")
	peaks := c.witnessedPeaks()
	for _, id := range c.dealIDs() {
		d := c.t.deals[id]
		liveUnits := pending[id] + paid[id]
		stock := -1
		if s, ok := c.s.Deals[id]; ok {
			stock = s.Stock
		} else if d != nil {
			stock = d.stock
		}
		switch {
		case stock >= 0 && peaks[id].units > stock:
			v.fail("deal %s was oversold: at %s acknowledged orders held %d units, stock %d", id, peaks[id].at.Format("15:04:05.000"), peaks[id].units, stock)
		case d == nil:
			v.fail("deal %s is ordered or was created by the test but is missing", id)
		case d.reserved < 0 || d.reserved > d.stock:
			v.fail("deal %s has %d reserved of a stock of %d", id, d.reserved, d.stock)
		case liveUnits > d.stock:
			v.fail("deal %s is oversold: %d units in live orders, stock %d", id, liveUnits, d.stock)
		case liveUnits != d.reserved:
			v.fail("deal %s has %d reserved but live orders hold %d units (%d pending, %d paid)", id, d.reserved, liveUnits, pending[id], paid[id])
		default:
			v.pass()
		}
	}
}

// conservation: per hot deal, initial = remaining + held + sold, with the
// initial stock taken from the setup, not from the database (rule 7).
func (c *checker) conservation(v *verdict) {
	pending, paid := c.t.unitsByStatus("pending_payment"), c.t.unitsByStatus("paid")
	for _, id := range slices.Sorted(maps.Keys(c.s.Deals)) {
		initial := c.s.Deals[id].Stock
		d := c.t.deals[id]
		if d == nil {
			v.fail("hot deal %s is missing", id)
			continue
		}
		remaining, held, sold := d.stock-d.reserved, pending[id], paid[id]
		switch {
		case d.stock != initial:
			v.fail("deal %s has a stock of %d; it was created with %d and never restocked", id, d.stock, initial)
		case remaining < 0 || held < 0 || sold < 0:
			v.fail("deal %s: remaining %d, held %d, sold %d; no term may be negative", id, remaining, held, sold)
		case initial != remaining+held+sold:
			v.fail("deal %s: initial %d ≠ remaining %d + held %d + sold %d = %d", id, initial, remaining, held, sold, remaining+held+sold)
		default:
			v.pass()
		}
	}
}

// noLeak: once quiet, no unit is held by an order that can no longer be
// paid (rule 9).
func (c *checker) noLeak(v *verdict) {
	quiet := c.s.QuietAt.UnixMicro()
	leaked := map[string]int{}
	sample := map[string]string{}
	for _, id := range c.t.orderIDs {
		o := c.t.orders[id]
		if o.status != "pending_payment" || o.expires > quiet {
			continue
		}
		for _, l := range o.lines {
			leaked[l.deal] += l.quantity
			if sample[l.deal] == "" {
				sample[l.deal] = o.id + " (deadline " + stamp(o.expires) + ")"
			}
		}
	}
	for _, id := range c.dealIDs() {
		if n := leaked[id]; n > 0 {
			v.fail("deal %s: %d units held by unpaid orders past their deadline at the quiet time %s, such as %s", id, n, stamp(quiet), sample[id])
		} else {
			v.pass()
		}
	}
}

// limits: no customer holds more than a deal's limit across all live
// orders and keys, and the stored counter agrees (rule 10).
func (c *checker) limits(v *verdict) {
	held := map[userDeal]int{}
	for _, o := range c.t.orders {
		if !live(o.status) {
			continue
		}
		for _, l := range o.lines {
			held[userDeal{o.user, l.deal}] += l.quantity
		}
	}
	keys := map[userDeal]bool{}
	for k := range held {
		keys[k] = true
	}
	for k := range c.t.units {
		keys[k] = true
	}
	sorted := slices.SortedFunc(maps.Keys(keys), func(a, b userDeal) int {
		return cmp.Or(cmp.Compare(a.user, b.user), cmp.Compare(a.deal, b.deal))
	})
	for _, k := range sorted {
		limit := -1
		if s, ok := c.s.Deals[k.deal]; ok {
			limit = s.Limit
		} else if d := c.t.deals[k.deal]; d != nil {
			limit = d.limit
		}
		switch {
		case limit < 0:
			v.fail("customer %s holds units of deal %s, which does not exist", k.user, k.deal)
		case held[k] > limit:
			v.fail("customer %s holds %d units of deal %s in live orders; the limit is %d", k.user, held[k], k.deal, limit)
		case c.t.units[k] != held[k]:
			v.fail("customer %s: counter says %d units of deal %s, live orders hold %d", k.user, c.t.units[k], k.deal, held[k])
		default:
			v.pass()
		}
	}
}

// peak is the most units of a deal that acknowledged orders certainly held
// at one instant, and when.
type peak struct {
	units int
	at    time.Time
}

// witnessedPeaks replays the history: an acknowledged order certainly holds
// its units from its acknowledgement (after its commit) until the first
// request to cancel it, or, if it expired, until its deadline (an expiry
// commits after it). It never ends earlier than the truth, so a peak above
// the stock is an oversell the history witnessed, even one that later
// cancellations hid from the final state.
func (c *checker) witnessedPeaks() map[string]peak {
	type change struct {
		at    time.Time
		delta int
	}
	changes := map[string][]change{}
	for _, op := range c.x.acks {
		o := c.t.orders[op.OrderID]
		if op.F != PlaceOrder || o == nil {
			continue
		}
		end, ends := c.x.cancels[o.id], !c.x.cancels[o.id].IsZero()
		if o.status == "cancelled" && o.reason == "expired" && (!ends || micros(o.expires).Before(end)) {
			end, ends = micros(o.expires), true
		}
		for _, it := range op.Items {
			changes[it.DealID] = append(changes[it.DealID], change{op.Time, it.Quantity})
			if ends {
				changes[it.DealID] = append(changes[it.DealID], change{end, -it.Quantity})
			}
		}
	}
	peaks := map[string]peak{}
	for deal, cs := range changes {
		// At one instant, ends count before starts: no false peak.
		sort.Slice(cs, func(i, j int) bool {
			if !cs[i].at.Equal(cs[j].at) {
				return cs[i].at.Before(cs[j].at)
			}
			return cs[i].delta < cs[j].delta
		})
		held, p := 0, peak{}
		for _, ch := range cs {
			if held += ch.delta; held > p.units {
				p = peak{held, ch.at}
			}
		}
		peaks[deal] = p
	}
	return peaks
}
