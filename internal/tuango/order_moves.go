package tuango

import (
	"context"
	"slices"
	"time"
)

// Mover is who makes a move of an order.
type Mover string

// The movers.
const (
	MoverCustomer Mover = "customer" // the order's owner
	MoverLeader   Mover = "leader"   // the leader of the order's pickup point
	MoverOperator Mover = "operator" // an operator or admin
	MoverWorker   Mover = "worker"   // a background job, or the payment provider's word
)

// OrderMove is one move an order can make: from a status to another, who
// may make it, and what it records on the order besides its status.
type OrderMove struct {
	From, To OrderStatus
	By       []Mover
	Records  string // the fields it sets, for people
	record   func(o *Order, at time.Time, reason string)
}

// orderMoves is the order state machine: every move an order can make,
// and none other.
var orderMoves = []OrderMove{
	{From: OrderPendingPayment, To: OrderPaid, By: []Mover{MoverWorker}, Records: "paid_at",
		record: func(o *Order, at time.Time, _ string) { o.PaidAt = at }},
	// The operator's: its pickup point closed (CancelClosedOrders).
	{From: OrderPendingPayment, To: OrderCancelled, By: []Mover{MoverCustomer, MoverWorker, MoverOperator}, Records: "cancelled_at, cancel_reason",
		record: recordCancel},
	// Before the cutoff only; refunded in the same transaction.
	{From: OrderPaid, To: OrderCancelled, By: []Mover{MoverCustomer, MoverOperator}, Records: "cancelled_at, cancel_reason",
		record: recordCancel},
	// The delivery path, after the cutoff.
	{From: OrderPaid, To: OrderConfirmed, By: []Mover{MoverWorker, MoverOperator}, Records: "confirmed_at",
		record: func(o *Order, at time.Time, _ string) { o.ConfirmedAt = at }},
	{From: OrderConfirmed, To: OrderShipped, By: []Mover{MoverOperator}, Records: "shipped_at",
		record: func(o *Order, at time.Time, _ string) { o.ShippedAt = at }},
	{From: OrderShipped, To: OrderArrived, By: []Mover{MoverLeader}, Records: "arrived_at",
		record: func(o *Order, at time.Time, _ string) { o.ArrivedAt = at }},
	{From: OrderArrived, To: OrderPickedUp, By: []Mover{MoverLeader}, Records: "picked_up_at",
		record: func(o *Order, at time.Time, _ string) { o.PickedUpAt = at }},
	// Not collected within the pickup window: final, and the customer is
	// owed nothing more (see docs/decisions.md).
	{From: OrderArrived, To: OrderUnclaimed, By: []Mover{MoverWorker}, Records: "unclaimed_at",
		record: func(o *Order, at time.Time, _ string) { o.UnclaimedAt = at }},
	// Every unit short at sign-off: refunded in the same transaction.
	{From: OrderShipped, To: OrderRefunded, By: []Mover{MoverLeader}, Records: "refunded_at, refunded_fen",
		record: func(o *Order, at time.Time, _ string) { o.RefundedAt = at }},
}

func recordCancel(o *Order, at time.Time, reason string) { o.CancelledAt, o.CancelReason = at, reason }

// OrderMoves returns the order state machine, for documentation and
// checkers.
func OrderMoves() []OrderMove { return slices.Clone(orderMoves) }

// findMove returns the move from one status to another, or nil.
func findMove(from, to OrderStatus) *OrderMove {
	for i := range orderMoves {
		if orderMoves[i].From == from && orderMoves[i].To == to {
			return &orderMoves[i]
		}
	}
	return nil
}

// CanMove reports whether by may move an order in status s to status to.
func (s OrderStatus) CanMove(to OrderStatus, by Mover) bool {
	m := findMove(s, to)
	return m != nil && slices.Contains(m.By, by)
}

// MoveBy is who makes a move and where: the mover, the person's user id
// when a person makes it, and the pickup point, route or city it is made
// for. Each move is recorded with it in the order's timeline.
type MoveBy struct {
	Mover   Mover
	ActorID string
	Place   string
}

