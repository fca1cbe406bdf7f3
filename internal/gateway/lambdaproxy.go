package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/authorizer"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/proxy"
	"github.com/gatehouse-dev/gatehouse/internal/lambda"
)

// checkLambdaProxy is the integration step for AWS_PROXY: the URI, its
// ${stageVariables.name} references resolved, must name a function, and a
// Lambda function needs an endpoint.
func (g *Gateway) checkLambdaProxy(rq *request, in *apigw.Integration) *Decision {
	uri, err := stageVarsIn(in.URI, rq.stage.Variables)
	if err != nil {
		return refuse(ReasonIntegrationURI, "AWS_PROXY integration uri "+in.URI+": "+err.Error())
	}
	t, err := lambda.ParseURI(uri)
	if err != nil {
		return refuse(ReasonIntegrationURI, "AWS_PROXY integration uri: "+err.Error())
	}
	rq.functionURI = uri
	if !t.IsHTTP() && !g.hasEndpoint() {
		return refuse(ReasonFunctionNoEndpoint, "the AWS_PROXY integration calls function "+t.Function+", and the node has no Lambda endpoint (--lambda-endpoint)")
	}
	return nil
}

// stageVarsIn resolves ${stageVariables.name} references in a function
// URI (AWS allows them, e.g. for an alias: function:pets:${stageVariables.alias}).
// A variable the stage does not have is an error naming it.
func stageVarsIn(uri string, vars map[string]string) (string, error) {
	const open = "${stageVariables."
	if !strings.Contains(uri, open) {
		return uri, nil
	}
	var b strings.Builder
	rest := uri
	for {
		i := strings.Index(rest, open)
		if i < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		b.WriteString(rest[:i])
		rest = rest[i+len(open):]
		j := strings.IndexByte(rest, '}')
		if j < 0 {
			return "", errors.New("a ${stageVariables. reference is not closed with }")
		}
		v, ok := vars[rest[:j]]
		if !ok {
			return "", fmt.Errorf("the stage has no variable %s", quote(rest[:j]))
		}
		b.WriteString(v)
		rest = rest[j+1:]
	}
}

// hasEndpoint reports whether the gateway can call Lambda functions: an
// invoker is set and, when it says (lambda.Client), it has an endpoint.
func (g *Gateway) hasEndpoint() bool {
	if g.functions == nil {
		return false
	}
	if e, ok := g.functions.(interface{ Endpoint() string }); ok {
		return e.Endpoint() != ""
	}
	return true
}

// maxFunctionDetail caps the function's own text (its error message) in a
// decision's detail.
const maxFunctionDetail = 200

// lambdaProxy calls an AWS_PROXY integration's function with the Lambda
// proxy event (v1) and answers with the proxy response it returns.
func (g *Gateway) lambdaProxy(ctx context.Context, rq *request, in *apigw.Integration) {
	uri := rq.functionURI
	fn := uri
	if t, err := lambda.ParseURI(uri); err == nil {
		fn = t.Name()
	}
	payload, d := g.proxyEvent(rq)
	if d != nil {
		g.refuse(rq, d)
		return
	}
	if g.functions == nil {
		g.refuse(rq, refuse(ReasonFunctionNoEndpoint, "the AWS_PROXY integration calls function "+fn+", and the node has no Lambda endpoint (--lambda-endpoint)"))
		return
	}
	timeout := time.Duration(in.TimeoutInMillis) * time.Millisecond
	if timeout <= 0 {
		timeout = apigw.DefaultIntegrationTimeout * time.Millisecond
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	start := time.Now()
	res, err := g.functions.Invoke(cctx, uri, payload)
	rq.integrationLatency = time.Since(start)
	cancel()
	if err != nil {
		g.refuse(rq, functionFailure(err, fn, timeout, ctx))
		return
	}
	if res.FunctionError != "" {
		msg, typ := lambda.FunctionErrorOf(res.Payload)
		g.refuse(rq, refuse(ReasonFunctionError, fmt.Sprintf("function %s failed (%s): errorType %s, errorMessage %s", fn, res.FunctionError, quote(clipText(typ, 100)), quote(clipText(msg, maxFunctionDetail)))))
		return
	}
	if int64(len(res.Payload)) > g.maxBody {
		g.refuse(rq, refuse(ReasonFunctionTooLarge, fmt.Sprintf("function %s answered %d bytes, over the %d-byte payload limit", fn, len(res.Payload), g.maxBody)))
		return
	}
	pr, err := parseProxyResponse(res.Payload, acceptsBinary(rq.r.Header.Values("Accept"), rq.stage.BinaryMediaTypes))
	if err != nil {
		g.refuse(rq, refuse(ReasonFunctionMalformed, fmt.Sprintf("function %s answered a malformed Lambda proxy response: %v", fn, err)))
		return
	}
	stampHeaders(rq)
	h := rq.w.Header()
	proxy.CopyResponseHeader(h, pr.header)
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = contentTypeJSON
	}
	h["Content-Length"] = []string{strconv.Itoa(len(pr.body))}
	rq.status = pr.status
	rq.w.WriteHeader(pr.status)
	rq.w.Write(pr.body)
}

