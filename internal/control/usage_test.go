package control

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
	"github.com/gatehouse-dev/gatehouse/internal/secret"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlite"
	"github.com/google/go-cmp/cmp"
)

// newTestService returns a Service on a fresh SQLite store whose clock
// reads *now.
func newTestService(t *testing.T, now *time.Time) *Service {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	return New(Options{Store: db, Keys: keys, Now: func() time.Time { return *now }})
}

func day(s string) time.Time {
	t, err := time.Parse(UsageDateFormat, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestUsageRemaining(t *testing.T) {
	ctx := context.Background()
	now := day("2026-03-04").Add(15 * time.Hour) // a Wednesday
	s := newTestService(t, &now)
	plan, err := s.CreateUsagePlan(ctx, CreateUsagePlanInput{Name: "p", Quota: &apigw.Quota{Limit: 100, Period: apigw.PeriodWeek}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, name := range []string{"a", "b"} {
		k, err := s.CreateAPIKey(ctx, CreateAPIKeyInput{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateUsagePlanKey(ctx, plan.ID, k.ID, UsagePlanKeyType); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, k.ID)
	}
	a, b := ids[0], ids[1]
	// Week periods start on Sunday: 2026-02-22, 2026-03-01.
	err = s.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.AddUsage(ctx, []store.UsageRecord{
			{PlanID: plan.ID, KeyID: a, Day: day("2026-02-27"), Count: 30}, // before the range, previous week
			{PlanID: plan.ID, KeyID: a, Day: day("2026-02-28"), Count: 5},  // first day of the range
			{PlanID: plan.ID, KeyID: a, Day: day("2026-03-01"), Count: 10}, // new week
			{PlanID: plan.ID, KeyID: a, Day: day("2026-03-03"), Count: 20},
			{PlanID: plan.ID, KeyID: "gone", Day: day("2026-03-03"), Count: 7}, // not in the plan
		}); err != nil {
			return err
		}
		return tx.SetQuotaAdjustment(ctx, store.QuotaAdjustment{PlanID: plan.ID, KeyID: a, PeriodStart: day("2026-03-01"), Delta: 50})
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.GetUsage(ctx, plan.ID, GetUsageInput{StartDate: "2026-02-28", EndDate: "2026-03-04"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]DayUsage{
		a: {{5, 65}, {10, 140}, {0, 140}, {20, 120}, {0, 120}},
		b: {{0, 100}, {0, 100}, {0, 100}, {0, 100}, {0, 100}},
	}
	if diff := cmp.Diff(want, rep.Keys); diff != "" {
		t.Errorf("usage (-want +got):\n%s", diff)
	}

	// UpdateUsage sets this week's remaining for a to 7.
	got, err := s.UpdateUsage(ctx, plan.ID, a, []patch.Op{{Op: patch.Replace, Path: "/remaining", Value: "7"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][]DayUsage{a: {{0, 7}}}, got.Keys); diff != "" {
		t.Errorf("UpdateUsage (-want +got):\n%s", diff)
	}
	rep, err = s.Usage(ctx, plan.ID, a, day("2026-03-01"), day("2026-03-04"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]DayUsage{{10, 27}, {0, 27}, {20, 7}, {0, 7}}, rep.Keys[a]); diff != "" {
		t.Errorf("usage after UpdateUsage (-want +got):\n%s", diff)
	}
}

func TestUsageWithoutQuota(t *testing.T) {
	ctx := context.Background()
	now := day("2026-03-04")
	s := newTestService(t, &now)
	plan, err := s.CreateUsagePlan(ctx, CreateUsagePlanInput{Name: "p"})
	if err != nil {
		t.Fatal(err)
	}
	k, err := s.CreateAPIKey(ctx, CreateAPIKeyInput{Name: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUsagePlanKey(ctx, plan.ID, k.ID, UsagePlanKeyType); err != nil {
		t.Fatal(err)
	}
	if err := s.store.Update(ctx, func(tx store.Tx) error {
		return tx.AddUsage(ctx, []store.UsageRecord{{PlanID: plan.ID, KeyID: k.ID, Day: day("2026-03-02"), Count: 3}})
	}); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Usage(ctx, plan.ID, "", day("2026-03-01"), day("2026-03-02"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][]DayUsage{k.ID: {{0, 0}, {3, 0}}}, rep.Keys); diff != "" {
		t.Errorf("usage (-want +got):\n%s", diff)
	}
	_, err = s.UpdateUsage(ctx, plan.ID, k.ID, []patch.Op{{Op: patch.Replace, Path: "/remaining", Value: "7"}})
	if err == nil || err.Error() != "Usage plan "+plan.ID+" has no quota: there is no remaining quota to set" {
		t.Errorf("UpdateUsage without quota: %v", err)
	}
}
