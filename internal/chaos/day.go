package chaos

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// The day after the sale, played while the nemesis kills nodes: the
// operator's cutoff (sent to two nodes at once), the dispatch of every
// route, each leader's sign-off with shortages and damage, and pickups,
// some never collected, some first shown at another point. A share of the
// day's requests has the node it went to killed under it, a few
// milliseconds in; whatever answer is lost is asked again, with the same
// key, of another node. The SMS sandbox fails and loses answers on every
// node throughout, so that notifications wait in the outbox while nodes
// die.
const (
	dayProcess       = -2  // the operator and the leaders in the history
	strikeShare      = 0.4 // of the cutoff, dispatches and sign-offs: the node is killed under the request
	pickupStrike     = 0.1 // the same for pickups
	maxStrikeDelay   = 40 * time.Millisecond
	shortShare       = 0.35 // of delivery lines: some units short or damaged
	collectShare     = 0.75 // of arrived orders: collected
	wrongPointShare  = 0.15 // of collections: first shown to another point's leader
	demoLeaders      = 60   // 长沙's leaders in the demo data
	demoFirstLeader  = 13900002001
	dayPickupWindow  = 15 * time.Second // --pickup-window of the nodes: uncollected orders become unclaimed soon
	dayQuietTimeout  = 120 * time.Second
	maxDayRounds     = 5 // rounds of do (each of maxAttempts) for one of the day's requests
	loginConcurrency = 8
)

// dayFaults are every node's sandbox faults during the day: the payment
// sandbox's as in nodeFlags, and an SMS sender that fails a third of its
// sends and loses the answer of a fifth of the rest (sent, but reported
// failed, as when a node dies between the send and its record).
var dayFaults = map[string]any{"drop": 0.2, "duplicate": 0.2, "delay_ms": 300, "sms_fail": 0.3, "sms_lose_ack": 0.2}

// silentFaults are dayFaults with an SMS sender that fails every send:
// while the leaders sign, their customers' messages pile up in the
// outbox, so that the node then killed dies between event and send.
var silentFaults = map[string]any{"drop": 0.2, "duplicate": 0.2, "delay_ms": 300, "sms_fail": 1.0, "sms_lose_ack": 0.0}

// day is the day's shared state.
type day struct {
	c       *client
	s       *sale
	ns      *nemesis
	seed    uint64
	strikes sync.WaitGroup
	leaders map[string]string // pickup point → its leader's token
	points  []string          // the points with a delivery, sorted
	raw     *sql.DB           // to see the outbox, never to change it
	dialect string

	mu     sync.Mutex
	faults map[string]any // what every node is to have now
}

// playDay plays the day; waitDayQuiet then waits for its jobs to finish.
func (cfg *Config) playDay(ctx context.Context, c *client, s *sale, nodes []*node, rec *Recorder, raw *sql.DB, dialect string, say func(string, ...any)) error {
	d := &day{c: c, s: s, seed: cfg.Seed, leaders: map[string]string{}, raw: raw, dialect: dialect, faults: dayFaults,
		ns: &nemesis{nodes: nodes, rec: rec, rng: rand.New(rand.NewPCG(cfg.Seed, 3)), killEvery: cfg.KillEvery}}
	d.ns.stopAt = 24 * time.Hour // no SIGSTOP in the day: the kills are the point
	for _, n := range nodes {
		n.setOnReady(d.setFaults)
		if n.isUp() {
			d.setFaults(ctx, n)
		}
	}
	nctx, stopNemesis := context.WithCancel(ctx)
	nemesisDone := make(chan struct{})
	go func() { d.ns.run(nctx); close(nemesisDone) }()
	err := d.play(ctx, say)
	d.strikes.Wait()
	stopNemesis()
	<-nemesisDone
	if err != nil {
		return err
	}
	return ensureUp(ctx, nodes, rec)
}

func (d *day) play(ctx context.Context, say func(string, ...any)) error {
	if err := d.cutoff(ctx); err != nil {
		return err
	}
	if err := d.loginLeaders(ctx); err != nil {
		return err
	}
	if err := d.readLists(ctx); err != nil {
		return err
	}
	routes, err := d.dispatch(ctx)
	if err != nil {
		return err
	}
	say("cut off, %d routes dispatched, %d pickup points to sign", routes, len(d.points))
	d.setFaultsAll(ctx, silentFaults)
	if err := d.signAll(ctx); err != nil {
		return err
	}
	unsent, holder, err := d.killSender(ctx)
	if err != nil {
		return err
	}
	say("signed; %d notifications unsent when %s (the sender's lease holder) was killed", unsent, holder)
	d.setFaultsAll(ctx, dayFaults)
	n, err := d.pickups(ctx)
	if err != nil {
		return err
	}
	say("%d orders shown at pickup", n)
	return nil
}

// setFaultsAll switches every node to faults; a node down now gets them
// when it is up again.
func (d *day) setFaultsAll(ctx context.Context, faults map[string]any) {
	d.mu.Lock()
	d.faults = faults
	d.mu.Unlock()
	for _, n := range d.c.nodes {
		if n.isUp() {
			d.setFaults(ctx, n)
		}
	}
}

