package counterstest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/counters"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Many goroutines on the same counts: the totals are exact. Run it under
// -race.
func runConcurrency(t *testing.T, s Setup) {
	const goroutines, each = 16, 400

	t.Run("Throttle", func(t *testing.T) {
		const burst = 1000
		th := apigw.Throttle{BurstLimit: burst, RateLimit: 1}
		keys := []counters.BucketKey{counters.AccountBucket(), counters.PlanKeyBucket("p", "k")}
		b, _ := s.open(t)
		var admitted [2]atomic.Int64
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				for i := range each {
					j := (g + i) % len(keys)
					ok, _, err := b.Allow(context.Background(), keys[j], th, t0)
					if err != nil {
						t.Error(err)
						return
					}
					if !ok {
						continue
					}
					admitted[j].Add(1)
					// Every fifth admitted request is refused later on.
					if i%5 == 0 {
						if err := b.Refund(context.Background(), keys[j], th, t0); err != nil {
							t.Error(err)
						}
						admitted[j].Add(-1)
					}
				}
			})
		}
		wg.Wait()
		// Tokens are neither lost nor made: what was admitted net of
		// refunds plus what is left is the burst.
		got := []int64{admitted[0].Load() + drain(t, b, keys[0], th, t0), admitted[1].Load() + drain(t, b, keys[1], th, t0)}
		if diff := cmp.Diff([]int64{burst, burst}, got); diff != "" {
			t.Errorf("admitted net of refunds plus left, account and plan bucket (-want +got):\n%s", diff)
		}
	})

	t.Run("Quota", func(t *testing.T) {
		const limit = 1000
		q := apigw.Quota{Limit: limit, Period: apigw.PeriodMonth}
		b, _ := s.open(t)
		var admitted atomic.Int64
		var wg sync.WaitGroup
		for range goroutines {
			wg.Go(func() {
				for range each {
					r, err := b.Take(context.Background(), "p", "k", q, t0)
					if err != nil {
						t.Error(err)
						return
					}
					if r.Allowed {
						admitted.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if got := admitted.Load(); got != limit {
			t.Errorf("admitted %d, want the limit %d", got, limit)
		}
		if r := peek(t, b, "p", "k", q, t0); r.Used != limit || r.Remaining != 0 {
			t.Errorf("Peek = %+v, want %d used, 0 remaining", r, limit)
		}
	})

	t.Run("UsageWithFlushes", func(t *testing.T) {
		b, st := s.open(t, plan("p1", nil))
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				for i := range each {
					if err := b.Record(context.Background(), "p1", []string{"k1", "k2"}[(g+i)%2], t0); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Go(func() {
			for range 5 {
				if err := b.Flush(context.Background()); err != nil {
					t.Error(err)
				}
			}
		})
		wg.Wait()
		if err := b.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		day := utc(2026, 3, 14, 0, 0, 0, 0)
		want := []store.UsageRecord{
			{PlanID: "p1", KeyID: "k1", Day: day, Count: goroutines * each / 2},
			{PlanID: "p1", KeyID: "k2", Day: day, Count: goroutines * each / 2},
		}
		if diff := cmp.Diff(want, listUsage(t, st, "p1")); diff != "" {
			t.Errorf("stored usage (-want +got):\n%s", diff)
		}
	})
}
