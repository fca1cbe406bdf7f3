package counters

import (
	"context"
	"math"
	"math/big"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

var t0 = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)

// expectedAdmits is burst + floor(rate·elapsed) computed with exact
// rationals from the rate as Allow rounds it (1e-9 tokens/s).
func expectedAdmits(th apigw.Throttle, elapsed time.Duration) int64 {
	r := big.NewInt(int64(math.Round(th.RateLimit * 1e9)))
	n := new(big.Int).Mul(r, big.NewInt(int64(elapsed)))
	n.Quo(n, big.NewInt(1e18))
	return int64(th.BurstLimit) + n.Int64()
}

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

func TestAllowAdmitsBurstPlusRateTimesTime(t *testing.T) {
	tests := []struct {
		name   string
		th     apigw.Throttle
		window time.Duration
		// step is how often the demand comes; there is enough demand when
		// step·rate <= burst−1, or when every step lands on a token's arrival.
		step time.Duration
		want int64 // total after the window (a multiple of step): burst + floor(rate·window)
	}{
		{"rate 0.5 burst 1", apigw.Throttle{BurstLimit: 1, RateLimit: 0.5}, 10 * time.Second, 10 * time.Millisecond, 1 + 5},
		{"rate 0.5 burst 50", apigw.Throttle{BurstLimit: 50, RateLimit: 0.5}, 7 * time.Second, 100 * time.Millisecond, 50 + 3},
		{"rate 100 burst 1", apigw.Throttle{BurstLimit: 1, RateLimit: 100}, time.Second, 10 * time.Millisecond, 1 + 100},
		{"rate 100 burst 2 uneven steps", apigw.Throttle{BurstLimit: 2, RateLimit: 100}, time.Second, 4 * time.Millisecond, 2 + 100},
		{"rate 100 burst 50", apigw.Throttle{BurstLimit: 50, RateLimit: 100}, 2500 * time.Millisecond, 10 * time.Millisecond, 50 + 250},
		{"rate 3 burst 2 (interval not whole ns)", apigw.Throttle{BurstLimit: 2, RateLimit: 3}, 10 * time.Second, 8 * time.Millisecond, 2 + 30},
		{"rate 3 burst 1 at each arrival", apigw.Throttle{BurstLimit: 1, RateLimit: 3}, 30 * 333333334 * time.Nanosecond, 333333334 * time.Nanosecond, 1 + 30},
		{"rate 0.1 burst 5", apigw.Throttle{BurstLimit: 5, RateLimit: 0.1}, 25 * time.Second, 250 * time.Millisecond, 5 + 2},
		{"rate 2.5 burst 10", apigw.Throttle{BurstLimit: 10, RateLimit: 2.5}, 4 * time.Second, 50 * time.Millisecond, 10 + 10},
		{"rate 10000 burst 5000 (account default)", apigw.Throttle{BurstLimit: 5000, RateLimit: 10000}, time.Second, 10 * time.Millisecond, 5000 + 10000},
		{"rate 7 burst 3 over an hour", apigw.Throttle{BurstLimit: 3, RateLimit: 7}, time.Hour, 100 * time.Millisecond, 3 + 7*3600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLocal()
			k := PlanKeyBucket("plan1", "key1")
			got := drain(t, l, k, tt.th, t0)
			if got != int64(tt.th.BurstLimit) {
				t.Fatalf("admitted %d at t0, want burst %d", got, tt.th.BurstLimit)
			}
			for d := tt.step; d <= tt.window; d += tt.step {
				got += drain(t, l, k, tt.th, t0.Add(d))
				if want := expectedAdmits(tt.th, d); got != want {
					t.Fatalf("after %v: admitted %d in total, want %d", d, got, want)
				}
			}
			if got != tt.want {
				t.Errorf("after %v: admitted %d in total, want %d", tt.window, got, tt.want)
			}
		})
	}
}

