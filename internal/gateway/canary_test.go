package gateway

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// tenths is a fixed canary draw: 0.05, 0.15, …, 0.95, again and again, so
// that a canary of p % takes exactly the requests whose index mod 10 is
// under p/10.
type tenths struct {
	mu sync.Mutex
	n  int
}

func (d *tenths) roll() float64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	v := float64(d.n%10)/10 + 0.05
	d.n++
	return v
}

// canaryMock answers with the deployment's name, stage variables and
// AWS's $context.isCanaryRequest.
func canaryMock(name string) *apigw.Method {
	return &apigw.Method{Integration: &apigw.Integration{Type: apigw.IntegrationMock,
		RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
		IntegrationResponses: map[string]*apigw.IntegrationResponse{"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": `{"d":"` + name +
			`","v":"$stageVariables.testVar","n":"$stageVariables.noStageVar","k":"$stageVariables.defaultVar","c":"$context.isCanaryRequest","id":"$context.deploymentId"}`}}}}}
}

// addCanary stores deployment dep002 of API id (GET /pets answering
// "canary") and gives stage "api" a canary of pct % on it.
func (env *gwEnv) addCanary(id string, pct float64, overrides map[string]string) {
	env.t.Helper()
	ctx := context.Background()
	err := env.db.Update(ctx, func(tx store.Tx) error {
		base, err := tx.GetDeployment(ctx, id, "dep001")
		if err != nil {
			return err
		}
		snap := base.Snapshot
		res := map[string]*apigw.Resource{}
		for rid, r := range snap.Resources {
			c := *r
			c.Methods = map[string]*apigw.Method{}
			for verb, m := range r.Methods {
				c.Methods[verb] = m
			}
			if c.PathPart == "pets" {
				m := *canaryMock("canary")
				m.HTTPMethod, m.AuthorizationType = "GET", apigw.AuthNone
				c.Methods["GET"] = &m
			}
			res[rid] = &c
		}
		snap.Resources = res
		if err := tx.CreateDeployment(ctx, &apigw.Deployment{ID: "dep002", APIID: id, Snapshot: snap}); err != nil {
			return err
		}
		st, err := tx.GetStage(ctx, id, "api")
		if err != nil {
			return err
		}
		st.CanarySettings = &apigw.CanarySettings{DeploymentID: "dep002", PercentTraffic: pct, StageVariableOverrides: overrides}
		return tx.UpdateStage(ctx, st)
	})
	if err != nil {
		env.t.Fatal(err)
	}
	env.reload()
}

func TestCanarySplitsTrafficByTheDraw(t *testing.T) {
	draw := &tenths{}
	env := newGWEnv(t, gwOptions{canaryRoll: draw.roll})
	env.addAPI(apiDef{id: "canary0001", methods: map[string]*apigw.Method{"GET /pets": canaryMock("base")},
		stageVars: map[string]string{"testVar": "default", "defaultVar": "default"}})

	const base = `{"d":"base","v":"default","n":"","k":"default","c":"","id":"dep001"}`
	if r := env.do(mustRequest(t, "GET", env.url("canary0001", "/pets"))); r.body != base || r.line["deploymentId"] != "dep001" || r.line["canary"] != nil {
		t.Fatalf("without a canary: %s, log %v", r.body, r.line)
	}
	if draw.n != 0 {
		t.Fatalf("a stage without a canary drew %d times", draw.n)
	}

	env.addCanary("canary0001", 10, map[string]string{"testVar": "canary", "noStageVar": "canary"})
	const toBase = `{"d":"base","v":"default","n":"","k":"default","c":"false","id":"dep001"}`
	const toCanary = `{"d":"canary","v":"canary","n":"canary","k":"default","c":"true","id":"dep002"}`
	var canaries []int
	for i := range 30 {
		r := env.do(mustRequest(t, "GET", env.url("canary0001", "/pets")))
		switch r.body {
		case toCanary:
			canaries = append(canaries, i)
			if r.line["deploymentId"] != "dep002" || r.line["canary"] != true || r.line["stage"] != "api" {
				t.Fatalf("canary request %d logged %v", i, r.line)
			}
		case toBase:
			if r.line["deploymentId"] != "dep001" || r.line["canary"] != nil {
				t.Fatalf("base request %d logged %v", i, r.line)
			}
		default:
			t.Fatalf("request %d answered %d %s", i, r.status, r.body)
		}
	}
	if fmt.Sprint(canaries) != "[0 10 20]" {
		t.Fatalf("10 %% canary took requests %v, want [0 10 20]", canaries)
	}

	// The edges: 0 % never, 100 % always.
	for _, tc := range []struct {
		pct  float64
		want string
	}{{0, toBase}, {100, toCanary}} {
		t.Run(fmt.Sprint(tc.pct), func(t *testing.T) {
			ctx := context.Background()
			if err := env.db.Update(ctx, func(tx store.Tx) error {
				st, err := tx.GetStage(ctx, "canary0001", "api")
				if err != nil {
					return err
				}
				st.CanarySettings.PercentTraffic = tc.pct
				return tx.UpdateStage(ctx, st)
			}); err != nil {
				t.Fatal(err)
			}
			env.reload()
			for i := range 10 {
				if r := env.do(mustRequest(t, "GET", env.url("canary0001", "/pets"))); r.body != tc.want {
					t.Fatalf("%v %%, request %d: %s, want %s", tc.pct, i, r.body, tc.want)
				}
			}
		})
	}
}

