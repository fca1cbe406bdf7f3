package counters

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

var benchSizes = []int{1000, 100000}

func benchIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("k%09d", i) // the length of an AWS key id
	}
	return ids
}

// parallelIndex hands each goroutine its own walk over n items.
func parallelIndex(n int) func() int {
	var next atomic.Int64
	return func() int { return int(next.Add(7919)) % n }
}

func BenchmarkThrottleAllowParallel(b *testing.B) {
	ctx := context.Background()
	th := apigw.Throttle{BurstLimit: 100, RateLimit: 50}
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			l := NewLocal()
			keys := make([]BucketKey, n)
			for i, id := range benchIDs(n) {
				keys[i] = PlanKeyBucket("plan0001", id)
				l.Allow(ctx, keys[i], th, t0) // steady state: the bucket exists
			}
			start := parallelIndex(n)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := start()
				now := t0
				for pb.Next() {
					i++
					if i == n {
						i = 0
					}
					now = now.Add(time.Microsecond)
					l.Allow(ctx, keys[i], th, now)
				}
			})
		})
	}
}

func BenchmarkQuotaTakeParallel(b *testing.B) {
	ctx := context.Background()
	q := apigw.Quota{Limit: 1 << 40, Period: apigw.PeriodMonth}
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			l := NewLocal()
			ids := benchIDs(n)
			for _, id := range ids {
				l.Take(ctx, "plan0001", id, q, t0)
			}
			start := parallelIndex(n)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := start()
				for pb.Next() {
					i++
					if i == n {
						i = 0
					}
					l.Take(ctx, "plan0001", ids[i], q, t0)
				}
			})
		})
	}
}

func BenchmarkUsageRecordParallel(b *testing.B) {
	ctx := context.Background()
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			l := NewLocal()
			ids := benchIDs(n)
			for _, id := range ids {
				l.Record(ctx, "plan0001", id, t0)
			}
			start := parallelIndex(n)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := start()
				for pb.Next() {
					i++
					if i == n {
						i = 0
					}
					l.Record(ctx, "plan0001", ids[i], t0)
				}
			})
		})
	}
}

// BenchmarkRequestParallel is the counting one request costs in the
// pipeline: plan bucket, stage-method bucket, account bucket, quota, usage.
func BenchmarkRequestParallel(b *testing.B) {
	ctx := context.Background()
	th := apigw.Throttle{BurstLimit: 1 << 30, RateLimit: 1e6}
	q := apigw.Quota{Limit: 1 << 40, Period: apigw.PeriodDay}
	method := StageMethodBucket(MethodID("api0000001", "prod", "/pets/GET"))
	const n = 100000
	l, ids, keys := loadedLocal(n, th, q)
	for _, id := range ids {
		l.Record(ctx, "plan0001", id, t0)
	}
	start := parallelIndex(n)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := start()
		for pb.Next() {
			i++
			if i == n {
				i = 0
			}
			l.Allow(ctx, keys[i], th, t0)
			l.Allow(ctx, method, th, t0)
			l.Allow(ctx, AccountBucket(), th, t0)
			l.Take(ctx, "plan0001", ids[i], q, t0)
			l.Record(ctx, "plan0001", ids[i], t0)
		}
	})
}

// loadedLocal returns a Local holding a plan bucket and a quota entry for
// each of n keys of plan0001, with the keys' ids and bucket keys.
func loadedLocal(n int, th apigw.Throttle, q apigw.Quota) (*Local, []string, []BucketKey) {
	ctx := context.Background()
	ids := benchIDs(n)
	keys := make([]BucketKey, n)
	l := NewLocal()
	for i, id := range ids {
		keys[i] = PlanKeyBucket("plan0001", id)
		l.Allow(ctx, keys[i], th, t0)
		l.Take(ctx, "plan0001", id, q, t0)
	}
	return l, ids, keys
}

// BenchmarkAccountAllowParallel is the account bucket under the default
// total limit, split inside Local: every request takes a token from the
// whole account, as in the gateway.
func BenchmarkAccountAllowParallel(b *testing.B) {
	ctx := context.Background()
	th := apigw.Throttle{BurstLimit: 1 << 30, RateLimit: 1e9}
	l := NewLocal()
	l.Allow(ctx, AccountBucket(), th, t0)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Allow(ctx, AccountBucket(), th, t0)
		}
	})
}

// BenchmarkBackendRequestParallel is BenchmarkRequestParallel through the
// Backend interface the server holds (the local backend), to show what
// the interface and the wrapper cost.
func BenchmarkBackendRequestParallel(b *testing.B) {
	ctx := context.Background()
	th := apigw.Throttle{BurstLimit: 1 << 30, RateLimit: 1e6}
	q := apigw.Quota{Limit: 1 << 40, Period: apigw.PeriodDay}
	method := StageMethodBucket(MethodID("api0000001", "prod", "/pets/GET"))
	const n = 100000
	l, ids, keys := loadedLocal(n, th, q)
	var be Backend = &localBackend{Local: l}
	for _, id := range ids {
		be.Record(ctx, "plan0001", id, t0)
	}
	start := parallelIndex(n)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := start()
		for pb.Next() {
			i++
			if i == n {
				i = 0
			}
			be.Allow(ctx, keys[i], th, t0)
			be.Allow(ctx, method, th, t0)
			be.Allow(ctx, AccountBucket(), th, t0)
			be.Take(ctx, "plan0001", ids[i], q, t0)
			be.Record(ctx, "plan0001", ids[i], t0)
		}
	})
}

// TestCountingAllocatesNothing keeps the request path's budget: for a
// (plan, key) seen before, every counting call through the Backend
// allocates nothing, the account bucket and the dry-run peeks included.
func TestCountingAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates")
	}
	ctx := context.Background()
	th := apigw.Throttle{BurstLimit: 1 << 30, RateLimit: 1e6}
	q := apigw.Quota{Limit: 1 << 40, Period: apigw.PeriodDay}
	method := StageMethodBucket(MethodID("api0000001", "prod", "/pets/GET"))
	l, ids, keys := loadedLocal(10, th, q)
	var be Backend = &localBackend{Local: l}
	now := t0
	calls := []struct {
		name string
		fn   func()
	}{
		{"Allow plan", func() { be.Allow(ctx, keys[3], th, now) }},
		{"Allow method", func() { be.Allow(ctx, method, th, now) }},
		{"Allow account", func() { be.Allow(ctx, AccountBucket(), th, now) }},
		{"Refund account", func() { be.Refund(ctx, AccountBucket(), th, now) }},
		{"PeekThrottle plan", func() { be.PeekThrottle(ctx, keys[3], th, now) }},
		{"PeekThrottle account", func() { be.PeekThrottle(ctx, AccountBucket(), th, now) }},
		{"Take", func() { be.Take(ctx, "plan0001", ids[3], q, now) }},
		{"Peek", func() { be.Peek(ctx, "plan0001", ids[3], q, now) }},
		{"Record", func() { be.Record(ctx, "plan0001", ids[3], now) }},
	}
	for _, c := range calls {
		c.fn() // first use creates the entry
		if a := testing.AllocsPerRun(200, c.fn); a != 0 {
			t.Errorf("%s allocates %v times per call, want 0", c.name, a)
		}
	}
}
