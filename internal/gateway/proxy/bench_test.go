package proxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
)

// discardWriter is a ResponseWriter that keeps nothing, so the benchmark
// measures Forward and the Transport, not a recorder.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) WriteHeader(int)             {}
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }

// BenchmarkForward forwards a GET with typical caller headers to a loopback
// upstream answering "{}" over a kept-alive connection. The upstream runs in
// the same process, so its allocations count too; the baselines tell how
// much of the cost is Forward's own.
func BenchmarkForward(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "{}")
	}))
	defer up.Close()
	r := httptest.NewRequest("GET", "http://gw.example/prod/pets?limit=10", nil)
	r.Header.Set("Accept", "application/json")
	r.Header.Set("User-Agent", "bench/1.0")
	r.Header.Set("X-Api-Key", "0123456789abcdefghij0123456789abcdefghij")
	target := up.URL + "/pets?limit=10"

	b.Run("Forward", func(b *testing.B) {
		p := New(Options{})
		defer p.Close()
		t := Target{Method: "ANY", URL: target, APIID: "a1b2c3d4e5", RequestID: "c0ffee00-1111-4222-8333-444455556666"}
		w := &discardWriter{h: make(http.Header, 8)}
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			res, err := p.Forward(w, r, t)
			if err != nil || res.Status != 200 {
				b.Fatal(res, err)
			}
		}
	})
	// Baseline: the bare Transport round trip Forward is built on.
	b.Run("BareTransport", func(b *testing.B) {
		p := New(Options{})
		defer p.Close()
		b.ReportAllocs()
		for b.Loop() {
			out, err := http.NewRequestWithContext(r.Context(), "GET", target, nil)
			if err != nil {
				b.Fatal(err)
			}
			out.Header = r.Header
			resp, err := p.tr.RoundTrip(out)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	// Comparison: httputil.ReverseProxy with Rewrite on the same Transport.
	b.Run("ReverseProxy", func(b *testing.B) {
		p := New(Options{})
		defer p.Close()
		u, _ := url.Parse(target)
		rp := &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(u)
				pr.SetXForwarded()
				pr.Out.Header.Del("X-Api-Key")
			},
			Transport:  p.tr,
			BufferPool: bufPool{&p.bufs},
		}
		w := &discardWriter{h: make(http.Header, 8)}
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			rp.ServeHTTP(w, r)
		}
	})
}

type bufPool struct{ p *sync.Pool }

func (b bufPool) Get() []byte  { return *b.p.Get().(*[]byte) }
func (b bufPool) Put(x []byte) { b.p.Put(&x) }
