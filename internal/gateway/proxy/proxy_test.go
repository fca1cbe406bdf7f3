package proxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestForwardBodiesAndMethods(t *testing.T) {
	big := pattern(5 << 20)
	up, _ := upstream(t, http.HandlerFunc(echoHandler))
	p := New(Options{})
	t.Cleanup(p.Close)

	tests := []struct {
		name       string
		callMethod string
		target     string // integration httpMethod
		body       []byte
		chunked    bool // send the body without Content-Length
		wantMethod string
	}{
		{name: "GET no body", callMethod: "GET", target: "GET", wantMethod: "GET"},
		{name: "ANY takes the caller's method", callMethod: "DELETE", target: "ANY", wantMethod: "DELETE"},
		{name: "empty method takes the caller's method", callMethod: "PATCH", target: "", body: []byte(`{"a":1}`), wantMethod: "PATCH"},
		{name: "integration method overrides", callMethod: "GET", target: "POST", wantMethod: "POST"},
		{name: "POST 5 MiB", callMethod: "POST", target: "ANY", body: big, wantMethod: "POST"},
		{name: "PUT 5 MiB chunked", callMethod: "PUT", target: "ANY", body: big, chunked: true, wantMethod: "PUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fr, ch := front(t, p, func(r *http.Request) Target {
				return Target{Method: tt.target, URL: up.URL + "/echo?x=1", APIID: "abc123defg"}
			})
			var body io.Reader
			if tt.body != nil {
				body = bytes.NewReader(tt.body)
				if tt.chunked {
					body = io.MultiReader(body) // hides the length
				}
			}
			req, err := http.NewRequest(tt.callMethod, fr.URL+"/stage/echo", body)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := fr.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got echo
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			o := recv(t, ch)
			if o.err != nil || o.res.Status != 200 || !o.res.Started || o.res.Bytes == 0 {
				t.Fatalf("Forward = %+v, %v", o.res, o.err)
			}
			if got.Method != tt.wantMethod || got.Path != "/echo" || got.Query != "x=1" {
				t.Errorf("upstream saw %s %s?%s, want %s /echo?x=1", got.Method, got.Path, got.Query, tt.wantMethod)
			}
			if got.BodyLen != int64(len(tt.body)) || got.BodySHA != sha(tt.body) {
				t.Errorf("upstream body: %d bytes sha %s, want %d bytes sha %s", got.BodyLen, got.BodySHA, len(tt.body), sha(tt.body))
			}
		})
	}
}

func TestForwardLargeResponseStreamed(t *testing.T) {
	big := pattern(5 << 20)
	for _, withLength := range []bool{true, false} {
		t.Run(map[bool]string{true: "content-length", false: "chunked"}[withLength], func(t *testing.T) {
			up, _ := upstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/octet-stream")
				if withLength {
					w.Header().Set("Content-Length", "5242880")
				}
				for b := big; len(b) > 0; b = b[64<<10:] {
					_, _ = w.Write(b[:64<<10])
					if !withLength {
						w.(http.Flusher).Flush()
					}
				}
			}))
			p := New(Options{})
			t.Cleanup(p.Close)
			fr, ch := front(t, p, func(*http.Request) Target { return Target{URL: up.URL + "/big"} })
			resp, err := fr.Client().Get(fr.URL)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(big) || sha(got) != sha(big) {
				t.Fatalf("client got %d bytes, want %d identical bytes", len(got), len(big))
			}
			if wantCL := map[bool]int64{true: 5 << 20, false: -1}[withLength]; resp.ContentLength != wantCL {
				t.Errorf("client Content-Length %d, want %d", resp.ContentLength, wantCL)
			}
			if o := recv(t, ch); o.err != nil || o.res.Bytes != int64(len(big)) {
				t.Errorf("Forward = %+v, %v", o.res, o.err)
			}
		})
	}
}

