package gateway

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/counters"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/proxy"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/route"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/state"
)

// step is one stage of the pipeline: it passes (nil) or refuses.
type step struct {
	name string
	run  func(g *Gateway, ctx context.Context, rq *request) *Decision
}

// pipeline is the order of the checks: AWS's (route, authorizer, API key,
// usage plan, throttles from the most specific to the account, quota),
// except that the checks that consume something (throttle, quota) come
// last, so that a request refused for any other cause costs its caller
// nothing. Later issues insert their steps at the marked places.
var pipeline = [...]step{
	{"route", (*Gateway).route},
	{"body", (*Gateway).checkBody},
	// A CORS preflight is marked here, before any key is asked for: the
	// steps that ask for a key or an authorizer skip it (cors.go).
	{"cors", (*Gateway).cors},
	// The resource policy: AWS evaluates it before the authorizer (an
	// explicit Deny refuses without invoking it) and combines an implicit
	// deny with the authorizer's policy (policy.go).
	{"policy", (*Gateway).resourcePolicy},
	// Custom authorizers come before the key (AWS checks the API key
	// after the authorizer); they may supply the key (usageIdentifierKey)
	// for apiKeySource AUTHORIZER.
	{"authorizer", (*Gateway).authorize},
	{"keysource", (*Gateway).keySource},
	{"key", (*Gateway).checkKey},
	{"plan", (*Gateway).checkPlan},
	{"integration", (*Gateway).checkIntegration},
	// Request validation (a method with a requestValidatorId) comes before
	// the steps that consume: AWS validates after throttling, but a
	// request refused for its content should cost its caller nothing
	// either (validate.go).
	{"validate", (*Gateway).validate},
	{"throttle", (*Gateway).throttle},
	{"quota", (*Gateway).checkQuota},
}

// route finds the API, the stage and the method.
func (g *Gateway) route(_ context.Context, rq *request) *Decision {
	if rq.testInvoke {
		return nil // test-invoke-method names the method by resource id, and found it
	}
	r := rq.r
	var hdr string
	if v := r.Header[apiIDHeader]; len(v) > 0 {
		hdr = v[0]
	}
	var (
		t              invokeTarget
		reason, detail = Reason(""), ""
	)
	if d := g.state.Domain(r.Host); d != nil {
		t, reason, detail = domainInvoke(d, rq.escapedPath())
	} else {
		t, reason, detail = parseInvoke(r.Host, rq.escapedPath(), hdr)
	}
	rq.target = t
	if reason != "" {
		return refuse(reason, detail)
	}
	api := g.state.API(t.apiID)
	if api == nil {
		return refuse(ReasonUnknownAPI, "no API has the id "+quote(t.apiID))
	}
	rq.api = api
	// disableExecuteApiEndpoint refuses the id-based URLs only: a custom
	// domain's base path mapping is how such an API is called.
	if api.DisableExecuteAPIEndpoint && t.domain == nil {
		return refuse(ReasonExecuteAPIDisabled, "API "+api.ID+" has disableExecuteApiEndpoint set")
	}
	stage := api.Stages[t.stage]
	if stage == nil {
		return refuse(ReasonUnknownStage, unknownStageDetail(api.ID, t.stage, api.Stages))
	}
	// A stage with a canary release sends its share of requests to the
	// canary's deployment (a Stage of the same name); one draw per request.
	if c := stage.Canary; c != nil && g.toCanary(rq, c) {
		stage = c.Stage
	}
	rq.stage = stage
	// The path the upstream serves must be the path that was authorised:
	// upstreams resolve dot segments (some after decoding %2F, or taking
	// "\" for "/"), so a path with one could match a public resource here
	// and reach a private one there. Refused before any key is looked at.
	if proxy.HasDotSegment(t.path, true) {
		return refuse(ReasonPathDotSegment, "the request path "+quote(t.path)+` has a "." or ".." segment (after percent-decoding, with "\" read as "/" and ";parameters" dropped), which an upstream would resolve into another path`)
	}
	if stage.Table == nil {
		of := "stage"
		if stage.IsCanary {
			of = "the canary release of stage"
		}
		return refuse(ReasonStageBroken, fmt.Sprintf("%s %s of API %s serves deployment %s, which cannot be served: %v", of, stage.Name, api.ID, stage.DeploymentID, stage.CompileErr))
	}
	m, res := stage.Table.Match(r.Method, t.path, &rq.params)
	if r.Method == http.MethodOptions && g.selfPreflight(rq, m, res) {
		return nil
	}
	if res == route.Found {
		rq.match = m
		rq.methodID = stage.MethodIDs[m.ThrottleKey()]
		return nil
	}
	if res == route.NoMethod {
		rq.resource = m.Resource // its CORS headers go on the refusal
	}
	// Not in the deployment: tell "not deployed yet" (it is in the live
	// API) from unknown.
	if api.Live != nil {
		if lm, lres := api.Live.Match(r.Method, t.path, nil); lres == route.Found {
			return refuse(ReasonNotDeployed, fmt.Sprintf("%s %s exists in API %s but not in deployment %s that stage %s serves: redeploy the stage", r.Method, lm.Resource.Path, api.ID, stage.DeploymentID, stage.Name))
		}
	}
	if res == route.NoMethod {
		return refuse(ReasonNoMethod, fmt.Sprintf("resource %s of stage %s has no %s method (methods: %s)", m.Resource.Path, stage.Name, r.Method, strings.Join(m.Resource.HTTPMethods(), ", ")))
	}
	return refuse(ReasonUnknownRoute, fmt.Sprintf("no resource of stage %s matches the path %s", stage.Name, t.path))
}