func TestCanaryExplainAndDecision(t *testing.T) {
	env := newGWEnv(t, gwOptions{canaryRoll: func() float64 { return 0 }})
	env.addAPI(apiDef{id: "canary0002", methods: map[string]*apigw.Method{"GET /pets": canaryMock("base")}})
	env.addCanary("canary0002", 25, nil)
	for _, tc := range []struct {
		canary     bool
		deployment string
		detail     string
	}{
		{false, "dep001", "API canary0002, stage api (deployment dep001; its canary deployment dep002 serves 25 % of the stage's requests), resource /pets, method GET"},
		{true, "dep002", "API canary0002, stage api (canary deployment dep002, which serves 25 % of the stage's requests), resource /pets, method GET"},
	} {
		tr := env.g.Explain(context.Background(), ExplainRequest{Request: httptest.NewRequest("GET", "/restapis/canary0002/api/_user_request_/pets", nil), Canary: tc.canary})
		if tr.Decision != nil || tr.DeploymentID != tc.deployment || tr.Canary != tc.canary || tr.Steps[0].Detail != tc.detail {
			t.Errorf("explain canary=%v: decision %v, deployment %s, canary %v, route %q", tc.canary, tr.Decision, tr.DeploymentID, tr.Canary, tr.Steps[0].Detail)
		}
	}
	// A served request's decision remembers its side, and its replay
	// explains that side.
	r := env.do(mustRequest(t, "GET", env.url("canary0002", "/pets")))
	rec, ok := env.g.Decision(r.header.Get("X-Amzn-Requestid"))
	if !ok || !rec.Canary {
		t.Fatalf("decision %+v (found %v), want the canary's", rec, ok)
	}
	if rp := env.g.ExplainDecision(context.Background(), rec); rp.Trace.DeploymentID != "dep002" || !rp.Trace.Canary {
		t.Fatalf("replay explains deployment %s canary %v", rp.Trace.DeploymentID, rp.Trace.Canary)
	}
}

