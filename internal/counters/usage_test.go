package counters

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/storetest"
)

// FakeFailingStore fails every Update while Fail is set, and otherwise
// passes calls to Store.
type FakeFailingStore struct {
	store.Store
	Fail bool
}

var errInjected = errors.New("injected failure")

func (s *FakeFailingStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	if s.Fail {
		return errInjected
	}
	return s.Store.Update(ctx, fn)
}

func createPlans(t *testing.T, st store.Store, ids ...string) {
	t.Helper()
	err := st.Update(context.Background(), func(tx store.Tx) error {
		for _, id := range ids {
			if err := tx.CreateUsagePlan(context.Background(), storetest.SampleUsagePlan(id)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func listUsage(t *testing.T, st store.Store, planID string) []store.UsageRecord {
	t.Helper()
	var out []store.UsageRecord
	err := st.View(context.Background(), func(r store.Reader) error {
		var err error
		out, err = r.ListUsage(context.Background(), planID, "", utc(2000, 1, 1, 0, 0, 0, 0), utc(2100, 1, 1, 0, 0, 0, 0))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFlushWritesExactCounts(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	createPlans(t, db, "p1", "p2")
	l := NewLocal()
	record := func(planID, keyID string, at time.Time, n int) {
		for range n {
			l.Record(ctx, planID, keyID, at)
		}
	}
	d1, d2 := utc(2026, 3, 14, 0, 0, 0, 0), utc(2026, 3, 15, 0, 0, 0, 0)
	record("p1", "k1", d1, 3)
	record("p1", "k1", d1.Add(24*time.Hour-1), 2) // last ns of the day
	record("p1", "k1", d2, 4)                     // first ns of the next
	record("p1", "k2", d1.Add(time.Hour), 1)
	record("p2", "k1", d2.Add(time.Hour), 6)
	if err := l.Flush(ctx, db); err != nil {
		t.Fatal(err)
	}
	// A second flush with nothing new adds nothing; new counts add up.
	if err := l.Flush(ctx, db); err != nil {
		t.Fatal(err)
	}
	record("p1", "k1", d2.Add(time.Minute), 10)
	if err := l.Flush(ctx, db); err != nil {
		t.Fatal(err)
	}

	got := append(listUsage(t, db, "p1"), listUsage(t, db, "p2")...)
	want := []store.UsageRecord{
		{PlanID: "p1", KeyID: "k1", Day: d1, Count: 5},
		{PlanID: "p1", KeyID: "k1", Day: d2, Count: 14},
		{PlanID: "p1", KeyID: "k2", Day: d1, Count: 1},
		{PlanID: "p2", KeyID: "k1", Day: d2, Count: 6},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored usage (-want +got):\n%s", diff)
	}
	if n := l.pendingCount(); n != 0 {
		t.Errorf("%d usage counts still pending after flushing", n)
	}
	// A successful flush leaves no entries behind, counted or not: the
	// table holds only keys called since.
	entries := 0
	l.usage.each(func(usageKey, *usageCount) bool { entries++; return false })
	if entries != 0 {
		t.Errorf("%d usage entries kept after a flush, want 0", entries)
	}
}

// pendingCount is the number of usage counts not yet flushed.
func (l *Local) pendingCount() int {
	n := 0
	l.usage.each(func(_ usageKey, c *usageCount) bool {
		if c.n != 0 {
			n++
		}
		return false
	})
	return n
}

func TestFailedFlushKeepsCounts(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	createPlans(t, db, "p1")
	st := &FakeFailingStore{Store: db, Fail: true}
	l := NewLocal()
	day := utc(2026, 3, 14, 0, 0, 0, 0)
	for range 7 {
		l.Record(ctx, "p1", "k1", t0)
	}
	for range 2 {
		if err := l.Flush(ctx, st); !errors.Is(err, errInjected) {
			t.Fatalf("Flush = %v, want the injected failure", err)
		}
	}
	l.Record(ctx, "p1", "k1", t0)
	st.Fail = false
	if err := l.Flush(ctx, st); err != nil {
		t.Fatal(err)
	}
	want := []store.UsageRecord{{PlanID: "p1", KeyID: "k1", Day: day, Count: 8}}
	if diff := cmp.Diff(want, listUsage(t, db, "p1")); diff != "" {
		t.Errorf("stored usage (-want +got):\n%s", diff)
	}
}

func TestRecordDuringFlushIsKept(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	createPlans(t, db, "p1")
	l := NewLocal()
	l.Record(ctx, "p1", "k1", t0)
	// A store whose transaction records more usage while it runs, as
	// concurrent requests would.
	st := &hookStore{Store: db, hook: func() { l.Record(ctx, "p1", "k1", t0) }}
	if err := l.Flush(ctx, st); err != nil {
		t.Fatal(err)
	}
	if got := listUsage(t, db, "p1")[0].Count; got != 1 {
		t.Errorf("first flush stored %d, want 1", got)
	}
	if err := l.Flush(ctx, db); err != nil {
		t.Fatal(err)
	}
	if got := listUsage(t, db, "p1")[0].Count; got != 2 {
		t.Errorf("after the second flush: %d stored, want 2", got)
	}
}

type hookStore struct {
	store.Store
	hook func()
}

func (s *hookStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	s.hook()
	return s.Store.Update(ctx, fn)
}

func TestConcurrentRecordAndFlushLoseNothing(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	createPlans(t, db, "p1")
	l := NewLocal()
	const goroutines, each = 8, 500
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				l.Record(ctx, "p1", []string{"k1", "k2"}[(g+i)%2], t0)
			}
		})
	}
	wg.Go(func() {
		for range 5 {
			if err := l.Flush(ctx, db); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	if err := l.Flush(ctx, db); err != nil {
		t.Fatal(err)
	}
	day := utc(2026, 3, 14, 0, 0, 0, 0)
	want := []store.UsageRecord{
		{PlanID: "p1", KeyID: "k1", Day: day, Count: goroutines * each / 2},
		{PlanID: "p1", KeyID: "k2", Day: day, Count: goroutines * each / 2},
	}
	if diff := cmp.Diff(want, listUsage(t, db, "p1")); diff != "" {
		t.Errorf("stored usage (-want +got):\n%s", diff)
	}
}

// FakeUsageStore keeps the usage written through Update in memory. Its
// other methods are not implemented.
type FakeUsageStore struct {
	store.Store
	mu      sync.Mutex
	fail    bool
	updates int
	counts  map[string]int64 // "plan/key/day" → count
}

type fakeUsageTx struct {
	store.Tx
	recs []store.UsageRecord
}

func (tx *fakeUsageTx) AddUsage(_ context.Context, recs []store.UsageRecord) error {
	tx.recs = append(tx.recs, recs...)
	return nil
}

func (s *FakeUsageStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errInjected
	}
	tx := &fakeUsageTx{}
	if err := fn(tx); err != nil {
		return err
	}
	s.updates++
	for _, r := range tx.recs {
		s.counts[r.PlanID+"/"+r.KeyID+"/"+r.Day.Format(time.DateOnly)] += r.Count
	}
	return nil
}

func (s *FakeUsageStore) snapshot() (int, map[string]int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := make(map[string]int64, len(s.counts))
	for k, v := range s.counts {
		c[k] = v
	}
	return s.updates, c
}

func TestFlusher(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		st := &FakeUsageStore{counts: map[string]int64{}}
		l := NewLocal()
		f := &Flusher{Local: l, Store: st, Interval: time.Second}
		done := make(chan error)
		go func() { done <- f.Run(ctx) }()
		now := func() time.Time { return time.Now().UTC() }

		l.Record(ctx, "p", "k", now())
		l.Record(ctx, "p", "k", now())
		time.Sleep(999 * time.Millisecond)
		synctest.Wait()
		if n, _ := st.snapshot(); n != 0 {
			t.Fatalf("flushed %d times before the interval", n)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		day := now().Format(time.DateOnly)
		if n, c := st.snapshot(); n != 1 || c["p/k/"+day] != 2 {
			t.Fatalf("after 1s: %d flushes, counts %v; want 1 flush of 2", n, c)
		}

		// A failing store keeps the counts for the next tick.
		st.mu.Lock()
		st.fail = true
		st.mu.Unlock()
		l.Record(ctx, "p", "k", now())
		time.Sleep(time.Second)
		synctest.Wait()
		st.mu.Lock()
		st.fail = false
		st.mu.Unlock()
		l.Record(ctx, "p", "k", now())
		time.Sleep(time.Second)
		synctest.Wait()
		if n, c := st.snapshot(); n != 2 || c["p/k/"+day] != 4 {
			t.Fatalf("after recovering: %d flushes, counts %v; want 2 flushes, 4 counted", n, c)
		}

		// Stopping flushes what is left, without waiting for a tick.
		l.Record(ctx, "p", "k2", now())
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v", err)
		}
		_, c := st.snapshot()
		if diff := cmp.Diff(map[string]int64{"p/k/" + day: 4, "p/k2/" + day: 1}, c); diff != "" {
			t.Errorf("counts after shutdown (-want +got):\n%s", diff)
		}
	})
}

func TestFlusherFinalFlushError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		st := &FakeUsageStore{counts: map[string]int64{}, fail: true}
		l := NewLocal()
		l.Record(ctx, "p", "k", time.Now())
		cancel()
		if err := (&Flusher{Local: l, Store: st}).Run(ctx); !errors.Is(err, errInjected) {
			t.Errorf("Run = %v, want the final flush's failure", err)
		}
	})
}

func TestDayOf(t *testing.T) {
	tests := []struct {
		at   time.Time
		want time.Time
	}{
		{utc(2026, 3, 14, 0, 0, 0, 0), utc(2026, 3, 14, 0, 0, 0, 0)},
		{utc(2026, 3, 14, 23, 59, 59, 999999999), utc(2026, 3, 14, 0, 0, 0, 0)},
		{time.Date(2026, 3, 14, 20, 0, 0, 0, time.FixedZone("X", -5*3600)), utc(2026, 3, 15, 0, 0, 0, 0)},
		{utc(1969, 12, 31, 23, 59, 59, 0), utc(1969, 12, 31, 0, 0, 0, 0)},
		{utc(2024, 2, 29, 12, 0, 0, 0), utc(2024, 2, 29, 0, 0, 0, 0)},
	}
	for _, tt := range tests {
		if got := time.Unix(dayOf(tt.at.UnixNano())*86400, 0).UTC(); !got.Equal(tt.want) {
			t.Errorf("dayOf(%v) = %v, want %v", tt.at, got, tt.want)
		}
	}
	// And the usage day agrees with a DAY quota's period.
	q := apigw.Quota{Period: apigw.PeriodDay}
	for _, tt := range tests {
		if got := q.PeriodStart(tt.at); !got.Equal(tt.want) {
			t.Errorf("PeriodStart(%v) = %v, want %v", tt.at, got, tt.want)
		}
	}
}
