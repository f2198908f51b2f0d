package chaos

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The failover drill: the flash sale on the nodes, on a pg_auto_failover
// set-up whose primary is SIGKILLed mid-sale, brought back as a standby,
// and then the promoted one killed in its turn.
const (
	failoverRounds = 2
	// maxOrderingBack is the longest ordering may stay away after a
	// primary's death for the drill to pass.
	maxOrderingBack = 30 * time.Second
	// orderingGiveUp is how long the nemesis waits for ordering to come
	// back before it records that it did not.
	orderingGiveUp = 90 * time.Second
	settleAttempts = 10
)

// Failover is one death of the PostgreSQL primary during the drill.
type Failover struct {
	Killed string    // the pg_auto_failover node killed
	At     time.Time // when
	// Back is how long after the kill the first order sent after it was
	// acknowledged; 0 if none was.
	Back     time.Duration
	Promoted string // the node that was primary afterwards
}

// FailoverResult is what the drill adds to a report.
type FailoverResult struct {
	Weak      bool   // an asynchronous standby: commits wait for the primary's disk only
	Timings   string // pg_auto_failover's settings
	Failovers []Failover
	// Answers counts every attempt's answer by HTTP status, and the 5xx
	// answers sent without Retry-After.
	Answers      map[string]int
	NoRetryAfter int
	// Settle is what retrying every key whose outcome was unknown
	// answered: acknowledged, refused, or still unknown.
	SettledOK, SettledRefused, Unsettled int
}

// haDatabase makes the run's database on the set-up's primary and
// returns its name.
func haDatabase(ctx context.Context, ha *HA, weak bool) (string, error) {
	primary, err := ha.WaitSettled(ctx, 90*time.Second)
	if err != nil {
		return "", err
	}
	name, _, err := createDatabase(ctx, ha.NodeURL(primary, "postgres"))
	if err != nil {
		return "", err
	}
	if weak {
		// The weakened set-up: commits no longer wait for the standby,
		// which then trails the primary by whatever was in flight.
		db, err := sql.Open("pgx", ha.NodeURL(primary, "postgres"))
		if err != nil {
			return "", err
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, `ALTER DATABASE `+name+` SET synchronous_commit = local`); err != nil {
			return "", fmt.Errorf("chaos: make the standby asynchronous: %w", err)
		}
	}
	return name, nil
}

// failoverNodeFlags are the drill's own node flags: orders answer 503
// before the client's timeout however long the database takes, and the
// catalog is read from the standby.
func failoverNodeFlags(ha *HA, db string) []string {
	return []string{"--order-write-timeout", (requestTimeout * 3 / 4).String(), "--db-read", ha.ReadURL(db)}
}

// driveFailover runs the customers while the nemesis kills the PostgreSQL
// primary failoverRounds times, for at least the configured duration,
// then retries every key left unknown until it is settled.
func (cfg *Config) driveFailover(ctx context.Context, c *client, s *sale, ha *HA, rec *Recorder, say func(string, ...any)) FailoverResult {
	start := time.Now()
	cctx, stopCustomers := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, cu := range s.customers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cu.run(cctx, c, rand.New(rand.NewPCG(cfg.Seed, 1000+uint64(cu.proc))), s.deals)
		}()
	}
	res := FailoverResult{Weak: cfg.Weak, Timings: HATimings()}
	sleep(ctx, max(3*time.Second, cfg.Duration/5))
	for round := 1; round <= failoverRounds && ctx.Err() == nil; round++ {
		f, err := killPrimary(ctx, c, ha, rec, say)
		if f.Killed != "" {
			res.Failovers = append(res.Failovers, f)
		}
		if err != nil {
			say("round %d: %v", round, err)
			break
		}
		sleep(ctx, 3*time.Second) // ordering on the promoted primary alone for a while
	}
	sleep(ctx, cfg.Duration-time.Since(start))
	stopCustomers()
	wg.Wait()

	res.SettledOK, res.SettledRefused, res.Unsettled = c.settleUnknown(ctx, rand.New(rand.NewPCG(cfg.Seed, 3)))
	c.ans.mu.Lock()
	res.Answers, res.NoRetryAfter = c.ans.byStatus, c.ans.noRetryAfter
	c.ans.mu.Unlock()
	return res
}

