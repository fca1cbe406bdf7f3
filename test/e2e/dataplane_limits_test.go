package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
)

// TestThrottleScopes: each of AWS's throttling levels (usage plan per
// method, usage plan per key, stage method, account) refuses with its own
// reason code; the caller always gets AWS's 429 "Too Many Requests".
func TestThrottleScopes(t *testing.T) {
	clock := apitest.NewClock(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	env := apitest.Start(t, apitest.Options{Now: clock.Now})
	ctx := context.Background()
	f := newFixture(t, env, "Scopes")
	f.mock("POST", "/doit", true, 200, didIt)
	f.mock("GET", "/open", false, 200, "{}")
	f.deploy("api")
	keyID, value := f.key("k", true)
	plan := f.plan("api", &types.ThrottleSettings{RateLimit: 1000, BurstLimit: 1000}, nil, keyID)
	// A per-method plan throttle on POST /doit, and a stage limit on GET /open.
	if _, err := f.c.UpdateUsagePlan(ctx, &apigateway.UpdateUsagePlanInput{UsagePlanId: &plan, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/apiStages/" + f.apiID + ":api/throttle/~1doit/POST/rateLimit"), Value: aws.String("0.001")},
		{Op: types.OpReplace, Path: aws.String("/apiStages/" + f.apiID + ":api/throttle/~1doit/POST/burstLimit"), Value: aws.String("2")},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &f.apiID, StageName: aws.String("api"), PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/~1open/GET/throttling/rateLimit"), Value: aws.String("0.001")},
		{Op: types.OpReplace, Path: aws.String("/~1open/GET/throttling/burstLimit"), Value: aws.String("1")},
	}}); err != nil {
		t.Fatal(err)
	}
	hdr := map[string]string{"x-api-key": value}
	wantAnswer(t, env, f.call("POST", "api", "/doit", hdr), 200, didIt, "OK")
	wantAnswer(t, env, f.call("POST", "api", "/doit", hdr), 200, didIt, "OK")
	wantAnswer(t, env, f.call("POST", "api", "/doit", hdr), 429, `{"message":"Too Many Requests"}`, "THROTTLED_PLAN_METHOD")

	wantAnswer(t, env, f.call("GET", "api", "/open", nil), 200, "{}", "OK")
	wantAnswer(t, env, f.call("GET", "api", "/open", nil), 429, `{"message":"Too Many Requests"}`, "THROTTLED_STAGE_METHOD")
}

// TestAccountThrottle: the account limit is split into shards internally,
// but one key still gets all of it: exactly the account's burst, then
// THROTTLED_ACCOUNT (and a burst that does not divide by the shard count
// is neither rounded up nor down). Keys in a plan keep their plan tokens
// when the account refuses.
func TestAccountThrottle(t *testing.T) {
	for _, burst := range []int{16, 13, 3} {
		t.Run(fmt.Sprintf("burst %d", burst), func(t *testing.T) {
			clock := apitest.NewClock(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
			env := apitest.Start(t, apitest.Options{Now: clock.Now, AccountThrottle: apigw.Throttle{RateLimit: 0.001, BurstLimit: burst}})
			f := newFixture(t, env, "Account")
			f.mock("GET", "/acct", true, 200, "{}")
			f.deploy("api")
			keyID, value := f.key("k", true)
			f.plan("api", &types.ThrottleSettings{RateLimit: 0.001, BurstLimit: int32(burst + 2)}, nil, keyID)
			hdr := map[string]string{"x-api-key": value}
			for range burst {
				wantAnswer(t, env, f.call("GET", "api", "/acct", hdr), 200, "{}", "OK")
			}
			for range 3 {
				wantAnswer(t, env, f.call("GET", "api", "/acct", hdr), 429, `{"message":"Too Many Requests"}`, "THROTTLED_ACCOUNT")
			}
			// The plan gave burst+3 tokens and got the 3 refused ones back:
			// it still holds 2, which the account refuses again — the
			// plan's own limit is not reached.
			wantAnswer(t, env, f.call("GET", "api", "/acct", hdr), 429, `{"message":"Too Many Requests"}`, "THROTTLED_ACCOUNT")
		})
	}
}

// TestRefusedRequestKeepsPlanTokens: a request refused by the stage's
// method limit does not use up the key's plan limit.
func TestRefusedRequestKeepsPlanTokens(t *testing.T) {
	clock := apitest.NewClock(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	env := apitest.Start(t, apitest.Options{Now: clock.Now})
	ctx := context.Background()
	f := newFixture(t, env, "Refund")
	f.mock("GET", "/limited", true, 200, "{}")
	f.mock("GET", "/free", true, 200, "{}")
	f.deploy("api")
	keyID, value := f.key("k", true)
	f.plan("api", &types.ThrottleSettings{RateLimit: 0.001, BurstLimit: 4}, nil, keyID)
	if _, err := f.c.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &f.apiID, StageName: aws.String("api"), PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/~1limited/GET/throttling/rateLimit"), Value: aws.String("0.001")},
		{Op: types.OpReplace, Path: aws.String("/~1limited/GET/throttling/burstLimit"), Value: aws.String("1")},
	}}); err != nil {
		t.Fatal(err)
	}
	hdr := map[string]string{"x-api-key": value}
	wantAnswer(t, env, f.call("GET", "api", "/limited", hdr), 200, "{}", "OK")
	for range 5 {
		wantAnswer(t, env, f.call("GET", "api", "/limited", hdr), 429, `{"message":"Too Many Requests"}`, "THROTTLED_STAGE_METHOD")
	}
	// 4 plan tokens, one used: three more calls pass, the fourth is the plan's.
	for range 3 {
		wantAnswer(t, env, f.call("GET", "api", "/free", hdr), 200, "{}", "OK")
	}
	wantAnswer(t, env, f.call("GET", "api", "/free", hdr), 429, `{"message":"Too Many Requests"}`, "THROTTLED_PLAN")
}

