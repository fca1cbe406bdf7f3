package counters

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

func TestOpen(t *testing.T) {
	st := &FakeUsageStore{counts: map[string]int64{}}
	tests := []struct {
		url     string
		st      store.Store
		wantErr string // "" when it opens the local backend
	}{
		{"", st, ""},
		{"memory://", st, ""},
		{"redis://127.0.0.1:6379/0", st, `unsupported counters URL "redis://127.0.0.1:6379/0"`},
		{"memory", st, `unsupported counters URL "memory"`},
		{"memory://elsewhere", st, `unsupported counters URL "memory://elsewhere"`},
		{"MEMORY://", st, `unsupported counters URL "MEMORY://"`},
		{"", nil, "Options.Store is required"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			b, err := Open(context.Background(), tt.url, Options{Store: tt.st})
			if tt.wantErr == "" {
				if _, ok := b.(*localBackend); err != nil || !ok {
					t.Fatalf("Open = %T, %v; want the local backend", b, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Open = %T, %v; want an error containing %q", b, err, tt.wantErr)
			}
		})
	}
}

func newTestBackend(t *testing.T, st store.Store, o Options) *localBackend {
	t.Helper()
	o.Store = st
	b, err := Open(context.Background(), "", o)
	if err != nil {
		t.Fatal(err)
	}
	return b.(*localBackend)
}

// Run flushes every FlushInterval, keeps the counts of a failed flush for
// the next tick, drops idle state every SweepInterval, and flushes once
// more when stopped.
func TestLocalBackendRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		st := &FakeUsageStore{counts: map[string]int64{}}
		b := newTestBackend(t, st, Options{FlushInterval: time.Second, SweepInterval: 5 * time.Second})
		done := make(chan error)
		go func() { done <- b.Run(ctx) }()
		now := func() time.Time { return time.Now().UTC() }

		b.Record(ctx, "p", "k", now())
		b.Record(ctx, "p", "k", now())
		b.Allow(ctx, PlanKeyBucket("p", "k"), apigw.Throttle{BurstLimit: 2, RateLimit: 1}, now())
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
		b.Record(ctx, "p", "k", now())
		time.Sleep(time.Second)
		synctest.Wait()
		st.mu.Lock()
		st.fail = false
		st.mu.Unlock()
		b.Record(ctx, "p", "k", now())
		time.Sleep(time.Second)
		synctest.Wait()
		if n, c := st.snapshot(); n != 2 || c["p/k/"+day] != 4 {
			t.Fatalf("after recovering: %d flushes, counts %v; want 2 flushes, 4 counted", n, c)
		}

		// The bucket, full again after 1 s, is swept at the 5 s tick.
		if n := b.bucketCount(); n != 1 {
			t.Fatalf("%d buckets before the sweep, want 1", n)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if n := b.bucketCount(); n != 0 {
			t.Errorf("%d buckets after the sweep tick, want 0", n)
		}

		// Stopping flushes what is left, without waiting for a tick.
		b.Record(ctx, "p", "k2", now())
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

func TestLocalBackendRunFinalFlushError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		st := &FakeUsageStore{counts: map[string]int64{}, fail: true}
		b := newTestBackend(t, st, Options{})
		b.Record(ctx, "p", "k", time.Now())
		cancel()
		if err := b.Run(ctx); !errors.Is(err, errInjected) {
			t.Errorf("Run = %v, want the final flush's failure", err)
		}
	})
}