// toCanary draws whether rq goes to the canary c; a dry run does not
// draw, it explains the side it was asked for.
func (g *Gateway) toCanary(rq *request, c *state.Canary) bool {
	if rq.dryRun {
		return rq.explainCanary
	}
	return c.Chooses(g.canaryRoll())
}

func unknownStageDetail[S any](apiID, name string, stages map[string]S) string {
	names := make([]string, 0, len(stages))
	for n := range stages {
		names = append(names, n)
	}
	sort.Strings(names)
	d := fmt.Sprintf("API %s has no stage %s (stages: %s)", apiID, quote(name), strings.Join(names, ", "))
	for _, n := range names {
		if strings.EqualFold(n, name) {
			d += "; stage names are case-sensitive"
		}
	}
	return d
}

// checkBody refuses a body whose Content-Length is over the payload limit.
// A chunked body has no length to check here: it is counted as the
// integration reads it (ServeHTTP caps it), so a dry run cannot see it.
func (g *Gateway) checkBody(_ context.Context, rq *request) *Decision {
	if n := rq.r.ContentLength; n > g.maxBody {
		return refuse(ReasonRequestTooLarge, fmt.Sprintf("the body's Content-Length %d is over the %d-byte payload limit", n, g.maxBody))
	}
	return nil
}

// headerAPIKey is the canonical form of AWS's key header, x-api-key.
const headerAPIKey = "X-Api-Key"

// keySource decides where the key comes from, and takes it.
func (g *Gateway) keySource(_ context.Context, rq *request) *Decision {
	if !rq.match.Method.APIKeyRequired {
		return nil
	}
	rq.keyRequired = true
	if rq.stage.KeySource == apigw.KeySourceAuthorizer {
		return g.keyFromAuthorizer(rq)
	}
	if rq.keyByID != "" {
		return nil // a dry run given the key by id: the key step finds it
	}
	return g.headerKeySource(rq)
}

// checkKey finds the presented key.
func (g *Gateway) checkKey(_ context.Context, rq *request) *Decision {
	if !rq.keyRequired {
		return nil
	}
	if rq.keyByID != "" && !rq.keyFromAuthorizer {
		k := g.state.KeyByID(rq.keyByID)
		if k == nil {
			return refuse(ReasonKeyNotFound, "no API key has the id "+quote(rq.keyByID))
		}
		rq.keyVal = *k
	} else {
		rq.keyBuf = append(rq.keyBuf[:0], rq.keyValue...)
		g.keys.AppendLookupHashBytes(rq.keyHash[:0], rq.keyBuf)
		if !g.state.LookupKey(&rq.keyHash, &rq.keyVal) {
			if rq.keyFromAuthorizer {
				return refuse(ReasonKeyFromAuthorizerNotFound, "no API key has the value authorizer "+rq.match.Method.AuthorizerID+" returned as usageIdentifierKey (ending "+last4(rq.keyValue)+")")
			}
			return refuse(ReasonKeyNotFound, "no API key has the value sent (ending "+last4(rq.keyValue)+")")
		}
	}
	k := &rq.keyVal
	rq.key = k
	if !k.Enabled {
		return refuse(ReasonKeyDisabled, "API key "+k.ID+"…"+k.Last4+" is disabled")
	}
	return nil
}

