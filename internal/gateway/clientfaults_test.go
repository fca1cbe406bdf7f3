package gateway

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/proxy"
)

// TestClientFaultsAreNotTheUpstreams: a request body over the limit or
// unreadable is answered 413 or 400 with its own reason, whether it came
// with a Content-Length or chunked, and the healthy upstream behind the
// method is never counted as failing.
func TestClientFaultsAreNotTheUpstreams(t *testing.T) {
	const limit = 1024
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		io.WriteString(w, `{"read":`+strconv.FormatInt(n, 10)+`}`)
	}))
	t.Cleanup(up.Close)
	env := newGWEnv(t, gwOptions{maxBody: limit})
	env.addAPI(apiDef{id: "faults0001", methods: map[string]*apigw.Method{"POST /up": {Integration: httpProxyTo(up.URL + "/in")}}})
	url := env.url("faults0001", "/up")
	path := "/restapis/faults0001/api/_user_request_/up"

	chunked := func(n int) *http.Request {
		// io.MultiReader hides the length: the client sends it chunked.
		req, err := http.NewRequest("POST", url, io.MultiReader(bytes.NewReader(make([]byte, n))))
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	withLength := func(n int) *http.Request {
		req, err := http.NewRequest("POST", url, bytes.NewReader(make([]byte, n)))
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	tests := []struct {
		name      string
		send      func() reply
		status    int
		body      string
		errorType string
		reason    Reason
	}{
		{"chunked within the limit", func() reply { return env.do(chunked(limit)) }, 200, `{"read":1024}`, "", ReasonOK},
		{"Content-Length within the limit", func() reply { return env.do(withLength(limit)) }, 200, `{"read":1024}`, "", ReasonOK},
		{"chunked over the limit", func() reply { return env.do(chunked(limit + 1)) }, 413, `{"message":"Request Too Long"}`, "RequestTooLargeException", ReasonRequestTooLarge},
		{"Content-Length over the limit", func() reply { return env.do(withLength(limit + 1)) }, 413, `{"message":"Request Too Long"}`, "RequestTooLargeException", ReasonRequestTooLarge},
		{"malformed chunk size", func() reply {
			return env.raw("POST " + path + " HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\nzz\r\nnope\r\n0\r\n\r\n")
		}, 400, `{"message":"Bad Request"}`, "BadRequestException", ReasonBodyInvalid},
		{"chunk longer than its size", func() reply {
			return env.raw("POST " + path + " HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcdef\r\n0\r\n\r\n")
		}, 400, `{"message":"Bad Request"}`, "BadRequestException", ReasonBodyInvalid},
		{"body cut short", func() reply { return env.cutShort(path, 100, 10) }, 400, `{"message":"Bad Request"}`, "BadRequestException", ReasonBodyInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.send()
			if r.status != tt.status || r.body != tt.body || r.reason() != string(tt.reason) {
				t.Fatalf("got %d %s (reason %s, detail %v), want %d %s (%s)", r.status, r.body, r.reason(), r.line["detail"], tt.status, tt.body, tt.reason)
			}
			if tt.errorType != "" && r.header.Get("X-Amzn-Errortype") != tt.errorType {
				t.Fatalf("x-amzn-ErrorType %q, want %q", r.header.Get("X-Amzn-Errortype"), tt.errorType)
			}
		})
	}
	if n := env.requestsTotal(string(ReasonIntegrationFailure)); n != 0 {
		t.Fatalf("the metrics count %v INTEGRATION_FAILURE for a healthy upstream", n)
	}
}

// cutShort sends a request whose body stops after sent of the length
// bytes it announced, then closes its side of the connection.
func (env *gwEnv) cutShort(path string, length, sent int) reply {
	env.t.Helper()
	conn, err := net.Dial("tcp", env.srv.Listener.Addr().String())
	if err != nil {
		env.t.Fatal(err)
	}
	defer conn.Close()
	head := "POST " + path + " HTTP/1.1\r\nHost: gw\r\nContent-Length: " + strconv.Itoa(length) + "\r\n\r\n"
	if _, err := io.WriteString(conn, head+strings.Repeat("x", sent)); err != nil {
		env.t.Fatal(err)
	}
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		env.t.Fatal(err)
	}
	return env.readReply(conn)
}

// TestUpstreamResponseTooLarge: an upstream body over the payload limit
// is refused 502 with its own reason when its Content-Length says so, and
// cut off (the connection aborted) when it streams past it.
func TestUpstreamResponseTooLarge(t *testing.T) {
	const limit = 4096
	big := strings.Repeat("y", limit+1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stream" {
			for i := 0; i < len(big); i += 1000 {
				io.WriteString(w, big[i:min(i+1000, len(big))])
				w.(http.Flusher).Flush()
			}
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(big)))
		io.WriteString(w, big)
	}))
	t.Cleanup(up.Close)
	env := newGWEnv(t, gwOptions{proxy: proxy.Options{MaxResponseBytes: limit}})
	env.addAPI(apiDef{id: "bigbody001", methods: map[string]*apigw.Method{
		"GET /sized":  {Integration: httpProxyTo(up.URL + "/sized")},
		"GET /stream": {Integration: httpProxyTo(up.URL + "/stream")},
	}})

	req, _ := http.NewRequest("GET", env.url("bigbody001", "/sized"), nil)
	r := env.do(req)
	if r.status != 502 || r.body != `{"message":"Internal server error"}` || r.reason() != string(ReasonIntegrationTooLarge) {
		t.Fatalf("sized: %d, %d bytes %.60q (reason %s)", r.status, len(r.body), r.body, r.reason())
	}
	req, _ = http.NewRequest("GET", env.url("bigbody001", "/stream"), nil)
	r = env.do(req)
	if r.err == nil || len(r.body) > limit || r.reason() != string(ReasonIntegrationTooLarge) {
		t.Fatalf("stream: %d, %d bytes, read error %v, reason %s; want a cut-off body of at most %d bytes", r.status, len(r.body), r.err, r.reason(), limit)
	}
}
