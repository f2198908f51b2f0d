package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"tuango/internal/tuango"
)

// LastGood reads when the last good run of a kind (tuango.BackupRunBackup,
// tuango.BackupRunDrill) finished, cluster-wide; zero if none ever did.
type LastGood func(ctx context.Context, kind string) (time.Time, error)

// WatchBackups exports the last good backup and restore drill as read from
// the database at scrape time, so every node of a cluster exports the
// cluster's value whichever node ran them. Each series appears with the
// first good run. Use it instead of BackupSucceeded and
// RestoreDrillSucceeded, not beside them.
func (m *Metrics) WatchBackups(read LastGood) {
	m.reg.MustRegister(&backupCollector{m: m, read: read})
}

// backupCollector reads at most every few seconds, within a short timeout.
type backupCollector struct {
	m    *Metrics
	read LastGood

	mu     sync.Mutex
	at     time.Time
	backup time.Time
	drill  time.Time
}

// Describe sends nothing: the series exist only once a run was good, so
// the collector is unchecked.
func (c *backupCollector) Describe(chan<- *prometheus.Desc) {}

func (c *backupCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) > 5*time.Second {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		// A failed read keeps the last value: the alert is about the age of
		// the last good run, and a database that cannot be read has its own.
		if t, err := c.read(ctx, tuango.BackupRunBackup); err == nil {
			c.backup = t
		}
		if t, err := c.read(ctx, tuango.BackupRunDrill); err == nil {
			c.drill = t
		}
		cancel()
		c.at = time.Now()
	}
	for _, g := range []struct {
		at time.Time
		g  prometheus.Gauge
	}{{c.backup, c.m.backupLast}, {c.drill, c.m.restoreLast}} {
		if !g.at.IsZero() {
			g.g.Set(float64(g.at.Unix()))
			g.g.Collect(ch)
		}
	}
}
