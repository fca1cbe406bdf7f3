package counters

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// Local keeps throttle buckets, quota counts and usage counts in memory, in
// maps split into shards with one mutex each. It implements Throttler,
// Quotas and Usage for a single node.
//
// Buckets and quota entries are keyed by a 128-bit hash of their strings
// and hold no pointer (see entryID), so a million keys cost the garbage
// collector next to nothing. Usage counts keep their strings: they must be
// written to the store by name, and only keys active since the last Flush
// have one.
//
// Quota counts survive a restart only through the store: call LoadQuotas
// before serving. Usage counts reach the store through Flush (or a
// Flusher); until then they live only here. Idle state is dropped by
// Sweep, which the owner calls periodically.
//
// A Local is safe for concurrent use. The zero value is not usable; call
// NewLocal.
type Local struct {
	seed    maphash.Seed    // usage keys
	idSeeds [2]maphash.Seed // entryIDs: independent, one per word
	buckets bucketTable
	quotas  idTable[quotaEntry]
	usage   table[usageKey, usageCount]
	plans   planNumbers

	// The account bucket's shards: their bucket ids, and the last account
	// limit split over them (see accountShards).
	accountID [accountShards]entryID
	account   atomic.Pointer[accountSplit]

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
	l := &Local{
		seed:    maphash.MakeSeed(),
		idSeeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
	}
	l.accountID = l.accountIDs()
	return l
}

// id is the entryID of a tag and up to three strings; never the zero
// entryID, which marks a free slot.
func (l *Local) id(tag uint8, a, b, c string) entryID {
	id := entryID{hashStrings(l.idSeeds[0], tag, a, b, c), hashStrings(l.idSeeds[1], tag, a, b, c)}
	if id == (entryID{}) {
		id.hi = 1 // as likely to collide as any other value
	}
	return id
}

// Sweep drops state that no longer changes any decision: throttle buckets
// that are full at now (a full bucket behaves exactly like a new one) and
// quota counts of periods that ended before now (unless an adjustment for
// a later period is pending). It returns the number of items dropped; their
// memory is reused by later entries, or given back when most of a shard
// was dropped. Call it every few seconds; it bounds memory by the number
// of recently active keys. Usage counts are dropped by Flush.
func (l *Local) Sweep(now time.Time) int {
	ns := now.UnixNano()
	n := l.buckets.each(func(b *bucket, lim *limit) bool { return b.full(lim, ns) })
	n += l.quotas.each(func(_ entryID, e *quotaEntry) bool {
		return e.end != 0 && e.end <= ns && !(e.hasAdj && e.adjStart >= e.end)
	})
	return n
}
