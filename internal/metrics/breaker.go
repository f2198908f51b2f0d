package metrics

import "github.com/prometheus/client_golang/prometheus"

// BreakerState is a circuit breaker as the metrics read it.
type BreakerState interface {
	Name() string
	// StateValue is 0 closed, 1 half-open, 2 open.
	StateValue() float64
}

// WatchBreaker exports a payment provider's circuit breaker state, read at
// scrape time: tuango_payment_breaker_state{provider} is 0 closed, 1
// half-open, 2 open. One series per provider, so the labels stay bounded.
func (m *Metrics) WatchBreaker(b BreakerState) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "tuango_payment_breaker_state",
		Help:        "This node's circuit breaker on the payment provider: 0 closed (calls go through), 1 half-open (one probe), 2 open (payment refused at once).",
		ConstLabels: prometheus.Labels{"provider": b.Name()},
	}, b.StateValue))
}
