package web

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"tuango/internal/payment"
)

// Admission control: a node sheds the requests it cannot serve in time
// with 503 and Retry-After, rather than queueing them until every
// request is slow. Requests fall in classes, each with its own limit on
// requests in flight: the order path (placing and paying), pages (rendered
// on the server), and the rest of the API. Operations (/healthz, /readyz,
// /metrics, /status), static files and the provider's payment
// notifications are never shed. An order for a deal the node knows sold
// out is answered from memory, never at the writer, and takes a slot of
// the API class instead (see refusesSoldOut). A request that finds its class full waits
// at most AdmissionConfig.Wait for a slot, then is shed.
//
// Each class has a floor: that many requests in flight are admitted,
// however slow the answers, so that a closed loop of buyers no larger
// than it (a flash sale's crowd, each waiting for their answer) is never
// refused. Above the floor the limit adapts, up to four times it,
// starting at the floor: while answers come within Target it grows by one
// per limit's worth of requests; when one takes longer it shrinks by a
// tenth, at most once per Target, back toward the floor.
//
// The floor holds only while the class is not overrun. If, over an
// interval of one Target, requests found the class full and even the
// fastest answer took longer than Target (a standing queue, not a burst:
// more arrive than the node answers, and every answer is late), the floor
// is lifted: the limit drops to what the node answered in that interval
// times Target (Little's law: that many in flight are answered within
// Target at that rate) but no lower than a quarter of the floor, slow
// answers cut it no lower than that, and requests that find it full are
// shed at once instead of waiting. The quarter is there because under a
// flood the answers are late for a reason Little's law does not see: the
// node's CPU goes to the requests it sheds, fewer orders in flight make
// smaller group commits, fewer answers and a lower limit again; at
// 10,000 requests a second on two cores that spiral took a sale from
// about 4,000 orders a second to 238. The floor comes back after an
// interval in which no request found the class full. A closed loop no larger than the floor
// never fills the class, so a flash sale's crowd keeps its floor however
// slow the node; an open flood is cut to what the node answers in time.

// AdmissionConfig configures admission control; a zero floor turns a
// class's limit off.
type AdmissionConfig struct {
	Orders int           // the order path: requests in flight always admitted (the floor)
	Pages  int           // pages: likewise
	API    int           // the rest of the API: likewise
	Target time.Duration // above the floor, the latency an admitted request should see
	Wait   time.Duration // how long a request may wait for a slot
}

// DefaultAdmission is serve's admission control: 256 order requests in
// flight unless overrun (the flash bench's crowd; a floor of 64 made the
// flash bench's closed loop shed 45,161 of 73,064 requests on the loaded
// machine), and a target of 50 ms (at 2× the sustainable rate, accepted
// orders saw p99 100–141 ms with it and 160–240 ms with 100 ms;
// docs/benchmarks.md).
var DefaultAdmission = AdmissionConfig{Orders: 256, Pages: 32, API: 256, Target: 50 * time.Millisecond, Wait: 20 * time.Millisecond}

// codeOverloaded is a request shed by admission control.
const codeOverloaded = "overloaded"

// Admission classes, the label of the shed metric.
const (
	classOrders = "orders"
	classPages  = "pages"
	classAPI    = "api"
)

// admissionObserver is told of sheds and limit changes, for the metrics.
type admissionObserver interface {
	Shed(class string)
	AdmissionLimit(class string, limit int)
}

type admission struct {
	classes map[string]*limiter
	obs     admissionObserver
}

func newAdmission(cfg AdmissionConfig, m Metrics) *admission {
	a := &admission{classes: map[string]*limiter{}}
	if o, ok := m.(admissionObserver); ok {
		a.obs = o
	}
	for class, floor := range map[string]int{classOrders: cfg.Orders, classPages: cfg.Pages, classAPI: cfg.API} {
		if floor > 0 {
			a.classes[class] = newLimiter(class, floor, cfg.Target, cfg.Wait, a.obs, time.Now)
		}
	}
	return a
}