func TestForwardRequestHeaders(t *testing.T) {
	up, _ := upstream(t, http.HandlerFunc(echoHandler))
	upURL, _ := url.Parse(up.URL)
	var logs bytes.Buffer
	p := New(Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	t.Cleanup(p.Close)

	var before http.Header
	fr, ch := front(t, p, func(r *http.Request) Target {
		before = r.Header.Clone()
		return Target{
			URL: up.URL + "/h", APIID: "a1b2c3d4e5", RequestID: "c0ffee00-1111-4222-8333-444455556666",
			StripHeaders: []string{"x-my-key"},
			Headers: http.Header{
				"X-Mapped":   {"static"},
				"x-lower":    {"canonicalised"},
				"X-Api-Key":  {"owner-static-upstream-key"},
				"X-My-Key":   {"caller-secret-custom"}, // copies the caller's key: dropped
				"Connection": {"close"},                // hop-by-hop: dropped
			},
		}
	})
	req, _ := http.NewRequest("GET", fr.URL+"/h", nil)
	req.Header.Set("X-Api-Key", "caller-secret-key-value-0123456789")
	req.Header.Set("X-My-Key", "caller-secret-custom")
	req.Header.Set("Connection", "X-Drop-Me, keep-alive")
	req.Header.Set("X-Drop-Me", "1")
	req.Header.Set("Keep-Alive", "timeout=5")
	req.Header.Set("Proxy-Authorization", "Basic Zm9vOmJhcg==")
	req.Header.Set("Te", "trailers")
	req.Header.Set("Upgrade", "h2c")
	req.Header.Set("X-Forwarded-For", "198.51.100.7")
	req.Header.Set("X-Forwarded-Proto", "https") // spoofed; the gateway knows better
	req.Header.Set("X-Amzn-Apigateway-Api-Id", "spoofed")
	req.Header.Set("X-Keep", "kept")
	req.Header.Set("Authorization", "Bearer t")
	req.Header["User-Agent"] = []string{""} // send none
	resp, err := fr.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got echo
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	o := recv(t, ch)
	if o.err != nil {
		t.Fatal(o.err)
	}
	frURL, _ := url.Parse(fr.URL)

	for _, h := range []string{"X-Drop-Me", "Keep-Alive", "Proxy-Authorization", "Te", "Upgrade", "X-My-Key", "User-Agent"} {
		if v, ok := got.Header[h]; ok {
			t.Errorf("upstream got %s: %q, want it removed", h, v)
		}
	}
	if strings.Contains(strings.ToLower(got.Header.Get("Connection")), "x-drop-me") {
		t.Errorf("upstream got Connection %q naming a caller header", got.Header.Get("Connection"))
	}
	wantHeaders := map[string]string{
		"X-Forwarded-For":          "198.51.100.7, 127.0.0.1",
		"X-Forwarded-Proto":        "http",
		"X-Forwarded-Port":         frURL.Port(),
		"X-Amzn-Apigateway-Api-Id": "a1b2c3d4e5",
		"X-Keep":                   "kept",
		"Authorization":            "Bearer t",
		"X-Mapped":                 "static",
		"X-Lower":                  "canonicalised",
		"X-Api-Key":                "owner-static-upstream-key",
	}
	gotHeaders := map[string]string{}
	for k := range wantHeaders {
		gotHeaders[k] = strings.Join(got.Header[k], "|")
	}
	if d := cmp.Diff(wantHeaders, gotHeaders); d != "" {
		t.Errorf("upstream headers (-want +got):\n%s", d)
	}
	if got.Host != upURL.Host {
		t.Errorf("upstream Host %q, want %q", got.Host, upURL.Host)
	}
	if tr := got.Header.Get("X-Amzn-Trace-Id"); !strings.HasPrefix(tr, "Root=1-") || !strings.HasSuffix(tr, "-c0ffee001111422283334444") || len(tr) != len("Root=1-12345678-c0ffee001111422283334444") {
		t.Errorf("upstream X-Amzn-Trace-Id %q, want Root=1-<8 hex time>-c0ffee001111422283334444", tr)
	}
	for k, vv := range got.Header {
		for _, v := range vv {
			if strings.Contains(v, "caller-secret") {
				t.Errorf("caller's key reached the upstream in %s", k)
			}
		}
	}
	if before.Get("X-Api-Key") == "" {
		t.Fatal("test did not see the caller's headers")
	}
	if l := logs.String(); !strings.Contains(l, "header=X-My-Key") || strings.Contains(l, "caller-secret") {
		t.Errorf("log %q: want the dropped mapping named by header, without its value", l)
	}
}

// TestForwardDoesNotModifyRequest checks r.Header and r.URL are left as the
// pipeline gave them, so it can still log and trace the request.
func TestForwardDoesNotModifyRequest(t *testing.T) {
	up, _ := upstream(t, http.HandlerFunc(echoHandler))
	p := New(Options{})
	t.Cleanup(p.Close)
	r := httptest.NewRequest("GET", "http://gw.example/stage/x?q=1", nil)
	r.Header.Set("X-Api-Key", "k")
	r.Header.Set("X-Forwarded-For", "198.51.100.7")
	r.Header.Set("Connection", "X-A")
	r.Header.Set("X-A", "1")
	wantHeader, wantURL := r.Header.Clone(), r.URL.String()
	w := httptest.NewRecorder()
	if _, err := p.Forward(w, r, Target{URL: up.URL + "/x", Headers: http.Header{"X-New": {"v"}}}); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(wantHeader, r.Header); d != "" {
		t.Errorf("r.Header changed (-before +after):\n%s", d)
	}
	if r.URL.String() != wantURL {
		t.Errorf("r.URL changed to %s", r.URL)
	}
}

func TestForwardResponseHeaders(t *testing.T) {
	up, _ := upstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Connection", "X-Up-Private")
		h.Set("X-Up-Private", "1")
		h.Set("Keep-Alive", "timeout=5")
		h.Set("Proxy-Authenticate", "Basic")
		h.Set("Upgrade", "h2c")
		h.Set("Server", "upstream/1.0")
		h.Set("Date", "Mon, 02 Jan 2006 15:04:05 GMT")
		h.Set("X-Amzn-Requestid", "upstream-request-id")
		h.Set("X-Custom", "c")
		h.Set("Content-Type", "text/plain")
		h.Set("Content-Length", "5")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "hello")
	}))
	p := New(Options{})
	t.Cleanup(p.Close)
	fr, ch := front(t, p, func(*http.Request) Target { return Target{URL: up.URL} })
	resp, err := fr.Client().Get(fr.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if o := recv(t, ch); o.err != nil || o.res.Status != 201 {
		t.Fatalf("Forward = %+v, %v", o.res, o.err)
	}
	if resp.StatusCode != 201 || string(body) != "hello" {
		t.Errorf("client got %d %q, want 201 hello", resp.StatusCode, body)
	}
	want := map[string]string{
		"X-Amzn-Remapped-Server":           "upstream/1.0",
		"X-Amzn-Remapped-Date":             "Mon, 02 Jan 2006 15:04:05 GMT",
		"X-Amzn-Remapped-X-Amzn-Requestid": "upstream-request-id",
		"X-Amzn-Remapped-Connection":       "X-Up-Private",
		"X-Amzn-Remapped-Content-Length":   "5",
		"X-Amzn-Requestid":                 "gateway-request-id",
		"Content-Length":                   "5",
		"X-Custom":                         "c",
		"Server":                           "",
		"X-Up-Private":                     "",
		"Keep-Alive":                       "",
		"Proxy-Authenticate":               "",
		"Upgrade":                          "",
	}
	got := map[string]string{}
	for k := range want {
		got[k] = strings.Join(resp.Header[k], "|")
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("response headers (-want +got):\n%s", d)
	}
	if d := resp.Header.Get("Date"); d == "" || d == "Mon, 02 Jan 2006 15:04:05 GMT" {
		t.Errorf("client Date %q, want the gateway's own", d)
	}
}

