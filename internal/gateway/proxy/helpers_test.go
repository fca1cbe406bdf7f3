package proxy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// echo is what the echo upstream saw.
type echo struct {
	Method  string
	Path    string // escaped
	Query   string
	Host    string
	Proto   string
	Header  http.Header
	BodyLen int64
	BodySHA string
}

// echoHandler answers with a JSON echo of the request it received.
func echoHandler(w http.ResponseWriter, r *http.Request) {
	h := sha256.New()
	n, err := io.Copy(h, r.Body)
	if err != nil {
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	e := echo{
		Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Host: r.Host, Proto: r.Proto,
		Header: r.Header, BodyLen: n, BodySHA: hex.EncodeToString(h.Sum(nil)),
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(e)
}

// upstream starts an HTTP/1.1 test server and counts its new connections.
func upstream(t *testing.T, h http.Handler) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

// outcome is what Forward returned inside the front server.
type outcome struct {
	res Result
	err error
}

// front starts the gateway side: a server whose handler sets the gateway's
// own response headers, forwards with target(r), reports the outcome on the
// returned channel, and answers 599 "gateway error" itself when Forward
// failed before starting (or aborts the connection when it had started).
func front(t *testing.T, p *Proxy, target func(r *http.Request) Target) (*httptest.Server, <-chan outcome) {
	t.Helper()
	ch := make(chan outcome, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-Requestid", "gateway-request-id")
		res, err := p.Forward(w, r, target(r))
		ch <- outcome{res, err}
		if err != nil {
			if res.Started {
				panic(http.ErrAbortHandler)
			}
			w.WriteHeader(599)
			_, _ = io.WriteString(w, "gateway error")
		}
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

func recv(t *testing.T, ch <-chan outcome) outcome {
	t.Helper()
	select {
	case o := <-ch:
		return o
	case <-time.After(10 * time.Second):
		t.Fatal("Forward did not return within 10s")
		return outcome{}
	}
}

// spyWriter records every use of a ResponseWriter.
type spyWriter struct {
	h           http.Header
	wroteHeader int
	body        []byte
}

func newSpy() *spyWriter {
	return &spyWriter{h: http.Header{"X-Amzn-Requestid": {"gateway-request-id"}}}
}

func (s *spyWriter) Header() http.Header { return s.h }
func (s *spyWriter) WriteHeader(int)     { s.wroteHeader++ }
func (s *spyWriter) Write(b []byte) (int, error) {
	s.body = append(s.body, b...)
	return len(b), nil
}

// untouched fails the test when the spy saw any write or header change.
func (s *spyWriter) untouched(t *testing.T) {
	t.Helper()
	if s.wroteHeader != 0 || len(s.body) != 0 {
		t.Errorf("Forward wrote to the ResponseWriter: %d WriteHeader calls, %d body bytes", s.wroteHeader, len(s.body))
	}
	if len(s.h) != 1 || s.h.Get("X-Amzn-Requestid") != "gateway-request-id" {
		t.Errorf("Forward changed the response headers: %v", s.h)
	}
}

// pattern returns n deterministic bytes.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// refusedURL returns an http URL on which nothing listens.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr + "/x"
}

// waitGoroutines waits until the goroutine count is at most n.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := runtime.NumGoroutine()
		if got <= n {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("goroutines: %d, want <= %d\n%s", got, n, buf)
		}
		runtime.Gosched()
		time.Sleep(5 * time.Millisecond) // polling a count, not synchronising
	}
}

func kindOf(err error) string {
	for _, k := range []error{ErrTimeout, ErrUpstream, ErrClient, ErrClientBody, ErrResponseTooLarge, ErrTarget} {
		if errors.Is(err, k) {
			return k.Error()
		}
	}
	if err == nil {
		return "<nil>"
	}
	return "unclassified: " + err.Error()
}
