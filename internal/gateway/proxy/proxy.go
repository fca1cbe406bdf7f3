package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for Options and Target.
const (
	DefaultMaxIdleConnsPerHost = 256
	DefaultDialTimeout         = 5 * time.Second
	DefaultResponseIdleTimeout = 30 * time.Second
	DefaultTimeout             = 29 * time.Second // AWS's default and maximum timeoutInMillis
	DefaultMaxResponseBytes    = 10 << 20         // AWS's 10 MB payload limit

	bufSize = 32 << 10
)

// Options configure a Proxy. The zero value gives the defaults.
type Options struct {
	MaxIdleConnsPerHost int           // idle keep-alive connections kept per upstream; default 256
	DialTimeout         time.Duration // TCP connect timeout; default 5s (Target.Timeout still bounds it)
	// ResponseIdleTimeout aborts a response body the upstream has sent
	// nothing of for this long; default 30s.
	ResponseIdleTimeout time.Duration
	// TLSClientConfig is cloned into the Transport (for example to trust a
	// private CA); nil means the system roots, TLS 1.2 or later.
	TLSClientConfig *tls.Config
	Logger          *slog.Logger // default discards
	// MaxResponseBytes caps an upstream's response body; default 10 MB
	// (AWS's payload limit). A larger body is an ErrResponseTooLarge.
	MaxResponseBytes int64
}

// Proxy forwards requests to HTTP_PROXY upstreams. It is safe for concurrent
// use; create one per process and Close it on shutdown.
type Proxy struct {
	tr       *http.Transport
	idle     time.Duration
	maxResp  int64
	log      *slog.Logger
	bufs     sync.Pool
	mu       sync.Mutex                     // guards creating insecure
	insecure atomic.Pointer[http.Transport] // created on first use
}

