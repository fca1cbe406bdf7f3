package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/counters"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

func init() {
	for _, scheme := range []string{"redis", "rediss"} {
		counters.Register(scheme, func(ctx context.Context, url string, o counters.Options) (counters.Backend, error) {
			return Open(ctx, url, Options{Options: o})
		})
	}
}

// Lease sizes: a node leases min(DefaultLeaseMax, max(1,
// remaining/DefaultLeaseDivisor)) requests of a quota at a time.
const (
	DefaultLeaseMax     = 1000
	DefaultLeaseDivisor = 16
)

// Options configure a Backend.
type Options struct {
	counters.Options
	// LeaseMax caps a quota lease (0: DefaultLeaseMax); LeaseDivisor is
	// the share of the remaining quota one lease takes at most, as its
	// inverse (0: DefaultLeaseDivisor). 1 and any divisor make every
	// Take a round trip.
	LeaseMax, LeaseDivisor int64
}

// Backend is the Redis counters.Backend. See the package documentation.
type Backend struct {
	rdb          *goredis.Client
	st           store.Store
	prefix       string
	node         string // random id of this backend, in fold keys
	leaseMax     int64
	leaseDivisor int64
	o            counters.Options
	log          *slog.Logger

	quotas quotaTable

	// flushMu serialises usage folds; folds numbers them. foldStale is
	// how old another node's fold must be before this node writes it;
	// foldHook, when set (tests), runs at the stages of a flush (see
	// atFoldStage), and its error ends the flush there.
	flushMu   sync.Mutex
	folds     uint64
	foldStale time.Duration
	foldHook  func(stage string) error

	// shapesMu guards shapes: each plan's quota as last loaded, so Apply
	// recounts a plan whose period or offset changed.
	shapesMu sync.Mutex
	shapes   counters.QuotaShapes
	// applied is shapes once recounted, for the request path (counted):
	// replaced, never changed, under shapesMu.
	applied atomic.Pointer[map[string]apigw.Quota]

	metrics Metrics
}

// Metrics count this node's work with Redis.
type Metrics struct {
	roundTrips [numOps]atomic.Int64 // Redis calls, by op
	leases     atomic.Int64         // lease refills (Redis calls of Take)
	localTakes atomic.Int64         // Takes served from a lease
}

// The operations a Redis round trip is counted under (Stats.ByOp).
type op int

const (
	opThrottle     op = iota // a throttle bucket's script (Allow, Refund, PeekThrottle)
	opLeaseTake              // a quota lease taken (Take)
	opLeaseReturn            // an unused quota lease given back
	opQuotaPeek              // a quota read (Peek, dry runs)
	opQuotaSet               // UpdateUsage's remaining count
	opQuotaAdjust            // a quota adjustment applied
	opQuotaSeed              // a quota recount from the store (Load, period changes)
	opQuotaReclaim           // a flush reading the reclaim markers of its kept leases
	opUsageRecord            // an admitted request's usage count
	opUsageFold              // folding pending usage into the store
	opUsageRead              // reading pending usage (recounts)
	opPing                   // /readyz
	numOps
)

// opNames are the names of the ops, as Stats.ByOp's keys.
var opNames = [numOps]string{"throttle", "lease_take", "lease_return", "quota_peek", "quota_set", "quota_adjust",
	"quota_seed", "quota_reclaim", "usage_record", "usage_fold", "usage_read", "ping"}

func (b *Backend) trip(o op) { b.metrics.roundTrips[o].Add(1) }

// Stats is a snapshot of Metrics.
type Stats struct {
	// RoundTrips is every Redis call; ByOp splits them by op name.
	RoundTrips int64
	ByOp       map[string]int64
	// Leases is the quota leases taken (lease refills); LocalTakes the
	// Takes a lease answered without a round trip.
	Leases, LocalTakes int64
}

