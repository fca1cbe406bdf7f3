package state

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/counters"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/authorizer"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/proxy"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/route"
	"github.com/gatehouse-dev/gatehouse/internal/iampolicy"
	"github.com/gatehouse-dev/gatehouse/internal/respath"
)

// API is one REST API as the data plane serves it. Its live fields (name,
// endpoint type, gateway responses) take effect without a deployment; what
// a stage serves comes from the stage's deployment.
type API struct {
	ID, Name string
	// Private reports whether the endpoint configuration types contain PRIVATE.
	Private bool
	// DisableExecuteAPIEndpoint is the API's disableExecuteApiEndpoint.
	DisableExecuteAPIEndpoint bool
	// GatewayResponses holds the customised gateway responses by type (live,
	// not deployed); pass it to apigw.ResolveGatewayResponse. May be nil.
	GatewayResponses map[string]*apigw.GatewayResponse
	// GatewayTemplates are GatewayResponses' body templates, compiled
	// once per change of the API; nil when none is a template.
	GatewayTemplates Templates
	// Live is the API's current, possibly undeployed definition, compiled;
	// the gateway uses it only to tell "not deployed yet" from "unknown"
	// when a request matches no deployed method. Nil when it cannot compile.
	Live *route.Table
	// Stages holds the API's stages by name.
	Stages map[string]*Stage
	// KeySources are where, besides x-api-key, the API takes API keys
	// from: its live gatehouse:apiKey* tags, compiled once.
	KeySources KeySources
	// CORS is the API's live gatehouse:corsAllowOrigins tag, compiled.
	CORS CORSOrigins
}

// KeySources is an API's key source tags, compiled (see apigw.TagAPIKeyHeader,
// TagAPIKeyQuery and TagAPIKeyBearer). The zero value accepts x-api-key only.
// A stored value that no longer passes its rule (written before the rule
// existed) is left out, and named in Invalid.
type KeySources struct {
	// Headers are the custom header names, canonical, in the tag's order.
	Headers []string
	// Query is the query string parameter name ("" for none).
	Query string
	// Bearer: "Authorization: Bearer <key>" carries the key.
	Bearer bool
	// Invalid names the tags whose stored value was left out ("" when none).
	Invalid string

	// withAuthorization is Headers plus "Authorization", for StripHeaders.
	withAuthorization []string
}

// StripHeaders returns the header names (besides x-api-key) that must not
// reach an upstream: the custom key headers, and Authorization when the
// request's key came from it (bearerUsed). It does not allocate.
func (k *KeySources) StripHeaders(bearerUsed bool) []string {
	if bearerUsed {
		return k.withAuthorization
	}
	return k.Headers
}

// newKeySources compiles an API's key source tags.
func newKeySources(tags map[string]string) KeySources {
	var ks KeySources
	var invalid []string
	if v, ok := tags[apigw.TagAPIKeyHeader]; ok {
		if hs, err := apigw.ParseAPIKeyHeaders(v); err == nil {
			ks.Headers = hs
		} else {
			invalid = append(invalid, apigw.TagAPIKeyHeader)
		}
	}
	if v, ok := tags[apigw.TagAPIKeyQuery]; ok {
		if apigw.ValidateAPIKeyQuery(v) == nil {
			ks.Query = v
		} else {
			invalid = append(invalid, apigw.TagAPIKeyQuery)
		}
	}
	if v, ok := tags[apigw.TagAPIKeyBearer]; ok {
		if apigw.ValidateAPIKeyBearer(v) == nil {
			ks.Bearer = v == "true"
		} else {
			invalid = append(invalid, apigw.TagAPIKeyBearer)
		}
	}
	ks.Invalid = strings.Join(invalid, ", ")
	ks.withAuthorization = append(slices.Clip(ks.Headers), "Authorization")
	return ks
}

