package tuango

// SetPayoutSentHook runs fn after the provider took a payout and before
// the sweep records it sent, until the test ends: an error from fn is a
// node dying between the two.
func SetPayoutSentHook(fn func(p *Payout) error) func() {
	payoutSentHook = fn
	return func() { payoutSentHook = nil }
}
