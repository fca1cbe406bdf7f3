package counters

import (
	"context"
	"math"
	"math/bits"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// A bucket is run as GCRA (generic cell rate algorithm) in exact rational
// arithmetic: with the rate as r = round(RateLimit·1e9) (integer
// nanotokens per second), one token takes T = 1e18/r ns exactly, held as
// tq + tr/r. The state is the theoretical arrival time tat (+ frac/r ns):
// the bucket is full when tat <= now and holds burst − (tat−now)/T tokens
// otherwise. A request is admitted when tat−now <= (burst−1)·T, and then
// moves tat on by T. No floating point is involved, so over any window of
// length d with enough demand exactly burst + floor(r·d/1e18) requests
// pass.

const (
	nanosPerToken = 1e18 // rate unit (1e-9 token/s) × ns per s
	// maxTolerance caps (burst−1)·T so that tat stays far from overflow;
	// 2^62 ns is about 146 years.
	maxTolerance = 1 << 62
)

// limit is a Throttle turned into integer GCRA parameters.
type limit struct {
	r      int64 // refill rate in 1e-9 tokens per second; 0: never refills
	burst  int64 // capacity in tokens, > 0
	tq, tr int64 // emission interval T = tq + tr/r ns
	lq, lr int64 // tolerance (burst−1)·T = lq + lr/r ns
}

func newLimit(t apigw.Throttle) limit {
	l := limit{burst: int64(t.BurstLimit)}
	r := math.Round(t.RateLimit * 1e9)
	switch {
	case !(r > 0): // zero, or NaN
		r = 0
	case r > nanosPerToken:
		r = nanosPerToken // T = 1 ns: faster than anything can ask
	}
	l.r = int64(r)
	if l.r == 0 || l.burst <= 0 {
		return l
	}
	l.tq, l.tr = nanosPerToken/l.r, nanosPerToken%l.r
	hi, lo := bits.Mul64(uint64(l.burst-1), nanosPerToken)
	if hi >= uint64(l.r) {
		l.lq = maxTolerance
		return l
	}
	q, rem := bits.Div64(hi, lo, uint64(l.r))
	if q >= maxTolerance {
		l.lq = maxTolerance
		return l
	}
	l.lq, l.lr = int64(q), int64(rem)
	return l
}

// GCRA is a Throttle as the integer GCRA parameters newLimit computes
// (rate r in 1e-9 tokens/s, burst, T = TQ + TR/R ns, tolerance
// (burst−1)·T = LQ + LR/R ns), for another engine running the same
// algorithm (counters/redis).
type GCRA struct{ R, Burst, TQ, TR, LQ, LR int64 }

// GCRAOf returns t's GCRA parameters; Unlimited says whether t limits at
// all.
func GCRAOf(t apigw.Throttle) GCRA {
	l := newLimit(t)
	return GCRA{R: l.r, Burst: l.burst, TQ: l.tq, TR: l.tr, LQ: l.lq, LR: l.lr}
}

// Unlimited reports whether t imposes no limit at all.
func Unlimited(t apigw.Throttle) bool { return unlimited(t) }

// unlimited reports whether t imposes no limit at all.
func unlimited(t apigw.Throttle) bool {
	return t.BurstLimit < 0 || t.RateLimit < 0 || math.IsInf(t.RateLimit, 1)
}

// limitKey identifies a Throttle by the bits of its fields, so that every
// rate, NaN included, equals itself: a limit is "changed" only when its
// bits are.
type limitKey struct {
	burst int
	rate  uint64
}

func keyOf(t apigw.Throttle) limitKey {
	return limitKey{burst: t.BurstLimit, rate: math.Float64bits(t.RateLimit)}
}

// limitSet holds the distinct limits of one bucket shard's buckets, each
// once: a deployment has few limits and many buckets, so a bucket keeps
// only the index of its limit here, and limit's derived parameters are
// computed once per limit rather than per bucket. A limit no bucket uses
// any more is dropped. The shard's mutex guards it.
type limitSet struct {
	byKey map[limitKey]uint32
	list  []limitRef // the free slots have refs == 0
	free  []uint32
}

type limitRef struct {
	key  limitKey
	refs int64 // buckets using the limit
	limit
}

// acquire returns the index of t's limit, adding it when absent, and
// counts one more bucket using it. It may move list.
func (ls *limitSet) acquire(t apigw.Throttle) uint32 {
	k := keyOf(t)
	if i, ok := ls.byKey[k]; ok {
		ls.list[i].refs++
		return i
	}
	if ls.byKey == nil {
		ls.byKey = make(map[limitKey]uint32)
	}
	r := limitRef{key: k, refs: 1, limit: newLimit(t)}
	var i uint32
	if n := len(ls.free); n > 0 {
		i = ls.free[n-1]
		ls.free = ls.free[:n-1]
		ls.list[i] = r
	} else {
		i = uint32(len(ls.list))
		ls.list = append(ls.list, r)
	}
	ls.byKey[k] = i
	return i
}

// release counts one bucket fewer using limit i.
func (ls *limitSet) release(i uint32) {
	r := &ls.list[i]
	if r.refs--; r.refs > 0 {
		return
	}
	delete(ls.byKey, r.key)
	*r = limitRef{}
	ls.free = append(ls.free, i)
}

// bucketTable holds the token buckets: an idTable whose shards also keep
// their buckets' limits.
type bucketTable struct {
	shards [shardCount]bucketShard
}

type bucketShard struct {
	idShard[bucket]
	lims limitSet
}

// shard returns the shard of id, unlocked.
func (t *bucketTable) shard(id entryID) *bucketShard {
	return &t.shards[id.hi&(shardCount-1)]
}

// each calls fn for every bucket with its limit, each shard locked in
// turn, and removes the buckets for which fn returns true. It returns the
// number removed.
func (t *bucketTable) each(fn func(b *bucket, lim *limit) (remove bool)) int {
	removed := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		removed += s.removeIf(func(_ entryID, b *bucket) bool {
			if !fn(b, &s.lims.list[b.lim].limit) {
				return false
			}
			s.lims.release(b.lim)
			return true
		})
		s.mu.Unlock()
	}
	return removed
}

