package gateway

import (
	"context"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/counters"
	"github.com/prometheus/client_golang/prometheus"
)

// The counters failure policy (stage tag gatehouse:countersFailure).
//
// The counters backend may fail a call (Redis down or cut off: Allow,
// Take, Record return an error). What happens then is the stage's choice:
//
//   - closed (the default, and the safe one for quotas that control cost):
//     the request is refused with 503 COUNTERS_UNAVAILABLE. Nothing is
//     admitted that the shared counts did not allow.
//   - local (state.Stage.CountersLocal): that call is made again on the
//     node's own fallback counters (Options.CountersFallback, else an
//     in-process counters.Local), and the request goes on. The access log
//     line of such a request carries "countersFallback":true and
//     gatehouse_gateway_counters_fallback_total counts each call that fell
//     back.
//
// The bound under "local": while the backend is unreachable, each node
// counts on its own, from what its fallback counters hold (a fresh
// counters.Local holds nothing). A node then admits per key up to the
// throttle's burst + rate·t and up to the whole quota limit of the period,
// on top of what the shared counts had admitted; a cluster of N nodes may
// admit up to N times the limits while the backend is down. Every call
// tries the backend first, so the node is back on the shared counts with
// the first call that succeeds; what was counted locally meanwhile is not
// carried over to the backend (the quota's shared count misses it).
//
// A stage without the tag takes none of these paths unless a call fails:
// the served path is unchanged (and allocates as before).

// allowLocal makes a failed throttle call (Allow, or PeekThrottle in
// dry-run mode) again on the fallback counters; it notes the fallback.
func (g *Gateway) allowLocal(ctx context.Context, rq *request, k counters.BucketKey, t apigw.Throttle) (bool, time.Duration, error) {
	rq.bucketLocal = true
	if rq.dryRun {
		return g.fallback.PeekThrottle(ctx, k, t, rq.now)
	}
	g.fellBack(rq, fallbackThrottle)
	return g.fallback.Allow(ctx, k, t, rq.now)
}

// takeLocal makes a failed quota call (Take, or Peek in dry-run mode)
// again on the fallback counters.
func (g *Gateway) takeLocal(ctx context.Context, rq *request, planID string, q apigw.Quota) (counters.QuotaResult, error) {
	if rq.dryRun {
		return g.fallback.Peek(ctx, planID, rq.key.ID, q, rq.now)
	}
	g.fellBack(rq, fallbackQuota)
	return g.fallback.Take(ctx, planID, rq.key.ID, q, rq.now)
}

// recordLocal counts a served request's usage on the fallback counters
// after the backend failed to.
func (g *Gateway) recordLocal(ctx context.Context, rq *request, planID string) error {
	g.fellBack(rq, fallbackUsage)
	return g.fallback.Record(ctx, planID, rq.key.ID, rq.now)
}

// counterFor is the counters a charge was taken from.
func (g *Gateway) counterFor(c charge) Counters {
	if c.local {
		return g.fallback
	}
	return g.counters
}

// Fallback operations, the op label of gatehouse_gateway_counters_fallback_total.
const (
	fallbackThrottle = "throttle"
	fallbackQuota    = "quota"
	fallbackUsage    = "usage"
)

// fellBack marks the request and counts one call that fell back.
func (g *Gateway) fellBack(rq *request, op string) {
	rq.countersFallback = true
	if g.metrics != nil && g.metrics.countersFallback != nil {
		g.metrics.countersFallback.WithLabelValues(rq.stage.APIID, rq.stage.Name, op).Inc()
	}
}

// newCountersFallbackMetric is gatehouse_gateway_counters_fallback_total.
func newCountersFallbackMetric() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gatehouse_gateway_counters_fallback_total",
		Help: "Counter calls (op: throttle, quota, usage) that the counters backend failed and a stage tagged gatehouse:countersFailure=local made on the node's own counters instead, by API and stage.",
	}, []string{"api", "stage", "op"})
}
