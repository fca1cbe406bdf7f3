package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/proxy"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/state"
	"github.com/gatehouse-dev/gatehouse/internal/vtl"
)

// checkIntegration is the pipeline's integration step: it works out what
// the method's integration will do without calling it, and refuses what
// cannot be served (no integration, a type not served, an uri that does
// not resolve, a MOCK with no matching response). integrate then carries
// out what it found.
func (g *Gateway) checkIntegration(ctx context.Context, rq *request) *Decision {
	in := rq.match.Method.Integration
	if in == nil {
		return refuse(ReasonIntegrationMissing, "the method has no integration in the deployment")
	}
	switch in.Type {
	case apigw.IntegrationMock:
		if mp := g.cachedMock(rq.stage, in); mp != nil {
			rq.mockFixed = mp
			return nil
		}
		ir, status, d := g.selectMock(ctx, rq, in)
		rq.mockResponse, rq.mockStatus = ir, status
		return d
	case apigw.IntegrationHTTPProxy:
		greedy := ""
		if m := rq.match.Resource; m != nil {
			if p := m.Part(); p.Kind == 2 { // respath.Greedy
				greedy = p.Name
			}
		}
		url, err := proxy.ResolveURL(in.URI, rq.params.Get, rq.stage.Variables, greedy, upstreamQuery(rq))
		if errors.Is(err, proxy.ErrDotSegment) {
			var ps []string
			for n, v := range rq.params.All() {
				ps = append(ps, n+"="+quote(v))
			}
			return refuse(ReasonPathDotSegment, fmt.Sprintf("integration uri %s with path parameters %s: %v", in.URI, strings.Join(ps, ", "), err))
		}
		if err != nil {
			return refuse(ReasonIntegrationURI, fmt.Sprintf("integration uri %s: %v", in.URI, err))
		}
		rq.upstreamURL = appendIntegrationQuery(url, in, rq)
		return nil
	case apigw.IntegrationHTTP:
		return g.checkHTTP(rq, in)
	case apigw.IntegrationAWSProxy:
		return g.checkLambdaProxy(rq, in)
	}
	return refuse(ReasonIntegrationUnsupported, "integration type "+in.Type+" is not served by Gatehouse yet (MOCK, HTTP, HTTP_PROXY and AWS_PROXY are)")
}

// integrate calls the method's integration, as checkIntegration found it,
// and answers the caller.
func (g *Gateway) integrate(ctx context.Context, rq *request) {
	if rq.corsSelf {
		g.answerPreflight(rq)
		return
	}
	in := rq.match.Method.Integration
	switch in.Type {
	case apigw.IntegrationHTTPProxy:
		g.httpProxy(ctx, rq, in)
		return
	case apigw.IntegrationAWSProxy:
		g.lambdaProxy(ctx, rq, in)
		return
	case apigw.IntegrationHTTP:
		g.httpIntegration(ctx, rq, in)
		return
	}
	g.mock(ctx, rq)
}

// mock answers a MOCK integration: the request template selected the
// status code, the matching integration response supplies body and headers.
func (g *Gateway) mock(ctx context.Context, rq *request) {
	if mp := rq.mockFixed; mp != nil {
		stampHeaders(rq)
		h := rq.w.Header()
		setContentType(h, mp.ctype)
		for _, p := range mp.headers {
			h[p.name] = p.value
		}
		corsOnAnswer(rq, h)
		rq.status = mp.status
		rq.w.WriteHeader(mp.status)
		io.WriteString(rq.w, mp.body)
		return
	}
	ir, out := rq.mockResponse, rq.mockStatus
	ctype, body := pickTemplate(ir.ResponseTemplates, rq.r.Header.Get("Accept"))
	// A MOCK integration answers no body: the response template is all
	// the caller gets, with $input.body empty.
	body, d := g.render(ctx, rq, body, "")
	if d != nil {
		g.refuse(rq, d)
		return
	}
	stampHeaders(rq)
	h := rq.w.Header()
	setContentType(h, ctype)
	for name, expr := range ir.ResponseParameters {
		if hn, ok := strings.CutPrefix(name, "method.response.header."); ok {
			if v, ok := paramValue(expr, rq); ok {
				h.Set(hn, v)
			}
		}
	}
	out = applyResponseOverride(rq, h, out)
	corsOnAnswer(rq, h)
	rq.status = out
	rq.w.WriteHeader(out)
	io.WriteString(rq.w, body)
}

