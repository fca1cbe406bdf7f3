package counters

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

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

// A successful flush leaves no usage entries behind, counted or not: the
// table holds only keys called since. (What reaches the store is the
// conformance suite's business.)
func TestFlushLeavesNoEntries(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	createPlans(t, db, "p1", "p2")
	l := NewLocal()
	for i := range 50 {
		l.Record(ctx, []string{"p1", "p2"}[i%2], fmt.Sprintf("k%d", i%7), t0.Add(time.Duration(i)*time.Hour))
	}
	if n := l.pendingCount(); n == 0 {
		t.Fatal("nothing pending before the flush")
	}
	if err := l.Flush(ctx, db); err != nil {
		t.Fatal(err)
	}
	entries := 0
	l.usage.each(func(usageKey, *usageCount) bool { entries++; return false })
	if entries != 0 {
		t.Errorf("%d usage entries kept after a flush, want 0", entries)
	}
	var total int64
	for _, p := range []string{"p1", "p2"} {
		for _, u := range listUsage(t, db, p) {
			total += u.Count
		}
	}
	if total != 50 {
		t.Errorf("stored %d requests, want 50", total)
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
