package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/route"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/state"
)

// ErrTestInvokeInput is wrapped by TestInvokeMethod's errors about its
// input (a pathWithQueryString that is not a path, an unknown resource or
// method); the management API answers them as the caller's fault.
var ErrTestInvokeInput = errors.New("bad test-invoke input")

// testInvokeMode says how test-invoke-method treats a pipeline step that
// it does not apply.
type testInvokeMode uint8

const (
	// tiAdvise: the step runs in dry-run mode and its verdict goes to the
	// trace ("would refuse …"), but it never refuses.
	tiAdvise testInvokeMode = iota + 1
	// tiSkip: the step does not run: it needs a deployed stage (usage plans
	// attach to stages; throttles and quotas count per stage and key).
	tiSkip
)

// testInvokeModes are the steps AWS's test invocation skips, by name;
// every other step runs as on a served request. A test checks that each
// name is a pipeline step.
var testInvokeModes = map[string]testInvokeMode{
	"policy":     tiAdvise, // AWS's test skips the resource policy too
	"authorizer": tiAdvise,
	"keysource":  tiAdvise,
	"key":        tiAdvise,
	"plan":       tiSkip,
	"throttle":   tiSkip,
	"quota":      tiSkip,
}

// testInvokeStep is run's treatment of step i in test-invoke mode for the
// steps of testInvokeModes: it never refuses, and traces what a request
// to a stage would have met.
func (g *Gateway) testInvokeStep(ctx context.Context, rq *request, i int, mode testInvokeMode) {
	name := pipeline[i].name
	ts := TraceStep{Name: name, Verdict: VerdictSkipped}
	const skipped = "skipped by test-invoke, as on AWS"
	switch {
	case mode == tiSkip:
		ts.Detail = skipped + " (usage plans, throttles and quotas apply to a deployed stage's callers; test-invoke-stage is none)"
	case rq.tiRefused:
		ts.Detail = skipped + " (not worked out: an earlier check would refuse)"
	default:
		if d := pipeline[i].run(g, ctx, rq); d != nil {
			ts.Reason = d.Reason
			ts.Detail = skipped + "; a request to a stage would be refused: " + string(d.Reason) + ": " + d.Detail
			// The key steps build on each other: after a refusal there is
			// nothing for the next to check.
			rq.tiRefused = name != "authorizer" && name != "policy"
		} else {
			ts.Reason = ReasonOK
			ts.Detail = skipped + "; a request to a stage would pass: " + g.passDetail(rq, name)
		}
		rq.note = rq.note[:0]
	}
	rq.trace.Steps = append(rq.trace.Steps, ts)
}

