package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

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
			tx.SetQuotaAdjustment(ctx, store.QuotaAdjustment{PlanID: "p1", KeyID: "k1", PeriodStart: day(1), Delta: 2}),
			tx.CreateDomainName(ctx, SampleDomainName("api.example.com")))
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
		domains, _, err10 := r.ListDomainNames(ctx, store.Page{})
		counts["domain names"] = len(domains)
		_, err9 := r.GetAPIKeyByHash(ctx, SampleAPIKey("k1").LookupHash)
		wantErr(t, "key by hash after reset", err9, store.ErrNotFound)
		diff(t, "counts after reset", map[string]int{
			"apis": 0, "deployments": 0, "stages": 0, "keys": 0, "plans": 0,
			"plan keys": 0, "usage": 0, "adjustments": 0, "domain names": 0,
		}, counts)
		return errors.Join(err1, err2, err3, err4, err5, err6, err7, err8, err10)
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
