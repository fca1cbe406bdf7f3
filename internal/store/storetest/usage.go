package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// day returns midnight UTC of day d of May 2026.
func day(d int) time.Time { return time.Date(2026, 5, d, 0, 0, 0, 0, time.UTC) }

func testUsage(t *testing.T, s store.Store) {
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return errors.Join(tx.CreateUsagePlan(ctx, SampleUsagePlan("p1")), tx.CreateUsagePlan(ctx, SampleUsagePlan("p2")))
	})
	add := func(records ...store.UsageRecord) {
		t.Helper()
		update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.AddUsage(ctx, records) })
	}
	add(
		store.UsageRecord{PlanID: "p1", KeyID: "k1", Day: day(1), Count: 1},
		store.UsageRecord{PlanID: "p1", KeyID: "k1", Day: day(1), Count: 2}, // same row, same batch
		store.UsageRecord{PlanID: "p1", KeyID: "k2", Day: day(1), Count: 10},
		store.UsageRecord{PlanID: "p1", KeyID: "k1", Day: day(3), Count: 4},
		store.UsageRecord{PlanID: "p2", KeyID: "k1", Day: day(2), Count: 100},
		store.UsageRecord{PlanID: "p1", KeyID: "k3", Day: day(2), Count: 0},
	)
	add(
		store.UsageRecord{PlanID: "p1", KeyID: "k1", Day: day(1), Count: 5},
		store.UsageRecord{PlanID: "p1", KeyID: "k2", Day: day(2), Count: 20},
		store.UsageRecord{PlanID: "p1", KeyID: "k1", Day: day(4), Count: 8},
	)
	rec := func(key string, d int, n int64) store.UsageRecord {
		return store.UsageRecord{PlanID: "p1", KeyID: key, Day: day(d), Count: n}
	}
	tests := []struct {
		name     string
		planID   string
		keyID    string
		from, to time.Time
		want     []store.UsageRecord
	}{
		{"all keys", "p1", "", day(1), day(4), []store.UsageRecord{
			rec("k1", 1, 8), rec("k1", 3, 4), rec("k1", 4, 8), rec("k2", 1, 10), rec("k2", 2, 20)}},
		{"one key", "p1", "k1", day(1), day(31), []store.UsageRecord{rec("k1", 1, 8), rec("k1", 3, 4), rec("k1", 4, 8)}},
		{"inclusive range", "p1", "", day(2), day(3), []store.UsageRecord{rec("k1", 3, 4), rec("k2", 2, 20)}},
		{"one day", "p1", "k2", day(2), day(2), []store.UsageRecord{rec("k2", 2, 20)}},
		{"times within the days", "p1", "k1", day(3).Add(13 * time.Hour), day(4).Add(23 * time.Hour), []store.UsageRecord{rec("k1", 3, 4), rec("k1", 4, 8)}},
		{"other plan", "p2", "", day(1), day(31), []store.UsageRecord{{PlanID: "p2", KeyID: "k1", Day: day(2), Count: 100}}},
		{"empty range", "p1", "", day(5), day(31), nil},
		{"zero counts omitted", "p1", "k3", day(1), day(31), nil},
	}
	for _, tc := range tests {
		view(t, s, func(ctx context.Context, r store.Reader) error {
			got, err := r.ListUsage(ctx, tc.planID, tc.keyID, tc.from, tc.to)
			if err != nil {
				return err
			}
			// The order of records is not part of the contract.
			slices.SortFunc(got, func(a, b store.UsageRecord) int {
				if c := cmpString(a.KeyID, b.KeyID); c != 0 {
					return c
				}
				return a.Day.Compare(b.Day)
			})
			diff(t, tc.name, tc.want, got)
			for _, u := range got {
				if u.Day.Location() != time.UTC {
					t.Errorf("%s: day %v not in UTC", tc.name, u.Day)
				}
			}
			return nil
		})
	}
}