// admissionClass is the class of a request; "" is never shed.
func admissionClass(r *http.Request) string {
	p := r.URL.Path
	switch {
	case p == "/healthz" || p == "/readyz" || p == "/metrics" || p == payment.NotifyPath,
		p == "/status" || strings.HasPrefix(p, "/status/") || strings.HasPrefix(p, "/api/v1/status"),
		strings.HasPrefix(p, "/static/") || p == "/favicon.ico":
		return ""
	case r.Method == http.MethodPost && (p == "/api/v1/orders" || p == "/checkout" ||
		strings.HasPrefix(p, "/api/v1/orders/") && strings.HasSuffix(p, "/payments") ||
		strings.HasPrefix(p, "/orders/") && strings.HasSuffix(p, "/pay")):
		return classOrders
	case strings.HasPrefix(p, "/api/"):
		return classAPI
	}
	return classPages
}

// wrap admits each request to next or sheds it.
func (a *admission) wrap(s *Server, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		class := admissionClass(r)
		if class == classOrders && s.refusesSoldOut(w, r) {
			// Answered from memory, never at the writer: it takes a
			// slot among the cheap requests, not the order path's.
			class = classAPI
		}
		l := a.classes[class]
		if l == nil {
			next.ServeHTTP(w, r)
			return
		}
		if !l.acquire(r) {
			if a.obs != nil {
				a.obs.Shed(l.class)
			}
			s.shed(w, r)
			return
		}
		start := l.now()
		defer func() { l.release(l.now().Sub(start)) }()
		next.ServeHTTP(w, r)
	})
}

// shedRetry is the Retry-After of a shed request: soon, since overload
// passes in seconds and the slot is often free at once.
const shedRetry = time.Second

// shed answers a request admission control refused: problem+json under
// /api/, a page in the user's language elsewhere; 503 and Retry-After
// either way, and nothing done.
func (s *Server) shed(w http.ResponseWriter, r *http.Request) {
	if rec, ok := w.(*statusRecorder); ok {
		rec.shed = true
	}
	secs := int(shedRetry / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	if strings.HasPrefix(r.URL.Path, "/api/") {
		// Not through writeError, which logs every 5xx: a flood would log a
		// line per shed request; tuango_http_shed_total counts them.
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(problem{Type: "urn:tuango:problem:" + codeOverloaded, Title: codeOverloaded, Status: http.StatusServiceUnavailable,
			Code: codeOverloaded, RequestID: requestID(r.Context()),
			Detail: "tuango is too busy to take this request now; nothing was done, try again in " + strconv.Itoa(secs) + " s"})
		return
	}
	pg := s.newPage(w, r, "Too busy")
	pg.Data = errorPage{Heading: pg.T("Too busy"), Message: pg.T("error.overloaded", secs), Status: http.StatusServiceUnavailable, RequestID: requestID(r.Context())}
	s.render(w, r, http.StatusServiceUnavailable, "error", pg)
}

// limiter is one class's adaptive limit on requests in flight, with a
// queue of requests waiting for a slot, first come first served.
type limiter struct {
	class              string
	floor, max         float64
	target, wait       time.Duration
	now                func() time.Time
	obs                admissionObserver
	mu                 sync.Mutex
	limit              float64
	inflight           int
	queue              []chan struct{}
	lastCut            time.Time
	reported, maxQueue int
	// The interval under watch (one target long): when it began, the
	// fastest answer and the answers in it, and whether a request found
	// the class full.
	since    time.Time
	fastest  time.Duration
	answered int
	full     bool
	// lifted says the floor is lifted: the class was overrun, and bound
	// (what the node answered per target then) stands in for the floor.
	lifted bool
	bound  float64
}

func newLimiter(class string, floor int, target, wait time.Duration, obs admissionObserver, now func() time.Time) *limiter {
	l := &limiter{class: class, floor: float64(floor), max: float64(4 * floor), target: target, wait: wait, now: now, obs: obs,
		limit: float64(floor), maxQueue: 4 * floor, since: now()}
	l.report()
	return l
}

// acquire takes a slot, waiting up to the wait budget (or until the
// client goes away); false means shed.
func (l *limiter) acquire(r *http.Request) bool {
	ok, ch := l.tryAcquire()
	if ok || ch == nil {
		return ok
	}
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
	case <-r.Context().Done():
	}
	l.mu.Lock()
	for i, q := range l.queue {
		if q == ch {
			l.queue = append(l.queue[:i], l.queue[i+1:]...)
			l.mu.Unlock()
			return false
		}
	}
	l.mu.Unlock()
	<-ch // granted as the wait ran out: the slot is ours
	return true
}

