package tuango

import (
	"context"
	"time"
)

// PaymentStatus is where a payment is in its life.
type PaymentStatus string

// Payment states.
const (
	PaymentPending   PaymentStatus = "pending"
	PaymentSucceeded PaymentStatus = "succeeded"
	PaymentFailed    PaymentStatus = "failed"
)

// Payment is one attempt to pay for an order through a provider.
type Payment struct {
	ID            string
	OrderID       string
	UserID        string
	Provider      string
	AmountFen     Fen
	Status        PaymentStatus
	ProviderTxnID string
	PayURL        string // where the customer confirms the payment
	CreatedAt     time.Time
	SucceededAt   time.Time
}

// RefundStatus is where a refund is in its life.
type RefundStatus string

// Refund states.
const (
	RefundPending   RefundStatus = "pending"
	RefundSucceeded RefundStatus = "succeeded"
)

// Refund reasons.
const (
	RefundOrderCancelled = "order_cancelled"
	RefundShortage       = "shortage" // short or damaged at sign-off
)

// Refund returns money of a succeeded payment. A pending refund is sent to
// the provider by a background job; the refund's id makes that idempotent.
type Refund struct {
	ID          string
	PaymentID   string
	OrderID     string
	AmountFen   Fen
	Reason      string
	LineNo      int // the order line a partial refund is for; 0 for a whole payment
	Quantity    int // the units a partial refund is for
	Status      RefundStatus
	CreatedAt   time.Time
	CompletedAt time.Time
}

// ProviderPayment is a payment as the provider sees it.
type ProviderPayment struct {
	PaymentID string // our id, the provider's out_trade_no
	TxnID     string // the provider's transaction id
	AmountFen Fen
	Succeeded bool
	PaidAt    time.Time
	PayURL    string
}

// PaymentEvent is a verified notification from a provider.
type PaymentEvent struct {
	EventID string
	Payment ProviderPayment
}

// Notification is a provider's asynchronous notification as received.
type Notification struct {
	Timestamp string
	Nonce     string
	Signature string
	Serial    string
	Body      []byte
}

// NotificationWindow is how far a notification's timestamp may be from now.
const NotificationWindow = 300 * time.Second

// PaymentProvider is a payment service such as WeChat Pay. Every call is
// idempotent on our ids.
type PaymentProvider interface {
	Name() string
	// CreatePayment registers a payment for the customer to confirm.
	CreatePayment(ctx context.Context, p *Payment) (ProviderPayment, error)
	// QueryPayment asks for a payment's state (reconciliation).
	QueryPayment(ctx context.Context, paymentID string) (ProviderPayment, error)
	// Refund returns money; refundID makes it idempotent.
	Refund(ctx context.Context, refundID, paymentID string, amount Fen) error
	// VerifyNotification checks a notification's signature and replay
	// window and decodes it.
	VerifyNotification(n Notification, now time.Time) (PaymentEvent, error)
}

// PaymentFilter selects payments.
type PaymentFilter struct {
	OrderID       string
	Status        PaymentStatus
	CreatedBefore time.Time
	Limit         int
}