// TestInvokeMethod runs a method of an API's current definition (as
// stored now, deployed or not) on a simulated request, as AWS's
// TestInvokeMethod does: as stage "test-invoke-stage", with the given
// stage variables, without authorization and API keys, calling the
// integration for real (a MOCK answers, an HTTP_PROXY upstream is called).
// It goes through the served pipeline in test-invoke mode: the same steps
// and the same integration code; the steps AWS skips are traced, not
// applied (testInvokeModes), and nothing is counted or logged. The
// answer is what a caller would get, with AWS's execution log followed
// by Gatehouse's lines on each check ("Gatehouse: <step>: …"). A failing
// method is a result (status 5xx), not an error.
func (g *Gateway) TestInvokeMethod(ctx context.Context, def *apigw.RestAPI, resourceID, httpMethod string, in apigw.MethodTest) (apigw.MethodTestResult, error) {
	start := time.Now()
	now := start
	if g.now != nil {
		now = g.now()
	}
	var res apigw.MethodTestResult
	src := def.Resources[resourceID]
	if src == nil {
		return res, fmt.Errorf("API %s has no resource %s: %w", def.ID, resourceID, ErrTestInvokeInput)
	}
	api := state.TestInvokeAPI(def, testInvokeStage, in.StageVariables)
	st := api.Stages[testInvokeStage]
	if st.Table == nil {
		return res, fmt.Errorf("API %s's current definition does not compile: %w", def.ID, st.CompileErr)
	}
	var m route.Match
	for _, r := range st.Table.Resources() {
		if r.ID == resourceID {
			var found route.Result
			if m, found = st.Table.Lookup(r.Path, httpMethod); found != route.Found {
				return res, fmt.Errorf("resource %s of API %s has no %s method: %w", resourceID, def.ID, httpMethod, ErrTestInvokeInput)
			}
		}
	}
	if m.Resource == nil {
		return res, fmt.Errorf("resource %s of API %s is not reachable from the root: %w", resourceID, def.ID, ErrTestInvokeInput)
	}

	u, hdr, err := testInvokeRequest(in.PathWithQueryString, m.Resource.Path, in.Headers, in.MultiValueHeaders)
	if err != nil {
		return res, err
	}
	r := (&http.Request{
		Method: httpMethod, URL: u, Header: hdr, Host: def.ID + ".execute-api.test-invoke",
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, RemoteAddr: "127.0.0.1:0", RequestURI: u.RequestURI(),
		Body: io.NopCloser(strings.NewReader(in.Body)), ContentLength: int64(len(in.Body)),
	}).WithContext(ctx)
	rec := &testRecorder{h: http.Header{}, max: g.maxBody}
	rq := &request{w: rec, r: r, now: now, start: start, trusted: g.trusted, dryRun: true, testInvoke: true}
	newUUID(&rq.requestID)
	newAPIGWID(&rq.apigwID)
	rq.target = invokeTarget{apiID: def.ID, stage: testInvokeStage, path: u.EscapedPath()}
	rq.api, rq.stage, rq.match = api, st, m
	rq.methodID = st.MethodIDs[m.ThrottleKey()]
	// Path parameters come from the path when it matches the resource; a
	// path of another resource gives none (AWS: "{}", and empty values).
	if pm, found := st.Table.Match(httpMethod, u.EscapedPath(), &rq.params); found != route.Found || pm.Resource != m.Resource {
		rq.params.Reset()
	}
	tr := &Trace{Steps: make([]TraceStep, 0, len(pipeline))}
	rq.trace = tr

	id := string(rq.requestID[:])
	lg := newTestLog(now)
	lg.header(id)
	lg.line("Starting execution for request: %s", id)
	lg.line("HTTP Method: %s, Resource Path: %s", httpMethod, u.Path)
	lg.line("Method request path: %s", logParams(&rq.params))
	lg.line("Method request query string: %s", logValues(maskKeys(u.Query(), api.KeySources.Query)))
	lg.line("Method request headers: %s", logValues(maskKeys(hdr, append([]string{headerAPIKey, headerAuthorization}, api.KeySources.Headers...)...)))
	lg.line("Method request body before transformations: %s", in.Body)

	if d := g.run(ctx, rq); d != nil {
		g.refuse(rq, d)
	} else {
		m := rq.match.Method
		mapping := m != nil && m.Integration != nil && m.Integration.Type == apigw.IntegrationHTTP
		if rq.upstreamURL != "" {
			lg.line("Endpoint request URI: %s", rq.upstreamURL)
			if !mapping {
				lg.line("Endpoint request body after transformations: %s", in.Body)
				lg.line("Sending request to %s", rq.upstreamURL)
			}
		}
		g.integrate(ctx, rq)
		if m := rq.mapped; m != nil {
			// An HTTP integration maps both ways: its log shows both sides.
			lg.line("Endpoint request body after transformations: %s", m.reqBody)
			lg.line("Sending request to %s", rq.upstreamURL)
			if m.answer.status != 0 {
				lg.line("Received response. Status: %d, Integration latency: %d ms", m.answer.status, rq.integrationLatency.Milliseconds())
				lg.line("Endpoint response headers: %s", logValues(responseHeaders(m.answer.h)))
				lg.line("Endpoint response body before transformations: %s", m.answer.buf.String())
			}
		} else if rq.upstreamURL != "" && rq.decision == nil && !mapping {
			lg.line("Received response. Status: %d, Integration latency: %d ms", rec.status, rq.integrationLatency.Milliseconds())
			lg.line("Endpoint response headers: %s", logValues(responseHeaders(rec.h)))
			lg.line("Endpoint response body before transformations: %s", rec.body.String())
		}
	}
	res.Status, res.Body = rec.status, rec.body.String()
	if res.Status == 0 {
		res.Status = http.StatusOK
	}
	h := responseHeaders(rec.h)
	if len(h) > 0 {
		res.Headers, res.MultiValueHeaders = make(map[string]string, len(h)), make(map[string][]string, len(h))
		for k, vs := range h {
			res.Headers[k], res.MultiValueHeaders[k] = vs[0], vs
		}
	}
	if d := rq.decision; d != nil {
		lg.line("Execution failed due to configuration error: %s", d.Detail)
		lg.line("Gatehouse: refused %s at the %s step", d.Reason, stepOf(rq, d))
	} else {
		lg.line("Method response body after transformations: %s", res.Body)
		lg.line("Method response headers: %s", logValues(h))
		lg.line("Successfully completed execution")
	}
	lg.line("Method completed with status: %d", res.Status)
	for _, s := range tr.Steps {
		line := "Gatehouse: " + s.Name + ": "
		switch s.Verdict {
		case VerdictPass:
			line += "pass: " + s.Detail
		case VerdictRefuse:
			line += "refuse " + string(s.Reason) + ": " + s.Detail
		case VerdictNotReached:
			line += "not reached"
		default:
			line += s.Detail
		}
		lg.line("%s", line)
	}
	res.Log = lg.String()
	res.Latency = time.Since(start)
	return res, nil
}

