// Package web is tuango's HTTP transport: routing, authentication,
// idempotency, errors and pages. Handlers decode, authorise, call one
// service method and encode; the rules live in the domain.
package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/corazawaf/coraza/v3"

	"tuango/internal/payment"
	"tuango/internal/sms"
	"tuango/internal/tuango"
)

// Config is what a Server needs.
type Config struct {
	Service *tuango.Service
	Sandbox *payment.Sandbox
	// SMS is the sandbox SMS sender, whose faults the sandbox's faults
	// endpoint also switches; nil when the node has none.
	SMS    *sms.Sandbox
	Logger *slog.Logger
	// SecureCookies marks session cookies Secure (behind HTTPS).
	SecureCookies bool
	// CSRFKey signs the forms of cookie-authenticated pages.
	CSRFKey []byte
	// Metrics records every request and serves /metrics; nil keeps none.
	Metrics Metrics
	// MetricsToken, if set, is the bearer token /metrics wants.
	MetricsToken string
	// TrustedProxies are the proxies whose X-Forwarded-For names the
	// client; from anywhere else the connection's address is the client.
	TrustedProxies []netip.Prefix
	// Admission sheds excess requests (admission.go); zero sheds none.
	Admission AdmissionConfig
	// SandboxControls opens the sandboxes' switches: payment confirmation
	// (API and page), the fault switches, and one-time codes shown in the
	// answer (sandbox_code). Only the demo, or serve --sandbox, sets it;
	// without it those routes answer 404 as if absent.
	SandboxControls bool
	// OrderWriteTimeout bounds how long a customer's order request
	// (place, pay, cancel) waits for the database; past it the answer is
	// 503, the outcome unknown, which a retry with the same key settles.
	// 0: no bound beyond the client's.
	OrderWriteTimeout time.Duration
	// Status is this node's status monitor, whose memory the status page,
	// its JSON and every page's incident banner are served from; nil makes
	// one whose probes nobody runs (it shows what operators post here).
	Status *tuango.StatusMonitor
	// IDS turns intrusion detection on: a source that trips a scenario is
	// banned on every node (serve and demo turn it on; tests that need it
	// do).
	IDS bool
	// RateLimits are the token buckets; the zero value limits nothing.
	RateLimits RateLimits
	// WAF is the web application firewall's mode: WAFOff (or ""),
	// WAFDetect or WAFBlock.
	WAF string
	// WAFInspectOrders sends the placing of an order (POST /api/v1/orders)
	// through the WAF too; by default it is spared when it conforms to the
	// order's positive model (see sparedByWAF).
	WAFInspectOrders bool
	// RequestLog bounds the request log's lines; the zero value writes
	// one per request.
	RequestLog RequestLogConfig
}

// Server is tuango's HTTP handler.
type Server struct {
	svc     *tuango.Service
	sandbox *payment.Sandbox
	log     *slog.Logger
	cfg     Config
	mux     *http.ServeMux

	draining atomic.Bool

	wasPrices wasPrices    // the storefront's proven "was" prices, by deal
	lastGood  lastGoodCopy // the storefronts last shown, for when the database is down
	lastDeals lastGoodJSON // the public deal lists last answered, likewise
	admit     *admission
	cop       *http.CrossOriginProtection
	status    *tuango.StatusMonitor

	guard  *guardLists   // the block and allow lists, as this node enforces them
	ids    *detector     // nil when detection is off
	limits *bucketLimits // nil when no bucket limits
	waf    coraza.WAF    // nil when the WAF is off

	reqLog *requestLogger
}

// NewServer returns the HTTP handler for the API, pages and operations.
func NewServer(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if _, ok := cfg.Logger.Handler().(requestLog); !ok {
		cfg.Logger = slog.New(NewLogHandler(cfg.Logger.Handler()))
	}
	s := &Server{svc: cfg.Service, sandbox: cfg.Sandbox, log: cfg.Logger, cfg: cfg, mux: http.NewServeMux(),
		admit: newAdmission(cfg.Admission, cfg.Metrics), status: cfg.Status, guard: newGuardLists(), reqLog: newRequestLogger(cfg.RequestLog)}
	s.cop = s.crossOrigin()
	if s.status == nil && cfg.Service != nil {
		s.status = cfg.Service.NewStatusMonitor(tuango.StatusConfig{})
	}
	if cfg.IDS {
		s.ids = newDetector()
	}
	if l := cfg.RateLimits; l != (RateLimits{}) {
		s.limits = newBucketLimits(l)
	}
	waf, err := newWAF(cfg.WAF, cfg.Logger)
	if err != nil {
		panic(err) // the mode is checked by CheckWAFMode first and the rules are built in: a bug, never a refusal to serve unguarded
	}
	s.waf = waf
	for _, rt := range s.routes() {
		s.mux.Handle(strings.TrimSpace(rt.Method+" "+rt.Pattern), rt.Handler)
	}
	return s
}

// ServeHTTP serves a request through the middleware and the routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	src, refused := s.refuseBanned(w, r)
	if refused {
		return
	}
	s.middleware(s.admit.wrap(s, s.shield(src, s.mux))).ServeHTTP(w, r)
}

// CheckWAFMode reports whether mode is one NewServer takes.
func CheckWAFMode(mode string) error {
	switch mode {
	case "", WAFOff, WAFDetect, WAFBlock:
		return nil
	}
	return fmt.Errorf("WAF mode %q: want off, detect or block", mode)
}

// Drain makes /readyz answer 503 so that load balancers stop sending
// traffic while in-flight requests finish.
func (s *Server) Drain() { s.draining.Store(true) }

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "alive"})
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "draining"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2e9)
	defer cancel()
	if err := s.svc.Store().Ping(ctx); err != nil {
		s.log.WarnContext(r.Context(), "not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "detail": "the database is unreachable or its schema is not current; see the node's log"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
