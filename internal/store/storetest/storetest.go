package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
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
		{"QuotaAdjustments", testQuotaAdjustments},
		{"Rollback", testRollback},
		{"Revision", testRevision},
		{"Subscribe", testSubscribe},
		{"SlowSubscriber", testSlowSubscriber},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"ViewSnapshot", testViewSnapshot},
		{"Reset", testReset},
		{"Copies", testCopies},
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

// recv returns the next change from ch.
func recv(t *testing.T, ch <-chan store.Change) store.Change {
	t.Helper()
	select {
	case c, ok := <-ch:
		if !ok {
			t.Fatal("change feed closed")
		}
		return c
	case <-time.After(feedTimeout):
		t.Fatalf("no change within %v", feedTimeout)
	}
	panic("unreachable")
}

// recvN returns the next n changes from ch.
func recvN(t *testing.T, ch <-chan store.Change, n int) []store.Change {
	t.Helper()
	out := make([]store.Change, 0, n)
	for range n {
		out = append(out, recv(t, ch))
	}
	return out
}

// subscribe subscribes, flattens the commits into single changes, and
// cancels the subscription at cleanup.
func subscribe(t *testing.T, s store.Store) <-chan store.Change {
	ch, cancel := s.Subscribe()
	t.Cleanup(cancel)
	return flatten(ch)
}

// flatten forwards every change of every commit; it closes its channel
// when the subscription's closes.
func flatten(in <-chan []store.Change) <-chan store.Change {
	out := make(chan store.Change, 4096)
	go func() {
		defer close(out)
		for commit := range in {
			for _, c := range commit {
				out <- c
			}
		}
	}()
	return out
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

// createAPI creates SampleAPI(id).
func createAPI(id string) func(context.Context, store.Tx) error {
	return func(ctx context.Context, tx store.Tx) error { return tx.CreateAPI(ctx, SampleAPI(id)) }
}

var apiCRUD = crud[apigw.RestAPI]{
	sample: SampleAPI,
	mutate: func(a *apigw.RestAPI) {
		a.Name = "renamed"
		a.Tags = nil
		a.Resources["new"] = &apigw.Resource{ID: "new", ParentID: a.RootResourceID, PathPart: "new"}
		a.DisableExecuteAPIEndpoint = true
	},
	create: func(ctx context.Context, tx store.Tx, a *apigw.RestAPI) error { return tx.CreateAPI(ctx, a) },
	update: func(ctx context.Context, tx store.Tx, a *apigw.RestAPI) error { return tx.UpdateAPI(ctx, a) },
	get:    func(ctx context.Context, r store.Reader, id string) (*apigw.RestAPI, error) { return r.GetAPI(ctx, id) },
	del:    func(ctx context.Context, tx store.Tx, id string) error { return tx.DeleteAPI(ctx, id) },
}

var deploymentCRUD = crud[apigw.Deployment]{
	parents: createAPI("a1"),
	sample:  func(id string) *apigw.Deployment { return SampleDeployment("a1", id) },
	mutate:  func(d *apigw.Deployment) { d.Description = "changed" },
	create:  func(ctx context.Context, tx store.Tx, d *apigw.Deployment) error { return tx.CreateDeployment(ctx, d) },
	update:  func(ctx context.Context, tx store.Tx, d *apigw.Deployment) error { return tx.UpdateDeployment(ctx, d) },
	get: func(ctx context.Context, r store.Reader, id string) (*apigw.Deployment, error) {
		return r.GetDeployment(ctx, "a1", id)
	},
	del: func(ctx context.Context, tx store.Tx, id string) error { return tx.DeleteDeployment(ctx, "a1", id) },
}

var stageCRUD = crud[apigw.Stage]{
	parents: createAPI("a1"),
	sample:  func(name string) *apigw.Stage { return SampleStage("a1", name, "d1") },
	mutate: func(s *apigw.Stage) {
		s.DeploymentID = "d2"
		s.Variables["extra"] = "1"
		s.CanarySettings = nil
	},
	create: func(ctx context.Context, tx store.Tx, s *apigw.Stage) error { return tx.CreateStage(ctx, s) },
	update: func(ctx context.Context, tx store.Tx, s *apigw.Stage) error { return tx.UpdateStage(ctx, s) },
	get: func(ctx context.Context, r store.Reader, name string) (*apigw.Stage, error) {
		return r.GetStage(ctx, "a1", name)
	},
	del: func(ctx context.Context, tx store.Tx, name string) error { return tx.DeleteStage(ctx, "a1", name) },
}

var keyCRUD = crud[apigw.APIKey]{
	sample: SampleAPIKey,
	mutate: func(k *apigw.APIKey) {
		k.Name = "renamed"
		k.Enabled = false
		k.CustomerID = "other"
		k.SealedValue = []byte("resealed")
	},
	create: func(ctx context.Context, tx store.Tx, k *apigw.APIKey) error { return tx.CreateAPIKey(ctx, k) },
	update: func(ctx context.Context, tx store.Tx, k *apigw.APIKey) error { return tx.UpdateAPIKey(ctx, k) },
	get: func(ctx context.Context, r store.Reader, id string) (*apigw.APIKey, error) {
		return r.GetAPIKey(ctx, id)
	},
	del: func(ctx context.Context, tx store.Tx, id string) error { return tx.DeleteAPIKey(ctx, id) },
}

var planCRUD = crud[apigw.UsagePlan]{
	sample: func(id string) *apigw.UsagePlan { return SampleUsagePlan(id, SampleAPIStage("a1", "prod")) },
	mutate: func(p *apigw.UsagePlan) {
		p.Quota = nil
		p.APIStages = append(p.APIStages, SampleAPIStage("a2", "dev"))
	},
	create: func(ctx context.Context, tx store.Tx, p *apigw.UsagePlan) error { return tx.CreateUsagePlan(ctx, p) },
	update: func(ctx context.Context, tx store.Tx, p *apigw.UsagePlan) error { return tx.UpdateUsagePlan(ctx, p) },
	get: func(ctx context.Context, r store.Reader, id string) (*apigw.UsagePlan, error) {
		return r.GetUsagePlan(ctx, id)
	},
	del: func(ctx context.Context, tx store.Tx, id string) error { return tx.DeleteUsagePlan(ctx, id) },
}

func testAPIKeyByHash(t *testing.T, s store.Store) {
	k1, k2 := SampleAPIKey("k1"), SampleAPIKey("k2")
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return errors.Join(tx.CreateAPIKey(ctx, k1), tx.CreateAPIKey(ctx, k2))
	})
	byHash := func(h []byte) (*apigw.APIKey, error) {
		var k *apigw.APIKey
		err := viewErr(t, s, func(ctx context.Context, r store.Reader) (err error) {
			k, err = r.GetAPIKeyByHash(ctx, h)
			return err
		})
		return k, err
	}
	for _, want := range []*apigw.APIKey{k1, k2} {
		got, err := byHash(want.LookupHash)
		if err != nil {
			t.Fatalf("GetAPIKeyByHash(%s): %v", want.ID, err)
		}
		diff(t, "key by hash", want, got)
	}
	_, err := byHash([]byte("no such hash"))
	wantErr(t, "unknown hash", err, store.ErrNotFound)

	dup := SampleAPIKey("k3")
	dup.LookupHash = k1.LookupHash
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateAPIKey(ctx, dup) })
	wantErr(t, "create with taken hash", err, store.ErrConflict)

	steal := SampleAPIKey("k2")
	steal.LookupHash = k1.LookupHash
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateAPIKey(ctx, steal) })
	wantErr(t, "update to taken hash", err, store.ErrConflict)

	rotated := SampleAPIKey("k1")
	rotated.LookupHash = []byte("rotated hash")
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateAPIKey(ctx, rotated) })
	_, err = byHash(k1.LookupHash)
	wantErr(t, "old hash after rotation", err, store.ErrNotFound)
	got, err := byHash(rotated.LookupHash)
	if err != nil {
		t.Fatalf("new hash after rotation: %v", err)
	}
	diff(t, "rotated key", rotated, got)

	// The old hash is free for another key now.
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateAPIKey(ctx, dup) })
}

