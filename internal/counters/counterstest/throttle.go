package counterstest

import (
	"context"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/counters"
)

func runThrottle(t *testing.T, s Setup) {
	t.Run("BurstPlusRateTimesTime", func(t *testing.T) { testBurstPlusRateTimesTime(t, s) })
	t.Run("RetryAfter", func(t *testing.T) { testRetryAfter(t, s) })
	t.Run("SpecialLimits", func(t *testing.T) { testSpecialLimits(t, s) })
	t.Run("IsolatesBuckets", func(t *testing.T) { testIsolatesBuckets(t, s) })
	t.Run("LimitChange", func(t *testing.T) { testLimitChange(t, s) })
	t.Run("Refund", func(t *testing.T) { testRefund(t, s) })
	t.Run("MatchesReferenceBucket", func(t *testing.T) { testMatchesReferenceBucket(t, s) })
	t.Run("PeekThrottle", func(t *testing.T) { testPeekThrottle(t, s) })
	t.Run("AllowLevel", func(t *testing.T) { testAllowLevel(t, s) })
}

func testBurstPlusRateTimesTime(t *testing.T, s Setup) {
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
		{"rate 10000 burst 5000", apigw.Throttle{BurstLimit: 5000, RateLimit: 10000}, time.Second, 10 * time.Millisecond, 5000 + 10000},
		{"rate 7 burst 3 over an hour", apigw.Throttle{BurstLimit: 3, RateLimit: 7}, time.Hour, 100 * time.Millisecond, 3 + 7*3600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := s.open(t)
			k := counters.PlanKeyBucket("plan1", "key1")
			got := drain(t, b, k, tt.th, t0)
			if got != int64(tt.th.BurstLimit) {
				t.Fatalf("admitted %d at t0, want burst %d", got, tt.th.BurstLimit)
			}
			for d := tt.step; d <= tt.window; d += tt.step {
				got += drain(t, b, k, tt.th, t0.Add(d))
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

func testRetryAfter(t *testing.T, s Setup) {
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
		{"rate 0", apigw.Throttle{BurstLimit: 2, RateLimit: 0}, counters.Never},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := s.open(t)
			k := counters.PlanKeyBucket("p", "k")
			drain(t, b, k, tt.th, t0)
			if ok, retry := allow(t, b, k, tt.th, t0); ok || retry != tt.want {
				t.Fatalf("Allow on empty bucket = %v, %v; want false, %v", ok, retry, tt.want)
			}
			if tt.want == counters.Never {
				if ok, _ := allow(t, b, k, tt.th, t0.Add(1000*time.Hour)); ok {
					t.Fatalf("rate 0 bucket refilled")
				}
				return
			}
			// One ns early is still refused, with 1 ns to wait; on time is admitted.
			if ok, retry := allow(t, b, k, tt.th, t0.Add(tt.want-1)); ok || retry != 1 {
				t.Errorf("Allow 1ns before retryAfter = %v, %v; want false, 1ns", ok, retry)
			}
			if ok, retry := allow(t, b, k, tt.th, t0.Add(tt.want)); !ok || retry != 0 {
				t.Errorf("Allow at retryAfter = %v, %v; want true, 0", ok, retry)
			}
		})
	}
}

