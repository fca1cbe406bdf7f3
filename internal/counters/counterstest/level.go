package counterstest

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/counters"
)

// testAllowLevel checks counters.LevelThrottler, for a backend that
// implements it: AllowLevel admits exactly as Allow does (it shares the
// bucket), and reports the whole tokens left after the call and the time
// until the bucket is full again.
func testAllowLevel(t *testing.T, s Setup) {
	b, _ := s.open(t)
	lt, ok := b.(counters.LevelThrottler)
	if !ok {
		t.Skip("the backend does not implement counters.LevelThrottler (optional)")
	}
	ctx := context.Background()
	th := apigw.Throttle{BurstLimit: 3, RateLimit: 2} // a token every 500 ms
	k := counters.PlanKeyBucket("plan1", "key1")
	type want struct {
		ok        bool
		retry     time.Duration
		remaining int64
		fullIn    time.Duration
	}
	steps := []struct {
		at   time.Duration
		want want
	}{
		{0, want{true, 0, 2, 500 * time.Millisecond}},
		{0, want{true, 0, 1, time.Second}},
		{0, want{true, 0, 0, 1500 * time.Millisecond}},
		{0, want{false, 500 * time.Millisecond, 0, 1500 * time.Millisecond}},
		{250 * time.Millisecond, want{false, 250 * time.Millisecond, 0, 1250 * time.Millisecond}},
		// Half a token refilled: still none whole.
		{500 * time.Millisecond, want{true, 0, 0, 1500 * time.Millisecond}},
		{1750 * time.Millisecond, want{true, 0, 1, 750 * time.Millisecond}},
		{5 * time.Second, want{true, 0, 2, 500 * time.Millisecond}},
	}
	for i, st := range steps {
		ok, retry, lvl, err := lt.AllowLevel(ctx, k, th, t0.Add(st.at))
		if err != nil {
			t.Fatalf("step %d: AllowLevel: %v", i, err)
		}
		got := want{ok, retry, lvl.Remaining, lvl.FullIn}
		if got != st.want {
			t.Errorf("step %d at +%v: got %+v, want %+v", i, st.at, got, st.want)
		}
	}
	// It shares Allow's bucket: one more Allow at +5s leaves one token.
	if ok, _, _ := b.Allow(ctx, k, th, t0.Add(5*time.Second)); !ok {
		t.Errorf("Allow after AllowLevel refused, want admitted")
	}
	if _, _, lvl, _ := lt.AllowLevel(ctx, k, th, t0.Add(5*time.Second)); lvl.Remaining != 0 {
		t.Errorf("after AllowLevel, Allow and AllowLevel at +5s: %d left, want 0", lvl.Remaining)
	}

	specials := []struct {
		name string
		th   apigw.Throttle
		ok   bool
		lvl  counters.Level
	}{
		{"unlimited", apigw.Throttle{BurstLimit: -1, RateLimit: -1}, true, counters.Level{Unlimited: true}},
		{"burst 0", apigw.Throttle{BurstLimit: 0, RateLimit: 10}, false, counters.Level{FullIn: counters.Never}},
		{"rate 0", apigw.Throttle{BurstLimit: 2, RateLimit: 0}, true, counters.Level{Remaining: 1, FullIn: counters.Never}},
	}
	for _, sp := range specials {
		ok, _, lvl, err := lt.AllowLevel(ctx, counters.PlanKeyBucket("plan1", sp.name), sp.th, t0)
		if err != nil || ok != sp.ok || lvl != sp.lvl {
			t.Errorf("%s: AllowLevel = %v, %+v, %v; want %v, %+v", sp.name, ok, lvl, err, sp.ok, sp.lvl)
		}
	}

	// The account bucket: its level is the whole account's.
	acct := apigw.Throttle{BurstLimit: 100, RateLimit: 50}
	for i := range 10 {
		_, _, lvl, err := lt.AllowLevel(ctx, counters.AccountBucket(), acct, t0)
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(100 - i - 1); lvl.Remaining != want {
			t.Fatalf("account request %d: %d left, want %d", i, lvl.Remaining, want)
		}
	}
}
