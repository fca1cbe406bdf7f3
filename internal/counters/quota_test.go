package counters

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlite"
	"github.com/gatehouse-dev/gatehouse/internal/store/storetest"
)

func utc(y int, m time.Month, d, h, min, s, ns int) time.Time {
	return time.Date(y, m, d, h, min, s, ns, time.UTC)
}

func take(t *testing.T, l *Local, planID, keyID string, q apigw.Quota, now time.Time) QuotaResult {
	t.Helper()
	r, err := l.Take(context.Background(), planID, keyID, q, now)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	return r
}

func TestTakeExactLimit(t *testing.T) {
	q := apigw.Quota{Limit: 3, Period: apigw.PeriodDay}
	l := NewLocal()
	reset := utc(2026, 3, 15, 0, 0, 0, 0)
	var got []QuotaResult
	for range 5 {
		got = append(got, take(t, l, "p", "k", q, t0))
	}
	want := []QuotaResult{
		{Allowed: true, Used: 1, Remaining: 2, ResetAt: reset},
		{Allowed: true, Used: 2, Remaining: 1, ResetAt: reset},
		{Allowed: true, Used: 3, Remaining: 0, ResetAt: reset},
		{Allowed: false, Used: 3, Remaining: 0, ResetAt: reset},
		{Allowed: false, Used: 3, Remaining: 0, ResetAt: reset},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Take results (-want +got):\n%s", diff)
	}
	// Other keys and other plans have their own counts.
	if r := take(t, l, "p", "k2", q, t0); !r.Allowed || r.Remaining != 2 {
		t.Errorf("other key: %+v, want allowed with 2 remaining", r)
	}
	if r := take(t, l, "p2", "k", q, t0); !r.Allowed || r.Remaining != 2 {
		t.Errorf("other plan: %+v, want allowed with 2 remaining", r)
	}
	if r := take(t, l, "p", "k", apigw.Quota{Limit: 0, Period: apigw.PeriodDay}, t0); r.Allowed {
		t.Errorf("limit 0: %+v, want refused", r)
	}
}

func TestTakePeriodRollover(t *testing.T) {
	// 2024-01-01 is a Monday.
	tests := []struct {
		name      string
		q         apigw.Quota
		first     time.Time // the quota is used up here
		then      time.Time
		wantReset time.Time // ResetAt at first
		wantNew   bool      // then is in a new period
	}{
		{"day at midnight", apigw.Quota{Period: apigw.PeriodDay},
			utc(2024, 1, 1, 23, 59, 59, 999999999), utc(2024, 1, 2, 0, 0, 0, 0), utc(2024, 1, 2, 0, 0, 0, 0), true},
		{"day within the day", apigw.Quota{Period: apigw.PeriodDay},
			utc(2024, 1, 1, 0, 0, 0, 0), utc(2024, 1, 1, 23, 59, 59, 999999999), utc(2024, 1, 2, 0, 0, 0, 0), false},
		{"day in another zone is still UTC", apigw.Quota{Period: apigw.PeriodDay},
			time.Date(2024, 1, 1, 20, 0, 0, 0, time.FixedZone("EST", -5*3600)), utc(2024, 1, 2, 0, 59, 0, 0), utc(2024, 1, 3, 0, 0, 0, 0), false},
		{"week offset 0 starts Sunday", apigw.Quota{Period: apigw.PeriodWeek},
			utc(2023, 12, 30, 23, 59, 59, 999999999), utc(2023, 12, 31, 0, 0, 0, 0), utc(2023, 12, 31, 0, 0, 0, 0), true},
		{"week offset 0 Sunday to Monday", apigw.Quota{Period: apigw.PeriodWeek},
			utc(2023, 12, 31, 0, 0, 0, 0), utc(2024, 1, 1, 12, 0, 0, 0), utc(2024, 1, 7, 0, 0, 0, 0), false},
		{"week offset 1 starts Monday", apigw.Quota{Period: apigw.PeriodWeek, Offset: 1},
			utc(2023, 12, 31, 23, 59, 59, 999999999), utc(2024, 1, 1, 0, 0, 0, 0), utc(2024, 1, 1, 0, 0, 0, 0), true},
		{"week offset 1 Monday to Sunday", apigw.Quota{Period: apigw.PeriodWeek, Offset: 1},
			utc(2024, 1, 1, 0, 0, 0, 0), utc(2024, 1, 7, 23, 59, 59, 999999999), utc(2024, 1, 8, 0, 0, 0, 0), false},
		{"month offset 0 at the 1st", apigw.Quota{Period: apigw.PeriodMonth},
			utc(2024, 1, 31, 23, 59, 59, 999999999), utc(2024, 2, 1, 0, 0, 0, 0), utc(2024, 2, 1, 0, 0, 0, 0), true},
		{"month offset 4 at the 5th", apigw.Quota{Period: apigw.PeriodMonth, Offset: 4},
			utc(2024, 2, 4, 23, 59, 59, 999999999), utc(2024, 2, 5, 0, 0, 0, 0), utc(2024, 2, 5, 0, 0, 0, 0), true},
		{"month offset 4 across the 1st", apigw.Quota{Period: apigw.PeriodMonth, Offset: 4},
			utc(2024, 2, 5, 0, 0, 0, 0), utc(2024, 3, 4, 23, 59, 59, 999999999), utc(2024, 3, 5, 0, 0, 0, 0), false},
		{"month offset 27 in February", apigw.Quota{Period: apigw.PeriodMonth, Offset: 27},
			utc(2024, 2, 27, 12, 0, 0, 0), utc(2024, 2, 28, 0, 0, 0, 0), utc(2024, 2, 28, 0, 0, 0, 0), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.Limit = 2
			if err := tt.q.Validate(); err != nil {
				t.Fatal(err)
			}
			l := NewLocal()
			take(t, l, "p", "k", tt.q, tt.first)
			r := take(t, l, "p", "k", tt.q, tt.first)
			if !r.Allowed || !r.ResetAt.Equal(tt.wantReset) {
				t.Fatalf("second Take = %+v, want allowed, reset at %v", r, tt.wantReset)
			}
			r = take(t, l, "p", "k", tt.q, tt.then)
			if r.Allowed != tt.wantNew {
				t.Errorf("Take at %v = %+v, want allowed %v", tt.then, r, tt.wantNew)
			}
			// A request stamped before the rollover but counted after it
			// counts in the current period.
			if tt.wantNew {
				if r := take(t, l, "p", "k", tt.q, tt.first); !r.Allowed || r.Used != 2 {
					t.Errorf("late Take = %+v, want allowed in the new period with 2 used", r)
				}
			}
		})
	}
}

