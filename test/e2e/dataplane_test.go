package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/google/go-cmp/cmp"
)

const (
	forbidden    = `{"message":"Forbidden"}`
	missingToken = `{"message":"Missing Authentication Token"}`
	didIt        = `{"message":"Did it!"}`
)

// TestSeedFlowOverHTTP: the user story of the seed workflow, as a caller
// sees it: refused until the key is in a plan attached to the stage.
func TestSeedFlowOverHTTP(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	f := newFixture(t, env, "UsefulAPI")
	f.mock("POST", "/doit", true, 200, didIt)
	f.deploy("api")
	keyID, value := f.key("partner", true)

	a := f.call("POST", "api", "/doit", nil)
	wantAnswer(t, env, a, 403, forbidden, "KEY_MISSING")
	if a.header.Get("x-amzn-ErrorType") != "ForbiddenException" || a.header.Get("x-amz-apigw-id") == "" {
		t.Fatalf("headers %v", a.header)
	}
	wantAnswer(t, env, f.call("POST", "api", "/doit", map[string]string{"x-api-key": "not-a-key-at-all-0123456789"}), 403, forbidden, "KEY_NOT_FOUND")
	wantAnswer(t, env, f.call("POST", "api", "/doit", map[string]string{"x-api-key": value}), 403, forbidden, "KEY_NOT_IN_ANY_PLAN")

	otherStage := newFixture(t, env, "Other")
	otherStage.mock("GET", "/x", true, 200, "{}")
	otherStage.deploy("dev")
	otherStage.plan("dev", nil, nil, keyID)
	wantAnswer(t, env, f.call("POST", "api", "/doit", map[string]string{"x-api-key": value}), 403, forbidden, "KEY_PLANS_NOT_ON_STAGE")

	f.plan("api", &types.ThrottleSettings{RateLimit: 100, BurstLimit: 100}, &types.QuotaSettings{Limit: 1000, Period: types.QuotaPeriodTypeDay}, keyID)
	a = f.call("POST", "api", "/doit", map[string]string{"X-API-KEY": value})
	wantAnswer(t, env, a, 200, didIt, "OK")
	if a.header.Get("Content-Type") != "application/json" {
		t.Fatalf("content type %q", a.header.Get("Content-Type"))
	}
	line := env.Access.Access(a.requestID)
	if line["apiKeyId"] != keyID || line["resourcePath"] != "/doit" || line["stage"] != "api" || line["status"] != float64(200) {
		t.Fatalf("access log line %v", line)
	}
	if strings.Contains(env.Access.String(), value) || strings.Contains(env.Access.String(), value[:20]) {
		t.Fatal("the access log contains the key value")
	}
}

