package jobs

import (
	"context"
	"time"

	"tuango/internal/tuango"
)

// RunProbes runs this node's status probes at the monitor's interval until
// ctx is done. They run on every node, without a lease: what each node
// sees of the database is what it reports, and the monitor writes what it
// saw idempotently (see tuango.StatusMonitor).
func RunProbes(ctx context.Context, m *tuango.StatusMonitor) {
	t := time.NewTicker(m.Config().Every)
	defer t.Stop()
	for {
		m.Probe(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
