package gateway

import (
	"math/rand/v2"
	"net/http"
	"net/netip"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/counters"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/route"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/state"
)

// request is one request's state through the pipeline. Requests are pooled:
// reset clears every field that a previous request set.
type request struct {
	w     http.ResponseWriter
	r     *http.Request
	start time.Time
	// trusted are the gateway's trusted proxies (see clientIP).
	trusted []netip.Prefix
	now     time.Time

	requestID [36]byte
	apigwID   [16]byte

	target invokeTarget
	// path is the request's escaped path, worked out once (escapedPath).
	path    string
	pathSet bool
	api     *state.API
	stage   *state.Stage
	match   route.Match
	params  route.Params
	// methodID names the matched method for bucket keys ("" when unknown).
	methodID string

	keyRequired bool
	keyValue    string // the presented key: never logged, never copied out
	keyFrom     keyFrom
	keyName     string // the custom header or query parameter the key came from
	keyHash     [32]byte
	keyBuf      []byte
	key         *state.Key // &keyVal once the key is found
	keyVal      state.Key
	plan        *state.Plan
	planStage   *state.PlanStage
	quota       counters.QuotaResult
	// rl is the throttle bucket for the RateLimit fields (stages tagged
	// gatehouse:rateLimitHeaders only; see ratelimit.go).
	rl rateLimitState
	// countersFallback: a counters call of this request failed and was
	// made on the fallback counters (gatehouse:countersFailure=local);
	// bucketLocal: the last throttle bucket drawn was the fallback's.
	countersFallback, bucketLocal bool

	// arnBuf holds the method ARN the resource policy step evaluated
	// (kept across pooled requests, like keyBuf); policyAllowed: an Allow
	// statement of the resource policy covers the request, which lets it
	// through an authorizer whose policy has no matching statement
	// (AWS's table: Allow and "neither" is Allow).
	arnBuf        []byte
	policyAllowed bool

	// auth is what the method's authorizer decided (nil: no authorizer, or
	// it has not run).
	auth *authorization
	// authKey is the authorizer cache key being looked up, built in place
	// (kept across pooled requests, like keyBuf).
	authKey []byte
	// authPending: a dry run reached an authorizer with no cached result;
	// it would invoke the function (whose reply is unknown).
	authPending bool
	// keyFromAuthorizer: keyValue is the authorizer's usageIdentifierKey.
	keyFromAuthorizer bool
	// authCached: the authorizer's result came from its cache (for the
	// fix sentences: a cached policy scoped to another path).
	authCached bool
	// keyByID is the key a dry run was given by id (ExplainRequest.KeyID):
	// the key step looks it up by id instead of by a presented value.
	keyByID string

	// What the integration step found, for integrate.
	mockFixed    *mockAnswer                // a MOCK's answer fixed for its stage
	mockResponse *apigw.IntegrationResponse // else the MOCK's selected response,
	mockStatus   int                        // and its status
	// vctx is $context of the request's mapping templates, built at the
	// first render and shared by its request and response templates
	// (responseOverride, requestOverride, keys a template #sets).
	vctx map[string]any
	// reqTemplate is the request template checkIntegration chose for an
	// HTTP (or MOCK) integration by Content-Type; reqTemplateSet tells an
	// empty template from none (the body passes through).
	reqTemplate    string
	reqTemplateSet bool
	// mapped is what an HTTP integration sent and received, kept for
	// test-invoke-method's log only (nil otherwise).
	mapped      *mappedCall
	upstreamURL string // an HTTP_PROXY's resolved URL
	functionURI string // an AWS_PROXY's function URI, stage variables resolved

	// CORS (cors.go): resource is the resource found without the requested
	// method (rq.match.Resource is set only when a method matched);
	// preflight marks a CORS preflight that skips the key and authorizer
	// steps; corsSelf: Gatehouse answers the preflight itself
	// (gatehouse:corsAllowOrigins), rq.match then has no Method.
	resource  *route.Resource
	preflight bool
	corsSelf  bool

	// dryRun: the pipeline consumes nothing (no tokens, no quota) and the
	// request is not served; trace, when set, receives every step's verdict
	// (see Explain). note collects a passing step's detail for the trace.
	dryRun bool
	// explainCanary: a dry run explains the canary side of a stage with a
	// canary release, instead of the stage's own deployment (a dry run
	// draws nothing: ExplainRequest.Canary, a recorded decision's side).
	explainCanary bool
	trace         *Trace
	note          []string
	// testInvoke: test-invoke-method's run (see testinvoke.go): the route
	// is found by resource id beforehand, and the steps AWS's test skips
	// are traced, not applied; tiRefused: one of them would have refused.
	testInvoke, tiRefused bool

	// Outcome, for the access log.
	step               string
	decision           *Decision
	status             int
	integrationLatency time.Duration
	// abort: the response started and failed; the connection must be cut.
	abort bool
}

func (rq *request) reset(g *Gateway, w http.ResponseWriter, r *http.Request) {
	keyBuf, authKey, arnBuf := rq.keyBuf[:0], rq.authKey[:0], rq.arnBuf[:0]
	*rq = request{w: w, r: r, keyBuf: keyBuf, authKey: authKey, arnBuf: arnBuf, trusted: g.trusted}
	rq.start = time.Now()
	rq.now = rq.start
	if g.now != nil {
		rq.now = g.now()
	}
	newUUID(&rq.requestID)
	newAPIGWID(&rq.apigwID)
}

const hexDigits = "0123456789abcdef"

// newUUID writes a random (version 4) UUID. Request ids need to be unique,
// not secret, so the runtime's fast per-thread generator is enough.
func newUUID(dst *[36]byte) {
	var b [16]byte
	a, c := rand.Uint64(), rand.Uint64()
	for i := range 8 {
		b[i] = byte(a >> (8 * i))
		b[8+i] = byte(c >> (8 * i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	j := 0
	for i, x := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst[j] = '-'
			j++
		}
		dst[j], dst[j+1] = hexDigits[x>>4], hexDigits[x&0x0f]
		j += 2
	}
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// newAPIGWID writes an x-amz-apigw-id: 15 characters and a trailing '=',
// the shape AWS sends.
func newAPIGWID(dst *[16]byte) {
	x := rand.Uint64()
	y := rand.Uint64()
	for i := range 15 {
		if i == 8 {
			x = y
		}
		dst[i] = idAlphabet[x%uint64(len(idAlphabet))]
		x /= uint64(len(idAlphabet))
	}
	dst[15] = '='
}

// escapedPath returns the request's escaped path, working it out once:
// routing, the decision log and the access log all need it.
func (rq *request) escapedPath() string {
	if !rq.pathSet {
		rq.path, rq.pathSet = rq.r.URL.EscapedPath(), true
	}
	return rq.path
}
