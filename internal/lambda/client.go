package lambda

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Defaults of a Client.
const (
	// DefaultMaxTimeout caps every call, whatever the caller's context
	// allows: API Gateway's own integration limit is 29 s.
	DefaultMaxTimeout = 30 * time.Second
	// MaxPayloadBytes is Lambda's synchronous response payload limit (6 MB).
	MaxPayloadBytes = 6 << 20
	// maxErrorBytes caps the error text taken from a failed call.
	maxErrorBytes = 512
)

// Options configure a Client.
type Options struct {
	// Endpoint is the Lambda Invoke API's base URL (--lambda-endpoint), such
	// as https://lambda.us-east-1.amazonaws.com or http://127.0.0.1:9001 for
	// the Runtime Interface Emulator. "": Lambda URIs answer ErrNoEndpoint
	// (http(s) URIs still work).
	Endpoint string
	// Credentials sign Invoke API calls with SigV4 (service lambda, the
	// URI's region); nil: calls are unsigned (the emulator ignores
	// signatures). See package credchain.
	Credentials aws.CredentialsProvider
	// MaxTimeout caps every call (0: DefaultMaxTimeout); a caller's context
	// deadline shortens it.
	MaxTimeout time.Duration
	// MaxResponseBytes caps a function's answer (0: MaxPayloadBytes).
	MaxResponseBytes int64
	// Transport replaces the pooled transport (tests).
	Transport http.RoundTripper
	// Now is the signing clock (nil: time.Now).
	Now func() time.Time
}

// Client invokes functions through the Lambda Invoke API, or by POST for
// http(s) URIs. It is safe for concurrent use; its connections are pooled.
type Client struct {
	endpoint string // without a trailing "/"
	creds    aws.CredentialsProvider
	signer   *v4.Signer
	max      time.Duration
	maxBytes int64
	http     *http.Client
	now      func() time.Time
}

var _ Invoker = (*Client)(nil)

