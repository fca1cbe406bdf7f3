package counters_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/counters"
	"github.com/gatehouse-dev/gatehouse/internal/counters/counterstest"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlite"
)

// The local backend, over SQLite, passes the conformance suite.
func TestLocalBackendConformance(t *testing.T) {
	counterstest.Run(t, counterstest.Setup{
		Store: func(t *testing.T) store.Store {
			db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "gatehouse.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
		Open: func(t *testing.T, st store.Store) counters.Backend {
			b, err := counters.Open(context.Background(), "", counters.Options{Store: st})
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
	})
}