func TestAllowRetryAfter(t *testing.T) {
	tests := []struct {
		name string
		th   apigw.Throttle
		want time.Duration // retryAfter right after draining a full bucket
	}{
		{"rate 2", apigw.Throttle{BurstLimit: 1, RateLimit: 2}, 500 * time.Millisecond},
		{"rate 0.5 burst 4", apigw.Throttle{BurstLimit: 4, RateLimit: 0.5}, 2 * time.Second},
		{"rate 3 rounds up", apigw.Throttle{BurstLimit: 2, RateLimit: 3}, 333333334 * time.Nanosecond},
		{"rate 3 burst 1, a third of a ns short", apigw.Throttle{BurstLimit: 1, RateLimit: 3}, 333333334 * time.Nanosecond},
		{"rate 100", apigw.Throttle{BurstLimit: 50, RateLimit: 100}, 10 * time.Millisecond},
		{"rate 0", apigw.Throttle{BurstLimit: 2, RateLimit: 0}, Never},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLocal()
			k := PlanKeyBucket("p", "k")
			drain(t, l, k, tt.th, t0)
			ok, retry, _ := l.Allow(context.Background(), k, tt.th, t0)
			if ok || retry != tt.want {
				t.Fatalf("Allow on empty bucket = %v, %v; want false, %v", ok, retry, tt.want)
			}
			if tt.want == Never {
				if ok, _, _ := l.Allow(context.Background(), k, tt.th, t0.Add(1000*time.Hour)); ok {
					t.Fatalf("rate 0 bucket refilled")
				}
				return
			}
			// One ns early is still refused, with 1 ns to wait; on time is admitted.
			ok, retry, _ = l.Allow(context.Background(), k, tt.th, t0.Add(tt.want-1))
			if ok || retry != 1 {
				t.Errorf("Allow 1ns before retryAfter = %v, %v; want false, 1ns", ok, retry)
			}
			if ok, retry, _ := l.Allow(context.Background(), k, tt.th, t0.Add(tt.want)); !ok || retry != 0 {
				t.Errorf("Allow at retryAfter = %v, %v; want true, 0", ok, retry)
			}
		})
	}
}