func testMissingParents(t *testing.T, s store.Store) {
	tests := []struct {
		name string
		fn   func(context.Context, store.Tx) error
	}{
		{"CreateDeployment", func(ctx context.Context, tx store.Tx) error {
			return tx.CreateDeployment(ctx, SampleDeployment("nope", "d1"))
		}},
		{"CreateStage", func(ctx context.Context, tx store.Tx) error {
			return tx.CreateStage(ctx, SampleStage("nope", "prod", "d1"))
		}},
		{"AddUsagePlanKey/plan", func(ctx context.Context, tx store.Tx) error {
			return tx.AddUsagePlanKey(ctx, "nope", "k1")
		}},
		{"AddUsagePlanKey/key", func(ctx context.Context, tx store.Tx) error {
			return tx.AddUsagePlanKey(ctx, "p1", "nope")
		}},
		{"SetQuotaAdjustment", func(ctx context.Context, tx store.Tx) error {
			return tx.SetQuotaAdjustment(ctx, store.QuotaAdjustment{PlanID: "nope", KeyID: "k1", PeriodStart: day(1), Delta: 1})
		}},
		{"RemoveUsagePlanKey", func(ctx context.Context, tx store.Tx) error {
			return tx.RemoveUsagePlanKey(ctx, "p1", "k2")
		}},
	}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return errors.Join(
			tx.CreateUsagePlan(ctx, SampleUsagePlan("p1")),
			tx.CreateAPIKey(ctx, SampleAPIKey("k1")),
			tx.CreateAPIKey(ctx, SampleAPIKey("k2")))
	})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, tc.name, updateErr(t, s, tc.fn), store.ErrNotFound)
		})
	}

	view(t, s, func(ctx context.Context, r store.Reader) error {
		ds, next, err := r.ListDeployments(ctx, "nope", store.Page{})
		if err != nil || len(ds) != 0 || next != "" {
			t.Errorf("ListDeployments(missing api) = %d items, %q, %v; want none", len(ds), next, err)
		}
		ks, next, err := r.ListUsagePlanKeys(ctx, "nope", store.Page{})
		if err != nil || len(ks) != 0 || next != "" {
			t.Errorf("ListUsagePlanKeys(missing plan) = %d items, %q, %v; want none", len(ks), next, err)
		}
		ss, err := r.ListStages(ctx, "nope")
		if err != nil || len(ss) != 0 {
			t.Errorf("ListStages(missing api) = %d items, %v; want none", len(ss), err)
		}
		return nil
	})
}

// lister creates items with given ids, in order, and lists their ids.
type lister struct {
	name   string
	create func(ctx context.Context, tx store.Tx, ids []string) error
	list   func(ctx context.Context, r store.Reader, p store.Page) ([]string, string, error)
	del    func(ctx context.Context, tx store.Tx, id string) error
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

var listers = []lister{
	{
		name: "APIs",
		create: func(ctx context.Context, tx store.Tx, ids []string) error {
			for _, id := range ids {
				if err := tx.CreateAPI(ctx, SampleAPI(id)); err != nil {
					return err
				}
			}
			return nil
		},
		list: func(ctx context.Context, r store.Reader, p store.Page) ([]string, string, error) {
			items, next, err := r.ListAPIs(ctx, p)
			return ids(items, next, err)(func(a *apigw.RestAPI) string { return a.ID })
		},
		del: func(ctx context.Context, tx store.Tx, id string) error { return tx.DeleteAPI(ctx, id) },
	},
	{
		name: "Deployments",
		create: func(ctx context.Context, tx store.Tx, ids []string) error {
			if err := errors.Join(tx.CreateAPI(ctx, SampleAPI("a")), tx.CreateAPI(ctx, SampleAPI("other"))); err != nil {
				return err
			}
			for _, id := range ids {
				// Deployments of another API interleave and must not show.
				if err := errors.Join(
					tx.CreateDeployment(ctx, SampleDeployment("a", id)),
					tx.CreateDeployment(ctx, SampleDeployment("other", id))); err != nil {
					return err
				}
			}
			return nil
		},
		list: func(ctx context.Context, r store.Reader, p store.Page) ([]string, string, error) {
			items, next, err := r.ListDeployments(ctx, "a", p)
			return ids(items, next, err)(func(d *apigw.Deployment) string { return d.ID })
		},
		del: func(ctx context.Context, tx store.Tx, id string) error { return tx.DeleteDeployment(ctx, "a", id) },
	},
	{
		name: "APIKeys",
		create: func(ctx context.Context, tx store.Tx, ids []string) error {
			for _, id := range ids {
				if err := tx.CreateAPIKey(ctx, SampleAPIKey(id)); err != nil {
					return err
				}
			}
			return nil
		},
		list: func(ctx context.Context, r store.Reader, p store.Page) ([]string, string, error) {
			items, next, err := r.ListAPIKeys(ctx, store.KeyFilter{}, p)
			return ids(items, next, err)(func(k *apigw.APIKey) string { return k.ID })
		},
		del: func(ctx context.Context, tx store.Tx, id string) error { return tx.DeleteAPIKey(ctx, id) },
	},
	{
		name: "UsagePlans",
		create: func(ctx context.Context, tx store.Tx, ids []string) error {
			for _, id := range ids {
				if err := tx.CreateUsagePlan(ctx, SampleUsagePlan(id)); err != nil {
					return err
				}
			}
			return nil
		},
		list: func(ctx context.Context, r store.Reader, p store.Page) ([]string, string, error) {
			items, next, err := r.ListUsagePlans(ctx, store.PlanFilter{}, p)
			return ids(items, next, err)(func(p *apigw.UsagePlan) string { return p.ID })
		},
		del: func(ctx context.Context, tx store.Tx, id string) error { return tx.DeleteUsagePlan(ctx, id) },
	},
	{
		name: "UsagePlanKeys",
		create: func(ctx context.Context, tx store.Tx, ids []string) error {
			// Keys are created in sorted order but added to the plan in
			// the given order, which is the order to list.
			if err := errors.Join(tx.CreateUsagePlan(ctx, SampleUsagePlan("p")), tx.CreateUsagePlan(ctx, SampleUsagePlan("q"))); err != nil {
				return err
			}
			for _, id := range slices.Sorted(slices.Values(ids)) {
				if err := tx.CreateAPIKey(ctx, SampleAPIKey(id)); err != nil {
					return err
				}
			}
			for _, id := range ids {
				if err := errors.Join(tx.AddUsagePlanKey(ctx, "p", id), tx.AddUsagePlanKey(ctx, "q", id)); err != nil {
					return err
				}
			}
			return nil
		},
		list: func(ctx context.Context, r store.Reader, p store.Page) ([]string, string, error) {
			items, next, err := r.ListUsagePlanKeys(ctx, "p", p)
			return ids(items, next, err)(func(k *apigw.APIKey) string { return k.ID })
		},
		del: func(ctx context.Context, tx store.Tx, id string) error { return tx.RemoveUsagePlanKey(ctx, "p", id) },
	},
}

func testPagination(t *testing.T, s store.Store) {
	for _, l := range listers {
		t.Run(l.name, func(t *testing.T) {
			// The listers share the store: prefix the ids to keep them apart.
			var created []string
			for _, i := range []int{3, 0, 6, 1, 5, 2, 4} {
				created = append(created, fmt.Sprintf("%s-%d", l.name, i))
			}
			update(t, s, func(ctx context.Context, tx store.Tx) error { return l.create(ctx, tx, created) })
			list := func(p store.Page) ([]string, string) {
				t.Helper()
				var (
					got  []string
					next string
				)
				view(t, s, func(ctx context.Context, r store.Reader) (err error) {
					got, next, err = l.list(ctx, r, p)
					return err
				})
				return got, next
			}

			// Whole list at the default and at an exact limit: no next page.
			for _, limit := range []int{0, 7, 1000} {
				got, next := list(store.Page{Limit: limit})
				diff(t, fmt.Sprintf("limit %d", limit), created, got)
				if next != "" {
					t.Errorf("limit %d: next position %q, want none", limit, next)
				}
			}

			// Pages of 3: 3, 3, 1.
			var (
				pages [][]string
				pos   string
			)
			for i := 0; ; i++ {
				if i > 3 {
					t.Fatalf("more than 3 pages: %v", pages)
				}
				got, next := list(store.Page{Position: pos, Limit: 3})
				pages = append(pages, got)
				if next == "" {
					break
				}
				if next == pos {
					t.Fatalf("position %q did not advance", next)
				}
				pos = next
			}
			diff(t, "pages", [][]string{created[0:3], created[3:6], created[6:]}, pages)

			// A position survives the deletion of the item it follows.
			_, next := list(store.Page{Limit: 3})
			update(t, s, func(ctx context.Context, tx store.Tx) error { return l.del(ctx, tx, created[2]) })
			got, _ := list(store.Page{Position: next, Limit: 3})
			diff(t, "page after deleting the previous page's last item", created[3:6], got)

			for _, bad := range []string{"garbage", "!!!", "djE6", "djE6LTE", "djI6NQ"} {
				err := viewErr(t, s, func(ctx context.Context, r store.Reader) error {
					_, _, err := l.list(ctx, r, store.Page{Position: bad})
					return err
				})
				wantErr(t, "position "+bad, err, store.ErrBadPosition)
			}
		})
	}
}

func testUpdateKeepsOrder(t *testing.T, s store.Store) {
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, id := range []string{"b", "a", "c"} {
			if err := errors.Join(
				tx.CreateAPI(ctx, SampleAPI(id)),
				tx.CreateAPIKey(ctx, SampleAPIKey(id)),
				tx.CreateUsagePlan(ctx, SampleUsagePlan(id))); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return errors.Join(
			tx.UpdateAPI(ctx, SampleAPI("b")),
			tx.UpdateAPIKey(ctx, SampleAPIKey("b")),
			tx.UpdateUsagePlan(ctx, SampleUsagePlan("b")))
	})
	want := []string{"b", "a", "c"}
	view(t, s, func(ctx context.Context, r store.Reader) error {
		got, _, err := ids(r.ListAPIs(ctx, store.Page{}))(func(a *apigw.RestAPI) string { return a.ID })
		if err != nil {
			return err
		}
		diff(t, "APIs", want, got)
		got, _, err = ids(r.ListAPIKeys(ctx, store.KeyFilter{}, store.Page{}))(func(k *apigw.APIKey) string { return k.ID })
		if err != nil {
			return err
		}
		diff(t, "keys", want, got)
		got, _, err = ids(r.ListUsagePlans(ctx, store.PlanFilter{}, store.Page{}))(func(p *apigw.UsagePlan) string { return p.ID })
		if err != nil {
			return err
		}
		diff(t, "plans", want, got)
		return nil
	})
}

