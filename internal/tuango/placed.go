package tuango

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// The stored answer of a placed order. Placing is the one keyed call on
// the ordering path of a flash sale, and the order it answers is written
// in the same transaction as its key's record, so the record does not
// carry the order again (the largest row an order wrote, some 600 bytes
// of JSON): it names the order and its first payment deadline, and a
// replay rebuilds the first answer from the order as it now stands, with
// everything that can change after placing put back as it was then
// (asPlaced). Records stored whole before this (answerVersion) still
// replay as stored.

// placedVersion marks a placed order's compact record.
const placedVersion = 2

type placedAnswer struct {
	V       int    `json:"v"`
	Order   string `json:"order"`
	Expires int64  `json:"expires"` // the first payment deadline, in Unix microseconds
}

// placedRecordOf is recordOf for a placed order: the record that names o.
func placedRecordOf(idem *Idempotency, o *Order, now time.Time) (*IdempotencyRecord, error) {
	body, err := json.Marshal(placedAnswer{V: placedVersion, Order: o.ID, Expires: o.ExpiresAt.UnixMicro()})
	if err != nil {
		return nil, fmt.Errorf("tuango: store the answer of key %q: %w", idem.Key, err)
	}
	return &IdempotencyRecord{Scope: idem.Scope, Key: idem.Key, Fingerprint: idem.Fingerprint, Body: body, CreatedAt: now}, nil
}

// replayPlaced is replayOf for the key of a placed order: the first
// answer, rebuilt from the order the record names, read from store.
func replayPlaced(ctx context.Context, store Store, rec *IdempotencyRecord, idem *Idempotency) (Once[*Order], bool, error) {
	var none Once[*Order]
	if rec == nil {
		return none, false, nil
	}
	var a placedAnswer
	if rec.Fingerprint != idem.Fingerprint || json.Unmarshal(rec.Body, &a) != nil || a.V != placedVersion {
		return replayOf[*Order](rec, idem) // another request, or a record stored whole
	}
	o, err := store.FindOrderByID(ctx, a.Order)
	if IsNotFound(err) { // orders are never deleted
		err = Errorf(CodeInternal, "the order %s placed under this Idempotency-Key cannot be found", a.Order)
	}
	if err != nil {
		return none, true, err
	}
	return Once[*Order]{Value: asPlaced(o, time.UnixMicro(a.Expires)), Replayed: true}, true, nil
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
	p.Lines = slices.Clone(o.Lines)
	for i := range p.Lines {
		p.Lines[i].RefundedQuantity, p.Lines[i].RefundedFen = 0, 0
	}
	return &p
}
