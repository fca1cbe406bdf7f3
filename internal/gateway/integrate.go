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
)

// integrate calls the method's integration and answers the caller.
func (g *Gateway) integrate(ctx context.Context, rq *request) {
	in := rq.match.Method.Integration
	if in == nil {
		g.refuse(rq, refuse(ReasonIntegrationMissing, "the method has no integration in the deployment"))
		return
	}
	switch in.Type {
	case apigw.IntegrationMock:
		g.mock(rq, in)
	case apigw.IntegrationHTTPProxy:
		g.httpProxy(ctx, rq, in)
	default:
		g.refuse(rq, refuse(ReasonIntegrationUnsupported, "integration type "+in.Type+" is not served by Gatehouse yet (MOCK and HTTP_PROXY are)"))
	}
}

// mock answers a MOCK integration: the request template selects the
// status code, the matching integration response supplies body and headers.
func (g *Gateway) mock(rq *request, in *apigw.Integration) {
	if mp := g.cachedMock(rq.stage, in); mp != nil {
		stampHeaders(rq)
		h := rq.w.Header()
		setContentType(h, mp.ctype)
		for _, p := range mp.headers {
			h[p.name] = p.value
		}
		rq.status = mp.status
		rq.w.WriteHeader(mp.status)
		io.WriteString(rq.w, mp.body)
		return
	}
	status := 200
	if len(in.RequestTemplates) > 0 {
		_, tmpl := pickTemplate(in.RequestTemplates, rq.r.Header.Get("Content-Type"))
		n, ok := mockStatus(tmpl)
		if !ok {
			g.refuse(rq, refuse(ReasonMockNoResponse, "the MOCK request template has no statusCode: "+quote(tmpl)))
			return
		}
		status = n
	}
	code := statusText[status]
	ir := selectResponse(in.IntegrationResponses, code)
	if ir == nil {
		g.refuse(rq, refuse(ReasonMockNoResponse, "no integration response matches status "+code+" and none is the default (empty selectionPattern)"))
		return
	}
	out, err := strconv.Atoi(ir.StatusCode)
	if err != nil || out < 100 || out > 599 {
		g.refuse(rq, refuse(ReasonMockNoResponse, "integration response status "+quote(ir.StatusCode)+" is not an HTTP status"))
		return
	}
	ctype, body := pickTemplate(ir.ResponseTemplates, rq.r.Header.Get("Accept"))
	body = expand(body, rq, outcome{})
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
	rq.status = out
	rq.w.WriteHeader(out)
	io.WriteString(rq.w, body)
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
	status := 200
	for _, tmpl := range in.RequestTemplates {
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
	if strings.Contains(body, "$") {
		return nil
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

// httpProxy forwards to an HTTP_PROXY integration.
func (g *Gateway) httpProxy(ctx context.Context, rq *request, in *apigw.Integration) {
	greedy := ""
	if m := rq.match.Resource; m != nil {
		if p := m.Part(); p.Kind == 2 { // respath.Greedy
			greedy = p.Name
		}
	}
	url, err := proxy.ResolveURL(in.URI, rq.params.Get, rq.stage.Variables, greedy, rq.r.URL.RawQuery)
	if errors.Is(err, proxy.ErrDotSegment) {
		var ps []string
		for n, v := range rq.params.All() {
			ps = append(ps, n+"="+quote(v))
		}
		g.refuse(rq, refuse(ReasonPathDotSegment, fmt.Sprintf("integration uri %s with path parameters %s: %v", in.URI, strings.Join(ps, ", "), err)))
		return
	}
	if err != nil {
		g.refuse(rq, refuse(ReasonIntegrationURI, fmt.Sprintf("integration uri %s: %v", in.URI, err)))
		return
	}
	timeout := time.Duration(in.TimeoutInMillis) * time.Millisecond
	if timeout <= 0 {
		timeout = apigw.DefaultIntegrationTimeout * time.Millisecond
	}
	stampHeaders(rq)
	res, err := g.proxy.Forward(rq.w, rq.r, proxy.Target{
		Method:    in.HTTPMethod,
		URL:       url,
		Timeout:   timeout,
		APIID:     rq.api.ID,
		RequestID: string(rq.requestID[:]),
	})
	rq.integrationLatency = res.Latency
	if err == nil {
		rq.status = res.Status
		return
	}
	if res.Started {
		// The caller already has the status and part of the body: the only
		// honest end is to abort the connection (after the access log line).
		rq.status = res.Status
		rq.decision = refuse(ReasonIntegrationFailure, "the upstream failed after its response started: "+err.Error())
		rq.abort = true
		return
	}
	// Nothing was written: answer with the gateway response.
	delete(rq.w.Header(), hdrRequestID)
	delete(rq.w.Header(), hdrAPIGWID)
	if errors.Is(err, proxy.ErrTimeout) {
		g.refuse(rq, refuse(ReasonIntegrationTimeout, fmt.Sprintf("the upstream %s did not answer within %s", hostOf(url), timeout)))
		return
	}
	g.refuse(rq, refuse(ReasonIntegrationFailure, fmt.Sprintf("the upstream %s failed: %v", hostOf(url), err)))
}

func hostOf(u string) string {
	if _, rest, ok := strings.Cut(u, "://"); ok {
		h, _, _ := strings.Cut(rest, "/")
		return h
	}
	return u
}
