package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// feedTimeout bounds every wait for a change; it guards against a hang and
// is never what makes a test pass.
const feedTimeout = 5 * time.Second

// Run runs the conformance suite. open must return a fresh, empty store
// for each call and arrange (with t.Cleanup) for it to be closed. Subtests
// run in parallel, each on its own store.
//
// Beyond the store.Store documentation the suite pins these behaviours:
// CreateDeployment and CreateStage return ErrNotFound when the API is
// missing, AddUsagePlanKey when the plan or the key is missing, and
// SetQuotaAdjustment when the plan is missing; lists of a missing parent are
// empty; a position stays valid after the item it follows is deleted;
// DeleteAPI and DeleteStage publish a put for every usage plan they change.
// Each cascading delete publishes exactly the changes store.Tx documents.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		run  func(*testing.T, store.Store)
	}{
		{"CRUD/API", apiCRUD.run},
		{"CRUD/Deployment", deploymentCRUD.run},
		{"CRUD/Stage", stageCRUD.run},
		{"CRUD/APIKey", keyCRUD.run},
		{"CRUD/UsagePlan", planCRUD.run},
		{"CRUD/DomainName", domainCRUD.run},
		{"DomainNames", testDomainNames},
		{"CRUD/ClientCertificate", clientCertCRUD.run},
		{"ClientCertificateList", testClientCertificateList},
		{"APIKeyByHash", testAPIKeyByHash},
		{"MissingParents", testMissingParents},
		{"Pagination", testPagination},
		{"UpdateKeepsOrder", testUpdateKeepsOrder},
		{"ListStages", testListStages},
		{"KeyFilter", testKeyFilter},
		{"PlanFilter", testPlanFilter},
		{"UsagePlanKeys", testUsagePlanKeys},
		{"Cascade/DeleteAPI", testDeleteAPICascade},
		{"Cascade/DeleteStage", testDeleteStageCascade},
		{"Cascade/DeleteAPIKey", testDeleteAPIKeyCascade},
		{"Cascade/DeleteUsagePlan", testDeleteUsagePlanCascade},
		{"Usage", testUsage},
		{"UsageBatches", testUsageBatches},
		{"QuotaAdjustments", testQuotaAdjustments},
		{"Rollback", testRollback},
		{"Revision", testRevision},
		{"Subscribe", testSubscribe},
		{"SlowSubscriber", testSlowSubscriber},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"ViewSnapshot", testViewSnapshot},
		{"Reset", testReset},
		{"Copies", testCopies},
		{"Settings", testSettings},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, open(t))
		})
	}
}

// update runs fn in an Update and fails the test on error.
func update(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	ctx := t.Context()
	if err := s.Update(ctx, func(tx store.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// view runs fn in a View and fails the test on error.
func view(t *testing.T, s store.Store, fn func(ctx context.Context, r store.Reader) error) {
	t.Helper()
	ctx := t.Context()
	if err := s.View(ctx, func(r store.Reader) error { return fn(ctx, r) }); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// updateErr runs fn in an Update and returns its error.
func updateErr(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) error) error {
	ctx := t.Context()
	return s.Update(ctx, func(tx store.Tx) error { return fn(ctx, tx) })
}

// viewErr runs fn in a View and returns its error.
func viewErr(t *testing.T, s store.Store, fn func(ctx context.Context, r store.Reader) error) error {
	ctx := t.Context()
	return s.View(ctx, func(r store.Reader) error { return fn(ctx, r) })
}

// wantErr fails the test unless errors.Is(err, target).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error = %v, want %v", what, err, target)
	}
}

// diff fails the test when got differs from want. Nil and empty slices
// and maps are equal: stores need not tell them apart.
func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		t.Fatalf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// revision returns the store revision.
func revision(t *testing.T, s store.Store) int64 {
	t.Helper()
	rev, err := s.Revision(t.Context())
	if err != nil {
		t.Fatalf("Revision: %v", err)
	}
	return rev
}

// crud tests create, get, update and delete of one aggregate.
type crud[T any] struct {
	parents func(context.Context, store.Tx) error
	sample  func(id string) *T
	mutate  func(*T)
	create  func(context.Context, store.Tx, *T) error
	update  func(context.Context, store.Tx, *T) error
	get     func(context.Context, store.Reader, string) (*T, error)
	del     func(context.Context, store.Tx, string) error
}

func (c crud[T]) run(t *testing.T, s store.Store) {
	if c.parents != nil {
		update(t, s, c.parents)
	}
	get := func(id string) (*T, error) {
		var v *T
		err := viewErr(t, s, func(ctx context.Context, r store.Reader) (err error) {
			v, err = c.get(ctx, r, id)
			return err
		})
		return v, err
	}

	update(t, s, func(ctx context.Context, tx store.Tx) error { return c.create(ctx, tx, c.sample("x1")) })
	got, err := get("x1")
	if err != nil {
		t.Fatalf("get after create: %v", err)
	}
	diff(t, "created", c.sample("x1"), got)

	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return c.create(ctx, tx, c.sample("x1")) })
	wantErr(t, "create existing", err, store.ErrConflict)

	changed := c.sample("x1")
	c.mutate(changed)
	update(t, s, func(ctx context.Context, tx store.Tx) error { return c.update(ctx, tx, changed) })
	got, err = get("x1")
	if err != nil {
		t.Fatalf("get after update: %v", err)
	}
	diff(t, "updated", changed, got)

	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return c.update(ctx, tx, c.sample("missing")) })
	wantErr(t, "update missing", err, store.ErrNotFound)
	_, err = get("missing")
	wantErr(t, "get missing", err, store.ErrNotFound)

	update(t, s, func(ctx context.Context, tx store.Tx) error { return c.del(ctx, tx, "x1") })
	_, err = get("x1")
	wantErr(t, "get deleted", err, store.ErrNotFound)
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return c.del(ctx, tx, "x1") })
	wantErr(t, "delete missing", err, store.ErrNotFound)

	// The id is free again.
	update(t, s, func(ctx context.Context, tx store.Tx) error { return c.create(ctx, tx, c.sample("x1")) })
}

// ids takes the results of a list call and returns a function that maps
// the items to their ids.
func ids[T any](items []*T, next string, err error) func(id func(*T) string) ([]string, string, error) {
	return func(id func(*T) string) ([]string, string, error) {
		out := make([]string, 0, len(items))
		for _, it := range items {
			out = append(out, id(it))
		}
		return out, next, err
	}
}
