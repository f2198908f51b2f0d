package tuango

import (
	"context"
	"encoding/json"
	"slices"
	"time"
)

// The stored answer of a placed order. Placing is the one keyed call on
// the ordering path of a flash sale, and its order is its key's record:
// the order row carries the key (unique per customer), the request's
// fingerprint and the payment deadline first answered, and the store
// finds it as the key's record (OrderID set, Store.FindIdempotency). No
// idempotency record is written for a placement, so an order writes one
// row and two index entries fewer, and its one index keyed by customer
// is the key's. A replay rebuilds the first answer from the order as it
// now stands, with everything that can change after placing put back as
// it was then (asPlaced).
//
// Before migration 0025 a placement wrote an idempotency record: whole
// (answerVersion), then naming its order (placedVersion). Those still
// replay as stored until they are purged.

// placedVersion marks a placed order's compact record of before
// migration 0025.
const placedVersion = 2

type placedAnswer struct {
	V       int    `json:"v"`
	Order   string `json:"order"`
	Expires int64  `json:"expires"` // the first payment deadline, in Unix microseconds
}

// asRecordOf makes o, placed under idem, its key's record.
func asRecordOf(o *Order, idem *Idempotency) {
	o.IdempotencyKey, o.IdempotencyFingerprint, o.PlacedExpiresAt = idem.Key, idem.Fingerprint, o.ExpiresAt
}

// replayPlaced is replayOf for the key of a placed order: the first
// answer, rebuilt from the order the record names, read from store.
func replayPlaced(ctx context.Context, store Store, rec *IdempotencyRecord, idem *Idempotency) (Once[*Order], bool, error) {
	var none Once[*Order]
	if rec == nil {
		return none, false, nil
	}
	orderID, expires := rec.OrderID, rec.Expires
	if rec.Fingerprint != idem.Fingerprint {
		return replayOf[*Order](rec, idem) // another request under the key
	}
	if orderID == "" {
		var a placedAnswer
		if json.Unmarshal(rec.Body, &a) != nil || a.V != placedVersion {
			return replayOf[*Order](rec, idem) // a record stored whole
		}
		orderID, expires = a.Order, time.UnixMicro(a.Expires)
	}
	o, err := store.FindOrderByID(ctx, orderID)
	if IsNotFound(err) { // orders are never deleted
		err = Errorf(CodeInternal, "the order %s placed under this Idempotency-Key cannot be found", orderID)
	}
	if err != nil {
		return none, true, err
	}
	return Once[*Order]{Value: asPlaced(o, expires), Replayed: true}, true, nil
}

// asPlaced returns o as it was answered when placed: every field that
// moves after placing (status, the times of its moves, refunds, the
// pickup code, a deadline extended while payments were down) as it was
// then. A new field of Order or OrderLine that changes after placing
// must be put back here: TestTheDayAfterTheOrder replays every key of a
// day's orders after all their moves, TestPaymentBreakerHoldsOrdersThroughAnOutage
// (internal/web) after an extended deadline.
func asPlaced(o *Order, expires time.Time) *Order {
	p := *o
	p.Status, p.ExpiresAt = OrderPendingPayment, Truncate(expires)
	p.PaidAt, p.CancelledAt, p.ConfirmedAt, p.ShippedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	p.ArrivedAt, p.PickedUpAt, p.UnclaimedAt, p.RefundedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	p.CancelReason, p.PickupCode, p.RefundedFen, p.Timeline = "", "", 0, nil
	p.CancelRefundFen, p.CancelRefundPaidFen = 0, 0
	p.Lines = slices.Clone(o.Lines)
	for i := range p.Lines {
		p.Lines[i].RefundedQuantity, p.Lines[i].RefundedFen = 0, 0
	}
	return &p
}
