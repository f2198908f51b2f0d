package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"
)

// maxOrdersPerCustomer bounds a customer's loop however long the run.
const maxOrdersPerCustomer = 10_000

// What a customer does with an order it got: pay for it (and sometimes
// cancel it once paid, at once or later), cancel it, or leave it to expire.
const (
	payShare          = 0.45
	cancelShare       = 0.20
	cancelPaidShare   = 0.15 // of paid orders, at once
	changeMindShare   = 0.05 // of loops: cancel an order paid earlier, so that stock comes back
	secondDealShare   = 0.20 // orders with a line for a second hot deal
	maxThinkTime      = 250 * time.Millisecond
	refusedPauseSpan  = 300 * time.Millisecond
	refusedPauseFloor = 100 * time.Millisecond
)

// customer is one virtual customer: a process of the history.
type customer struct {
	proc        int
	userID      string
	token       string
	pickupPoint string
}

// run places orders until ctx ends: each with a fresh Idempotency-Key,
// retried with the same key and body while its outcome is unknown.
func (cu *customer) run(ctx context.Context, c *client, rng *rand.Rand, deals []string) {
	var paid []string
	for n := 0; n < maxOrdersPerCustomer && ctx.Err() == nil; n++ {
		if len(paid) > 0 && rng.Float64() < changeMindShare {
			i := rng.IntN(len(paid))
			cu.cancel(ctx, c, rng, paid[i])
			paid = append(paid[:i], paid[i+1:]...)
		}
		items := []Item{{DealID: deals[rng.IntN(len(deals))], Quantity: 1 + rng.IntN(2)}}
		if rng.Float64() < secondDealShare {
			if other := deals[rng.IntN(len(deals))]; other != items[0].DealID {
				items = append(items, Item{DealID: other, Quantity: 1})
			}
		}
		body, _ := json.Marshal(map[string]any{"pickup_point_id": cu.pickupPoint, "items": items})
		key := fmt.Sprintf("c%d-o%d", cu.proc, n)
		res := c.do(ctx, rng, Op{Process: cu.proc, F: PlaceOrder, Key: key, Items: items}, "POST", "/api/v1/orders", cu.token, body)
		if res.Type != OK {
			sleep(ctx, refusedPauseFloor+time.Duration(rng.Int64N(int64(refusedPauseSpan))))
			continue
		}
		sleep(ctx, time.Duration(rng.Int64N(int64(maxThinkTime))))
		switch r := rng.Float64(); {
		case r < payShare:
			if !cu.pay(ctx, c, rng, res.OrderID, key+"-pay") {
				break
			}
			if rng.Float64() < cancelPaidShare {
				sleep(ctx, time.Duration(rng.Int64N(int64(time.Second))))
				cu.cancel(ctx, c, rng, res.OrderID)
			} else {
				paid = append(paid, res.OrderID)
			}
		case r < payShare+cancelShare:
			cu.cancel(ctx, c, rng, res.OrderID)
		default:
			// left to expire
		}
		sleep(ctx, time.Duration(rng.Int64N(int64(maxThinkTime))))
	}
}

// pay starts a payment and confirms it on the sandbox, and reports whether
// the sandbox took the money.
func (cu *customer) pay(ctx context.Context, c *client, rng *rand.Rand, orderID, key string) bool {
	p := c.do(ctx, rng, Op{Process: cu.proc, F: CreatePayment, Key: key, OrderID: orderID}, "POST", "/api/v1/orders/"+orderID+"/payments", cu.token, nil)
	if p.Type != OK {
		return false
	}
	sleep(ctx, time.Duration(rng.Int64N(int64(maxThinkTime))))
	r := c.do(ctx, rng, Op{Process: cu.proc, F: ConfirmPayment, PaymentID: p.PaymentID}, "POST", "/api/v1/sandbox/payments/"+p.PaymentID+"/confirm", cu.token, nil)
	return r.Type == OK
}

func (cu *customer) cancel(ctx context.Context, c *client, rng *rand.Rand, orderID string) {
	c.do(ctx, rng, Op{Process: cu.proc, F: CancelOrder, OrderID: orderID}, "POST", "/api/v1/orders/"+orderID+"/cancel", cu.token, nil)
}
