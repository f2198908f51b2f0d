package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"tuango/internal/sqlstore"
	"tuango/internal/tuango"
)

// WatchDB adds the database's pool statistics (database/sql DBStats, one
// set per pool), the SQLite writer's queue and the backlog read at scrape
// time: the outbox's depth and oldest age, oversold deals, failing
// payouts and each city's overdue cutoff. clock is the service's clock; svc may be nil.
func (m *Metrics) WatchDB(db *sqlstore.DB, svc *tuango.Service, clock tuango.Clock) {
	for role, pool := range db.Pools() {
		m.reg.MustRegister(collectors.NewDBStatsCollector(pool, role))
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "tuango_sqlite_writer_queue", Help: "Callers waiting for the one SQLite writer now (0 on PostgreSQL).",
	}, func() float64 { return float64(db.WriterQueue()) }))
	db.ObserveWriter(func(wait, held time.Duration) {
		m.writerWait.Observe(wait.Seconds())
		m.writerHeld.Observe(held.Seconds())
	})
	m.reg.MustRegister(&backlogCollector{db: db, svc: svc, clock: clock})
	if svc != nil {
		m.reg.MustRegister(&auditCollector{svc: svc})
	}
}

var (
	descOutboxDepth = prometheus.NewDesc("tuango_outbox_unsent", "Outbox messages not yet sent.", nil, nil)
	descOutboxAge   = prometheus.NewDesc("tuango_outbox_oldest_age_seconds", "Age of the oldest unsent outbox message (0 when none).", nil, nil)
	descOversold    = prometheus.NewDesc("tuango_oversold_deals", "Deals on sale or ended within a day whose units in live orders exceed their stock; must be 0.", nil, nil)
	descCutoffLag   = prometheus.NewDesc("tuango_cutoff_overdue_seconds", "How long ago the city's earliest unfinished cutoff fell due (0: none due).", []string{"city"}, nil)
	descPayoutsFail = prometheus.NewDesc("tuango_payouts_failing", "Approved payouts whose send to the provider failed and has not yet succeeded (the sweep tries again).", nil, nil)
	descBacklogUp   = prometheus.NewDesc("tuango_backlog_read_ok", "1 if the scrape could read the backlog from the database, else 0.", nil, nil)
)

// backlogCollector reads the backlog from the database at scrape time,
// at most every few seconds and within a short timeout, so that many
// scrapes cost one read and a dead database costs a scrape little.
type backlogCollector struct {
	db    *sqlstore.DB
	svc   *tuango.Service
	clock tuango.Clock
	cache scrapeCache
}

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOutboxDepth, descOutboxAge, descOversold, descPayoutsFail, descCutoffLag, descBacklogUp} {
		ch <- d
	}
}

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) { c.cache.collect(ch, c.read) }

// scrapeCache keeps what a collector read from the database for a few
// seconds, so that many scrapes cost one read.
type scrapeCache struct {
	mu   sync.Mutex
	at   time.Time
	last []prometheus.Metric
}

// collect sends the metrics last read, reading them again first if they
// are older than 5 s.
func (c *scrapeCache) collect(ch chan<- prometheus.Metric, read func() []prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) > 5*time.Second {
		c.last, c.at = read(), time.Now()
	}
	for _, mt := range c.last {
		ch <- mt
	}
}

func (c *backlogCollector) read() []prometheus.Metric {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	now := c.clock.Now()
	ok := 1.0
	var out []prometheus.Metric
	if b, err := c.db.ReadBacklog(ctx, now); err != nil {
		ok = 0
	} else {
		age := 0.0
		if !b.OutboxOldest.IsZero() {
			age = max(0, now.Sub(b.OutboxOldest).Seconds())
		}
		out = append(out,
			prometheus.MustNewConstMetric(descOutboxDepth, prometheus.GaugeValue, float64(b.OutboxUnsent)),
			prometheus.MustNewConstMetric(descOutboxAge, prometheus.GaugeValue, age),
			prometheus.MustNewConstMetric(descOversold, prometheus.GaugeValue, float64(b.OversoldDeals)),
			prometheus.MustNewConstMetric(descPayoutsFail, prometheus.GaugeValue, float64(b.PayoutsFailing)))
	}
	if c.svc != nil {
		if lag, err := c.svc.CutoffLag(ctx); err != nil {
			ok = 0
		} else {
			for city, d := range lag {
				out = append(out, prometheus.MustNewConstMetric(descCutoffLag, prometheus.GaugeValue, d.Seconds(), city))
			}
		}
	}
	return append(out, prometheus.MustNewConstMetric(descBacklogUp, prometheus.GaugeValue, ok))
}
