package redis_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/counters"
	"github.com/gatehouse-dev/gatehouse/internal/counters/redis"
)

// fakeClock is the clock of a backend's flushes (Options.Now).
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *fakeClock) set(t time.Time)         { c.ns.Store(t.UnixNano()) }
func (c *fakeClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// leaseNodes opens n backends on one Redis prefix and one store, with
// leases of at most leaseMax requests and 1/divisor of what is left, and
// flushes at clock's time. closeNode closes one before the test ends.
func leaseNodes(t *testing.T, n int, leaseMax, divisor int64, clock *fakeClock) (nodes []*redis.Backend, closeNode func(i int)) {
	t.Helper()
	c := needRedis(t)
	prefix := newPrefix(t, c)
	st := newStore(t)
	closed := make([]bool, n)
	for range n {
		b, err := redis.Open(context.Background(), testURL(), redis.Options{
			Options:  counters.Options{Store: st, Prefix: prefix, Now: clock.now},
			LeaseMax: leaseMax, LeaseDivisor: divisor,
		})
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, b)
	}
	closeNode = func(i int) {
		t.Helper()
		if closed[i] {
			return
		}
		closed[i] = true
		if err := nodes[i].Close(); err != nil {
			t.Errorf("Close node %d: %v", i, err)
		}
	}
	t.Cleanup(func() {
		for i := range nodes {
			closeNode(i)
		}
	})
	return nodes, closeNode
}

func take(t *testing.T, b *redis.Backend, q apigw.Quota, now time.Time) bool {
	t.Helper()
	r, err := b.Take(context.Background(), "plan", "key", q, now)
	if err != nil {
		t.Fatal(err)
	}
	return r.Allowed
}

func flush(t *testing.T, b *redis.Backend) {
	t.Helper()
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func usedSeenBy(t *testing.T, b *redis.Backend, q apigw.Quota, now time.Time) int64 {
	t.Helper()
	r, err := b.Peek(context.Background(), "plan", "key", q, now)
	if err != nil {
		t.Fatal(err)
	}
	return r.Used
}

// A steady key keeps its lease across flushes: five flushes with ten
// requests between them cost one lease take, no lease given back, and one
// reclaim-marker read per flush.
func TestSteadyKeyKeepsItsLease(t *testing.T) {
	var clock fakeClock
	clock.set(t0)
	nodes, _ := leaseNodes(t, 2, 100, 16, &clock)
	q := apigw.Quota{Limit: 1_000_000, Period: apigw.PeriodDay}
	before := nodes[0].Stats()
	for range 5 {
		for range 10 {
			if !take(t, nodes[0], q, clock.now()) {
				t.Fatal("refused far below the limit")
			}
		}
		clock.advance(time.Second)
		flush(t, nodes[0])
	}
	st := nodes[0].Stats()
	got := map[string]int64{}
	for _, op := range []string{"lease_take", "lease_return", "quota_reclaim"} {
		got[op] = st.ByOp[op] - before.ByOp[op]
	}
	want := map[string]int64{"lease_take": 1, "lease_return": 0, "quota_reclaim": 5}
	for op, n := range want {
		if got[op] != n {
			t.Errorf("%s: %d round trips over 5 flushes of a steady key, want %d (all: %v)", op, got[op], n, got)
		}
	}
	if used := usedSeenBy(t, nodes[1], q, clock.now()); used != 100 {
		t.Errorf("the other node sees %d used, want 100 (the kept lease counts as used)", used)
	}
}

// When a periodic flush gives a lease back, and when it keeps it.
func TestFlushGivesBackLeasesWhenItMatters(t *testing.T) {
	dayEnd := apigw.Quota{Period: apigw.PeriodDay}.PeriodEnd(t0)
	tests := []struct {
		name      string
		limit     int
		flushAt   time.Time // the flush's clock
		closeNode bool      // shutdown instead of a flush
		wantUsed  int64     // Redis's count after the flush
	}{
		{"full lease, used a second ago: kept", 1_000_000, t0.Add(time.Second), false, 100},
		{"full lease, used 29 s ago: kept", 1_000_000, t0.Add(29 * time.Second), false, 100},
		{"idle for 30 s: given back", 1_000_000, t0.Add(30 * time.Second), false, 10},
		{"short lease (less than LeaseMax × LeaseDivisor left): given back", 1_000, t0.Add(time.Second), false, 10},
		{"window ended: given back", 1_000_000, dayEnd, false, 10},
		{"shutdown: given back", 1_000_000, t0.Add(time.Second), true, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var clock fakeClock
			clock.set(t0)
			nodes, closeNode := leaseNodes(t, 2, 100, 16, &clock)
			q := apigw.Quota{Limit: tt.limit, Period: apigw.PeriodDay}
			for range 10 {
				if !take(t, nodes[0], q, t0) {
					t.Fatal("refused below the limit")
				}
			}
			clock.set(tt.flushAt)
			if tt.closeNode {
				closeNode(0)
			} else {
				flush(t, nodes[0])
			}
			if used := usedSeenBy(t, nodes[1], q, t0); used != tt.wantUsed {
				t.Errorf("after the flush Redis counts %d used, want %d", used, tt.wantUsed)
			}
		})
	}
}