// stepOf names the step a decision came from ("integration" for a failed
// call, which comes after the pipeline).
func stepOf(rq *request, _ *Decision) string {
	if rq.step != "" {
		return rq.step
	}
	return "integration"
}

// responseHeaders are the headers a test invocation reports: the
// response's, without the per-request ids AWS leaves out of its answer,
// x-amzn-ErrorType spelt as AWS spells it.
func responseHeaders(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		switch k {
		case hdrRequestID, hdrAPIGWID:
			continue
		case hdrErrorType:
			k = "x-amzn-ErrorType"
		}
		out[k] = vs
	}
	return out
}

// logParams prints path parameters as AWS's log does: {name=value, …}.
func logParams(p *route.Params) string {
	kv := map[string][]string{}
	for n, v := range p.All() {
		kv[n] = []string{v}
	}
	return logValues(kv)
}

// logValues prints a map as AWS's log prints Java maps: {k=v, k2=v2},
// keys sorted, the first value of each.
func logValues[M ~map[string][]string](m M) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteString(", ")
		}
		v := ""
		if vs := m[k]; len(vs) > 0 {
			v = vs[0]
		}
		b.WriteString(k + "=" + v)
	}
	b.WriteByte('}')
	return b.String()
}

// maskKeys returns m with the values under names (API keys, credentials)
// masked as AWS's logs mask them: all but the last four characters.
func maskKeys[M ~map[string][]string](m M, names ...string) M {
	out := make(M, len(m))
	for k, vs := range m {
		if slices.ContainsFunc(names, func(n string) bool { return n != "" && strings.EqualFold(n, k) }) {
			vs = []string{maskIdentity(vs[:1])}
		}
		out[k] = vs
	}
	return out
}

// testRecorder is the ResponseWriter of a test invocation: it keeps the
// status, the headers and the body (up to the payload limit).
type testRecorder struct {
	h      http.Header
	status int
	body   bytes.Buffer
	max    int64
}

func (w *testRecorder) Header() http.Header { return w.h }

func (w *testRecorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *testRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if room := w.max - int64(w.body.Len()); int64(len(b)) > room {
		w.body.Write(b[:max(room, 0)])
		return len(b), nil
	}
	return w.body.Write(b)
}

// testInvokeRequest is the URL and headers a test invocation (of a method
// or an authorizer) runs with: pathWithQueryString (def when empty), which
// must be a path, and the multi-value headers, then the single-value ones
// replacing them.
func testInvokeRequest(pathQS, def string, headers map[string]string, multi map[string][]string) (*url.URL, http.Header, error) {
	if pathQS == "" {
		pathQS = def
	}
	u, err := url.Parse(pathQS)
	if err != nil || !strings.HasPrefix(u.Path, "/") {
		return nil, nil, fmt.Errorf("pathWithQueryString %q is not a path (it must start with /): %w", pathQS, ErrTestInvokeInput)
	}
	hdr := http.Header{}
	for k, vs := range multi {
		for _, v := range vs {
			hdr.Add(k, v)
		}
	}
	for k, v := range headers {
		hdr.Set(k, v)
	}
	return u, hdr, nil
}
