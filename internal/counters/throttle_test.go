package counters

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

var t0 = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)

// drain calls Allow at now until it refuses and returns how many it admitted.
func drain(t *testing.T, l *Local, k BucketKey, th apigw.Throttle, now time.Time) int64 {
	t.Helper()
	var n int64
	for {
		ok, _, err := l.Allow(context.Background(), k, th, now)
		if err != nil {
			t.Fatalf("Allow: %v", err)
		}
		if !ok {
			return n
		}
		n++
		if n > 1e7 {
			t.Fatalf("Allow admitted more than 1e7 requests at one instant")
		}
	}
}

// Only limits that can still refuse a request keep a bucket: unlimited
// and burst-0 limits are decided without state.
func TestAllowSpecialLimitsKeepState(t *testing.T) {
	tests := []struct {
		name      string
		th        apigw.Throttle
		wantState bool // whether a bucket is kept
	}{
		{"burst 0", apigw.Throttle{BurstLimit: 0, RateLimit: 10}, false},
		{"rate 0 burst 0", apigw.Throttle{}, false},
		{"rate 0 burst 3", apigw.Throttle{BurstLimit: 3}, true},
		{"negative burst", apigw.Throttle{BurstLimit: -1, RateLimit: 10}, false},
		{"negative rate", apigw.Throttle{BurstLimit: 5, RateLimit: -1}, false},
		{"infinite rate", apigw.Throttle{BurstLimit: 5, RateLimit: math.Inf(1)}, false},
		{"NaN rate", apigw.Throttle{BurstLimit: 2, RateLimit: math.NaN()}, true},
		{"huge rate and burst", apigw.Throttle{BurstLimit: math.MaxInt32, RateLimit: 1e12}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLocal()
			for _, k := range []BucketKey{StageMethodBucket(MethodID("api", "prod", "/pets/GET")), AccountBucket()} {
				for range 10 {
					l.Allow(context.Background(), k, tt.th, t0)
				}
			}
			if n := l.bucketCount(); (n > 0) != tt.wantState {
				t.Errorf("buckets kept = %d, want state %v", n, tt.wantState)
			}
		})
	}
}

func (l *Local) bucketCount() int {
	n, _ := l.buckets.size()
	return n
}

func count[K comparable, V any](t *table[K, V]) int {
	n := 0
	t.each(func(K, *V) bool { n++; return false })
	return n
}

func TestSweepDropsOnlyFullBuckets(t *testing.T) {
	l := NewLocal()
	slow := apigw.Throttle{BurstLimit: 2, RateLimit: 0.1} // 10 s per token
	fast := apigw.Throttle{BurstLimit: 2, RateLimit: 1}
	never := apigw.Throttle{BurstLimit: 2}
	ctx := context.Background()
	l.Allow(ctx, PlanKeyBucket("p", "slow"), slow, t0)
	l.Allow(ctx, PlanKeyBucket("p", "fast"), fast, t0)
	l.Allow(ctx, PlanKeyBucket("p", "never"), never, t0)

	steps := []struct {
		at        time.Duration
		wantSwept int
		wantLeft  int
	}{
		{0, 0, 3},
		{time.Second - 1, 0, 3},
		{time.Second, 1, 2}, // fast is full again
		{10 * time.Second, 1, 1},
		{time.Hour, 0, 1}, // a rate-0 bucket never refills
	}
	for _, s := range steps {
		if got := l.Sweep(t0.Add(s.at)); got != s.wantSwept {
			t.Errorf("Sweep at +%v dropped %d, want %d", s.at, got, s.wantSwept)
		}
		if got := l.bucketCount(); got != s.wantLeft {
			t.Errorf("after Sweep at +%v: %d buckets, want %d", s.at, got, s.wantLeft)
		}
	}
	// The rate-0 bucket kept its state: one token left.
	if got := drain(t, l, PlanKeyBucket("p", "never"), never, t0.Add(time.Hour)); got != 1 {
		t.Errorf("rate-0 bucket admitted %d after sweeping, want 1", got)
	}
}