func TestForwardUpstreamErrorStatusPassesThrough(t *testing.T) {
	for _, status := range []int{400, 404, 500, 503} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			up, _ := upstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("X-Upstream", "yes")
				w.WriteHeader(status)
				_, _ = io.WriteString(w, `{"error":"upstream says no"}`)
			}))
			p := New(Options{})
			t.Cleanup(p.Close)
			fr, ch := front(t, p, func(*http.Request) Target { return Target{URL: up.URL} })
			resp, err := fr.Client().Get(fr.URL)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			o := recv(t, ch)
			if o.err != nil || o.res.Status != status {
				t.Fatalf("Forward = %+v, %v; want status %d and no error", o.res, o.err, status)
			}
			if resp.StatusCode != status || string(body) != `{"error":"upstream says no"}` || resp.Header.Get("X-Upstream") != "yes" {
				t.Errorf("client got %d %q %v", resp.StatusCode, body, resp.Header)
			}
		})
	}
}

func TestForwardFailsBeforeStart(t *testing.T) {
	p := New(Options{})
	t.Cleanup(p.Close)
	tests := []struct {
		name     string
		target   Target
		wantKind error
		wantMsg  string // substring of the error
		notInMsg string
	}{
		{name: "connection refused", target: Target{URL: refusedURL(t) + "?secret=qs"}, wantKind: ErrUpstream, wantMsg: "refused", notInMsg: "secret"},
		{name: "unknown host", target: Target{URL: "http://nonexistent.invalid/x"}, wantKind: ErrUpstream, wantMsg: "nonexistent.invalid"},
		{name: "ftp scheme", target: Target{URL: "ftp://example.com/x"}, wantKind: ErrTarget, wantMsg: "http or https"},
		{name: "no host", target: Target{URL: "http:///x"}, wantKind: ErrTarget},
		{name: "unparsable", target: Target{URL: "http://[::1/x?key=secret"}, wantKind: ErrTarget, notInMsg: "secret"},
		{name: "bad method", target: Target{Method: "GE T", URL: "http://example.com/"}, wantKind: ErrTarget},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newSpy()
			r := httptest.NewRequest("GET", "http://gw.example/stage/x", nil)
			res, err := p.Forward(w, r, tt.target)
			if !errors.Is(err, tt.wantKind) {
				t.Fatalf("Forward error %v (%s), want %v", err, kindOf(err), tt.wantKind)
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.Started || res.Started || errors.Is(err, ErrAborted) || res.Status != 0 {
				t.Errorf("Forward = %+v, %#v; want not started", res, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) || tt.notInMsg != "" && strings.Contains(err.Error(), tt.notInMsg) {
				t.Errorf("error %q: want it to contain %q and not %q", err, tt.wantMsg, tt.notInMsg)
			}
			w.untouched(t)
		})
	}
}