// tryAcquire takes a slot if one is free (true), or queues the request
// for one (a channel that receives when it is granted), or neither: shed
// at once, when the queue is full, there is no wait budget, or the floor
// is lifted.
func (l *limiter) tryAcquire() (bool, chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inflight < int(l.limit) && len(l.queue) == 0 {
		l.inflight++
		return true, nil
	}
	l.full = true
	if l.wait <= 0 || l.lifted || len(l.queue) >= l.maxQueue {
		return false, nil
	}
	ch := make(chan struct{}, 1)
	l.queue = append(l.queue, ch)
	return false, ch
}

// release gives a slot back, adapts the limit to how long the request
// took, and hands free slots to the requests waiting.
func (l *limiter) release(took time.Duration) {
	l.mu.Lock()
	now := l.now()
	if l.target > 0 {
		l.watch(now, took)
	}
	switch {
	case l.target <= 0: // no target: the limit stays at the floor
	case took > l.target:
		if now.Sub(l.lastCut) >= l.target {
			l.limit, l.lastCut = math.Max(l.lowest(), l.limit*0.9), now
		}
	case l.inflight >= int(l.limit)-1: // only a limit in use may grow
		l.limit = math.Min(l.max, l.limit+1/l.limit)
	}
	l.inflight--
	for len(l.queue) > 0 && l.inflight < int(l.limit) {
		ch := l.queue[0]
		l.queue = l.queue[1:]
		l.inflight++
		ch <- struct{}{}
	}
	l.mu.Unlock()
	l.report()
}

// watch counts an answer in the interval under watch and, once the
// interval is over, lifts the floor or brings it back.
func (l *limiter) watch(now time.Time, took time.Duration) {
	if l.answered == 0 || took < l.fastest {
		l.fastest = took
	}
	l.answered++
	elapsed := now.Sub(l.since)
	if elapsed < l.target {
		return
	}
	switch {
	case l.full && l.fastest > l.target:
		// Overrun: keep in flight what the node answers within a target,
		// and a quarter of the floor at least.
		l.lifted = true
		l.bound = math.Max(math.Max(1, l.floor/4), math.Min(l.floor, float64(l.answered)*l.target.Seconds()/elapsed.Seconds()))
		l.limit = math.Min(l.limit, l.bound)
	case !l.full:
		l.lifted = false
		l.limit = math.Max(l.limit, l.floor)
	}
	l.since, l.answered, l.full = now, 0, false
}

// lowest is how far a slow answer may cut the limit: the floor, or what
// the node answered per target when the floor was lifted. Only the
// watch of an overrun interval goes lower: cutting a group commit's
// requests in flight also cuts what it commits per flush, and watch keeps
// a quarter of the floor for that reason.
func (l *limiter) lowest() float64 {
	if l.lifted {
		return l.bound
	}
	return l.floor
}

// report tells the observer the limit when its whole value changed.
func (l *limiter) report() {
	if l.obs == nil {
		return
	}
	l.mu.Lock()
	n, changed := int(l.limit), int(l.limit) != l.reported
	l.reported = n
	l.mu.Unlock()
	if changed {
		l.obs.AdmissionLimit(l.class, n)
	}
}
