package counterstest

import (
	"context"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/counters"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Setup says how the suite opens what it runs against.
type Setup struct {
	// Store returns a fresh, empty store, closed when t ends.
	Store func(t *testing.T) store.Store
	// Open opens a backend over st (st may be a wrapper of a store
	// Store returned, failing some calls). The first backend opened over a
	// store starts with no counts; one opened later over the same store is
	// a restarted node, and sees what the earlier ones counted and flushed.
	// The suite calls Load before counting and Close when done.
	Open func(t *testing.T, st store.Store) counters.Backend
}

// Run runs the conformance suite.
func Run(t *testing.T, s Setup) {
	t.Run("Throttle", func(t *testing.T) { runThrottle(t, s) })
	t.Run("Account", func(t *testing.T) { runAccount(t, s) })
	t.Run("Quota", func(t *testing.T) { runQuota(t, s) })
	t.Run("Usage", func(t *testing.T) { runUsage(t, s) })
	t.Run("Lifecycle", func(t *testing.T) { runLifecycle(t, s) })
	t.Run("Concurrency", func(t *testing.T) { runConcurrency(t, s) })
}

// t0 is a Saturday afternoon, with nanoseconds.
var t0 = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)

func utc(y int, m time.Month, d, h, min, s, ns int) time.Time {
	return time.Date(y, m, d, h, min, s, ns, time.UTC)
}

// open returns a backend over a fresh store, loaded with plans (created
// in the store first), closed when t ends.
func (s Setup) open(t *testing.T, plans ...*apigw.UsagePlan) (counters.Backend, store.Store) {
	t.Helper()
	st := s.Store(t)
	createPlans(t, st, plans...)
	return s.openOver(t, st, plans...), st
}

// openOver opens a backend over st and loads it with plans, closed when
// t ends.
func (s Setup) openOver(t *testing.T, st store.Store, plans ...*apigw.UsagePlan) counters.Backend {
	t.Helper()
	b := s.Open(t, st)
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if err := b.Load(context.Background(), plans, t0); err != nil {
		t.Fatalf("Load: %v", err)
	}
	return b
}

func createPlans(t *testing.T, st store.Store, plans ...*apigw.UsagePlan) {
	t.Helper()
	ctx := context.Background()
	err := st.Update(ctx, func(tx store.Tx) error {
		for _, p := range plans {
			if err := tx.CreateUsagePlan(ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("create usage plans: %v", err)
	}
}

func listUsage(t *testing.T, st store.Store, planID string) []store.UsageRecord {
	t.Helper()
	ctx := context.Background()
	var out []store.UsageRecord
	err := st.View(ctx, func(r store.Reader) error {
		var err error
		out, err = r.ListUsage(ctx, planID, "", utc(2000, 1, 1, 0, 0, 0, 0), utc(2100, 1, 1, 0, 0, 0, 0))
		return err
	})
	if err != nil {
		t.Fatalf("ListUsage: %v", err)
	}
	return out
}

// allow calls Allow and fails t on error.
func allow(t *testing.T, b counters.Throttler, k counters.BucketKey, th apigw.Throttle, now time.Time) (bool, time.Duration) {
	t.Helper()
	ok, retry, err := b.Allow(context.Background(), k, th, now)
	if err != nil {
		t.Fatalf("Allow: %v", err)
	}
	return ok, retry
}

// drain calls Allow at now until it refuses and returns how many it
// admitted.
func drain(t *testing.T, b counters.Throttler, k counters.BucketKey, th apigw.Throttle, now time.Time) int64 {
	t.Helper()
	var n int64
	for {
		ok, _ := allow(t, b, k, th, now)
		if !ok {
			return n
		}
		n++
		if n > 1e7 {
			t.Fatalf("Allow admitted more than 1e7 requests at one instant")
		}
	}
}

// expectedAdmits is burst + floor(rate·elapsed), computed with exact
// rationals from the rate rounded to 1e-9 tokens per second.
func expectedAdmits(th apigw.Throttle, elapsed time.Duration) int64 {
	r := big.NewInt(int64(math.Round(th.RateLimit * 1e9)))
	n := new(big.Int).Mul(r, big.NewInt(int64(elapsed)))
	n.Quo(n, big.NewInt(1e18))
	return int64(th.BurstLimit) + n.Int64()
}

func take(t *testing.T, b counters.Quotas, planID, keyID string, q apigw.Quota, now time.Time) counters.QuotaResult {
	t.Helper()
	r, err := b.Take(context.Background(), planID, keyID, q, now)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	return r
}

func peek(t *testing.T, b counters.Quotas, planID, keyID string, q apigw.Quota, now time.Time) counters.QuotaResult {
	t.Helper()
	r, err := b.Peek(context.Background(), planID, keyID, q, now)
	if err != nil {
		t.Fatalf("Peek: %v", err)
	}
	return r
}

func record(t *testing.T, b counters.Usage, planID, keyID string, now time.Time, n int) {
	t.Helper()
	for range n {
		if err := b.Record(context.Background(), planID, keyID, now); err != nil {
			t.Fatalf("Record: %v", err)
		}
	}
}

// plan returns a usage plan with quota q (nil: none) and no throttle.
func plan(id string, q *apigw.Quota) *apigw.UsagePlan {
	return &apigw.UsagePlan{ID: id, Name: "plan " + id, Quota: q}
}