// Stage is one stage of an API with the compiled table of its deployment.
type Stage struct {
	APIID, Name string
	// Ref is "apiId/stage": the key of Plan.Stages and Key.StageKeys.
	Ref          string
	DeploymentID string
	// Table is the deployment's compiled route table; nil when the
	// deployment could not be read or compiled (CompileErr says why).
	Table      *route.Table
	CompileErr error
	// KeySource is the deployment snapshot's apiKeySource: apigw.KeySourceHeader
	// (also when the snapshot leaves it empty) or apigw.KeySourceAuthorizer.
	KeySource string
	// BinaryMediaTypes is the deployment snapshot's binaryMediaTypes.
	BinaryMediaTypes []string
	Variables        map[string]string
	Throttle         StageThrottle
	AccessLogFormat  string
	// MethodIDs maps each deployed method's throttle key ("/pets/GET") to
	// its bucket id (counters.MethodID), built once so that requests do not.
	MethodIDs map[string]string
	// Authorizers are the deployment's authorizers by id, compiled once
	// per deployment (identity sources parsed, validation expressions
	// compiled); nil when the deployment has none.
	Authorizers map[string]*authorizer.Compiled
	// Policy is the deployment's resource policy, compiled once per
	// deployment; nil when it has none. PolicyErr says why a stored
	// policy cannot be evaluated (written before Gatehouse checked
	// policies): every request is then refused, never let through.
	Policy    *iampolicy.Policy
	PolicyErr error
	// CORS holds the deployment's resources whose OPTIONS method enables
	// CORS (ResourceCORS), by compiled resource; nil when none does.
	CORS map[*route.Resource]*ResourceCORS
	// Validations holds, for each deployed method that names a request
	// validator, what validation checks (compiled once per deployment:
	// models compiled, required parameters sorted); nil when no method
	// names one. Keyed by the route table's method (route.Match.Method).
	Validations map[*apigw.Method]*Validation
	// Templates are the deployment's mapping templates (integration
	// request and response templates), compiled once; nil when none.
	Templates Templates
	// ReasonHeader is the stage's tag gatehouse:reasonHeader set to "true":
	// the gateway then sends a refusal's reason code to the caller
	// (x-gatehouse-reason). The stage's dataTraceEnabled sends nothing to
	// callers: as on AWS, tracing is for the operator's logs.
	ReasonHeader bool
	// RateLimitHeaders is the stage's tag gatehouse:rateLimitHeaders set
	// to "true": every response carries RateLimit-Policy and RateLimit.
	RateLimitHeaders bool
	// MinCompress is the deployment's minimumCompressionSize, -1 when
	// unset: responses of at least that many bytes are gzipped for callers
	// that accept it.
	MinCompress int
	// ClientCertificateID is the stage's clientCertificateId; ClientCert
	// is that certificate, opened once, presented to HTTP and HTTP_PROXY
	// backends over TLS (nil: none, or it could not be opened).
	ClientCertificateID string
	ClientCert          *proxy.ClientCert
	// CountersLocal is the stage's tag gatehouse:countersFailure set to
	// "local": when the counters backend fails a call, the request is
	// counted in the node's own memory instead of refused (503).
	CountersLocal bool
	// Canary is the stage's canary release; nil when it has none (the
	// stage then costs a request nothing more).
	Canary *Canary
	// IsCanary marks the Stage that serves a canary release's requests
	// (Canary.Stage): same name, settings and tags as its stage, the
	// canary's deployment and merged variables.
	IsCanary bool
	// Cache is the data plane's own per-stage memo (metric handles, so
	// that a request does not look them up by label). The state never reads
	// it; a changed stage is a new Stage with an empty Cache.
	Cache atomic.Value
}

// Canary is a stage's canary release: Percent (0 to 100) of the stage's
// requests are served by Stage instead (the gateway draws which).
type Canary struct {
	Percent float64
	Stage   *Stage
}

// Chooses reports whether a request whose draw is roll (in [0, 1)) goes
// to the canary: roll*100 < Percent, so 0 % never and 100 % always does.
func (c *Canary) Chooses(roll float64) bool {
	return roll*100 < c.Percent
}

