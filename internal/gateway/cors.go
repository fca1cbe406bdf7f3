package gateway

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/route"
)

// CORS. Browsers show a page a cross-origin answer only when it carries
// Access-Control-Allow-Origin; without it the page sees "TypeError: Failed
// to fetch" instead of the 403 or 429. Gatehouse puts the header on the
// answers it generates itself where the API asks for CORS, in one of two
// ways:
//
//   - the AWS way: the resource's OPTIONS method is a MOCK whose integration
//     response sets Access-Control-Allow-Origin (the console's "Enable
//     CORS", Chalice's cors=True, SAM). Every refusal for that resource's
//     methods carries the same value (state.ResourceCORS); the methods'
//     own answers are theirs, as on AWS.
//   - the tag gatehouse:corsAllowOrigins on the RestApi (state.CORSOrigins):
//     for a listed Origin, Gatehouse answers preflights itself for every
//     resource without an OPTIONS method of its own, and adds the headers
//     to every answer, refusals and integration answers alike.
//
// An API with neither gets no CORS header. A customised gateway response
// keeps its own headers: they are set after these.
//
// A preflight (OPTIONS with Origin and Access-Control-Request-Method) to
// an OPTIONS method, or one Gatehouse answers itself, never needs an API
// key or an authorizer: the pipeline's cors step marks it, and run skips
// the steps that would ask (skippedOnPreflight), visibly in Explain's trace.

// CORS header names (canonical) and the values shared by every response
// (net/http never modifies header value slices).
const (
	hdrOrigin              = "Origin"
	hdrACRequestMethod     = "Access-Control-Request-Method"
	hdrACRequestHeaders    = "Access-Control-Request-Headers"
	hdrACAllowOrigin       = "Access-Control-Allow-Origin"
	hdrACAllowMethods      = "Access-Control-Allow-Methods"
	hdrACAllowHeaders      = "Access-Control-Allow-Headers"
	hdrACExposeHeaders     = "Access-Control-Expose-Headers"
	hdrACMaxAge            = "Access-Control-Max-Age"
	hdrVary                = "Vary"
	corsMaxAgeSeconds      = "600"
	maxCORSRequestHeaders  = 1024 // the longest Access-Control-Request-Headers echoed
	maxLoggedOrigin        = 256  // the longest Origin written to the access log
	allMethodsForANY       = "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT"
	corsExposeHeaderValues = "x-amzn-RequestId, x-amzn-ErrorType, Retry-After, RateLimit, RateLimit-Policy"
)

var (
	corsExpose     = []string{corsExposeHeaderValues}
	corsAnyOrigin  = []string{"*"}
	corsMaxAge     = []string{corsMaxAgeSeconds}
	corsVaryOrigin = []string{"Origin"}
	corsVaryFlight = []string{"Origin, Access-Control-Request-Headers"}
)

// isPreflight reports whether r is a CORS preflight.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && len(r.Header[hdrOrigin]) > 0 && len(r.Header[hdrACRequestMethod]) > 0
}

