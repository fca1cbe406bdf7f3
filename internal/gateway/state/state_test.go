package state

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/route"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlite"
	"github.com/gatehouse-dev/gatehouse/internal/store/storetest"
)

// seed writes the fixture most tests start from:
//
//   - API a1: deployments d1 (/pets GET) and d2 (also /toys GET); stage prod
//     on d1 with "*/*" and "~1pets/GET" throttles, stage beta on d2.
//   - API a2 (PRIVATE, execute-api endpoint disabled): stage dev on a
//     broken deployment, live on d3 (key source AUTHORIZER), ghost on a
//     deployment that does not exist.
//   - Plans p1 (a1/prod, "/pets/GET" throttle) and p2 (a1/beta,
//     Terraform-style "pets/GET" throttle, no quota).
//   - Keys k1 (enabled, in p1 and p2) and k2 (disabled, stage key a1/prod).
func seed(t *testing.T, db store.Store) {
	t.Helper()
	update(t, db, func(ctx context.Context, tx store.Tx) error {
		a2 := storetest.SampleAPI("a2")
		a2.EndpointConfiguration.Types = []string{apigw.EndpointPrivate}
		a2.DisableExecuteAPIEndpoint = true
		d3 := deployment("a2", "d3")
		d3.Snapshot.APIKeySource = apigw.KeySourceAuthorizer
		prod := storetest.SampleStage("a1", "prod", "d1")
		prod.MethodSettings["~1pets/GET"] = &apigw.MethodSetting{ThrottlingBurstLimit: 7, ThrottlingRateLimit: 3}
		p2 := storetest.SampleUsagePlan("p2", apigw.APIStage{APIID: "a1", Stage: "beta",
			Throttle: map[string]apigw.Throttle{"pets/GET": {BurstLimit: 2, RateLimit: 1}}})
		p2.Quota = nil
		return errors.Join(
			tx.CreateAPI(ctx, storetest.SampleAPI("a1")),
			tx.CreateDeployment(ctx, deployment("a1", "d1")),
			tx.CreateDeployment(ctx, deployment("a1", "d2", "toys")),
			tx.CreateStage(ctx, prod),
			tx.CreateStage(ctx, storetest.SampleStage("a1", "beta", "d2")),
			tx.CreateAPI(ctx, a2),
			tx.CreateDeployment(ctx, brokenDeployment("a2", "bad")),
			tx.CreateDeployment(ctx, d3),
			tx.CreateStage(ctx, storetest.SampleStage("a2", "dev", "bad")),
			tx.CreateStage(ctx, storetest.SampleStage("a2", "live", "d3")),
			tx.CreateStage(ctx, storetest.SampleStage("a2", "ghost", "missing")),
			tx.CreateUsagePlan(ctx, storetest.SampleUsagePlan("p1", storetest.SampleAPIStage("a1", "prod"))),
			tx.CreateUsagePlan(ctx, p2),
			tx.CreateAPIKey(ctx, key("k1", true)),
			tx.CreateAPIKey(ctx, key("k2", false, "a1/prod")),
			tx.AddUsagePlanKey(ctx, "p2", "k1"),
			tx.AddUsagePlanKey(ctx, "p1", "k1"),
		)
	})
}

// apiView and stageView are comparable projections of the state.
type apiView struct {
	ID, Name                           string
	Private, DisableExecuteAPIEndpoint bool
	GatewayResponses                   []string
	Stages                             map[string]stageView
}

type stageView struct {
	Ref, DeploymentID, KeySource string
	Routes                       []string
	Err                          string // "", "compile" or "missing"
	Throttle                     StageThrottle
	AccessLogFormat              string
	Variables                    map[string]string
}

