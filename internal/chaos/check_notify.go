package chaos

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