func testListStages(t *testing.T, s store.Store) {
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return errors.Join(
			tx.CreateAPI(ctx, SampleAPI("a1")),
			tx.CreateAPI(ctx, SampleAPI("a2")),
			tx.CreateStage(ctx, SampleStage("a1", "prod", "d1")),
			tx.CreateStage(ctx, SampleStage("a2", "prod", "d1")),
			tx.CreateStage(ctx, SampleStage("a1", "dev", "d1")),
			tx.CreateStage(ctx, SampleStage("a1", "beta", "d1")))
	})
	err := updateErr(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateStage(ctx, SampleStage("a1", "prod", "d2"))
	})
	wantErr(t, "duplicate stage name", err, store.ErrConflict)

	tests := []struct {
		apiID string
		want  []string
	}{
		{"a1", []string{"a1/prod", "a1/dev", "a1/beta"}},
		{"a2", []string{"a2/prod"}},
		{"", []string{"a1/prod", "a2/prod", "a1/dev", "a1/beta"}},
	}
	for _, tc := range tests {
		view(t, s, func(ctx context.Context, r store.Reader) error {
			stages, err := r.ListStages(ctx, tc.apiID)
			if err != nil {
				return err
			}
			var got []string
			for _, st := range stages {
				got = append(got, st.APIID+"/"+st.Name)
			}
			diff(t, "ListStages("+tc.apiID+")", tc.want, got)
			return nil
		})
	}
}

func testKeyFilter(t *testing.T, s store.Store) {
	keys := []struct{ id, name, customer string }{
		{"k1", "Alpha1", "c1"},
		{"k2", "alpha2", "c1"},
		{"k3", "Alphabet", "c2"},
		{"k4", "Beta", "c1"},
		{"k5", "Al%pha", "c2"},
		{"k6", "Al_x", "c2"},
		{"k7", "Alpha7", "c1"},
	}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, k := range keys {
			v := SampleAPIKey(k.id)
			v.Name, v.CustomerID = k.name, k.customer
			if err := tx.CreateAPIKey(ctx, v); err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct {
		name   string
		filter store.KeyFilter
		want   []string
	}{
		{"none", store.KeyFilter{}, []string{"k1", "k2", "k3", "k4", "k5", "k6", "k7"}},
		{"prefix is case-sensitive", store.KeyFilter{NamePrefix: "Alpha"}, []string{"k1", "k3", "k7"}},
		{"lower-case prefix", store.KeyFilter{NamePrefix: "alpha"}, []string{"k2"}},
		{"percent is literal", store.KeyFilter{NamePrefix: "Al%"}, []string{"k5"}},
		{"underscore is literal", store.KeyFilter{NamePrefix: "Al_"}, []string{"k6"}},
		{"whole name", store.KeyFilter{NamePrefix: "Beta"}, []string{"k4"}},
		{"longer than names", store.KeyFilter{NamePrefix: "Alphabetical"}, nil},
		{"customer", store.KeyFilter{CustomerID: "c2"}, []string{"k3", "k5", "k6"}},
		{"customer is exact", store.KeyFilter{CustomerID: "c"}, nil},
		{"both", store.KeyFilter{NamePrefix: "Alpha", CustomerID: "c1"}, []string{"k1", "k7"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Page one item at a time so that filtering and positions combine.
			var got []string
			pos := ""
			for i := 0; ; i++ {
				if i > len(keys) {
					t.Fatalf("pagination does not end: %v", got)
				}
				var (
					page []string
					next string
				)
				view(t, s, func(ctx context.Context, r store.Reader) (err error) {
					page, next, err = ids(r.ListAPIKeys(ctx, tc.filter, store.Page{Position: pos, Limit: 1}))(
						func(k *apigw.APIKey) string { return k.ID })
					return err
				})
				got = append(got, page...)
				if next == "" {
					break
				}
				pos = next
			}
			diff(t, "keys", tc.want, got)
		})
	}
}

func testPlanFilter(t *testing.T, s store.Store) {
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, id := range []string{"p1", "p2", "p3", "p4"} {
			if err := tx.CreateUsagePlan(ctx, SampleUsagePlan(id)); err != nil {
				return err
			}
		}
		return errors.Join(
			tx.CreateAPIKey(ctx, SampleAPIKey("k1")),
			tx.CreateAPIKey(ctx, SampleAPIKey("k2")),
			tx.AddUsagePlanKey(ctx, "p3", "k1"),
			tx.AddUsagePlanKey(ctx, "p1", "k1"),
			tx.AddUsagePlanKey(ctx, "p4", "k1"),
			tx.AddUsagePlanKey(ctx, "p2", "k2"))
	})
	tests := []struct {
		keyID string
		want  []string
	}{
		{"", []string{"p1", "p2", "p3", "p4"}},
		{"k1", []string{"p1", "p3", "p4"}}, // plan order, not the order added
		{"k2", []string{"p2"}},
		{"nope", nil},
	}
	for _, tc := range tests {
		var (
			first, rest []string
			next        string
		)
		view(t, s, func(ctx context.Context, r store.Reader) (err error) {
			f := store.PlanFilter{KeyID: tc.keyID}
			first, next, err = ids(r.ListUsagePlans(ctx, f, store.Page{Limit: 2}))(func(p *apigw.UsagePlan) string { return p.ID })
			if err != nil || next == "" {
				return err
			}
			rest, next, err = ids(r.ListUsagePlans(ctx, f, store.Page{Position: next, Limit: 2}))(func(p *apigw.UsagePlan) string { return p.ID })
			if next != "" {
				t.Errorf("key %q: third page expected none, position %q", tc.keyID, next)
			}
			return err
		})
		diff(t, "plans of key "+tc.keyID, tc.want, append(first, rest...))
	}
}

