package jobs

import (
	"context"
	"log/slog"
	"time"

	"tuango/internal/tuango"
)

// WatchProvider reports this node's view of the payment provider every
// interval and at once whenever changed signals (its circuit breaker
// changed state), until ctx is done. It runs on every node, not under a
// lease: each node's breaker is its own observation, and the outage rows
// it keeps fresh are what the expiry sweep, under its lease, acts on.
func WatchProvider(ctx context.Context, svc *tuango.Service, node string, every time.Duration, changed <-chan struct{}, log *slog.Logger) {
	if every <= 0 {
		every = 5 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := svc.ReportProvider(ctx, node); err != nil && ctx.Err() == nil {
			log.Warn("report the payment provider's health", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-changed:
		}
	}
}
