package server

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Readiness probe settings.
const (
	// ReadySetting is the store setting /readyz writes.
	ReadySetting = "readyz-probe"
	// readyTimeout bounds one probe's commit: a store that cannot commit
	// within it (a long import holding the writer, a stalled disk) is not
	// ready.
	readyTimeout = 2 * time.Second
	// defaultReadyEvery is how long a probe's result is reused, so that
	// callers of the unauthenticated /readyz cause at most one write per
	// interval.
	defaultReadyEvery = time.Second
)

// feeder is a store shared by several nodes, which follows the changes
// the others commit (store/postgres).
type feeder interface{ FeedErr() error }

// pinger is a counters backend shared by nodes (Redis), which /readyz
// asks too: a node that cannot reach its counters refuses or falls back
// (gatehouse:countersFailure) instead of counting.
type pinger interface{ Ping(context.Context) error }

// readiness is the last probe's result.
type readiness struct {
	mu  sync.Mutex
	at  time.Time
	err error
}

// ready commits a tiny write (the time, in the ReadySetting row) and
// reports whether it failed. Concurrent callers wait for one probe; a
// result younger than readyEvery is reused.
func (s *Server) ready(ctx context.Context) error {
	s.readiness.mu.Lock()
	defer s.readiness.mu.Unlock()
	if !s.readiness.at.IsZero() && time.Since(s.readiness.at) < s.readyEvery {
		return s.readiness.err
	}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	now := time.Now()
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		return tx.PutSetting(ctx, ReadySetting, now.UTC().Format(time.RFC3339Nano))
	})
	if err != nil && ctx.Err() != nil && context.Cause(ctx) != context.DeadlineExceeded {
		return err // the caller went away: not a result to keep
	}
	if f, ok := s.Store.(feeder); ok && err == nil {
		err = f.FeedErr() // a node that misses other nodes' changes serves stale state
	}
	if p, ok := s.Counters.(pinger); ok && err == nil {
		err = p.Ping(ctx)
	}
	s.readiness.at, s.readiness.err = now, err
	return err
}

// serveReadyz answers /readyz: 200 when the store commits a write (and,
// for a store shared by nodes, follows the other nodes' changes, and
// shared counters answer), 503
// otherwise (the cause goes to the log, not to the unauthenticated caller).
func (s *Server) serveReadyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.ready(r.Context()); err != nil {
		s.log.Warn("not ready: the store cannot commit a write, does not follow the other nodes' changes, or the counters do not answer", "error", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("not ready: the store cannot commit a write, does not follow the other nodes' changes, or the counters do not answer (the node's log says why)\n"))
		return
	}
	w.Write([]byte("ok\n"))
}