func testUsagePlanKeys(t *testing.T, s store.Store) {
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return errors.Join(
			tx.CreateUsagePlan(ctx, SampleUsagePlan("p1")),
			tx.CreateUsagePlan(ctx, SampleUsagePlan("p2")),
			tx.CreateAPIKey(ctx, SampleAPIKey("k1")),
			tx.CreateAPIKey(ctx, SampleAPIKey("k2")),
			tx.AddUsagePlanKey(ctx, "p1", "k2"),
			tx.AddUsagePlanKey(ctx, "p1", "k1"),
			tx.AddUsagePlanKey(ctx, "p2", "k1"))
	})
	err := updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.AddUsagePlanKey(ctx, "p1", "k1") })
	wantErr(t, "adding a key twice", err, store.ErrConflict)

	type state struct {
		Has      map[string]bool
		P1Keys   []*apigw.APIKey
		PlansOf1 []string
		PlansOf2 []string
	}
	read := func() state {
		st := state{Has: map[string]bool{}}
		view(t, s, func(ctx context.Context, r store.Reader) (err error) {
			for _, pk := range [][2]string{{"p1", "k1"}, {"p1", "k2"}, {"p2", "k1"}, {"p2", "k2"}} {
				has, err := r.HasUsagePlanKey(ctx, pk[0], pk[1])
				if err != nil {
					return err
				}
				st.Has[pk[0]+"/"+pk[1]] = has
			}
			if st.P1Keys, _, err = r.ListUsagePlanKeys(ctx, "p1", store.Page{}); err != nil {
				return err
			}
			if st.PlansOf1, err = r.ListUsagePlanIDsForKey(ctx, "k1"); err != nil {
				return err
			}
			st.PlansOf2, err = r.ListUsagePlanIDsForKey(ctx, "k2")
			return err
		})
		return st
	}
	diff(t, "after adding", state{
		Has:      map[string]bool{"p1/k1": true, "p1/k2": true, "p2/k1": true, "p2/k2": false},
		P1Keys:   []*apigw.APIKey{SampleAPIKey("k2"), SampleAPIKey("k1")},
		PlansOf1: []string{"p1", "p2"},
		PlansOf2: []string{"p1"},
	}, read())

	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.RemoveUsagePlanKey(ctx, "p1", "k2") })
	diff(t, "after removing", state{
		Has:      map[string]bool{"p1/k1": true, "p1/k2": false, "p2/k1": true, "p2/k2": false},
		P1Keys:   []*apigw.APIKey{SampleAPIKey("k1")},
		PlansOf1: []string{"p1", "p2"},
		PlansOf2: nil,
	}, read())
	err = updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.RemoveUsagePlanKey(ctx, "p1", "k2") })
	wantErr(t, "removing a key twice", err, store.ErrNotFound)
}

// hasChange reports whether changes contain c, ignoring the revision.
func hasChange(changes []store.Change, c store.Change) bool {
	return slices.ContainsFunc(changes, func(x store.Change) bool {
		x.Revision = 0
		return x == c
	})
}

// changesOf commits fn and returns the changes it published.
func changesOf(t *testing.T, s store.Store, fn func(context.Context, store.Tx) error) []store.Change {
	t.Helper()
	ch := subscribe(t, s)
	update(t, s, fn)
	// Commit a marker to know where fn's changes end.
	marker := store.Change{Kind: store.KindAPIKey, Op: store.OpPut, ID: "end-marker"}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateAPIKey(ctx, SampleAPIKey(marker.ID))
	})
	var out []store.Change
	for {
		c := recv(t, ch)
		if c.Kind == store.KindResync {
			t.Fatal("unexpected resync")
		}
		if x := c; x.Revision != 0 {
			x.Revision = 0
			if x == marker {
				return out
			}
		}
		out = append(out, c)
	}
}

// planStages returns the "api/stage" entries of every plan.
func planStages(t *testing.T, s store.Store) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	view(t, s, func(ctx context.Context, r store.Reader) error {
		plans, _, err := r.ListUsagePlans(ctx, store.PlanFilter{}, store.Page{Limit: 500})
		for _, p := range plans {
			out[p.ID] = []string{}
			for _, st := range p.APIStages {
				out[p.ID] = append(out[p.ID], st.APIID+"/"+st.Stage)
			}
		}
		return err
	})
	return out
}

// cascadeFixture creates APIs a1 (deployment d1, stages s1 and s2) and a2
// (deployment d1, stage s1), and plans p1 (a1/s1, a1/s2, a2/s1), p2 (a2/s1)
// and p3 (a1/s2).
func cascadeFixture(ctx context.Context, tx store.Tx) error {
	return errors.Join(
		tx.CreateAPI(ctx, SampleAPI("a1")),
		tx.CreateAPI(ctx, SampleAPI("a2")),
		tx.CreateDeployment(ctx, SampleDeployment("a1", "d1")),
		tx.CreateDeployment(ctx, SampleDeployment("a2", "d1")),
		tx.CreateStage(ctx, SampleStage("a1", "s1", "d1")),
		tx.CreateStage(ctx, SampleStage("a1", "s2", "d1")),
		tx.CreateStage(ctx, SampleStage("a2", "s1", "d1")),
		tx.CreateUsagePlan(ctx, SampleUsagePlan("p1",
			SampleAPIStage("a1", "s1"), SampleAPIStage("a1", "s2"), SampleAPIStage("a2", "s1"))),
		tx.CreateUsagePlan(ctx, SampleUsagePlan("p2", SampleAPIStage("a2", "s1"))),
		tx.CreateUsagePlan(ctx, SampleUsagePlan("p3", SampleAPIStage("a1", "s2"))),
	)
}