func TestSetRemaining(t *testing.T) {
	q := apigw.Quota{Limit: 5, Period: apigw.PeriodWeek, Offset: 1}
	periodStart := utc(2026, 3, 9, 0, 0, 0, 0) // Monday before t0
	tests := []struct {
		name      string
		used      int
		remaining int64
		wantDelta int64
		wantTakes int // admitted afterwards, in the same period
	}{
		{"raise when used up", 5, 10, 10, 10},
		{"raise midway", 2, 10, 7, 10},
		{"lower", 2, 1, -2, 1},
		{"to zero", 1, 0, -4, 0},
		{"unchanged", 3, 2, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLocal()
			for range tt.used {
				take(t, l, "p", "k", q, t0)
			}
			a, err := l.SetRemaining(context.Background(), "p", "k", q, tt.remaining, t0)
			if err != nil {
				t.Fatal(err)
			}
			want := store.QuotaAdjustment{PlanID: "p", KeyID: "k", PeriodStart: periodStart, Delta: tt.wantDelta}
			if diff := cmp.Diff(want, a); diff != "" {
				t.Errorf("adjustment (-want +got):\n%s", diff)
			}
			if r, _ := l.Peek(context.Background(), "p", "k", q, t0); r.Remaining != tt.remaining || r.Used != int64(tt.used) {
				t.Errorf("Peek = %+v, want %d remaining, %d used", r, tt.remaining, tt.used)
			}
			n := 0
			for range 20 {
				if take(t, l, "p", "k", q, t0).Allowed {
					n++
				}
			}
			if n != tt.wantTakes {
				t.Errorf("admitted %d after SetRemaining, want %d", n, tt.wantTakes)
			}
			// The adjustment belongs to its period only.
			next := t0.AddDate(0, 0, 7)
			if r := take(t, l, "p", "k", q, next); !r.Allowed || r.Remaining != 4 {
				t.Errorf("next period Take = %+v, want allowed with 4 remaining", r)
			}
		})
	}
}