// TestReasonCodes sets up each cause of a refusal and reads its reason
// code from the access log.
func TestReasonCodes(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	f := newFixture(t, env, "Reasons")
	f.mock("POST", "/doit", true, 200, didIt)
	f.mock("GET", "/open", false, 200, `{"open":true}`)
	f.deploy("api")
	keyID, value := f.key("k", true)
	f.plan("api", nil, nil, keyID)
	disabledID, disabled := f.key("off", false)
	f.c.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: aws.String(mustPlanOf(t, f, keyID)), KeyId: &disabledID, KeyType: aws.String("API_KEY")})
	// A method added to the API after the deployment.
	f.mock("DELETE", "/doit", true, 200, "{}")

	authz := newFixture(t, env, "ByAuthorizer")
	authz.mock("GET", "/a", true, 200, "{}")
	if _, err := env.Client.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: &authz.apiID, PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/apiKeySource"), Value: aws.String("AUTHORIZER")}}}); err != nil {
		t.Fatal(err)
	}
	authz.deploy("api")

	base := env.DataURL + "/restapis/" + f.apiID
	tests := []struct {
		name   string
		method string
		url    string
		hdr    map[string]string
		status int
		body   string
		reason string
	}{
		{"ok without key", "GET", base + "/api/_user_request_/open", nil, 200, `{"open":true}`, "OK"},
		{"key missing", "POST", base + "/api/_user_request_/doit", nil, 403, forbidden, "KEY_MISSING"},
		{"key under another header", "POST", base + "/api/_user_request_/doit", map[string]string{"api-key": value}, 403, forbidden, "KEY_IN_OTHER_HEADER"},
		{"key in the query string", "POST", base + "/api/_user_request_/doit?api_key=" + value, nil, 403, forbidden, "KEY_IN_QUERY_STRING"},
		{"key not found", "POST", base + "/api/_user_request_/doit", map[string]string{"x-api-key": strings.Repeat("z", 40)}, 403, forbidden, "KEY_NOT_FOUND"},
		{"key disabled", "POST", base + "/api/_user_request_/doit", map[string]string{"x-api-key": disabled}, 403, forbidden, "KEY_DISABLED"},
		{"stage not in URL", "POST", env.DataURL + "/restapis/" + f.apiID + "/", nil, 403, forbidden, "STAGE_NOT_IN_URL"},
		{"unknown stage", "POST", base + "/API/_user_request_/doit", map[string]string{"x-api-key": value}, 403, forbidden, "STAGE_UNKNOWN"},
		{"unknown API", "POST", env.DataURL + "/restapis/nosuchapi0/api/_user_request_/doit", nil, 403, forbidden, "API_UNKNOWN"},
		{"no API in URL", "POST", env.DataURL + "/api/doit", nil, 403, forbidden, "API_NOT_IN_URL"},
		{"unknown route", "POST", base + "/api/_user_request_/nothing/here", map[string]string{"x-api-key": value}, 403, missingToken, "ROUTE_UNKNOWN"},
		{"unknown method", "PUT", base + "/api/_user_request_/doit", map[string]string{"x-api-key": value}, 403, missingToken, "METHOD_UNKNOWN"},
		{"method not deployed", "DELETE", base + "/api/_user_request_/doit", map[string]string{"x-api-key": value}, 403, missingToken, "METHOD_NOT_DEPLOYED"},
		{"key source authorizer", "GET", env.DataURL + "/restapis/" + authz.apiID + "/api/_user_request_/a", map[string]string{"x-api-key": value}, 403, forbidden, "KEY_SOURCE_AUTHORIZER"},
		{"header names another API", "POST", base + "/api/_user_request_/doit", map[string]string{"x-api-key": value, "x-apigw-api-id": authz.apiID}, 403, forbidden, "API_ID_HEADER_MISMATCH"},
		{"host form", "POST", env.DataURL + "/api/doit", map[string]string{"x-api-key": value, "host": f.apiID + ".execute-api.localhost"}, 200, didIt, "OK"},
		{"header form", "POST", env.DataURL + "/api/doit", map[string]string{"x-api-key": value, "x-apigw-api-id": f.apiID}, 200, didIt, "OK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantAnswer(t, env, do(t, tt.method, tt.url, tt.hdr), tt.status, tt.body, tt.reason)
		})
	}
}

func mustPlanOf(t *testing.T, f *fixture, keyID string) string {
	t.Helper()
	plans, err := f.c.GetUsagePlans(context.Background(), &apigateway.GetUsagePlansInput{KeyId: &keyID})
	if err != nil || len(plans.Items) != 1 {
		t.Fatalf("plans of %s: %v %v", keyID, plans, err)
	}
	return aws.ToString(plans.Items[0].Id)
}