// StageThrottle holds a stage's methodSettings throttles, normalised to route
// throttle keys ("/pets/GET", root "//GET").
type StageThrottle struct {
	// Default comes from "*/*"; nil when absent or when either of its limits
	// is negative (-1 = no limit).
	Default *apigw.Throttle
	// Methods holds the per-method entries; entries with a negative limit
	// are not here but in NoLimit.
	Methods map[string]apigw.Throttle
	// NoLimit holds the methods whose own entry has a negative limit: they
	// have no stage limit at all, even when Default is set (a method entry
	// overrides "*/*").
	NoLimit map[string]bool
}

// For returns the stage throttle that applies to a method, given its route
// throttle key (route.Match.ThrottleKey): its own entry, else Default. ok is
// false when no stage limit applies. It does not allocate.
func (t *StageThrottle) For(throttleKey string) (th apigw.Throttle, ok bool) {
	if th, ok := t.Methods[throttleKey]; ok {
		return th, true
	}
	if t.NoLimit[throttleKey] || t.Default == nil {
		return apigw.Throttle{}, false
	}
	return *t.Default, true
}

// Key is one API key as the data plane needs it; it never holds the value
// (nor the name, which no request needs). The strings and the plan and
// stage-key sets are shared with the index: treat them as read-only.
type Key struct {
	ID, Last4 string
	Enabled   bool
	// PlanIDs lists the usage plans the key belongs to, sorted. An id may
	// name a plan deleted a moment ago (Plan returns nil for it).
	PlanIDs []string
	// StageKeys holds the legacy stage associations "apiId/stage"; nil when none.
	StageKeys map[string]bool

	hash [32]byte // the lookup hash the key is indexed under
}

// InPlan reports whether the key belongs to the plan.
func (k *Key) InPlan(planID string) bool {
	return slices.Contains(k.PlanIDs, planID)
}

// Plan is one usage plan.
type Plan struct {
	ID, Name string
	Throttle *apigw.Throttle // nil: no plan-wide limit
	Quota    *apigw.Quota    // nil: no quota
	// Stages holds the plan's API stages by stage Ref "apiId/stage".
	Stages map[string]*PlanStage
	// Source is the plan as stored; treat it as read-only.
	Source *apigw.UsagePlan
}

// PlanStage is one API stage of a usage plan.
type PlanStage struct {
	APIID, Stage string
	// MethodThrottle holds per-method limits by route throttle key
	// ("/pets/GET", root "//GET"); nil when none.
	MethodThrottle map[string]apigw.Throttle
}

// newPlan builds a Plan from a stored usage plan.
func newPlan(p *apigw.UsagePlan) *Plan {
	pl := &Plan{
		ID:       p.ID,
		Name:     p.Name,
		Throttle: p.Throttle,
		Quota:    p.Quota,
		Stages:   make(map[string]*PlanStage, len(p.APIStages)),
		Source:   p,
	}
	for _, as := range p.APIStages {
		ps := &PlanStage{APIID: as.APIID, Stage: as.Stage}
		if len(as.Throttle) > 0 {
			ps.MethodThrottle = make(map[string]apigw.Throttle, len(as.Throttle))
			for k, th := range as.Throttle {
				ps.MethodThrottle[throttleKey(k)] = th
			}
		}
		pl.Stages[apigw.StageRef(as.APIID, as.Stage)] = ps
	}
	return pl
}

// throttleKey normalises a stored method key ("/pets/GET", "~1pets/GET",
// Terraform's "pets/GET", root "//GET") to a route throttle key. A key that
// names no method is kept verbatim: it can never match a request.
func throttleKey(stored string) string {
	res, method, ok := respath.ParseMethodKey(stored)
	if !ok {
		return stored
	}
	return respath.MethodKey(res, method)
}