func testDeleteAPICascade(t *testing.T, s store.Store) {
	update(t, s, cascadeFixture)
	changes := changesOf(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteAPI(ctx, "a1") })
	for _, want := range []store.Change{
		{Kind: store.KindAPI, Op: store.OpDelete, ID: "a1"},
		{Kind: store.KindUsagePlan, Op: store.OpPut, ID: "p1"},
		{Kind: store.KindUsagePlan, Op: store.OpPut, ID: "p3"},
	} {
		if !hasChange(changes, want) {
			t.Errorf("changes %+v lack %+v", changes, want)
		}
	}
	if hasChange(changes, store.Change{Kind: store.KindUsagePlan, Op: store.OpPut, ID: "p2"}) {
		t.Errorf("changes %+v include unchanged plan p2", changes)
	}
	diff(t, "plan stages", map[string][]string{"p1": {"a2/s1"}, "p2": {"a2/s1"}, "p3": {}}, planStages(t, s))

	view(t, s, func(ctx context.Context, r store.Reader) error {
		_, err := r.GetDeployment(ctx, "a1", "d1")
		wantErr(t, "deployment of deleted api", err, store.ErrNotFound)
		_, err = r.GetStage(ctx, "a1", "s1")
		wantErr(t, "stage of deleted api", err, store.ErrNotFound)
		if _, err := r.GetDeployment(ctx, "a2", "d1"); err != nil {
			t.Errorf("deployment of other api: %v", err)
		}
		stages, err := r.ListStages(ctx, "")
		if err != nil {
			return err
		}
		if len(stages) != 1 || stages[0].APIID != "a2" {
			t.Errorf("stages left: %+v, want a2/s1 only", stages)
		}
		return nil
	})
	// A new API with the same id starts empty.
	update(t, s, createAPI("a1"))
	view(t, s, func(ctx context.Context, r store.Reader) error {
		ds, _, err := r.ListDeployments(ctx, "a1", store.Page{})
		if len(ds) != 0 {
			t.Errorf("recreated api has %d deployments", len(ds))
		}
		return err
	})
}

func testDeleteStageCascade(t *testing.T, s store.Store) {
	update(t, s, cascadeFixture)
	changes := changesOf(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteStage(ctx, "a1", "s2") })
	for _, want := range []store.Change{
		{Kind: store.KindStage, Op: store.OpDelete, APIID: "a1", ID: "s2"},
		{Kind: store.KindUsagePlan, Op: store.OpPut, ID: "p1"},
		{Kind: store.KindUsagePlan, Op: store.OpPut, ID: "p3"},
	} {
		if !hasChange(changes, want) {
			t.Errorf("changes %+v lack %+v", changes, want)
		}
	}
	if hasChange(changes, store.Change{Kind: store.KindUsagePlan, Op: store.OpPut, ID: "p2"}) {
		t.Errorf("changes %+v include unchanged plan p2", changes)
	}
	diff(t, "plan stages", map[string][]string{"p1": {"a1/s1", "a2/s1"}, "p2": {"a2/s1"}, "p3": {}}, planStages(t, s))
	// The per-method throttles of the stages that stay are kept.
	view(t, s, func(ctx context.Context, r store.Reader) error {
		p, err := r.GetUsagePlan(ctx, "p1")
		if err != nil {
			return err
		}
		diff(t, "p1", SampleUsagePlan("p1", SampleAPIStage("a1", "s1"), SampleAPIStage("a2", "s1")), p)
		return nil
	})
}

func testDeleteAPIKeyCascade(t *testing.T, s store.Store) {
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return errors.Join(
			tx.CreateUsagePlan(ctx, SampleUsagePlan("p1")),
			tx.CreateUsagePlan(ctx, SampleUsagePlan("p2")),
			tx.CreateAPIKey(ctx, SampleAPIKey("k1")),
			tx.CreateAPIKey(ctx, SampleAPIKey("k2")),
			tx.AddUsagePlanKey(ctx, "p1", "k1"),
			tx.AddUsagePlanKey(ctx, "p2", "k1"),
			tx.AddUsagePlanKey(ctx, "p1", "k2"))
	})
	changes := changesOf(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteAPIKey(ctx, "k1") })
	if !hasChange(changes, store.Change{Kind: store.KindAPIKey, Op: store.OpDelete, ID: "k1"}) {
		t.Errorf("changes %+v lack the key's delete", changes)
	}
	// Recreating the key must not bring its memberships back.
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateAPIKey(ctx, SampleAPIKey("k1")) })
	view(t, s, func(ctx context.Context, r store.Reader) error {
		for _, p := range []string{"p1", "p2"} {
			has, err := r.HasUsagePlanKey(ctx, p, "k1")
			if err != nil || has {
				t.Errorf("HasUsagePlanKey(%s, k1) = %v, %v; want false", p, has, err)
			}
		}
		plans, err := r.ListUsagePlanIDsForKey(ctx, "k1")
		if err != nil || len(plans) != 0 {
			t.Errorf("ListUsagePlanIDsForKey(k1) = %v, %v; want none", plans, err)
		}
		keys, _, err := ids(r.ListUsagePlanKeys(ctx, "p1", store.Page{}))(func(k *apigw.APIKey) string { return k.ID })
		if err != nil {
			return err
		}
		diff(t, "keys of p1", []string{"k2"}, keys)
		byKey, _, err := r.ListUsagePlans(ctx, store.PlanFilter{KeyID: "k1"}, store.Page{})
		if err != nil || len(byKey) != 0 {
			t.Errorf("ListUsagePlans(key k1) = %d plans, %v; want none", len(byKey), err)
		}
		return nil
	})
}

// day returns midnight UTC of day d of May 2026.
func day(d int) time.Time { return time.Date(2026, 5, d, 0, 0, 0, 0, time.UTC) }

func testDeleteUsagePlanCascade(t *testing.T, s store.Store) {
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return errors.Join(
			tx.CreateUsagePlan(ctx, SampleUsagePlan("p1")),
			tx.CreateUsagePlan(ctx, SampleUsagePlan("p2")),
			tx.CreateAPIKey(ctx, SampleAPIKey("k1")),
			tx.AddUsagePlanKey(ctx, "p1", "k1"),
			tx.AddUsagePlanKey(ctx, "p2", "k1"),
			tx.AddUsage(ctx, []store.UsageRecord{
				{PlanID: "p1", KeyID: "k1", Day: day(1), Count: 5},
				{PlanID: "p2", KeyID: "k1", Day: day(1), Count: 7},
			}),
			tx.SetQuotaAdjustment(ctx, store.QuotaAdjustment{PlanID: "p1", KeyID: "k1", PeriodStart: day(1), Delta: 3}),
			tx.SetQuotaAdjustment(ctx, store.QuotaAdjustment{PlanID: "p2", KeyID: "k1", PeriodStart: day(1), Delta: 4}))
	})
	changes := changesOf(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteUsagePlan(ctx, "p1") })
	if !hasChange(changes, store.Change{Kind: store.KindUsagePlan, Op: store.OpDelete, ID: "p1"}) {
		t.Errorf("changes %+v lack the plan's delete", changes)
	}
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateUsagePlan(ctx, SampleUsagePlan("p1")) })

	type state struct {
		P1Keys, PlansOfK1 []string
		Usage1, Usage2    []store.UsageRecord
		Adj1, Adj2        []store.QuotaAdjustment
	}
	var got state
	view(t, s, func(ctx context.Context, r store.Reader) (err error) {
		if got.P1Keys, _, err = ids(r.ListUsagePlanKeys(ctx, "p1", store.Page{}))(func(k *apigw.APIKey) string { return k.ID }); err != nil {
			return err
		}
		if got.PlansOfK1, err = r.ListUsagePlanIDsForKey(ctx, "k1"); err != nil {
			return err
		}
		if got.Usage1, err = r.ListUsage(ctx, "p1", "", day(1), day(31)); err != nil {
			return err
		}
		if got.Usage2, err = r.ListUsage(ctx, "p2", "", day(1), day(31)); err != nil {
			return err
		}
		if got.Adj1, err = r.ListQuotaAdjustments(ctx, "p1", ""); err != nil {
			return err
		}
		got.Adj2, err = r.ListQuotaAdjustments(ctx, "p2", "")
		return err
	})
	diff(t, "after deleting and recreating p1", state{
		P1Keys:    []string{},
		PlansOfK1: []string{"p2"},
		Usage2:    []store.UsageRecord{{PlanID: "p2", KeyID: "k1", Day: day(1), Count: 7}},
		Adj2:      []store.QuotaAdjustment{{PlanID: "p2", KeyID: "k1", PeriodStart: day(1), Delta: 4}},
	}, got)
}