// selectMock picks a MOCK integration's answer to a request: the request
// template (by Content-Type, passthroughBehavior applied), rendered as VTL
// against the request, gives the status code, which selects the
// integration response, whose status the caller gets. What the template
// sets in $context (responseOverride) carries over to the response.
func (g *Gateway) selectMock(ctx context.Context, rq *request, in *apigw.Integration) (*apigw.IntegrationResponse, int, *Decision) {
	status := 200
	if len(in.RequestTemplates) > 0 {
		tmpl, found, d := selectRequestTemplate(in, rq.r.Header.Get("Content-Type"))
		if d != nil {
			return nil, 0, d
		}
		if !found {
			// WHEN_NO_MATCH: the template for application/json (or any)
			// still says the status, as it always has here.
			_, tmpl = pickTemplate(in.RequestTemplates, "")
		}
		if isTemplate(tmpl) {
			var body []byte
			if !rq.dryRun || rq.testInvoke {
				var d *Decision
				if body, d = g.readBody(rq); d != nil {
					return nil, 0, d
				}
			}
			out, d := g.render(ctx, rq, tmpl, string(body))
			if d != nil {
				return nil, 0, d
			}
			tmpl = out
		}
		n, ok := mockStatus(tmpl)
		if !ok {
			return nil, 0, refuse(ReasonMockNoResponse, "the MOCK request template has no statusCode: "+quote(tmpl))
		}
		status = n
	}
	code := statusText[status]
	ir := selectResponse(in.IntegrationResponses, code)
	if ir == nil {
		return nil, 0, refuse(ReasonMockNoResponse, "no integration response matches status "+code+" and none is the default (empty selectionPattern)")
	}
	out, err := strconv.Atoi(ir.StatusCode)
	if err != nil || out < 100 || out > 599 {
		return nil, 0, refuse(ReasonMockNoResponse, "integration response status "+quote(ir.StatusCode)+" is not an HTTP status")
	}
	return ir, out, nil
}

// mockAnswer is a MOCK integration's answer worked out once: for an
// integration whose answer cannot depend on the request (at most one
// request template and one response template, no $ in the body, only
// literal header values).
type mockAnswer struct {
	status  int
	ctype   string
	body    string
	headers []mockHeader
}

type mockHeader struct {
	name  string   // canonical
	value []string // shared: never modified
}

// cachedMock returns the fixed answer of a MOCK integration on a stage, or
// nil when the integration's answer depends on the request or refuses
// (the general path then answers). Answers are kept in the stage's cache,
// which a change to the stage replaces.
func (g *Gateway) cachedMock(st *state.Stage, in *apigw.Integration) *mockAnswer {
	c := g.stageCache(st)
	if v, ok := c.mocks.Load(in); ok {
		return v.(*mockAnswer)
	}
	mp := fixedMock(in)
	c.mocks.Store(in, mp)
	return mp
}

func fixedMock(in *apigw.Integration) *mockAnswer {
	if len(in.RequestTemplates) > 1 {
		return nil
	}
	if pb := strings.ToUpper(in.PassthroughBehavior); pb != "" && pb != passthroughWhenNoMatch {
		return nil // the Content-Type may be refused
	}
	status := 200
	for _, tmpl := range in.RequestTemplates {
		if isTemplate(tmpl) {
			return nil // rendered per request; it may set $context.responseOverride
		}
		n, ok := mockStatus(tmpl)
		if !ok {
			return nil
		}
		status = n
	}
	ir := selectResponse(in.IntegrationResponses, statusText[status])
	if ir == nil || len(ir.ResponseTemplates) > 1 {
		return nil
	}
	out, err := strconv.Atoi(ir.StatusCode)
	if err != nil || out < 100 || out > 599 {
		return nil
	}
	ctype, body := pickTemplate(ir.ResponseTemplates, "")
	if isTemplate(body) {
		if tpl, err := vtl.Compile(body); err != nil || !tpl.Static() {
			return nil // rendered per request
		}
	}
	mp := &mockAnswer{status: out, ctype: ctype, body: body}
	for _, name := range slices.Sorted(maps.Keys(ir.ResponseParameters)) {
		hn, ok := strings.CutPrefix(name, "method.response.header.")
		if !ok {
			continue
		}
		expr := ir.ResponseParameters[name]
		if len(expr) < 2 || expr[0] != '\'' || expr[len(expr)-1] != '\'' {
			return nil // taken from the request
		}
		mp.headers = append(mp.headers, mockHeader{http.CanonicalHeaderKey(hn), []string{expr[1 : len(expr)-1]}})
	}
	return mp
}

