package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"tuango/internal/tuango"
)

// NameAuditChainOK is the audit chain's verification gauge, exported only
// once a node has verified (the alert rules read it).
const NameAuditChainOK = "tuango_audit_chain_ok"

var (
	descAuditHead     = prometheus.NewDesc("tuango_audit_head_seq", "Sequence number of the last chained audit record (the chain's head; its hash is in `tuango audit verify` and the backups).", nil, nil)
	descAuditWaiting  = prometheus.NewDesc("tuango_audit_unchained", "Audit records appended but not chained yet.", nil, nil)
	descAuditAge      = prometheus.NewDesc("tuango_audit_unchained_oldest_age_seconds", "Age of the oldest audit record not chained yet (0 when none).", nil, nil)
	descAuditVerified = prometheus.NewDesc("tuango_audit_last_verify_timestamp_seconds", "When this node last verified the audit chain (0: not since it started; the verify sweep runs on one node at a time).", nil, nil)
	descAuditOK       = prometheus.NewDesc(NameAuditChainOK, "1 if this node's last verification of the audit chain held, 0 if it found a break (absent before the first).", nil, nil)
)

// auditCollector reads the audit chain's head and backlog at scrape time,
// at most every few seconds, like the backlog.
type auditCollector struct {
	svc *tuango.Service

	mu   sync.Mutex
	at   time.Time
	last []prometheus.Metric
}

func (c *auditCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descAuditHead, descAuditWaiting, descAuditAge, descAuditVerified, descAuditOK} {
		ch <- d
	}
}

func (c *auditCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) > 5*time.Second {
		c.last, c.at = c.read(), time.Now()
	}
	for _, mt := range c.last {
		ch <- mt
	}
}

func (c *auditCollector) read() []prometheus.Metric {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var out []prometheus.Metric
	gauge := func(d *prometheus.Desc, v float64) {
		out = append(out, prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v))
	}
	if seq, _, err := c.svc.AuditHead(ctx); err == nil {
		gauge(descAuditHead, float64(seq))
	}
	if n, age, err := c.svc.AuditBacklog(ctx); err == nil {
		gauge(descAuditWaiting, float64(n))
		gauge(descAuditAge, max(0, age.Seconds()))
	}
	at, ok, _ := c.svc.AuditVerified()
	if at.IsZero() {
		gauge(descAuditVerified, 0)
		return out
	}
	gauge(descAuditVerified, float64(at.UnixMilli())/1000)
	v := 0.0
	if ok {
		v = 1
	}
	gauge(descAuditOK, v)
	return out
}
