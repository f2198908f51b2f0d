package tuango

import (
	"context"
	"crypto/rand"
	"math/big"
)

// PickupCodeDigits is how long a pickup code is: 10 decimal digits from
// crypto/rand, so that ten wrong guesses in ten minutes (the most a leader
// gets) find one of a point's few hundred open orders with a chance of
// about one in a million.
const PickupCodeDigits = 10

// newPickupCode draws a pickup code unused among the open orders of o's
// pickup point. (The store's unique index is the backstop for two nodes
// drawing the same code at once: the payment is then applied again by
// reconciliation.)
func (s *Service) newPickupCode(ctx context.Context, tx Store, o *Order) (string, error) {
	max := big.NewInt(1)
	for range PickupCodeDigits {
		max.Mul(max, big.NewInt(10))
	}
	for range 8 {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", err
		}
		code := n.String()
		for len(code) < PickupCodeDigits {
			code = "0" + code
		}
		_, err = tx.FindOrderByPickupCode(ctx, o.PickupPointID, code)
		if IsNotFound(err) {
			return code, nil
		}
		if err != nil {
			return "", err
		}
	}
	return "", Errorf(CodeInternal, "no free pickup code found for pickup point %s", o.PickupPointID)
}
