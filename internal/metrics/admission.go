package metrics

import "github.com/prometheus/client_golang/prometheus"

// admission is admission control's shed counter and current limits, by
// class (orders, pages, api: bounded).
type admission struct {
	shed  *prometheus.CounterVec
	limit *prometheus.GaugeVec
}

func (m *Metrics) admissionMetrics() *admission {
	m.admissionOnce.Do(func() {
		m.adm = &admission{
			shed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tuango_http_shed_total",
				Help: "Requests admission control refused with 503 and Retry-After, by class."}, []string{"class"}),
			limit: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tuango_admission_limit",
				Help: "Admission control's current limit on requests in flight, by class (it adapts to latency)."}, []string{"class"}),
		}
		m.reg.MustRegister(m.adm.shed, m.adm.limit)
	})
	return m.adm
}

// Shed counts a request admission control refused.
func (m *Metrics) Shed(class string) { m.admissionMetrics().shed.WithLabelValues(class).Inc() }

// AdmissionLimit records a class's current limit.
func (m *Metrics) AdmissionLimit(class string, limit int) {
	m.admissionMetrics().limit.WithLabelValues(class).Set(float64(limit))
}