func testUsage(t *testing.T, s store.Store) {
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return errors.Join(tx.CreateUsagePlan(ctx, SampleUsagePlan("p1")), tx.CreateUsagePlan(ctx, SampleUsagePlan("p2")))
	})
	add := func(records ...store.UsageRecord) {
		t.Helper()
		update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.AddUsage(ctx, records) })
	}
	add(
		store.UsageRecord{PlanID: "p1", KeyID: "k1", Day: day(1), Count: 1},
		store.UsageRecord{PlanID: "p1", KeyID: "k1", Day: day(1), Count: 2}, // same row, same batch
		store.UsageRecord{PlanID: "p1", KeyID: "k2", Day: day(1), Count: 10},
		store.UsageRecord{PlanID: "p1", KeyID: "k1", Day: day(3), Count: 4},
		store.UsageRecord{PlanID: "p2", KeyID: "k1", Day: day(2), Count: 100},
		store.UsageRecord{PlanID: "p1", KeyID: "k3", Day: day(2), Count: 0},
	)
	add(
		store.UsageRecord{PlanID: "p1", KeyID: "k1", Day: day(1), Count: 5},
		store.UsageRecord{PlanID: "p1", KeyID: "k2", Day: day(2), Count: 20},
		store.UsageRecord{PlanID: "p1", KeyID: "k1", Day: day(4), Count: 8},
	)
	rec := func(key string, d int, n int64) store.UsageRecord {
		return store.UsageRecord{PlanID: "p1", KeyID: key, Day: day(d), Count: n}
	}
	tests := []struct {
		name     string
		planID   string
		keyID    string
		from, to time.Time
		want     []store.UsageRecord
	}{
		{"all keys", "p1", "", day(1), day(4), []store.UsageRecord{
			rec("k1", 1, 8), rec("k1", 3, 4), rec("k1", 4, 8), rec("k2", 1, 10), rec("k2", 2, 20)}},
		{"one key", "p1", "k1", day(1), day(31), []store.UsageRecord{rec("k1", 1, 8), rec("k1", 3, 4), rec("k1", 4, 8)}},
		{"inclusive range", "p1", "", day(2), day(3), []store.UsageRecord{rec("k1", 3, 4), rec("k2", 2, 20)}},
		{"one day", "p1", "k2", day(2), day(2), []store.UsageRecord{rec("k2", 2, 20)}},
		{"times within the days", "p1", "k1", day(3).Add(13 * time.Hour), day(4).Add(23 * time.Hour), []store.UsageRecord{rec("k1", 3, 4), rec("k1", 4, 8)}},
		{"other plan", "p2", "", day(1), day(31), []store.UsageRecord{{PlanID: "p2", KeyID: "k1", Day: day(2), Count: 100}}},
		{"empty range", "p1", "", day(5), day(31), nil},
		{"zero counts omitted", "p1", "k3", day(1), day(31), nil},
	}
	for _, tc := range tests {
		view(t, s, func(ctx context.Context, r store.Reader) error {
			got, err := r.ListUsage(ctx, tc.planID, tc.keyID, tc.from, tc.to)
			if err != nil {
				return err
			}
			// The order of records is not part of the contract.
			slices.SortFunc(got, func(a, b store.UsageRecord) int {
				if c := cmpString(a.KeyID, b.KeyID); c != 0 {
					return c
				}
				return a.Day.Compare(b.Day)
			})
			diff(t, tc.name, tc.want, got)
			for _, u := range got {
				if u.Day.Location() != time.UTC {
					t.Errorf("%s: day %v not in UTC", tc.name, u.Day)
				}
			}
			return nil
		})
	}
}

// cmpString compares strings.
func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func testQuotaAdjustments(t *testing.T, s store.Store) {
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateUsagePlan(ctx, SampleUsagePlan("p1")) })
	set := func(a store.QuotaAdjustment) {
		t.Helper()
		update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.SetQuotaAdjustment(ctx, a) })
	}
	adj := func(key string, d int, delta int64) store.QuotaAdjustment {
		return store.QuotaAdjustment{PlanID: "p1", KeyID: key, PeriodStart: day(d), Delta: delta}
	}
	set(adj("k1", 1, 10))
	set(adj("k1", 1, -3)) // replaces, does not add
	set(adj("k1", 2, 7))
	set(adj("k2", 1, 5))
	tests := []struct {
		keyID string
		want  []store.QuotaAdjustment
	}{
		{"k1", []store.QuotaAdjustment{adj("k1", 1, -3), adj("k1", 2, 7)}},
		{"k2", []store.QuotaAdjustment{adj("k2", 1, 5)}},
		{"", []store.QuotaAdjustment{adj("k1", 1, -3), adj("k1", 2, 7), adj("k2", 1, 5)}},
		{"k3", nil},
	}
	for _, tc := range tests {
		view(t, s, func(ctx context.Context, r store.Reader) error {
			got, err := r.ListQuotaAdjustments(ctx, "p1", tc.keyID)
			if err != nil {
				return err
			}
			slices.SortFunc(got, func(a, b store.QuotaAdjustment) int {
				if c := cmpString(a.KeyID, b.KeyID); c != 0 {
					return c
				}
				return a.PeriodStart.Compare(b.PeriodStart)
			})
			diff(t, "adjustments of key "+tc.keyID, tc.want, got)
			return nil
		})
	}
}

func testRollback(t *testing.T, s store.Store) {
	ch := subscribe(t, s)
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateUsagePlan(ctx, SampleUsagePlan("p0")) })
	recv(t, ch)

	boom := errors.New("boom")
	err := updateErr(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := errors.Join(
			tx.CreateAPI(ctx, SampleAPI("a1")),
			tx.CreateAPIKey(ctx, SampleAPIKey("k1")),
			tx.UpdateUsagePlan(ctx, SampleUsagePlan("p0", SampleAPIStage("a1", "prod"))),
			tx.AddUsagePlanKey(ctx, "p0", "k1"),
			tx.AddUsage(ctx, []store.UsageRecord{{PlanID: "p0", KeyID: "k1", Day: day(1), Count: 1}}),
		); err != nil {
			return err
		}
		// The transaction sees its own writes.
		if _, err := tx.GetAPI(ctx, "a1"); err != nil {
			return err
		}
		return fmt.Errorf("fail on purpose: %w", boom)
	})
	wantErr(t, "Update", err, boom)
	if rev := revision(t, s); rev != 1 {
		t.Errorf("revision after rollback = %d, want 1", rev)
	}
	view(t, s, func(ctx context.Context, r store.Reader) error {
		_, err := r.GetAPI(ctx, "a1")
		wantErr(t, "api after rollback", err, store.ErrNotFound)
		_, err = r.GetAPIKeyByHash(ctx, SampleAPIKey("k1").LookupHash)
		wantErr(t, "key after rollback", err, store.ErrNotFound)
		p, err := r.GetUsagePlan(ctx, "p0")
		if err != nil {
			return err
		}
		diff(t, "plan after rollback", SampleUsagePlan("p0"), p)
		usage, err := r.ListUsage(ctx, "p0", "", day(1), day(31))
		if len(usage) != 0 {
			t.Errorf("usage after rollback: %v", usage)
		}
		return err
	})
	// The next change published is from the next commit.
	update(t, s, createAPI("after"))
	diff(t, "next change", store.Change{Revision: 2, Kind: store.KindAPI, Op: store.OpPut, ID: "after"}, recv(t, ch))
}

