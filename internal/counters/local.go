package counters

import (
	"hash/maphash"
	"sync"
	"time"
)

// Local keeps throttle buckets, quota counts and usage counts in memory, in
// maps split into shards with one mutex each. It implements Throttler,
// Quotas and Usage for a single node.
//
// Quota counts survive a restart only through the store: call LoadQuotas
// before serving. Usage counts reach the store through Flush (or a
// Flusher); until then they live only here. Idle state is dropped by
// Sweep, which the owner calls periodically.
//
// A Local is safe for concurrent use. The zero value is not usable; call
// NewLocal.
type Local struct {
	seed    maphash.Seed
	buckets table[BucketKey, bucket]
	quotas  table[quotaKey, quotaEntry]
	usage   table[usageKey, usageCount]

	// flushMu serialises Flush and LoadQuotas, so that a load never sees
	// usage both in the store and still pending here.
	flushMu sync.Mutex
}

// Interface guards.
var (
	_ Throttler = (*Local)(nil)
	_ Quotas    = (*Local)(nil)
	_ Usage     = (*Local)(nil)
)

// NewLocal returns an empty Local.
func NewLocal() *Local {
	return &Local{seed: maphash.MakeSeed()}
}

// Sweep drops state that no longer changes any decision: throttle buckets
// that are full at now (a full bucket behaves exactly like a new one) and
// quota counts of periods that ended before now (unless an adjustment for
// a later period is pending). It returns the number of items dropped.
// Call it every few seconds; it bounds memory by the number of recently
// active keys. Usage counts are dropped by Flush.
func (l *Local) Sweep(now time.Time) int {
	ns := now.UnixNano()
	n := l.buckets.each(func(_ BucketKey, b *bucket) bool { return b.full(ns) })
	n += l.quotas.each(func(_ quotaKey, e *quotaEntry) bool {
		return e.end != 0 && e.end <= ns && !(e.hasAdj && e.adjStart >= e.end)
	})
	return n
}