func TestAllowSpecialLimits(t *testing.T) {
	tests := []struct {
		name string
		th   apigw.Throttle
		// admitted at t0 and after an hour more, for a demand of 1000 each
		wantNow, wantLater int64
		wantState          bool // whether a bucket is kept
	}{
		{"burst 0 admits nothing", apigw.Throttle{BurstLimit: 0, RateLimit: 10}, 0, 0, false},
		{"rate 0 burst 0 admits nothing", apigw.Throttle{}, 0, 0, false},
		{"rate 0 burst 3 admits 3 ever", apigw.Throttle{BurstLimit: 3}, 3, 0, true},
		{"negative burst is unlimited", apigw.Throttle{BurstLimit: -1, RateLimit: 10}, 1000, 1000, false},
		{"negative rate is unlimited", apigw.Throttle{BurstLimit: 5, RateLimit: -1}, 1000, 1000, false},
		{"infinite rate is unlimited", apigw.Throttle{BurstLimit: 5, RateLimit: math.Inf(1)}, 1000, 1000, false},
		{"NaN rate never refills", apigw.Throttle{BurstLimit: 2, RateLimit: math.NaN()}, 2, 0, true},
		{"huge rate and burst", apigw.Throttle{BurstLimit: math.MaxInt32, RateLimit: 1e12}, 1000, 1000, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLocal()
			k := StageMethodBucket(MethodID("api", "prod", "/pets/GET"))
			count := func(now time.Time) int64 {
				var n int64
				for range 1000 {
					if ok, retry, _ := l.Allow(context.Background(), k, tt.th, now); ok {
						n++
					} else if retry != Never {
						t.Fatalf("retryAfter = %v, want Never", retry)
					}
				}
				return n
			}
			got := []int64{count(t0), count(t0.Add(time.Hour))}
			if diff := cmp.Diff([]int64{tt.wantNow, tt.wantLater}, got); diff != "" {
				t.Errorf("admitted (-want +got):\n%s", diff)
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

func TestAllowIsolatesBuckets(t *testing.T) {
	th := apigw.Throttle{BurstLimit: 3, RateLimit: 1}
	keys := []BucketKey{
		PlanKeyBucket("p1", "k1"),
		PlanKeyBucket("p1", "k2"),
		PlanKeyBucket("p2", "k1"),
		PlanKeyMethodBucket("p1", "k1", MethodID("a", "s", "/x/GET")),
		PlanKeyMethodBucket("p1", "k1", MethodID("a", "s", "/x/POST")),
		StageMethodBucket(MethodID("a", "s", "/x/GET")),
		StageMethodBucket(MethodID("a", "t", "/x/GET")),
		AccountBucket(),
	}
	l := NewLocal()
	var got []int64
	for _, k := range keys {
		got = append(got, drain(t, l, k, th, t0))
	}
	want := []int64{3, 3, 3, 3, 3, 3, 3, 3}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("admitted per bucket (-want +got):\n%s", diff)
	}
}

func TestAllowLimitChange(t *testing.T) {
	tests := []struct {
		name        string
		before      apigw.Throttle
		take        int // requests at t0 under before
		after       apigw.Throttle
		wantNow     int64         // admitted at t0 under after
		later       time.Duration // then, admitted at t0+later under after
		wantLater   int64
		description string
	}{
		{"lower burst caps the level", apigw.Throttle{BurstLimit: 10, RateLimit: 1}, 4,
			apigw.Throttle{BurstLimit: 5, RateLimit: 1}, 5, 10 * time.Second, 5, ""},
		{"higher burst keeps the level, then fills", apigw.Throttle{BurstLimit: 10, RateLimit: 1}, 4,
			apigw.Throttle{BurstLimit: 20, RateLimit: 1}, 6, 30 * time.Second, 20, ""},
		{"higher rate refills faster", apigw.Throttle{BurstLimit: 10, RateLimit: 1}, 10,
			apigw.Throttle{BurstLimit: 10, RateLimit: 4}, 0, 2 * time.Second, 8, ""},
		{"rate to 0 stops refill", apigw.Throttle{BurstLimit: 10, RateLimit: 1}, 7,
			apigw.Throttle{BurstLimit: 10}, 3, time.Hour, 0, ""},
		{"rate from 0 starts refill", apigw.Throttle{BurstLimit: 10}, 10,
			apigw.Throttle{BurstLimit: 10, RateLimit: 2}, 0, 3 * time.Second, 6, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLocal()
			k := PlanKeyBucket("p", "k")
			for range tt.take {
				if ok, _, _ := l.Allow(context.Background(), k, tt.before, t0); !ok {
					t.Fatalf("refused under the old limit")
				}
			}
			got := []int64{drain(t, l, k, tt.after, t0), drain(t, l, k, tt.after, t0.Add(tt.later))}
			if diff := cmp.Diff([]int64{tt.wantNow, tt.wantLater}, got); diff != "" {
				t.Errorf("admitted now, later (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAllowConcurrentAdmitsExactlyBurst(t *testing.T) {
	const goroutines, each, burst = 32, 200, 1000
	th := apigw.Throttle{BurstLimit: burst, RateLimit: 1}
	l := NewLocal()
	keys := []BucketKey{AccountBucket(), PlanKeyBucket("p", "k")}
	var mu sync.Mutex
	admitted := map[BucketKey]int{}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			n := map[BucketKey]int{}
			for i := range each {
				k := keys[(g+i)%len(keys)]
				if ok, _, _ := l.Allow(context.Background(), k, th, t0); ok {
					n[k]++
				}
			}
			mu.Lock()
			for k, v := range n {
				admitted[k] += v
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	want := map[BucketKey]int{AccountBucket(): burst, PlanKeyBucket("p", "k"): burst}
	if diff := cmp.Diff(want, admitted); diff != "" {
		t.Errorf("admitted (-want +got):\n%s", diff)
	}
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

// TestAllowMatchesReferenceBucket replays random demand against a token
// bucket computed with exact rationals and compares every decision and
// every retryAfter.
func TestAllowMatchesReferenceBucket(t *testing.T) {
	rates := []float64{0.1, 0.5, 1, 2.5, 3, 7, 100, 333.25, 10000}
	bursts := []int{1, 2, 5, 50}
	rnd := rand.New(rand.NewPCG(1, 2))
	for trial := range 60 {
		th := apigw.Throttle{BurstLimit: bursts[rnd.IntN(len(bursts))], RateLimit: rates[rnd.IntN(len(rates))]}
		l := NewLocal()
		k := PlanKeyBucket("p", "k")
		ref := newRefBucket(th)
		now := t0
		for step := range 2000 {
			now = now.Add(time.Duration(rnd.Int64N(int64(2 * time.Second / time.Duration(th.RateLimit+1)))))
			ok, retry, _ := l.Allow(context.Background(), k, th, now)
			wantOK, wantRetry := ref.allow(now)
			if ok != wantOK || retry != wantRetry {
				t.Fatalf("trial %d (%+v) step %d at %v: Allow = %v, %v; reference %v, %v",
					trial, th, step, now.Sub(t0), ok, retry, wantOK, wantRetry)
			}
		}
	}
}

type refBucket struct {
	rate   *big.Rat // tokens per ns
	burst  *big.Rat
	tokens *big.Rat
	last   time.Time
}

func newRefBucket(th apigw.Throttle) *refBucket {
	b := big.NewRat(int64(th.BurstLimit), 1)
	return &refBucket{
		rate:   big.NewRat(int64(math.Round(th.RateLimit*1e9)), 1e18),
		burst:  b,
		tokens: new(big.Rat).Set(b),
		last:   t0,
	}
}

func (r *refBucket) allow(now time.Time) (bool, time.Duration) {
	add := new(big.Rat).Mul(r.rate, big.NewRat(int64(now.Sub(r.last)), 1))
	r.tokens.Add(r.tokens, add)
	if r.tokens.Cmp(r.burst) > 0 {
		r.tokens.Set(r.burst)
	}
	r.last = now
	one := big.NewRat(1, 1)
	if r.tokens.Cmp(one) >= 0 {
		r.tokens.Sub(r.tokens, one)
		return true, 0
	}
	wait := new(big.Rat).Sub(one, r.tokens)
	wait.Quo(wait, r.rate)
	q, m := new(big.Int).QuoRem(wait.Num(), wait.Denom(), new(big.Int))
	if m.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return false, time.Duration(q.Int64())
}

func TestRefundGivesBackOneTokenUpToFull(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		th   apigw.Throttle
	}{
		{"rate 3 burst 4 (interval not whole ns)", apigw.Throttle{BurstLimit: 4, RateLimit: 3}},
		{"rate 100 burst 50", apigw.Throttle{BurstLimit: 50, RateLimit: 100}},
		{"rate 0 burst 5 (never refills)", apigw.Throttle{BurstLimit: 5, RateLimit: 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLocal()
			k := PlanKeyBucket("plan1", "key1")
			if got := drain(t, l, k, tt.th, t0); got != int64(tt.th.BurstLimit) {
				t.Fatalf("admitted %d, want %d", got, tt.th.BurstLimit)
			}
			// Three refunds of an empty bucket: exactly three more admits.
			for range 3 {
				if err := l.Refund(ctx, k, tt.th, t0); err != nil {
					t.Fatal(err)
				}
			}
			if got := drain(t, l, k, tt.th, t0); got != 3 {
				t.Fatalf("after 3 refunds admitted %d, want 3", got)
			}
			// Refunds never fill past burst: refund twice as many as burst.
			for range 2 * tt.th.BurstLimit {
				l.Refund(ctx, k, tt.th, t0)
			}
			if got := drain(t, l, k, tt.th, t0); got != int64(tt.th.BurstLimit) {
				t.Fatalf("after over-refunding admitted %d, want burst %d", got, tt.th.BurstLimit)
			}
			// A refund under another limit is ignored.
			other := apigw.Throttle{BurstLimit: tt.th.BurstLimit + 1, RateLimit: tt.th.RateLimit}
			l.Refund(ctx, k, other, t0)
			if got := drain(t, l, k, tt.th, t0); got != 0 {
				t.Fatalf("a refund under another limit admitted %d", got)
			}
		})
	}
}
