package counterstest

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

func runLifecycle(t *testing.T, s Setup) {
	t.Run("ExactAcrossRestart", func(t *testing.T) { testExactAcrossRestart(t, s) })
	t.Run("ReloadOnPeriodChange", func(t *testing.T) { testReloadOnPeriodChange(t, s) })
	t.Run("ApplyIgnoresOtherChanges", func(t *testing.T) { testApplyIgnoresOtherChanges(t, s) })
}

// A node that counted, stopped gracefully, then a new node over the same
// store that loads: the quota carries on exactly where it was, the
// adjustment (persisted by the caller) included.
func testExactAcrossRestart(t *testing.T, s Setup) {
	ctx := context.Background()
	q := &apigw.Quota{Limit: 10, Period: apigw.PeriodWeek, Offset: 1}
	p := plan("p1", q)
	before, st := s.open(t, p)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- before.Run(runCtx) }()
	// 7 admitted, over two days of the week, each counted as a served
	// request is: Take, then Record.
	for i := range 7 {
		now := t0.Add(-time.Duration(i) * 4 * time.Hour)
		if !take(t, before, "p1", "k", *q, now).Allowed {
			t.Fatal("refused before the limit")
		}
		record(t, before, "p1", "k", now, 1)
	}
	// UpdateUsage: 5 remaining (limit 10 + 2 − 7 used), persisted.
	a, err := before.SetRemaining(ctx, "p1", "k", *q, 5, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Update(ctx, func(tx store.Tx) error { return tx.SetQuotaAdjustment(ctx, a) }); err != nil {
		t.Fatal(err)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}

	after := s.openOver(t, st, p)
	if r := peek(t, after, "p1", "k", *q, t0.Add(time.Minute)); r.Used != 7 || r.Remaining != 5 {
		t.Errorf("after the restart: %+v, want 7 used, 5 remaining", r)
	}
	n := 0
	for take(t, after, "p1", "k", *q, t0.Add(time.Minute)).Allowed {
		n++
	}
	if n != 5 {
		t.Errorf("admitted %d after the restart, want 5", n)
	}
}

// When a plan's quota period changes, the count moves to the new period
// containing now, with every request counted in it before the change.
func testReloadOnPeriodChange(t *testing.T, s Setup) {
	ctx := context.Background()
	day := apigw.Quota{Limit: 100, Period: apigw.PeriodDay}
	week := apigw.Quota{Limit: 100, Period: apigw.PeriodWeek} // from Sunday 2026-03-08
	tests := []struct {
		name    string
		changes []store.Change
	}{
		{"plan updated", []store.Change{{Kind: store.KindUsagePlan, Op: store.OpPut, ID: "p1"}}},
		{"resync", []store.Change{{Kind: store.KindResync}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := plan("p1", &day)
			other := plan("p2", &day)
			b, st := s.open(t, p, other)
			count := func(planID string, q apigw.Quota, now time.Time, n int) {
				for range n {
					if !take(t, b, planID, "k", q, now).Allowed {
						t.Fatal("refused below the limit")
					}
					record(t, b, planID, "k", now, 1)
				}
			}
			count("p1", day, t0.AddDate(0, 0, -2), 5) // Thursday, this week
			count("p1", day, t0.AddDate(0, 0, -7), 4) // last week
			count("p1", day, t0, 3)
			count("p2", day, t0, 2)
			if err := b.Flush(ctx); err != nil { // some of it in the store, some not
				t.Fatal(err)
			}
			count("p1", day, t0, 1)

			changed := plan("p1", &week)
			if err := st.Update(ctx, func(tx store.Tx) error { return tx.UpdateUsagePlan(ctx, changed) }); err != nil {
				t.Fatal(err)
			}
			plans := func() []*apigw.UsagePlan { return []*apigw.UsagePlan{changed, other} }
			if err := b.Apply(ctx, tt.changes, plans, t0); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if r := peek(t, b, "p1", "k", week, t0); r.Used != 9 || r.Remaining != 91 || !r.ResetAt.Equal(utc(2026, 3, 15, 0, 0, 0, 0)) {
				t.Errorf("after DAY→WEEK: %+v, want 9 used this week (5 Thursday, 4 today), 91 remaining, reset Sunday", r)
			}
			if r := peek(t, b, "p2", "k", day, t0); r.Used != 2 {
				t.Errorf("the unchanged plan: %+v, want its 2 used kept", r)
			}
			// And back: the day's count is today's only.
			changed = plan("p1", &day)
			if err := st.Update(ctx, func(tx store.Tx) error { return tx.UpdateUsagePlan(ctx, changed) }); err != nil {
				t.Fatal(err)
			}
			if err := b.Apply(ctx, tt.changes, plans, t0); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if r := peek(t, b, "p1", "k", day, t0); r.Used != 4 {
				t.Errorf("after WEEK→DAY: %+v, want 4 used today", r)
			}
		})
	}
}

// Changes that concern no usage plan leave the counts alone and do not
// ask for the plans.
func testApplyIgnoresOtherChanges(t *testing.T, s Setup) {
	ctx := context.Background()
	q := apigw.Quota{Limit: 100, Period: apigw.PeriodMonth}
	b, _ := s.open(t, plan("p1", &q))
	for range 3 {
		take(t, b, "p1", "k", q, t0)
	}
	changes := []store.Change{
		{Kind: store.KindAPIKey, Op: store.OpPut, ID: "k"},
		{Kind: store.KindUsagePlanKey, Op: store.OpPut, ID: "p1", KeyID: "k"},
		{Kind: store.KindStage, Op: store.OpPut, APIID: "a", ID: "prod"},
	}
	plans := func() []*apigw.UsagePlan {
		t.Error("Apply asked for the plans after changes that concern none")
		return nil
	}
	if err := b.Apply(ctx, changes, plans, t0); err != nil {
		t.Fatal(err)
	}
	if r := peek(t, b, "p1", "k", q, t0); r.Used != 3 {
		t.Errorf("after unrelated changes: %+v, want 3 used", r)
	}
}