// The reload policy: Apply reloads a plan's quota counts from the store
// only when its counting window moved (period or offset changed, a quota
// appeared, or a resync), never for a limit change or other changes. A
// reload is seen here as a count taken without Record (so not in the
// store, and not pending) going back to 0.
func TestLocalBackendReloadPolicy(t *testing.T) {
	month := apigw.Quota{Limit: 100, Period: apigw.PeriodMonth}
	planChange := []store.Change{{Kind: store.KindUsagePlan, Op: store.OpPut, ID: "p1"}}
	tests := []struct {
		name       string
		loaded     *apigw.Quota // p1's quota at Load
		now        *apigw.Quota // and after the change
		changes    []store.Change
		wantReload bool
	}{
		{"limit change", &month, &apigw.Quota{Limit: 5, Period: apigw.PeriodMonth}, planChange, false},
		{"period change", &month, &apigw.Quota{Limit: 100, Period: apigw.PeriodWeek}, planChange, true},
		{"offset change", &month, &apigw.Quota{Limit: 100, Period: apigw.PeriodMonth, Offset: 3}, planChange, true},
		{"quota added", nil, &month, planChange, true},
		{"unchanged quota", &month, &month, planChange, false},
		{"resync", &month, &month, []store.Change{{Kind: store.KindResync}}, true},
		{"another plan changed", &month, &apigw.Quota{Limit: 100, Period: apigw.PeriodWeek},
			[]store.Change{{Kind: store.KindUsagePlan, Op: store.OpPut, ID: "p2"}}, false},
		{"a key added to the plan", &month, &apigw.Quota{Limit: 100, Period: apigw.PeriodWeek},
			[]store.Change{{Kind: store.KindUsagePlanKey, Op: store.OpPut, ID: "p1", KeyID: "k"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := openStore(t)
			createPlans(t, db, "p1", "p2")
			b := newTestBackend(t, db, Options{})
			loaded := &apigw.UsagePlan{ID: "p1", Quota: tt.loaded}
			if err := b.Load(ctx, []*apigw.UsagePlan{loaded}, t0); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				take(t, b.Local, "p1", "k", month, t0)
			}
			now := &apigw.UsagePlan{ID: "p1", Quota: tt.now}
			if err := b.Apply(ctx, tt.changes, func() []*apigw.UsagePlan { return []*apigw.UsagePlan{now} }, t0); err != nil {
				t.Fatal(err)
			}
			want := int64(3)
			if tt.wantReload {
				want = 0
			}
			if r, _ := b.Local.Peek(ctx, "p1", "k", month, t0); r.Used != want {
				t.Errorf("used after Apply = %d, want %d (reload: %v)", r.Used, want, tt.wantReload)
			}
		})
	}
}

// A plan deleted and created again with the same quota is reloaded: its
// shape was forgotten with it.
func TestLocalBackendReloadAfterDelete(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	createPlans(t, db, "p1")
	b := newTestBackend(t, db, Options{})
	month := apigw.Quota{Limit: 100, Period: apigw.PeriodMonth}
	p := &apigw.UsagePlan{ID: "p1", Quota: &month}
	if err := b.Load(ctx, []*apigw.UsagePlan{p}, t0); err != nil {
		t.Fatal(err)
	}
	change := []store.Change{{Kind: store.KindUsagePlan, Op: store.OpPut, ID: "p1"}}
	if err := b.Apply(ctx, change, func() []*apigw.UsagePlan { return nil }, t0); err != nil {
		t.Fatal(err)
	}
	take(t, b.Local, "p1", "k", month, t0)
	if err := b.Apply(ctx, change, func() []*apigw.UsagePlan { return []*apigw.UsagePlan{p} }, t0); err != nil {
		t.Fatal(err)
	}
	if r, _ := b.Local.Peek(ctx, "p1", "k", month, t0); r.Used != 0 {
		t.Errorf("used after the plan came back = %d, want 0 (reloaded)", r.Used)
	}
}

func TestLocalBackendLoadFailure(t *testing.T) {
	db := openStore(t)
	b := newTestBackend(t, db, Options{})
	db.Close()
	month := apigw.Quota{Limit: 100, Period: apigw.PeriodMonth}
	if err := b.Load(context.Background(), []*apigw.UsagePlan{{ID: "p1", Quota: &month}}, t0); err == nil || !strings.Contains(err.Error(), "p1") {
		t.Errorf("Load on a closed store = %v, want an error naming the plan", err)
	}
}
