// Package jobs runs tuango's background work. Deadlines are data (an
// order's expires_at, a payment's created_at, a refund's status) and each
// job is a periodic sweep that acts on whatever is due, so a job needs no
// row of its own, survives any restart, and is idempotent by construction.
// A lease in the database lets one node at a time run each sweep.
package jobs

import (
	"context"
	"log/slog"
	"time"

	"tuango/internal/tuango"
)

// Task is a periodic sweep.
type Task struct {
	Name  string
	Every time.Duration
	// Run does one sweep and reports how many things it acted on.
	Run func(ctx context.Context) (int, error)
	// Local runs the sweep on every node, without a lease: it works on
	// what this node holds in memory.
	Local bool
}

// Runner runs tasks on their schedule, each under a lease so that across a
// cluster one node runs a sweep at a time.
type Runner struct {
	store tuango.Store
	clock tuango.Clock
	owner string
	tasks []Task
	log   *slog.Logger
	tick  time.Duration
	obs   Observer
}

// Observer is told of every sweep this node runs, for the metrics.
type Observer interface {
	// Sweep declares a sweep and how often it is due.
	Sweep(job string, every time.Duration)
	// SweepRan is one run under the lease: how long it took, its error.
	SweepRan(job string, took time.Duration, err error, at time.Time)
	// SweepFailed is a sweep whose lease could not be read.
	SweepFailed(job string)
}

type nopObserver struct{}

func (nopObserver) Sweep(string, time.Duration)                      {}
func (nopObserver) SweepRan(string, time.Duration, error, time.Time) {}
func (nopObserver) SweepFailed(string)                               {}

// SetObserver has o told of every sweep; call it before Run.
func (r *Runner) SetObserver(o Observer) {
	r.obs = o
	for _, t := range r.tasks {
		o.Sweep(t.Name, t.Every)
	}
}

// NewRunner returns a Runner; owner names this node in leases.
func NewRunner(store tuango.Store, clock tuango.Clock, owner string, log *slog.Logger, tasks ...Task) *Runner {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tick := time.Second
	for _, t := range tasks {
		if t.Every < tick {
			tick = t.Every
		}
	}
	return &Runner{store: store, clock: clock, owner: owner, tasks: tasks, log: log, tick: tick, obs: nopObserver{}}
}

// Run runs the tasks until ctx is done.
func (r *Runner) Run(ctx context.Context) {
	next := make([]time.Time, len(r.tasks))
	t := time.NewTicker(r.tick)
	defer t.Stop()
	for {
		for i, task := range r.tasks {
			now := r.clock.Now()
			if now.Before(next[i]) {
				continue
			}
			next[i] = now.Add(task.Every)
			r.RunOnce(ctx, task)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce runs one task now if this node gets its lease.
func (r *Runner) RunOnce(ctx context.Context, task Task) {
	if task.Local {
		r.run(ctx, task)
		return
	}
	now := r.clock.Now()
	// The lease lasts a little less than the interval, so that the holder
	// renews it each time and a dead holder's sweep moves on within one.
	ok, err := r.store.AcquireLease(ctx, task.Name, r.owner, now, now.Add(task.Every*9/10))
	if err != nil {
		r.log.Warn("job lease", "job", task.Name, "err", err)
		r.obs.SweepFailed(task.Name)
		return
	}
	if !ok {
		return
	}
	r.run(ctx, task)
}

// run runs one sweep of a task, observed and logged.
func (r *Runner) run(ctx context.Context, task Task) {
	start := time.Now() // wall time: a measurement
	n, err := task.Run(ctx)
	if ctx.Err() == nil {
		r.obs.SweepRan(task.Name, time.Since(start), err, r.clock.Now())
	}
	if err != nil && ctx.Err() == nil {
		r.log.Error("job failed; it runs again at its next interval", "job", task.Name, "err", err)
		return
	}
	if n > 0 {
		r.log.Info("job done", "job", task.Name, "count", n)
	}
}

// Sweeps returns tuango's standard sweeps over a service.
func Sweeps(svc *tuango.Service, every time.Duration) []Task {
	if every <= 0 {
		every = 2 * time.Second
	}
	return []Task{
		{Name: "expire_orders", Every: every, Run: func(ctx context.Context) (int, error) { return drain(ctx, svc.ExpireOrders) }},
		{Name: "reconcile_payments", Every: 5 * every, Run: func(ctx context.Context) (int, error) { return svc.Reconcile(ctx, 200) }},
		{Name: "send_refunds", Every: every, Run: func(ctx context.Context) (int, error) { return svc.SendRefunds(ctx, 200) }},
		{Name: "purge_idempotency", Every: time.Hour, Run: svc.PurgeIdempotency},
		{Name: "purge_login_failures", Every: 5 * time.Minute, Run: svc.PurgeLoginFailures},
		{Name: "purge_source_rules", Every: time.Hour, Run: svc.PurgeSourceRules},
		// Each city's cutoff at its local cutoff time; a cutoff is long, so
		// its lease is long too (a dead holder's run is finished by the next).
		{Name: "cutoffs", Every: 15 * every, Run: svc.CutoffsDue},
		{Name: "deliver_notifications", Every: every, Run: func(ctx context.Context) (int, error) { return drain(ctx, svc.DeliverNotifications) }},
		{Name: "pickup_reminders", Every: 15 * every, Run: func(ctx context.Context) (int, error) { return drain(ctx, svc.RemindPickups) }},
		{Name: "unclaimed_orders", Every: 15 * every, Run: func(ctx context.Context) (int, error) { return drain(ctx, svc.ExpirePickups) }},
		// Leaders' commission, frozen at pickup, released once the city's
		// after-sales window closes (the pickup's time is the deadline).
		{Name: "release_commissions", Every: 15 * every, Run: func(ctx context.Context) (int, error) { return drain(ctx, svc.ReleaseCommissions) }},
		// Approved payouts sent to the payout provider under their ids, and
		// those sent asked about until paid or failed.
		{Name: "send_payouts", Every: every, Run: func(ctx context.Context) (int, error) { return svc.SendPayouts(ctx, 200) }},
		// Announcements (incident updates) fanned out to their audience's
		// outbox and to webhook deliveries, and those deliveries sent.
		{Name: "announcements", Every: every, Run: func(ctx context.Context) (int, error) { return drain(ctx, svc.FanOutAnnouncements) }},
		{Name: "deliver_webhooks", Every: every, Run: func(ctx context.Context) (int, error) { return svc.DeliverWebhooks(ctx, 50) }},
		// Each node's noted order failures (requests answered 5xx while the
		// database was down) written to the database once it answers.
		{Name: "flush_order_failures", Every: every, Local: true, Run: svc.FlushOrderFailures},
		// The audit log: records waiting are chained in order by one node,
		// and the chain is checked again from the last good check.
		{Name: "chain_audit", Every: every, Run: func(ctx context.Context) (int, error) { return drain(ctx, svc.ChainAudit) }},
		{Name: "verify_audit", Every: 5 * time.Minute, Run: svc.VerifyAuditSweep},
		// Each incident update handed to the announcements once.
		{Name: "announce_incident_updates", Every: every, Run: func(ctx context.Context) (int, error) { return drain(ctx, svc.AnnounceIncidentUpdates) }},
	}
}

// drain runs a batch sweep until a batch comes back short.
func drain(ctx context.Context, sweep func(context.Context, int) (int, error)) (int, error) {
	const batch = 500
	total := 0
	for ctx.Err() == nil {
		n, err := sweep(ctx, batch)
		total += n
		if err != nil || n < batch {
			return total, err
		}
	}
	return total, ctx.Err()
}
