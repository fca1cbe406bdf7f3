package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// Bodies the reference servers answer with.
const (
	upstreamBody = `{}`
	mockBody     = `{"message":"Did it!"}`
	// authorizerReply is the bench authorizer's answer: allow every method
	// of every stage, so each key's cached policy serves every request.
	authorizerReply = `{"principalId":"bench","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"arn:aws:execute-api:*:*:*/*"}]}}`
)

// Hidden subcommands: bench re-executes itself with one of these as its
// first argument to run a reference server as its own process.
const (
	cmdUpstream   = "upstream"
	cmdBareProxy  = "bareproxy"
	cmdBareServer = "bareserver"
)

// runServer runs the reference server named by cmd with its flags in args
// until SIGTERM or SIGINT. It reports whether cmd names a server.
func runServer(cmd string, args []string) (bool, error) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	target := fs.String("upstream", "", "upstream base URL (bareproxy only)")
	var h http.Handler
	switch cmd {
	case cmdUpstream:
		mux := http.NewServeMux()
		mux.Handle("/", staticHandler(upstreamBody))
		// The authorizer function of gatehouse-authz (a plain-HTTP
		// function, Gatehouse's extension): allows everything.
		mux.Handle("POST /"+authorizerPath, staticHandler(authorizerReply))
		h = mux
	case cmdBareServer:
		h = staticHandler(mockBody)
	case cmdBareProxy:
		// Built after flag parsing, below.
	default:
		return false, nil
	}
	if err := fs.Parse(args); err != nil {
		return true, err
	}
	if cmd == cmdBareProxy {
		u, err := url.Parse(*target)
		if err != nil || u.Host == "" {
			return true, fmt.Errorf("bareproxy: -upstream %q is not an absolute URL", *target)
		}
		h = newBareProxy(u)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return true, fmt.Errorf("%s: %w", cmd, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return true, serve(ctx, ln, h)
}

// staticHandler answers every request with 200 and body as JSON. The
// request body, if any, is drained by net/http.
func staticHandler(body string) http.Handler {
	b := []byte(body)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(b)
	})
}

// newBareProxy is the reference reverse proxy: httputil.ReverseProxy with
// what a production gateway would configure — a pool of idle upstream
// connections large enough for the benchmark's concurrency, a buffer pool
// for copying bodies, and X-Forwarded-* headers.
func newBareProxy(target *url.URL) http.Handler {
	tr := &http.Transport{
		Proxy: nil, // never an environment proxy
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
		},
		Transport:  tr,
		BufferPool: newBufferPool(32 << 10),
	}
}

// bufferPool is an httputil.BufferPool over sync.Pool.
type bufferPool struct{ p sync.Pool }

func newBufferPool(size int) *bufferPool {
	bp := &bufferPool{}
	bp.p.New = func() any { b := make([]byte, size); return &b }
	return bp
}

func (bp *bufferPool) Get() []byte { return *(bp.p.Get().(*[]byte)) }

func (bp *bufferPool) Put(b []byte) { bp.p.Put(&b) }

// serve serves h on ln with the listener limits a gateway uses (the same
// timeouts and header limit as gatehouse's listeners) until ctx ends.
func serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
