package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"tuango/internal/tuango"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyUser
)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(keyRequestID).(string)
	return id
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	shed   bool // admission control shed the request (a 503 the log samples)
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// code is the status sent: 200 when the handler wrote nothing.
func (r *statusRecorder) code() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// middleware adds a request id, the request's origin for the audit log,
// security headers, the body limit, cross-origin protection, panic
// recovery and a structured log line to every request (sampled past
// Config.RequestLog's rate, see RequestLogConfig).
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 || strings.ContainsFunc(id, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
			var b [8]byte
			rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		ctx := context.WithValue(r.Context(), keyRequestID, id)
		ctx = tuango.WithOrigin(ctx, s.clientAddr(r), id)
		r = r.WithContext(ctx)
		w.Header().Set("X-Request-Id", id)
		s.securityHeaders(w, r)
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				s.log.ErrorContext(ctx, "panic", "panic", p)
				if rec.status == 0 {
					s.writeError(rec, r, tuango.Errorf(tuango.CodeInternal, "panic"))
				}
			}
			took := time.Since(start)
			if s.cfg.Metrics != nil {
				// r.Pattern is the route the mux chose, set on this very
				// request: bounded, unlike the path.
				s.cfg.Metrics.Request(r.Method, r.Pattern, rec.code(), took)
			}
			s.noteFailedOrder(r, rec.code())
			if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics" {
				return
			}
			skipped, ok := s.reqLog.keep(start.Add(took), rec.code(), rec.shed, took)
			if !ok {
				return
			}
			attrs := []any{"method", r.Method, "path", r.URL.Path, "route", route(r), "status", rec.status, "ms", float64(took.Microseconds()) / 1000}
			if skipped > 0 {
				attrs = append(attrs, "skipped", skipped)
			}
			s.log.InfoContext(ctx, "request", attrs...)
		}()
		if !s.limitBody(rec, r) {
			return
		}
		s.cop.Handler(next).ServeHTTP(rec, r)
		if rec.code() < 400 {
			if err := s.svc.RecordOperatorAction(ctx); err != nil {
				s.log.ErrorContext(ctx, "audit an operator action", "err", err)
			}
		}
	})
}

// route is the pattern the mux chose for r, without its method: what a
// log line or a metric may group by.
func route(r *http.Request) string {
	if _, p, ok := strings.Cut(r.Pattern, " "); ok {
		return p
	}
	return r.Pattern
}