func testRevision(t *testing.T, s store.Store) {
	steps := []struct {
		name string
		fn   func(context.Context, store.Tx) error
		want int64
	}{
		{"one write", createAPI("a1"), 1},
		{"several writes", func(ctx context.Context, tx store.Tx) error {
			return errors.Join(
				tx.CreateUsagePlan(ctx, SampleUsagePlan("p1")),
				tx.CreateAPIKey(ctx, SampleAPIKey("k1")),
				tx.AddUsagePlanKey(ctx, "p1", "k1"),
				tx.UpdateAPI(ctx, SampleAPI("a1")))
		}, 2},
		{"usage only", func(ctx context.Context, tx store.Tx) error {
			return errors.Join(
				tx.AddUsage(ctx, []store.UsageRecord{{PlanID: "p1", KeyID: "k1", Day: day(1), Count: 3}}),
				tx.SetQuotaAdjustment(ctx, store.QuotaAdjustment{PlanID: "p1", KeyID: "k1", PeriodStart: day(1), Delta: 2}))
		}, 2},
		{"read only", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.GetAPI(ctx, "a1")
			return err
		}, 2},
		{"nothing", func(context.Context, store.Tx) error { return nil }, 2},
		{"delete", func(ctx context.Context, tx store.Tx) error { return tx.DeleteAPIKey(ctx, "k1") }, 3},
	}
	if rev := revision(t, s); rev != 0 {
		t.Fatalf("revision of an empty store = %d, want 0", rev)
	}
	for _, st := range steps {
		update(t, s, st.fn)
		if rev := revision(t, s); rev != st.want {
			t.Fatalf("after %s: revision = %d, want %d", st.name, rev, st.want)
		}
	}
	err := updateErr(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteAPI(ctx, "nope") })
	wantErr(t, "failed update", err, store.ErrNotFound)
	if rev := revision(t, s); rev != 3 {
		t.Fatalf("after a failed update: revision = %d, want 3", rev)
	}
}

func testSubscribe(t *testing.T, s store.Store) {
	raw, cancel := s.Subscribe()
	ch := flatten(raw)
	other := subscribe(t, s)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return errors.Join(
			tx.CreateAPI(ctx, SampleAPI("a1")),
			tx.CreateDeployment(ctx, SampleDeployment("a1", "d1")),
			tx.CreateStage(ctx, SampleStage("a1", "prod", "d1")),
			tx.CreateAPIKey(ctx, SampleAPIKey("k1")),
			tx.CreateUsagePlan(ctx, SampleUsagePlan("p1")),
			tx.AddUsagePlanKey(ctx, "p1", "k1"),
			tx.AddUsage(ctx, []store.UsageRecord{{PlanID: "p1", KeyID: "k1", Day: day(1), Count: 3}}))
	})
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return errors.Join(
			tx.UpdateStage(ctx, SampleStage("a1", "prod", "d1")),
			tx.RemoveUsagePlanKey(ctx, "p1", "k1"),
			tx.DeleteDeployment(ctx, "a1", "d1"))
	})
	want := []store.Change{
		{Revision: 1, Kind: store.KindAPI, Op: store.OpPut, ID: "a1"},
		{Revision: 1, Kind: store.KindDeployment, Op: store.OpPut, APIID: "a1", ID: "d1"},
		{Revision: 1, Kind: store.KindStage, Op: store.OpPut, APIID: "a1", ID: "prod"},
		{Revision: 1, Kind: store.KindAPIKey, Op: store.OpPut, ID: "k1"},
		{Revision: 1, Kind: store.KindUsagePlan, Op: store.OpPut, ID: "p1"},
		{Revision: 1, Kind: store.KindUsagePlanKey, Op: store.OpPut, ID: "p1", KeyID: "k1"},
		{Revision: 2, Kind: store.KindStage, Op: store.OpPut, APIID: "a1", ID: "prod"},
		{Revision: 2, Kind: store.KindUsagePlanKey, Op: store.OpDelete, ID: "p1", KeyID: "k1"},
		{Revision: 2, Kind: store.KindDeployment, Op: store.OpDelete, APIID: "a1", ID: "d1"},
	}
	diff(t, "changes", want, recvN(t, ch, len(want)))
	diff(t, "changes of a second subscriber", want, recvN(t, other, len(want)))

	cancel()
	cancel() // idempotent
	select {
	case c, ok := <-ch:
		if ok {
			t.Fatalf("received %+v after cancel", c)
		}
	case <-time.After(feedTimeout):
		t.Fatal("channel not closed by cancel")
	}
	// Writes after cancel do not panic and still reach other subscribers.
	update(t, s, createAPI("a2"))
	diff(t, "after cancel", store.Change{Revision: 3, Kind: store.KindAPI, Op: store.OpPut, ID: "a2"}, recv(t, other))
}

func testSlowSubscriber(t *testing.T, s store.Store) {
	const n = 2048 // commits: twice store.Feed's buffer
	ch, cancel := s.Subscribe()
	t.Cleanup(cancel)
	for i := range n {
		update(t, s, func(ctx context.Context, tx store.Tx) error {
			return tx.CreateUsagePlan(ctx, SampleUsagePlan(fmt.Sprint("p", i)))
		})
	}
	// Update has returned, so whatever was delivered is in the buffer.
	got := 0
drain:
	for {
		select {
		case commit := <-ch:
			if commit[0].Kind == store.KindResync {
				break drain
			}
			got++
		default:
			break drain
		}
	}
	if got >= n {
		t.Fatalf("subscriber received all %d commits; the test needs a bigger n", got)
	}
	update(t, s, createAPI("a1"))
	commit := recvCommit(t, ch)
	if len(commit) != 1 || commit[0].Kind != store.KindResync || commit[0].Revision < 1 {
		t.Fatalf("after falling behind got %+v, want a resync", commit)
	}
	// Once resynced, the subscriber receives whole commits again.
	update(t, s, createAPI("a2"))
	for {
		commit := recvCommit(t, ch)
		if c := commit[0]; c.Kind == store.KindAPI && c.ID == "a2" {
			diff(t, "commit after resync", []store.Change{{Revision: n + 2, Kind: store.KindAPI, Op: store.OpPut, ID: "a2"}}, commit)
			break
		}
	}
}

// recvCommit returns the next commit from ch.
func recvCommit(t *testing.T, ch <-chan []store.Change) []store.Change {
	t.Helper()
	select {
	case c, ok := <-ch:
		if !ok {
			t.Fatal("change feed closed")
		}
		return c
	case <-time.After(feedTimeout):
		t.Fatalf("no commit within %v", feedTimeout)
	}
	panic("unreachable")
}

func testConcurrentUpdates(t *testing.T, s store.Store) {
	const writers, each = 8, 10
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				err := updateErr(t, s, func(ctx context.Context, tx store.Tx) error {
					// Read before writing: the pattern that deadlocks or
					// fails with SQLITE_BUSY on a naive read-then-write.
					if _, _, err := tx.ListUsagePlans(ctx, store.PlanFilter{}, store.Page{Limit: 1}); err != nil {
						return err
					}
					return tx.CreateUsagePlan(ctx, SampleUsagePlan(fmt.Sprintf("p-%d-%d", w, i)))
				})
				if err != nil {
					t.Errorf("writer %d update %d: %v", w, i, err)
				}
			}
		})
		wg.Go(func() {
			for range each {
				if _, err := s.Revision(t.Context()); err != nil {
					t.Errorf("reader %d: %v", w, err)
				}
				err := viewErr(t, s, func(ctx context.Context, r store.Reader) error {
					_, _, err := r.ListUsagePlans(ctx, store.PlanFilter{}, store.Page{Limit: 500})
					return err
				})
				if err != nil {
					t.Errorf("reader %d: %v", w, err)
				}
			}
		})
	}
	wg.Wait()
	if rev := revision(t, s); rev != writers*each {
		t.Errorf("revision = %d, want %d", rev, writers*each)
	}
	view(t, s, func(ctx context.Context, r store.Reader) error {
		plans, _, err := r.ListUsagePlans(ctx, store.PlanFilter{}, store.Page{Limit: 500})
		if len(plans) != writers*each {
			t.Errorf("%d plans, want %d", len(plans), writers*each)
		}
		return err
	})
}

