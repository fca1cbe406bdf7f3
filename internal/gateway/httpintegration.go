package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/proxy"
	"github.com/gatehouse-dev/gatehouse/internal/vtl"
)

// Passthrough behaviours of an integration (passthroughBehavior): what
// happens to a request whose Content-Type has no request template.
const (
	passthroughWhenNoMatch     = "WHEN_NO_MATCH" // the default: the body passes through
	passthroughWhenNoTemplates = "WHEN_NO_TEMPLATES"
	passthroughNever           = "NEVER"
)

// requestMediaType is the media type a request template is chosen by:
// the Content-Type without parameters, lower case; application/json when
// the request has none, as on AWS.
func requestMediaType(ctype string) string {
	if ctype == "" {
		return "application/json"
	}
	mt, _, err := mime.ParseMediaType(ctype)
	if err != nil {
		mt, _, _ = strings.Cut(ctype, ";")
	}
	return strings.ToLower(strings.TrimSpace(mt))
}

// selectRequestTemplate picks an integration's request template for the
// request's Content-Type. found is false when the body passes through
// untransformed; the decision is AWS's 415 when passthroughBehavior
// refuses an unmapped content type (NEVER always, WHEN_NO_TEMPLATES when
// the integration has templates).
func selectRequestTemplate(in *apigw.Integration, ctype string) (src string, found bool, d *Decision) {
	mt := requestMediaType(ctype)
	if t, ok := in.RequestTemplates[mt]; ok {
		return t, true, nil
	}
	for k, t := range in.RequestTemplates {
		if strings.EqualFold(k, mt) {
			return t, true, nil
		}
	}
	switch strings.ToUpper(in.PassthroughBehavior) {
	case passthroughNever:
		return "", false, refuse(ReasonUnsupportedMediaType, fmt.Sprintf("the integration has no request template for content type %s and its passthroughBehavior is NEVER", quote(mt)))
	case passthroughWhenNoTemplates:
		if len(in.RequestTemplates) > 0 {
			return "", false, refuse(ReasonUnsupportedMediaType, fmt.Sprintf("the integration has request templates, none for content type %s, and its passthroughBehavior is WHEN_NO_TEMPLATES", quote(mt)))
		}
	}
	return "", false, nil
}

// checkHTTP is checkIntegration for an HTTP (non-proxy) integration: it
// chooses the request template (or refuses the content type) and resolves
// the upstream URL from the integration's request parameters: {name} in
// the uri from integration.request.path.name (else the method's path
// parameter of that name), the query string from
// integration.request.querystring.* only (the caller's query string is
// not sent, as on AWS).
func (g *Gateway) checkHTTP(rq *request, in *apigw.Integration) *Decision {
	src, found, d := selectRequestTemplate(in, rq.r.Header.Get("Content-Type"))
	if d != nil {
		return d
	}
	rq.reqTemplate, rq.reqTemplateSet = src, found
	greedy := ""
	if m := rq.match.Resource; m != nil {
		if p := m.Part(); p.Kind == 2 { // respath.Greedy
			greedy = p.Name
			for name, expr := range in.RequestParameters {
				if v, ok := strings.CutPrefix(name, "integration.request.path."); ok && expr == "method.request.path."+p.Name {
					greedy = v
				}
			}
		}
	}
	pathParam := func(name string) (string, bool) {
		if expr, ok := in.RequestParameters["integration.request.path."+name]; ok {
			return paramValue(expr, rq)
		}
		return rq.params.Get(name)
	}
	url, err := proxy.ResolveURL(in.URI, pathParam, rq.stage.Variables, greedy, "")
	if errors.Is(err, proxy.ErrDotSegment) {
		return refuse(ReasonPathDotSegment, fmt.Sprintf("integration uri %s: %v", in.URI, err))
	}
	if err != nil {
		return refuse(ReasonIntegrationURI, fmt.Sprintf("integration uri %s: %v", in.URI, err))
	}
	rq.upstreamURL = appendIntegrationQuery(url, in, rq)
	return nil
}

// httpIntegration calls an HTTP (non-proxy) integration: the request
// template (or the body, passed through) goes upstream with only the
// mapped headers, and the upstream's answer goes through the integration
// response its status selects (selectionPattern on the status code):
// status, response template (with $input the upstream's body) and
// response parameters. The upstream's own headers reach the caller only
// through integration.response.header.* mappings.
func (g *Gateway) httpIntegration(ctx context.Context, rq *request, in *apigw.Integration) {
	body, d := readBody(rq.r, g.maxBody)
	if d != nil {
		g.refuse(rq, d)
		return
	}
	out := body
	ctype := rq.r.Header.Get("Content-Type")
	if rq.reqTemplateSet {
		s, d := g.render(ctx, rq, rq.reqTemplate, string(body))
		if d != nil {
			g.refuse(rq, d)
			return
		}
		out = []byte(s)
		ctype = requestMediaType(ctype)
	}
	timeout := time.Duration(in.TimeoutInMillis) * time.Millisecond
	if timeout <= 0 {
		timeout = apigw.DefaultIntegrationTimeout * time.Millisecond
	}
	up := rq.r.Clone(ctx)
	up.Header = http.Header{"Accept": contentTypeJSON, "User-Agent": {"AmazonAPIGateway_" + rq.api.ID}}
	if len(out) > 0 {
		if ctype == "" {
			ctype = "application/json"
		}
		up.Header["Content-Type"] = []string{ctype}
		up.Body, up.ContentLength = io.NopCloser(bytes.NewReader(out)), int64(len(out))
	} else {
		up.Body, up.ContentLength = http.NoBody, 0
	}
	method := in.HTTPMethod
	if method == "" || method == "ANY" {
		method = rq.r.Method
	}
	url := rq.upstreamURL
	cw := &captureWriter{h: http.Header{}}
	if rq.testInvoke {
		rq.mapped = &mappedCall{reqBody: string(out), answer: cw}
	}
	res, err := g.proxy.Forward(cw, up, proxy.Target{
		Method:    method,
		URL:       url,
		Timeout:   timeout,
		APIID:     rq.api.ID,
		RequestID: string(rq.requestID[:]),
		Headers:   integrationHeaders(in, rq),
		// Mapped headers only: the caller's key cannot be among them
		// unless a mapping copies it, which the proxy refuses.
		StripHeaders: upstreamStripHeaders(rq),
		Mapped:       true,
		ClientCert:   rq.stage.ClientCert,
	})
	rq.integrationLatency = res.Latency
	if err != nil {
		// Nothing reached the caller: the answer was being captured.
		g.refuse(rq, proxyFailure(err, url, timeout, g.maxBody))
		return
	}
	g.integrationResponse(ctx, rq, in, cw.status, cw.h, cw.buf.String())
}

