package counters

import (
	"hash/maphash"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// Buckets whose entryIDs share a word, and so a shard or an index tag and
// home slot, must still be counted apart, and sweeping must keep the right
// ones.
func TestAllowWithSharedHashWord(t *testing.T) {
	l := NewLocal()
	th := apigw.Throttle{BurstLimit: 2, RateLimit: 1}
	ids := []entryID{{42, 7}, {42, 7 + shardCount}, {43, 7}}
	ns := t0.UnixNano()
	take := func(id entryID, now int64) bool { ok, _ := l.allow(id, th, now); return ok }
	// a: 2 taken, b: 1 taken, c: none.
	got := []bool{take(ids[0], ns), take(ids[0], ns), take(ids[0], ns), take(ids[1], ns)}
	if diff := cmp.Diff([]bool{true, true, false, true}, got); diff != "" {
		t.Fatalf("decisions (-want +got):\n%s", diff)
	}
	if n := l.bucketCount(); n != 2 {
		t.Fatalf("%d buckets, want 2", n)
	}
	// One second later b is full again and is swept; a is not.
	later := ns + 1e9
	if n := l.Sweep(time.Unix(0, later)); n != 1 {
		t.Errorf("swept %d, want 1", n)
	}
	got = []bool{take(ids[0], later), take(ids[0], later), take(ids[1], later), take(ids[1], later), take(ids[1], later)}
	if diff := cmp.Diff([]bool{true, false, true, true, false}, got); diff != "" {
		t.Errorf("decisions after sweep (-want +got):\n%s", diff)
	}
}

func TestUsageWithHashCollisions(t *testing.T) {
	var tb table[usageKey, usageCount]
	keys := []usageKey{{"p", "a", 1}, {"p", "b", 1}, {"p", "a", 2}}
	for i, k := range keys {
		s := tb.shard(7)
		s.mu.Lock()
		for range i + 1 {
			c, _ := s.get(7, k)
			c.n++
		}
		s.mu.Unlock()
	}
	got := map[usageKey]int64{}
	tb.each(func(k usageKey, c *usageCount) bool { got[k] = c.n; return k.keyID == "b" })
	want := map[usageKey]int64{keys[0]: 1, keys[1]: 2, keys[2]: 3}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(usageKey{})); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if n := count(&tb); n != 2 {
		t.Errorf("%d entries after removing one, want 2", n)
	}
}

func TestHashStringsSeparatesFields(t *testing.T) {
	seed := maphash.MakeSeed()
	inputs := []struct {
		tag     uint8
		a, b, c string
	}{
		{1, "ab", "c", ""}, {1, "a", "bc", ""}, {1, "abc", "", ""}, {1, "", "abc", ""},
		{2, "ab", "c", ""}, {1, "ab", "", "c"}, {0, "", "", ""}, {1, "", "", ""},
	}
	seen := map[uint64]int{}
	for i, in := range inputs {
		h := hashStrings(seed, in.tag, in.a, in.b, in.c)
		if j, ok := seen[h]; ok {
			t.Errorf("inputs %d and %d hash alike", j, i)
		}
		seen[h] = i
	}
}
