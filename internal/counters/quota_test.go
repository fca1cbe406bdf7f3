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