// size returns the number of buckets and the number of slab slots held.
func (t *bucketTable) size() (entries, slots int) {
	for i := range t.shards {
		e, s := t.shards[i].size()
		entries += e
		slots += s
	}
	return entries, slots
}

// bucket is one token bucket; its shard's mutex guards it. With its id it
// takes 48 bytes.
type bucket struct {
	lim   uint32 // index of the bucket's limit in its shard's limitSet
	tat   int64  // theoretical arrival time, Unix ns (r > 0)
	frac  int64  // tat's fraction of a ns, in units of 1/r ns, in [0, r)
	spent int64  // tokens taken (r == 0 only)
}

// bucketID is the entryID of k.
func (l *Local) bucketID(k BucketKey) entryID {
	return l.id(uint8(k.Scope), k.PlanID, k.KeyID, k.Method)
}

// Allow implements Throttler.
func (l *Local) Allow(_ context.Context, k BucketKey, t apigw.Throttle, now time.Time) (bool, time.Duration, error) {
	if unlimited(t) {
		return true, 0, nil
	}
	if t.BurstLimit == 0 {
		return false, Never, nil
	}
	if k == AccountBucket() {
		ok, retry := l.allowAccount(t, now.UnixNano())
		return ok, retry, nil
	}
	ok, retry := l.allow(l.bucketID(k), t, now.UnixNano())
	return ok, retry, nil
}

// Refund implements Throttler.
func (l *Local) Refund(_ context.Context, k BucketKey, t apigw.Throttle, now time.Time) error {
	if unlimited(t) || t.BurstLimit == 0 {
		return nil
	}
	if k == AccountBucket() {
		l.refundAccount(t, now.UnixNano())
		return nil
	}
	l.refund(l.bucketID(k), t, now.UnixNano())
	return nil
}

// PeekThrottle implements Throttler.
func (l *Local) PeekThrottle(_ context.Context, k BucketKey, t apigw.Throttle, now time.Time) (bool, time.Duration, error) {
	if unlimited(t) {
		return true, 0, nil
	}
	if t.BurstLimit == 0 {
		return false, Never, nil
	}
	if k == AccountBucket() {
		ok, retry := l.peekAccount(t, now.UnixNano())
		return ok, retry, nil
	}
	ok, retry := l.peek(l.bucketID(k), t, now.UnixNano())
	return ok, retry, nil
}

// allow is Allow for the bucket id.
func (l *Local) allow(id entryID, t apigw.Throttle, now int64) (bool, time.Duration) {
	s := l.buckets.shard(id)
	s.mu.Lock()
	b, created := s.get(id)
	switch {
	case created:
		b.lim, b.tat = s.lims.acquire(t), now
	case s.lims.list[b.lim].key != keyOf(t):
		s.relimit(b, t, now)
	}
	ok, retry := b.take(&s.lims.list[b.lim].limit, now)
	s.mu.Unlock()
	return ok, retry
}