// functionFailure names why an invocation failed.
func functionFailure(err error, fn string, timeout time.Duration, caller context.Context) *Decision {
	var ie *lambda.InvokeError
	switch {
	case caller.Err() != nil && !errors.Is(caller.Err(), context.DeadlineExceeded):
		return refuse(ReasonClientGone, fmt.Sprintf("the caller went away while function %s was called", fn))
	case errors.Is(err, lambda.ErrTimeout):
		return refuse(ReasonFunctionTimeout, fmt.Sprintf("function %s did not answer within %s: %v", fn, timeout, err))
	case errors.Is(err, lambda.ErrTooLarge):
		return refuse(ReasonFunctionTooLarge, err.Error())
	case errors.Is(err, lambda.ErrNoEndpoint):
		return refuse(ReasonFunctionNoEndpoint, err.Error())
	case errors.Is(err, lambda.ErrBadURI):
		return refuse(ReasonIntegrationURI, err.Error())
	case errors.As(err, &ie) && ie.AccessDenied():
		return refuse(ReasonFunctionInvokeForbidden, clipText(err.Error(), 400))
	}
	return refuse(ReasonFunctionInvokeFailed, clipText(err.Error(), 400))
}

// proxyEvent builds the Lambda proxy event (v1) of a request.
func (g *Gateway) proxyEvent(rq *request) ([]byte, *Decision) {
	r := rq.r
	body, d := readBody(r, g.maxBody)
	if d != nil {
		return nil, d
	}
	ev := events.APIGatewayProxyRequest{
		HTTPMethod: r.Method,
		Path:       rq.target.path,
	}
	if p, err := url.PathUnescape(rq.target.path); err == nil {
		ev.Path = p
	}
	if res := rq.match.Resource; res != nil {
		ev.Resource = res.Path
		ev.RequestContext.ResourceID = res.ID
		ev.RequestContext.ResourcePath = res.Path
	}
	ev.Headers, ev.MultiValueHeaders = eventHeaders(r.Header)
	// The key sources beyond AWS (gatehouse:apiKey*) never reach the
	// function: their headers and query parameter go, as for HTTP_PROXY
	// upstreams. x-api-key stays, as AWS sends it (and, like AWS, the
	// event's identity.apiKey carries the key).
	for _, h := range upstreamStripHeaders(rq) {
		delete(ev.Headers, h)
		delete(ev.MultiValueHeaders, h)
	}
	if r.Host != "" {
		if ev.Headers == nil {
			ev.Headers, ev.MultiValueHeaders = map[string]string{}, map[string][]string{}
		}
		ev.Headers["Host"] = r.Host
		ev.MultiValueHeaders["Host"] = []string{r.Host}
	}
	ev.QueryStringParameters, ev.MultiValueQueryStringParameters = eventQuery(upstreamQuery(rq))
	if rq.params.Len() > 0 {
		ev.PathParameters = make(map[string]string, rq.params.Len())
		for name, v := range rq.params.All() {
			ev.PathParameters[name] = v
		}
	}
	if len(rq.stage.Variables) > 0 {
		ev.StageVariables = rq.stage.Variables
	}
	if len(body) > 0 {
		if isBinaryType(r.Header.Get("Content-Type"), rq.stage.BinaryMediaTypes) {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		} else {
			ev.Body = string(body)
		}
	}
	rc := &ev.RequestContext
	rc.AccountID = g.accountID
	rc.APIID = rq.api.ID
	rc.Stage = rq.stage.Name
	rc.RequestID = string(rq.requestID[:])
	rc.ExtendedRequestID = string(rq.apigwID[:])
	rc.HTTPMethod = r.Method
	rc.Path = "/" + rq.stage.Name + ev.Path
	rc.Protocol = r.Proto
	rc.DomainName = r.Host
	rc.DomainPrefix, _, _ = strings.Cut(r.Host, ".")
	now := rq.now.UTC()
	rc.RequestTime = now.Format("02/Jan/2006:15:04:05 -0700")
	rc.RequestTimeEpoch = now.UnixMilli()
	rc.Identity.SourceIP = clientIP(r, rq.trusted)
	rc.Identity.UserAgent = r.UserAgent()
	if rq.key != nil {
		// As AWS: the key's value, which the caller sent, and its id.
		rc.Identity.APIKey = rq.keyValue
		rc.Identity.APIKeyID = rq.key.ID
	}
	if a := rq.auth; a != nil {
		rc.Authorizer = make(map[string]any, len(a.Context)+1)
		for k, v := range a.Context {
			rc.Authorizer[k] = authorizer.ContextString(v)
		}
		rc.Authorizer["principalId"] = a.PrincipalID
	}
	b, err := json.Marshal(&ev)
	if err != nil {
		return nil, refuse(ReasonFunctionInvokeFailed, "building the Lambda proxy event: "+err.Error())
	}
	return b, nil
}

