// Package metrics is tuango's Prometheus instrumentation: request rate,
// errors and latency per route under OpenTelemetry's HTTP names and
// buckets, group commit, the SQLite writer's queue, the database pools,
// the background sweeps, the outbox, and business counters per city.
// Labels are bounded by construction (a route pattern, a method, a status,
// a city, a sweep's name), never a user, order or deal id.
package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"tuango/internal/tuango"
)

// Names the alert rules and the later backup, restore-drill and ledger
// work rely on; deploy/alerts.yml uses them as written here.
const (
	NameRequestDuration    = "http_server_request_duration_seconds"
	NameRequests           = "tuango_http_server_requests_total"
	NameLedgerImbalance    = "tuango_ledger_imbalance_fen"
	NameBackupLastSuccess  = "tuango_backup_last_success_timestamp_seconds"
	NameRestoreLastSuccess = "tuango_restore_drill_last_success_timestamp_seconds"
)

// DurationBuckets are OpenTelemetry's recommended boundaries for
// http.server.request.duration, in seconds.
var DurationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// Metrics is one node's registry and instruments. Its methods are safe
// for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	durations *prometheus.HistogramVec
	requests  *prometheus.CounterVec

	batchSize  prometheus.Histogram
	batchWait  prometheus.Histogram
	writerWait prometheus.Histogram
	writerHeld prometheus.Histogram

	orders    *prometheus.CounterVec
	gmv       *prometheus.CounterVec
	refunds   prometheus.Counter
	refundFen prometheus.Counter
	cutoffs   *prometheus.HistogramVec

	sweepRuns     *prometheus.CounterVec
	sweepFailures *prometheus.CounterVec
	sweepDuration *prometheus.HistogramVec
	sweepLast     *prometheus.GaugeVec
	sweepEvery    *prometheus.GaugeVec

	ledgerImbalance prometheus.Gauge
	backupLast      prometheus.Gauge
	restoreLast     prometheus.Gauge

	admissionOnce sync.Once // admission control's instruments, made on first use (admission.go)
	adm           *admission
}

// New returns a registry with the Go runtime and process collectors and
// every tuango instrument.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f := factory{m.reg}
	m.durations = f.histogramVec(NameRequestDuration, "Duration of HTTP server requests (OpenTelemetry http.server.request.duration); every HTML page under the route \"page\".",
		DurationBuckets, "http_request_method", "http_route")
	m.requests = f.counterVec(NameRequests, "HTTP server requests answered, by route pattern and status code.",
		"http_request_method", "http_route", "http_response_status_code")
	m.batchSize = f.histogram("tuango_order_batch_size", "Orders carried by one group-commit transaction.",
		[]float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512})
	m.batchWait = f.histogram("tuango_order_batch_wait_seconds", "How long the oldest order of a batch waited in the queue before its transaction began.",
		[]float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5})
	m.writerWait = f.histogram("tuango_sqlite_writer_wait_seconds", "How long a caller waited for the one SQLite writer.",
		[]float64{0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5})
	m.writerHeld = f.histogram("tuango_sqlite_writer_held_seconds", "How long a caller held the one SQLite writer (a statement or a whole transaction).",
		[]float64{0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5})
	m.orders = f.counterVec("tuango_orders_placed_total", "Orders placed (replays of a key not counted).", "city")
	m.gmv = f.counterVec("tuango_orders_placed_fen_total", "Gross merchandise value of the orders placed, in fen.", "city")
	m.refunds = f.counter("tuango_refunds_sent_total", "Refunds the payment provider completed.")
	m.refundFen = f.counter("tuango_refunds_sent_fen_total", "Money refunded, in fen.")
	m.cutoffs = f.histogramVec("tuango_cutoff_duration_seconds", "How long a city's cutoff run took, by result (ok, already_done, error).",
		[]float64{0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1200}, "city", "result")
	m.sweepRuns = f.counterVec("tuango_sweep_runs_total", "Sweeps this node ran under their lease.", "job")
	m.sweepFailures = f.counterVec("tuango_sweep_failures_total", "Sweeps that failed (or could not read their lease).", "job")
	m.sweepDuration = f.histogramVec("tuango_sweep_duration_seconds", "How long one sweep took.",
		[]float64{0.001, 0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120}, "job")
	m.sweepLast = f.gaugeVec("tuango_sweep_last_success_timestamp_seconds", "When this node last finished the sweep without error (0: not on this node since it started).", "job")
	m.sweepEvery = f.gaugeVec("tuango_sweep_interval_seconds", "How often the sweep is due.", "job")
	m.ledgerImbalance = prometheus.NewGauge(prometheus.GaugeOpts{Name: NameLedgerImbalance, Help: "Sum of the ledger's transfers that does not balance, in fen; must be 0."})
	m.backupLast = prometheus.NewGauge(prometheus.GaugeOpts{Name: NameBackupLastSuccess, Help: "When the last backup succeeded."})
	m.restoreLast = prometheus.NewGauge(prometheus.GaugeOpts{Name: NameRestoreLastSuccess, Help: "When the last restore drill succeeded."})
	return m
}

