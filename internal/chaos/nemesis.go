package chaos

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// Nemesis timing.
const (
	stopFor          = 3 * time.Second // how long the one SIGSTOP lasts
	minRestartPause  = 300 * time.Millisecond
	restartPauseSpan = 500 * time.Millisecond
)

// nemesis kills a random node every killEvery and restarts it after a short
// pause, on the same port; once during the run it SIGSTOPs a node for a few
// seconds and then lets it go on.
type nemesis struct {
	nodes     []*node
	rec       *Recorder
	rng       *rand.Rand
	killEvery time.Duration
	stopAt    time.Duration // from the start of the run
	restarts  sync.WaitGroup
}

// run acts until ctx ends, then waits for every restart under way. The
// one SIGSTOP comes at stopAt, on its own timer.
func (ns *nemesis) run(ctx context.Context) {
	stopTimer := time.NewTimer(ns.stopAt)
	defer stopTimer.Stop()
	tick := time.NewTicker(ns.killEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			ns.restarts.Wait()
			return
		case <-stopTimer.C:
			if n := ns.pick(); n != nil {
				ns.restarts.Add(1)
				go ns.stop(n)
			} else {
				stopTimer.Reset(100 * time.Millisecond) // every node is down: soon
			}
		case <-tick.C:
			if n := ns.pick(); n != nil {
				ns.kill(ctx, n)
			}
		}
	}
}

// pick returns a random node that is up, or nil.
func (ns *nemesis) pick() *node {
	var up []*node
	for _, n := range ns.nodes {
		if n.isUp() {
			up = append(up, n)
		}
	}
	if len(up) == 0 {
		return nil
	}
	return up[ns.rng.IntN(len(up))]
}

// kill SIGKILLs n and restarts it in the background after a short pause.
func (ns *nemesis) kill(ctx context.Context, n *node) {
	ns.strike(ctx, n, "SIGKILL", minRestartPause+time.Duration(ns.rng.Int64N(int64(restartPauseSpan))))
}

// strike SIGKILLs n, if it is up and no one else is taking it down, and
// restarts it after pause; detail says why, for the history.
func (ns *nemesis) strike(ctx context.Context, n *node, detail string, pause time.Duration) {
	if !n.claimDown() {
		return
	}
	n.kill()
	ns.rec.Nemesis(Kill, n.name, detail)
	ns.restarts.Add(1)
	go func() {
		defer ns.restarts.Done()
		time.Sleep(pause)
		ns.restart(context.WithoutCancel(ctx), n)
	}()
}

// restart starts a node with serve and records the outcome.
func (ns *nemesis) restart(ctx context.Context, n *node) {
	if err := n.start(ctx, "serve"); err != nil {
		ns.rec.Nemesis(Start, n.name, "failed: "+err.Error())
		return
	}
	ns.rec.Nemesis(Start, n.name, "ready")
}

// stop pauses n with SIGSTOP for stopFor, then resumes it with SIGCONT.
func (ns *nemesis) stop(n *node) {
	defer ns.restarts.Done()
	n.pause()
	ns.rec.Nemesis(Stop, n.name, "SIGSTOP")
	time.Sleep(stopFor)
	n.resume()
	ns.rec.Nemesis(Cont, n.name, "SIGCONT")
}

// ensureUp starts every node that is not running, after the faults stop.
func ensureUp(ctx context.Context, nodes []*node, rec *Recorder) error {
	for _, n := range nodes {
		n.resume()
		if n.isUp() {
			continue
		}
		n.kill() // whatever is left of a failed start
		if err := n.start(ctx, "serve"); err != nil {
			return err
		}
		rec.Nemesis(Start, n.name, "ready (after the faults)")
	}
	return nil
}
