package counterstest

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

func runUsage(t *testing.T, s Setup) {
	t.Run("FlushWritesExactCounts", func(t *testing.T) { testFlushWritesExactCounts(t, s) })
	t.Run("FailedFlushLosesNothing", func(t *testing.T) { testFailedFlushLosesNothing(t, s) })
	t.Run("RunFlushesOnStop", func(t *testing.T) { testRunFlushesOnStop(t, s) })
}

func testFlushWritesExactCounts(t *testing.T, s Setup) {
	ctx := context.Background()
	b, st := s.open(t, plan("p1", nil), plan("p2", nil))
	d1, d2 := utc(2026, 3, 14, 0, 0, 0, 0), utc(2026, 3, 15, 0, 0, 0, 0)
	record(t, b, "p1", "k1", d1, 3)
	record(t, b, "p1", "k1", d1.Add(24*time.Hour-1), 2) // last ns of the day
	record(t, b, "p1", "k1", d2, 4)                     // first ns of the next
	record(t, b, "p1", "k2", d1.Add(time.Hour), 1)
	record(t, b, "p2", "k1", time.Date(2026, 3, 15, 2, 0, 0, 0, time.FixedZone("CET", 3600)), 6) // 01:00 UTC
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// A second flush with nothing new adds nothing; new counts add up.
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	record(t, b, "p1", "k1", d2.Add(time.Minute), 10)
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got := append(listUsage(t, st, "p1"), listUsage(t, st, "p2")...)
	want := []store.UsageRecord{
		{PlanID: "p1", KeyID: "k1", Day: d1, Count: 5},
		{PlanID: "p1", KeyID: "k1", Day: d2, Count: 14},
		{PlanID: "p1", KeyID: "k2", Day: d1, Count: 1},
		{PlanID: "p2", KeyID: "k1", Day: d2, Count: 6},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored usage (-want +got):\n%s", diff)
	}
}

// errInjected is the failure of a failingStore.
var errInjected = errors.New("counterstest: injected store failure")

// failingStore fails every Update while fail is set.
type failingStore struct {
	store.Store
	fail atomic.Bool
}

func (s *failingStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	if s.fail.Load() {
		return errInjected
	}
	return s.Store.Update(ctx, fn)
}

func testFailedFlushLosesNothing(t *testing.T, s Setup) {
	ctx := context.Background()
	st := s.Store(t)
	createPlans(t, st, plan("p1", nil))
	fs := &failingStore{Store: st}
	b := s.openOver(t, fs)
	fs.fail.Store(true)
	record(t, b, "p1", "k1", t0, 7)
	for range 2 {
		if err := b.Flush(ctx); !errors.Is(err, errInjected) {
			t.Fatalf("Flush on a failing store = %v, want the store's error", err)
		}
	}
	record(t, b, "p1", "k1", t0, 1)
	fs.fail.Store(false)
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	want := []store.UsageRecord{{PlanID: "p1", KeyID: "k1", Day: utc(2026, 3, 14, 0, 0, 0, 0), Count: 8}}
	if diff := cmp.Diff(want, listUsage(t, st, "p1")); diff != "" {
		t.Errorf("stored usage (-want +got):\n%s", diff)
	}
}

// Run flushes once more when its context ends, so a graceful shutdown
// loses no count.
func testRunFlushesOnStop(t *testing.T, s Setup) {
	b, st := s.open(t, plan("p1", nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	record(t, b, "p1", "k1", t0, 3)
	record(t, b, "p1", "k2", t0, 1)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	day := utc(2026, 3, 14, 0, 0, 0, 0)
	want := []store.UsageRecord{
		{PlanID: "p1", KeyID: "k1", Day: day, Count: 3},
		{PlanID: "p1", KeyID: "k2", Day: day, Count: 1},
	}
	if diff := cmp.Diff(want, listUsage(t, st, "p1")); diff != "" {
		t.Errorf("stored usage after Run returned (-want +got):\n%s", diff)
	}
}
