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
// notifications are never shed. A request that finds its class full waits
// at most AdmissionConfig.Wait for a slot, then is shed.
//
// Each class has a floor: that many requests in flight are always
// admitted, however slow the answers, so that a closed loop of buyers no
// larger than it (a flash sale's crowd, each waiting for their answer) is
// never refused. Above the floor the limit adapts, up to four times it,
// starting at the floor: while answers come within Target it grows by one
// per limit's worth of requests; when one takes longer it shrinks by a
// tenth, at most once per Target, back toward the floor. So an open flood
// (more arriving than the node answers) is cut off near the floor.

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
// flight always (the flash bench's crowd; a floor of 64 made the flash
// bench's closed loop shed 45,161 of 73,064 requests on the loaded
// machine, docs/benchmarks.md).
var DefaultAdmission = AdmissionConfig{Orders: 256, Pages: 32, API: 256, Target: 100 * time.Millisecond, Wait: 20 * time.Millisecond}

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
			a.classes[class] = newLimiter(class, floor, cfg.Target, cfg.Wait, a.obs)
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
		l := a.classes[admissionClass(r)]
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
		start := time.Now()
		defer func() { l.release(time.Since(start)) }()
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
	min, max           float64
	target, wait       time.Duration
	obs                admissionObserver
	mu                 sync.Mutex
	limit              float64
	inflight           int
	queue              []chan struct{}
	lastCut            time.Time
	reported, maxQueue int
}

func newLimiter(class string, floor int, target, wait time.Duration, obs admissionObserver) *limiter {
	// It starts at the most, so that a burst on a node that is not yet
	// known to be slow (a flash sale's first second) is admitted whole.
	l := &limiter{class: class, min: float64(floor), max: float64(4 * floor), target: target, wait: wait, obs: obs, limit: float64(floor), maxQueue: 4 * floor}
	l.report()
	return l
}

// acquire takes a slot, waiting up to the wait budget (or until the
// client goes away); false means shed.
func (l *limiter) acquire(r *http.Request) bool {
	l.mu.Lock()
	if l.inflight < int(l.limit) && len(l.queue) == 0 {
		l.inflight++
		l.mu.Unlock()
		return true
	}
	if l.wait <= 0 || len(l.queue) >= l.maxQueue {
		l.mu.Unlock()
		return false
	}
	ch := make(chan struct{}, 1)
	l.queue = append(l.queue, ch)
	l.mu.Unlock()
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

// release gives a slot back, adapts the limit to how long the request
// took, and hands free slots to the requests waiting.
func (l *limiter) release(took time.Duration) {
	l.mu.Lock()
	now := time.Now()
	switch {
	case l.target <= 0: // no target: the limit stays at the floor
	case took > l.target:
		if now.Sub(l.lastCut) >= l.target {
			l.limit, l.lastCut = math.Max(l.min, l.limit*0.9), now
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