// mockStatus reads "statusCode": N from a MOCK request template.
func mockStatus(tmpl string) (int, bool) {
	i := strings.Index(tmpl, `"statusCode"`)
	if i < 0 {
		return 0, false
	}
	rest := strings.TrimLeft(tmpl[i+len(`"statusCode"`):], " \t\r\n")
	if !strings.HasPrefix(rest, ":") {
		return 0, false
	}
	rest = strings.TrimLeft(rest[1:], " \t\r\n\"")
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	v, err := strconv.Atoi(rest[:n])
	return v, err == nil && v >= 100 && v <= 599
}

var patterns sync.Map // selectionPattern -> *regexp.Regexp (nil when invalid)

// selectResponse picks the integration response whose selectionPattern
// matches the whole status code, else the default one.
func selectResponse(rs map[string]*apigw.IntegrationResponse, code string) *apigw.IntegrationResponse {
	var def *apigw.IntegrationResponse
	for _, r := range rs {
		if r.SelectionPattern == "" {
			if def == nil || r.StatusCode < def.StatusCode {
				def = r
			}
			continue
		}
		if r.SelectionPattern == code {
			return r
		}
		re, ok := patterns.Load(r.SelectionPattern)
		if !ok {
			c, err := regexp.Compile(`^(?:` + r.SelectionPattern + `)$`)
			if err != nil {
				c = nil
			}
			re, _ = patterns.LoadOrStore(r.SelectionPattern, c)
		}
		if c := re.(*regexp.Regexp); c != nil && c.MatchString(code) {
			return r
		}
	}
	return def
}

// httpProxy forwards to an HTTP_PROXY integration, at the URL
// checkIntegration resolved.
func (g *Gateway) httpProxy(ctx context.Context, rq *request, in *apigw.Integration) {
	url := rq.upstreamURL
	timeout := time.Duration(in.TimeoutInMillis) * time.Millisecond
	if timeout <= 0 {
		timeout = apigw.DefaultIntegrationTimeout * time.Millisecond
	}
	stampHeaders(rq)
	corsOnAnswer(rq, rq.w.Header()) // the upstream's own headers win
	res, err := g.proxy.Forward(rq.w, rq.r, proxy.Target{
		Method:    in.HTTPMethod,
		URL:       url,
		Timeout:   timeout,
		APIID:     rq.api.ID,
		RequestID: string(rq.requestID[:]),
		Headers:   integrationHeaders(in, rq),
		// The key never goes upstream, wherever it came from: see
		// upstreamStripHeaders and upstreamQuery (keysource.go).
		StripHeaders: upstreamStripHeaders(rq),
		ClientCert:   rq.stage.ClientCert,
	})
	rq.integrationLatency = res.Latency
	if err == nil {
		rq.status = res.Status
		return
	}
	d := proxyFailure(err, url, timeout, g.maxBody)
	if res.Started {
		// The caller already has the status and part of the body: the only
		// honest end is to abort the connection (after the access log line).
		rq.status = res.Status
		rq.decision = d
		rq.abort = true
		return
	}
	// Nothing was written: answer with the gateway response.
	delete(rq.w.Header(), hdrRequestID)
	delete(rq.w.Header(), hdrAPIGWID)
	g.refuse(rq, d)
}

// proxyFailure names the cause of a failed forward, so that a caller's
// fault (a body over the limit or malformed, a caller gone) is never
// counted against the upstream.
func proxyFailure(err error, url string, timeout time.Duration, maxBody int64) *Decision {
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, proxy.ErrTimeout):
		return refuse(ReasonIntegrationTimeout, fmt.Sprintf("the upstream %s did not answer within %s (or stopped sending): %v", hostOf(url), timeout, err))
	case errors.Is(err, proxy.ErrResponseTooLarge):
		return refuse(ReasonIntegrationTooLarge, fmt.Sprintf("the upstream %s answered more than the payload limit: %v", hostOf(url), err))
	case errors.Is(err, proxy.ErrClientBody) && errors.As(err, &mbe):
		return refuse(ReasonRequestTooLarge, fmt.Sprintf("the chunked request body ran past the %d-byte payload limit", maxBody))
	case errors.Is(err, proxy.ErrClientBody):
		return refuse(ReasonBodyInvalid, fmt.Sprintf("the request body could not be read (malformed chunked encoding, or cut short): %v", err))
	case errors.Is(err, proxy.ErrClient):
		return refuse(ReasonClientGone, fmt.Sprintf("the caller went away while the upstream %s was called: %v", hostOf(url), err))
	}
	return refuse(ReasonIntegrationFailure, fmt.Sprintf("the upstream %s failed: %v", hostOf(url), err))
}

func hostOf(u string) string {
	if _, rest, ok := strings.Cut(u, "://"); ok {
		h, _, _ := strings.Cut(rest, "/")
		return h
	}
	return u
}
