package gateway

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/authorizer"
)

// Response headers every answer carries.
const (
	hdrRequestID = "X-Amzn-Requestid"
	hdrAPIGWID   = "X-Amz-Apigw-Id"
	hdrErrorType = "X-Amzn-Errortype"
	hdrReason    = "X-Gatehouse-Reason"
)

// contentTypeJSON is shared by every JSON response (net/http never
// modifies header value slices).
var contentTypeJSON = []string{"application/json"}

// stampHeaders sets the ids AWS puts on every response, with one string
// and one slice allocation for both.
func stampHeaders(rq *request) {
	var ids [len(rq.requestID) + len(rq.apigwID)]byte
	copy(ids[:], rq.requestID[:])
	copy(ids[len(rq.requestID):], rq.apigwID[:])
	both := string(ids[:])
	vals := make([]string, 2)
	vals[0], vals[1] = both[:len(rq.requestID)], both[len(rq.requestID):]
	h := rq.w.Header()
	h[hdrRequestID] = vals[0:1:1]
	h[hdrAPIGWID] = vals[1:2:2]
	if rq.stage != nil && rq.stage.RateLimitHeaders && !rq.dryRun {
		writeRateLimit(rq)
	}
}

// setContentType sets Content-Type without allocating for JSON.
func setContentType(h http.Header, ctype string) {
	if ctype == "application/json" {
		h["Content-Type"] = contentTypeJSON
		return
	}
	h["Content-Type"] = []string{ctype}
}

// refuse answers a refusal with the API's gateway response for the
// decision's reason (AWS's built-in answer unless customised), and records
// it.
func (g *Gateway) refuse(rq *request, d *Decision) {
	rq.decision = d
	spec, res := g.resolve(rq, d)
	ctype, body := "application/json", ""
	if res.Customised {
		ctype, body = pickTemplate(res.Templates, rq.r.Header.Get("Accept"))
		body = g.renderGatewayResponse(rq, body, spec)
	} else {
		body = defaultBody(spec)
	}
	stampHeaders(rq)
	h := rq.w.Header()
	setContentType(h, ctype)
	h[hdrErrorType] = []string{spec.ErrorType}
	if d.RetryAfter > 0 {
		secs := int64((d.RetryAfter + 999_999_999) / 1_000_000_000)
		h["Retry-After"] = []string{strconv.FormatInt(secs, 10)}
	}
	// CORS headers first: a customisation's own headers win.
	corsOnRefusal(rq, h)
	for name, expr := range res.Parameters {
		if hn, ok := strings.CutPrefix(name, "gatewayresponse.header."); ok {
			if v, ok := paramValue(expr, rq); ok {
				h.Set(hn, v)
			}
		}
	}
	// The reason code only, and only where the stage opted in: the detail
	// names keys, plans and limits, which are nobody's business but the
	// operator's (it goes to the access log).
	if rq.stage != nil && rq.stage.ReasonHeader {
		h[hdrReason] = []string{string(d.Reason)}
	}
	rq.status = res.Status
	rq.w.WriteHeader(res.Status)
	io.WriteString(rq.w, body)
}

// resolve works out how a refusal is answered. An API's customised gateway
// responses apply only once the request has reached one of its stages:
// before that (unknown API or stage, the execute-api endpoint disabled)
// the caller gets the built-in answer, as on AWS, where gateway responses
// belong to what a stage serves.
func (g *Gateway) resolve(rq *request, d *Decision) (apigw.ResponseSpec, apigw.Resolved) {
	spec := answerFor(d.Reason)
	if d.Message != "" {
		spec = spec.WithMessage(d.Message)
	}
	if rq.stage == nil || rq.api == nil {
		return spec, apigw.Resolved{Status: spec.Status}
	}
	return spec, apigw.ResolveGatewayResponse(rq.api.GatewayResponses, spec)
}

// defaultBody is the body of an uncustomised gateway response:
// {"message":$context.error.messageString} ({"Message":…} for
// ACCESS_DENIED, as AWS sends it).
func defaultBody(spec apigw.ResponseSpec) string {
	return `{"` + spec.Type.MessageKey() + `":` + messageString(spec.Message) + `}`
}

// messageString is $context.error.messageString: the message as a JSON
// string, or null when there is none.
func messageString(message string) string {
	if message == "" {
		return "null"
	}
	b, _ := json.Marshal(message)
	return string(b)
}

// pickTemplate chooses the response template for the caller's Accept
// header, else application/json, else any.
func pickTemplate(ts map[string]string, accept string) (ctype, body string) {
	if accept != "" {
		for ct, t := range ts {
			if strings.Contains(accept, ct) {
				return ct, t
			}
		}
	}
	if t, ok := ts["application/json"]; ok {
		return "application/json", t
	}
	for ct, t := range ts {
		return ct, t
	}
	return "application/json", ""
}

// contextVar returns one $context variable.
func contextVar(name string, rq *request, oc apigw.ResponseSpec) string {
	switch name {
	case "error.message":
		return oc.Message
	case "error.messageString":
		return messageString(oc.Message)
	case "error.responseType":
		return string(oc.Type)
	case "requestId", "extendedRequestId":
		return string(rq.requestID[:])
	case "apiId":
		return rq.target.apiID
	case "stage":
		return rq.target.stage
	case "httpMethod":
		return rq.r.Method
	case "path":
		return rq.escapedPath()
	case "resourcePath":
		if rq.match.Resource != nil {
			return rq.match.Resource.Path
		}
	case "resourceId":
		if rq.match.Resource != nil {
			return rq.match.Resource.ID
		}
	case "identity.sourceIp":
		return clientIP(rq.r, rq.trusted)
	case "identity.userAgent":
		return rq.r.UserAgent()
	case "identity.apiKeyId":
		if rq.key != nil {
			return rq.key.ID
		}
	case "authorizer.principalId":
		if rq.auth != nil {
			return rq.auth.PrincipalID
		}
	case "requestTimeEpoch":
		return strconv.FormatInt(rq.now.UnixMilli(), 10)
	case "protocol":
		return rq.r.Proto
	default:
		if k, ok := strings.CutPrefix(name, "authorizer."); ok && rq.auth != nil {
			return authorizer.ContextString(rq.auth.Context[k])
		}
	}
	return ""
}

// paramValue resolves a response parameter expression: 'static',
// method.request.header.X, method.request.querystring.X,
// method.request.path.X, stageVariables.X or context.X.
func paramValue(expr string, rq *request) (string, bool) {
	if len(expr) >= 2 && expr[0] == '\'' && expr[len(expr)-1] == '\'' {
		return expr[1 : len(expr)-1], true
	}
	switch {
	case strings.HasPrefix(expr, "method.request.header."):
		v := rq.r.Header.Get(expr[len("method.request.header."):])
		return v, v != ""
	case strings.HasPrefix(expr, "method.request.querystring."):
		v := rq.r.URL.Query().Get(expr[len("method.request.querystring."):])
		return v, v != ""
	case strings.HasPrefix(expr, "method.request.path."):
		return rq.params.Get(expr[len("method.request.path."):])
	case strings.HasPrefix(expr, "stageVariables."):
		if rq.stage == nil {
			return "", false
		}
		v, ok := rq.stage.Variables[expr[len("stageVariables."):]]
		return v, ok
	case strings.HasPrefix(expr, "context."):
		v := contextVar(expr[len("context."):], rq, apigw.ResponseSpec{})
		return v, v != ""
	}
	return "", false
}