func TestForwardTLSAndHTTP2(t *testing.T) {
	up := httptest.NewUnstartedServer(http.HandlerFunc(echoHandler))
	up.EnableHTTP2 = true
	up.Config.ErrorLog = log.New(io.Discard, "", 0) // the unknown-CA case makes it log a handshake error
	up.StartTLS()
	t.Cleanup(up.Close)
	pool := x509.NewCertPool()
	pool.AddCert(up.Certificate())

	tests := []struct {
		name      string
		opts      Options
		insecure  bool
		wantKind  error // nil: success
		wantProto string
	}{
		{name: "trusted CA, h2 negotiated", opts: Options{TLSClientConfig: &tls.Config{RootCAs: pool}}, wantProto: "HTTP/2.0"},
		{name: "unknown CA", opts: Options{}, wantKind: ErrUpstream},
		{name: "unknown CA, insecureSkipVerification", opts: Options{}, insecure: true, wantProto: "HTTP/2.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := New(tt.opts)
			t.Cleanup(p.Close)
			w := httptest.NewRecorder()
			r := httptest.NewRequest("POST", "http://gw.example/stage/x", strings.NewReader("payload"))
			_, err := p.Forward(w, r, Target{URL: up.URL + "/tls", InsecureSkipVerify: tt.insecure})
			if tt.wantKind != nil {
				if !errors.Is(err, tt.wantKind) {
					t.Fatalf("Forward error %v, want %v", err, tt.wantKind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got echo
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.Proto != tt.wantProto || got.BodyLen != 7 {
				t.Errorf("upstream saw %s with %d body bytes, want %s with 7", got.Proto, got.BodyLen, tt.wantProto)
			}
		})
	}
}

func TestForwardTimeoutHangingUpstream(t *testing.T) {
	baseline := runtime.NumGoroutine()
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
	}))
	p := New(Options{})
	const timeout = 200 * time.Millisecond

	w := newSpy()
	r := httptest.NewRequest("GET", "http://gw.example/stage/x", nil)
	start := time.Now()
	res, err := p.Forward(w, r, Target{URL: up.URL + "/hang", Timeout: timeout})
	elapsed := time.Since(start)
	<-entered // the upstream really had the request

	if !errors.Is(err, ErrTimeout) || res.Started || errors.Is(err, ErrAborted) {
		t.Fatalf("Forward = %+v, %v; want ErrTimeout before start", res, err)
	}
	if elapsed < timeout || elapsed > timeout+2*time.Second {
		t.Errorf("Forward returned after %v, want about %v", elapsed, timeout)
	}
	w.untouched(t)

	close(release)
	up.Close()
	p.Close()
	waitGoroutines(t, baseline)
}

