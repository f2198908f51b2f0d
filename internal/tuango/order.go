package tuango

import (
	"slices"
	"time"
)

// OrderStatus is where an order is in its life.
type OrderStatus string

// Order states: the buying states, then the delivery states after the
// cutoff (see order_moves.go for the moves between them).
const (
	OrderPendingPayment OrderStatus = "pending_payment"
	OrderPaid           OrderStatus = "paid"
	OrderCancelled      OrderStatus = "cancelled"
	OrderConfirmed      OrderStatus = "confirmed" // bought from suppliers at the cutoff
	OrderShipped        OrderStatus = "shipped"   // its route was dispatched
	OrderArrived        OrderStatus = "arrived"   // the point's leader signed for it
	OrderPickedUp       OrderStatus = "picked_up" // handed over against its pickup code
	OrderUnclaimed      OrderStatus = "unclaimed" // not collected within the pickup window
	OrderRefunded       OrderStatus = "refunded"  // every unit of it was refunded
)

// DeliveredStatuses are the statuses of orders bought at a cutoff: the
// orders every list of the day counts.
var DeliveredStatuses = []OrderStatus{OrderConfirmed, OrderShipped, OrderArrived, OrderPickedUp, OrderUnclaimed, OrderRefunded}

// rank is a status's place along an order's path; the state machine has
// no cycles, so every move goes to a higher rank.
func (s OrderStatus) rank() int {
	return slices.Index([]OrderStatus{OrderPendingPayment, OrderPaid, OrderConfirmed, OrderShipped, OrderArrived,
		OrderPickedUp, OrderUnclaimed, OrderRefunded, OrderCancelled}, s)
}

// Final reports whether an order in status s never moves again.
func (s OrderStatus) Final() bool {
	return s == OrderCancelled || s == OrderPickedUp || s == OrderUnclaimed || s == OrderRefunded
}

// Live reports whether an order in status s holds stock.
func (s OrderStatus) Live() bool { return s == OrderPendingPayment || s == OrderPaid }

// Cancel reasons.
const (
	CancelByCustomer = "customer"
	CancelExpired    = "expired"
)

// DefaultPickupWindow is how long after its delivery date an arrived order
// waits for its customer before it becomes unclaimed.
const DefaultPickupWindow = 3 * 24 * time.Hour

// DefaultOrderTimeout is how long an order may stay unpaid.
const DefaultOrderTimeout = 15 * time.Minute

// DefaultFlashOrderTimeout is how long an order with a line of a flash
// deal may stay unpaid: the 5 minutes the platforms give a 秒杀 order,
// so that unpaid orders cannot hold a deal that sells out in seconds.
const DefaultFlashOrderTimeout = 5 * time.Minute

// MaxOrderLines bounds how many lines one order may have.
const MaxOrderLines = 50

// Order is a customer's order, collected at one pickup point. Its JSON
// form is how an order is stored as the answer of a keyed call that
// returns one (a pickup's; a placement's stores only its id, see
// placed.go): omitzero keeps the times it has not reached yet, and its
// empty fields, out of that row (records stored before decode the same).
type Order struct {
	ID            string      `json:",omitzero"`
	UserID        string      `json:",omitzero"`
	PickupPointID string      `json:",omitzero"`
	CityID        string      `json:",omitzero"`
	Status        OrderStatus `json:",omitzero"`
	TotalFen      Fen         `json:",omitzero"`
	// DiscountFen is the coupon's amount off; the customer pays
	// TotalFen - DiscountFen (PayableFen).
	DiscountFen Fen `json:",omitzero"`
	// CustomerCouponID is the customer coupon applied, if any.
	CustomerCouponID string      `json:",omitzero"`
	Lines            []OrderLine `json:",omitzero"`
	CreatedAt        time.Time   `json:",omitzero"`
	ExpiresAt        time.Time   `json:",omitzero"` // payment deadline while pending_payment
	PaidAt           time.Time   `json:",omitzero"`
	CancelledAt      time.Time   `json:",omitzero"`
	CancelReason     string      `json:",omitzero"`
	DeliveryDate     string      `json:",omitzero"` // YYYY-MM-DD, local to the city: its deals' delivery date
	RefundedFen      Fen         `json:",omitzero"` // money given back for units not delivered
	// CancelRefundFen is the money given back because the order was
	// cancelled after it was paid, and CancelRefundPaidFen the part of it
	// the provider has paid out: set only when read with its refunds
	// (ReadCancelRefund), never stored on the order.
	CancelRefundFen     Fen       `json:"-"`
	CancelRefundPaidFen Fen       `json:"-"`
	PickupCode          string    `json:",omitzero"` // set when paid; shown only to the owner
	ConfirmedAt         time.Time `json:",omitzero"`
	ShippedAt           time.Time `json:",omitzero"`
	ArrivedAt           time.Time `json:",omitzero"`
	PickedUpAt          time.Time `json:",omitzero"`
	UnclaimedAt         time.Time `json:",omitzero"`
	RefundedAt          time.Time `json:",omitzero"`
	// Timeline is the order's moves after it was placed, oldest first,
	// when read with it (GetOrder).
	Timeline []OrderEvent `json:",omitzero"`
	// IdempotencyKey is the key of the request that placed the order, one
	// order per customer and key. The order is its key's record (see
	// placed.go): IdempotencyFingerprint is the placing request's
	// fingerprint and PlacedExpiresAt the payment deadline it was first
	// answered with. Both are written when the order is placed, never
	// change, and are no part of its answers.
	IdempotencyKey         string    `json:",omitzero"`
	IdempotencyFingerprint string    `json:"-"`
	PlacedExpiresAt        time.Time `json:"-"`
}