func testSpecialLimits(t *testing.T, s Setup) {
	tests := []struct {
		name string
		th   apigw.Throttle
		// admitted at t0 and after an hour more, for a demand of 1000 each
		wantNow, wantLater int64
	}{
		{"burst 0 admits nothing", apigw.Throttle{BurstLimit: 0, RateLimit: 10}, 0, 0},
		{"rate 0 burst 0 admits nothing", apigw.Throttle{}, 0, 0},
		{"rate 0 burst 3 admits 3 ever", apigw.Throttle{BurstLimit: 3}, 3, 0},
		{"negative burst is unlimited", apigw.Throttle{BurstLimit: -1, RateLimit: 10}, 1000, 1000},
		{"negative rate is unlimited", apigw.Throttle{BurstLimit: 5, RateLimit: -1}, 1000, 1000},
		{"infinite rate is unlimited", apigw.Throttle{BurstLimit: 5, RateLimit: math.Inf(1)}, 1000, 1000},
		{"NaN rate never refills", apigw.Throttle{BurstLimit: 2, RateLimit: math.NaN()}, 2, 0},
		{"huge rate and burst", apigw.Throttle{BurstLimit: math.MaxInt32, RateLimit: 1e12}, 1000, 1000},
	}
	for _, tt := range tests {
		for _, k := range []counters.BucketKey{
			counters.StageMethodBucket(counters.MethodID("api", "prod", "/pets/GET")),
			counters.AccountBucket(),
		} {
			t.Run(tt.name+"/"+scopeName(k), func(t *testing.T) {
				b, _ := s.open(t)
				count := func(now time.Time) int64 {
					var n int64
					for range 1000 {
						if ok, retry := allow(t, b, k, tt.th, now); ok {
							n++
						} else if retry != counters.Never {
							t.Fatalf("retryAfter = %v, want Never", retry)
						}
					}
					return n
				}
				got := []int64{count(t0), count(t0.Add(time.Hour))}
				if diff := cmp.Diff([]int64{tt.wantNow, tt.wantLater}, got); diff != "" {
					t.Errorf("admitted (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func scopeName(k counters.BucketKey) string {
	if k == counters.AccountBucket() {
		return "account"
	}
	return "method"
}

func testIsolatesBuckets(t *testing.T, s Setup) {
	th := apigw.Throttle{BurstLimit: 3, RateLimit: 1}
	keys := []counters.BucketKey{
		counters.PlanKeyBucket("p1", "k1"),
		counters.PlanKeyBucket("p1", "k2"),
		counters.PlanKeyBucket("p2", "k1"),
		counters.PlanKeyMethodBucket("p1", "k1", counters.MethodID("a", "s", "/x/GET")),
		counters.PlanKeyMethodBucket("p1", "k1", counters.MethodID("a", "s", "/x/POST")),
		counters.StageMethodBucket(counters.MethodID("a", "s", "/x/GET")),
		counters.StageMethodBucket(counters.MethodID("a", "t", "/x/GET")),
		counters.AccountBucket(),
	}
	b, _ := s.open(t)
	var got []int64
	for _, k := range keys {
		got = append(got, drain(t, b, k, th, t0))
	}
	want := []int64{3, 3, 3, 3, 3, 3, 3, 3}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("admitted per bucket (-want +got):\n%s", diff)
	}
}

func testLimitChange(t *testing.T, s Setup) {
	tests := []struct {
		name      string
		before    apigw.Throttle
		take      int // requests at t0 under before
		after     apigw.Throttle
		wantNow   int64         // admitted at t0 under after
		later     time.Duration // then, admitted at t0+later under after
		wantLater int64
	}{
		{"lower burst caps the level", apigw.Throttle{BurstLimit: 10, RateLimit: 1}, 4,
			apigw.Throttle{BurstLimit: 5, RateLimit: 1}, 5, 10 * time.Second, 5},
		{"higher burst keeps the level, then fills", apigw.Throttle{BurstLimit: 10, RateLimit: 1}, 4,
			apigw.Throttle{BurstLimit: 20, RateLimit: 1}, 6, 30 * time.Second, 20},
		{"higher rate refills faster", apigw.Throttle{BurstLimit: 10, RateLimit: 1}, 10,
			apigw.Throttle{BurstLimit: 10, RateLimit: 4}, 0, 2 * time.Second, 8},
		{"rate to 0 stops refill", apigw.Throttle{BurstLimit: 10, RateLimit: 1}, 7,
			apigw.Throttle{BurstLimit: 10}, 3, time.Hour, 0},
		{"rate from 0 starts refill", apigw.Throttle{BurstLimit: 10}, 10,
			apigw.Throttle{BurstLimit: 10, RateLimit: 2}, 0, 3 * time.Second, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := s.open(t)
			k := counters.PlanKeyBucket("p", "k")
			for range tt.take {
				if ok, _ := allow(t, b, k, tt.before, t0); !ok {
					t.Fatalf("refused under the old limit")
				}
			}
			got := []int64{drain(t, b, k, tt.after, t0), drain(t, b, k, tt.after, t0.Add(tt.later))}
			if diff := cmp.Diff([]int64{tt.wantNow, tt.wantLater}, got); diff != "" {
				t.Errorf("admitted now, later (-want +got):\n%s", diff)
			}
		})
	}
}

func testRefund(t *testing.T, s Setup) {
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
		for _, k := range []counters.BucketKey{counters.PlanKeyBucket("plan1", "key1"), counters.AccountBucket()} {
			t.Run(tt.name+"/"+scopeName(k), func(t *testing.T) {
				b, _ := s.open(t)
				if got := drain(t, b, k, tt.th, t0); got != int64(tt.th.BurstLimit) {
					t.Fatalf("admitted %d, want %d", got, tt.th.BurstLimit)
				}
				// Three refunds of an empty bucket: exactly three more admits.
				for range 3 {
					if err := b.Refund(ctx, k, tt.th, t0); err != nil {
						t.Fatal(err)
					}
				}
				if got := drain(t, b, k, tt.th, t0); got != 3 {
					t.Fatalf("after 3 refunds admitted %d, want 3", got)
				}
				// Refunds never fill past burst: refund twice as many as burst.
				for range 2 * tt.th.BurstLimit {
					if err := b.Refund(ctx, k, tt.th, t0); err != nil {
						t.Fatal(err)
					}
				}
				if got := drain(t, b, k, tt.th, t0); got != int64(tt.th.BurstLimit) {
					t.Fatalf("after over-refunding admitted %d, want burst %d", got, tt.th.BurstLimit)
				}
				// A refund under another limit is ignored.
				other := apigw.Throttle{BurstLimit: tt.th.BurstLimit + 1, RateLimit: tt.th.RateLimit}
				if err := b.Refund(ctx, k, other, t0); err != nil {
					t.Fatal(err)
				}
				if got := drain(t, b, k, tt.th, t0); got != 0 {
					t.Fatalf("a refund under another limit admitted %d", got)
				}
			})
		}
	}
}

// testMatchesReferenceBucket replays random demand against a token bucket
// computed with exact rationals and compares every decision and every
// retryAfter.
func testMatchesReferenceBucket(t *testing.T, s Setup) {
	rates := []float64{0.1, 0.5, 1, 2.5, 3, 7, 100, 333.25, 10000}
	bursts := []int{1, 2, 5, 50}
	rnd := rand.New(rand.NewPCG(1, 2))
	b, _ := s.open(t)
	for trial := range 40 {
		th := apigw.Throttle{BurstLimit: bursts[rnd.IntN(len(bursts))], RateLimit: rates[rnd.IntN(len(rates))]}
		k := counters.PlanKeyBucket("p", "k"+string(rune('a'+trial%26))+string(rune('a'+trial/26)))
		ref := newRefBucket(th)
		now := t0
		for step := range 1500 {
			now = now.Add(time.Duration(rnd.Int64N(int64(2 * time.Second / time.Duration(th.RateLimit+1)))))
			ok, retry := allow(t, b, k, th, now)
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

// testPeekThrottle: PeekThrottle answers exactly what Allow would, for
// plain and account buckets, under random demand, refunds and limit
// changes, and never takes a token.
func testPeekThrottle(t *testing.T, s Setup) {
	ctx := context.Background()
	limits := []apigw.Throttle{
		{BurstLimit: 4, RateLimit: 3},
		{BurstLimit: 2, RateLimit: 0.5},
		{BurstLimit: 5, RateLimit: 0},
		{BurstLimit: 13, RateLimit: 16},
		{BurstLimit: 0, RateLimit: 1},
		{BurstLimit: -1, RateLimit: 1},
	}
	for _, k := range []counters.BucketKey{counters.PlanKeyBucket("p", "k"), counters.AccountBucket()} {
		t.Run(scopeName(k), func(t *testing.T) {
			b, _ := s.open(t)
			peekT := func(th apigw.Throttle, now time.Time) (bool, time.Duration) {
				t.Helper()
				ok, retry, err := b.PeekThrottle(ctx, k, th, now)
				if err != nil {
					t.Fatalf("PeekThrottle: %v", err)
				}
				return ok, retry
			}
			// Peeking a new bucket, however often, takes nothing.
			th := apigw.Throttle{BurstLimit: 3, RateLimit: 1}
			for range 10 {
				if ok, retry := peekT(th, t0); !ok || retry != 0 {
					t.Fatalf("PeekThrottle of a full bucket = %v, %v; want true, 0", ok, retry)
				}
			}
			if got := drain(t, b, k, th, t0); got != 3 {
				t.Fatalf("after peeking admitted %d, want the whole burst 3", got)
			}
			pOK, pRetry := peekT(th, t0)
			if aOK, aRetry := allow(t, b, k, th, t0); pOK || pRetry <= 0 || pOK != aOK || pRetry != aRetry {
				t.Errorf("empty bucket: PeekThrottle = %v, %v, Allow = %v, %v; want both false with the same retryAfter > 0", pOK, pRetry, aOK, aRetry)
			}

			rnd := rand.New(rand.NewPCG(5, 6))
			now := t0
			th = limits[0]
			for step := range 3000 {
				if rnd.IntN(50) == 0 {
					th = limits[rnd.IntN(len(limits))]
				}
				now = now.Add(time.Duration(rnd.Int64N(int64(300 * time.Millisecond))))
				pOK, pRetry := peekT(th, now)
				if ok, retry := peekT(th, now); ok != pOK || retry != pRetry {
					t.Fatalf("step %d: a second PeekThrottle answered %v, %v after %v, %v", step, ok, retry, pOK, pRetry)
				}
				aOK, aRetry := allow(t, b, k, th, now)
				if pOK != aOK || pRetry != aRetry {
					t.Fatalf("step %d (%+v at +%v): PeekThrottle = %v, %v; Allow = %v, %v", step, th, now.Sub(t0), pOK, pRetry, aOK, aRetry)
				}
				if aOK && rnd.IntN(5) == 0 {
					if err := b.Refund(ctx, k, th, now); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
}

func runAccount(t *testing.T, s Setup) {
	total := apigw.Throttle{RateLimit: apigw.AccountRateLimit, BurstLimit: apigw.AccountBurstLimit}
	k := counters.AccountBucket()

	// One caller gets the whole account limit: the burst at once, then the
	// whole rate.
	t.Run("OneCallerUsesWholeLimit", func(t *testing.T) {
		b, _ := s.open(t)
		got := drain(t, b, k, total, t0)
		if got != int64(total.BurstLimit) {
			t.Fatalf("admitted %d at once, want the burst %d", got, total.BurstLimit)
		}
		for d := 10 * time.Millisecond; d <= time.Second; d += 10 * time.Millisecond {
			got += drain(t, b, k, total, t0.Add(d))
		}
		if want := expectedAdmits(total, time.Second); got != want {
			t.Errorf("admitted %d over 1 s, want burst + rate = %d", got, want)
		}
	})

	// Over every window from t0, the account bucket admits no more than
	// burst + rate·d, under random demand with refunds.
	t.Run("Bound", func(t *testing.T) {
		ctx := context.Background()
		limits := []apigw.Throttle{
			total,
			{RateLimit: 16, BurstLimit: 13},
			{RateLimit: 3, BurstLimit: 3},
			{RateLimit: 0.5, BurstLimit: 20},
		}
		rnd := rand.New(rand.NewPCG(3, 4))
		for _, th := range limits {
			b, _ := s.open(t)
			var admitted int64
			now := t0
			for range 5000 {
				now = now.Add(time.Duration(rnd.Int64N(int64(4 * time.Second / time.Duration(th.RateLimit+1)))))
				if ok, _ := allow(t, b, k, th, now); ok {
					admitted++
					if rnd.IntN(4) == 0 {
						if err := b.Refund(ctx, k, th, now); err != nil {
							t.Fatal(err)
						}
						admitted--
					}
				}
				if want := expectedAdmits(th, now.Sub(t0)); admitted > want {
					t.Fatalf("%+v: admitted %d by +%v, more than burst + rate·d = %d", th, admitted, now.Sub(t0), want)
				}
			}
		}
	})
}