func TestForwardIdleTimeoutMidBody(t *testing.T) {
	baseline := runtime.NumGoroutine()
	release := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		_, _ = io.WriteString(w, "first")
		w.(http.Flusher).Flush()
		<-release
	}))
	p := New(Options{ResponseIdleTimeout: 200 * time.Millisecond})
	fr := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := p.Forward(w, r, Target{URL: up.URL, Timeout: time.Second})
		if !errors.Is(err, ErrTimeout) || !errors.Is(err, ErrAborted) || !res.Started || res.Bytes != 5 {
			t.Errorf("Forward = %+v, %v; want ErrTimeout after 5 bytes, aborted", res, err)
		}
		if err != nil && res.Started {
			panic(http.ErrAbortHandler)
		}
	}))
	fr.Client().Timeout = 5 * time.Second // fail, not hang, if the idle timeout never fires
	if got, err := get(fr); err == nil {
		t.Errorf("client read %q completely, want a broken response", got)
	}
	close(release)
	fr.Close()
	up.Close()
	p.Close()
	fr.Client().CloseIdleConnections()
	waitGoroutines(t, baseline)
}

func TestForwardUpstreamDiesMidBody(t *testing.T) {
	for _, chunked := range []bool{false, true} {
		t.Run(map[bool]string{false: "content-length", true: "chunked"}[chunked], func(t *testing.T) {
			up, _ := upstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !chunked {
					w.Header().Set("Content-Length", "1000")
				}
				_, _ = io.WriteString(w, "0123456789")
				w.(http.Flusher).Flush()
				panic(http.ErrAbortHandler) // the upstream's connection drops
			}))
			p := New(Options{})
			t.Cleanup(p.Close)
			fr, ch := front(t, p, func(*http.Request) Target { return Target{URL: up.URL} })
			got, err := get(fr)
			o := recv(t, ch)
			if !errors.Is(o.err, ErrUpstream) || !errors.Is(o.err, ErrAborted) || !o.res.Started || o.res.Status != 200 || o.res.Bytes != 10 {
				t.Fatalf("Forward = %+v, %v; want ErrUpstream, aborted after 10 bytes", o.res, o.err)
			}
			if err == nil {
				t.Errorf("client read %q completely, want a broken response", got)
			}
		})
	}
}

func TestForwardClientGoesAway(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	up, _ := upstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release) })
	p := New(Options{})
	t.Cleanup(p.Close)
	fr, ch := front(t, p, func(*http.Request) Target { return Target{URL: up.URL, Timeout: 10 * time.Second} })
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", fr.URL, nil)
	go func() {
		<-entered
		cancel()
	}()
	if _, err := fr.Client().Do(req); err == nil {
		t.Fatal("client request succeeded after cancel")
	}
	o := recv(t, ch)
	if !errors.Is(o.err, ErrClient) || o.res.Started {
		t.Errorf("Forward = %+v, %v; want ErrClient before start", o.res, o.err)
	}
}

func TestForwardRequestBodyTooLarge(t *testing.T) {
	up, _ := upstream(t, http.HandlerFunc(echoHandler))
	p := New(Options{})
	t.Cleanup(p.Close)
	w := newSpy()
	r := httptest.NewRequest("POST", "http://gw.example/stage/x", bytes.NewReader(pattern(64<<10)))
	r.Body = http.MaxBytesReader(w, r.Body, 1024)
	res, err := p.Forward(w, r, Target{URL: up.URL})
	var mbe *http.MaxBytesError
	if !errors.Is(err, ErrClientBody) || errors.Is(err, ErrUpstream) || !errors.As(err, &mbe) || res.Started {
		t.Fatalf("Forward = %+v, %v; want ErrClientBody wrapping *http.MaxBytesError", res, err)
	}
	w.untouched(t)
}