// requestOrigin is the request's Origin ("" when none).
func requestOrigin(r *http.Request) string {
	if v := r.Header[hdrOrigin]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// selfPreflight is the route step's hook: for a preflight from an origin
// the API's gatehouse:corsAllowOrigins allows, to a resource without an
// OPTIONS method of its own (none, or only ANY), Gatehouse answers
// itself. It reports whether it takes the request (rq.match then names
// the resource, with no method).
func (g *Gateway) selfPreflight(rq *request, m route.Match, res route.Result) bool {
	if !rq.api.CORS.On || !isPreflight(rq.r) || !rq.api.CORS.Allows(requestOrigin(rq.r)) {
		return false
	}
	if res == route.NoResource || res == route.Found && m.HTTPMethod == http.MethodOptions {
		return false
	}
	rq.match = route.Match{Resource: m.Resource}
	rq.corsSelf = true
	return true
}

// cors is the pipeline's cors step: it marks a preflight that needs no key
// and no authorizer. It never refuses.
func (g *Gateway) cors(_ context.Context, rq *request) *Decision {
	if rq.r.Method != http.MethodOptions || !isPreflight(rq.r) {
		return nil
	}
	if rq.corsSelf || rq.match.HTTPMethod == http.MethodOptions {
		rq.preflight = true
	}
	return nil
}

// skippedOnPreflight names the steps a preflight does not go through:
// those that ask for a key or an authorizer (the usage plan's throttle and
// quota need the key, so they do not apply either), and the integration
// when Gatehouse answers itself. The stage and account throttles apply.
func skippedOnPreflight(rq *request, step string) bool {
	switch step {
	case "authorizer", "keysource", "key", "plan":
		return true
	case "integration":
		return rq.corsSelf
	}
	return false
}

// skipDetail is the trace's detail for a step a preflight skips.
func skipDetail(rq *request, step string) string {
	if step == "integration" {
		return "skipped: CORS preflight, answered by Gatehouse (204, " + apigw.TagCORSAllowOrigins + ")"
	}
	return "skipped: CORS preflight (a preflight never needs an API key or an authorizer)"
}

// corsPassDetail says what the cors step found, for the trace.
func corsPassDetail(rq *request) string {
	origin := requestOrigin(rq.r)
	switch {
	case rq.corsSelf:
		return "CORS preflight from " + quote(origin) + " for " + quote(rq.r.Header.Get(hdrACRequestMethod)) + ": resource " + rq.match.Resource.Path + " has no OPTIONS method and API " + rq.api.ID + "'s " + apigw.TagCORSAllowOrigins + " allows the origin, so Gatehouse answers it; no API key, authorizer, usage plan throttle or quota applies"
	case rq.preflight:
		return "CORS preflight from " + quote(origin) + " for " + quote(rq.r.Header.Get(hdrACRequestMethod)) + ": the OPTIONS method answers it; no API key, authorizer, usage plan throttle or quota applies"
	}
	var b strings.Builder
	b.WriteString("not a CORS preflight")
	if c := rq.stage.CORS[rq.match.Resource]; c != nil {
		b.WriteString("; resource " + rq.match.Resource.Path + " has CORS (its OPTIONS method sets Access-Control-Allow-Origin " + quote(c.AllowOrigin) + "): Gatehouse's refusals carry it")
	}
	if cs := &rq.api.CORS; cs.On {
		switch {
		case origin == "":
			b.WriteString("; API " + rq.api.ID + " has " + apigw.TagCORSAllowOrigins + ", and the request sends no Origin")
		case cs.Allows(origin):
			b.WriteString("; origin " + quote(origin) + " is allowed by API " + rq.api.ID + "'s " + apigw.TagCORSAllowOrigins + ": every answer carries CORS headers")
		default:
			b.WriteString("; origin " + quote(origin) + " is not in API " + rq.api.ID + "'s " + apigw.TagCORSAllowOrigins + " (" + strings.Join(cs.Origins, ", ") + ")")
		}
	}
	return b.String()
}

// corsResource is the resource a request reached: matched, or found
// without the requested method.
func (rq *request) corsResource() *route.Resource {
	if rq.match.Resource != nil {
		return rq.match.Resource
	}
	return rq.resource
}

// corsOnRefusal sets the CORS headers of a refusal (before a customised
// gateway response's own headers, which win): the tag's for an allowed
// Origin, else the resource's OPTIONS method's Access-Control-Allow-Origin.
// It sets nothing before the request reached a stage of an API.
func corsOnRefusal(rq *request, h http.Header) {
	if rq.api == nil || rq.stage == nil {
		return
	}
	if rq.api.CORS.On {
		if origin := requestOrigin(rq.r); rq.api.CORS.Allows(origin) {
			setTagCORS(rq, h, origin)
			return
		}
	}
	if rq.stage.CORS == nil {
		return
	}
	res := rq.corsResource()
	if res == nil {
		return
	}
	if c := rq.stage.CORS[res]; c != nil {
		h[hdrACAllowOrigin] = c.AllowOriginValue
		h[hdrACExposeHeaders] = corsExpose
	}
}

// corsOnAnswer adds the tag's CORS headers to an integration's answer
// (MOCK, HTTP_PROXY) for an allowed Origin; headers the answer sets itself
// win. Without the tag it costs one test.
func corsOnAnswer(rq *request, h http.Header) {
	if !rq.api.CORS.On {
		return
	}
	origin := requestOrigin(rq.r)
	if !rq.api.CORS.Allows(origin) {
		return
	}
	if _, ok := h[hdrACAllowOrigin]; ok {
		return
	}
	setTagCORS(rq, h, origin)
}

func setTagCORS(rq *request, h http.Header, origin string) {
	if rq.api.CORS.Any {
		h[hdrACAllowOrigin] = corsAnyOrigin
	} else {
		h[hdrACAllowOrigin] = []string{origin}
		addVary(h)
	}
	h[hdrACExposeHeaders] = corsExpose
}

// addVary adds Origin to Vary.
func addVary(h http.Header) {
	v := h[hdrVary]
	if len(v) == 0 {
		h[hdrVary] = corsVaryOrigin
		return
	}
	for _, x := range v {
		for _, f := range strings.Split(x, ",") {
			if strings.EqualFold(strings.TrimSpace(f), "Origin") || strings.TrimSpace(f) == "*" {
				return
			}
		}
	}
	h[hdrVary] = append(v[:len(v):len(v)], "Origin")
}

// answerPreflight answers a preflight Gatehouse takes itself (204).
func (g *Gateway) answerPreflight(rq *request) {
	stampHeaders(rq)
	h := rq.w.Header()
	if rq.api.CORS.Any {
		h[hdrACAllowOrigin] = corsAnyOrigin
	} else {
		h[hdrACAllowOrigin] = []string{requestOrigin(rq.r)}
	}
	h[hdrACAllowMethods] = []string{allowMethods(rq.match.Resource)}
	if v := requestedHeaders(rq.r); v != "" {
		h[hdrACAllowHeaders] = []string{v}
	}
	h[hdrACMaxAge] = corsMaxAge
	h[hdrVary] = corsVaryFlight
	rq.status = http.StatusNoContent
	rq.w.WriteHeader(http.StatusNoContent)
}

// allowMethods lists a resource's methods for Access-Control-Allow-Methods
// (ANY stands for all of them), with OPTIONS.
func allowMethods(r *route.Resource) string {
	ms := r.HTTPMethods()
	for _, m := range ms {
		if m == "ANY" {
			return allMethodsForANY
		}
	}
	has := false
	for _, m := range ms {
		has = has || m == http.MethodOptions
	}
	if !has {
		ms = append(ms, http.MethodOptions)
	}
	return strings.Join(ms, ",")
}

// requestedHeaders is the preflight's Access-Control-Request-Headers, to
// echo as Access-Control-Allow-Headers: "" when absent, longer than
// maxCORSRequestHeaders, or not a list of header names (the browser then
// refuses to send custom headers, which is the safe answer).
func requestedHeaders(r *http.Request) string {
	vs := r.Header[hdrACRequestHeaders]
	if len(vs) == 0 {
		return ""
	}
	v := strings.Join(vs, ",")
	if len(v) > maxCORSRequestHeaders {
		return ""
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ',' || c == ' ' || c == '\t' {
			continue
		}
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return ""
		}
	}
	return v
}

