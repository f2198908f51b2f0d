package web

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// NewLogHandler wraps h so that every record logged with a request's
// context carries that request's id (request_id), and every time is UTC.
// Log with the ...Context methods inside a request.
func NewLogHandler(h slog.Handler) slog.Handler { return requestLog{h} }

type requestLog struct{ next slog.Handler }

func (l requestLog) Enabled(ctx context.Context, level slog.Level) bool {
	return l.next.Enabled(ctx, level)
}

func (l requestLog) Handle(ctx context.Context, r slog.Record) error {
	r.Time = r.Time.UTC()
	if id := requestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return l.next.Handle(ctx, r)
}

func (l requestLog) WithAttrs(as []slog.Attr) slog.Handler { return requestLog{l.next.WithAttrs(as)} }
func (l requestLog) WithGroup(name string) slog.Handler    { return requestLog{l.next.WithGroup(name)} }

// RequestLogConfig bounds the request log: one JSON line per request is
// itself a load at thousands of requests a second (a flash sale's), so
// past PerSecond ordinary lines a second the rest are counted, not
// written. Every server error (5xx) and every request slower than Slow is
// always written; the next ordinary line written says how many were left
// out before it (skipped). The zero value writes every request.
//
// A request shed by admission control is a 503 but an ordinary line: it
// is the node doing what it was told under overload, counted by
// tuango_http_shed_total, and a line for each would add a write per shed
// request to a node already short of CPU (at 10,000 requests a second on
// two cores, the log was 14 % of the CPU; docs/benchmarks.md).
type RequestLogConfig struct {
	PerSecond float64       // ordinary request lines per second at most; 0: every request
	Burst     int           // lines written at once before PerSecond applies (default PerSecond)
	Slow      time.Duration // always write requests slower than this; 0: none by speed
}

// requestLogger decides which requests get a log line.
type requestLogger struct {
	limit   *rate.Limiter // nil: every request
	slow    time.Duration
	skipped atomic.Int64
}

func newRequestLogger(c RequestLogConfig) *requestLogger {
	l := &requestLogger{slow: c.Slow}
	if c.PerSecond > 0 {
		burst := c.Burst
		if burst <= 0 {
			burst = max(1, int(c.PerSecond))
		}
		l.limit = rate.NewLimiter(rate.Limit(c.PerSecond), burst)
	}
	return l
}

// keep reports whether the request gets a line, and how many ordinary
// requests were left out since the last ordinary line (which that line
// reports).
func (l *requestLogger) keep(now time.Time, status int, shed bool, took time.Duration) (skipped int64, ok bool) {
	if l.limit == nil || status >= 500 && !shed || (l.slow > 0 && took >= l.slow) {
		return 0, true
	}
	if !l.limit.AllowN(now, 1) {
		l.skipped.Add(1)
		return 0, false
	}
	return l.skipped.Swap(0), true
}
