package gateway

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/counters"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// TestExplainConsumesNothing: any number of dry runs leave the throttle
// buckets, the quota and the usage counts as they were, and write no
// access log line and no metric; the served path then admits exactly what
// the limits allow.
func TestExplainConsumesNothing(t *testing.T) {
	local := counters.NewLocal()
	env := newGWEnv(t, gwOptions{counters: local, account: apigw.Throttle{RateLimit: 0.001, BurstLimit: 4}})
	env.addAPI(apiDef{id: "dryrun0001", methods: map[string]*apigw.Method{"POST /doit": {APIKeyRequired: true, Integration: mockOK()}},
		methodSettings: map[string]*apigw.MethodSetting{"~1doit/POST": {ThrottlingBurstLimit: 4, ThrottlingRateLimit: 0.001}}})
	env.addPlan(&apigw.UsagePlan{ID: "plan01", Name: "p", APIStages: []apigw.APIStage{{APIID: "dryrun0001", Stage: "api"}},
		Throttle: &apigw.Throttle{RateLimit: 0.001, BurstLimit: 4}, Quota: &apigw.Quota{Limit: 2, Period: apigw.PeriodDay}})
	value := env.addKey("k-dry00001", true, "plan01")
	req := func() *http.Request {
		return newReq(t, "POST", env.url("dryrun0001", "/doit"), nil, "x-api-key", value)
	}
	ctx := context.Background()
	for range 10 {
		tr := env.g.Explain(ctx, ExplainRequest{Request: req()})
		if tr.Decision != nil {
			t.Fatalf("dry run refused: %s %s", tr.Decision.Reason, tr.Decision.Detail)
		}
	}
	if n := len(env.access.Bytes()); n != 0 {
		t.Fatalf("Explain wrote %d bytes of access log", n)
	}
	if n := env.requestsTotal(string(ReasonOK)); n != 0 {
		t.Fatalf("Explain counted %v requests in the metrics", n)
	}
	if err := local.Flush(ctx, env.db); err != nil {
		t.Fatal(err)
	}
	if u := usage(t, env); u != 0 {
		t.Fatalf("Explain recorded %d requests of usage", u)
	}
	// The quota (2) is the tightest limit: two served requests pass, the
	// third is refused, and Explain now says so too.
	for i, want := range []Reason{ReasonOK, ReasonOK, ReasonQuotaExceeded} {
		if r := env.do(req()); r.reason() != string(want) {
			t.Fatalf("served request %d: %s, want %s", i+1, r.reason(), want)
		}
	}
	if tr := env.g.Explain(ctx, ExplainRequest{Request: req()}); tr.Decision == nil || tr.Decision.Reason != ReasonQuotaExceeded || tr.Status != 429 {
		t.Fatalf("Explain after the quota ran out: %+v", tr)
	}
	if err := local.Flush(ctx, env.db); err != nil {
		t.Fatal(err)
	}
	if u := usage(t, env); u != 2 {
		t.Fatalf("usage %d after two admitted requests, want 2", u)
	}
}

// usage is the key's recorded usage in plan01 on the test's day.
func usage(t *testing.T, env *gwEnv) int64 {
	t.Helper()
	var n int64
	err := env.db.View(context.Background(), func(r store.Reader) error {
		recs, err := r.ListUsage(context.Background(), "plan01", "", env.now.AddDate(0, 0, -1), env.now.AddDate(0, 0, 1))
		for _, rec := range recs {
			n += rec.Count
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestExplainTrace: the trace names every step in pipeline order; a
// passing step says what it found (the key by id and last four only); a
// refusal's step carries its reason and detail and the steps after it are
// not reached.
func TestExplainTrace(t *testing.T) {
	env := newGWEnv(t, gwOptions{})
	env.addAPI(apiDef{id: "trace00001", methods: map[string]*apigw.Method{"POST /doit": {APIKeyRequired: true, Integration: mockOK()}},
		responses: map[string]*apigw.GatewayResponse{"DEFAULT_4XX": {Type: "DEFAULT_4XX", StatusCode: "418"}}})
	env.addPlan(&apigw.UsagePlan{ID: "plan01", Name: "p", APIStages: []apigw.APIStage{{APIID: "trace00001", Stage: "api"}},
		Quota: &apigw.Quota{Limit: 100, Period: apigw.PeriodMonth}})
	value := env.addKey("k-trace001", true, "plan01")
	ctx := context.Background()

	tr := env.g.Explain(ctx, ExplainRequest{Request: newReq(t, "POST", env.url("trace00001", "/doit"), nil, "x-api-key", value)})
	if tr.Decision != nil {
		t.Fatalf("refused: %+v", tr.Decision)
	}
	if len(tr.Steps) != len(pipeline) {
		t.Fatalf("%d steps, pipeline has %d", len(tr.Steps), len(pipeline))
	}
	for i, s := range tr.Steps {
		if s.Name != pipeline[i].name || s.Verdict != VerdictPass || s.Reason != ReasonOK || s.Detail == "" {
			t.Errorf("step %d: %+v", i, s)
		}
		if strings.Contains(s.Detail, value[:len(value)-4]) {
			t.Errorf("step %s names the key's value: %q", s.Name, s.Detail)
		}
	}
	want := map[string]string{
		"route":       "API trace00001, stage api (deployment dep001), resource /doit, method POST",
		"key":         "API key k-trace001…ghij, enabled",
		"plan":        "usage plan plan01 is attached to stage trace00001/api",
		"quota":       "API key k-trace001…ghij has 100 of 100 requests per MONTH left in usage plan plan01 (used 0; resets at 2026-12-01T00:00:00Z)",
		"integration": "MOCK",
		"cors":        "not a CORS preflight",
	}
	for _, s := range tr.Steps {
		if w, ok := want[s.Name]; ok && s.Detail != w {
			t.Errorf("step %s: detail %q, want %q", s.Name, s.Detail, w)
		}
	}
	if tr.APIID != "trace00001" || tr.Stage != "api" || tr.ResourcePath != "/doit" || tr.KeyID != "k-trace001" || tr.PlanID != "plan01" || tr.Integration != "MOCK" {
		t.Errorf("trace found %+v", tr)
	}

	// Refused at the key: the later steps are not reached, and the answer
	// is the customised one (DEFAULT_4XX's 418 applies to INVALID_API_KEY).
	tr = env.g.Explain(ctx, ExplainRequest{Request: newReq(t, "POST", env.url("trace00001", "/doit"), nil)})
	if tr.Decision == nil || tr.Decision.Reason != ReasonKeyMissing || tr.Status != 418 || tr.ResponseType != apigw.ResponseInvalidAPIKey || tr.ErrorType != "ForbiddenException" {
		t.Fatalf("refusal: %+v", tr)
	}
	var verdicts []string
	for _, s := range tr.Steps {
		verdicts = append(verdicts, s.Name+":"+string(s.Verdict))
	}
	if got := strings.Join(verdicts, " "); got != "route:PASS body:PASS cors:PASS policy:PASS authorizer:PASS keysource:REFUSE key:NOT_REACHED plan:NOT_REACHED integration:NOT_REACHED validate:NOT_REACHED throttle:NOT_REACHED quota:NOT_REACHED" {
		t.Fatalf("verdicts %s", got)
	}
}