// killPrimary SIGKILLs the current primary, waits for ordering to come
// back on the promoted one, then restarts the killed node and waits until
// it is the new primary's standby.
func killPrimary(ctx context.Context, c *client, ha *HA, rec *Recorder, say func(string, ...any)) (Failover, error) {
	primary, err := ha.WaitSettled(ctx, 90*time.Second)
	if err != nil {
		return Failover{}, err
	}
	f := Failover{Killed: ha.Name(primary), At: time.Now()}
	ha.Kill(primary)
	rec.Nemesis(Kill, "pg-"+f.Killed, "SIGKILL the PostgreSQL primary: its keeper and server")
	say("killed the PostgreSQL primary %s", f.Killed)
	for c.orderSentAt.Load() < f.At.UnixNano() && time.Since(f.At) < orderingGiveUp && ctx.Err() == nil {
		sleep(ctx, 50*time.Millisecond)
	}
	if c.orderSentAt.Load() >= f.At.UnixNano() {
		f.Back = time.Since(f.At) // refined from the history afterwards
		say("ordering back %.1f s after the kill", f.Back.Seconds())
	}
	if err := ha.Restart(primary); err != nil {
		return f, err
	}
	rec.Nemesis(Start, "pg-"+f.Killed, "pg_autoctl run again: it rejoins as a standby")
	promoted, err := ha.WaitSettled(ctx, 90*time.Second)
	if err != nil {
		// The old primary did not rejoin; who took over is still known.
		if states, serr := ha.States(context.WithoutCancel(ctx)); serr == nil {
			for _, s := range states {
				if s.Name != f.Killed && (s.Reported == "primary" || s.Reported == "wait_primary") {
					f.Promoted = s.Name
				}
			}
		}
		return f, err
	}
	f.Promoted = ha.Name(promoted)
	say("%s is back, as the standby of %s", f.Killed, f.Promoted)
	return f, nil
}

// settleUnknown sends again, with the same key and body, every logical
// request whose outcome was still unknown after its last attempt, until
// each is acknowledged or refused.
func (c *client) settleUnknown(ctx context.Context, rng *rand.Rand) (ok, refused, unknown int) {
	c.ans.mu.Lock()
	pending := c.ans.unknown
	c.ans.unknown = nil
	c.ans.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	for _, p := range pending {
		res := Op{Type: Info}
		for try := 0; try < settleAttempts && res.Type == Info && ctx.Err() == nil; try++ {
			res = c.doFrom(ctx, rng, try, p.inv, p.method, p.path, p.token, p.body)
		}
		switch res.Type {
		case OK:
			ok++
		case Fail:
			refused++
		default:
			unknown++
		}
	}
	c.ans.mu.Lock()
	c.ans.unknown = nil // the retries' own unknowns are counted above
	c.ans.mu.Unlock()
	return ok, refused, unknown
}

// measureBack sets each failover's time to ordering back from the
// history: the first acknowledged order that was sent after the kill.
func measureBack(h History, fs []Failover) {
	sent := map[int64]time.Time{}
	for _, op := range h {
		if op.Type == Invoke && op.F == PlaceOrder {
			sent[op.ID] = op.Time
		}
	}
	for i := range fs {
		fs[i].Back = 0
		for _, op := range h {
			if op.Type == OK && op.F == PlaceOrder && sent[op.ID].After(fs[i].At) {
				fs[i].Back = op.Time.Sub(fs[i].At)
				break
			}
		}
	}
}

