package gateway

import (
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/logsink"
	"github.com/prometheus/client_golang/prometheus"
)

// nullWriter is the cheapest http.ResponseWriter: it keeps the header map
// (cleared between requests) and drops the body, so that a benchmark
// measures the gateway's own work, not a recorder's.
type nullWriter struct {
	h      http.Header
	status int
}

func (w *nullWriter) Header() http.Header         { return w.h }
func (w *nullWriter) WriteHeader(status int)      { w.status = status }
func (w *nullWriter) Write(b []byte) (int, error) { return len(b), nil }

// BenchmarkServeHTTPMock measures what Gatehouse adds to a MOCK request on
// top of net/http: ServeHTTP with the pipeline, the MOCK answer, the access
// log line (through a logsink) and the metrics, over 1,000 keys round-robin,
// in parallel. Requests and writers are reused, so net/http's own
// per-request work (parsing, the header maps) is not in the figure; under
// load the same work costs more (caches are cold between requests).
func BenchmarkServeHTTPMock(b *testing.B) {
	env := newBenchEnv(b, 1000)
	sink := logsink.New(io.Discard, 0)
	b.Cleanup(func() { sink.Close() })
	env.g.access = sink
	env.g.metrics = NewMetrics(prometheus.NewRegistry())
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(97))
		reqs := env.requests()
		w := &nullWriter{h: http.Header{}}
		for pb.Next() {
			i++
			clear(w.h)
			env.g.ServeHTTP(w, reqs[i%len(reqs)])
			if w.status != 200 {
				b.Fatalf("status %d", w.status)
			}
		}
	})
}
