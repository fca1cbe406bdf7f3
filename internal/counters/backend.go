package counters

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Backend is a counters engine: the Throttler, Quotas and Usage the data
// plane counts with, and the lifecycle a node drives them through. A node
// opens one with Open, calls Load before it serves, Apply after every
// commit, Run in the background while it serves, and Close once Run has
// returned.
//
// Where the counts live is the backend's own business: the local backend
// keeps them in this process and writes usage to the store; a cluster
// backend keeps them in a shared server. Either way the store remains
// where usage is read from (GetUsage), so a backend writes usage there
// (Flush) and may read the store's usage plans, usage and quota
// adjustments. Quota adjustments are persisted by the caller (control)
// and handed in through Adjust.
//
// Every method is safe for concurrent use, except that Load, Apply and
// Run are each called by one goroutine at a time, as said below. An error
// from a counting method (Allow, Take, Record…) means the counts could not
// be reached; the data plane then follows its counters-failure policy.
type Backend interface {
	Throttler
	Quotas
	Usage

	// Load prepares the counts for serving, given every committed usage
	// plan (with or without a quota) at now. Call it once, before the data
	// plane serves and before the first Apply; on error the node must not
	// serve, because quotas could admit more than their limit. (The local
	// backend reads, for each plan with a quota, the usage of the period
	// containing now and that period's adjustments from the store, so that
	// a quota holds exactly across a restart.)
	Load(ctx context.Context, plans []*apigw.UsagePlan, now time.Time) error

	// Apply reacts to one commit's changes, after the node's own view of
	// the configuration has taken them in: call it for every commit, in
	// commit order, from one goroutine. plans returns every usage plan as
	// committed after these changes; Apply calls it only when a change
	// concerns usage plans (store.KindUsagePlan, store.KindResync).
	//
	// A quota's limit may change without Apply: every counting method
	// takes the limit in force. When a plan's quota period or offset
	// changes, the counting window moves: after Apply, Take and Peek count
	// in the new period containing now, and that count includes the
	// requests counted (Take) before the change that fall in it. An error
	// means some plans' counts may be stale until the next change or
	// resync; the backend keeps serving.
	Apply(ctx context.Context, changes []store.Change, plans func() []*apigw.UsagePlan, now time.Time) error

	// Flush makes every request counted by Record before the call
	// readable from the store (store.Reader.ListUsage) once it returns
	// nil. On error nothing is lost: a later Flush writes it. Concurrent
	// Records are kept for a later Flush.
	Flush(ctx context.Context) error

	// Run does the backend's background work until ctx ends (the local
	// backend: a Flush every flush interval, retried at the next tick on
	// failure, and dropping idle state), then flushes once more under a
	// fresh deadline, so that a graceful shutdown loses no count, and
	// returns that last flush's error. Call it once.
	Run(ctx context.Context) error

	// Close releases what the backend holds (connections, memory). It
	// does not flush (Run's return does) and does not close the store,
	// which is the caller's. Call it after Run has returned, once.
	Close() error
}

// Options configure a Backend.
type Options struct {
	// Store is where usage is written and the usage plans' quota state is
	// read from. Required.
	Store store.Store
	// Now is the clock of Run's periodic work (nil: time.Now). The counting
	// methods take their time from the caller.
	Now func() time.Time
	// FlushInterval is how often Run flushes usage (0: DefaultFlushInterval):
	// the most usage a crash may lose.
	FlushInterval time.Duration
	// SweepInterval is how often Run drops idle state (0: 10 s).
	SweepInterval time.Duration
	// FinalFlushTimeout bounds Run's last flush after its context ends
	// (0: 10 s).
	FinalFlushTimeout time.Duration
	// Logger receives failed periodic work; nil discards it.
	Logger *slog.Logger
	// Prefix starts every key a shared-server backend (redis://) writes,
	// so several clusters can share one server ("": DefaultPrefix). The
	// local backend ignores it.
	Prefix string
}

// DefaultPrefix is the key prefix of a shared-server backend unless told
// otherwise (--counters-prefix).
const DefaultPrefix = "gatehouse:"

// Opener opens a Backend for a URL of the scheme it was registered for.
type Opener func(ctx context.Context, url string, o Options) (Backend, error)

var (
	openersMu sync.RWMutex
	openers   = map[string]Opener{}
)

// Register makes Open accept URLs of scheme ("redis" for redis://…),
// opened by open. An engine package registers its schemes in its init, so
// that this package never imports an engine; the program imports the
// engine for that effect. Registering a scheme twice panics.
func Register(scheme string, open Opener) {
	openersMu.Lock()
	defer openersMu.Unlock()
	if _, dup := openers[scheme]; dup {
		panic("counters: Register called twice for scheme " + scheme)
	}
	openers[scheme] = open
}

// schemes returns the registered schemes, sorted.
func schemes() []string {
	openersMu.RLock()
	defer openersMu.RUnlock()
	return slices.Sorted(maps.Keys(openers))
}

// DefaultFlushInterval is how often usage is flushed unless told
// otherwise: the most usage a crash may lose on one node (one second).
const DefaultFlushInterval = time.Second

// IsLocal reports whether url names the in-process backend ("" or
// "memory://"), the one Open's switch below answers itself.
func IsLocal(url string) bool { return url == "" || url == "memory://" }