// checkPlan finds the usage plan that lets the key call this stage.
func (g *Gateway) checkPlan(_ context.Context, rq *request) *Decision {
	k := rq.key
	if k == nil {
		return nil
	}
	for _, id := range k.PlanIDs {
		if p := g.state.Plan(id); p != nil {
			if ps := p.Stages[rq.stage.Ref]; ps != nil {
				rq.plan, rq.planStage = p, ps
				return nil
			}
		}
	}
	if k.StageKeys[rq.stage.Ref] {
		return nil // legacy stageKeys association: no plan limits apply
	}
	if len(k.PlanIDs) == 0 {
		return refuse(ReasonKeyNoPlan, "API key "+k.ID+"…"+k.Last4+" is in no usage plan; add it to a plan attached to stage "+rq.stage.Ref)
	}
	var cover []string
	for _, id := range k.PlanIDs {
		p := g.state.Plan(id)
		if p == nil {
			continue
		}
		stages := make([]string, 0, len(p.Stages))
		for ref := range p.Stages {
			stages = append(stages, ref)
		}
		slices.Sort(stages)
		cover = append(cover, fmt.Sprintf("%s (%s)", id, strings.Join(stages, ", ")))
	}
	return refuse(ReasonKeyPlanNotOnStage, fmt.Sprintf("API key %s…%s is in usage plans %s, none attached to stage %s", k.ID, k.Last4, strings.Join(cover, "; "), rq.stage.Ref))
}

// throttle draws from every bucket that applies, most specific first:
// the plan's per-method or per-client bucket, the stage's method bucket,
// the account bucket. When a later bucket refuses, the tokens the earlier
// ones gave are put back: a refused request does not use up the key's or
// the stage's limit. In dry-run mode it only peeks at each bucket.
func (g *Gateway) throttle(ctx context.Context, rq *request) *Decision {
	var charged [2]charge
	n := 0
	if p := rq.plan; p != nil {
		tk := rq.match.ThrottleKey()
		if t, ok := rq.planStage.MethodThrottle[tk]; ok {
			k := counters.PlanKeyMethodBucket(p.ID, rq.key.ID, rq.methodID)
			if d := g.allow(ctx, rq, k, t, ReasonThrottledPlanMethod); d != nil {
				return d
			}
			charged[n], n = charge{k, t, rq.bucketLocal}, n+1
		} else if p.Throttle != nil {
			k := counters.PlanKeyBucket(p.ID, rq.key.ID)
			if d := g.allow(ctx, rq, k, *p.Throttle, ReasonThrottledPlan); d != nil {
				return d
			}
			charged[n], n = charge{k, *p.Throttle, rq.bucketLocal}, n+1
		}
	}
	// A preflight Gatehouse answers itself has no method, so no stage
	// method limit: the account's applies.
	if t, ok := rq.stage.Throttle.For(rq.match.ThrottleKey()); ok && !rq.corsSelf {
		k := counters.StageMethodBucket(rq.methodID)
		if d := g.allow(ctx, rq, k, t, ReasonThrottledStageMethod); d != nil {
			g.refund(ctx, rq, charged[:n])
			return d
		}
		charged[n], n = charge{k, t, rq.bucketLocal}, n+1
	}
	if g.accountOn {
		if d := g.allow(ctx, rq, counters.AccountBucket(), g.account, ReasonThrottledAccount); d != nil {
			g.refund(ctx, rq, charged[:n])
			return d
		}
	}
	return nil
}

// charge is a token taken from a bucket (of the fallback counters when
// local: see countersfail.go).
type charge struct {
	k     counters.BucketKey
	t     apigw.Throttle
	local bool
}

// refund puts back the tokens a refused request took (none in dry-run
// mode, which takes none).
func (g *Gateway) refund(ctx context.Context, rq *request, cs []charge) {
	if rq.dryRun {
		return
	}
	for _, c := range cs {
		if err := g.counterFor(c).Refund(ctx, c.k, c.t, rq.now); err != nil {
			g.log.Warn("refunding a throttle token failed", "error", err)
		}
	}
}