// TestForwardMalformedChunkedBody: a caller whose chunked body is
// malformed (sent over a raw connection, as no client library would) is
// the caller's fault, not the upstream's.
func TestForwardMalformedChunkedBody(t *testing.T) {
	up, _ := upstream(t, http.HandlerFunc(echoHandler))
	p := New(Options{})
	t.Cleanup(p.Close)
	fr, ch := front(t, p, func(*http.Request) Target { return Target{URL: up.URL} })
	conn, err := net.Dial("tcp", fr.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A first good chunk, then a chunk size that is not hexadecimal.
	if _, err := io.WriteString(conn, "POST /x HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\nzz\r\nnope\r\n0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	o := recv(t, ch)
	if !errors.Is(o.err, ErrClientBody) || o.res.Started {
		t.Fatalf("Forward = %+v, %v; want ErrClientBody before start", o.res, o.err)
	}
}

// TestForwardResponseTooLarge: an upstream body over MaxResponseBytes is
// refused before anything is written when its Content-Length says so, and
// cut at the limit (the response aborted) when it streams.
func TestForwardResponseTooLarge(t *testing.T) {
	const limit = 64 << 10
	big := pattern(limit + 1)
	for _, withLength := range []bool{true, false} {
		t.Run(map[bool]string{true: "content-length", false: "chunked"}[withLength], func(t *testing.T) {
			up, _ := upstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if withLength {
					w.Header().Set("Content-Length", strconv.Itoa(len(big)))
				}
				for b := big; len(b) > 0; {
					n := min(len(b), 16<<10)
					_, _ = w.Write(b[:n])
					b = b[n:]
					if !withLength {
						w.(http.Flusher).Flush()
					}
				}
			}))
			p := New(Options{MaxResponseBytes: limit})
			t.Cleanup(p.Close)
			if withLength {
				w := newSpy()
				res, err := p.Forward(w, httptest.NewRequest("GET", "http://gw.example/x", nil), Target{URL: up.URL})
				if !errors.Is(err, ErrResponseTooLarge) || res.Started {
					t.Fatalf("Forward = %+v, %v; want ErrResponseTooLarge before start", res, err)
				}
				w.untouched(t)
				return
			}
			fr, ch := front(t, p, func(*http.Request) Target { return Target{URL: up.URL} })
			resp, err := fr.Client().Get(fr.URL)
			if err == nil {
				got, rerr := io.ReadAll(resp.Body)
				resp.Body.Close()
				if rerr == nil {
					t.Fatalf("the client read a complete-looking %d-byte body", len(got))
				}
				if len(got) > limit {
					t.Fatalf("the client got %d bytes, over the %d-byte limit", len(got), limit)
				}
			}
			o := recv(t, ch)
			if !errors.Is(o.err, ErrResponseTooLarge) || !o.res.Started || o.res.Bytes > limit {
				t.Fatalf("Forward = %+v, %v; want ErrResponseTooLarge after start, at most %d bytes", o.res, o.err, limit)
			}
		})
	}
}

// TestForwardResponseAtTheLimit: a body of exactly MaxResponseBytes passes.
func TestForwardResponseAtTheLimit(t *testing.T) {
	const limit = 64 << 10
	body := pattern(limit)
	up, _ := upstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(body) }))
	p := New(Options{MaxResponseBytes: limit})
	t.Cleanup(p.Close)
	w := newSpy()
	res, err := p.Forward(w, httptest.NewRequest("GET", "http://gw.example/x", nil), Target{URL: up.URL})
	if err != nil || res.Bytes != limit || sha(w.body) != sha(body) {
		t.Fatalf("Forward = %+v, %v (%d bytes)", res, err, len(w.body))
	}
}

func TestForwardKeepAlive(t *testing.T) {
	up, conns := upstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "{}")
	}))
	p := New(Options{})
	t.Cleanup(p.Close)
	for i := range 50 {
		w := httptest.NewRecorder()
		var body io.Reader
		if i%2 == 1 {
			body = strings.NewReader(`{"n":1}`)
		}
		r := httptest.NewRequest("POST", "http://gw.example/stage/x", body)
		if _, err := p.Forward(w, r, Target{URL: up.URL + "/k"}); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if w.Body.String() != "{}" {
			t.Fatalf("request %d: body %q", i, w.Body)
		}
	}
	if n := conns.Load(); n > 2 {
		t.Errorf("50 sequential requests opened %d upstream connections, want <= 2", n)
	}
}

