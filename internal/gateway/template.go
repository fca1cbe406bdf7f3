package gateway

import (
	"context"
	"strconv"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/authorizer"
	"github.com/gatehouse-dev/gatehouse/internal/vtl"
)

// compiledTemplate is a mapping template compiled once per stage
// configuration (the stage cache is replaced with the stage).
type compiledTemplate struct {
	tpl *vtl.Template
	err error
}

// isTemplate reports a body that VTL could change: one with a reference or
// a directive. Others are answered as written (the fixed-answer path).
func isTemplate(body string) bool { return strings.ContainsAny(body, "$#") }

// template returns the compiled template for src: the one compiled with
// the deployment (or, for a gateway response, with the API) when the state
// has it; else (a template the state never saw: test-invoke-method of an
// undeployed method) compiled once per stage configuration.
func (g *Gateway) template(rq *request, src string) (*vtl.Template, error) {
	if rq.stage != nil {
		if t := rq.stage.Templates.Get(src); t != nil {
			return t.Tpl, t.Err
		}
	}
	if rq.api != nil {
		if t := rq.api.GatewayTemplates.Get(src); t != nil {
			return t.Tpl, t.Err
		}
	}
	if rq.stage == nil {
		return vtl.Compile(src)
	}
	c := g.stageCache(rq.stage)
	if v, ok := c.templates.Load(src); ok {
		ct := v.(*compiledTemplate)
		return ct.tpl, ct.err
	}
	tpl, err := vtl.Compile(src)
	v, _ := c.templates.LoadOrStore(src, &compiledTemplate{tpl: tpl, err: err})
	ct := v.(*compiledTemplate)
	return ct.tpl, ct.err
}

// render evaluates a mapping template against the request, with body as
// $input.body. A template that does not compile or goes past its limits
// is refused with INTEGRATION_FAILURE (AWS answers 500 Internal server
// error for a failed mapping; the existing reason answers 502). The
// request's $context is shared by all its templates: what the request
// template sets ($context.responseOverride, a key of its own), the
// response template reads.
func (g *Gateway) render(ctx context.Context, rq *request, src, body string) (string, *Decision) {
	if !isTemplate(src) {
		return src, nil
	}
	tpl, err := g.template(rq, src)
	if err != nil {
		return "", refuse(ReasonIntegrationFailure, "the mapping template does not compile: "+err.Error())
	}
	out, err := tpl.Render(ctx, &vtlRequest{rq: rq, body: body}, vtl.Limits{})
	if err != nil {
		return "", refuse(ReasonIntegrationFailure, "the mapping template failed: "+err.Error())
	}
	return out, nil
}

// vtlRequest is what a mapping template reads of a request.
type vtlRequest struct {
	rq   *request
	body string
	// gwError, for a gateway response template, is the refusal answered:
	// $context.error.message, .messageString and .responseType.
	gwError *apigw.ResponseSpec
}

func (v *vtlRequest) Body() string { return v.body }

func (v *vtlRequest) Params(location string) map[string]string {
	m := map[string]string{}
	switch location {
	case "path":
		for n, val := range v.rq.params.All() {
			m[n] = val
		}
	case "querystring":
		for n, vals := range v.rq.r.URL.Query() {
			m[n] = vals[len(vals)-1]
		}
	case "header":
		for n, vals := range v.rq.r.Header {
			m[n] = vals[len(vals)-1]
		}
	}
	return m
}

func (v *vtlRequest) Context() map[string]any {
	rq := v.rq
	if rq.vctx == nil {
		rq.vctx = newVTLContext(rq)
	}
	if e := v.gwError; e != nil {
		rq.vctx["error"] = map[string]any{"message": e.Message, "messageString": messageString(e.Message), "responseType": string(e.Type)}
	}
	return rq.vctx
}

// newVTLContext builds a request's $context.
func newVTLContext(rq *request) map[string]any {
	c := map[string]any{
		"requestId":         string(rq.requestID[:]),
		"extendedRequestId": string(rq.requestID[:]),
		"apiId":             rq.target.apiID,
		"stage":             rq.target.stage,
		"httpMethod":        rq.r.Method,
		"path":              rq.escapedPath(),
		"protocol":          rq.r.Proto,
		"requestTimeEpoch":  strconv.FormatInt(rq.now.UnixMilli(), 10),
		"requestTime":       rq.now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
		"requestOverride":   map[string]any{"header": map[string]any{}, "path": map[string]any{}, "querystring": map[string]any{}},
		"responseOverride":  map[string]any{"header": map[string]any{}},
	}
	if r := rq.match.Resource; r != nil {
		c["resourcePath"], c["resourceId"] = r.Path, r.ID
	}
	if st := rq.stage; st != nil {
		c["deploymentId"] = st.DeploymentID
		// AWS sets $context.isCanaryRequest only on a stage with a canary.
		if st.IsCanary {
			c["isCanaryRequest"] = "true"
		} else if st.Canary != nil {
			c["isCanaryRequest"] = "false"
		}
	}
	id := map[string]any{"sourceIp": clientIP(rq.r, rq.trusted), "userAgent": rq.r.UserAgent()}
	if rq.key != nil {
		id["apiKeyId"] = rq.key.ID
	}
	c["identity"] = id
	if rq.auth != nil {
		a := map[string]any{"principalId": rq.auth.PrincipalID}
		for k, val := range rq.auth.Context {
			a[k] = authorizer.ContextString(val)
		}
		c["authorizer"] = a
	}
	return c
}

func (v *vtlRequest) StageVariables() map[string]string {
	if v.rq.stage == nil {
		return nil
	}
	return v.rq.stage.Variables
}

// renderGatewayResponse renders a customised gateway response's body
// template as VTL ($context.error.message, .messageString, .responseType,
// and all of $context, $stageVariables, $input.params()), compiled when
// the API was loaded. A template that fails to render answers AWS's
// default body for the refusal instead: the caller still gets its status.
func (g *Gateway) renderGatewayResponse(rq *request, src string, spec apigw.ResponseSpec) string {
	if !isTemplate(src) {
		return src
	}
	tpl, err := g.template(rq, src)
	if err == nil {
		var out string
		if out, err = tpl.Render(rq.r.Context(), &vtlRequest{rq: rq, gwError: &spec}, vtl.Limits{}); err == nil {
			return out
		}
	}
	g.log.Warn("gateway response template failed; answering the default body", "apiId", rq.target.apiID, "responseType", string(spec.Type), "error", err)
	return defaultBody(spec)
}