// Stats returns what this node has asked of Redis so far.
func (b *Backend) Stats() Stats {
	st := Stats{ByOp: make(map[string]int64, numOps), Leases: b.metrics.leases.Load(), LocalTakes: b.metrics.localTakes.Load()}
	for i := range b.metrics.roundTrips {
		n := b.metrics.roundTrips[i].Load()
		st.ByOp[opNames[i]] = n
		st.RoundTrips += n
	}
	return st
}

// CounterStats is Stats for the node's /metrics (package server reads it
// through an interface of its own).
func (b *Backend) CounterStats() (byOp map[string]int64, leaseRefills, leaseLocalTakes int64) {
	st := b.Stats()
	return st.ByOp, st.Leases, st.LocalTakes
}

var _ counters.Backend = (*Backend)(nil)

// Open connects to the Redis server of url (redis://[user:password@]host:port[/db],
// or rediss:// for TLS; go-redis's URL options such as dial_timeout
// apply) and checks that it answers.
func Open(ctx context.Context, url string, o Options) (*Backend, error) {
	if o.Store == nil {
		return nil, errors.New("counters/redis: Options.Store is required")
	}
	ropt, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("counters/redis: counters URL %q: %w", redact(url), err)
	}
	if ropt.DialTimeout == 0 {
		ropt.DialTimeout = 2 * time.Second
	}
	if ropt.ReadTimeout == 0 {
		ropt.ReadTimeout = 2 * time.Second
	}
	if ropt.WriteTimeout == 0 {
		ropt.WriteTimeout = 2 * time.Second
	}
	ropt.ContextTimeoutEnabled = true
	if !strings.Contains(url, "max_retries=") {
		// No retries unless the URL asks for them: a script retried after
		// a lost answer would run twice (a lease or a usage count taken
		// twice), and while Redis is down go-redis's three retries with
		// backoff made every request wait seconds before its
		// gatehouse:countersFailure policy answered.
		ropt.MaxRetries = -1
	}
	// One dial per call (go-redis's default is five, 100 ms apart): a
	// Redis that refuses connections fails the call at once.
	ropt.DialerRetries = 1
	if o.Prefix == "" {
		o.Prefix = counters.DefaultPrefix
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = counters.DefaultFlushInterval
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
	if o.LeaseMax <= 0 {
		o.LeaseMax = DefaultLeaseMax
	}
	if o.LeaseDivisor <= 0 {
		o.LeaseDivisor = DefaultLeaseDivisor
	}
	var id [6]byte
	rand.Read(id[:])
	b := &Backend{
		rdb:          goredis.NewClient(ropt),
		st:           o.Store,
		prefix:       o.Prefix,
		node:         hex.EncodeToString(id[:]),
		leaseMax:     o.LeaseMax,
		leaseDivisor: o.LeaseDivisor,
		o:            o.Options,
		log:          o.Logger,
		shapes:       counters.QuotaShapes{},
		foldStale:    max(defaultFoldStale, 5*o.FlushInterval),
	}
	b.quotas.seed = maphash.MakeSeed()
	if err := b.rdb.Ping(ctx).Err(); err != nil {
		b.rdb.Close()
		return nil, fmt.Errorf("counters/redis: connect to %s: %w", redact(url), err)
	}
	return b, nil
}

// Ping reports whether Redis answers (for /readyz).
func (b *Backend) Ping(ctx context.Context) error {
	err := b.rdb.Ping(ctx).Err()
	b.trip(opPing)
	if err != nil {
		return fmt.Errorf("counters/redis: Redis does not answer: %w", err)
	}
	return nil
}

// redact drops the password of a Redis URL for messages.
func redact(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return "(not a URL)"
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = "xxxxx@" + rest[i+1:]
	}
	return scheme + "://" + rest
}

// esc keeps an id from ending a key's {hash tag} or splitting its fields.
var escaper = strings.NewReplacer("%", "%25", "{", "%7B", "}", "%7D", "|", "%7C")

func esc(s string) string {
	if !strings.ContainsAny(s, "%{}|") {
		return s
	}
	return escaper.Replace(s)
}

