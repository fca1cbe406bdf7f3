package gateway

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/counters"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/proxy"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/state"
	"github.com/gatehouse-dev/gatehouse/internal/lambda"
	"github.com/gatehouse-dev/gatehouse/internal/secret"
)

// Counters is what the pipeline counts with: throttle buckets, quotas and
// usage (counters.Local on one node; Redis in a cluster).
type Counters interface {
	counters.Throttler
	counters.Quotas
	counters.Usage
}

// Options configure a Gateway.
type Options struct {
	State    *state.State
	Keys     *secret.Keys // computes the lookup hash of a presented key
	Counters Counters
	// CountersFallback counts the requests of stages tagged
	// gatehouse:countersFailure=local when Counters fails a call (see
	// countersfail.go); nil: an in-process counters.Local, whose usage
	// counts are never written to the store.
	CountersFallback Counters
	Proxy            *proxy.Proxy
	// AccessLog receives one JSON line per request, one Write per line
	// (nil: no access log). Give it a buffered writer (logsink).
	AccessLog io.Writer
	// Log receives operational errors (nil: discarded).
	Log     *slog.Logger
	Metrics *Metrics // nil: no metrics
	// Now is the clock (nil: time.Now); tests make throttles and quotas exact with it.
	Now func() time.Time
	// AccountThrottle is the account-level bucket (AWS: 10,000 rps, burst
	// 5,000). A zero value means AWS's default; a negative rate disables it.
	AccountThrottle apigw.Throttle
	// MaxBodyBytes caps request bodies (0: AWS's 10 MB payload limit).
	MaxBodyBytes int64
	// TrustedProxies are the peers whose X-Forwarded-For names the client
	// (see clientIP); nil: the peer is the client.
	TrustedProxies []netip.Prefix
	// Functions invokes authorizers and AWS_PROXY functions (nil: no
	// endpoint; every invocation fails as lambda.ErrNoEndpoint).
	Functions lambda.Invoker
	// Region and AccountID appear in method ARNs (authorizer policies) and
	// Lambda proxy events (requestContext.accountId);
	// "": apigw.DefaultRegion and apigw.DefaultAccountID, the
	// management API's defaults.
	Region, AccountID string
	// AuthorizerCacheSize bounds the authorizer result cache, in entries
	// (0: DefaultAuthorizerCacheSize).
	AuthorizerCacheSize int
	// DecisionsMax bounds the decision log (lookups by request id), in
	// decisions (0: DefaultDecisionsMax; at least DecisionsMinKeep; a
	// negative value: no decision log). See decisions.go for the bounds.
	DecisionsMax int
	// DecisionsRetention is how long decisions are kept when the bound
	// allows (0: DecisionsRetention).
	DecisionsRetention time.Duration
	// CanaryRoll draws, for each request to a stage with a canary release,
	// a number in [0, 1): the request goes to the canary when the draw
	// times 100 is under the canary's percentTraffic. nil: math/rand/v2's
	// Float64 (lock-free); tests give a fixed sequence.
	CanaryRoll func() float64
}

// Gateway serves API callers. It is an http.Handler.
type Gateway struct {
	state    *state.State
	keys     *secret.Keys
	counters Counters
	fallback Counters // for stages tagged gatehouse:countersFailure=local
	proxy    *proxy.Proxy
	access   io.Writer
	log      *slog.Logger
	metrics  *Metrics
	now      func() time.Time // nil: the real clock (read once per request)
	maxBody  int64
	trusted  []netip.Prefix

	account   apigw.Throttle // the account-level limit (the counters spread it to avoid contention)
	accountOn bool

	// functions is Options.Functions (nil: no endpoint); region and
	// accountID are Options' or the defaults.
	functions         lambda.Invoker
	region, accountID string
	authCache         *authCache
	authTimeout       time.Duration // AuthorizerTimeout; tests shorten it

	// levels reports bucket levels for RateLimit headers (nil when the
	// counters cannot: no throttle policy is sent).
	levels counters.LevelThrottler

	pool sync.Pool // of *request

	// decisions records served decisions for lookup by request id (nil: off).
	decisions *decisionLog

	canaryRoll func() float64 // Options.CanaryRoll or rand.Float64
}

