package counters

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/storetest"
)

// hasPointers reports whether values of t hold a pointer the garbage
// collector would have to follow.
func hasPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return false
	case reflect.Array:
		return t.Len() > 0 && hasPointers(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if hasPointers(t.Field(i).Type) {
				return true
			}
		}
		return false
	}
	return true
}

// The tables' keys and values must stay pointer-free, or the collector
// scans every entry again (a string field would bring that back).
func TestTableValuesArePointerFree(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want bool
	}{
		{"entryID", entryID{}, false},
		{"bucket", bucket{}, false},
		{"bucket slot", idSlot[bucket]{}, false},
		{"quota slot", idSlot[quotaEntry]{}, false},
		{"quotaEntry", quotaEntry{}, false},
		{"index slot", uint64(0), false},
		// The check itself can fail:
		{"struct with a string", struct {
			n int
			s string
		}{}, true},
		{"array of slices", [2][]int{}, true},
	}
	for _, tt := range tests {
		if got := hasPointers(reflect.TypeOf(tt.v)); got != tt.want {
			t.Errorf("%s: hasPointers = %v, want %v", tt.name, got, tt.want)
		}
	}
	if s := reflect.TypeOf(idSlot[bucket]{}).Size(); s != 48 {
		t.Errorf("a bucket's slab slot is %d bytes, want 48", s)
	}
	if s := reflect.TypeOf(idSlot[quotaEntry]{}).Size(); s != 64 {
		t.Errorf("a quota entry's slab slot is %d bytes, want 64 (a cache line)", s)
	}
}

// checkLimits checks the bookkeeping of the buckets' shared limits: each
// bucket's limit is live, every live limit is used and counted exactly,
// and the lookup map holds the live limits only.
func (t *bucketTable) checkLimits(tb testing.TB) (limits int) {
	tb.Helper()
	for si := range t.shards {
		s := &t.shards[si]
		s.mu.Lock()
		refs := make(map[uint32]int64)
		s.removeIf(func(_ entryID, b *bucket) bool { refs[b.lim]++; return false })
		for i, r := range s.lims.list {
			if r.refs != refs[uint32(i)] {
				tb.Errorf("shard %d limit %d: refs %d, used by %d buckets", si, i, r.refs, refs[uint32(i)])
			}
			if r.refs > 0 {
				limits++
				if j, ok := s.lims.byKey[r.key]; !ok || j != uint32(i) {
					tb.Errorf("shard %d limit %d is not found by its key", si, i)
				}
			}
		}
		if len(s.lims.byKey)+len(s.lims.free) != len(s.lims.list) {
			tb.Errorf("shard %d: %d limits found by key + %d free != %d held",
				si, len(s.lims.byKey), len(s.lims.free), len(s.lims.list))
		}
		s.mu.Unlock()
	}
	return limits
}

type tableSize struct{ Entries, Slots int }

func sizes(l *Local) (buckets, quotas tableSize) {
	buckets.Entries, buckets.Slots = l.buckets.size()
	quotas.Entries, quotas.Slots = l.quotas.size()
	return buckets, quotas
}