// New returns a Proxy with one shared Transport: keep-alive pooling,
// HTTP/1.1 and HTTP/2 (negotiated by ALPN where the upstream offers it), no
// proxy taken from the environment, no transparent compression, and no
// redirect following.
func New(o Options) *Proxy {
	if o.MaxIdleConnsPerHost <= 0 {
		o.MaxIdleConnsPerHost = DefaultMaxIdleConnsPerHost
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.ResponseIdleTimeout <= 0 {
		o.ResponseIdleTimeout = DefaultResponseIdleTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = DefaultMaxResponseBytes
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.TLSClientConfig != nil {
		tlsConf = o.TLSClientConfig.Clone()
	}
	dialer := &net.Dialer{Timeout: o.DialTimeout, KeepAlive: 30 * time.Second}
	p := &Proxy{
		tr: &http.Transport{
			Proxy:                  nil,
			DialContext:            dialer.DialContext,
			ForceAttemptHTTP2:      true,
			TLSClientConfig:        tlsConf,
			TLSHandshakeTimeout:    10 * time.Second,
			MaxIdleConnsPerHost:    o.MaxIdleConnsPerHost,
			IdleConnTimeout:        90 * time.Second,
			ExpectContinueTimeout:  time.Second,
			DisableCompression:     true,
			MaxResponseHeaderBytes: 1 << 20,
		},
		idle:    o.ResponseIdleTimeout,
		maxResp: o.MaxResponseBytes,
		log:     o.Logger,
	}
	p.bufs.New = func() any {
		b := make([]byte, bufSize)
		return &b
	}
	return p
}

// Close closes the Transport's idle connections. Requests in flight are not
// interrupted; the Proxy stays usable.
func (p *Proxy) Close() {
	p.tr.CloseIdleConnections()
	if t := p.insecure.Load(); t != nil {
		t.CloseIdleConnections()
	}
}

// insecureTransport returns the Transport for upstreams whose certificate
// is not verified (tlsConfig.insecureSkipVerification), creating it on first
// use.
func (p *Proxy) insecureTransport() *http.Transport {
	if t := p.insecure.Load(); t != nil {
		return t
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if t := p.insecure.Load(); t != nil {
		return t
	}
	t := p.tr.Clone()
	t.TLSClientConfig.InsecureSkipVerify = true
	p.insecure.Store(t)
	return t
}

// Target is a resolved upstream call.
type Target struct {
	Method  string        // integration httpMethod; "" or "ANY" means the caller's method
	URL     string        // absolute http(s) URL, variables substituted, query appended (ResolveURL)
	Timeout time.Duration // timeoutInMillis; <= 0 means DefaultTimeout
	APIID   string        // sent as X-Amzn-Apigateway-Api-Id
	// RequestID is the gateway's request id. It is not sent as a header of
	// its own (AWS sends none); it seeds X-Amzn-Trace-Id when the caller sent
	// none, and names the request in log lines.
	RequestID string
	// Headers are the integration's resolved requestParameters headers; they
	// replace the caller's headers of the same name. May be nil.
	Headers http.Header
	// StripHeaders names headers, besides x-api-key, that must not reach the
	// upstream: the API's custom key header names, and Authorization when
	// the key came from it.
	StripHeaders []string
	// ClientIP is appended to X-Forwarded-For; "" means the host part of the
	// request's RemoteAddr.
	ClientIP string
	// InsecureSkipVerify skips upstream certificate verification
	// (tlsConfig.insecureSkipVerification).
	InsecureSkipVerify bool
	// Mapped marks an HTTP (non-proxy) integration's call: the request
	// carries only the headers the gateway built, and no X-Forwarded-*
	// (AWS sends none to such an upstream).
	Mapped bool
	// ClientCert is the certificate presented to an https upstream that
	// asks for one (the stage's clientCertificateId); nil presents none.
	ClientCert *ClientCert
}

// ClientCert is a TLS client certificate with the Transports that present
// it, made on first use from the Proxy's own (same pooling, timeouts and
// trusted roots). A stage holds one for as long as its configuration
// lasts, so requests never load or parse the certificate.
type ClientCert struct {
	cert     tls.Certificate
	mu       sync.Mutex
	secure   atomic.Pointer[http.Transport]
	insecure atomic.Pointer[http.Transport]
}

// NewClientCert returns a ClientCert presenting cert.
func NewClientCert(cert tls.Certificate) *ClientCert { return &ClientCert{cert: cert} }

// Close closes the idle connections of the certificate's Transports (when
// the stage that held it is replaced).
func (c *ClientCert) Close() {
	for _, t := range []*http.Transport{c.secure.Load(), c.insecure.Load()} {
		if t != nil {
			t.CloseIdleConnections()
		}
	}
}

// transport returns the Transport presenting c's certificate, verifying
// the upstream unless insecure, cloned from base on first use.
func (c *ClientCert) transport(base *http.Transport, insecure bool) *http.Transport {
	slot := &c.secure
	if insecure {
		slot = &c.insecure
	}
	if t := slot.Load(); t != nil {
		return t
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := slot.Load(); t != nil {
		return t
	}
	t := base.Clone()
	t.TLSClientConfig.Certificates = []tls.Certificate{c.cert}
	t.TLSClientConfig.InsecureSkipVerify = insecure
	slot.Store(t)
	return t
}

// Result describes a forwarded call, for the access log.
type Result struct {
	Status  int           // the upstream's status code; 0 when none was received
	Latency time.Duration // from sending the request to receiving the response headers
	Started bool          // the response status line was written to the caller
	Bytes   int64         // body bytes written to the caller
}

// errDeadline is the cancellation cause of the per-call timer.
var errDeadline = errors.New("proxy deadline")

// Forward sends r to t and streams the upstream's answer to w. The request
// body is streamed, not buffered; r is not modified.
//
// On error, Result.Started tells whether anything was written to w (see the
// package documentation): when it is false Forward has not touched w, not
// even its header map, and the caller answers with a gateway response chosen
// by the error's Kind; when it is true the caller must abort the connection.
func (p *Proxy) Forward(w http.ResponseWriter, r *http.Request, t Target) (Result, error) {
	method := t.Method
	if method == "" || method == "ANY" {
		method = r.Method
	}
	timeout := t.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}

	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(context.Canceled)
	timer := time.AfterFunc(timeout, func() { cancel(errDeadline) })
	defer timer.Stop()

	var body *clientBody
	var reqBody io.ReadCloser
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		body = &clientBody{rc: r.Body}
		reqBody = body
	}
	out, err := http.NewRequestWithContext(ctx, method, t.URL, reqBody)
	if err != nil {
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err // its message repeats the whole URL, query included
		}
		return Result{}, &Error{Kind: ErrTarget, Op: method + " " + redact(t.URL), Err: err}
	}
	if s := out.URL.Scheme; s != "http" && s != "https" || out.URL.Host == "" {
		return Result{}, &Error{Kind: ErrTarget, Op: opName(out), Err: errors.New("URL must be absolute http or https")}
	}
	if reqBody != nil {
		out.ContentLength = r.ContentLength
	}
	out.Header = p.outboundHeader(r, &t, r.TLS != nil)

	tr := p.tr
	switch {
	case t.ClientCert != nil:
		tr = t.ClientCert.transport(p.tr, t.InsecureSkipVerify)
	case t.InsecureSkipVerify:
		tr = p.insecureTransport()
	}
	start := time.Now()
	resp, err := tr.RoundTrip(out)
	res := Result{Latency: time.Since(start)}
	if err != nil {
		return res, p.classify(ctx, r, &t, body, out, timeout, false, err)
	}
	defer resp.Body.Close()
	if !timer.Stop() {
		// The deadline fired as the headers arrived; the body is doomed.
		return res, &Error{Kind: ErrTimeout, Op: opName(out), Err: errors.New("no response headers within " + timeout.String())}
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return res, &Error{Kind: ErrUpstream, Op: opName(out), Err: errors.New("upstream switched protocols, which HTTP_PROXY does not support")}
	}
	res.Status = resp.StatusCode
	if resp.ContentLength > p.maxResp {
		return res, &Error{Kind: ErrResponseTooLarge, Op: opName(out), Err: fmt.Errorf("Content-Length %d is over the %d-byte limit", resp.ContentLength, p.maxResp)}
	}

	copyResponseHeader(w.Header(), resp.Header)
	flush := resp.ContentLength == -1 || isEventStream(resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	res.Started = true
	var rc *http.ResponseController
	if flush {
		rc = http.NewResponseController(w)
		_ = rc.Flush() // ErrNotSupported only means it cannot stream early
	}

	bufp := p.bufs.Get().(*[]byte)
	n, readErr, writeErr := p.copyBody(w, resp.Body, *bufp, rc, timer)
	p.bufs.Put(bufp)
	res.Bytes = n
	switch {
	case writeErr != nil:
		return res, &Error{Kind: ErrClient, Started: true, Op: opName(out), Err: writeErr}
	case readErr == errResponseLimit:
		p.log.Debug("proxy: response aborted", "op", opName(out), "requestId", t.RequestID, "error", "body over the limit")
		return res, &Error{Kind: ErrResponseTooLarge, Started: true, Op: opName(out), Err: fmt.Errorf("the body is over the %d-byte limit", p.maxResp)}
	case readErr != nil:
		return res, p.classify(ctx, r, &t, body, out, timeout, true, readErr)
	}
	for k, vv := range resp.Trailer {
		w.Header()[http.TrailerPrefix+k] = vv
	}
	return res, nil
}

// errResponseLimit is copyBody's read error for a body over maxResp.
var errResponseLimit = errors.New("response body over the limit")

// copyBody streams src to w, flushing after every write when rc is set and
// re-arming the idle timer after every read. It stops with
// errResponseLimit, without writing the excess, when the body runs past
// maxResp.
func (p *Proxy) copyBody(w io.Writer, src io.Reader, buf []byte, rc *http.ResponseController, timer *time.Timer) (written int64, readErr, writeErr error) {
	timer.Reset(p.idle)
	for {
		n, err := src.Read(buf)
		if written+int64(n) > p.maxResp {
			return written, errResponseLimit, nil
		}
		if n > 0 {
			timer.Reset(p.idle)
			m, werr := w.Write(buf[:n])
			written += int64(m)
			if werr == nil && m != n {
				werr = io.ErrShortWrite
			}
			if werr != nil {
				return written, nil, werr
			}
			if rc != nil {
				if ferr := rc.Flush(); ferr != nil && !errors.Is(ferr, http.ErrNotSupported) {
					return written, nil, ferr
				}
			}
		}
		if err == io.EOF {
			return written, nil, nil
		}
		if err != nil {
			return written, err, nil
		}
	}
}

// classify turns a transport or body error into an *Error.
func (p *Proxy) classify(ctx context.Context, r *http.Request, t *Target, body *clientBody, out *http.Request, timeout time.Duration, started bool, err error) error {
	e := &Error{Op: opName(out), Started: started, Err: err}
	switch {
	case errors.Is(context.Cause(ctx), errDeadline):
		e.Kind = ErrTimeout
		if started {
			e.Err = errors.New("upstream sent nothing for " + p.idle.String())
		} else {
			e.Err = errors.New("no response headers within " + timeout.String())
		}
	case body != nil && body.readErr() != nil:
		e.Kind, e.Err = ErrClientBody, body.readErr()
	case r.Context().Err() != nil:
		e.Kind, e.Err = ErrClient, context.Cause(r.Context())
	default:
		e.Kind = ErrUpstream
	}
	if started {
		p.log.Debug("proxy: response aborted", "op", e.Op, "requestId", t.RequestID, "error", e.Error())
	}
	return e
}

// clientBody wraps the caller's request body to tell the caller's read
// failures apart from the upstream's.
type clientBody struct {
	rc  io.ReadCloser
	mu  sync.Mutex
	err error
}

func (b *clientBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err != nil && err != io.EOF {
		b.mu.Lock()
		if b.err == nil {
			b.err = err
		}
		b.mu.Unlock()
	}
	return n, err
}

func (b *clientBody) Close() error { return b.rc.Close() }

func (b *clientBody) readErr() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

func isEventStream(contentType string) bool {
	if contentType == "" {
		return false
	}
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "text/event-stream")
}

// opName names an upstream call in errors: method, scheme, host and path;
// never the query or user info, which could carry secrets.
func opName(out *http.Request) string {
	u := *out.URL
	u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment, u.User = "", false, "", "", nil
	return out.Method + " " + u.String()
}

// redact keeps an unparsable URL's text out of messages beyond its scheme
// and host-ish prefix, since a query could carry anything.
func redact(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	return clip(s)
}