func TestForwardFlushesEventStream(t *testing.T) {
	gotFirst := make(chan struct{})
	up, _ := upstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		_, _ = io.WriteString(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-gotFirst: // only reachable if the gateway flushed "one" to the client
		case <-r.Context().Done():
			return
		}
		_, _ = io.WriteString(w, "data: two\n\n")
	}))
	p := New(Options{})
	t.Cleanup(p.Close)
	fr, ch := front(t, p, func(*http.Request) Target { return Target{URL: up.URL} })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", fr.URL, nil)
	resp, err := fr.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	if err != nil || line != "data: one\n" {
		t.Fatalf("first event: %q, %v (not flushed?)", line, err)
	}
	close(gotFirst)
	rest, err := io.ReadAll(br)
	if err != nil || string(rest) != "\ndata: two\n\n" {
		t.Errorf("rest: %q, %v", rest, err)
	}
	if o := recv(t, ch); o.err != nil {
		t.Error(o.err)
	}
}

func TestForwardTrailers(t *testing.T) {
	up, _ := upstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Checksum")
		_, _ = io.WriteString(w, "body")
		w.Header().Set("X-Checksum", "abc")
	}))
	p := New(Options{})
	t.Cleanup(p.Close)
	fr, ch := front(t, p, func(*http.Request) Target { return Target{URL: up.URL} })
	resp, err := fr.Client().Get(fr.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if o := recv(t, ch); o.err != nil {
		t.Fatal(o.err)
	}
	if string(body) != "body" || resp.Trailer.Get("X-Checksum") != "abc" {
		t.Errorf("client got %q with trailers %v, want body and X-Checksum: abc", body, resp.Trailer)
	}
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Kind: ErrTimeout, Op: "GET http://u/p"}, "proxy: GET http://u/p: endpoint request timed out"},
		{&Error{Kind: ErrUpstream, Started: true, Op: "GET http://u/p", Err: io.ErrUnexpectedEOF}, "proxy: GET http://u/p: network error communicating with endpoint (response aborted): unexpected EOF"},
		{&Error{Kind: ErrTarget, Err: errors.New("bad")}, "proxy: invalid integration target: bad"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		if errors.Is(tt.err, ErrAborted) != tt.err.Started {
			t.Errorf("errors.Is(%v, ErrAborted) = %v, want %v", tt.err, !tt.err.Started, tt.err.Started)
		}
	}
}

// get fetches srv's root and reads the whole body. The error is non-nil when
// the response was broken anywhere: before the headers or in the body.
func get(srv *httptest.Server) ([]byte, error) {
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// TestForwardMapped: a Mapped call (an HTTP integration's) adds no
// X-Forwarded-* headers, as AWS sends none to such an upstream; the API id,
// the trace id and the mapped headers still go.
func TestForwardMapped(t *testing.T) {
	up, _ := upstream(t, http.HandlerFunc(echoHandler))
	p := New(Options{})
	t.Cleanup(p.Close)
	fr, ch := front(t, p, func(r *http.Request) Target {
		return Target{URL: up.URL + "/m", APIID: "a1b2c3d4e5", RequestID: "c0ffee00-1111-4222-8333-444455556666",
			Headers: http.Header{"X-Mapped": {"v"}}, Mapped: true}
	})
	resp, err := fr.Client().Get(fr.URL + "/m")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got echo
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if o := recv(t, ch); o.err != nil {
		t.Fatal(o.err)
	}
	for _, h := range []string{"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Port"} {
		if v, ok := got.Header[h]; ok {
			t.Errorf("upstream got %s: %q; a mapped call sends none", h, v)
		}
	}
	if got.Header.Get("X-Amzn-Apigateway-Api-Id") != "a1b2c3d4e5" || got.Header.Get("X-Mapped") != "v" || got.Header.Get("X-Amzn-Trace-Id") == "" {
		t.Errorf("upstream headers %v", got.Header)
	}
}
