package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

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
	// newestFirst: the list takes Page.NewestFirst (AWS lists API keys
	// and usage-plan keys newest first).
	newestFirst bool
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
		del:         func(ctx context.Context, tx store.Tx, id string) error { return tx.DeleteAPIKey(ctx, id) },
		newestFirst: true,
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
		del:         func(ctx context.Context, tx store.Tx, id string) error { return tx.RemoveUsagePlanKey(ctx, "p", id) },
		newestFirst: true,
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

			if l.newestFirst {
				// The same list newest first: whole, in pages, and a
				// position that survives a deletion.
				want := slices.Concat(created[:2], created[3:])
				slices.Reverse(want)
				got, next := list(store.Page{NewestFirst: true})
				diff(t, "newest first", want, got)
				if next != "" {
					t.Errorf("newest first: next position %q, want none", next)
				}
				first, next := list(store.Page{NewestFirst: true, Limit: 3})
				second, last := list(store.Page{NewestFirst: true, Limit: 3, Position: next})
				diff(t, "newest first in pages of 3", [][]string{want[0:3], want[3:6]}, [][]string{first, second})
				if next == "" || last != "" {
					t.Errorf("newest first in pages of 3: positions %q then %q, want one then none", next, last)
				}
				update(t, s, func(ctx context.Context, tx store.Tx) error { return l.del(ctx, tx, want[2]) })
				got, _ = list(store.Page{NewestFirst: true, Position: next, Limit: 3})
				diff(t, "newest first after deleting the previous page's last item", want[3:6], got)
			}

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