// TestKeyChangesApplyOnTheNextRequest: no propagation delay on one node.
func TestKeyChangesApplyOnTheNextRequest(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	f := newFixture(t, env, "Live")
	f.mock("POST", "/doit", true, 200, didIt)
	f.deploy("api")
	planID := f.plan("api", nil, nil)
	for i := range 20 {
		k, err := f.c.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String(fmt.Sprint("k", i)), Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.c.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: &planID, KeyId: k.Id, KeyType: aws.String("API_KEY")}); err != nil {
			t.Fatal(err)
		}
		wantAnswer(t, env, f.call("POST", "api", "/doit", map[string]string{"x-api-key": aws.ToString(k.Value)}), 200, didIt, "OK")
		if _, err := f.c.UpdateApiKey(ctx, &apigateway.UpdateApiKeyInput{ApiKey: k.Id, PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/enabled"), Value: aws.String("false")}}}); err != nil {
			t.Fatal(err)
		}
		wantAnswer(t, env, f.call("POST", "api", "/doit", map[string]string{"x-api-key": aws.ToString(k.Value)}), 403, forbidden, "KEY_DISABLED")
		if _, err := f.c.DeleteApiKey(ctx, &apigateway.DeleteApiKeyInput{ApiKey: k.Id}); err != nil {
			t.Fatal(err)
		}
		wantAnswer(t, env, f.call("POST", "api", "/doit", map[string]string{"x-api-key": aws.ToString(k.Value)}), 403, forbidden, "KEY_NOT_FOUND")
	}
}

// TestThrottleExactUnderFakeClock: a bucket admits exactly rate×t + burst.
func TestThrottleExactUnderFakeClock(t *testing.T) {
	clock := apitest.NewClock(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	env := apitest.Start(t, apitest.Options{Now: clock.Now})
	f := newFixture(t, env, "Throttled")
	f.mock("POST", "/doit", true, 200, didIt)
	f.deploy("api")
	keyID, value := f.key("k", true)
	f.plan("api", &types.ThrottleSettings{RateLimit: 2, BurstLimit: 5}, nil, keyID)
	hdr := map[string]string{"x-api-key": value}

	count := func(n int) (ok, throttled int) {
		for range n {
			a := f.call("POST", "api", "/doit", hdr)
			switch a.status {
			case 200:
				ok++
			case 429:
				if a.body != `{"message":"Too Many Requests"}` || a.header.Get("x-amzn-ErrorType") != "TooManyRequestsException" {
					t.Fatalf("throttled answer %s %v", a.body, a.header)
				}
				throttled++
			default:
				t.Fatalf("status %d %s", a.status, a.body)
			}
		}
		return
	}
	if ok, th := count(8); ok != 5 || th != 3 {
		t.Fatalf("at t0: %d admitted, %d throttled; want burst 5 admitted, 3 throttled", ok, th)
	}
	for _, step := range []struct {
		advance time.Duration
		want    int
	}{{1500 * time.Millisecond, 3}, {500 * time.Millisecond, 1}, {10 * time.Second, 5}, {250 * time.Millisecond, 0}} {
		clock.Advance(step.advance)
		if ok, _ := count(8); ok != step.want {
			t.Fatalf("after +%s: %d admitted, want %d", step.advance, ok, step.want)
		}
	}
	a := f.call("POST", "api", "/doit", hdr)
	wantAnswer(t, env, a, 429, "", "THROTTLED_PLAN")
	if a.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After on a throttled answer")
	}
}

