package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/counters"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/state"
	"github.com/gatehouse-dev/gatehouse/internal/lambda"
	"github.com/gatehouse-dev/gatehouse/internal/secret"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlite"
)

// benchEnv is a gateway over real state (SQLite store, state index,
// counters) holding one API whose POST /doit needs a key, a usage plan
// with throttle and quota on its stage, and n keys in the plan.
type benchEnv struct {
	g      *Gateway
	apiID  string
	values []string
	db     *sqlite.DB
	state  *state.State
}

func newBenchEnv(tb testing.TB, n int) *benchEnv { return newBenchEnvPolicy(tb, n, "") }

// benchPolicy is a resource policy as users write them: an IP allow-list
// with a User-Agent condition, and a Deny on one method.
const benchPolicy = `{"Version":"2012-10-17","Statement":[` +
	`{"Sid":"net","Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.0.2.0/24"]},"StringNotLike":{"aws:UserAgent":"*bot*"}}},` +
	`{"Sid":"nodelete","Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:*:*/*/DELETE/*"}]}`

// newBenchEnvPolicy is newBenchEnv with the API's deployment carrying a
// resource policy ("" for none).
func newBenchEnvPolicy(tb testing.TB, n int, policy string) *benchEnv {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		tb.Fatal(err)
	}
	const apiID, stage = "benchapi01", "api"
	method := &apigw.Method{HTTPMethod: "POST", AuthorizationType: apigw.AuthNone, APIKeyRequired: true,
		Integration: &apigw.Integration{Type: apigw.IntegrationMock,
			RequestTemplates:     map[string]string{"application/json": `{"statusCode": 200}`},
			IntegrationResponses: map[string]*apigw.IntegrationResponse{"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": `{"message":"Did it!"}`}}}}}
	// POST /authz: the same method behind a TOKEN authorizer on the key
	// header, its policy cached (BenchmarkPipelineDecisionAuthorizer).
	authorized := *method
	authorized.AuthorizationType, authorized.AuthorizerID = apigw.AuthCustom, "bauth1"
	resources := map[string]*apigw.Resource{
		"root000000": {ID: "root000000", Methods: map[string]*apigw.Method{}},
		"doit00":     {ID: "doit00", ParentID: "root000000", PathPart: "doit", Methods: map[string]*apigw.Method{"POST": method}},
		"pets00":     {ID: "pets00", ParentID: "root000000", PathPart: "pets", Methods: map[string]*apigw.Method{"GET": method}},
		"petid0":     {ID: "petid0", ParentID: "pets00", PathPart: "{id}", Methods: map[string]*apigw.Method{"GET": method}},
		"authz0":     {ID: "authz0", ParentID: "root000000", PathPart: "authz", Methods: map[string]*apigw.Method{"POST": &authorized}},
	}
	api := &apigw.RestAPI{ID: apiID, Name: "bench", APIKeySource: apigw.KeySourceHeader, RootResourceID: "root000000", Resources: resources, Authorizers: benchAuthorizers}
	dep := &apigw.Deployment{ID: "dep001", APIID: apiID, Snapshot: apigw.Snapshot{APIKeySource: apigw.KeySourceHeader, RootResourceID: "root000000", Resources: resources, Authorizers: benchAuthorizers, Policy: policy}}
	plan := &apigw.UsagePlan{ID: "plan01", Name: "bench",
		APIStages: []apigw.APIStage{{APIID: apiID, Stage: stage}},
		Throttle:  &apigw.Throttle{RateLimit: 1e9, BurstLimit: 1e9},
		Quota:     &apigw.Quota{Limit: 2e9, Period: apigw.PeriodMonth}}
	env := &benchEnv{apiID: apiID, db: st}
	err = st.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateAPI(ctx, api); err != nil {
			return err
		}
		if err := tx.CreateDeployment(ctx, dep); err != nil {
			return err
		}
		if err := tx.CreateStage(ctx, &apigw.Stage{APIID: apiID, Name: stage, DeploymentID: dep.ID}); err != nil {
			return err
		}
		if err := tx.CreateUsagePlan(ctx, plan); err != nil {
			return err
		}
		for i := range n {
			v := fmt.Sprintf("bench-key-%030d", i)
			id := fmt.Sprintf("k%09d", i)
			if err := tx.CreateAPIKey(ctx, &apigw.APIKey{ID: id, Enabled: true, LookupHash: keys.LookupHash(v), Last4: v[len(v)-4:]}); err != nil {
				return err
			}
			if err := tx.AddUsagePlanKey(ctx, plan.ID, id); err != nil {
				return err
			}
			env.values = append(env.values, v)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	s := state.New(st, slog.New(slog.DiscardHandler))
	if err := s.Load(ctx); err != nil {
		tb.Fatal(err)
	}
	env.state = s
	c := counters.NewLocal()
	env.g = New(Options{State: s, Keys: keys, Counters: c,
		AccountThrottle: apigw.Throttle{RateLimit: 1e9, BurstLimit: 1e9},
		Functions:       benchAllow})
	return env
}

var benchTTL = 3600

// benchAuthorizers is the bench API's authorizer: TOKEN on x-api-key, an
// hour's cache, answered by benchAllow.
var benchAuthorizers = map[string]*apigw.Authorizer{"bauth1": {ID: "bauth1", Name: "bench", Type: apigw.AuthorizerToken,
	AuthorizerURI: "http://authorizer.invalid/allow", IdentitySource: "method.request.header.x-api-key", AuthorizerResultTTLInSeconds: &benchTTL}}

