package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"tuango/internal/tuango"
)

// WatchTelling adds the webhook deliveries by status (read from the
// database at scrape time, at most every few seconds) and this node's
// order failures noted in memory and not yet written.
func (m *Metrics) WatchTelling(svc *tuango.Service) {
	m.reg.MustRegister(&tellCollector{svc: svc})
}

var (
	descDeliveries = prometheus.NewDesc("tuango_webhook_deliveries", "Webhook deliveries by status: pending (waiting or retrying), delivered, failed (gave up after every attempt).", []string{"status"}, nil)
	descFailures   = prometheus.NewDesc("tuango_order_failures_unflushed", "Order requests answered 5xx that this node noted in memory and has not written to the database yet.", nil, nil)
	descDropped    = prometheus.NewDesc("tuango_order_failures_dropped_total", "Order failures this node could not note because its buffer was full.", nil, nil)
)

type tellCollector struct {
	svc   *tuango.Service
	cache scrapeCache
}

func (c *tellCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descDeliveries, descFailures, descDropped} {
		ch <- d
	}
}

func (c *tellCollector) Collect(ch chan<- prometheus.Metric) {
	held, dropped := c.svc.NotedFailures()
	ch <- prometheus.MustNewConstMetric(descFailures, prometheus.GaugeValue, float64(held))
	ch <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(dropped))
	c.cache.collect(ch, c.read)
}

func (c *tellCollector) read() []prometheus.Metric {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.svc.CountDeliveries(ctx)
	if err != nil {
		return nil // the backlog's tuango_backlog_read_ok says the database did not answer
	}
	var out []prometheus.Metric
	for _, st := range []tuango.DeliveryStatus{tuango.DeliveryPending, tuango.DeliveryDelivered, tuango.DeliveryFailed} {
		out = append(out, prometheus.MustNewConstMetric(descDeliveries, prometheus.GaugeValue, float64(counts[st]), string(st)))
	}
	return out
}