// cmpString compares strings.
func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func testQuotaAdjustments(t *testing.T, s store.Store) {
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateUsagePlan(ctx, SampleUsagePlan("p1")) })
	set := func(a store.QuotaAdjustment) {
		t.Helper()
		update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.SetQuotaAdjustment(ctx, a) })
	}
	adj := func(key string, d int, delta int64) store.QuotaAdjustment {
		return store.QuotaAdjustment{PlanID: "p1", KeyID: key, PeriodStart: day(d), Delta: delta}
	}
	set(adj("k1", 1, 10))
	set(adj("k1", 1, -3)) // replaces, does not add
	set(adj("k1", 2, 7))
	set(adj("k2", 1, 5))
	tests := []struct {
		keyID string
		want  []store.QuotaAdjustment
	}{
		{"k1", []store.QuotaAdjustment{adj("k1", 1, -3), adj("k1", 2, 7)}},
		{"k2", []store.QuotaAdjustment{adj("k2", 1, 5)}},
		{"", []store.QuotaAdjustment{adj("k1", 1, -3), adj("k1", 2, 7), adj("k2", 1, 5)}},
		{"k3", nil},
	}
	for _, tc := range tests {
		view(t, s, func(ctx context.Context, r store.Reader) error {
			got, err := r.ListQuotaAdjustments(ctx, "p1", tc.keyID)
			if err != nil {
				return err
			}
			slices.SortFunc(got, func(a, b store.QuotaAdjustment) int {
				if c := cmpString(a.KeyID, b.KeyID); c != 0 {
					return c
				}
				return a.PeriodStart.Compare(b.PeriodStart)
			})
			diff(t, "adjustments of key "+tc.keyID, tc.want, got)
			return nil
		})
	}
}

// testUsageBatches: a batch claimed with its counts in one commit counts
// once however often it is offered again; a claim in a transaction that
// rolls back is no claim; concurrent claims of one id: exactly one wins;
// claims older than store.UsageBatchKeep are forgotten.
func testUsageBatches(t *testing.T, s store.Store) {
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateUsagePlan(ctx, SampleUsagePlan("p1")) })
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	// apply is how a counters engine writes a batch: claim, then add.
	apply := func(id string, n int64, at time.Time, fail bool) (bool, error) {
		var claimed bool
		err := updateErr(t, s, func(ctx context.Context, tx store.Tx) error {
			ok, err := tx.ClaimUsageBatch(ctx, id, at)
			if err != nil || !ok {
				claimed = false
				return err
			}
			claimed = true
			if err := tx.AddUsage(ctx, []store.UsageRecord{{PlanID: "p1", KeyID: "k1", Day: day(1), Count: n}}); err != nil {
				return err
			}
			if fail {
				return errors.New("rolled back")
			}
			return nil
		})
		return claimed, err
	}
	total := func() int64 {
		var n int64
		view(t, s, func(ctx context.Context, r store.Reader) error {
			us, err := r.ListUsage(ctx, "p1", "k1", day(1), day(1))
			for _, u := range us {
				n += u.Count
			}
			return err
		})
		return n
	}
	steps := []struct {
		name        string
		id          string
		n           int64
		at          time.Time
		fail        bool
		wantClaimed bool
		wantTotal   int64
	}{
		{"first offer counts", "b1", 3, now, false, true, 3},
		{"second offer of the same batch counts nothing", "b1", 3, now.Add(time.Second), false, false, 3},
		{"another batch counts", "b2", 4, now.Add(time.Second), false, true, 7},
		{"a rolled-back claim is no claim", "b3", 5, now.Add(2 * time.Second), true, true, 7},
		{"so the batch counts when offered again", "b3", 5, now.Add(3 * time.Second), false, true, 12},
		{"within UsageBatchKeep a claim holds", "b1", 3, now.Add(store.UsageBatchKeep - time.Hour), false, false, 12},
		{"after UsageBatchKeep it is forgotten", "b1", 3, now.Add(store.UsageBatchKeep + time.Hour), false, true, 15},
	}
	for _, st := range steps {
		claimed, err := apply(st.id, st.n, st.at, st.fail)
		if st.fail {
			if err == nil {
				t.Fatalf("%s: Update with a failing fn succeeded", st.name)
			}
		} else if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if claimed != st.wantClaimed {
			t.Errorf("%s: claimed = %v, want %v", st.name, claimed, st.wantClaimed)
		}
		if got := total(); got != st.wantTotal {
			t.Fatalf("%s: usage = %d, want %d", st.name, got, st.wantTotal)
		}
	}

	// Concurrent offers of one batch: it counts once.
	const offers = 6
	var wg sync.WaitGroup
	errs := make([]error, offers)
	for i := range offers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = apply("race", 100, now.Add(store.UsageBatchKeep+2*time.Hour), false)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent offers: %v", err)
	}
	if got := total(); got != 115 {
		t.Errorf("after %d concurrent offers of one batch of 100: usage = %d, want 115", offers, got)
	}
}