func viewAPI(a *API) *apiView {
	if a == nil {
		return nil
	}
	v := &apiView{ID: a.ID, Name: a.Name, Private: a.Private, DisableExecuteAPIEndpoint: a.DisableExecuteAPIEndpoint,
		Stages: map[string]stageView{}}
	for typ := range a.GatewayResponses {
		v.GatewayResponses = append(v.GatewayResponses, typ)
	}
	for name, st := range a.Stages {
		sv := stageView{Ref: st.Ref, DeploymentID: st.DeploymentID, KeySource: st.KeySource, Routes: routes(st),
			Throttle: st.Throttle, AccessLogFormat: st.AccessLogFormat, Variables: st.Variables}
		switch {
		case st.CompileErr == nil:
		case errors.Is(st.CompileErr, route.ErrMissingParent):
			sv.Err = "compile"
		case errors.Is(st.CompileErr, errNoDeployment):
			sv.Err = "missing"
		default:
			sv.Err = st.CompileErr.Error()
		}
		if (st.Table == nil) != (st.CompileErr != nil) {
			sv.Err += " (Table and CompileErr disagree)"
		}
		v.Stages[name] = sv
	}
	return v
}

var (
	sampleDefault = &apigw.Throttle{BurstLimit: apigw.AccountBurstLimit, RateLimit: apigw.AccountRateLimit}
	sampleVars    = map[string]string{"backend": "https://backend.example"}
	cmpOpts       = cmp.Options{cmpopts.IgnoreUnexported(Key{}), cmpopts.EquateEmpty(), cmpopts.SortSlices(func(a, b string) bool { return a < b })}
)

func TestLoad(t *testing.T) {
	db := openStore(t)
	seed(t, db)
	s := New(db, testLogger(t))
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}

	stage := func(api, name, dep, ks string, rts []string, err string, th StageThrottle) stageView {
		return stageView{Ref: api + "/" + name, DeploymentID: dep, KeySource: ks, Routes: rts, Err: err,
			Throttle: th, AccessLogFormat: "$context.requestId", Variables: sampleVars}
	}
	want := map[string]*apiView{
		"a1": {ID: "a1", Name: "api a1", GatewayResponses: []string{"DEFAULT_4XX"}, Stages: map[string]stageView{
			"prod": stage("a1", "prod", "d1", "HEADER", []string{"GET /pets"}, "",
				StageThrottle{Default: sampleDefault, Methods: map[string]apigw.Throttle{"/pets/GET": {BurstLimit: 7, RateLimit: 3}}}),
			"beta": stage("a1", "beta", "d2", "HEADER", []string{"GET /pets", "GET /toys"}, "", StageThrottle{Default: sampleDefault}),
		}},
		"a2": {ID: "a2", Name: "api a2", Private: true, DisableExecuteAPIEndpoint: true, GatewayResponses: []string{"DEFAULT_4XX"},
			Stages: map[string]stageView{
				"dev":   stage("a2", "dev", "bad", "HEADER", nil, "compile", StageThrottle{Default: sampleDefault}),
				"live":  stage("a2", "live", "d3", "AUTHORIZER", []string{"GET /pets"}, "", StageThrottle{Default: sampleDefault}),
				"ghost": stage("a2", "ghost", "missing", "HEADER", nil, "missing", StageThrottle{Default: sampleDefault}),
			}},
	}
	for id, w := range want {
		if diff := cmp.Diff(w, viewAPI(s.API(id)), cmpOpts); diff != "" {
			t.Errorf("API(%s) mismatch (-want +got):\n%s", id, diff)
		}
	}
	if a := s.API("nope"); a != nil {
		t.Errorf("API(nope) = %+v, want nil", a)
	}

	wantKeys := map[string]*Key{
		"k1": {ID: "k1", Last4: "abcd", Enabled: true, PlanIDs: []string{"p1", "p2"}},
		"k2": {ID: "k2", Last4: "abcd", StageKeys: map[string]bool{"a1/prod": true}},
	}
	for id, w := range wantKeys {
		if diff := cmp.Diff(w, s.Key(hashOf(id)), cmpOpts); diff != "" {
			t.Errorf("Key(hash of %s) mismatch (-want +got):\n%s", id, diff)
		}
		if diff := cmp.Diff(s.Key(hashOf(id)), s.KeyByID(id), cmpOpts); diff != "" {
			t.Errorf("KeyByID(%s) and Key(hash) differ (-hash +id):\n%s", id, diff)
		}
	}
	if k := s.Key(hashOf("k9")); k != nil {
		t.Errorf("Key(unknown hash) = %+v, want nil", k)
	}

	wantPlans := map[string]*Plan{
		"p1": {ID: "p1", Name: "plan p1", Throttle: &apigw.Throttle{BurstLimit: 10, RateLimit: 2.5},
			Quota: &apigw.Quota{Limit: 1000, Period: apigw.PeriodMonth},
			Stages: map[string]*PlanStage{"a1/prod": {APIID: "a1", Stage: "prod",
				MethodThrottle: map[string]apigw.Throttle{"/pets/GET": {BurstLimit: 5, RateLimit: 1.5}}}}},
		"p2": {ID: "p2", Name: "plan p2", Throttle: &apigw.Throttle{BurstLimit: 10, RateLimit: 2.5},
			Stages: map[string]*PlanStage{"a1/beta": {APIID: "a1", Stage: "beta",
				MethodThrottle: map[string]apigw.Throttle{"/pets/GET": {BurstLimit: 2, RateLimit: 1}}}}},
	}
	for id, w := range wantPlans {
		if diff := cmp.Diff(w, s.Plan(id), cmpOpts, cmpopts.IgnoreFields(Plan{}, "Source")); diff != "" {
			t.Errorf("Plan(%s) mismatch (-want +got):\n%s", id, diff)
		}
	}
	var planIDs []string
	for _, p := range s.Plans() {
		planIDs = append(planIDs, p.ID)
	}
	if diff := cmp.Diff([]string{"p1", "p2"}, planIDs); diff != "" {
		t.Errorf("Plans() ids mismatch (-want +got):\n%s", diff)
	}

	rev, err := db.Revision(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Revision(); got != rev || rev == 0 {
		t.Errorf("Revision() = %d, want the store's %d (> 0)", got, rev)
	}
}