// TestQuotaResetsAtUTCBoundary: the quota is per calendar period in UTC.
func TestQuotaResetsAtUTCBoundary(t *testing.T) {
	tests := []struct {
		name   string
		quota  types.QuotaSettings
		start  time.Time
		before time.Time // still the same period
		after  time.Time // the next period
	}{
		{"day", types.QuotaSettings{Limit: 3, Period: types.QuotaPeriodTypeDay},
			time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), time.Date(2026, 11, 22, 23, 59, 59, 0, time.UTC), time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)},
		{"week from monday", types.QuotaSettings{Limit: 3, Period: types.QuotaPeriodTypeWeek, Offset: 1},
			time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC), time.Date(2026, 11, 22, 23, 0, 0, 0, time.UTC), time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)},
		{"month from the 10th", types.QuotaSettings{Limit: 3, Period: types.QuotaPeriodTypeMonth, Offset: 9},
			time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), time.Date(2026, 12, 9, 23, 0, 0, 0, time.UTC), time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := apitest.NewClock(tt.start)
			env := apitest.Start(t, apitest.Options{Now: clock.Now})
			f := newFixture(t, env, "Quota")
			f.mock("POST", "/doit", true, 200, didIt)
			f.deploy("api")
			keyID, value := f.key("k", true)
			q := tt.quota
			f.plan("api", nil, &q, keyID)
			hdr := map[string]string{"x-api-key": value}
			for range 3 {
				wantAnswer(t, env, f.call("POST", "api", "/doit", hdr), 200, didIt, "OK")
			}
			a := f.call("POST", "api", "/doit", hdr)
			wantAnswer(t, env, a, 429, `{"message":"Limit Exceeded"}`, "QUOTA_EXCEEDED")
			if a.header.Get("x-amzn-ErrorType") != "LimitExceededException" {
				t.Fatalf("error type %q", a.header.Get("x-amzn-ErrorType"))
			}
			clock.Set(tt.before)
			wantAnswer(t, env, f.call("POST", "api", "/doit", hdr), 429, "", "QUOTA_EXCEEDED")
			clock.Set(tt.after)
			wantAnswer(t, env, f.call("POST", "api", "/doit", hdr), 200, didIt, "OK")
		})
	}
}