// Load implements counters.Backend: for each plan with a quota, the
// current window's count is seeded from the store's usage and the usage
// pending in Redis, where Redis has none (a fresh or emptied Redis); a
// count Redis has, other nodes' work included, is kept.
func (b *Backend) Load(ctx context.Context, plans []*apigw.UsagePlan, now time.Time) error {
	b.shapesMu.Lock()
	defer b.shapesMu.Unlock()
	clear(b.shapes)
	defer b.publishShapes()
	for _, p := range plans {
		if p.Quota == nil {
			continue
		}
		b.shapes[p.ID] = *p.Quota
		if err := b.recount(ctx, p, now, "nx", 0); err != nil {
			return err
		}
	}
	return nil
}

// publishShapes makes shapes the ones the request path counts under
// (shapesMu held).
func (b *Backend) publishShapes() {
	m := maps.Clone(map[string]apigw.Quota(b.shapes))
	b.applied.Store(&m)
}

// Apply implements counters.Backend. A plan whose quota period or offset
// changed is recounted for its new window, as a compare-and-set keyed by
// the change's store revision: every node applies the same change, the
// first to do so sets the count, and the later ones find it set at that
// revision and keep it (with the leases taken from it since). A plan new
// to this node (or that gained a quota), and after a resync every plan
// whose shape this node already had, is seeded only where Redis has no
// count. A resync that finds a plan's shape changed (a change this node
// missed) recounts with revision 0: only a window that no node has
// recounted, or that leases alone made. Until a plan's recount is done,
// this node counts its requests in the old window (counted); requests
// that a node which has not yet applied the change admits meanwhile (for
// at most the feed's lag, 1 s) count in the old window only.
func (b *Backend) Apply(ctx context.Context, changes []store.Change, plans func() []*apigw.UsagePlan, now time.Time) error {
	b.shapesMu.Lock()
	defer b.shapesMu.Unlock()
	old := maps.Clone(map[string]apigw.Quota(b.shapes))
	revs := map[string]int64{}
	for _, c := range changes {
		if c.Kind == store.KindUsagePlan {
			revs[c.ID] = max(revs[c.ID], c.Revision)
		}
	}
	recount := b.shapes.Reloads(changes, plans)
	if len(recount) == 0 && len(old) == len(b.shapes) {
		return nil
	}
	defer b.publishShapes()
	var errs []error
	for _, p := range recount {
		mode, rev := "nx", int64(0)
		if o, had := old[p.ID]; had && (o.Period != p.Quota.Period || o.Offset != p.Quota.Offset) {
			mode, rev = "cas", revs[p.ID]
		}
		if err := b.recount(ctx, p, now, mode, rev); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Flush implements counters.Backend: it folds the usage pending in Redis
// into the store and gives back this node's unused quota leases where it
// matters (returnLeases: short leases, ended windows, idle leases, and
// leases another node asked back); full leases of busy keys are kept.
func (b *Backend) Flush(ctx context.Context) error {
	return b.flush(ctx, false)
}

// flush is Flush; with all (shutdown) every unused lease goes back.
func (b *Backend) flush(ctx context.Context, all bool) error {
	err := b.flushUsage(ctx)
	return errors.Join(err, b.returnLeases(ctx, b.o.Now(), all))
}

// Run implements counters.Backend: a Flush every FlushInterval until ctx
// ends, then a last one under a fresh deadline that gives back every
// unused lease.
func (b *Backend) Run(ctx context.Context) error {
	flush := time.NewTicker(b.o.FlushInterval)
	defer flush.Stop()
	for {
		select {
		case <-flush.C:
			if err := b.Flush(ctx); err != nil && ctx.Err() == nil {
				b.log.LogAttrs(ctx, slog.LevelWarn, "counters flush failed; will retry", slog.Any("error", err))
			}
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.o.FinalFlushTimeout)
			defer cancel()
			return b.flush(fctx, true)
		}
	}
}

// Close implements counters.Backend: it gives back the unused quota
// leases (best effort, within a second) and closes the connections.
func (b *Backend) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := b.returnLeases(ctx, b.o.Now(), true)
	return errors.Join(err, b.rdb.Close())
}
