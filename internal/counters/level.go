package counters

import (
	"context"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// LevelThrottler is a Throttler that can also say what a bucket holds:
// the data plane's RateLimit headers use it, on the stages that ask for
// them, so that Allow itself stays as lean as it is for every other stage.
// It is optional: a data plane whose counters do not implement it sends
// no throttle policy in its RateLimit headers.
type LevelThrottler interface {
	// AllowLevel is Allow that also reports the bucket's level after the
	// call, read under the same lock as the take (so no concurrent request
	// slips between them). For an unlimited t the Level is Unlimited.
	AllowLevel(ctx context.Context, k BucketKey, t apigw.Throttle, now time.Time) (ok bool, retryAfter time.Duration, lvl Level, err error)
}

// Level is what a token bucket holds at some time.
type Level struct {
	// Remaining is the number of whole tokens in the bucket: the requests
	// that would be admitted at once, with no refill.
	Remaining int64
	// FullIn is the time until the bucket is full again at its rate (0
	// when it is full; Never when it never refills).
	FullIn time.Duration
	// Unlimited: the limit imposes no limit (negative or infinite); the
	// other fields are zero.
	Unlimited bool
}

var _ LevelThrottler = (*Local)(nil)

// AllowLevel implements LevelThrottler.
func (l *Local) AllowLevel(_ context.Context, k BucketKey, t apigw.Throttle, now time.Time) (bool, time.Duration, Level, error) {
	if unlimited(t) {
		return true, 0, Level{Unlimited: true}, nil
	}
	if t.BurstLimit == 0 {
		return false, Never, Level{FullIn: Never}, nil
	}
	ns := now.UnixNano()
	if k == AccountBucket() {
		ok, retry := l.allowAccount(t, ns)
		return ok, retry, l.accountLevel(t, ns), nil
	}
	id := l.bucketID(k)
	s := l.buckets.shard(id)
	s.mu.Lock()
	b, created := s.get(id)
	switch {
	case created:
		b.lim, b.tat = s.lims.acquire(t), ns
	case s.lims.list[b.lim].key != keyOf(t):
		s.relimit(b, t, ns)
	}
	lim := &s.lims.list[b.lim].limit
	ok, retry := b.take(lim, ns)
	lvl := b.level(lim, ns)
	s.mu.Unlock()
	return ok, retry, lvl, nil
}

// level is the bucket's Level at now. lim is b's limit.
func (b *bucket) level(lim *limit, now int64) Level {
	debt := b.debt(lim, now)
	// Whole tokens held: burst − debt, rounded down (a token part-refilled
	// cannot be spent yet).
	held := float64(lim.burst) - debt
	lvl := Level{Remaining: max(0, int64(held+1e-9))}
	switch {
	case debt == 0:
	case lim.r == 0:
		lvl.FullIn = Never
	default:
		// The bucket is full when tat is reached.
		lvl.FullIn = time.Duration(b.tat - now)
		if b.frac > 0 {
			lvl.FullIn++
		}
	}
	return lvl
}

// accountLevel is the account bucket's level: its shards' levels added
// up (each shard read under its own lock, so the sum is approximate under
// concurrent load), full when the slowest shard is.
func (l *Local) accountLevel(t apigw.Throttle, now int64) Level {
	sp := l.accountSplitFor(t)
	var lvl Level
	for i := range sp.n {
		id := l.accountID[i]
		s := l.buckets.shard(id)
		s.mu.Lock()
		sl := Level{Remaining: int64(sp.shares[i].BurstLimit)}
		if b := s.find(id); b != nil {
			lr := &s.lims.list[b.lim]
			if lr.key == keyOf(sp.shares[i]) {
				sl = b.level(&lr.limit, now)
			}
		}
		s.mu.Unlock()
		lvl.Remaining += sl.Remaining
		lvl.FullIn = max(lvl.FullIn, sl.FullIn)
	}
	return lvl
}
