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

// unlimited reports whether t imposes no limit at all.
func unlimited(t apigw.Throttle) bool {
	return t.BurstLimit < 0 || t.RateLimit < 0 || math.IsInf(t.RateLimit, 1)
}

// bucket is one token bucket; its shard's mutex guards it.
type bucket struct {
	lim apigw.Throttle // the limit the parameters were derived from
	limit
	tat   int64 // theoretical arrival time, Unix ns (r > 0)
	frac  int64 // tat's fraction of a ns, in units of 1/r ns, in [0, r)
	spent int64 // tokens taken (r == 0 only)
}

// Allow implements Throttler.
func (l *Local) Allow(_ context.Context, k BucketKey, t apigw.Throttle, now time.Time) (bool, time.Duration, error) {
	if unlimited(t) {
		return true, 0, nil
	}
	if t.BurstLimit == 0 {
		return false, Never, nil
	}
	ok, retry := l.allow(hashStrings(l.seed, uint8(k.Scope), k.PlanID, k.KeyID, k.Method), k, t, now.UnixNano())
	return ok, retry, nil
}

// Refund implements Throttler.
func (l *Local) Refund(_ context.Context, k BucketKey, t apigw.Throttle, now time.Time) error {
	if unlimited(t) || t.BurstLimit == 0 {
		return nil
	}
	h := hashStrings(l.seed, uint8(k.Scope), k.PlanID, k.KeyID, k.Method)
	s := l.buckets.shard(h)
	s.mu.Lock()
	if b, created := s.get(h, k); !created && b.lim == t {
		b.refund(now.UnixNano())
	}
	// A bucket created here is full (tat = 0 < now), as a new one would be.
	s.mu.Unlock()
	return nil
}

// allow is Allow for a key whose hash is h.
func (l *Local) allow(h uint64, k BucketKey, t apigw.Throttle, now int64) (bool, time.Duration) {
	s := l.buckets.shard(h)
	s.mu.Lock()
	b, created := s.get(h, k)
	switch {
	case created:
		b.lim, b.limit, b.tat = t, newLimit(t), now
	case b.lim != t:
		b.relimit(t, now)
	}
	ok, retry := b.take(now)
	s.mu.Unlock()
	return ok, retry
}

// take takes one token at now if there is one, or says how long until
// there is.
func (b *bucket) take(now int64) (bool, time.Duration) {
	if b.r == 0 {
		if b.spent < b.burst {
			b.spent++
			return true, 0
		}
		return false, Never
	}
	if b.full(now) {
		b.tat, b.frac = now, 0
	}
	dns, dfrac := b.tat-now, b.frac
	if dns < b.lq || (dns == b.lq && dfrac <= b.lr) {
		b.tat += b.tq
		b.frac += b.tr
		if b.frac >= b.r {
			b.frac -= b.r
			b.tat++
		}
		return true, 0
	}
	// Wait until tat−now has fallen to the tolerance, rounded up to a ns.
	wait, f := dns-b.lq, dfrac-b.lr
	if f < 0 {
		f += b.r
		wait--
	}
	if f > 0 {
		wait++
	}
	return false, time.Duration(wait)
}

// refund gives one token back, up to full.
func (b *bucket) refund(now int64) {
	if b.r == 0 {
		b.spent = max(0, b.spent-1)
		return
	}
	b.tat -= b.tq
	b.frac -= b.tr
	if b.frac < 0 {
		b.frac += b.r
		b.tat--
	}
	if b.full(now) {
		b.tat, b.frac = now, 0
	}
}

// full reports whether the bucket holds burst tokens at now; a full bucket
// behaves exactly like a new one.
func (b *bucket) full(now int64) bool {
	if b.r == 0 {
		return b.spent == 0
	}
	return b.tat < now || (b.tat == now && b.frac == 0)
}

// debt is the number of tokens missing from a full bucket at now.
func (b *bucket) debt(now int64) float64 {
	switch {
	case b.r == 0:
		return float64(b.spent)
	case b.full(now):
		return 0
	}
	return (float64(b.tat-now) + float64(b.frac)/float64(b.r)) * float64(b.r) / nanosPerToken
}

// relimit moves the bucket to limit t, keeping its level (tokens held)
// capped at the new burst. The level is carried in floating point, so it
// is kept to within a nanosecond of refill; limit changes are rare.
func (b *bucket) relimit(t apigw.Throttle, now int64) {
	nl := newLimit(t)
	debt := max(0, b.debt(now)+float64(nl.burst-b.burst))
	b.lim, b.limit = t, nl
	b.tat, b.frac, b.spent = now, 0, 0
	if nl.r == 0 {
		b.spent = int64(math.Ceil(debt))
		return
	}
	b.tat = now + int64(min(math.Ceil(debt*nanosPerToken/float64(nl.r)), maxTolerance))
}