// TestGetUsageReportsCalls: what the data plane counted is what GetUsage says.
func TestGetUsageReportsCalls(t *testing.T) {
	clock := apitest.NewClock(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	env := apitest.Start(t, apitest.Options{Now: clock.Now})
	f := newFixture(t, env, "Usage")
	f.mock("POST", "/doit", true, 200, didIt)
	f.deploy("api")
	k1, v1 := f.key("k1", true)
	k2, v2 := f.key("k2", true)
	plan := f.plan("api", nil, &types.QuotaSettings{Limit: 100, Period: types.QuotaPeriodTypeMonth}, k1, k2)
	for range 7 {
		f.call("POST", "api", "/doit", map[string]string{"x-api-key": v1})
	}
	clock.Advance(24 * time.Hour)
	for range 3 {
		f.call("POST", "api", "/doit", map[string]string{"x-api-key": v1})
	}
	for range 2 {
		f.call("POST", "api", "/doit", map[string]string{"x-api-key": v2})
	}
	f.call("POST", "api", "/doit", nil) // refused: counts for nobody
	u, err := env.Client.GetUsage(context.Background(), &apigateway.GetUsageInput{UsagePlanId: &plan, StartDate: aws.String("2026-11-22"), EndDate: aws.String("2026-11-23")})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][][]int64{k1: {{7, 93}, {3, 90}}, k2: {{0, 100}, {2, 98}}}
	if diff := cmp.Diff(want, u.Items); diff != "" {
		t.Fatalf("GetUsage (-want +got):\n%s", diff)
	}
	// UpdateUsage reaches the live quota: 1 request left.
	if _, err := env.Client.UpdateUsage(context.Background(), &apigateway.UpdateUsageInput{UsagePlanId: &plan, KeyId: &k2,
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/remaining"), Value: aws.String("1")}}}); err != nil {
		t.Fatal(err)
	}
	wantAnswer(t, env, f.call("POST", "api", "/doit", map[string]string{"x-api-key": v2}), 200, didIt, "OK")
	wantAnswer(t, env, f.call("POST", "api", "/doit", map[string]string{"x-api-key": v2}), 429, "", "QUOTA_EXCEEDED")
}

// TestUpstreamFailures: 502 for a failing upstream, 504 for a hanging one.
func TestUpstreamFailures(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); hang.Close() })
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-api-key") != "" {
			t.Errorf("the upstream received the caller's API key")
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"path":%q,"query":%q}`, r.URL.Path, r.URL.RawQuery)
	}))
	t.Cleanup(ok.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()

	f := newFixture(t, env, "Upstreams")
	f.httpProxy("GET", "/ok/{proxy+}", false, ok.URL+"/base/{proxy}", 0)
	f.httpProxy("GET", "/down", false, closed+"/x", 0)
	f.httpProxy("GET", "/slow", false, hang.URL+"/x", 200)
	f.deploy("api")

	a := f.call("GET", "api", "/ok/a/b?x=1", map[string]string{"x-api-key": "should-not-travel"})
	if a.status != 200 || a.body != `{"path":"/base/a/b","query":"x=1"}` {
		t.Fatalf("proxy: %d %s", a.status, a.body)
	}
	a = f.call("GET", "api", "/down", nil)
	wantAnswer(t, env, a, 502, `{"message":"Internal server error"}`, "INTEGRATION_FAILURE")
	a = f.call("GET", "api", "/slow", nil)
	wantAnswer(t, env, a, 504, `{"message":"Endpoint request timed out"}`, "INTEGRATION_TIMEOUT")
}

// TestCustomGatewayResponse: PutGatewayResponse applies on the next request.
func TestCustomGatewayResponse(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	f := newFixture(t, env, "Custom")
	f.mock("POST", "/doit", true, 200, didIt)
	f.deploy("api")
	wantAnswer(t, env, f.call("POST", "api", "/doit", nil), 403, forbidden, "KEY_MISSING")
	_, err := env.Client.PutGatewayResponse(context.Background(), &apigateway.PutGatewayResponseInput{
		RestApiId: &f.apiID, ResponseType: types.GatewayResponseTypeInvalidApiKey, StatusCode: aws.String("401"),
		ResponseParameters: map[string]string{"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"},
		ResponseTemplates:  map[string]string{"application/json": `{"error":$context.error.messageString,"type":"$context.error.responseType","id":"$context.requestId"}`},
	})
	if err != nil {
		t.Fatal(err)
	}
	a := f.call("POST", "api", "/doit", nil)
	want := fmt.Sprintf(`{"error":"Forbidden","type":"INVALID_API_KEY","id":"%s"}`, a.requestID)
	wantAnswer(t, env, a, 401, want, "KEY_MISSING")
	if a.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("custom header missing: %v", a.header)
	}
}

// TestUsageSurvivesGracefulRestart: every request counted before a
// graceful shutdown is in GetUsage, and in the quota, after a restart.
func TestUsageSurvivesGracefulRestart(t *testing.T) {
	dir := t.TempDir()
	clock := apitest.NewClock(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	var plan, keyID, value, apiID string
	const calls = 37
	t.Run("first node", func(t *testing.T) {
		env := apitest.Start(t, apitest.Options{DataDir: dir, Now: clock.Now})
		f := newFixture(t, env, "Durable")
		f.mock("POST", "/doit", true, 200, didIt)
		f.deploy("api")
		keyID, value = f.key("k", true)
		plan = f.plan("api", nil, &types.QuotaSettings{Limit: 40, Period: types.QuotaPeriodTypeDay}, keyID)
		apiID = f.apiID
		for range calls {
			if a := f.call("POST", "api", "/doit", map[string]string{"x-api-key": value}); a.status != 200 {
				t.Fatalf("call: %d %s", a.status, a.body)
			}
		}
	}) // the node shuts down gracefully here
	env := apitest.Start(t, apitest.Options{DataDir: dir, Now: clock.Now})
	u, err := env.Client.GetUsage(context.Background(), &apigateway.GetUsageInput{UsagePlanId: &plan, KeyId: &keyID, StartDate: aws.String("2026-11-22"), EndDate: aws.String("2026-11-22")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][][]int64{keyID: {{calls, 40 - calls}}}, u.Items); diff != "" {
		t.Fatalf("usage after restart (-want +got):\n%s", diff)
	}
	f := &fixture{t: t, env: env, c: env.Client, apiID: apiID}
	for range 40 - calls {
		wantAnswer(t, env, f.call("POST", "api", "/doit", map[string]string{"x-api-key": value}), 200, didIt, "OK")
	}
	wantAnswer(t, env, f.call("POST", "api", "/doit", map[string]string{"x-api-key": value}), 429, "", "QUOTA_EXCEEDED")
}