func TestAdjust(t *testing.T) {
	q := apigw.Quota{Limit: 2, Period: apigw.PeriodDay}
	today := utc(2026, 3, 14, 0, 0, 0, 0)
	tests := []struct {
		name        string
		adj         store.QuotaAdjustment
		wantToday   int // admitted today, of 10
		wantTomorow int
	}{
		{"this period", store.QuotaAdjustment{PlanID: "p", KeyID: "k", PeriodStart: today, Delta: 3}, 5, 2},
		{"negative", store.QuotaAdjustment{PlanID: "p", KeyID: "k", PeriodStart: today, Delta: -1}, 1, 2},
		{"a past period is ignored", store.QuotaAdjustment{PlanID: "p", KeyID: "k", PeriodStart: today.AddDate(0, 0, -1), Delta: 3}, 2, 2},
		{"a future period waits", store.QuotaAdjustment{PlanID: "p", KeyID: "k", PeriodStart: today.AddDate(0, 0, 1), Delta: 4}, 2, 6},
		{"another key", store.QuotaAdjustment{PlanID: "p", KeyID: "other", PeriodStart: today, Delta: 3}, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLocal()
			if err := l.Adjust(context.Background(), tt.adj); err != nil {
				t.Fatal(err)
			}
			count := func(now time.Time) int {
				n := 0
				for range 10 {
					if take(t, l, "p", "k", q, now).Allowed {
						n++
					}
				}
				return n
			}
			got := []int{count(t0), count(t0.AddDate(0, 0, 1))}
			if diff := cmp.Diff([]int{tt.wantToday, tt.wantTomorow}, got); diff != "" {
				t.Errorf("admitted today, tomorrow (-want +got):\n%s", diff)
			}
		})
	}
}

func TestQuotaShapeChange(t *testing.T) {
	l := NewLocal()
	day := apigw.Quota{Limit: 10, Period: apigw.PeriodDay}
	month := apigw.Quota{Limit: 10, Period: apigw.PeriodMonth}
	for range 4 {
		take(t, l, "p", "k", day, t0)
	}
	// Today's requests all fall in this month: they still count.
	if r := take(t, l, "p", "k", month, t0); r.Used != 5 || !r.ResetAt.Equal(utc(2026, 4, 1, 0, 0, 0, 0)) {
		t.Errorf("after DAY→MONTH: %+v, want 5 used, reset on April 1st", r)
	}
}