// A node refused on a short quota while another node keeps a lease is
// served once the other node has flushed after the refusal (the take that
// found the quota short set the key's reclaim marker) and it has flushed
// itself; the two never admit more than the limit, and in the end
// exactly the limit.
func TestReclaimServesRefusedNode(t *testing.T) {
	var clock fakeClock
	clock.set(t0)
	nodes, _ := leaseNodes(t, 2, 100, 1, &clock)
	a, b := nodes[0], nodes[1]
	const limit = 250
	q := apigw.Quota{Limit: limit, Period: apigw.PeriodDay}
	admitted := 0
	takeN := func(node *redis.Backend, n int) (served int) {
		for range n {
			if take(t, node, q, clock.now()) {
				served++
			}
		}
		admitted += served
		return served
	}
	// Both lease a full 100 (250 left, then 150); the flushes keep them.
	if takeN(a, 1) != 1 || takeN(b, 1) != 1 {
		t.Fatal("refused far below the limit")
	}
	flush(t, a)
	flush(t, b)
	if r := a.Stats().ByOp["lease_return"] + b.Stats().ByOp["lease_return"]; r != 0 {
		t.Fatalf("%d leases given back by flushes with plenty left, want none kept back", r)
	}
	// b uses its lease and the 50 left in Redis (a short lease: the
	// marker), then is refused: a holds 99 unused.
	if got := takeN(b, 200); got != 149 {
		t.Fatalf("b served %d more, want 149 (its lease, then the 50 left)", got)
	}
	flush(t, b) // b's own flush alone does not help: a still holds its lease
	if takeN(b, 1) != 0 {
		t.Fatal("b served while a holds the rest of the quota")
	}
	returnsBefore := a.Stats().ByOp["lease_return"]
	clock.advance(time.Second)
	flush(t, a) // a finds the marker and gives its 99 back
	if got := a.Stats().ByOp["lease_return"] - returnsBefore; got != 1 {
		t.Errorf("a gave back %d leases at its flush after the reclaim marker, want 1", got)
	}
	flush(t, b) // b forgets that the quota was spent
	if takeN(b, 1) != 1 {
		t.Fatal("b refused after a's flush gave the quota back")
	}
	takeN(b, 2*limit)
	takeN(a, 2*limit)
	if admitted != limit {
		t.Errorf("admitted %d in all, want exactly the limit %d", admitted, limit)
	}
}

// Two nodes hammer one key with leases that stay across flushes (full
// leases of 100 on a quota of 5,000) while each flushes as Run would:
// together they never admit more than the limit, and once both have
// flushed twice (the reclaim marker read, the spent state forgotten) the
// rest is there to take: exactly the limit in all.
func TestTwoNodesQuotaExactKeptLeases(t *testing.T) {
	var clock fakeClock
	clock.set(t0)
	nodes, _ := leaseNodes(t, 2, 100, 1, &clock)
	const limit = 5_000
	q := apigw.Quota{Limit: limit, Period: apigw.PeriodDay}
	admitted := hammer(t, nodes, q, 8, 1_000)
	if got := admitted.Load(); got > limit || got < 1 {
		t.Fatalf("two nodes admitted %d under load, want at most the limit %d", got, limit)
	}
	n := admitted.Load()
	for range 2 {
		for _, b := range nodes {
			flush(t, b)
		}
	}
	for _, b := range nodes {
		for take(t, b, q, t0) {
			n++
		}
	}
	if n != limit {
		t.Errorf("admitted %d in all (%d under load), want exactly %d", n, admitted.Load(), limit)
	}
}