// New returns a Gateway.
func New(o Options) *Gateway {
	g := &Gateway{
		state: o.State, keys: o.Keys, counters: o.Counters, proxy: o.Proxy,
		access: o.AccessLog, log: o.Log, metrics: o.Metrics, now: o.Now, maxBody: o.MaxBodyBytes,
		trusted: o.TrustedProxies,
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if g.maxBody <= 0 {
		g.maxBody = 10 << 20
	}
	acct := o.AccountThrottle
	if acct == (apigw.Throttle{}) {
		acct = apigw.Throttle{RateLimit: apigw.AccountRateLimit, BurstLimit: apigw.AccountBurstLimit}
	}
	if acct.RateLimit >= 0 && acct.BurstLimit >= 0 {
		g.accountOn, g.account = true, acct
	}
	g.functions, g.region, g.accountID = o.Functions, o.Region, o.AccountID
	if g.region == "" {
		g.region = apigw.DefaultRegion
	}
	if g.accountID == "" {
		g.accountID = apigw.DefaultAccountID
	}
	g.authCache = newAuthCache(o.AuthorizerCacheSize)
	g.levels, _ = o.Counters.(counters.LevelThrottler)
	if g.fallback = o.CountersFallback; g.fallback == nil {
		g.fallback = counters.NewLocal()
	}
	g.authTimeout = AuthorizerTimeout
	if g.canaryRoll = o.CanaryRoll; g.canaryRoll == nil {
		g.canaryRoll = rand.Float64
	}
	g.pool.New = func() any { return new(request) }
	if o.DecisionsMax >= 0 {
		g.decisions = newDecisionLog(o.DecisionsMax, o.DecisionsRetention)
	}
	return g
}

// ServeHTTP decides, admits and calls the integration, answers the caller
// and writes the access log line.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rq := g.pool.Get().(*request)
	rq.reset(g, w, r)
	defer g.pool.Put(rq)

	// A body with a Content-Length (checked by the pipeline's body step)
	// cannot run past it: net/http stops reading there. Only chunked
	// bodies need a cap, which the integration meets as it reads.
	if r.ContentLength < 0 {
		r.Body = http.MaxBytesReader(w, r.Body, g.maxBody)
	}
	if d := g.decide(r.Context(), rq); d != nil {
		g.refuse(rq, d)
	} else if rq.stage.MinCompress < 0 || !acceptsGzip(r.Header.Values("Accept-Encoding")) {
		g.integrate(r.Context(), rq)
	} else {
		cw := newCompressWriter(w, rq.stage.MinCompress, r.Method == http.MethodHead)
		rq.w = cw
		g.integrate(r.Context(), rq)
		cw.Close()
		rq.w = w
	}
	g.logAccess(rq)
	if g.decisions != nil {
		g.decisions.record(rq)
	}
	if rq.abort {
		panic(http.ErrAbortHandler)
	}
}

// decide runs the pipeline and, when it admits the request, the admit
// phase: the served path's decision.
func (g *Gateway) decide(ctx context.Context, rq *request) *Decision {
	if d := g.run(ctx, rq); d != nil {
		return d
	}
	g.admit(ctx, rq)
	return nil
}

// run executes the pipeline's steps in order and returns the first
// refusal. In dry-run mode (rq.dryRun) the steps consume nothing, and
// with rq.trace set every step's verdict is recorded.
func (g *Gateway) run(ctx context.Context, rq *request) *Decision {
	for i := range pipeline {
		s := &pipeline[i]
		if rq.testInvoke {
			if mode := testInvokeModes[s.name]; mode != 0 {
				g.testInvokeStep(ctx, rq, i, mode)
				continue
			}
		}
		if rq.preflight && skippedOnPreflight(rq, s.name) {
			if rq.trace != nil {
				g.recordSkip(rq, i)
			}
			continue
		}
		d := s.run(g, ctx, rq)
		if rq.trace != nil {
			g.record(rq, i, d)
		}
		if d != nil {
			rq.step = s.name
			return d
		}
	}
	return nil
}

// admit records an admitted request's usage (GetUsage counts requests
// the pipeline let through). It runs on the served path only, after the
// decision, so that a dry run and a refused request record nothing.
func (g *Gateway) admit(ctx context.Context, rq *request) {
	if p := rq.plan; p != nil {
		err := g.counters.Record(ctx, p.ID, rq.key.ID, rq.now)
		if err != nil && rq.stage.CountersLocal {
			err = g.recordLocal(ctx, rq, p.ID)
		}
		if err != nil {
			g.log.Error("recording usage failed", "plan", p.ID, "key", rq.key.ID, "error", err)
		}
	}
	if src := keySourceOf(rq); src != keyFromNone && g.metrics != nil {
		g.metrics.observeKeySource(g.stageCache(rq.stage), rq, src)
	}
}

// stageCache is what the gateway keeps per stage (in state.Stage.Cache):
// metric handles and fixed MOCK answers. A changed stage is a new Stage, so
// nothing here outlives the configuration it was worked out from.
type stageCache struct {
	metrics atomic.Pointer[stageMetrics]
	mocks   sync.Map // *apigw.Integration -> *mockAnswer (nil: not fixed)
	// templates are the stage's compiled mapping templates.
	templates sync.Map // source -> *compiledTemplate

	// keySources are the stage's gatehouse_api_key_source_total handles.
	keySources [numKeyFrom]atomic.Pointer[counterHandle]
}

func (g *Gateway) stageCache(st *state.Stage) *stageCache {
	if c, ok := st.Cache.Load().(*stageCache); ok {
		return c
	}
	st.Cache.CompareAndSwap(nil, new(stageCache))
	return st.Cache.Load().(*stageCache)
}