func openStore(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestLoadQuotasRestoresCounts(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	month := &apigw.Quota{Limit: 100, Period: apigw.PeriodMonth, Offset: 4} // from the 5th
	plan := storetest.SampleUsagePlan("p1")
	plan.Quota = month
	noQuota := storetest.SampleUsagePlan("p2")
	noQuota.Quota = nil
	start := utc(2026, 3, 5, 0, 0, 0, 0)
	err := db.Update(ctx, func(tx store.Tx) error {
		for _, p := range []*apigw.UsagePlan{plan, noQuota} {
			if err := tx.CreateUsagePlan(ctx, p); err != nil {
				return err
			}
		}
		if err := tx.AddUsage(ctx, []store.UsageRecord{
			{PlanID: "p1", KeyID: "k1", Day: utc(2026, 3, 4, 0, 0, 0, 0), Count: 1000}, // previous period
			{PlanID: "p1", KeyID: "k1", Day: start, Count: 30},
			{PlanID: "p1", KeyID: "k1", Day: utc(2026, 3, 14, 0, 0, 0, 0), Count: 12},
			{PlanID: "p1", KeyID: "k2", Day: utc(2026, 3, 10, 0, 0, 0, 0), Count: 100},
			{PlanID: "p2", KeyID: "k1", Day: start, Count: 7},
		}); err != nil {
			return err
		}
		for _, a := range []store.QuotaAdjustment{
			{PlanID: "p1", KeyID: "k2", PeriodStart: start, Delta: 5},
			{PlanID: "p1", KeyID: "k3", PeriodStart: start.AddDate(0, -1, 0), Delta: 50}, // old period
		} {
			if err := tx.SetQuotaAdjustment(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	l := NewLocal()
	// Counts of this node not yet flushed count too; a stale in-memory
	// count for the plan is replaced.
	l.Record(ctx, "p1", "k1", t0)
	l.Record(ctx, "p1", "k1", t0)
	l.Record(ctx, "p1", "k3", utc(2026, 3, 4, 12, 0, 0, 0)) // previous period
	take(t, l, "p1", "k4", *month, t0)
	if err := l.LoadQuotas(ctx, db, []*apigw.UsagePlan{plan, noQuota}, t0); err != nil {
		t.Fatal(err)
	}

	var got []QuotaResult
	for _, k := range []string{"k1", "k2", "k3", "k4"} {
		r, _ := l.Peek(ctx, "p1", k, *month, t0)
		got = append(got, r)
	}
	reset := utc(2026, 4, 5, 0, 0, 0, 0)
	want := []QuotaResult{
		{Allowed: true, Used: 44, Remaining: 56, ResetAt: reset},
		{Allowed: true, Used: 100, Remaining: 5, ResetAt: reset},
		{Allowed: true, Used: 0, Remaining: 100, ResetAt: reset},
		{Allowed: true, Used: 0, Remaining: 100, ResetAt: reset},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("quota state after LoadQuotas (-want +got):\n%s", diff)
	}
	n := 0
	for take(t, l, "p1", "k2", *month, t0).Allowed {
		n++
	}
	if n != 5 {
		t.Errorf("k2 admitted %d after load, want 5", n)
	}
}

func TestLoadQuotasFailure(t *testing.T) {
	db := openStore(t)
	db.Close()
	plan := storetest.SampleUsagePlan("p1")
	if err := NewLocal().LoadQuotas(context.Background(), db, []*apigw.UsagePlan{plan}, t0); err == nil {
		t.Fatal("LoadQuotas on a closed store succeeded")
	}
}

func TestSweepDropsEndedQuotaPeriods(t *testing.T) {
	ctx := context.Background()
	l := NewLocal()
	day := apigw.Quota{Limit: 1, Period: apigw.PeriodDay}
	take(t, l, "p", "used", day, t0)
	take(t, l, "p", "adjusted", day, t0)
	l.Adjust(ctx, store.QuotaAdjustment{PlanID: "p", KeyID: "adjusted", PeriodStart: utc(2026, 3, 15, 0, 0, 0, 0), Delta: 1})
	if n := l.Sweep(utc(2026, 3, 14, 23, 59, 59, 0)); n != 0 {
		t.Errorf("Sweep within the period dropped %d", n)
	}
	if r, _ := l.Peek(ctx, "p", "used", day, t0); r.Used != 1 {
		t.Errorf("count lost by Sweep: %+v", r)
	}
	if n := l.Sweep(utc(2026, 3, 15, 0, 0, 0, 0)); n != 1 {
		t.Errorf("Sweep after the period dropped %d, want 1 (the entry without a pending adjustment)", n)
	}
	if r := take(t, l, "p", "adjusted", day, utc(2026, 3, 15, 1, 0, 0, 0)); r.Remaining != 1 {
		t.Errorf("pending adjustment lost by Sweep: %+v", r)
	}
}

// A node that counted, flushed and stopped, then a new node that loads:
// the quota carries on exactly where it was.
func TestQuotaExactAcrossRestart(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	plan := storetest.SampleUsagePlan("p1")
	plan.Quota = &apigw.Quota{Limit: 10, Period: apigw.PeriodWeek, Offset: 1}
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.CreateUsagePlan(ctx, plan) }); err != nil {
		t.Fatal(err)
	}
	// Before the restart: 7 admitted, over two days of the week.
	before := NewLocal()
	for i := range 7 {
		now := t0.Add(-time.Duration(i) * 4 * time.Hour)
		if !take(t, before, "p1", "k", *plan.Quota, now).Allowed {
			t.Fatal("refused before the limit")
		}
		before.Record(ctx, "p1", "k", now)
	}
	// UpdateUsage: 5 remaining (limit 10 + 2 − 7 used), persisted.
	a, err := before.SetRemaining(ctx, "p1", "k", *plan.Quota, 5, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx store.Tx) error { return tx.SetQuotaAdjustment(ctx, a) }); err != nil {
		t.Fatal(err)
	}
	if err := before.Flush(ctx, db); err != nil {
		t.Fatal(err)
	}

	after := NewLocal()
	if err := after.LoadQuotas(ctx, db, []*apigw.UsagePlan{plan}, t0); err != nil {
		t.Fatal(err)
	}
	n := 0
	for take(t, after, "p1", "k", *plan.Quota, t0.Add(time.Minute)).Allowed {
		n++
	}
	if n != 5 {
		t.Errorf("admitted %d after the restart, want 5", n)
	}
}

// TestPeriodBoundsMatchesCalendar: the cached period bounds agree with
// PeriodStart/PeriodEnd for random instants and quota shapes, however the
// calls interleave.
func TestPeriodBoundsMatchesCalendar(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	shapes := []apigw.Quota{
		{Period: apigw.PeriodDay}, {Period: apigw.PeriodWeek}, {Period: apigw.PeriodWeek, Offset: 3},
		{Period: apigw.PeriodMonth}, {Period: apigw.PeriodMonth, Offset: 27}, {Period: apigw.PeriodDay, Offset: 0},
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := base
	for range 20000 {
		// Mostly small steps (cache hits), sometimes jumps across periods.
		if rng.IntN(10) == 0 {
			now = base.Add(time.Duration(rng.Int64N(int64(800 * 24 * time.Hour))))
		} else {
			now = now.Add(time.Duration(rng.Int64N(int64(6 * time.Hour))))
		}
		q := shapes[rng.IntN(len(shapes))]
		start, end := periodBounds(q, now)
		if ws, we := q.PeriodStart(now).UnixNano(), q.PeriodEnd(now).UnixNano(); start != ws || end != we {
			t.Fatalf("periodBounds(%+v, %v) = [%v, %v), want [%v, %v)", q, now, time.Unix(0, start).UTC(), time.Unix(0, end).UTC(), time.Unix(0, ws).UTC(), time.Unix(0, we).UTC())
		}
	}
}
