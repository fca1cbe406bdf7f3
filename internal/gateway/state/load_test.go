package state

import (
	"context"
	"errors"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// hookStore runs hook once, inside the first full Load's View after that
// View has read (and so fixed its snapshot).
type hookStore struct {
	store.Store
	hook func()
}

func (h *hookStore) View(ctx context.Context, fn func(store.Reader) error) error {
	return h.Store.View(ctx, func(r store.Reader) error { return fn(&hookReader{Reader: r, h: h}) })
}

type hookReader struct {
	store.Reader
	h *hookStore
}

func (r *hookReader) ListStages(ctx context.Context, apiID string) ([]*apigw.Stage, error) {
	if apiID == "" && r.h.hook != nil {
		hook := r.h.hook
		r.h.hook = nil
		hook()
	}
	return r.Reader.ListStages(ctx, apiID)
}

// TestChangesDuringLoadSurvive checks that changes applied while a Load
// reads an older snapshot are not undone when the Load swaps in.
func TestChangesDuringLoadSurvive(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	seed(t, db)
	hs := &hookStore{Store: db}
	s := New(hs, testLogger(t))
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	db.Listen(func(c []store.Change) {
		if err := s.Apply(ctx, c); err != nil {
			t.Errorf("Apply: %v", err)
		}
	})
	during := false
	hs.hook = func() {
		update(t, db, func(ctx context.Context, tx store.Tx) error {
			k, err := tx.GetAPIKey(ctx, "k1")
			if err != nil {
				return err
			}
			k.Enabled = false
			st, err := tx.GetStage(ctx, "a1", "prod")
			if err != nil {
				return err
			}
			st.DeploymentID = "d2"
			return errors.Join(tx.UpdateAPIKey(ctx, k), tx.CreateAPIKey(ctx, key("k3", true)), tx.UpdateStage(ctx, st))
		})
		// Applied at once, even though a Load is under way.
		during = s.Key(hashOf("k3")) != nil
	}
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if hs.hook != nil {
		t.Fatal("the hook did not run: the test no longer exercises a change during a Load")
	}
	if !during {
		t.Error("a change made during a Load was not visible until the Load ended")
	}
	if k := s.Key(hashOf("k1")); k == nil || k.Enabled {
		t.Errorf("Key(k1) = %+v, want disabled (the change made during the load)", k)
	}
	if s.Key(hashOf("k3")) == nil {
		t.Error("Key(k3) = nil, want the key created during the load")
	}
	if st := stageOf(s, "a1", "prod"); st == nil || st.DeploymentID != "d2" || len(routes(st)) != 2 {
		t.Errorf("a1/prod = %+v, want it on d2 with /toys", st)
	}
	rev, _ := db.Revision(ctx)
	if s.Revision() != rev {
		t.Errorf("Revision() = %d, want %d", s.Revision(), rev)
	}
}