// Registry returns the registry, for collectors added by the caller.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, ErrorHandling: promhttp.ContinueOnError})
}

// Request records one HTTP request. pattern is the ServeMux pattern that
// served it ("POST /api/v1/orders/{id}/cancel"), never the raw path; an
// empty pattern (no route matched) is recorded as "unmatched".
//
// Rate and errors are counted per route and status; the duration histogram
// is per route for the API and operations endpoints, one "admin" route for
// every operator's call under /api/v1/admin/ and one "page" route for
// every HTML page, without the status: fourteen buckets per route and
// status came to 4,400 series once every route had been called by every
// role (see docs/decisions.md), over the budget of 2,000 per node.
func (m *Metrics) Request(method, pattern string, status int, took time.Duration) {
	route := pattern
	if i := strings.IndexByte(route, ' '); i >= 0 {
		route = route[i+1:]
	}
	if route == "" {
		route = "unmatched"
	}
	method = knownMethod(method)
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	switch {
	case !isAPI(route):
		route = "page"
	case strings.HasPrefix(route, "/api/v1/admin/"):
		route = "admin" // the operators' calls: few, and no latency objective
	}
	m.durations.WithLabelValues(method, route).Observe(took.Seconds())
}

// isAPI reports whether a route is the JSON API or an operations endpoint
// rather than an HTML page.
func isAPI(route string) bool {
	return strings.HasPrefix(route, "/api/") || route == "/healthz" || route == "/readyz" || route == "/metrics"
}

// knownMethod is OpenTelemetry's rule: a method outside the known set is
// _OTHER, so that a client cannot mint label values.
func knownMethod(m string) string {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE":
		return m
	}
	return "_OTHER"
}

var _ tuango.Observer = (*Metrics)(nil)

// OrderBatch implements tuango.Observer.
func (m *Metrics) OrderBatch(size int, wait time.Duration) {
	m.batchSize.Observe(float64(size))
	m.batchWait.Observe(wait.Seconds())
}

// OrderPlaced implements tuango.Observer.
func (m *Metrics) OrderPlaced(cityID string, total tuango.Fen) {
	m.orders.WithLabelValues(cityID).Inc()
	m.gmv.WithLabelValues(cityID).Add(float64(total))
}

// RefundSent implements tuango.Observer.
func (m *Metrics) RefundSent(amount tuango.Fen) {
	m.refunds.Inc()
	m.refundFen.Add(float64(amount))
}

// CutoffRan implements tuango.Observer.
func (m *Metrics) CutoffRan(cityID string, took time.Duration, result string) {
	m.cutoffs.WithLabelValues(cityID, result).Observe(took.Seconds())
}

// Sweep declares a sweep and how often it is due, so that its series
// exist from the start.
func (m *Metrics) Sweep(job string, every time.Duration) {
	m.sweepEvery.WithLabelValues(job).Set(every.Seconds())
	m.sweepRuns.WithLabelValues(job)
	m.sweepFailures.WithLabelValues(job)
	m.sweepLast.WithLabelValues(job)
}

// SweepRan records one sweep run; err is its failure, if any.
func (m *Metrics) SweepRan(job string, took time.Duration, err error, at time.Time) {
	m.sweepRuns.WithLabelValues(job).Inc()
	m.sweepDuration.WithLabelValues(job).Observe(took.Seconds())
	if err != nil {
		m.sweepFailures.WithLabelValues(job).Inc()
		return
	}
	m.sweepLast.WithLabelValues(job).Set(float64(at.UnixNano()) / 1e9)
}

// SweepFailed records a sweep that could not run (its lease could not be
// read).
func (m *Metrics) SweepFailed(job string) { m.sweepFailures.WithLabelValues(job).Inc() }

// LedgerImbalance sets the ledger's imbalance, in fen; the series exists
// once the ledger's check has run.
func (m *Metrics) LedgerImbalance(fen tuango.Fen) {
	m.registerOnce(m.ledgerImbalance)
	m.ledgerImbalance.Set(float64(fen))
}

// BackupSucceeded records a good backup; the series exists from the first.
func (m *Metrics) BackupSucceeded(at time.Time) {
	m.registerOnce(m.backupLast)
	m.backupLast.Set(float64(at.Unix()))
}

// RestoreDrillSucceeded records a good restore drill.
func (m *Metrics) RestoreDrillSucceeded(at time.Time) {
	m.registerOnce(m.restoreLast)
	m.restoreLast.Set(float64(at.Unix()))
}

// registerOnce adds a collector whose series should not exist before its
// first value: a 0 timestamp would read as a backup in 1970.
func (m *Metrics) registerOnce(c prometheus.Collector) {
	if err := m.reg.Register(c); err != nil {
		if _, ok := err.(prometheus.AlreadyRegisteredError); !ok {
			panic(err)
		}
	}
}

type factory struct{ reg prometheus.Registerer }

func (f factory) histogram(name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
	f.reg.MustRegister(h)
	return h
}

func (f factory) histogramVec(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	f.reg.MustRegister(h)
	return h
}

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f factory) gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(g)
	return g
}
