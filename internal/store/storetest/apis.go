package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

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
	// p2 holds only a2's stage and is unchanged: no put for it.
	sameChanges(t, "changes of DeleteAPI", []store.Change{
		{Kind: store.KindStage, Op: store.OpDelete, APIID: "a1", ID: "s1"},
		{Kind: store.KindStage, Op: store.OpDelete, APIID: "a1", ID: "s2"},
		{Kind: store.KindDeployment, Op: store.OpDelete, APIID: "a1", ID: "d1"},
		{Kind: store.KindUsagePlan, Op: store.OpPut, ID: "p1"},
		{Kind: store.KindUsagePlan, Op: store.OpPut, ID: "p3"},
		{Kind: store.KindAPI, Op: store.OpDelete, ID: "a1"},
	}, changes)
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
	sameChanges(t, "changes of DeleteStage", []store.Change{
		{Kind: store.KindStage, Op: store.OpDelete, APIID: "a1", ID: "s2"},
		{Kind: store.KindUsagePlan, Op: store.OpPut, ID: "p1"},
		{Kind: store.KindUsagePlan, Op: store.OpPut, ID: "p3"},
	}, changes)
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
