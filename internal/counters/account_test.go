package counters

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

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

// One caller, whichever shard it starts at, gets the whole account limit:
// the burst at once, then the whole rate.
func TestAccountOneCallerUsesWholeLimit(t *testing.T) {
	l := NewLocal()
	k := AccountBucket()
	got := drain(t, l, k, accountDefault, t0)
	for d := 10 * time.Millisecond; d <= time.Second; d += 10 * time.Millisecond {
		got += drain(t, l, k, accountDefault, t0.Add(d))
	}
	if want := int64(apigw.AccountBurstLimit + apigw.AccountRateLimit); got != want {
		t.Errorf("admitted %d over 1 s, want burst + rate = %d", got, want)
	}
}

// Over every window from t0, the sharded bucket admits no more than
// burst + rate·d, under random demand with refunds.
func TestAccountBound(t *testing.T) {
	ctx := context.Background()
	limits := []apigw.Throttle{
		accountDefault,
		{RateLimit: 16, BurstLimit: 13},
		{RateLimit: 3, BurstLimit: 3},
		{RateLimit: 0.5, BurstLimit: 20},
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	for _, th := range limits {
		l := NewLocal()
		k := AccountBucket()
		var admitted int64
		now := t0
		for range 20000 {
			now = now.Add(time.Duration(rnd.Int64N(int64(4 * time.Second / time.Duration(th.RateLimit+1)))))
			ok, _, err := l.Allow(ctx, k, th, now)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				admitted++
				if rnd.IntN(4) == 0 {
					l.Refund(ctx, k, th, now)
					admitted--
				}
			}
			if want := expectedAdmits(th, now.Sub(t0)); admitted > want {
				t.Fatalf("%+v: admitted %d by +%v, more than burst + rate·d = %d", th, admitted, now.Sub(t0), want)
			}
		}
	}
}

// Refunds to the account bucket give back exactly the tokens refunded,
// never more than the burst.
func TestAccountRefund(t *testing.T) {
	ctx := context.Background()
	th := apigw.Throttle{RateLimit: 16, BurstLimit: 13}
	l := NewLocal()
	k := AccountBucket()
	drain(t, l, k, th, t0)
	for range 5 {
		if err := l.Refund(ctx, k, th, t0); err != nil {
			t.Fatal(err)
		}
	}
	if got := drain(t, l, k, th, t0); got != 5 {
		t.Errorf("after 5 refunds admitted %d, want 5", got)
	}
	for range 40 {
		l.Refund(ctx, k, th, t0)
	}
	if got := drain(t, l, k, th, t0); got != 13 {
		t.Errorf("after over-refunding admitted %d, want burst 13", got)
	}
}

// PeekThrottle answers exactly what Allow would, for plain and account
// buckets, under random demand and limit changes, without taking a token
// or creating a bucket.
func TestPeekThrottleMatchesAllow(t *testing.T) {
	ctx := context.Background()
	limits := []apigw.Throttle{
		{BurstLimit: 4, RateLimit: 3},
		{BurstLimit: 2, RateLimit: 0.5},
		{BurstLimit: 5, RateLimit: 0},
		{BurstLimit: 13, RateLimit: 16},
		{BurstLimit: 0, RateLimit: 1},
		{BurstLimit: -1, RateLimit: 1},
	}
	keys := []BucketKey{PlanKeyBucket("p", "k"), AccountBucket()}
	rnd := rand.New(rand.NewPCG(5, 6))
	for _, k := range keys {
		l := NewLocal()
		if ok, _, _ := l.PeekThrottle(ctx, k, limits[0], t0); !ok {
			t.Fatalf("%+v: Peek of a new bucket refused", k)
		}
		if n := l.bucketCount(); n != 0 {
			t.Fatalf("%+v: Peek created %d buckets", k, n)
		}
		th := limits[0]
		now := t0
		for step := range 5000 {
			if rnd.IntN(50) == 0 {
				th = limits[rnd.IntN(len(limits))]
			}
			now = now.Add(time.Duration(rnd.Int64N(int64(300 * time.Millisecond))))
			before := l.bucketCount()
			pOK, pRetry, err := l.PeekThrottle(ctx, k, th, now)
			if err != nil {
				t.Fatal(err)
			}
			pOK2, pRetry2, _ := l.PeekThrottle(ctx, k, th, now)
			if l.bucketCount() != before || pOK2 != pOK || pRetry2 != pRetry {
				t.Fatalf("%+v step %d: Peek changed state", k, step)
			}
			aOK, aRetry, _ := l.Allow(ctx, k, th, now)
			if pOK != aOK || pRetry != aRetry {
				t.Fatalf("%+v step %d (%+v at +%v): Peek = %v, %v; Allow = %v, %v", k, step, th, now.Sub(t0), pOK, pRetry, aOK, aRetry)
			}
		}
	}
}