// setFaults switches the day's sandbox faults on n; a restarted node has
// forgotten them.
func (d *day) setFaults(ctx context.Context, n *node) {
	d.mu.Lock()
	faults := d.faults
	d.mu.Unlock()
	for range 5 {
		if _, err := d.c.once(ctx, n, "PUT", "/api/v1/sandbox/faults", d.s.operator, faults, nil); err == nil || ctx.Err() != nil {
			return
		}
		sleep(ctx, 100*time.Millisecond)
	}
}

// send is one of the day's requests: sent to a random node, which with
// probability share is killed a few milliseconds later, and asked again
// of other nodes while the outcome is unknown.
func (d *day) send(ctx context.Context, rng *rand.Rand, share float64, inv Op, method, path, token string, body any) Op {
	b, _ := json.Marshal(body)
	inv.Process = dayProcess
	var res Op
	for round := 0; round < maxDayRounds && ctx.Err() == nil; round++ {
		first := rng.IntN(len(d.c.nodes))
		if round == 0 && rng.Float64() < share {
			n, delay := d.c.nodes[first], time.Duration(rng.Int64N(int64(maxStrikeDelay)))
			pause := minRestartPause + time.Duration(rng.Int64N(int64(restartPauseSpan)))
			d.strikes.Add(1)
			go func() {
				defer d.strikes.Done()
				time.Sleep(delay)
				d.ns.strike(ctx, n, "SIGKILL during "+inv.F, pause)
			}()
		}
		res = d.c.doFrom(ctx, rng, first, inv, method, path, token, b)
		// A cutoff another node is still running may be refused as a
		// conflict for now; it is asked again like a lost answer.
		busy := res.Type == Fail && (res.Code == "idempotency_key_in_flight" || (inv.F == CutoffOp && res.Status == 409))
		if res.Type != Info && !busy {
			return res
		}
		if busy {
			sleep(ctx, 200*time.Millisecond)
		}
	}
	return res
}

// killSender SIGKILLs the node that holds the notification sweep's lease
// (or any node up, if none holds it) while the sign-offs' messages wait in
// the outbox, and says how many waited.
func (d *day) killSender(ctx context.Context) (int, string, error) {
	var unsent int
	var holder string
	err := d.raw.QueryRowContext(ctx, rebind(d.dialect, `SELECT (SELECT COUNT(*) FROM outbox WHERE sent_at = 0),
		COALESCE((SELECT owner FROM job_leases WHERE name = ?), '')`), "deliver_notifications").Scan(&unsent, &holder)
	if err != nil {
		return 0, "", fmt.Errorf("chaos: read the outbox: %w", err)
	}
	var target *node
	for _, n := range d.c.nodes {
		if n.name == holder && n.isUp() {
			target = n
		}
	}
	if target == nil {
		target = d.ns.pick()
	}
	if target == nil {
		return unsent, "no node", nil
	}
	d.ns.strike(ctx, target, fmt.Sprintf("SIGKILL during notify: %d messages unsent, lease held by %q", unsent, holder), minRestartPause)
	return unsent, target.name, nil
}

// must is send for a request the day cannot go on without.
func (d *day) must(ctx context.Context, rng *rand.Rand, share float64, inv Op, method, path, token string, body any) error {
	res := d.send(ctx, rng, share, inv, method, path, token, body)
	if res.Type != OK {
		return fmt.Errorf("chaos: the day's %s %s ended %s (HTTP %d %s %s)", method, path, res.Type, res.Status, res.Code, res.Error)
	}
	return nil
}

// cutoff runs the city's cutoff for the date by hand, on two nodes at
// once, the first always killed under it (the worker's own is not due
// before the city's cutoff time).
func (d *day) cutoff(ctx context.Context) error {
	body := map[string]string{"city_id": d.s.city, "delivery_date": d.s.date}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(d.seed, 10+uint64(i)))
			errs[i] = d.must(ctx, rng, []float64{1, strikeShare}[i], Op{F: CutoffOp}, "POST", "/api/v1/admin/cutoffs", d.s.operator, body)
		}()
	}
	wg.Wait()
	if errs[0] != nil {
		return errs[0]
	}
	return errs[1]
}

// dispatch dispatches every route with a manifest for the date.
func (d *day) dispatch(ctx context.Context) (int, error) {
	var manifests struct {
		Items []struct {
			RouteID string `json:"route_id"`
		} `json:"items"`
	}
	if err := d.c.callAny(ctx, "GET", "/api/v1/admin/manifests?limit=500&city_id="+d.s.city+"&date="+d.s.date, d.s.operator, nil, &manifests); err != nil {
		return 0, err
	}
	rng := rand.New(rand.NewPCG(d.seed, 20))
	for _, m := range manifests.Items {
		inv := Op{F: DispatchOp, Route: m.RouteID}
		if err := d.must(ctx, rng, strikeShare, inv, "POST", "/api/v1/admin/routes/"+m.RouteID+"/dispatch", d.s.operator, map[string]string{"delivery_date": d.s.date}); err != nil {
			return 0, err
		}
	}
	return len(manifests.Items), nil
}