// A Local holds many entries, Sweep drops the idle ones, new entries take
// the dropped ones' slots instead of growing the tables, and a table swept
// empty gives its memory back.
func TestSweepReusesAndReturnsMemory(t *testing.T) {
	const n = 200_000
	ctx := context.Background()
	// Even keys: a bucket full again a second later and a daily quota;
	// odd keys: a bucket full again after 1e6 s (11.6 days) and a monthly
	// quota. At t1 the even keys' state is idle and the odd keys' is not.
	fast := apigw.Throttle{BurstLimit: 2, RateLimit: 1}
	slow := apigw.Throttle{BurstLimit: 2, RateLimit: 1e-6}
	day := apigw.Quota{Limit: 10, Period: apigw.PeriodDay}
	month := apigw.Quota{Limit: 10, Period: apigw.PeriodMonth}
	use := func(l *Local, i int, now time.Time) {
		id := fmt.Sprintf("k%09d", i)
		th, q := fast, day
		if i%2 == 1 {
			th, q = slow, month
		}
		if ok, _, _ := l.Allow(ctx, PlanKeyBucket("p", id), th, now); !ok {
			t.Fatalf("key %d: bucket refused its first request", i)
		}
		if r, _ := l.Take(ctx, "p", id, q, now); !r.Allowed {
			t.Fatalf("key %d: quota refused its first request", i)
		}
	}
	l := NewLocal()
	for i := range n {
		use(l, i, t0)
	}
	b, q := sizes(l)
	if diff := cmp.Diff([2]tableSize{{n, n}, {n, n}}, [2]tableSize{b, q}); diff != "" {
		t.Fatalf("after %d keys, buckets and quotas (-want +got):\n%s", n, diff)
	}

	t1 := utc(2026, 3, 15, 0, 0, 1, 0) // the next day, t0 + 9 h
	if got := l.Sweep(t1); got != n {  // n/2 buckets + n/2 quota entries
		t.Errorf("Sweep dropped %d, want %d", got, n)
	}
	b, q = sizes(l)
	if diff := cmp.Diff([2]tableSize{{n / 2, n}, {n / 2, n}}, [2]tableSize{b, q}); diff != "" {
		t.Fatalf("after sweeping half, buckets and quotas (-want +got):\n%s", diff)
	}
	// As many new keys as were dropped: they land in the free slots. Keys
	// spread over shards by hash, so a few shards get more new keys than
	// they freed slots and grow a little (expected ~1.5k slots in all).
	for i := n; i < n+n/2; i++ {
		use(l, i, t1)
	}
	b, q = sizes(l)
	for name, s := range map[string]tableSize{"buckets": b, "quotas": q} {
		if s.Entries != n || s.Slots > n+n/40 {
			t.Errorf("%s after refilling: %+v, want %d entries in at most %d slots", name, s, n, n+n/40)
		}
	}
	if got := l.buckets.checkLimits(t); got == 0 {
		t.Error("no live limits with buckets held")
	}

	// Everything idle: all dropped, and the tables give their memory back.
	if got := l.Sweep(utc(2026, 5, 1, 0, 0, 0, 0)); got != 2*n {
		t.Errorf("final Sweep dropped %d, want %d", got, 2*n)
	}
	b, q = sizes(l)
	if diff := cmp.Diff([2]tableSize{}, [2]tableSize{b, q}); diff != "" {
		t.Errorf("after sweeping all, buckets and quotas (-want +got):\n%s", diff)
	}
	if got := l.buckets.checkLimits(t); got != 0 {
		t.Errorf("%d limits still held with no bucket", got)
	}
}

// A shard rebuilt smaller by Sweep keeps the exact state of the entries
// that survive, and the limits of changed and dropped buckets are
// released.
func TestSweepRebuildKeepsSurvivors(t *testing.T) {
	const n, kept = 50_000, 100 // n: every shard big enough to be rebuilt (shrinkMin)
	ctx := context.Background()
	fast := apigw.Throttle{BurstLimit: 5, RateLimit: 1}
	never := apigw.Throttle{BurstLimit: 5} // rate 0: never full again once used
	changed := apigw.Throttle{BurstLimit: 7}
	day := apigw.Quota{Limit: 10, Period: apigw.PeriodDay}
	month := apigw.Quota{Limit: 10, Period: apigw.PeriodMonth}
	l := NewLocal()
	key := func(i int) string { return fmt.Sprintf("k%09d", i) }
	for i := range n {
		th, q, times := fast, day, 1
		if i < kept {
			th, q, times = never, month, 3
		}
		for range times {
			l.Allow(ctx, PlanKeyBucket("p", key(i)), th, t0)
			l.Take(ctx, "p", key(i), q, t0)
		}
	}
	// Half the survivors move to another limit, keeping their level (2
	// tokens), and take one under it.
	for i := range kept / 2 {
		l.Allow(ctx, PlanKeyBucket("p", key(i)), changed, t0)
	}
	if got, want := l.buckets.checkLimits(t), 3*shardCount; got > want {
		t.Errorf("%d live limits for 3 throttles, want at most %d", got, want)
	}
	if got := l.Sweep(utc(2026, 3, 15, 0, 0, 1, 0)); got != 2*(n-kept) {
		t.Errorf("Sweep dropped %d, want %d", got, 2*(n-kept))
	}
	b, q := sizes(l)
	if diff := cmp.Diff([2]tableSize{{kept, kept}, {kept, kept}}, [2]tableSize{b, q}); diff != "" {
		t.Errorf("after the sweep, buckets and quotas (-want +got):\n%s", diff)
	}
	if got := l.buckets.checkLimits(t); got > 2*shardCount {
		t.Errorf("%d live limits for 2 throttles in use, want at most %d", got, 2*shardCount)
	}
	now := t0.Add(time.Hour)
	for i := range kept {
		th, wantLeft := never, int64(2)
		if i < kept/2 {
			th, wantLeft = changed, 1
		}
		if got := drain(t, l, PlanKeyBucket("p", key(i)), th, now); got != wantLeft {
			t.Errorf("key %d: bucket admitted %d after the rebuild, want %d", i, got, wantLeft)
		}
		if r, _ := l.Peek(ctx, "p", key(i), month, now); r.Used != 3 {
			t.Errorf("key %d: quota used %d after the rebuild, want 3", i, r.Used)
		}
	}
}

