package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// clientMemoryLimit is the load generator's heap while it drives a sale
// with its collector off (see load.run); a run that reaches it collects
// as usual. A sale of 40,000 requests stays far below it: the bench and
// its server each peaked at 234 MB resident at most.
const clientMemoryLimit = 2 << 30

// load is one flash-sale run's traffic: who buys what, how hard, and for
// how long at most.
type load struct {
	url         string        // the first server's base URL
	hcs         []*loadClient // one per node; workers take them in turn
	concurrency int           // workers, and so requests in flight at most
	rate        float64       // orders per second in open loop; 0 for a closed loop
	duration    time.Duration // the longest the run may last
	tail        time.Duration // how long to go on after the first sold_out, measuring refusals
	maxRequests int           // the most orders sent
	tokens      []string      // bearer tokens of the virtual customers
	bodies      [][]byte      // order bodies, one per pickup point
	keyPrefix   string        // makes Idempotency-Keys unique across runs
}

// tally is what a run saw. Each worker keeps its own; they are merged at
// the end.
type tally struct {
	sent        int
	acked       []string // ids of acknowledged orders
	ackLat      []time.Duration
	refusedLat  []time.Duration
	afterLat    []time.Duration // refusals sent after the deal was seen sold out
	errLat      []time.Duration
	byStatus    map[string]int // "201", "409", ..., "transport"
	byCode      map[string]int // problem codes of refusals and errors
	lastAck     time.Time
	firstSoldAt time.Time
}

func newTally() *tally { return &tally{byStatus: map[string]int{}, byCode: map[string]int{}} }

func (t *tally) merge(o *tally) {
	t.sent += o.sent
	t.acked = append(t.acked, o.acked...)
	t.ackLat = append(t.ackLat, o.ackLat...)
	t.refusedLat = append(t.refusedLat, o.refusedLat...)
	t.afterLat = append(t.afterLat, o.afterLat...)
	t.errLat = append(t.errLat, o.errLat...)
	for k, v := range o.byStatus {
		t.byStatus[k] += v
	}
	for k, v := range o.byCode {
		t.byCode[k] += v
	}
	if o.lastAck.After(t.lastAck) {
		t.lastAck = o.lastAck
	}
}

// flashRun is the outcome of driving orders.
type flashRun struct {
	*tally
	start    time.Time
	soldOut  time.Time // the first sold_out answer; zero if none
	finished time.Time
	// peakInFlight is the most orders waiting for their answer at once:
	// at l.concurrency, every worker was held by the server.
	peakInFlight int
}