// OrderLine is one deal in an order, with price and commission rate
// snapshotted when the order was placed, and the product's cost for the
// supplier's purchase order.
type OrderLine struct {
	OrderID          string `json:",omitzero"`
	LineNo           int    `json:",omitzero"`
	DealID           string `json:",omitzero"`
	Title            string `json:",omitzero"`
	Quantity         int    `json:",omitzero"`
	UnitPriceFen     Fen    `json:",omitzero"`
	AmountFen        Fen    `json:",omitzero"`
	CommissionBps    int    `json:",omitzero"`
	UnitCostFen      Fen    `json:",omitzero"`
	RefundedQuantity int    `json:",omitzero"` // units refunded, never more than Quantity
	RefundedFen      Fen    `json:",omitzero"` // never more than PaidFen
	// PaidFen is what the customer paid for the line: AmountFen less its
	// share of the order's discount. Refunds and commission are based on it.
	PaidFen Fen `json:",omitzero"`
}

// allUnitsRefunded reports whether every unit of every line was refunded
// (by units, not money: a line a coupon made free still counts).
func (o *Order) allUnitsRefunded() bool {
	for _, l := range o.Lines {
		if l.RefundedQuantity < l.Quantity {
			return false
		}
	}
	return len(o.Lines) > 0
}

// OrderEvent is one move of an order: the status it entered, when, who
// moved it (a mover and, when a person, their id) and where (the pickup
// point, route or city the move was made for).
type OrderEvent struct {
	OrderID string
	Status  OrderStatus
	At      time.Time
	Mover   Mover
	ActorID string
	Place   string
	Reason  string
}

// OrderItem is one requested line of a new order.
type OrderItem struct {
	DealID   string
	Quantity int
}

// PlaceOrderRequest asks for a new order.
type PlaceOrderRequest struct {
	UserID        string
	PickupPointID string
	Items         []OrderItem
	// CouponID, when set, is a customer coupon of the caller to apply.
	CouponID string
	// Idem makes the placement exactly-once; required.
	Idem *Idempotency
}

// Validate checks the request's shape: ids present, quantities sensible,
// no deal twice.
func (r *PlaceOrderRequest) Validate() error {
	if err := checkID("pickup_point_id", r.PickupPointID); err != nil {
		return err
	}
	if r.CouponID != "" {
		if err := checkID("coupon_id", r.CouponID); err != nil {
			return err
		}
	}
	if len(r.Items) == 0 {
		return FieldError("items", "must name at least one deal")
	}
	if len(r.Items) > MaxOrderLines {
		return FieldError("items", "has %d lines; at most %d are allowed", len(r.Items), MaxOrderLines)
	}
	seen := make(map[string]bool, len(r.Items))
	for i, it := range r.Items {
		if err := checkID(itemField(i, "deal_id"), it.DealID); err != nil {
			return err
		}
		if seen[it.DealID] {
			return FieldError(itemField(i, "deal_id"), "names the same deal twice; put the whole quantity on one line")
		}
		seen[it.DealID] = true
		if it.Quantity < 1 {
			return FieldError(itemField(i, "quantity"), "must be at least 1")
		}
		if it.Quantity > MaxQuantity {
			return FieldError(itemField(i, "quantity"), "must be at most %d", MaxQuantity)
		}
	}
	return nil
}

func itemField(i int, name string) string {
	return "items[" + itoa(i) + "]." + name
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for ; i > 0; i /= 10 {
		n--
		b[n] = byte('0' + i%10)
	}
	return string(b[n:])
}

// LimitUnits is a number of units of a deal counted against a customer's
// limit.
type LimitUnits struct {
	UserID string
	DealID string
	Units  int
}

// OrderFilter selects orders.
type OrderFilter struct {
	UserID string
	Status OrderStatus
	// CityID and DeliveryDate, or PickupPointID and DeliveryDate, select a
	// day's orders, listed in the order they were placed.
	CityID        string
	PickupPointID string
	DeliveryDate  string
	Statuses      []OrderStatus // when set, any of these
	// ExpiresBefore, with Status pending_payment, finds overdue orders.
	ExpiresBefore time.Time
	// ArrivedBefore, with Status arrived, finds orders past their pickup
	// window, oldest first.
	ArrivedBefore time.Time
	// After, with UserID, continues a listing after this order (newest
	// first: older ones, by created_at then id).
	After *Order
	// Unreminded keeps only orders whose customer was not reminded yet.
	Unreminded bool
	// DayAfter, with DeliveryDate, continues a day's listing after this
	// order (by created_at, then id): a long walk over a day's orders
	// pages by key instead of reading its start again.
	DayAfter *Order
	// WithoutLines leaves the orders' lines unread.
	WithoutLines bool
	Limit        int
}