// LoadQuotas finds a plan's existing entries by hash alone: it must set
// those of loaded keys, reset the plan's others, and leave other plans'
// entries for the same key ids alone.
func TestLoadQuotasSetsOnlyItsPlansEntries(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	q := apigw.Quota{Limit: 100, Period: apigw.PeriodDay}
	plan := storetest.SampleUsagePlan("p1")
	plan.Quota = &q
	err := db.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateUsagePlan(ctx, plan); err != nil {
			return err
		}
		return tx.AddUsage(ctx, []store.UsageRecord{
			{PlanID: "p1", KeyID: "k1", Day: utc(2026, 3, 14, 0, 0, 0, 0), Count: 10},
			{PlanID: "p1", KeyID: "k2", Day: utc(2026, 3, 14, 0, 0, 0, 0), Count: 4},
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	l := NewLocal()
	takes := []struct {
		plan, key string
		n         int
	}{{"p1", "k1", 3}, {"p1", "k9", 5}, {"p3", "k1", 2}, {"p3", "k2", 6}}
	for _, tk := range takes {
		for range tk.n {
			take(t, l, tk.plan, tk.key, q, t0)
		}
	}
	if err := l.LoadQuotas(ctx, db, []*apigw.UsagePlan{plan}, t0); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, pk := range []string{"p1/k1", "p1/k2", "p1/k9", "p3/k1", "p3/k2"} {
		r, _ := l.Peek(ctx, pk[:2], pk[3:], q, t0)
		got[pk] = r.Used
	}
	want := map[string]int64{"p1/k1": 10, "p1/k2": 4, "p1/k9": 0, "p3/k1": 2, "p3/k2": 6}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("used after loading p1 (-want +got):\n%s", diff)
	}
	_, qs := sizes(l)
	if qs.Entries != 5 {
		t.Errorf("%d quota entries, want 5", qs.Entries)
	}
}

// An idShard agrees with a plain map through random creations and
// removals, with ids crowded onto a few home slots so that probe runs are
// long, wrap around the index and are shifted back by removals.
func TestIDShardMatchesMap(t *testing.T) {
	tests := []struct {
		name  string
		homes uint64 // distinct tags: few make long probe runs
	}{
		{"crowded", 5},
		{"spread", 1 << 32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			var s idShard[int64]
			want := map[entryID]int64{}
			var ids []entryID
			for round := range 40 {
				for range rng.IntN(500) {
					var id entryID
					if len(ids) > 0 && rng.IntN(3) == 0 {
						id = ids[rng.IntN(len(ids))] // an old id, maybe removed
					} else {
						id = entryID{lo: rng.Uint64N(tt.homes)<<32 | rng.Uint64N(1<<32), hi: rng.Uint64() | 1}
						ids = append(ids, id)
					}
					v, created := s.get(id)
					if _, ok := want[id]; created == ok {
						t.Fatalf("round %d: get created = %v, but the id was held: %v", round, created, ok)
					}
					*v++
					want[id]++
				}
				// Remove about a third, or everything every tenth round.
				all := round%10 == 9
				s.removeIf(func(id entryID, v *int64) bool {
					if all || rng.IntN(3) == 0 {
						delete(want, id)
						return true
					}
					return false
				})
				got := map[entryID]int64{}
				s.removeIf(func(id entryID, v *int64) bool { got[id] = *v; return false })
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("round %d: entries (-want +got):\n%s", round, diff)
				}
				for _, id := range ids {
					v := s.find(id)
					if w, ok := want[id]; ok != (v != nil) || ok && *v != w {
						t.Fatalf("round %d: find(%x) = %v, want %d (held: %v)", round, id, v, w, ok)
					}
				}
				if n, _ := s.size(); n != len(want) {
					t.Fatalf("round %d: size %d, want %d", round, n, len(want))
				}
			}
		})
	}
}

// Plans numbered concurrently, the first time from several goroutines at
// once, get one number each, distinct from the others'.
func TestPlanNumbersConcurrent(t *testing.T) {
	var p planNumbers
	const plans, workers = 50, 4
	got := make([][]uint32, workers)
	done := make(chan int)
	for w := range workers {
		go func() {
			got[w] = make([]uint32, plans)
			for i := range plans {
				got[w][i] = p.number(fmt.Sprintf("plan%d", i))
			}
			done <- w
		}()
	}
	for range workers {
		<-done
	}
	seen := map[uint32]int{}
	for i := range plans {
		n := got[0][i]
		for w := 1; w < workers; w++ {
			if got[w][i] != n {
				t.Fatalf("plan%d: worker %d got %d, worker 0 got %d", i, w, got[w][i], n)
			}
		}
		if j, ok := seen[n]; ok || n == 0 {
			t.Fatalf("plan%d got %d, as did plan%d (or 0)", i, n, j)
		}
		seen[n] = i
	}
}