// benchAllow answers every authorizer call with an Allow on everything,
// in process.
var benchAllow = lambda.InvokerFunc(func(context.Context, string, []byte) (lambda.Result, error) {
	return lambda.Result{Payload: []byte(`{"principalId":"bench","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"arn:aws:execute-api:*:*:*/*/*/*"}]}}`)}, nil
})

// BenchmarkPipelineDecisionAuthorizer is BenchmarkPipelineDecision for a
// method behind a cached TOKEN authorizer: what a cache hit adds.
func BenchmarkPipelineDecisionAuthorizer(b *testing.B) {
	env := newBenchEnv(b, 1000)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	reqs := env.requests()
	ctx := context.Background()
	for _, r := range reqs { // fill the cache
		r.URL.Path = "/restapis/" + env.apiID + "/api/_user_request_/authz"
		if d := env.g.decide(ctx, &request{r: r, now: now}); d != nil {
			b.Fatalf("refused: %s %s", d.Reason, d.Detail)
		}
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(97))
		rq := new(request)
		for pb.Next() {
			i++
			keyBuf, authKey := rq.keyBuf[:0], rq.authKey[:0]
			*rq = request{r: reqs[i%len(reqs)], keyBuf: keyBuf, authKey: authKey, now: now}
			if d := env.g.decide(ctx, rq); d != nil {
				b.Fatalf("refused: %s %s", d.Reason, d.Detail)
			}
		}
	})
}

// requests returns a POST /doit request for each key, for one goroutine
// of a parallel benchmark to reuse.
func (env *benchEnv) requests() []*http.Request {
	reqs := make([]*http.Request, len(env.values))
	for i, v := range env.values {
		r := httptest.NewRequest("POST", "/restapis/"+env.apiID+"/api/_user_request_/doit", nil)
		r.Header.Set("x-api-key", v)
		reqs[i] = r
	}
	return reqs
}

// BenchmarkPipelineDecision measures the served path's decision alone
// (the pipeline: route, body, key, plan, integration, throttle, quota;
// then admit: the usage record), in parallel, over 1,000 keys
// round-robin: the figure DESIGN's performance target names (≤ 1 µs,
// ≤ 2 allocations per request).
func BenchmarkPipelineDecision(b *testing.B) {
	env := newBenchEnv(b, 1000)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		start := int(next.Add(97))
		reqs := env.requests()
		rq := new(request)
		ctx := context.Background()
		i := start
		for pb.Next() {
			i++
			keyBuf := rq.keyBuf[:0]
			*rq = request{r: reqs[i%len(reqs)], keyBuf: keyBuf, now: now}
			if d := env.g.decide(ctx, rq); d != nil {
				b.Fatalf("refused: %s %s", d.Reason, d.Detail)
			}
		}
	})
}

// TestPipelineDecisionAllocations keeps the decision's allocation budget
// honest in ordinary test runs (the benchmark reports the time).
func TestPipelineDecisionAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates")
	}
	env := newBenchEnv(t, 10)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	r := httptest.NewRequest("POST", "/restapis/"+env.apiID+"/api/_user_request_/doit", nil)
	r.Header.Set("x-api-key", env.values[3])
	rq := new(request)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(200, func() {
		keyBuf := rq.keyBuf[:0]
		*rq = request{r: r, keyBuf: keyBuf, now: now}
		if d := env.g.decide(ctx, rq); d != nil {
			t.Fatalf("refused: %s %s", d.Reason, d.Detail)
		}
	})
	if allocs > 2 {
		t.Fatalf("the pipeline decision allocates %v times per request; the budget is 2", allocs)
	}
}

// BenchmarkPipelineDecisionPolicy is BenchmarkPipelineDecision through a
// resource policy (benchPolicy): what evaluating it adds.
func BenchmarkPipelineDecisionPolicy(b *testing.B) {
	env := newBenchEnvPolicy(b, 1000, benchPolicy)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		start := int(next.Add(97))
		reqs := env.requests()
		for _, r := range reqs {
			r.RemoteAddr = "192.0.2.1:1234"
		}
		rq := new(request)
		ctx := context.Background()
		i := start
		for pb.Next() {
			i++
			keyBuf, arnBuf := rq.keyBuf[:0], rq.arnBuf[:0]
			*rq = request{r: reqs[i%len(reqs)], keyBuf: keyBuf, arnBuf: arnBuf, now: now}
			if d := env.g.decide(ctx, rq); d != nil {
				b.Fatalf("refused: %s %s", d.Reason, d.Detail)
			}
		}
	})
}

// TestPipelineDecisionAllocationsPolicy: a resource policy adds no
// allocation to the decision (the ARN is built in the request's pooled
// buffer, the policy compiled once per deployment).
func TestPipelineDecisionAllocationsPolicy(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates")
	}
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	ctx := context.Background()
	allocs := func(policy string) float64 {
		env := newBenchEnvPolicy(t, 10, policy)
		r := httptest.NewRequest("POST", "/restapis/"+env.apiID+"/api/_user_request_/doit", nil)
		r.Header.Set("x-api-key", env.values[3])
		r.Header.Set("User-Agent", "curl/8.5")
		r.RemoteAddr = "10.1.2.3:4444"
		rq := new(request)
		return testing.AllocsPerRun(200, func() {
			keyBuf, arnBuf := rq.keyBuf[:0], rq.arnBuf[:0]
			*rq = request{r: r, keyBuf: keyBuf, arnBuf: arnBuf, now: now}
			if d := env.g.decide(ctx, rq); d != nil {
				t.Fatalf("refused: %s %s", d.Reason, d.Detail)
			}
		})
	}
	without, with := allocs(""), allocs(benchPolicy)
	if with > without {
		t.Fatalf("the decision allocates %v times per request through a resource policy, %v without", with, without)
	}
}