// run drives orders until the deal sells out (and tail more), the
// duration passes, maxRequests are sent, or ctx ends.
func (l *load) run(ctx context.Context) *flashRun {
	warm(l.hcs, l.concurrency)
	// The load generator does not collect its garbage while it drives the
	// sale, unless its heap nears clientMemoryLimit: a collection of its
	// own slows its senders, and in the open loop that delay is counted in
	// the server's latency (docs/benchmarks.md, "The eleventh day").
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(clientMemoryLimit))
	var (
		sent     atomic.Int64
		inFlight atomic.Int64
		peak     atomic.Int64
		soldOut  atomic.Int64 // unix nanoseconds of the first sold_out
		wg       sync.WaitGroup
		mu       sync.Mutex
		total    = newTally()
		start    = time.Now()
		deadline = start.Add(l.duration)
	)
	stopped := func(now time.Time) bool {
		if ctx.Err() != nil || now.After(deadline) {
			return true
		}
		s := soldOut.Load()
		return s != 0 && now.Sub(time.Unix(0, s)) > l.tail
	}
	// In open loop a dispatcher hands out intended send times; latency is
	// measured from them, so a slow server cannot hide its queue
	// (coordinated omission).
	var sched chan time.Time
	if l.rate > 0 {
		sched = make(chan time.Time, 4*l.concurrency)
		go func() {
			defer close(sched)
			interval := time.Duration(float64(time.Second) / l.rate)
			for i := 0; i < l.maxRequests; i++ {
				at := start.Add(time.Duration(i) * interval)
				if d := time.Until(at); d > 0 {
					time.Sleep(d)
				}
				if stopped(time.Now()) {
					return
				}
				select {
				case sched <- at:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	for w := range l.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := l.hcs[w%len(l.hcs)]
			t := newTally()
			var buf []byte
			for {
				intended := time.Now()
				if sched != nil {
					at, ok := <-sched
					if !ok {
						break
					}
					intended = at
				}
				if stopped(time.Now()) {
					break
				}
				n := int(sent.Add(1)) - 1
				if n >= l.maxRequests {
					break
				}
				for f, p := inFlight.Add(1), peak.Load(); f > p && !peak.CompareAndSwap(p, f); p = peak.Load() {
				}
				code := l.order(hc, n, t, &buf, intended, soldOut.Load() != 0)
				inFlight.Add(-1)
				if code == "sold_out" {
					soldOut.CompareAndSwap(0, time.Now().UnixNano())
				}
			}
			mu.Lock()
			total.merge(t)
			mu.Unlock()
		}()
	}
	wg.Wait()
	r := &flashRun{tally: total, start: start, finished: time.Now(), peakInFlight: int(peak.Load())}
	if s := soldOut.Load(); s != 0 {
		r.soldOut = time.Unix(0, s)
	}
	return r
}

// order places order number n for 1 unit and records its answer; it
// returns the problem code of a refusal. afterSellOut says the deal had
// already been seen sold out when the order was sent.
func (l *load) order(hc *loadClient, n int, t *tally, buf *[]byte, intended time.Time, afterSellOut bool) string {
	t.sent++
	status, body, err := hc.postOrder(l.bodies[n%len(l.bodies)], l.tokens[n%len(l.tokens)], l.keyPrefix+strconv.Itoa(n), *buf)
	*buf = body
	done := time.Now()
	lat := done.Sub(intended)
	if err != nil {
		t.errLat = append(t.errLat, lat)
		t.byStatus["transport"]++
		return ""
	}
	t.byStatus[strconv.Itoa(status)]++
	ans := answerOf(body)
	switch {
	case status == http.StatusCreated:
		t.ackLat = append(t.ackLat, lat)
		t.acked = append(t.acked, ans.ID)
		t.lastAck = done
	case status >= 400 && status < 500:
		t.refusedLat = append(t.refusedLat, lat)
		if afterSellOut {
			t.afterLat = append(t.afterLat, lat)
		}
		t.byCode[ans.Code]++
	default:
		t.errLat = append(t.errLat, lat)
		if ans.Code == "" {
			ans.Code = "status_" + strconv.Itoa(status)
		}
		t.byCode[ans.Code]++
	}
	return ans.Code
}

// warm opens one keep-alive connection per worker before the clock
// starts, each to the node that worker will use.
func warm(hcs []*loadClient, conns int) {
	var wg sync.WaitGroup
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hcs[w%len(hcs)].healthz()
		}()
	}
	wg.Wait()
}

// get reports whether GET url answered 200.
func get(ctx context.Context, hc *http.Client, url string) bool {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return false
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// ceiling is the same client at the same concurrency against GET /healthz
// for d: what the HTTP path alone can do on this machine, in requests per
// second, and the latency of those requests.
func ceiling(ctx context.Context, hcs []*loadClient, conns int, d time.Duration, maxRequests int) (float64, Latency) {
	warm(hcs, conns)
	var done atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var all []time.Duration
	start := time.Now()
	deadline := start.Add(d)
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := hcs[w%len(hcs)]
			var lats []time.Duration
			for ctx.Err() == nil && time.Now().Before(deadline) && done.Load() < int64(maxRequests) {
				t := time.Now()
				if hc.healthz() {
					lats = append(lats, time.Since(t))
					done.Add(1)
				}
			}
			mu.Lock()
			all = append(all, lats...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return Rate(int(done.Load()), time.Since(start)), Summarize(all)
}

// answer is what the bench needs from an order's answer: the order's id,
// or the problem's code.
type answer struct {
	ID   string `json:"id"`
	Code string `json:"code"`
}

// answerOf reads the id and code of an answer. The load generator shares
// the server's two cores, so it does not decode every answer whole: an
// order's JSON starts with its id, and a problem is a flat object with one
// code; both are ASCII without escapes. Anything else is decoded properly.
func answerOf(body []byte) answer {
	if rest, ok := bytes.CutPrefix(body, []byte(`{"id":"`)); ok {
		if id, ok := plainString(rest); ok {
			return answer{ID: id}
		}
	} else if i := bytes.Index(body, []byte(`"code":"`)); i >= 0 && bytes.HasPrefix(body, []byte(`{"type":`)) {
		if code, ok := plainString(body[i+len(`"code":"`):]); ok {
			return answer{Code: code}
		}
	}
	var a answer
	json.Unmarshal(body, &a)
	return a
}

// plainString returns the string that rest starts with, up to its closing
// quote, if no backslash comes first.
func plainString(rest []byte) (string, bool) {
	j := bytes.IndexAny(rest, `"\\`)
	if j < 0 || rest[j] != '"' {
		return "", false
	}
	return string(rest[:j]), true
}