// corsLogDetail adds to a refusal's detail, for the access log, that the
// browser will not show the answer: a cross-origin request (an Origin
// other than the request's own host) answered without
// Access-Control-Allow-Origin. The page sees a CORS error, not the status.
func corsLogDetail(rq *request, detail string) string {
	origin := requestOrigin(rq.r)
	if origin == "" || rq.abort {
		return detail
	}
	if _, ok := rq.w.Header()[hdrACAllowOrigin]; ok {
		return detail
	}
	if _, host, ok := strings.Cut(origin, "://"); ok && strings.EqualFold(host, rq.r.Host) {
		return detail // same origin: the browser shows it
	}
	if len(origin) > maxLoggedOrigin {
		origin = origin[:maxLoggedOrigin]
	}
	s := detail + "; the request came from origin " + quote(origin) + " and this answer carries no Access-Control-Allow-Origin, so the browser will not show it to the page (the page sees a CORS error, such as TypeError: Failed to fetch, instead of status " + strconv.Itoa(rq.status) + ")"
	if rq.api == nil || rq.stage == nil {
		return s
	}
	switch {
	case rq.api.CORS.On:
		s += "; to show it, add the origin to API " + rq.api.ID + "'s " + apigw.TagCORSAllowOrigins + " tag"
	default:
		where := "the resource"
		if res := rq.corsResource(); res != nil {
			where = "resource " + res.Path
		}
		s += "; to show it, enable CORS on " + where + " (an OPTIONS method whose MOCK integration response sets Access-Control-Allow-Origin, as the console's Enable CORS does) and redeploy, or tag API " + rq.api.ID + " " + apigw.TagCORSAllowOrigins + " with the origin"
	}
	return s
}

// appendOrigin appends the access log's origin field when the request
// has an Origin (bounded).
func appendOrigin(b []byte, rq *request) []byte {
	origin := requestOrigin(rq.r)
	if origin == "" {
		return b
	}
	if len(origin) > maxLoggedOrigin {
		origin = origin[:maxLoggedOrigin]
	}
	b = append(b, `,"origin":`...)
	return appendJSONString(b, origin)
}