// integrationResponse answers the caller from an integration's answer:
// the integration response whose selectionPattern matches the status
// (else the default one) gives the status, the body (its template for the
// caller's Accept, rendered with $input the integration's body; the body
// as it came without one) and the headers (responseParameters), and
// $context.responseOverride, set by any template, has the last word.
func (g *Gateway) integrationResponse(ctx context.Context, rq *request, in *apigw.Integration, status int, upHeader http.Header, upBody string) {
	code := strconv.Itoa(status)
	ir := selectResponse(in.IntegrationResponses, code)
	if ir == nil {
		g.refuse(rq, refuse(ReasonNoIntegrationResponse, "the integration answered "+code+"; no integration response's selectionPattern matches it and none is the default (empty selectionPattern)"))
		return
	}
	out, err := strconv.Atoi(ir.StatusCode)
	if err != nil || out < 100 || out > 599 {
		g.refuse(rq, refuse(ReasonNoIntegrationResponse, "integration response status "+quote(ir.StatusCode)+" is not an HTTP status"))
		return
	}
	ctype, body := "application/json", upBody
	if len(ir.ResponseTemplates) > 0 {
		var src string
		ctype, src = pickTemplate(ir.ResponseTemplates, rq.r.Header.Get("Accept"))
		var d *Decision
		if body, d = g.render(ctx, rq, src, upBody); d != nil {
			g.refuse(rq, d)
			return
		}
	}
	stampHeaders(rq)
	h := rq.w.Header()
	setContentType(h, ctype)
	for name, expr := range ir.ResponseParameters {
		hn, ok := strings.CutPrefix(name, "method.response.header.")
		if !ok {
			continue
		}
		if v, ok := responseParamValue(expr, rq, upHeader, upBody); ok {
			h.Set(hn, v)
		}
	}
	out = applyResponseOverride(rq, h, out)
	corsOnAnswer(rq, h)
	rq.status = out
	rq.w.WriteHeader(out)
	io.WriteString(rq.w, body)
}

// responseParamValue resolves an integration response parameter:
// integration.response.header.X, integration.response.body (the whole
// body), integration.response.body.PATH (JSONPath into it), or anything
// paramValue reads ('static', method.request.*, stageVariables.*,
// context.*).
func responseParamValue(expr string, rq *request, upHeader http.Header, upBody string) (string, bool) {
	switch {
	case strings.HasPrefix(expr, "integration.response.header."):
		v := upHeader.Get(expr[len("integration.response.header."):])
		return v, v != ""
	case expr == "integration.response.body":
		return upBody, true
	case strings.HasPrefix(expr, "integration.response.body."):
		return vtl.JSONPath(upBody, expr[len("integration.response.body."):])
	}
	return paramValue(expr, rq)
}

// applyResponseOverride applies what templates set in
// $context.responseOverride: status (a number 100-599; anything else is
// ignored, as AWS ignores it) and header.NAME, and returns the status.
func applyResponseOverride(rq *request, h http.Header, status int) int {
	ro, _ := rq.vctx["responseOverride"].(map[string]any)
	if ro == nil {
		return status
	}
	if v, ok := ro["status"]; ok {
		if n, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(v))); err == nil && n >= 100 && n <= 599 {
			status = n
		}
	}
	if hs, ok := ro["header"].(map[string]any); ok {
		for name, v := range hs {
			if s := fmt.Sprint(v); name != "" && v != nil {
				h.Set(name, s)
			}
		}
	}
	return status
}

// mappedCall is an HTTP integration's call as test-invoke-method logs it:
// the body after the request template, the upstream's answer before the
// response template.
type mappedCall struct {
	reqBody string
	answer  *captureWriter
}

// captureWriter keeps an integration's answer for the integration
// response to map (the proxy caps its body at the payload limit).
type captureWriter struct {
	h      http.Header
	status int
	buf    bytes.Buffer
}

func (c *captureWriter) Header() http.Header { return c.h }

func (c *captureWriter) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}

func (c *captureWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return c.buf.Write(p)
}
