package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/state"
)

// ExplainRequest is a request for Explain to decide on.
type ExplainRequest struct {
	// Request is the request as a caller would send it: method, URL, Host
	// and headers count; its body is never read.
	Request *http.Request
	// Now is the time to decide at; zero means the gateway's clock.
	Now time.Time
	// KeyID, when set, names the API key by id instead of a value sent
	// in the request: the key step looks it up by id (the key source step
	// takes no key from the request, unless the API's apiKeySource is
	// AUTHORIZER). Diagnostics name keys by id; no value needs to travel.
	KeyID string
	// Canary explains, for a stage with a canary release, a request the
	// canary serves; false: one the stage's own deployment serves. A dry
	// run draws nothing.
	Canary bool
}

// Verdict is a step's outcome in a Trace.
type Verdict string

// Verdicts.
const (
	VerdictPass       Verdict = "PASS"
	VerdictRefuse     Verdict = "REFUSE"
	VerdictNotReached Verdict = "NOT_REACHED" // an earlier step refused
	// VerdictSkipped: the step does not apply (a CORS preflight needs no
	// key; test-invoke-method, as AWS's, applies no authorizer, key, plan,
	// throttle or quota); Detail says why, and what a request to a stage
	// would have met.
	VerdictSkipped Verdict = "SKIPPED"
)

// TraceStep is one pipeline step as Explain ran it.
type TraceStep struct {
	Name    string
	Verdict Verdict
	// Reason is the refusal's reason, ReasonOK for a step that passed, ""
	// for one not reached.
	Reason Reason
	// Detail is the refusal's sentence, or what a passing step found (the
	// API, stage and method; the key by id and last four characters; the
	// plan; each throttle bucket; the quota left). It is for the operator:
	// it names keys, plans and limits.
	Detail string
}

// Trace is the pipeline's answer to a request, step by step, as Explain
// works it out.
type Trace struct {
	Steps []TraceStep
	// Decision is the refusal; nil when the request would be admitted and
	// go to its integration.
	Decision *Decision
	// For a refusal: what the caller would get (the API's gateway response
	// customisations applied).
	ResponseType apigw.ResponseType
	Status       int
	ErrorType    string
	// What the pipeline found ("" when not reached).
	APIID, Stage, DeploymentID, ResourcePath, HTTPMethod string
	// Canary: the stage's canary release serves the request (DeploymentID
	// is the canary's).
	Canary        bool
	KeyID, PlanID string
	Integration   string // the integration type
	// Fix is, for a refusal, one sentence saying what to change so that
	// the request would pass, in terms of the user's objects ("add key K
	// to usage plan P"); "" when allowed, or for a refusal with nothing
	// to change (fix.go).
	Fix string
}

// Explain runs the pipeline on a request in dry-run mode and returns the
// trace of every step. It shares every step with the served path and
// consumes nothing: no throttle token, no quota, no usage; it writes no
// access log line and no metrics, and calls no integration. It is the one
// seam for diagnostics (test-invoke-method, gatehouse explain, the
// console). Explain may be called concurrently with serving.
func (g *Gateway) Explain(ctx context.Context, er ExplainRequest) Trace {
	rq := &request{r: er.Request, dryRun: true, keyByID: er.KeyID, trusted: g.trusted, explainCanary: er.Canary}
	switch {
	case !er.Now.IsZero():
		rq.now = er.Now
	case g.now != nil:
		rq.now = g.now()
	default:
		rq.now = time.Now()
	}
	return g.explain(ctx, rq)
}

// explain runs the dry run of rq (dryRun set) and returns its trace.
func (g *Gateway) explain(ctx context.Context, rq *request) Trace {
	tr := &Trace{Steps: make([]TraceStep, 0, len(pipeline))}
	rq.trace = tr
	d := g.run(ctx, rq)
	tr.Decision = d
	if d != nil {
		spec, res := g.resolve(rq, d)
		tr.ResponseType, tr.Status, tr.ErrorType = spec.Type, res.Status, spec.ErrorType
		tr.Fix = g.fix(rq, d)
	}
	tr.APIID = rq.target.apiID
	if rq.api != nil {
		tr.APIID = rq.api.ID
	}
	if rq.stage != nil {
		tr.Stage, tr.DeploymentID, tr.Canary = rq.stage.Name, rq.stage.DeploymentID, rq.stage.IsCanary
	}
	if rq.match.Resource != nil {
		tr.ResourcePath, tr.HTTPMethod = rq.match.Resource.Path, rq.r.Method
	}
	if rq.key != nil {
		tr.KeyID = rq.key.ID
	}
	if rq.plan != nil {
		tr.PlanID = rq.plan.ID
	}
	if rq.match.Method != nil && rq.match.Method.Integration != nil {
		tr.Integration = rq.match.Method.Integration.Type
	}
	return *tr
}

// record adds step i's outcome to the trace; after a refusal, the steps
// not reached.
func (g *Gateway) record(rq *request, i int, d *Decision) {
	tr := rq.trace
	s := TraceStep{Name: pipeline[i].name, Verdict: VerdictPass, Reason: ReasonOK}
	if d != nil {
		s.Verdict, s.Reason, s.Detail = VerdictRefuse, d.Reason, d.Detail
	} else {
		s.Detail = g.passDetail(rq, pipeline[i].name)
	}
	rq.note = rq.note[:0]
	tr.Steps = append(tr.Steps, s)
	if d != nil {
		for _, rest := range pipeline[i+1:] {
			tr.Steps = append(tr.Steps, TraceStep{Name: rest.name, Verdict: VerdictNotReached})
		}
	}
}