// newStageThrottle builds a StageThrottle from stored method settings. When
// two stored keys normalise to the same method (say "~1pets/GET" and
// "pets/GET"), the one that sorts last wins.
func newStageThrottle(settings map[string]*apigw.MethodSetting) StageThrottle {
	var t StageThrottle
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		ms := settings[k]
		if ms == nil {
			continue
		}
		th := apigw.Throttle{BurstLimit: ms.ThrottlingBurstLimit, RateLimit: ms.ThrottlingRateLimit}
		limited := th.BurstLimit >= 0 && th.RateLimit >= 0
		res, method, ok := respath.ParseMethodKey(k)
		if !ok {
			continue // not a method key; the control plane refuses these
		}
		if res == "*" && method == "*" {
			t.Default = nil
			if limited {
				t.Default = &th
			}
			continue
		}
		key := respath.MethodKey(res, method)
		if limited {
			if t.Methods == nil {
				t.Methods = map[string]apigw.Throttle{}
			}
			t.Methods[key] = th
			delete(t.NoLimit, key)
			continue
		}
		if t.NoLimit == nil {
			t.NoLimit = map[string]bool{}
		}
		t.NoLimit[key] = true
		delete(t.Methods, key)
	}
	return t
}

// compiled is a deployment compiled for serving.
type compiled struct {
	table       *route.Table
	err         error
	keySource   string
	authorizers map[string]*authorizer.Compiled
	binary      []string
	minCompress int
	cors        map[*route.Resource]*ResourceCORS
	validations map[*apigw.Method]*Validation
	templates   Templates
	policy      *iampolicy.Policy
	policyErr   error
}

// compile compiles a deployment's snapshot.
func compile(d *apigw.Deployment) *compiled {
	ks := d.Snapshot.APIKeySource
	if ks == "" {
		ks = apigw.KeySourceHeader
	}
	t, err := route.Compile(&d.Snapshot)
	if err != nil {
		err = fmt.Errorf("deployment %s of API %s: %w", d.ID, d.APIID, err)
	}
	c := &compiled{table: t, err: err, keySource: ks, binary: d.Snapshot.BinaryMediaTypes, cors: resourceCORS(t)}
	c.validations = compileValidations(d.APIID, &d.Snapshot)
	c.templates = compileTemplates(&d.Snapshot)
	c.minCompress = -1
	if n := d.Snapshot.MinimumCompressionSize; n != nil {
		c.minCompress = *n
	}
	if d.Snapshot.Policy != "" {
		c.policy, c.policyErr = iampolicy.ParseResource([]byte(d.Snapshot.Policy))
		if c.policyErr != nil {
			c.policyErr = fmt.Errorf("the resource policy of deployment %s of API %s cannot be evaluated: %w", d.ID, d.APIID, c.policyErr)
		}
	}
	if len(d.Snapshot.Authorizers) > 0 {
		c.authorizers = make(map[string]*authorizer.Compiled, len(d.Snapshot.Authorizers))
		for id, a := range d.Snapshot.Authorizers {
			c.authorizers[id] = authorizer.Compile(a)
		}
	}
	return c
}

// newAPI builds an API from its stored definition, its stages and their
// compiled deployments (by deployment id; a missing one is reported in the
// stage's CompileErr).
func newAPI(a *apigw.RestAPI, stages []*apigw.Stage, deps map[string]*compiled) *API {
	out := &API{
		ID:                        a.ID,
		Name:                      a.Name,
		Private:                   slices.Contains(a.EndpointConfiguration.Types, apigw.EndpointPrivate),
		DisableExecuteAPIEndpoint: a.DisableExecuteAPIEndpoint,
		GatewayResponses:          a.GatewayResponses,
		GatewayTemplates:          compileGatewayTemplates(a.GatewayResponses),
		Stages:                    make(map[string]*Stage, len(stages)),
		KeySources:                newKeySources(a.Tags),
		CORS:                      newCORSOrigins(a.Tags),
	}
	if live, err := route.Compile(&apigw.Snapshot{APIKeySource: a.APIKeySource, RootResourceID: a.RootResourceID, Resources: a.Resources}); err == nil {
		out.Live = live
	}
	for _, st := range stages {
		s := newStage(a.ID, st, st.DeploymentID, st.Variables, deps)
		if c := st.CanarySettings; c != nil {
			s.Canary = newCanary(a.ID, st, deps)
		}
		out.Stages[st.Name] = s
	}
	return out
}

