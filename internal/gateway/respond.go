package gateway

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// Response headers every answer carries.
const (
	hdrRequestID = "X-Amzn-Requestid"
	hdrAPIGWID   = "X-Amz-Apigw-Id"
	hdrErrorType = "X-Amzn-Errortype"
	hdrReason    = "X-Gatehouse-Reason"
	hdrDetail    = "X-Gatehouse-Detail"
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
// decision's type (AWS's default unless customised), and records it.
func (g *Gateway) refuse(rq *request, d *Decision) {
	rq.decision = d
	oc, ok := outcomes[d.Reason]
	if !ok {
		oc = outcome{"DEFAULT_4XX", http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request Too Long"}
	}
	status, ctype, body := oc.status, "application/json", ""
	var params map[string]string
	custom := false
	if rq.api != nil && oc.responseType != "" && len(rq.api.GatewayResponses) > 0 {
		if gr, ok := apigw.EffectiveGatewayResponse(rq.api.GatewayResponses, oc.responseType); ok && (!gr.Default || gr.StatusCode != apigw.GatewayResponseDefaults[oc.responseType] || len(gr.ResponseParameters) > 0 || !isDefaultTemplates(gr.ResponseTemplates)) {
			custom = true
			if n, err := strconv.Atoi(gr.StatusCode); err == nil && n >= 100 && n <= 599 {
				status = n
			}
			params = gr.ResponseParameters
			ctype, body = pickTemplate(gr.ResponseTemplates, rq.r.Header.Get("Accept"))
			body = expand(body, rq, oc)
		}
	}
	if !custom {
		body = defaultBody(oc.message)
	}
	stampHeaders(rq)
	h := rq.w.Header()
	setContentType(h, ctype)
	h[hdrErrorType] = []string{oc.errorType}
	if d.RetryAfter > 0 {
		secs := int64((d.RetryAfter + 999_999_999) / 1_000_000_000)
		h["Retry-After"] = []string{strconv.FormatInt(secs, 10)}
	}
	for name, expr := range params {
		if hn, ok := strings.CutPrefix(name, "gatewayresponse.header."); ok {
			if v, ok := paramValue(expr, rq); ok {
				h.Set(hn, v)
			}
		}
	}
	if rq.stage != nil && rq.stage.DataTrace {
		h[hdrReason] = []string{string(d.Reason)}
		h[hdrDetail] = []string{sanitizeHeader(d.Detail)}
	}
	rq.status = status
	rq.w.WriteHeader(status)
	io.WriteString(rq.w, body)
}

func isDefaultTemplates(t map[string]string) bool {
	return len(t) == 0 || (len(t) == 1 && t["application/json"] == apigw.DefaultTemplate)
}

// defaultBody is the body of an uncustomised gateway response:
// {"message":$context.error.messageString}.
func defaultBody(message string) string {
	b, _ := json.Marshal(message)
	return `{"message":` + string(b) + `}`
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

// expand substitutes the $context variables a gateway response or MOCK
// template may use. Unknown variables expand to the empty string, as in
// AWS's VTL.
func expand(tmpl string, rq *request, oc outcome) string {
	if !strings.Contains(tmpl, "$") {
		return tmpl
	}
	var b strings.Builder
	for {
		i := strings.Index(tmpl, "$context.")
		j := strings.Index(tmpl, "$stageVariables.")
		if j >= 0 && (i < 0 || j < i) {
			b.WriteString(tmpl[:j])
			rest := tmpl[j+len("$stageVariables."):]
			n := identLen(rest)
			if rq.stage != nil {
				b.WriteString(rq.stage.Variables[rest[:n]])
			}
			tmpl = rest[n:]
			continue
		}
		if i < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		b.WriteString(tmpl[:i])
		rest := tmpl[i+len("$context."):]
		n := identLen(rest)
		b.WriteString(contextVar(rest[:n], rq, oc))
		tmpl = rest[n:]
	}
}

func identLen(s string) int {
	n := 0
	for n < len(s) {
		c := s[n]
		if c == '.' && n+1 < len(s) && isIdent(s[n+1]) {
			n++
			continue
		}
		if !isIdent(c) {
			break
		}
		n++
	}
	return n
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// contextVar returns one $context variable.
func contextVar(name string, rq *request, oc outcome) string {
	switch name {
	case "error.message":
		return oc.message
	case "error.messageString":
		b, _ := json.Marshal(oc.message)
		return string(b)
	case "error.responseType":
		return oc.responseType
	case "requestId", "extendedRequestId":
		return string(rq.requestID[:])
	case "apiId":
		return rq.target.apiID
	case "stage":
		return rq.target.stage
	case "httpMethod":
		return rq.r.Method
	case "path":
		return rq.r.URL.EscapedPath()
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
	case "requestTimeEpoch":
		return strconv.FormatInt(rq.now.UnixMilli(), 10)
	case "protocol":
		return rq.r.Proto
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
		v := contextVar(expr[len("context."):], rq, outcome{})
		return v, v != ""
	}
	return "", false
}

// sanitizeHeader keeps a header value on one printable line.
func sanitizeHeader(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
