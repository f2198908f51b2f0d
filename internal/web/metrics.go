package web

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"tuango/internal/tuango"
)

// Metrics is what the server records each request in and serves at
// /metrics (the metrics package implements it).
type Metrics interface {
	Request(method, pattern string, status int, took time.Duration)
	Handler() http.Handler
}

// handleMetrics serves the Prometheus scrape. With a metrics token
// configured it wants "Authorization: Bearer <token>"; without one it is
// open, for a node whose port only the internal network reaches.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Metrics == nil {
		s.writeError(w, r, tuango.Errorf(tuango.CodeNotFound, "this node keeps no metrics"))
		return
	}
	if tok := s.cfg.MetricsToken; tok != "" {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(tok)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			s.writeError(w, r, tuango.Errorf(tuango.CodeUnauthorized, "the metrics want the scrape token (Authorization: Bearer ...)"))
			return
		}
	}
	s.cfg.Metrics.Handler().ServeHTTP(w, r)
}