// newStage builds the Stage that serves deployment depID with variables
// vars under st's name, settings and tags.
func newStage(apiID string, st *apigw.Stage, depID string, vars map[string]string, deps map[string]*compiled) *Stage {
	s := &Stage{
		APIID:        apiID,
		Name:         st.Name,
		Ref:          apigw.StageRef(apiID, st.Name),
		DeploymentID: depID,
		KeySource:    apigw.KeySourceHeader,
		MinCompress:  -1,
		Variables:    vars,
		Throttle:     newStageThrottle(st.MethodSettings),

		ClientCertificateID: st.ClientCertificateID,
	}
	if st.AccessLogSettings != nil {
		s.AccessLogFormat = st.AccessLogSettings.Format
	}
	s.ReasonHeader = st.Tags[apigw.TagReasonHeader] == "true"
	s.RateLimitHeaders = st.Tags[apigw.TagRateLimitHeaders] == "true"
	s.CountersLocal = st.Tags[apigw.TagCountersFailure] == apigw.CountersFailureLocal
	if c := deps[depID]; c != nil {
		s.Table, s.CompileErr, s.KeySource = c.table, c.err, c.keySource
		s.Authorizers = c.authorizers
		s.Policy, s.PolicyErr = c.policy, c.policyErr
		s.BinaryMediaTypes = c.binary
		s.MinCompress = c.minCompress
		s.CORS = c.cors
		s.Validations = c.validations
		s.Templates = c.templates
		s.MethodIDs = methodIDs(apiID, st.Name, c.table)
	} else {
		s.CompileErr = fmt.Errorf("stage %s of API %s: deployment %q: %w", st.Name, apiID, depID, errNoDeployment)
	}
	return s
}

// newCanary builds a stage's canary release: its deployment (the stage's
// own when the settings name none) served with the stage's variables
// merged with the overrides, as AWS does.
func newCanary(apiID string, st *apigw.Stage, deps map[string]*compiled) *Canary {
	c := st.CanarySettings
	depID := c.DeploymentID
	if depID == "" {
		depID = st.DeploymentID
	}
	vars := st.Variables
	if len(c.StageVariableOverrides) > 0 {
		vars = make(map[string]string, len(st.Variables)+len(c.StageVariableOverrides))
		maps.Copy(vars, st.Variables)
		maps.Copy(vars, c.StageVariableOverrides)
	}
	cs := newStage(apiID, st, depID, vars, deps)
	cs.IsCanary = true
	return &Canary{Percent: c.PercentTraffic, Stage: cs}
}

// methodIDs names every method of a compiled table for bucket keys.
func methodIDs(apiID, stage string, t *route.Table) map[string]string {
	if t == nil {
		return nil
	}
	ids := map[string]string{}
	for _, r := range t.Resources() {
		for _, m := range r.HTTPMethods() {
			key := respath.MethodKey(r.Path, m)
			ids[key] = counters.MethodID(apiID, stage, key)
		}
	}
	return ids
}

// TestInvokeDeploymentID names the pseudo-deployment of a test
// invocation: the API's current definition.
const TestInvokeDeploymentID = "test-invoke"

// TestInvokeAPI builds the API as test-invoke-method runs it: its current
// (possibly undeployed) definition compiled as if deployed, served by one
// stage named stage (AWS: "test-invoke-stage") with the given stage
// variables and no method settings or tags. It is built per call, from the
// definition the management API just read, so it never waits for the
// change feed; nothing of it is kept.
func TestInvokeAPI(a *apigw.RestAPI, stage string, vars map[string]string) *API {
	d := &apigw.Deployment{ID: TestInvokeDeploymentID, APIID: a.ID, Snapshot: apigw.Snapshot{
		APIKeySource: a.APIKeySource, BinaryMediaTypes: a.BinaryMediaTypes,
		RootResourceID: a.RootResourceID, Resources: a.Resources, Authorizers: a.Authorizers, Policy: a.Policy,
		Models: a.Models, RequestValidators: a.RequestValidators,
		MinimumCompressionSize: a.MinimumCompressionSize,
	}}
	st := &apigw.Stage{APIID: a.ID, Name: stage, DeploymentID: d.ID, Variables: vars}
	return newAPI(a, []*apigw.Stage{st}, map[string]*compiled{d.ID: compile(d)})
}