// moveOrder moves o to status to, by a mover, at the given time, as a
// guarded update in tx: it records what the move records (and the move
// itself in the order's timeline) and reports
// false, changing nothing, if the order is no longer in o's status — so a
// move made twice, or raced by another node, happens once. A move the
// state machine does not have is an internal error: callers check what a
// user may ask for (CanMove) and say so in the user's terms first.
func moveOrder(ctx context.Context, tx Store, o *Order, to OrderStatus, by MoveBy, at time.Time, reason string) (bool, error) {
	if !o.Status.CanMove(to, by.Mover) {
		return false, Errorf(CodeInternal, "the order state machine has no move from %s to %s by %s", o.Status, to, by.Mover)
	}
	// A move is never recorded before the move it follows. A transaction
	// reads the clock when it starts; if it then waits for the order's row
	// while another node moves the order (a payment landing during a
	// cancel), its own move would otherwise be stamped earlier than the one
	// it came after, and the timeline would run backwards (the fault test
	// found one: cancelled, then paid).
	if last := o.lastMoveAt(); at.Before(last) {
		at = last
	}
	next := *o
	next.Status = to
	findMove(o.Status, to).record(&next, at, reason)
	ok, err := tx.UpdateOrderStatus(ctx, &next, o.Status)
	if err != nil || !ok {
		return false, err
	}
	ev := OrderEvent{OrderID: o.ID, Status: to, At: at, Mover: by.Mover, ActorID: by.ActorID, Place: by.Place, Reason: reason}
	if err := tx.AddOrderEvent(ctx, &ev); err != nil {
		return false, err
	}
	next.Timeline = append(slices.Clip(next.Timeline), ev)
	*o = next
	return true, nil
}

// byWorker is a move made by a background job (or the payment provider's
// word) for a place.
func byWorker(place string) MoveBy { return MoveBy{Mover: MoverWorker, Place: place} }

// lastMoveAt is when the order last changed status, as far as its own
// fields tell.
func (o *Order) lastMoveAt() time.Time {
	last := o.CreatedAt
	for _, t := range []time.Time{o.PaidAt, o.CancelledAt, o.ConfirmedAt, o.ShippedAt, o.ArrivedAt, o.PickedUpAt, o.UnclaimedAt, o.RefundedAt} {
		if t.After(last) {
			last = t
		}
	}
	for _, ev := range o.Timeline {
		if ev.At.After(last) {
			last = ev.At
		}
	}
	return last
}

// moveOrders moves many orders, all in status from, to status to, as
// moveOrder moves one, in few statements in tx: each is stamped no earlier
// than its own last move, and an order no longer in status from is left
// as it is. It returns the orders it moved, changed as moveOrder changes
// them. Only moves that record nothing but their time can be made this
// way (the store writes that one column); others go through moveOrder.
func moveOrders(ctx context.Context, tx Store, orders []Order, from, to OrderStatus, by MoveBy, now time.Time) ([]*Order, error) {
	if !from.CanMove(to, by.Mover) {
		return nil, Errorf(CodeInternal, "the order state machine has no move from %s to %s by %s", from, to, by.Mover)
	}
	// The orders stamped alike go in one update: all of them, unless some
	// order's last move was stamped after now by a node whose clock runs
	// ahead.
	type stamp struct {
		at  time.Time
		ids []string
	}
	var stamps []stamp
	index := map[int64]int{} // by the stamp's UnixNano
	at := make(map[string]time.Time, len(orders))
	for i := range orders {
		o := &orders[i]
		if o.Status != from {
			return nil, Errorf(CodeInternal, "order %s is %s, not %s", o.ID, o.Status, from)
		}
		t := now
		if last := o.lastMoveAt(); t.Before(last) {
			t = last
		}
		at[o.ID] = t
		k, ok := index[t.UnixNano()]
		if !ok {
			k = len(stamps)
			index[t.UnixNano()], stamps = k, append(stamps, stamp{at: t})
		}
		stamps[k].ids = append(stamps[k].ids, o.ID)
	}
	movedIDs := make(map[string]bool, len(orders))
	for _, st := range stamps {
		ids, err := tx.UpdateOrderStatuses(ctx, st.ids, from, to, st.at)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			movedIDs[id] = true
		}
	}
	moved := make([]*Order, 0, len(movedIDs))
	events := make([]OrderEvent, 0, len(movedIDs))
	rec := findMove(from, to).record
	for i := range orders {
		o := &orders[i]
		if !movedIDs[o.ID] {
			continue
		}
		t := at[o.ID]
		ev := OrderEvent{OrderID: o.ID, Status: to, At: t, Mover: by.Mover, ActorID: by.ActorID, Place: by.Place}
		o.Status = to
		rec(o, t, "")
		o.Timeline = append(slices.Clip(o.Timeline), ev)
		moved, events = append(moved, o), append(events, ev)
	}
	if err := tx.AddOrderEvents(ctx, events); err != nil {
		return nil, err
	}
	return moved, nil
}