func testViewSnapshot(t *testing.T, s store.Store) {
	update(t, s, createAPI("a1"))
	countAPIs := func(ctx context.Context, r store.Reader) int {
		apis, _, err := r.ListAPIs(ctx, store.Page{})
		if err != nil {
			t.Fatalf("ListAPIs: %v", err)
		}
		return len(apis)
	}
	view(t, s, func(ctx context.Context, r store.Reader) error {
		if n := countAPIs(ctx, r); n != 1 {
			t.Fatalf("%d APIs before the concurrent write, want 1", n)
		}
		update(t, s, func(ctx context.Context, tx store.Tx) error {
			return errors.Join(tx.CreateAPI(ctx, SampleAPI("a2")), tx.DeleteAPI(ctx, "a1"))
		})
		if n := countAPIs(ctx, r); n != 1 {
			t.Errorf("%d APIs after a concurrent write, want the snapshot's 1", n)
		}
		if _, err := r.GetAPI(ctx, "a1"); err != nil {
			t.Errorf("GetAPI(a1) in the snapshot: %v", err)
		}
		_, err := r.GetAPI(ctx, "a2")
		wantErr(t, "GetAPI(a2) in the snapshot", err, store.ErrNotFound)
		return nil
	})
	view(t, s, func(ctx context.Context, r store.Reader) error {
		_, err := r.GetAPI(ctx, "a2")
		return err
	})
}

func testReset(t *testing.T, s store.Store) {
	update(t, s, cascadeFixture)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return errors.Join(
			tx.CreateAPIKey(ctx, SampleAPIKey("k1")),
			tx.AddUsagePlanKey(ctx, "p1", "k1"),
			tx.AddUsage(ctx, []store.UsageRecord{{PlanID: "p1", KeyID: "k1", Day: day(1), Count: 3}}),
			tx.SetQuotaAdjustment(ctx, store.QuotaAdjustment{PlanID: "p1", KeyID: "k1", PeriodStart: day(1), Delta: 2}))
	})
	before := revision(t, s)
	ch := subscribe(t, s)
	if err := s.Reset(t.Context()); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	after := revision(t, s)
	if after <= before {
		t.Errorf("revision after reset = %d, want more than %d", after, before)
	}
	diff(t, "published", store.Change{Revision: after, Kind: store.KindResync}, recv(t, ch))

	view(t, s, func(ctx context.Context, r store.Reader) error {
		counts := map[string]int{}
		apis, _, err1 := r.ListAPIs(ctx, store.Page{})
		counts["apis"] = len(apis)
		deps, _, err2 := r.ListDeployments(ctx, "a1", store.Page{})
		counts["deployments"] = len(deps)
		stages, err3 := r.ListStages(ctx, "")
		counts["stages"] = len(stages)
		keys, _, err4 := r.ListAPIKeys(ctx, store.KeyFilter{}, store.Page{})
		counts["keys"] = len(keys)
		plans, _, err5 := r.ListUsagePlans(ctx, store.PlanFilter{}, store.Page{})
		counts["plans"] = len(plans)
		planIDs, err6 := r.ListUsagePlanIDsForKey(ctx, "k1")
		counts["plan keys"] = len(planIDs)
		usage, err7 := r.ListUsage(ctx, "p1", "", day(1), day(31))
		counts["usage"] = len(usage)
		adj, err8 := r.ListQuotaAdjustments(ctx, "p1", "")
		counts["adjustments"] = len(adj)
		_, err9 := r.GetAPIKeyByHash(ctx, SampleAPIKey("k1").LookupHash)
		wantErr(t, "key by hash after reset", err9, store.ErrNotFound)
		diff(t, "counts after reset", map[string]int{
			"apis": 0, "deployments": 0, "stages": 0, "keys": 0, "plans": 0,
			"plan keys": 0, "usage": 0, "adjustments": 0,
		}, counts)
		return errors.Join(err1, err2, err3, err4, err5, err6, err7, err8)
	})
	// Everything can be created again.
	update(t, s, cascadeFixture)
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateAPIKey(ctx, SampleAPIKey("k1")) })
	if rev := revision(t, s); rev != after+2 {
		t.Errorf("revision = %d, want %d", rev, after+2)
	}
}

func testCopies(t *testing.T, s store.Store) {
	api, key, plan := SampleAPI("a1"), SampleAPIKey("k1"), SampleUsagePlan("p1", SampleAPIStage("a1", "prod"))
	stage := SampleStage("a1", "prod", "d1")
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return errors.Join(
			tx.CreateAPI(ctx, api),
			tx.CreateAPIKey(ctx, key),
			tx.CreateUsagePlan(ctx, plan),
			tx.CreateStage(ctx, stage),
			tx.AddUsagePlanKey(ctx, "p1", "k1"))
	})
	// Mutating what was passed in does not change the store.
	api.Name, api.Tags["team"] = "mutated", "mutated"
	key.LookupHash[0] ^= 0xff
	key.SealedValue[0] ^= 0xff
	plan.APIStages[0].Stage = "mutated"
	stage.Variables["backend"] = "mutated"

	type all struct {
		API      *apigw.RestAPI
		Key      *apigw.APIKey
		ListKey  *apigw.APIKey
		PlanKey  *apigw.APIKey
		Plan     *apigw.UsagePlan
		Stage    *apigw.Stage
		ListPlan *apigw.UsagePlan
	}
	read := func() all {
		var a all
		view(t, s, func(ctx context.Context, r store.Reader) (err error) {
			if a.API, err = r.GetAPI(ctx, "a1"); err != nil {
				return err
			}
			if a.Key, err = r.GetAPIKey(ctx, "k1"); err != nil {
				return err
			}
			keys, _, err := r.ListAPIKeys(ctx, store.KeyFilter{}, store.Page{})
			if err != nil || len(keys) != 1 {
				return fmt.Errorf("ListAPIKeys: %d keys, %v", len(keys), err)
			}
			a.ListKey = keys[0]
			planKeys, _, err := r.ListUsagePlanKeys(ctx, "p1", store.Page{})
			if err != nil || len(planKeys) != 1 {
				return fmt.Errorf("ListUsagePlanKeys: %d keys, %v", len(planKeys), err)
			}
			a.PlanKey = planKeys[0]
			if a.Plan, err = r.GetUsagePlan(ctx, "p1"); err != nil {
				return err
			}
			if a.Stage, err = r.GetStage(ctx, "a1", "prod"); err != nil {
				return err
			}
			plans, _, err := r.ListUsagePlans(ctx, store.PlanFilter{}, store.Page{})
			if err != nil || len(plans) != 1 {
				return fmt.Errorf("ListUsagePlans: %d plans, %v", len(plans), err)
			}
			a.ListPlan = plans[0]
			return nil
		})
		return a
	}
	want := all{
		API:      SampleAPI("a1"),
		Key:      SampleAPIKey("k1"),
		ListKey:  SampleAPIKey("k1"),
		PlanKey:  SampleAPIKey("k1"),
		Plan:     SampleUsagePlan("p1", SampleAPIStage("a1", "prod")),
		Stage:    SampleStage("a1", "prod", "d1"),
		ListPlan: SampleUsagePlan("p1", SampleAPIStage("a1", "prod")),
	}
	got := read()
	diff(t, "after mutating the inputs", want, got)

	// Mutating what was returned does not change the store either.
	got.API.Name = "mutated"
	got.API.Resources[got.API.RootResourceID].PathPart = "mutated"
	got.Key.LookupHash[0] ^= 0xff
	got.ListKey.SealedValue[0] ^= 0xff
	got.PlanKey.Tags["owner"] = "mutated"
	got.Plan.APIStages[0].Throttle["/pets/GET"] = apigw.Throttle{}
	got.Stage.MethodSettings["*/*"].LoggingLevel = "mutated"
	got.ListPlan.Quota.Limit = -1
	diff(t, "after mutating the outputs", want, read())
}
