package gateway

import (
	"strconv"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/gateway/state"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the data plane's Prometheus metrics. Labels are bounded:
// API and stage ids only when they name configured ones ("-" otherwise),
// status codes, reason codes, key sources; a key id only in the query-use
// counter, for at most maxQueryUseKeys keys (see queryUse).
type Metrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	integration *prometheus.HistogramVec
	throttled   *prometheus.CounterVec
	quota       *prometheus.CounterVec
	keySource   *prometheus.CounterVec
	queryUse    queryUse
	// countersFallback: see countersfail.go.
	countersFallback *prometheus.CounterVec
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
	m.keySource = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gatehouse_api_key_source_total",
		Help: "Admitted requests that presented an API key, by API, stage and where the key came from (header, custom-header, bearer, query, authorizer).",
	}, []string{"api", "stage", "source"})
	m.queryUse.vec = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gatehouse_api_key_query_use_total",
		Help: "Admitted requests whose API key came from the query string (deprecated), by key id; the first 1000 keys a node sees have their own series, later ones count under key_id=\"_other\" (the access log names every one).",
	}, []string{"key_id"})
	m.queryUse.other = m.queryUse.vec.WithLabelValues(queryUseOther)
	m.countersFallback = newCountersFallbackMetric()
	reg.MustRegister(m.requests, m.duration, m.integration, m.throttled, m.quota, m.keySource, m.queryUse.vec, m.countersFallback)
	return m
}

// maxQueryUseKeys bounds gatehouse_api_key_query_use_total's series: a
// per-key label over a million keys would be a million series. Keys that
// still send their key in the query string are the few an operator is
// moving off it; the first maxQueryUseKeys a node sees since it started get
// a series each (which stops growing once the client has moved), the rest
// count under queryUseOther, and the access log (keySource "query",
// apiKeyId) names every request.
const (
	maxQueryUseKeys = 1000
	queryUseOther   = "_other"
)

// queryUse is the bounded per-key counter of query-string key use. A key
// seen before takes no lock; the first use of a key takes mu once.
type queryUse struct {
	vec   *prometheus.CounterVec
	other prometheus.Counter
	seen  sync.Map // key id -> prometheus.Counter
	mu    sync.Mutex
	n     int // keys in seen, under mu
}

func (q *queryUse) inc(keyID string) {
	if c, ok := q.seen.Load(keyID); ok {
		c.(prometheus.Counter).Inc()
		return
	}
	q.mu.Lock()
	c, ok := q.seen.Load(keyID)
	if !ok && q.n < maxQueryUseKeys {
		c = q.vec.WithLabelValues(keyID)
		q.seen.Store(keyID, c)
		q.n++
		ok = true
	}
	q.mu.Unlock()
	if !ok {
		c = q.other
	}
	c.(prometheus.Counter).Inc()
}

// observeKeySource counts an admitted request's key source (and, for the
// query string, its key). Known stages and sources take no lock and
// allocate nothing.
func (m *Metrics) observeKeySource(c *stageCache, rq *request, src keyFrom) {
	p := c.keySources[src].Load()
	if p == nil {
		p = &counterHandle{m.keySource.WithLabelValues(rq.stage.APIID, rq.stage.Name, keyFromNames[src])}
		if !c.keySources[src].CompareAndSwap(nil, p) {
			p = c.keySources[src].Load()
		}
	}
	p.c.Inc()
	if src == keyFromQuery && rq.key != nil {
		m.queryUse.inc(rq.key.ID)
	}
}

// counterHandle holds a resolved counter for an atomic.Pointer.
type counterHandle struct{ c prometheus.Counter }

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