// readBody reads a request body for an event, up to maxBody (a
// Content-Length over it was refused by the body step; a chunked body is
// capped by ServeHTTP).
func readBody(r *http.Request, maxBody int64) ([]byte, *Decision) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe) || int64(len(b)) > maxBody:
		return nil, refuse(ReasonRequestTooLarge, fmt.Sprintf("the chunked request body ran past the %d-byte payload limit", maxBody))
	case err != nil:
		return nil, refuse(ReasonBodyInvalid, fmt.Sprintf("the request body could not be read (malformed chunked encoding, or cut short): %v", err))
	}
	return b, nil
}

// isBinaryType reports whether a Content-Type is one of the API's
// binaryMediaTypes ("image/png", "image/*", "*/*").
func isBinaryType(ctype string, binary []string) bool {
	if len(binary) == 0 || ctype == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(ctype)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.Split(ctype, ";")[0]))
	}
	for _, b := range binary {
		if mediaMatch(strings.ToLower(b), mt) {
			return true
		}
	}
	return false
}

// mediaMatch matches a media type against a pattern with "*" wildcards
// (the type or the subtype).
func mediaMatch(pattern, mt string) bool {
	if pattern == "*/*" || pattern == mt {
		return true
	}
	pt, ps, ok := strings.Cut(pattern, "/")
	mtt, mts, ok2 := strings.Cut(mt, "/")
	if !ok || !ok2 {
		return false
	}
	return (pt == "*" || pt == mtt) && (ps == "*" || ps == mts)
}

// acceptsBinary reports whether a request's Accept names one of the API's
// binaryMediaTypes (a function's isBase64Encoded body is then decoded).
func acceptsBinary(accept []string, binary []string) bool {
	if len(binary) == 0 {
		return false
	}
	for _, a := range accept {
		for part := range strings.SplitSeq(a, ",") {
			if isBinaryType(part, binary) {
				return true
			}
		}
	}
	return false
}

// proxyResponse is a function's Lambda proxy response, read.
type proxyResponse struct {
	status int
	header http.Header
	body   []byte
}