// TestApply checks that each kind of change, applied through Listen, is
// visible as soon as the store's Update returns.
func TestApply(t *testing.T) {
	type fn = func(ctx context.Context, tx store.Tx) error
	tests := []struct {
		name  string
		do    fn
		check func(t *testing.T, s *State)
	}{
		{
			name: "create key",
			do:   func(ctx context.Context, tx store.Tx) error { return tx.CreateAPIKey(ctx, key("k3", true)) },
			check: func(t *testing.T, s *State) {
				want := &Key{ID: "k3", Last4: "abcd", Enabled: true}
				if diff := cmp.Diff(want, s.Key(hashOf("k3")), cmpOpts); diff != "" {
					t.Errorf("Key mismatch (-want +got):\n%s", diff)
				}
				if s.KeyByID("k3") == nil {
					t.Error("KeyByID(k3) = nil")
				}
			},
		},
		{
			name: "create key with plans in one transaction",
			do: func(ctx context.Context, tx store.Tx) error {
				return errors.Join(tx.CreateAPIKey(ctx, key("k3", true)), tx.AddUsagePlanKey(ctx, "p2", "k3"))
			},
			check: func(t *testing.T, s *State) {
				if got := s.Key(hashOf("k3")); got == nil || !cmp.Equal(got.PlanIDs, []string{"p2"}) {
					t.Errorf("Key(k3) = %+v, want PlanIDs [p2]", got)
				}
			},
		},
		{
			name: "disable key",
			do: func(ctx context.Context, tx store.Tx) error {
				k, err := tx.GetAPIKey(ctx, "k1")
				if err != nil {
					return err
				}
				k.Enabled = false
				return tx.UpdateAPIKey(ctx, k)
			},
			check: func(t *testing.T, s *State) {
				got := s.Key(hashOf("k1"))
				if got == nil || got.Enabled || !cmp.Equal(got.PlanIDs, []string{"p1", "p2"}) {
					t.Errorf("Key(k1) = %+v, want disabled and still in p1, p2", got)
				}
			},
		},
		{
			name: "delete key",
			do:   func(ctx context.Context, tx store.Tx) error { return tx.DeleteAPIKey(ctx, "k1") },
			check: func(t *testing.T, s *State) {
				if k := s.Key(hashOf("k1")); k != nil {
					t.Errorf("Key(k1) = %+v after delete, want nil", k)
				}
				if k := s.KeyByID("k1"); k != nil {
					t.Errorf("KeyByID(k1) = %+v after delete, want nil", k)
				}
				if s.Key(hashOf("k2")) == nil {
					t.Error("Key(k2) = nil: deleting k1 lost another key")
				}
			},
		},
		{
			name: "add plan key",
			do:   func(ctx context.Context, tx store.Tx) error { return tx.AddUsagePlanKey(ctx, "p1", "k2") },
			check: func(t *testing.T, s *State) {
				if got := s.Key(hashOf("k2")); got == nil || !cmp.Equal(got.PlanIDs, []string{"p1"}) || !got.InPlan("p1") {
					t.Errorf("Key(k2) = %+v, want PlanIDs [p1]", got)
				}
			},
		},
		{
			name: "remove plan key",
			do:   func(ctx context.Context, tx store.Tx) error { return tx.RemoveUsagePlanKey(ctx, "p2", "k1") },
			check: func(t *testing.T, s *State) {
				if got := s.Key(hashOf("k1")); got == nil || !cmp.Equal(got.PlanIDs, []string{"p1"}) || got.InPlan("p2") {
					t.Errorf("Key(k1) = %+v, want PlanIDs [p1]", got)
				}
			},
		},
		{
			name: "attach stage to plan",
			do: func(ctx context.Context, tx store.Tx) error {
				p, err := tx.GetUsagePlan(ctx, "p1")
				if err != nil {
					return err
				}
				p.APIStages = append(p.APIStages, apigw.APIStage{APIID: "a2", Stage: "live"})
				return tx.UpdateUsagePlan(ctx, p)
			},
			check: func(t *testing.T, s *State) {
				want := map[string]*PlanStage{
					"a1/prod": {APIID: "a1", Stage: "prod", MethodThrottle: map[string]apigw.Throttle{"/pets/GET": {BurstLimit: 5, RateLimit: 1.5}}},
					"a2/live": {APIID: "a2", Stage: "live"},
				}
				if diff := cmp.Diff(want, s.Plan("p1").Stages); diff != "" {
					t.Errorf("Plan(p1).Stages mismatch (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "detach stage from plan",
			do: func(ctx context.Context, tx store.Tx) error {
				p, err := tx.GetUsagePlan(ctx, "p1")
				if err != nil {
					return err
				}
				p.APIStages = nil
				return tx.UpdateUsagePlan(ctx, p)
			},
			check: func(t *testing.T, s *State) {
				if got := s.Plan("p1").Stages; len(got) != 0 {
					t.Errorf("Plan(p1).Stages = %v, want none", got)
				}
			},
		},
		{
			name: "delete stage drops it from plans",
			do:   func(ctx context.Context, tx store.Tx) error { return tx.DeleteStage(ctx, "a1", "prod") },
			check: func(t *testing.T, s *State) {
				if st := stageOf(s, "a1", "prod"); st != nil {
					t.Errorf("stage a1/prod still served: %+v", st)
				}
				if st := stageOf(s, "a1", "beta"); st == nil || st.Table == nil {
					t.Error("stage a1/beta lost")
				}
				if got := s.Plan("p1").Stages; len(got) != 0 {
					t.Errorf("Plan(p1).Stages = %v, want none", got)
				}
			},
		},
		{
			name: "edit plan throttle and quota",
			do: func(ctx context.Context, tx store.Tx) error {
				p, err := tx.GetUsagePlan(ctx, "p1")
				if err != nil {
					return err
				}
				p.Throttle = &apigw.Throttle{BurstLimit: 1, RateLimit: 0.5}
				p.Quota = nil
				p.APIStages[0].Throttle = map[string]apigw.Throttle{"~1pets/GET": {BurstLimit: 3, RateLimit: 3}}
				return tx.UpdateUsagePlan(ctx, p)
			},
			check: func(t *testing.T, s *State) {
				p := s.Plan("p1")
				if diff := cmp.Diff(&apigw.Throttle{BurstLimit: 1, RateLimit: 0.5}, p.Throttle); diff != "" {
					t.Errorf("Plan(p1).Throttle mismatch (-want +got):\n%s", diff)
				}
				if p.Quota != nil {
					t.Errorf("Plan(p1).Quota = %+v, want nil", p.Quota)
				}
				want := map[string]apigw.Throttle{"/pets/GET": {BurstLimit: 3, RateLimit: 3}}
				if diff := cmp.Diff(want, p.Stages["a1/prod"].MethodThrottle); diff != "" {
					t.Errorf("MethodThrottle mismatch (-want +got):\n%s", diff)
				}
				if s.Plans()[0].Throttle.BurstLimit != 1 {
					t.Errorf("Plans()[0] = %+v, want the edited p1", s.Plans()[0])
				}
			},
		},
		{
			name: "delete plan",
			do:   func(ctx context.Context, tx store.Tx) error { return tx.DeleteUsagePlan(ctx, "p2") },
			check: func(t *testing.T, s *State) {
				if p := s.Plan("p2"); p != nil {
					t.Errorf("Plan(p2) = %+v after delete, want nil", p)
				}
				if n := len(s.Plans()); n != 1 {
					t.Errorf("len(Plans()) = %d, want 1", n)
				}
				if got := s.Key(hashOf("k1")); got == nil || !cmp.Equal(got.PlanIDs, []string{"p1"}) {
					t.Errorf("Key(k1) = %+v, want PlanIDs [p1]", got)
				}
			},
		},
		{
			name: "redeploy stage",
			do: func(ctx context.Context, tx store.Tx) error {
				st, err := tx.GetStage(ctx, "a1", "prod")
				if err != nil {
					return err
				}
				st.DeploymentID = "d4"
				return errors.Join(tx.CreateDeployment(ctx, deployment("a1", "d4", "toys", "cats")), tx.UpdateStage(ctx, st))
			},
			check: func(t *testing.T, s *State) {
				st := stageOf(s, "a1", "prod")
				if diff := cmp.Diff([]string{"GET /cats", "GET /pets", "GET /toys"}, routes(st)); diff != "" {
					t.Errorf("a1/prod routes mismatch (-want +got):\n%s", diff)
				}
				if st.DeploymentID != "d4" {
					t.Errorf("DeploymentID = %q, want d4", st.DeploymentID)
				}
				if m, res := st.Table.Match("GET", "/cats", nil); res != route.Found || m.ThrottleKey() != "/cats/GET" {
					t.Errorf("Match(GET /cats) = %v %q, want Found /cats/GET", res, m.ThrottleKey())
				}
			},
		},
		{
			name: "stage method settings",
			do: func(ctx context.Context, tx store.Tx) error {
				st, err := tx.GetStage(ctx, "a1", "beta")
				if err != nil {
					return err
				}
				st.MethodSettings = map[string]*apigw.MethodSetting{
					"*/*":         {ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50},
					"~1pets/GET":  {ThrottlingBurstLimit: 1, ThrottlingRateLimit: 2},
					"~1toys/GET":  {ThrottlingBurstLimit: -1, ThrottlingRateLimit: -1},
					"~1/GET":      {ThrottlingBurstLimit: 9, ThrottlingRateLimit: 9},
					"a~1b/POST":   {ThrottlingBurstLimit: 4, ThrottlingRateLimit: 4},
					"pets~0x/PUT": {ThrottlingBurstLimit: 5, ThrottlingRateLimit: 5},
				}
				return tx.UpdateStage(ctx, st)
			},
			check: func(t *testing.T, s *State) {
				th := stageOf(s, "a1", "beta").Throttle
				for _, tt := range []struct {
					key  string
					want apigw.Throttle
					ok   bool
				}{
					{"/pets/GET", apigw.Throttle{BurstLimit: 1, RateLimit: 2}, true},
					{"/toys/GET", apigw.Throttle{}, false},
					{"//GET", apigw.Throttle{BurstLimit: 9, RateLimit: 9}, true},
					{"/a/b/POST", apigw.Throttle{BurstLimit: 4, RateLimit: 4}, true},
					{"/pets~x/PUT", apigw.Throttle{BurstLimit: 5, RateLimit: 5}, true},
					{"/pets/POST", apigw.Throttle{BurstLimit: 100, RateLimit: 50}, true},
				} {
					got, ok := th.For(tt.key)
					if got != tt.want || ok != tt.ok {
						t.Errorf("For(%q) = %+v, %v; want %+v, %v", tt.key, got, ok, tt.want, tt.ok)
					}
				}
			},
		},
		{
			name: "stage default unlimited",
			do: func(ctx context.Context, tx store.Tx) error {
				st, err := tx.GetStage(ctx, "a1", "prod")
				if err != nil {
					return err
				}
				st.MethodSettings["*/*"].ThrottlingRateLimit = -1
				return tx.UpdateStage(ctx, st)
			},
			check: func(t *testing.T, s *State) {
				th := stageOf(s, "a1", "prod").Throttle
				if th.Default != nil {
					t.Errorf("Default = %+v, want nil for a -1 rate", th.Default)
				}
				if _, ok := th.For("/toys/GET"); ok {
					t.Error("For(/toys/GET) applies a limit, want none")
				}
				if got, ok := th.For("/pets/GET"); !ok || got != (apigw.Throttle{BurstLimit: 7, RateLimit: 3}) {
					t.Errorf("For(/pets/GET) = %+v, %v; want its own entry", got, ok)
				}
			},
		},
		{
			name: "delete API",
			do:   func(ctx context.Context, tx store.Tx) error { return tx.DeleteAPI(ctx, "a2") },
			check: func(t *testing.T, s *State) {
				if a := s.API("a2"); a != nil {
					t.Errorf("API(a2) = %+v after delete, want nil", a)
				}
				if s.API("a1") == nil {
					t.Error("API(a1) lost")
				}
			},
		},
		{
			name: "fix broken stage",
			do: func(ctx context.Context, tx store.Tx) error {
				st, err := tx.GetStage(ctx, "a2", "dev")
				if err != nil {
					return err
				}
				st.DeploymentID = "d3"
				return tx.UpdateStage(ctx, st)
			},
			check: func(t *testing.T, s *State) {
				st := stageOf(s, "a2", "dev")
				if st.CompileErr != nil || st.Table == nil || st.KeySource != apigw.KeySourceAuthorizer {
					t.Errorf("a2/dev = %+v, want d3's table, no error, key source AUTHORIZER", st)
				}
				if st.Table != stageOf(s, "a2", "live").Table {
					t.Error("a2/dev and a2/live serve d3 through different tables, want one compiled table")
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openStore(t)
			seed(t, db)
			s := listening(t, db)
			update(t, db, tt.do)
			tt.check(t, s)
			rev, err := db.Revision(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Revision(); got != rev {
				t.Errorf("Revision() = %d, want the store's %d", got, rev)
			}
		})
	}
}

// TestGatewayResponseEditKeepsTables checks that a live API edit is served
// at once and does not recompile the stages' tables.
func TestGatewayResponseEditKeepsTables(t *testing.T) {
	db := openStore(t)
	seed(t, db)
	s := listening(t, db)
	before := stageOf(s, "a1", "prod").Table

	update(t, db, func(ctx context.Context, tx store.Tx) error {
		a, err := tx.GetAPI(ctx, "a1")
		if err != nil {
			return err
		}
		a.GatewayResponses["THROTTLED"] = &apigw.GatewayResponse{Type: "THROTTLED", StatusCode: "503",
			ResponseTemplates: map[string]string{"application/json": `{"slow":"down"}`}}
		a.EndpointConfiguration.Types = []string{apigw.EndpointPrivate}
		return tx.UpdateAPI(ctx, a)
	})

	a := s.API("a1")
	gr, ok := apigw.EffectiveGatewayResponse(a.GatewayResponses, "THROTTLED")
	if !ok || gr.StatusCode != "503" || gr.Default {
		t.Errorf("THROTTLED response = %+v, want the customised 503", gr)
	}
	if !a.Private {
		t.Error("Private = false after switching the endpoint to PRIVATE")
	}
	if got := a.Stages["prod"].Table; got != before {
		t.Error("a gateway response edit recompiled the stage table; want the cached one")
	}
}

func TestCompileErrorIsolated(t *testing.T) {
	db := openStore(t)
	seed(t, db)
	s := listening(t, db)
	update(t, db, func(ctx context.Context, tx store.Tx) error {
		return errors.Join(
			tx.CreateDeployment(ctx, brokenDeployment("a1", "bad")),
			tx.CreateStage(ctx, storetest.SampleStage("a1", "broken", "bad")),
		)
	})
	bad := stageOf(s, "a1", "broken")
	if bad == nil || bad.Table != nil || !errors.Is(bad.CompileErr, route.ErrMissingParent) {
		t.Fatalf("a1/broken = %+v, want no table and a missing-parent CompileErr", bad)
	}
	var ce *route.CompileError
	if !errors.As(bad.CompileErr, &ce) || ce.ResourceID != "orphan" {
		t.Errorf("CompileErr = %v, want a *route.CompileError naming resource orphan", bad.CompileErr)
	}
	for _, name := range []string{"prod", "beta"} {
		if st := stageOf(s, "a1", name); st == nil || st.Table == nil || st.CompileErr != nil {
			t.Errorf("a1/%s = %+v, want it served", name, st)
		}
	}
}

func TestResync(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	s := New(db, testLogger(t)) // not listening
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	seed(t, db)
	if s.API("a1") != nil || s.Key(hashOf("k1")) != nil {
		t.Fatal("state changed without being told")
	}
	for _, kind := range []store.Kind{store.KindResync, "unknown-kind"} {
		t.Run(string(kind), func(t *testing.T) {
			s := New(db, testLogger(t))
			if err := s.Apply(ctx, []store.Change{{Revision: 1, Kind: kind}}); err != nil {
				t.Fatal(err)
			}
			if stageOf(s, "a1", "prod") == nil || s.Key(hashOf("k1")) == nil || s.Plan("p1") == nil {
				t.Error("full reload missed the seeded configuration")
			}
			rev, _ := db.Revision(ctx)
			if s.Revision() != rev {
				t.Errorf("Revision() = %d, want %d", s.Revision(), rev)
			}
		})
	}

	// Reset publishes KindResync through Listen.
	s = listening(t, db)
	if err := db.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if s.API("a1") != nil || s.Key(hashOf("k1")) != nil || s.Plan("p1") != nil || len(s.Plans()) != 0 {
		t.Error("state kept configuration after the store was reset")
	}
}

func TestRun(t *testing.T) {
	db := openStore(t)
	seed(t, db)
	s := New(db, testLogger(t)) // no Load: Run catches up by itself
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, time.Hour) }()

	waitFor := func() { t.Helper(); waitCaughtUp(t, s, db) }
	waitFor()
	if s.Key(hashOf("k1")) == nil || stageOf(s, "a1", "prod") == nil {
		t.Fatal("Run did not load the seeded configuration")
	}
	update(t, db, func(ctx context.Context, tx store.Tx) error {
		return errors.Join(tx.CreateAPIKey(ctx, key("k3", true)), tx.DeleteAPIKey(ctx, "k1"))
	})
	waitFor()
	if s.Key(hashOf("k3")) == nil || s.Key(hashOf("k1")) != nil {
		t.Errorf("after create k3 / delete k1: Key(k3) = %v, Key(k1) = %v", s.Key(hashOf("k3")), s.Key(hashOf("k1")))
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run returned %v after cancel, want nil", err)
	}
}

// TestRunResyncsOnlyWhenBehind: Run's periodic backstop reloads nothing
// while the state has applied every commit, and reloads when the store has
// a commit the feed did not bring (written through another handle on the
// same database, whose feed this state does not hear).
func TestRunResyncsOnlyWhenBehind(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gatehouse.db")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	seed(t, db)
	s := New(db, testLogger(t))
	type resync struct {
		loaded bool
		err    error
	}
	resyncs := make(chan resync)
	s.onResync = func(loaded bool, err error) { resyncs <- resync{loaded, err} }
	ticks := make(chan time.Time)
	done := make(chan error, 1)
	go func() { done <- s.run(ctx, ticks) }()
	check := func(what string, wantLoaded bool) {
		t.Helper()
		select {
		case ticks <- time.Now():
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: Run took no tick", what)
		}
		select {
		case r := <-resyncs:
			if r.err != nil || r.loaded != wantLoaded {
				t.Fatalf("%s: check reloaded %v (%v), want %v", what, r.loaded, r.err, wantLoaded)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the check did not finish", what)
		}
	}

	check("after the initial load", false)
	update(t, db, func(ctx context.Context, tx store.Tx) error { return tx.CreateAPIKey(ctx, key("k3", true)) })
	waitCaughtUp(t, s, db)
	check("after a commit the feed brought", false)

	other, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	update(t, other, func(ctx context.Context, tx store.Tx) error { return tx.CreateAPIKey(ctx, key("k4", true)) })
	if s.Key(hashOf("k4")) != nil {
		t.Fatal("the state heard of k4 without the backstop; the test needs a commit it misses")
	}
	check("after a commit the feed missed", true)
	if s.Key(hashOf("k4")) == nil {
		t.Error("the reload did not bring k4")
	}
	check("once caught up", false)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run returned %v after cancel, want nil", err)
	}
}

// TestConcurrentReadsDuringApply runs readers against the state while
// changes are applied; run it with -race.
func TestConcurrentReadsDuringApply(t *testing.T) {
	db := openStore(t)
	seed(t, db)
	s := listening(t, db)

	var stop atomic.Bool
	var wg sync.WaitGroup
	var reads atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var params route.Params
			for !stop.Load() {
				if k := s.Key(hashOf("k1")); k != nil && (k.ID != "k1" || len(k.PlanIDs) == 0) {
					t.Errorf("Key(k1) = %+v", k)
					return
				}
				if st := stageOf(s, "a1", "prod"); st != nil && st.Table != nil {
					m, res := st.Table.Match("GET", "/pets", &params)
					if res != route.Found {
						t.Errorf("Match(GET /pets) = %v", res)
						return
					}
					st.Throttle.For(m.ThrottleKey())
				}
				if p := s.Plan("p1"); p != nil && p.Stages["a1/prod"] == nil {
					t.Errorf("Plan(p1) = %+v, want stage a1/prod", p)
					return
				}
				_ = s.Plans()
				reads.Add(1)
			}
		}()
	}
	for i := range 30 {
		update(t, db, func(ctx context.Context, tx store.Tx) error {
			k, err := tx.GetAPIKey(ctx, "k1")
			if err != nil {
				return err
			}
			k.Enabled = i%2 == 0
			st, err := tx.GetStage(ctx, "a1", "prod")
			if err != nil {
				return err
			}
			st.DeploymentID = []string{"d1", "d2"}[i%2]
			st.MethodSettings["*/*"].ThrottlingBurstLimit = i
			p, err := tx.GetUsagePlan(ctx, "p1")
			if err != nil {
				return err
			}
			p.Throttle.BurstLimit = i
			return errors.Join(tx.UpdateAPIKey(ctx, k), tx.UpdateStage(ctx, st), tx.UpdateUsagePlan(ctx, p),
				tx.CreateAPIKey(ctx, key("extra"+string(rune('a'+i)), true)))
		})
		if i == 15 {
			if err := s.Load(context.Background()); err != nil {
				t.Error(err)
			}
		}
	}
	stop.Store(true)
	wg.Wait()
	if reads.Load() == 0 {
		t.Error("readers never ran")
	}
	if got := s.Plan("p1").Throttle.BurstLimit; got != 29 {
		t.Errorf("Plan(p1) burst = %d, want the last write's 29", got)
	}
	if got := s.Key(hashOf("k1")).Enabled; got {
		t.Error("Key(k1) enabled, want the last write's disabled")
	}
	if got := stageOf(s, "a1", "prod").DeploymentID; got != "d2" {
		t.Errorf("a1/prod deployment = %q, want d2", got)
	}
}