// TestCanaryUnservableRefusesOnlyItsShare: a canary whose deployment the
// state cannot serve refuses the requests drawn for it (STAGE_BROKEN,
// naming the canary) while the stage's own share is served.
func TestCanaryUnservableRefusesOnlyItsShare(t *testing.T) {
	draw := &tenths{}
	env := newGWEnv(t, gwOptions{canaryRoll: draw.roll})
	env.addAPI(apiDef{id: "canary0003", methods: map[string]*apigw.Method{"GET /pets": canaryMock("base")}})
	ctx := context.Background()
	if err := env.db.Update(ctx, func(tx store.Tx) error {
		st, err := tx.GetStage(ctx, "canary0003", "api")
		if err != nil {
			return err
		}
		st.CanarySettings = &apigw.CanarySettings{DeploymentID: "gone01", PercentTraffic: 50}
		return tx.UpdateStage(ctx, st)
	}); err != nil {
		t.Fatal(err)
	}
	env.reload()
	tr := env.g.Explain(ctx, ExplainRequest{Request: httptest.NewRequest("GET", "/restapis/canary0003/api/_user_request_/pets", nil), Canary: true})
	if want := "roll back the canary release of stage api, whose deployment gone01 cannot be served: aws apigateway update-stage --rest-api-id canary0003 --stage-name api --patch-operations op=remove,path=/canarySettings"; tr.Fix != want {
		t.Fatalf("fix %q, want %q", tr.Fix, want)
	}
	for i := range 10 {
		r := env.do(mustRequest(t, "GET", env.url("canary0003", "/pets")))
		detail, _ := r.line["detail"].(string)
		switch {
		case i%10 < 5: // drawn for the canary
			if r.reason() != string(ReasonStageBroken) || !strings.Contains(detail, "the canary release of stage api") || r.line["canary"] != true {
				t.Fatalf("request %d: %d %s %q, log %v", i, r.status, r.reason(), detail, r.line)
			}
		default:
			if r.status != 200 || r.line["deploymentId"] != "dep001" {
				t.Fatalf("request %d: %d %s", i, r.status, r.body)
			}
		}
	}
}

// TestCanaryAllocs: with a 50 % canary and the production draw, a
// decision and a served MOCK request allocate what they do on a stage
// without one, on either side.
func TestCanaryAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates")
	}
	env := newBenchEnv(t, 10)
	ctx := context.Background()
	if err := env.db.Update(ctx, func(tx store.Tx) error {
		d, err := tx.GetDeployment(ctx, env.apiID, "dep001")
		if err != nil {
			return err
		}
		if err := tx.CreateDeployment(ctx, &apigw.Deployment{ID: "dep002", APIID: env.apiID, Snapshot: d.Snapshot}); err != nil {
			return err
		}
		st, err := tx.GetStage(ctx, env.apiID, "api")
		if err != nil {
			return err
		}
		st.CanarySettings = &apigw.CanarySettings{DeploymentID: "dep002", PercentTraffic: 50, StageVariableOverrides: map[string]string{"v": "canary"}}
		return tx.UpdateStage(ctx, st)
	}); err != nil {
		t.Fatal(err)
	}
	if err := env.state.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if env.state.API(env.apiID).Stages["api"].Canary == nil {
		t.Fatal("the stage has no canary in the state")
	}
	r := httptest.NewRequest("POST", "/restapis/"+env.apiID+"/api/_user_request_/doit", nil)
	r.Header.Set("x-api-key", env.values[3])
	rq := new(request)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	sides := map[bool]int{}
	allocs := testing.AllocsPerRun(200, func() {
		keyBuf := rq.keyBuf[:0]
		*rq = request{r: r, keyBuf: keyBuf, now: now}
		if d := env.g.decide(ctx, rq); d != nil {
			t.Fatalf("refused: %s %s", d.Reason, d.Detail)
		}
		sides[rq.stage.IsCanary]++
	})
	if allocs > 2 {
		t.Fatalf("the pipeline decision allocates %v times per request on a stage with a canary; the budget is 2", allocs)
	}
	if sides[true] == 0 || sides[false] == 0 {
		t.Fatalf("the draw chose one side only: %v", sides)
	}
	w := &nullWriter{h: http.Header{}}
	allocs = testing.AllocsPerRun(200, func() {
		clear(w.h)
		env.g.ServeHTTP(w, r)
		if w.status != 200 {
			t.Fatalf("status %d", w.status)
		}
	})
	if allocs != serveHTTPMockAllocs {
		t.Fatalf("ServeHTTP allocates %v times per MOCK request on a stage with a canary, want %v as without", allocs, serveHTTPMockAllocs)
	}
}