// recordSkip adds a step the request skips to the trace.
func (g *Gateway) recordSkip(rq *request, i int) {
	rq.trace.Steps = append(rq.trace.Steps, TraceStep{Name: pipeline[i].name, Verdict: VerdictSkipped, Reason: ReasonOK, Detail: skipDetail(rq, pipeline[i].name)})
}

// noteBucket notes, for the trace, a throttle bucket the step checked.
func (rq *request) noteBucket(name string, ok bool) {
	if ok {
		rq.note = append(rq.note, name+": has a token")
	}
}

// servedBy names the deployment that serves rq's stage, and the side of a
// canary release it is on.
func servedBy(rq *request) string {
	st := rq.stage
	var c *state.Canary
	if base := rq.api.Stages[st.Name]; base != nil {
		c = base.Canary
	}
	switch {
	case c == nil:
		return "deployment " + st.DeploymentID
	case st.IsCanary:
		return fmt.Sprintf("canary deployment %s, which serves %g %% of the stage's requests", st.DeploymentID, c.Percent)
	}
	return fmt.Sprintf("deployment %s; its canary deployment %s serves %g %% of the stage's requests", st.DeploymentID, c.Stage.DeploymentID, c.Percent)
}

// passDetail says what a passing step found. It reads only what the step
// left in rq (and the notes it took), so the steps carry no code for
// tracing beyond those notes.
func (g *Gateway) passDetail(rq *request, step string) string {
	switch step {
	case "route":
		if rq.corsSelf {
			return fmt.Sprintf("API %s, stage %s (%s), resource %s, no OPTIONS method: a CORS preflight Gatehouse answers (%s)", rq.api.ID, rq.stage.Name, servedBy(rq), rq.match.Resource.Path, apigw.TagCORSAllowOrigins)
		}
		return fmt.Sprintf("API %s, stage %s (%s), resource %s, method %s", rq.api.ID, rq.stage.Name, servedBy(rq), rq.match.Resource.Path, rq.r.Method)
	case "body":
		if n := rq.r.ContentLength; n >= 0 {
			return fmt.Sprintf("Content-Length %d, within the %d-byte payload limit", n, g.maxBody)
		}
		return fmt.Sprintf("no Content-Length: a chunked body is counted against the %d-byte payload limit as it is sent", g.maxBody)
	case "cors":
		return corsPassDetail(rq)
	case "policy":
		if len(rq.note) > 0 {
			return strings.Join(rq.note, "; ")
		}
		return "deployment " + rq.stage.DeploymentID + " has no resource policy"
	case "authorizer":
		if len(rq.note) > 0 {
			return strings.Join(rq.note, "; ")
		}
		return "the method has no authorizer (authorizationType " + rq.match.Method.AuthorizationType + ")"
	case "keysource":
		if rq.keyByID != "" && rq.keyRequired && !rq.keyFromAuthorizer && !rq.authPending {
			return "the method requires an API key; explained with API key id " + rq.keyByID + " (as if its value were sent in x-api-key)"
		}
		if rq.authPending && rq.stage.KeySource == apigw.KeySourceAuthorizer && rq.match.Method.APIKeyRequired {
			return "the API key would come from the authorizer's reply (usageIdentifierKey, apiKeySource AUTHORIZER): the key, plan, throttle and quota steps cannot be worked out without invoking it"
		}
		if rq.keyFromAuthorizer {
			return "the method requires an API key; the authorizer's reply supplies it (usageIdentifierKey, apiKeySource AUTHORIZER)"
		}
		if !rq.keyRequired {
			return "the method requires no API key"
		}
		return keySourceDetail(rq)
	case "key":
		if rq.key == nil {
			return "no API key needed"
		}
		return "API key " + rq.key.ID + "…" + rq.key.Last4 + ", enabled"
	case "plan":
		switch {
		case rq.plan != nil:
			return "usage plan " + rq.plan.ID + " is attached to stage " + rq.stage.Ref
		case rq.key != nil:
			return "the key is associated with stage " + rq.stage.Ref + " directly (stageKeys): no plan limits apply"
		}
		return "no usage plan needed"
	case "integration":
		in := rq.match.Method.Integration
		switch in.Type {
		case apigw.IntegrationHTTPProxy:
			return "HTTP_PROXY to " + hostOf(rq.upstreamURL)
		case apigw.IntegrationHTTP:
			if rq.reqTemplateSet {
				return "HTTP to " + hostOf(rq.upstreamURL) + ", the body mapped by the request template for " + requestMediaType(rq.r.Header.Get("Content-Type"))
			}
			return "HTTP to " + hostOf(rq.upstreamURL) + ", the body passed through"
		}
		return in.Type
	case "validate":
		if len(rq.note) > 0 {
			return strings.Join(rq.note, "; ")
		}
		if m := rq.match.Method; m == nil || m.RequestValidatorID == "" {
			return "the method has no request validator"
		}
		return "request validation passed"
	case "throttle":
		if len(rq.note) == 0 {
			return "no throttle applies"
		}
		return strings.Join(rq.note, "; ")
	case "quota":
		if rq.plan == nil || rq.plan.Quota == nil {
			return "no quota applies"
		}
		q := rq.plan.Quota
		return fmt.Sprintf("API key %s…%s has %d of %d requests per %s left in usage plan %s (used %d; resets at %s)",
			rq.key.ID, rq.key.Last4, rq.quota.Remaining, q.Limit, q.Period, rq.plan.ID, rq.quota.Used, rq.quota.ResetAt.UTC().Format(time.RFC3339))
	}
	return ""
}