// allow takes a token from bucket k under limit t (in dry-run mode, asks
// whether Allow would), and refuses with reason when there is none.
func (g *Gateway) allow(ctx context.Context, rq *request, k counters.BucketKey, t apigw.Throttle, reason Reason) *Decision {
	var (
		ok    bool
		retry time.Duration
		err   error
	)
	rq.bucketLocal = false
	switch {
	case rq.dryRun:
		ok, retry, err = g.counters.PeekThrottle(ctx, k, t, rq.now)
	case rq.stage.RateLimitHeaders && g.levels != nil:
		ok, retry, err = g.allowLevel(ctx, rq, k, t)
	default:
		ok, retry, err = g.counters.Allow(ctx, k, t, rq.now)
	}
	if err != nil && rq.stage.CountersLocal {
		ok, retry, err = g.allowLocal(ctx, rq, k, t)
	}
	if err != nil {
		return refuse(ReasonCountersUnavailable, "the throttle counters are unavailable: "+err.Error())
	}
	if rq.trace != nil {
		rq.noteBucket(g.bucketName(rq, reason, t), ok)
	}
	if ok {
		return nil
	}
	d := refuse(reason, g.bucketName(rq, reason, t)+" is empty")
	if retry > 0 && retry < counters.Never {
		d.RetryAfter = retry
	}
	return d
}

// bucketName describes the bucket a throttle reason names, for details.
func (g *Gateway) bucketName(rq *request, reason Reason, t apigw.Throttle) string {
	switch reason {
	case ReasonThrottledPlanMethod:
		return fmt.Sprintf("usage plan %s's limit on %s on stage %s (%g requests/s, burst %d, per key)", rq.plan.ID, rq.match.ThrottleKey(), rq.stage.Ref, t.RateLimit, t.BurstLimit)
	case ReasonThrottledPlan:
		return fmt.Sprintf("usage plan %s's limit per key (%g requests/s, burst %d)", rq.plan.ID, t.RateLimit, t.BurstLimit)
	case ReasonThrottledStageMethod:
		return fmt.Sprintf("stage %s's limit on %s (%g requests/s, burst %d, all callers)", rq.stage.Ref, rq.match.ThrottleKey(), t.RateLimit, t.BurstLimit)
	}
	return fmt.Sprintf("the account-level limit (%g requests/s, burst %d)", t.RateLimit, t.BurstLimit)
}

// checkQuota takes one request from the key's quota in its plan (in
// dry-run mode, asks whether a Take would succeed). Usage is recorded
// later, by admit, for served requests only.
func (g *Gateway) checkQuota(ctx context.Context, rq *request) *Decision {
	p := rq.plan
	if p == nil || p.Quota == nil {
		return nil
	}
	var (
		res counters.QuotaResult
		err error
	)
	if rq.dryRun {
		res, err = g.counters.Peek(ctx, p.ID, rq.key.ID, *p.Quota, rq.now)
	} else {
		res, err = g.counters.Take(ctx, p.ID, rq.key.ID, *p.Quota, rq.now)
	}
	if err != nil && rq.stage.CountersLocal {
		res, err = g.takeLocal(ctx, rq, p.ID, *p.Quota)
	}
	if err != nil {
		return refuse(ReasonCountersUnavailable, "the quota counters are unavailable: "+err.Error())
	}
	rq.quota = res
	if !res.Allowed {
		d := refuse(ReasonQuotaExceeded, fmt.Sprintf("API key %s…%s used its quota of %d requests per %s in usage plan %s (used %d); it resets at %s",
			rq.key.ID, rq.key.Last4, p.Quota.Limit, p.Quota.Period, p.ID, res.Used, res.ResetAt.UTC().Format(time.RFC3339)))
		d.RetryAfter = res.ResetAt.Sub(rq.now)
		return d
	}
	return nil
}

func last4(v string) string {
	if len(v) <= 4 {
		return "…"
	}
	return "…" + v[len(v)-4:]
}

func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return fmt.Sprintf("%q", s)
}

var _ http.Handler = (*Gateway)(nil)
