package gateway

import (
	"strconv"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/gateway/state"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the data plane's Prometheus metrics. Labels are bounded:
// API and stage ids only when they name configured ones ("-" otherwise),
// status codes, reason codes; never a key id.
type Metrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	integration *prometheus.HistogramVec
	throttled   *prometheus.CounterVec
	quota       *prometheus.CounterVec
}

// NewMetrics registers the data plane's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_gateway_requests_total",
			Help: "Data plane requests by API, stage, status and reason code.",
		}, []string{"api", "stage", "status", "reason"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gatehouse_gateway_request_duration_seconds",
			Help:    "Time from request to response, by API and stage.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"api", "stage"}),
		integration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gatehouse_gateway_integration_duration_seconds",
			Help:    "Time spent in HTTP integrations, by API and stage.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"api", "stage"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_gateway_throttled_total",
			Help: "Requests refused by a throttle, by API, stage and which limit (plan_method, plan, stage_method, account).",
		}, []string{"api", "stage", "limit"}),
		quota: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_gateway_quota_refused_total",
			Help: "Requests refused because a key's quota was used up, by API and stage.",
		}, []string{"api", "stage"}),
	}
	reg.MustRegister(m.requests, m.duration, m.integration, m.throttled, m.quota)
	return m
}

var statusText [600]string

func init() {
	for i := range statusText {
		statusText[i] = strconv.Itoa(i)
	}
}

var throttleLimit = map[Reason]string{
	ReasonThrottledPlanMethod:  "plan_method",
	ReasonThrottledPlan:        "plan",
	ReasonThrottledStageMethod: "stage_method",
	ReasonThrottledAccount:     "account",
}

// stageMetrics are one stage's metric handles for the common outcome
// (200, OK), resolved once per stage instead of by label on every request.
type stageMetrics struct {
	ok          prometheus.Counter
	duration    prometheus.Observer
	integration prometheus.Observer
}

func (m *Metrics) forStage(c *stageCache, st *state.Stage) *stageMetrics {
	if sm := c.metrics.Load(); sm != nil {
		return sm
	}
	sm := &stageMetrics{
		ok:          m.requests.WithLabelValues(st.APIID, st.Name, "200", string(ReasonOK)),
		duration:    m.duration.WithLabelValues(st.APIID, st.Name),
		integration: m.integration.WithLabelValues(st.APIID, st.Name),
	}
	c.metrics.CompareAndSwap(nil, sm)
	return sm
}

func (m *Metrics) observe(g *Gateway, rq *request, reason Reason, latency time.Duration) {
	if rq.stage != nil && rq.api != nil {
		sm := m.forStage(g.stageCache(rq.stage), rq.stage)
		if rq.status == 200 && reason == ReasonOK {
			sm.ok.Inc()
		} else {
			m.requests.WithLabelValues(rq.api.ID, rq.stage.Name, statusLabel(rq.status), string(reason)).Inc()
		}
		sm.duration.Observe(latency.Seconds())
		if rq.integrationLatency > 0 {
			sm.integration.Observe(rq.integrationLatency.Seconds())
		}
		if reason != ReasonOK {
			m.observeRefusal(rq.api.ID, rq.stage.Name, reason)
		}
		return
	}
	api, stage := "-", "-"
	if rq.api != nil {
		api = rq.api.ID
		if rq.stage != nil {
			stage = rq.stage.Name
		}
	}
	m.requests.WithLabelValues(api, stage, statusLabel(rq.status), string(reason)).Inc()
	m.duration.WithLabelValues(api, stage).Observe(latency.Seconds())
	if rq.integrationLatency > 0 {
		m.integration.WithLabelValues(api, stage).Observe(rq.integrationLatency.Seconds())
	}
	m.observeRefusal(api, stage, reason)
}

func statusLabel(status int) string {
	if status > 0 && status < len(statusText) {
		return statusText[status]
	}
	return "0"
}

// observeRefusal counts throttle and quota refusals.
func (m *Metrics) observeRefusal(api, stage string, reason Reason) {
	if l, ok := throttleLimit[reason]; ok {
		m.throttled.WithLabelValues(api, stage, l).Inc()
	} else if reason == ReasonQuotaExceeded {
		m.quota.WithLabelValues(api, stage).Inc()
	}
}