// TestDebugHeadersAndMetrics: dataTraceEnabled sends nothing to callers
// (AWS's data tracing writes logs only); a stage tagged
// gatehouse:reasonHeader=true sends the reason code, never the detail; an
// unknown gatehouse: tag is refused with the known ones. /metrics counts
// requests by reason without ever naming a key.
func TestDebugHeadersAndMetrics(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	f := newFixture(t, env, "Debug")
	f.mock("POST", "/doit", true, 200, didIt)
	f.deploy("api")
	f.deploy("traced")
	f.deploy("opted")
	keyID, value := f.key("k", true)
	f.plan("api", nil, nil, keyID)

	a := f.call("POST", "api", "/doit", nil)
	if a.header.Get("x-gatehouse-reason") != "" {
		t.Fatal("the reason header was sent on a stage that did not opt in")
	}
	if _, err := f.c.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &f.apiID, StageName: aws.String("traced"), PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/*/*/logging/dataTrace"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	a = f.call("POST", "traced", "/doit", nil)
	if a.status != 403 || a.body != forbidden || a.header.Get("x-gatehouse-reason") != "" || a.header.Get("x-gatehouse-detail") != "" {
		t.Fatalf("traced stage: %d %s reason=%q detail=%q", a.status, a.body, a.header.Get("x-gatehouse-reason"), a.header.Get("x-gatehouse-detail"))
	}
	arn := "arn:aws:apigateway:us-east-1::/restapis/" + f.apiID + "/stages/opted"
	_, err := f.c.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: &arn, Tags: map[string]string{"gatehouse:reasonHeaders": "true"}})
	apitest.WantError(t, err, "BadRequestException", `Unknown Gatehouse tag "gatehouse:reasonHeaders": the tags with the prefix "gatehouse:" are Gatehouse settings, and the known ones are gatehouse:apiKeyBearer, gatehouse:apiKeyHeader, gatehouse:apiKeyQuery, gatehouse:corsAllowOrigins, gatehouse:countersFailure, gatehouse:rateLimitHeaders, gatehouse:reasonHeader`)
	if _, err := f.c.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: &arn, Tags: map[string]string{"gatehouse:reasonHeader": "true"}}); err != nil {
		t.Fatal(err)
	}
	a = f.call("POST", "opted", "/doit", nil)
	if a.status != 403 || a.body != forbidden || a.header.Get("x-gatehouse-reason") != "KEY_MISSING" || a.header.Get("x-gatehouse-detail") != "" {
		t.Fatalf("opted-in stage: %d %s reason=%q detail=%q", a.status, a.body, a.header.Get("x-gatehouse-reason"), a.header.Get("x-gatehouse-detail"))
	}
	wantAnswer(t, env, f.call("POST", "api", "/doit", map[string]string{"x-api-key": value}), 200, didIt, "OK")

	resp, err := http.Get(env.AdminURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := string(b)
	for _, want := range []string{
		`gatehouse_gateway_requests_total{api="` + f.apiID + `",reason="KEY_MISSING",stage="api",status="403"} 1`,
		`gatehouse_gateway_requests_total{api="` + f.apiID + `",reason="OK",stage="api",status="200"} 1`,
		`gatehouse_gateway_request_duration_seconds_count{api="` + f.apiID + `",stage="api"} 2`,
		"go_memstats_heap_inuse_bytes",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(m, keyID) || strings.Contains(m, value[:20]) {
		t.Fatal("/metrics names a key")
	}
}

// TestQuotaPeriodChangeRecounts: switching a plan's quota from DAY to WEEK
// counts the week's usage so far, at once.
func TestQuotaPeriodChangeRecounts(t *testing.T) {
	clock := apitest.NewClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)) // a Monday
	env := apitest.Start(t, apitest.Options{Now: clock.Now})
	f := newFixture(t, env, "Recount")
	f.mock("POST", "/doit", true, 200, didIt)
	f.deploy("api")
	keyID, value := f.key("k", true)
	plan := f.plan("api", nil, &types.QuotaSettings{Limit: 5, Period: types.QuotaPeriodTypeDay}, keyID)
	hdr := map[string]string{"x-api-key": value}
	for range 3 {
		wantAnswer(t, env, f.call("POST", "api", "/doit", hdr), 200, didIt, "OK")
	}
	clock.Advance(24 * time.Hour)
	for range 2 {
		wantAnswer(t, env, f.call("POST", "api", "/doit", hdr), 200, didIt, "OK")
	}
	if _, err := f.c.UpdateUsagePlan(context.Background(), &apigateway.UpdateUsagePlanInput{UsagePlanId: &plan, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/quota/period"), Value: aws.String("WEEK")}}}); err != nil {
		t.Fatal(err)
	}
	wantAnswer(t, env, f.call("POST", "api", "/doit", hdr), 429, `{"message":"Limit Exceeded"}`, "QUOTA_EXCEEDED")
}
