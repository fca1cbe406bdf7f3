package counterstest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/counters"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

func runQuota(t *testing.T, s Setup) {
	t.Run("TakeExactLimit", func(t *testing.T) { testTakeExactLimit(t, s) })
	t.Run("PeriodRollover", func(t *testing.T) { testPeriodRollover(t, s) })
	t.Run("LimitChange", func(t *testing.T) { testQuotaLimitChange(t, s) })
	t.Run("SetRemaining", func(t *testing.T) { testSetRemaining(t, s) })
	t.Run("Adjust", func(t *testing.T) { testAdjust(t, s) })
}

func testTakeExactLimit(t *testing.T, s Setup) {
	q := apigw.Quota{Limit: 3, Period: apigw.PeriodDay}
	b, _ := s.open(t)
	reset := utc(2026, 3, 15, 0, 0, 0, 0)
	// Peeking, however often, consumes nothing.
	for range 5 {
		if r := peek(t, b, "p", "k", q, t0); r != (counters.QuotaResult{Allowed: true, Used: 0, Remaining: 3, ResetAt: reset}) {
			t.Fatalf("Peek of an unused quota = %+v", r)
		}
	}
	var got []counters.QuotaResult
	for range 5 {
		got = append(got, take(t, b, "p", "k", q, t0))
	}
	got = append(got, peek(t, b, "p", "k", q, t0))
	want := []counters.QuotaResult{
		{Allowed: true, Used: 1, Remaining: 2, ResetAt: reset},
		{Allowed: true, Used: 2, Remaining: 1, ResetAt: reset},
		{Allowed: true, Used: 3, Remaining: 0, ResetAt: reset},
		{Allowed: false, Used: 3, Remaining: 0, ResetAt: reset},
		{Allowed: false, Used: 3, Remaining: 0, ResetAt: reset},
		{Allowed: false, Used: 3, Remaining: 0, ResetAt: reset}, // Peek
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Take results (-want +got):\n%s", diff)
	}
	// Other keys and other plans have their own counts.
	if r := take(t, b, "p", "k2", q, t0); !r.Allowed || r.Remaining != 2 {
		t.Errorf("other key: %+v, want allowed with 2 remaining", r)
	}
	if r := take(t, b, "p2", "k", q, t0); !r.Allowed || r.Remaining != 2 {
		t.Errorf("other plan: %+v, want allowed with 2 remaining", r)
	}
	if r := take(t, b, "p3", "k", apigw.Quota{Limit: 0, Period: apigw.PeriodDay}, t0); r.Allowed {
		t.Errorf("limit 0: %+v, want refused", r)
	}
}

func testPeriodRollover(t *testing.T, s Setup) {
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
			b, _ := s.open(t)
			take(t, b, "p", "k", tt.q, tt.first)
			r := take(t, b, "p", "k", tt.q, tt.first)
			if !r.Allowed || !r.ResetAt.Equal(tt.wantReset) {
				t.Fatalf("second Take = %+v, want allowed, reset at %v", r, tt.wantReset)
			}
			r = take(t, b, "p", "k", tt.q, tt.then)
			if r.Allowed != tt.wantNew {
				t.Errorf("Take at %v = %+v, want allowed %v", tt.then, r, tt.wantNew)
			}
			// A request stamped before the rollover but counted after it
			// counts in the current period.
			if tt.wantNew {
				if r := take(t, b, "p", "k", tt.q, tt.first); !r.Allowed || r.Used != 2 {
					t.Errorf("late Take = %+v, want allowed in the new period with 2 used", r)
				}
			}
		})
	}
}

// A changed limit takes effect on the next call; the count stays.
func testQuotaLimitChange(t *testing.T, s Setup) {
	b, _ := s.open(t)
	q := apigw.Quota{Limit: 10, Period: apigw.PeriodWeek}
	for range 5 {
		take(t, b, "p", "k", q, t0)
	}
	lower := apigw.Quota{Limit: 3, Period: apigw.PeriodWeek}
	if r := take(t, b, "p", "k", lower, t0); r.Allowed || r.Used != 5 || r.Remaining != 0 {
		t.Errorf("Take under a lower limit = %+v, want refused with 5 used, 0 remaining", r)
	}
	higher := apigw.Quota{Limit: 20, Period: apigw.PeriodWeek}
	if r := take(t, b, "p", "k", higher, t0); !r.Allowed || r.Used != 6 || r.Remaining != 14 {
		t.Errorf("Take under a higher limit = %+v, want allowed with 6 used, 14 remaining", r)
	}
}

func testSetRemaining(t *testing.T, s Setup) {
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
			b, _ := s.open(t)
			for range tt.used {
				take(t, b, "p", "k", q, t0)
			}
			a, err := b.SetRemaining(context.Background(), "p", "k", q, tt.remaining, t0)
			if err != nil {
				t.Fatal(err)
			}
			want := store.QuotaAdjustment{PlanID: "p", KeyID: "k", PeriodStart: periodStart, Delta: tt.wantDelta}
			if diff := cmp.Diff(want, a); diff != "" {
				t.Errorf("adjustment (-want +got):\n%s", diff)
			}
			if r := peek(t, b, "p", "k", q, t0); r.Remaining != tt.remaining || r.Used != int64(tt.used) {
				t.Errorf("Peek = %+v, want %d remaining, %d used", r, tt.remaining, tt.used)
			}
			n := 0
			for range 20 {
				if take(t, b, "p", "k", q, t0).Allowed {
					n++
				}
			}
			if n != tt.wantTakes {
				t.Errorf("admitted %d after SetRemaining, want %d", n, tt.wantTakes)
			}
			// The adjustment belongs to its period only.
			next := t0.AddDate(0, 0, 7)
			if r := take(t, b, "p", "k", q, next); !r.Allowed || r.Remaining != 4 {
				t.Errorf("next period Take = %+v, want allowed with 4 remaining", r)
			}
		})
	}
}

func testAdjust(t *testing.T, s Setup) {
	q := apigw.Quota{Limit: 2, Period: apigw.PeriodDay}
	today := utc(2026, 3, 14, 0, 0, 0, 0)
	tests := []struct {
		name         string
		adj          store.QuotaAdjustment
		wantToday    int // admitted today, of 10
		wantTomorrow int
	}{
		{"this period", store.QuotaAdjustment{PlanID: "p", KeyID: "k", PeriodStart: today, Delta: 3}, 5, 2},
		{"negative", store.QuotaAdjustment{PlanID: "p", KeyID: "k", PeriodStart: today, Delta: -1}, 1, 2},
		{"a past period is ignored", store.QuotaAdjustment{PlanID: "p", KeyID: "k", PeriodStart: today.AddDate(0, 0, -1), Delta: 3}, 2, 2},
		{"a future period waits", store.QuotaAdjustment{PlanID: "p", KeyID: "k", PeriodStart: today.AddDate(0, 0, 1), Delta: 4}, 2, 6},
		{"another key", store.QuotaAdjustment{PlanID: "p", KeyID: "other", PeriodStart: today, Delta: 3}, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := s.open(t)
			if err := b.Adjust(context.Background(), tt.adj); err != nil {
				t.Fatal(err)
			}
			count := func(now time.Time) int {
				n := 0
				for range 10 {
					if take(t, b, "p", "k", q, now).Allowed {
						n++
					}
				}
				return n
			}
			got := []int{count(t0), count(t0.AddDate(0, 0, 1))}
			if diff := cmp.Diff([]int{tt.wantToday, tt.wantTomorrow}, got); diff != "" {
				t.Errorf("admitted today, tomorrow (-want +got):\n%s", diff)
			}
		})
	}
}
