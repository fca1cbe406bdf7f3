package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/storetest"
)

// The node opens its counters through counters.Open: an engine it does
// not know is refused at start, naming the URL, and the data directory
// stays usable.
func TestNewOpensCountersByURL(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		url     string
		wantErr string
	}{
		{"memcached://127.0.0.1:11211", `unsupported counters URL "memcached://127.0.0.1:11211"`},
		{"memory:/", `unsupported counters URL "memory:/"`},
		{"", ""},
		{"memory://", ""},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			s, err := New(context.Background(), Config{DataDir: dir, Counters: tt.url})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					if s != nil {
						s.Close()
					}
					t.Fatalf("New = %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			defer s.Close()
			// The counters are wired to the store: usage recorded and
			// flushed through the control plane's hook is in it.
			ctx := context.Background()
			planID := "plan" + strings.TrimSuffix(tt.url, "://")
			if err := s.Store.Update(ctx, func(tx store.Tx) error {
				return tx.CreateUsagePlan(ctx, storetest.SampleUsagePlan(planID))
			}); err != nil {
				t.Fatal(err)
			}
			day := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
			for range 3 {
				s.Counters.Record(ctx, planID, "k", day.Add(time.Hour))
			}
			if err := (usageHooks{s}).FlushUsage(ctx); err != nil {
				t.Fatalf("FlushUsage: %v", err)
			}
			var got []store.UsageRecord
			if err := s.Store.View(ctx, func(r store.Reader) error {
				var err error
				got, err = r.ListUsage(ctx, planID, "", day, day.AddDate(0, 0, 1))
				return err
			}); err != nil {
				t.Fatal(err)
			}
			want := []store.UsageRecord{{PlanID: planID, KeyID: "k", Day: day, Count: 3}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("usage in the store (-want +got):\n%s", diff)
			}
		})
	}
}
