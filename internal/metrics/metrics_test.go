package metrics

import (
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// gather returns each series of the registry as "name{label=value,...}"
// with its value (a counter's or gauge's, a histogram's count).
func gather(t *testing.T, m *Metrics) map[string]float64 {
	t.Helper()
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			var ls []string
			for _, lp := range mt.GetLabel() {
				ls = append(ls, lp.GetName()+"="+lp.GetValue())
			}
			sort.Strings(ls)
			key := mf.GetName() + "{" + strings.Join(ls, ",") + "}"
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				out[key] = mt.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[key] = mt.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				out[key] = float64(mt.GetHistogram().GetSampleCount())
			default:
				out[key] = 0
			}
		}
	}
	return out
}

// Labels come from a closed set: the route's pattern without its method,
// "unmatched" when no route matched, OpenTelemetry's _OTHER for a method
// outside the known ones, and "page" for the duration of every HTML page,
// "admin" for that of every operator's call.
func TestRequestLabelsAreBounded(t *testing.T) {
	m := New()
	m.Request("POST", "POST /api/v1/orders/{id}/cancel", 409, time.Millisecond)
	m.Request("BREW", "", 404, time.Millisecond)
	m.Request("GET", "GET /deals/{id}", 200, time.Millisecond)
	m.Request("GET", "GET /orders", 200, time.Millisecond)
	m.Request("POST", "POST /api/v1/admin/incidents", 201, time.Millisecond)
	m.Request("GET", "GET /api/v1/admin/coupons", 200, time.Millisecond)
	got := gather(t, m)
	for key, want := range map[string]float64{
		"tuango_http_server_requests_total{http_request_method=POST,http_response_status_code=409,http_route=/api/v1/orders/{id}/cancel}": 1,
		"tuango_http_server_requests_total{http_request_method=_OTHER,http_response_status_code=404,http_route=unmatched}":                1,
		"tuango_http_server_requests_total{http_request_method=GET,http_response_status_code=200,http_route=/deals/{id}}":                 1,
		"http_server_request_duration_seconds{http_request_method=POST,http_route=/api/v1/orders/{id}/cancel}":                            1,
		"http_server_request_duration_seconds{http_request_method=GET,http_route=page}":                                                   2,
		"http_server_request_duration_seconds{http_request_method=_OTHER,http_route=page}":                                                1,
		"tuango_http_server_requests_total{http_request_method=POST,http_response_status_code=201,http_route=/api/v1/admin/incidents}":    1,
		"http_server_request_duration_seconds{http_request_method=POST,http_route=admin}":                                                 1,
		"http_server_request_duration_seconds{http_request_method=GET,http_route=admin}":                                                  1,
	} {
		if got[key] != want {
			t.Errorf("%s = %v, want %v", key, got[key], want)
		}
	}
}

// The metrics for later work appear only with their first value.
func TestLaterMetricsAppearWithTheirFirstValue(t *testing.T) {
	m := New()
	has := func(name string) (float64, bool) {
		for k, v := range gather(t, m) {
			if strings.HasPrefix(k, name+"{") {
				return v, true
			}
		}
		return 0, false
	}
	if _, ok := has(NameBackupLastSuccess); ok {
		t.Fatal("a backup timestamp before any backup")
	}
	at := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	m.BackupSucceeded(at)
	m.BackupSucceeded(at.Add(time.Hour)) // registering twice is fine
	m.RestoreDrillSucceeded(at)
	m.LedgerImbalance(-3)
	for name, want := range map[string]float64{NameBackupLastSuccess: float64(at.Add(time.Hour).Unix()), NameRestoreLastSuccess: float64(at.Unix()), NameLedgerImbalance: -3} {
		if v, ok := has(name); !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", name, v, ok, want)
		}
	}
}