// New returns a Client. The endpoint must be an http(s) URL with a host and
// no query.
func New(o Options) (*Client, error) {
	c := &Client{creds: o.Credentials, max: o.MaxTimeout, maxBytes: o.MaxResponseBytes, now: o.Now}
	if o.Endpoint != "" {
		ep, err := CheckEndpoint(o.Endpoint)
		if err != nil {
			return nil, err
		}
		c.endpoint = ep
	}
	if c.max <= 0 {
		c.max = DefaultMaxTimeout
	}
	if c.maxBytes <= 0 {
		c.maxBytes = MaxPayloadBytes
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.creds != nil {
		c.signer = v4.NewSigner()
	}
	rt := o.Transport
	if rt == nil {
		rt = newTransport()
	}
	// No client-wide timeout: each call's context carries its deadline.
	c.http = &http.Client{Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return c, nil
}

// CheckEndpoint checks a --lambda-endpoint value and returns it without a
// trailing "/".
func CheckEndpoint(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	switch {
	case err != nil:
		return "", fmt.Errorf("%q: %w", endpoint, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("%q: the scheme must be http or https", endpoint)
	case u.Host == "":
		return "", fmt.Errorf("%q: no host", endpoint)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return "", fmt.Errorf("%q: no query, fragment or user information allowed", endpoint)
	}
	return strings.TrimRight(endpoint, "/"), nil
}

func newTransport() *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           256,
		MaxIdleConnsPerHost:    64,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    5 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
}

// CloseIdleConnections closes the pooled connections no call is using.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// Endpoint is the Invoke API's base URL ("" when none).
func (c *Client) Endpoint() string { return c.endpoint }

// Signed reports whether Invoke API calls are signed.
func (c *Client) Signed() bool { return c.signer != nil }

// InvokeError is the Invoke API's answer to a call it refused: its HTTP
// status and error type (ResourceNotFoundException,
// AccessDeniedException, …). It wraps ErrInvoke.
type InvokeError struct {
	Function string
	Status   int
	Type     string
	Message  string
}

func (e *InvokeError) Error() string {
	s := fmt.Sprintf("%v: the Invoke API answered %d", ErrInvoke, e.Status)
	if e.Type != "" {
		s += " " + e.Type
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s + " (function " + e.Function + ")"
}

func (e *InvokeError) Unwrap() error { return ErrInvoke }

// AccessDenied reports an answer that says the caller may not invoke the
// function (403, or an AccessDenied error type): AWS answers those 500
// rather than 502.
func (e *InvokeError) AccessDenied() bool {
	return e.Status == http.StatusForbidden || e.Status == http.StatusUnauthorized ||
		strings.Contains(e.Type, "AccessDenied") || strings.Contains(e.Type, "UnrecognizedClient") ||
		strings.Contains(e.Type, "InvalidSignature")
}

// Invoke calls the function uri names with payload. See Invoker.
func (c *Client) Invoke(ctx context.Context, uri string, payload []byte) (Result, error) {
	t, err := ParseURI(uri)
	if err != nil {
		return Result{}, err
	}
	return c.InvokeTarget(ctx, t, payload)
}

// InvokeTarget calls a parsed target (callers that keep parsed URIs save
// the parse).
func (c *Client) InvokeTarget(ctx context.Context, t Target, payload []byte) (Result, error) {
	if !t.IsHTTP() && c.endpoint == "" {
		return Result{}, fmt.Errorf("%w: function %s", ErrNoEndpoint, t.Function)
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, c.max)
	defer cancel()

	req, err := c.newRequest(ctx, t, payload)
	if err != nil {
		return Result{}, err
	}
	res, err := c.http.Do(req)
	if err != nil {
		return Result{}, c.callError(parent, ctx, t, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, c.maxBytes+1))
	if err != nil {
		return Result{}, c.callError(parent, ctx, t, err)
	}
	if int64(len(body)) > c.maxBytes {
		return Result{}, fmt.Errorf("%w: function %s answered more than %d bytes", ErrTooLarge, t.Name(), c.maxBytes)
	}
	if t.IsHTTP() {
		return httpResult(res.StatusCode, body), nil
	}
	if res.StatusCode == http.StatusBadGateway && res.Header.Get("X-Amzn-Errortype") == "" && looksLikeFunctionError(body) {
		// The emulator answers a function whose runtime exited (a Go
		// panic) 502 with the function's error; AWS Lambda answers 200
		// with X-Amz-Function-Error: Unhandled.
		return Result{Payload: body, FunctionError: "Unhandled"}, nil
	}
	if res.StatusCode != http.StatusOK {
		return Result{}, invokeError(t, res, body)
	}
	fe := res.Header.Get("X-Amz-Function-Error")
	if fe == "" && looksLikeFunctionError(body) {
		// The Runtime Interface Emulator answers a function error 200
		// without X-Amz-Function-Error; its payload has the shape.
		fe = "Unhandled"
	}
	return Result{Payload: body, FunctionError: fe}, nil
}

// looksLikeFunctionError reports a payload that is a function error's and
// nothing else: an object with errorMessage and errorType, besides at most
// stackTrace, cause and requestId (what runtimes add).
func looksLikeFunctionError(p []byte) bool {
	if len(p) == 0 || p[0] != '{' || !bytes.Contains(p, []byte(`"errorType"`)) {
		return false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(p, &m) != nil {
		return false
	}
	_, hasMsg := m["errorMessage"]
	_, hasType := m["errorType"]
	if !hasMsg || !hasType {
		return false
	}
	for k := range m {
		switch k {
		case "errorMessage", "errorType", "stackTrace", "cause", "requestId":
		default:
			return false
		}
	}
	return true
}

func (c *Client) newRequest(ctx context.Context, t Target, payload []byte) (*http.Request, error) {
	target := t.URL
	if !t.IsHTTP() {
		target = c.endpoint + "/2015-03-31/functions/" + escapeFunction(t.Function) + "/invocations"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("%w: function %s: %v", ErrInvoke, t.Name(), err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Gatehouse")
	if t.IsHTTP() {
		return req, nil
	}
	req.Header.Set("X-Amz-Invocation-Type", "RequestResponse")
	if c.signer == nil {
		return req, nil
	}
	creds, err := c.creds.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: function %s: retrieving AWS credentials to sign the call: %v", ErrInvoke, t.Function, err)
	}
	sum := sha256.Sum256(payload)
	if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "lambda", t.Region, c.now()); err != nil {
		return nil, fmt.Errorf("%w: function %s: signing: %v", ErrInvoke, t.Function, err)
	}
	return req, nil
}

// escapeFunction escapes a FunctionName for the path as the AWS SDKs do
// (":" too), setting no "/" free.
func escapeFunction(fn string) string {
	return strings.ReplaceAll(url.PathEscape(fn), ":", "%3A")
}

// callError names why a call failed: the deadline (ErrTimeout), the
// caller's own cancellation (ErrInvoke wrapping context.Canceled), or the
// connection (ErrInvoke).
func (c *Client) callError(parent, ctx context.Context, t Target, err error) error {
	switch {
	case parent.Err() != nil && !errors.Is(parent.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%w: function %s: %w", ErrInvoke, t.Name(), parent.Err())
	case ctx.Err() != nil:
		limit := c.max
		if d, ok := parent.Deadline(); ok && time.Until(d) < limit {
			limit = 0 // the caller's deadline
		}
		if limit > 0 {
			return fmt.Errorf("%w: function %s did not answer within the %s cap", ErrTimeout, t.Name(), limit)
		}
		return fmt.Errorf("%w: function %s did not answer in time", ErrTimeout, t.Name())
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is the endpoint's; the function is named below
	}
	return fmt.Errorf("%w: function %s: %v", ErrInvoke, t.Name(), err)
}

// invokeError reads the Invoke API's error answer: the type from
// X-Amzn-ErrorType or the body's Type/__type, the message from the body.
func invokeError(t Target, res *http.Response, body []byte) error {
	e := &InvokeError{Function: t.Function, Status: res.StatusCode}
	typ, _, _ := strings.Cut(res.Header.Get("X-Amzn-Errortype"), ":")
	var b struct {
		Type     string `json:"Type"`
		Type2    string `json:"__type"`
		Type3    string `json:"errorType"`
		Message  string `json:"Message"`
		Message2 string `json:"message"`
		Message3 string `json:"errorMessage"`
	}
	if json.Unmarshal(body, &b) == nil {
		if typ == "" {
			typ = b.Type2
			if typ == "" {
				typ = b.Type
			}
			if typ == "" {
				typ = b.Type3
			}
			if i := strings.LastIndexByte(typ, '#'); i >= 0 {
				typ = typ[i+1:]
			}
		}
		e.Message = b.Message
		if e.Message == "" {
			e.Message = b.Message2
		}
		if e.Message == "" {
			e.Message = b.Message3
		}
	} else {
		e.Message = strings.TrimSpace(string(body))
	}
	e.Type = clipBytes(typ, 128)
	e.Message = clipBytes(e.Message, maxErrorBytes)
	return e
}

// httpResult turns a plain-HTTP function's answer into a Result: a 2xx is
// the payload; any other status is a function error whose payload is
// {"errorMessage","errorType"}: the answer itself when it has that shape,
// else its text and "HTTP {status}".
func httpResult(status int, body []byte) Result {
	if status >= 200 && status <= 299 {
		return Result{Payload: body}
	}
	var fe struct {
		Message *string `json:"errorMessage"`
		Type    string  `json:"errorType"`
	}
	if json.Unmarshal(body, &fe) == nil && fe.Message != nil {
		p, _ := json.Marshal(map[string]string{"errorMessage": *fe.Message, "errorType": fe.Type})
		return Result{Payload: p, FunctionError: "Unhandled"}
	}
	p, _ := json.Marshal(map[string]string{
		"errorMessage": clipBytes(strings.TrimSpace(string(body)), maxErrorBytes),
		"errorType":    fmt.Sprintf("HTTP %d", status),
	})
	return Result{Payload: p, FunctionError: "Unhandled"}
}

// FunctionErrorOf reads a function error's payload {"errorMessage",
// "errorType"}; fields it cannot read are "".
func FunctionErrorOf(payload []byte) (message, typ string) {
	var fe struct {
		Message any    `json:"errorMessage"`
		Type    string `json:"errorType"`
	}
	if json.Unmarshal(payload, &fe) != nil {
		return "", ""
	}
	if s, ok := fe.Message.(string); ok {
		message = s
	}
	return message, fe.Type
}

// clipBytes shortens s to at most n bytes on a rune boundary.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
