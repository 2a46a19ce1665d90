// Package metrics holds keypad's Prometheus collectors. Each server has
// its own registry, so several servers (tests start many) never collide.
//
// The set is deliberately small and generic: HTTP traffic by endpoint and
// outcome, tokens issued by grant, and flow events (a device authorization
// started, a code entry rejected, an OTP sent ...) by flow and event name,
// so a new flow needs no new collector.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one server's set of collectors.
type Metrics struct {
	Registry *prometheus.Registry
	// Requests counts HTTP requests by endpoint (the route pattern) and
	// outcome (the status code, or the OAuth error code when there is one).
	Requests *prometheus.CounterVec
	// Latency observes request durations by endpoint, in seconds.
	Latency *prometheus.HistogramVec
	// TokensIssued counts access tokens issued by grant type and format.
	TokensIssued *prometheus.CounterVec
	// FlowEvents counts flow events by flow ("device", "otp", "authcode",
	// "login") and event ("started", "approved", "slow_down",
	// "code_rejected", ...).
	FlowEvents *prometheus.CounterVec
}

// New returns a fresh set of collectors on its own registry, with the Go
// runtime and process collectors included.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keypad_http_requests_total",
			Help: "HTTP requests by endpoint and outcome.",
		}, []string{"endpoint", "outcome"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "keypad_http_request_duration_seconds",
			Help:    "HTTP request latency by endpoint.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"endpoint"}),
		TokensIssued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keypad_tokens_issued_total",
			Help: "Access tokens issued by grant type and token format.",
		}, []string{"grant_type", "format"}),
		FlowEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keypad_flow_events_total",
			Help: "Flow events (started, approved, denied, slow_down, code_rejected, ...) by flow.",
		}, []string{"flow", "event"}),
	}
	m.Registry.MustRegister(m.Requests, m.Latency, m.TokensIssued, m.FlowEvents,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Event counts one flow event. A nil *Metrics counts nothing, so tests and
// tools may leave metrics out.
func (m *Metrics) Event(flow, event string) {
	if m == nil {
		return
	}
	m.FlowEvents.WithLabelValues(flow, event).Inc()
}

// Issued counts one issued access token. A nil *Metrics counts nothing.
func (m *Metrics) Issued(grantType, format string) {
	if m == nil {
		return
	}
	m.TokensIssued.WithLabelValues(grantType, format).Inc()
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}