// failoverChecks are the drill's own rules, beside the checker's.
func failoverChecks(res FailoverResult) []CheckResult {
	answers := 0
	bad := CheckResult{Name: "no_500", Rule: "every answer is a 2xx, a definite refusal (4xx) or 503 with Retry-After"}
	for _, status := range slices.Sorted(maps.Keys(res.Answers)) {
		n := res.Answers[status]
		answers += n
		code, err := strconv.Atoi(status)
		if err == nil && code >= 500 && code != 503 {
			bad.Violations += n
			bad.Samples = append(bad.Samples, fmt.Sprintf("%d answers of %d", n, code))
		}
	}
	if res.NoRetryAfter > 0 {
		bad.Violations += res.NoRetryAfter
		bad.Samples = append(bad.Samples, fmt.Sprintf("%d answers of 5xx without Retry-After", res.NoRetryAfter))
	}
	bad.Checked = answers
	back := CheckResult{Name: "ordering_back", Rule: fmt.Sprintf("%d primaries killed; ordering back within %s of each death", failoverRounds, maxOrderingBack),
		Checked: len(res.Failovers)}
	if len(res.Failovers) < failoverRounds {
		back.Violations += failoverRounds - len(res.Failovers)
		back.Samples = append(back.Samples, fmt.Sprintf("only %d of %d failovers were carried out", len(res.Failovers), failoverRounds))
	}
	for _, f := range res.Failovers {
		switch {
		case f.Back == 0:
			back.Violations++
			back.Samples = append(back.Samples, fmt.Sprintf("no order acknowledged after %s was killed at %s", f.Killed, f.At.Format("15:04:05.000")))
		case f.Back > maxOrderingBack:
			back.Violations++
			back.Samples = append(back.Samples, fmt.Sprintf("ordering back %.1f s after %s was killed", f.Back.Seconds(), f.Killed))
		}
		if f.Promoted == "" || f.Promoted == f.Killed {
			back.Violations++
			back.Samples = append(back.Samples, fmt.Sprintf("no other server was promoted when %s was killed", f.Killed))
		}
	}
	settled := CheckResult{Name: "keys_settled", Rule: "every key whose outcome was unknown is settled by a retry with the same key",
		Checked: res.SettledOK + res.SettledRefused + res.Unsettled, Violations: res.Unsettled}
	if res.Unsettled > 0 {
		settled.Samples = append(settled.Samples, fmt.Sprintf("%d keys still unknown after %d retries each", res.Unsettled, settleAttempts))
	}
	return []CheckResult{bad, back, settled}
}

// print writes the drill's account: the set-up, each failover, the
// answers by status and how the unknown keys settled.
func (f *FailoverResult) print(w io.Writer) {
	standby := "synchronous standby (synchronous_commit on)"
	if f.Weak {
		standby = "WEAKENED: asynchronous standby (synchronous_commit local)"
	}
	fmt.Fprintf(w, "failover drill: %s; %s\n", standby, f.Timings)
	for i, fo := range f.Failovers {
		back := "ordering NOT back"
		if fo.Back > 0 {
			back = fmt.Sprintf("ordering back %.1f s after", fo.Back.Seconds())
		}
		fmt.Fprintf(w, "failover %d: primary %s SIGKILLed at %s, %s, %s promoted\n", i+1, fo.Killed, fo.At.Format("15:04:05.000"), back, fo.Promoted)
	}
	var parts []string
	for _, status := range slices.Sorted(maps.Keys(f.Answers)) {
		parts = append(parts, fmt.Sprintf("%s %d", status, f.Answers[status]))
	}
	fmt.Fprintf(w, "answers by status: %s; 5xx without Retry-After: %d\n", strings.Join(parts, ", "), f.NoRetryAfter)
	fmt.Fprintf(w, "unknown outcomes retried with their keys: %d acknowledged, %d refused, %d still unknown\n", f.SettledOK, f.SettledRefused, f.Unsettled)
}
