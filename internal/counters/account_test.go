package counters

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

var accountDefault = apigw.Throttle{RateLimit: apigw.AccountRateLimit, BurstLimit: apigw.AccountBurstLimit}

// The split gives every shard in use at least one token, spreads the
// burst's remainder over the first shards and divides the rate evenly.
func TestAccountSplit(t *testing.T) {
	tests := []struct {
		name   string
		total  apigw.Throttle
		bursts []int
		rate   float64
	}{
		{"default", accountDefault, []int{625, 625, 625, 625, 625, 625, 625, 625}, 1250},
		{"burst 13", apigw.Throttle{RateLimit: 16, BurstLimit: 13}, []int{2, 2, 2, 2, 2, 1, 1, 1}, 2},
		{"burst 3 uses 3 shards", apigw.Throttle{RateLimit: 3, BurstLimit: 3}, []int{1, 1, 1}, 1},
		{"burst 1 uses 1 shard", apigw.Throttle{RateLimit: 5, BurstLimit: 1}, []int{1}, 5},
		{"rate 0", apigw.Throttle{RateLimit: 0, BurstLimit: 8}, []int{1, 1, 1, 1, 1, 1, 1, 1}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := newAccountSplit(tt.total)
			var bursts []int
			for _, s := range sp.shares[:sp.n] {
				bursts = append(bursts, s.BurstLimit)
				if s.RateLimit != tt.rate {
					t.Errorf("share rate %g, want %g", s.RateLimit, tt.rate)
				}
			}
			if diff := cmp.Diff(tt.bursts, bursts); diff != "" {
				t.Errorf("share bursts (-want +got):\n%s", diff)
			}
		})
	}
}

// The account bucket is kept as one bucket per shard, each on its own
// table shard (its own lock), and drawing it dry fills all of them.
func TestAccountShardsOnDistinctLocks(t *testing.T) {
	l := NewLocal()
	if got := drain(t, l, AccountBucket(), accountDefault, t0); got != apigw.AccountBurstLimit {
		t.Fatalf("admitted %d, want %d", got, apigw.AccountBurstLimit)
	}
	if n := l.bucketCount(); n != accountShards {
		t.Errorf("%d buckets, want one per shard (%d)", n, accountShards)
	}
	locks := map[*bucketShard]bool{}
	for _, id := range l.accountID {
		locks[l.buckets.shard(id)] = true
	}
	if len(locks) != accountShards {
		t.Errorf("account shards use %d locks, want %d", len(locks), accountShards)
	}
}

// PeekThrottle creates no bucket, of a plain key or of the account, and
// takes no token.
func TestPeekThrottleCreatesNothing(t *testing.T) {
	ctx := context.Background()
	th := apigw.Throttle{BurstLimit: 3, RateLimit: 1}
	l := NewLocal()
	for _, k := range []BucketKey{PlanKeyBucket("p", "k"), AccountBucket()} {
		for range 5 {
			if ok, _, _ := l.PeekThrottle(ctx, k, th, t0); !ok {
				t.Fatalf("%+v: PeekThrottle of a new bucket refused", k)
			}
		}
	}
	if n := l.bucketCount(); n != 0 {
		t.Fatalf("PeekThrottle created %d buckets", n)
	}
	if l.account.Load() != nil {
		t.Errorf("PeekThrottle cached an account split")
	}
	// Of existing buckets, it changes nothing either.
	l.Allow(ctx, PlanKeyBucket("p", "k"), th, t0)
	l.Allow(ctx, AccountBucket(), th, t0)
	before := l.bucketCount()
	other := apigw.Throttle{BurstLimit: 5, RateLimit: 2}
	for range 5 {
		l.PeekThrottle(ctx, PlanKeyBucket("p", "k"), other, t0)
		l.PeekThrottle(ctx, AccountBucket(), other, t0)
	}
	if n := l.bucketCount(); n != before {
		t.Errorf("peeking under another limit: %d buckets, want %d", n, before)
	}
	if got := []int64{drain(t, l, PlanKeyBucket("p", "k"), th, t0), drain(t, l, AccountBucket(), th, t0)}; !cmp.Equal(got, []int64{2, 2}) {
		t.Errorf("after peeking under another limit: admitted %v, want [2 2]", got)
	}
}