// refund is Refund for the bucket id. It reports whether a token went
// back: false when the bucket was full, or under another limit.
func (l *Local) refund(id entryID, t apigw.Throttle, now int64) bool {
	s := l.buckets.shard(id)
	s.mu.Lock()
	// No bucket: it is full (or was swept as full), and stays so.
	done := false
	if b := s.find(id); b != nil {
		if lr := &s.lims.list[b.lim]; lr.key == keyOf(t) && !b.full(&lr.limit, now) {
			b.refund(&lr.limit, now)
			done = true
		}
	}
	s.mu.Unlock()
	return done
}

// peek is PeekThrottle for the bucket id: allow on a copy of the bucket.
func (l *Local) peek(id entryID, t apigw.Throttle, now int64) (bool, time.Duration) {
	s := l.buckets.shard(id)
	s.mu.Lock()
	var (
		b    bucket
		lim  limit
		seen bool
	)
	if p := s.find(id); p != nil {
		b, seen = *p, true
		lr := &s.lims.list[b.lim]
		lim = lr.limit
		if lr.key != keyOf(t) {
			nl := newLimit(t)
			b.carry(&lim, &nl, now)
			lim = nl
		}
	}
	s.mu.Unlock()
	if !seen {
		// A bucket not kept is full; burst > 0 here.
		return true, 0
	}
	return b.take(&lim, now)
}

// take takes one token at now if there is one, or says how long until
// there is. lim is b's limit.
func (b *bucket) take(lim *limit, now int64) (bool, time.Duration) {
	if lim.r == 0 {
		if b.spent < lim.burst {
			b.spent++
			return true, 0
		}
		return false, Never
	}
	if b.full(lim, now) {
		b.tat, b.frac = now, 0
	}
	dns, dfrac := b.tat-now, b.frac
	if dns < lim.lq || (dns == lim.lq && dfrac <= lim.lr) {
		b.tat += lim.tq
		b.frac += lim.tr
		if b.frac >= lim.r {
			b.frac -= lim.r
			b.tat++
		}
		return true, 0
	}
	// Wait until tat−now has fallen to the tolerance, rounded up to a ns.
	wait, f := dns-lim.lq, dfrac-lim.lr
	if f < 0 {
		f += lim.r
		wait--
	}
	if f > 0 {
		wait++
	}
	return false, time.Duration(wait)
}

// refund gives one token back, up to full. lim is b's limit.
func (b *bucket) refund(lim *limit, now int64) {
	if lim.r == 0 {
		b.spent = max(0, b.spent-1)
		return
	}
	b.tat -= lim.tq
	b.frac -= lim.tr
	if b.frac < 0 {
		b.frac += lim.r
		b.tat--
	}
	if b.full(lim, now) {
		b.tat, b.frac = now, 0
	}
}

// full reports whether the bucket holds burst tokens at now; a full bucket
// behaves exactly like a new one. lim is b's limit.
func (b *bucket) full(lim *limit, now int64) bool {
	if lim.r == 0 {
		return b.spent == 0
	}
	return b.tat < now || (b.tat == now && b.frac == 0)
}

// debt is the number of tokens missing from a full bucket at now. lim is
// b's limit.
func (b *bucket) debt(lim *limit, now int64) float64 {
	switch {
	case lim.r == 0:
		return float64(b.spent)
	case b.full(lim, now):
		return 0
	}
	return (float64(b.tat-now) + float64(b.frac)/float64(lim.r)) * float64(lim.r) / nanosPerToken
}

// relimit moves bucket b of s to limit t, keeping its level (tokens held)
// capped at the new burst. s.mu must be held.
func (s *bucketShard) relimit(b *bucket, t apigw.Throttle, now int64) {
	old := s.lims.list[b.lim].limit
	ni := s.lims.acquire(t) // may move the list: old is a copy
	s.lims.release(b.lim)
	b.lim = ni
	b.carry(&old, &s.lims.list[ni].limit, now)
}

// carry sets b's state under limit nl to the level it has under old at
// now, capped at nl's burst. The level is carried in floating point, so it
// is kept to within a nanosecond of refill; limit changes are rare.
func (b *bucket) carry(old, nl *limit, now int64) {
	debt := max(0, b.debt(old, now)+float64(nl.burst-old.burst))
	b.tat, b.frac, b.spent = now, 0, 0
	if nl.r == 0 {
		b.spent = int64(math.Ceil(debt))
		return
	}
	b.tat = now + int64(min(math.Ceil(debt*nanosPerToken/float64(nl.r)), maxTolerance))
}