// Open opens the counters engine named by url, over o.Store:
//
//   - "" or "memory://": the local backend, counting in this process
//     (Local) and writing usage to the store.
//   - a URL of a registered scheme (Register): that engine's backend, such
//     as redis:// and rediss:// once package counters/redis is imported.
//
// Any other url is refused with an error that names it.
func Open(ctx context.Context, url string, o Options) (Backend, error) {
	if o.Store == nil {
		return nil, fmt.Errorf("counters: open %q: Options.Store is required", url)
	}
	if IsLocal(url) {
		return newLocalBackend(o), nil
	}
	if scheme, _, ok := strings.Cut(url, "://"); ok {
		openersMu.RLock()
		open := openers[scheme]
		openersMu.RUnlock()
		if open != nil {
			if o.Prefix == "" {
				o.Prefix = DefaultPrefix
			}
			return open(ctx, url, o)
		}
	}
	want := `"" or "memory://" (in-process counters)`
	for _, s := range schemes() {
		want += ", " + s + "://…"
	}
	return nil, fmt.Errorf("counters: unsupported counters URL %q: want %s", redactURL(url), want)
}

// redactURL drops the userinfo (a password) of a URL for an error.
func redactURL(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	host, path, _ := strings.Cut(rest, "/")
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = "xxxxx@" + host[i+1:]
	}
	if path != "" || strings.Contains(rest, "/") {
		return scheme + "://" + host + "/" + path
	}
	return scheme + "://" + host
}

// localBackend is the Backend of one node: a Local, the store it loads
// quota state from and flushes usage to, and the quota-reload policy.
type localBackend struct {
	*Local
	o Options

	// shapesMu guards shapes: Load and Apply are called one at a time,
	// but not necessarily from the same goroutine.
	shapesMu sync.Mutex
	// shapes is each plan's quota as last loaded: Apply reloads a plan
	// whose period or offset differs from it.
	shapes QuotaShapes
}

var _ Backend = (*localBackend)(nil)

func newLocalBackend(o Options) *localBackend {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	if o.SweepInterval <= 0 {
		o.SweepInterval = 10 * time.Second
	}
	if o.FinalFlushTimeout <= 0 {
		o.FinalFlushTimeout = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &localBackend{Local: NewLocal(), o: o, shapes: map[string]apigw.Quota{}}
}

// Load implements Backend.
func (b *localBackend) Load(ctx context.Context, plans []*apigw.UsagePlan, now time.Time) error {
	b.shapesMu.Lock()
	defer b.shapesMu.Unlock()
	clear(b.shapes)
	for _, p := range plans {
		if p.Quota != nil {
			b.shapes[p.ID] = *p.Quota
		}
	}
	return b.LoadQuotas(ctx, b.o.Store, plans, now)
}

// Apply implements Backend: it reloads from the store the quota counts of
// the plans whose quota period or offset changed (their counting window
// moved), or of every plan after a resync. A limit change needs no
// reload: the counts are compared with the current limit on every call.
func (b *localBackend) Apply(ctx context.Context, changes []store.Change, plans func() []*apigw.UsagePlan, now time.Time) error {
	b.shapesMu.Lock()
	defer b.shapesMu.Unlock()
	reload := b.shapes.Reloads(changes, plans)
	if len(reload) == 0 {
		return nil
	}
	return b.LoadQuotas(ctx, b.o.Store, reload, now)
}

// QuotaShapes is each plan's quota as a backend last loaded it: the one
// home, for every engine, of deciding which plans' counts a batch of
// changes makes stale.
type QuotaShapes map[string]apigw.Quota

// Reloads returns the plans whose quota counts must be reloaded (or
// recounted) after changes: every plan with a quota after a resync, else
// the changed plans whose quota is new or moved its period or offset. It
// records the new shapes; the caller serialises calls.
func (q QuotaShapes) Reloads(changes []store.Change, plans func() []*apigw.UsagePlan) []*apigw.UsagePlan {
	var (
		out  []*apigw.UsagePlan
		byID map[string]*apigw.UsagePlan
		seen map[string]bool
	)
	for _, c := range changes {
		switch c.Kind {
		case store.KindResync:
			clear(q)
			out = out[:0]
			for _, p := range plans() {
				if p.Quota != nil {
					q[p.ID] = *p.Quota
					out = append(out, p)
				}
			}
			return out
		case store.KindUsagePlan:
			if seen[c.ID] {
				continue
			}
			if byID == nil {
				seen = map[string]bool{}
				byID = map[string]*apigw.UsagePlan{}
				for _, p := range plans() {
					byID[p.ID] = p
				}
			}
			seen[c.ID] = true
			p := byID[c.ID]
			if p == nil || p.Quota == nil {
				delete(q, c.ID)
				continue
			}
			old, had := q[c.ID]
			if !had || old.Period != p.Quota.Period || old.Offset != p.Quota.Offset {
				out = append(out, p)
			}
			q[c.ID] = *p.Quota
		}
	}
	return out
}

// Flush implements Backend.
func (b *localBackend) Flush(ctx context.Context) error {
	return b.Local.Flush(ctx, b.o.Store)
}

// Run implements Backend: it flushes every FlushInterval and sweeps every
// SweepInterval (at the Now clock) until ctx ends, then flushes once more
// under a fresh deadline of FinalFlushTimeout. A failed periodic flush is
// logged and retried at the next tick with its counts intact.
func (b *localBackend) Run(ctx context.Context) error {
	flush := time.NewTicker(b.o.FlushInterval)
	defer flush.Stop()
	sweep := time.NewTicker(b.o.SweepInterval)
	defer sweep.Stop()
	for {
		select {
		case <-flush.C:
			if err := b.Flush(ctx); err != nil && ctx.Err() == nil {
				b.o.Logger.LogAttrs(ctx, slog.LevelWarn, "usage flush failed; will retry", slog.Any("error", err))
			}
		case <-sweep.C:
			b.Sweep(b.o.Now())
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.o.FinalFlushTimeout)
			defer cancel()
			return b.Flush(fctx)
		}
	}
}

// Close implements Backend. The local backend holds nothing but memory.
func (b *localBackend) Close() error { return nil }