// parseProxyResponse reads a Lambda proxy response with AWS's rules: a
// JSON object with no key but statusCode (a number or a numeric string;
// absent: 200), headers (string, number or boolean values),
// multiValueHeaders (lists of those), body (a string) and
// isBase64Encoded (a boolean; the body is decoded only when binary, the
// caller accepting one of the API's binaryMediaTypes). A name in both
// header maps gets the multi values first.
func parseProxyResponse(p []byte, binary bool) (proxyResponse, error) {
	out := proxyResponse{status: 200, header: http.Header{}}
	p = bytes.TrimSpace(p)
	if len(p) == 0 || p[0] != '{' {
		return out, fmt.Errorf("not a JSON object (%s)", describeJSON(p))
	}
	dec := json.NewDecoder(bytes.NewReader(p))
	dec.UseNumber()
	var m map[string]json.RawMessage
	if err := dec.Decode(&m); err != nil {
		return out, fmt.Errorf("not valid JSON: %v", err)
	}
	if dec.More() {
		return out, errors.New("text after the JSON object")
	}
	for k := range m {
		switch k {
		case "statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded":
		default:
			return out, fmt.Errorf("unknown key %s (a proxy response has statusCode, headers, multiValueHeaders, body and isBase64Encoded)", quote(clipText(k, 64)))
		}
	}
	if raw, ok := m["statusCode"]; ok && !isNull(raw) {
		s, err := statusOf(raw)
		if err != nil {
			return out, err
		}
		out.status = s
	}
	if raw, ok := m["multiValueHeaders"]; ok && !isNull(raw) {
		var mv map[string]json.RawMessage
		if err := json.Unmarshal(raw, &mv); err != nil {
			return out, errors.New("multiValueHeaders is not an object")
		}
		for name, vs := range mv {
			if isNull(vs) {
				continue
			}
			var list []json.RawMessage
			if err := json.Unmarshal(vs, &list); err != nil {
				return out, fmt.Errorf("multiValueHeaders[%s] is not a list", quote(clipText(name, 64)))
			}
			for _, v := range list {
				s, err := headerValue(v)
				if err != nil {
					return out, fmt.Errorf("multiValueHeaders[%s]: %v", quote(clipText(name, 64)), err)
				}
				if err := addHeader(out.header, name, s); err != nil {
					return out, err
				}
			}
		}
	}
	if raw, ok := m["headers"]; ok && !isNull(raw) {
		var hs map[string]json.RawMessage
		if err := json.Unmarshal(raw, &hs); err != nil {
			return out, errors.New("headers is not an object")
		}
		for name, v := range hs {
			if isNull(v) {
				continue
			}
			s, err := headerValue(v)
			if err != nil {
				return out, fmt.Errorf("headers[%s]: %v", quote(clipText(name, 64)), err)
			}
			if err := addHeader(out.header, name, s); err != nil {
				return out, err
			}
		}
	}
	var body string
	if raw, ok := m["body"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &body); err != nil {
			return out, fmt.Errorf("body is not a string (%s)", describeJSON(raw))
		}
	}
	b64 := false
	if raw, ok := m["isBase64Encoded"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &b64); err != nil {
			return out, fmt.Errorf("isBase64Encoded is not a boolean (%s)", describeJSON(raw))
		}
	}
	out.body = []byte(body)
	if b64 && binary {
		d, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return out, fmt.Errorf("isBase64Encoded is true and the body is not base64: %v", err)
		}
		out.body = d
	}
	return out, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// statusOf reads statusCode: an integer, or a string holding one.
func statusOf(raw json.RawMessage) (int, error) {
	text := string(bytes.TrimSpace(raw))
	if len(text) > 0 && text[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return 0, errors.New("statusCode is not a number")
		}
	}
	n, err := strconv.Atoi(text)
	if err != nil {
		return 0, fmt.Errorf("statusCode %s is not an integer", quote(clipText(text, 32)))
	}
	if n < 100 || n > 599 {
		return 0, fmt.Errorf("statusCode %d is not an HTTP status (100 to 599)", n)
	}
	return n, nil
}

// headerValue reads a header value: a string, a number (as written) or a
// boolean (true/false).
func headerValue(raw json.RawMessage) (string, error) {
	text := bytes.TrimSpace(raw)
	if len(text) == 0 {
		return "", errors.New("empty value")
	}
	switch text[0] {
	case '"':
		var s string
		if err := json.Unmarshal(text, &s); err != nil {
			return "", err
		}
		return s, nil
	case 't', 'f':
		var b bool
		if err := json.Unmarshal(text, &b); err != nil {
			return "", err
		}
		return strconv.FormatBool(b), nil
	case '{', '[', 'n':
		return "", fmt.Errorf("a value must be a string, a number or a boolean (%s)", describeJSON(text))
	}
	var n json.Number
	if err := json.Unmarshal(text, &n); err != nil {
		return "", err
	}
	return n.String(), nil
}

// addHeader adds a value under a header name (merged case-insensitively),
// refusing what net/http could not send.
func addHeader(h http.Header, name, value string) error {
	if !validHeaderName(name) {
		return fmt.Errorf("header name %s is not a valid HTTP header name", quote(clipText(name, 64)))
	}
	if strings.ContainsAny(value, "\r\n\x00") {
		return fmt.Errorf("header %s has a line break or NUL in its value", quote(clipText(name, 64)))
	}
	h.Add(name, value)
	return nil
}

func validHeaderName(name string) bool {
	if name == "" || len(name) > 256 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}

// describeJSON names the kind of a JSON text for an error.
func describeJSON(p []byte) string {
	p = bytes.TrimSpace(p)
	switch {
	case len(p) == 0:
		return "empty"
	case p[0] == '"':
		return "a JSON string"
	case p[0] == '[':
		return "a JSON array"
	case p[0] == '{':
		return "a JSON object"
	case bytes.Equal(p, []byte("true")) || bytes.Equal(p, []byte("false")):
		return "a JSON boolean"
	case bytes.Equal(p, []byte("null")):
		return "null"
	case p[0] == '-' || p[0] >= '0' && p[0] <= '9':
		return "a JSON number"
	}
	return "not JSON"
}

// clipText shortens outside text for a detail.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
