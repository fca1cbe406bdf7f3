package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/gatehouse-dev/gatehouse/internal/cli"
	"github.com/gatehouse-dev/gatehouse/internal/server"
)

// explainJSON is what gatehouse explain --json prints.
type explainJSON struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
	Fix     string `json:"fix"`
	Status  int    `json:"status"`
	Steps   []struct {
		Name    string `json:"name"`
		Verdict string `json:"verdict"`
		Reason  string `json:"reason"`
		Detail  string `json:"detail"`
	} `json:"steps"`
	Request *struct {
		RequestID string `json:"requestId"`
		Reason    string `json:"reason"`
		KeyID     string `json:"keyId"`
		Status    int    `json:"status"`
	} `json:"request"`
}

// explainCLI runs gatehouse explain in-process against the node and
// returns its exit code and output.
func explainCLI(t *testing.T, env *apitest.Env, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	all := append([]string{"explain", "--endpoint", env.AdminURL, "--credentials", filepath.Join(env.DataDir, server.CredentialsFile)}, args...)
	code := cli.Run(context.Background(), all, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestExplainUserReports reproduces each cause of the user reports on a
// real node: the caller's AWS answer, then gatehouse explain's verdict
// (reason, exit code, the fix naming the user's objects), then gatehouse
// explain --request-id with the served request's x-amzn-RequestId.
func TestExplainUserReports(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	f := newFixture(t, env, "Shop")
	f.mock("POST", "/doit", true, 200, `{"ok":true}`)
	f.deploy("api")
	f.mock("DELETE", "/doit", true, 200, `{"deleted":true}`) // never redeployed
	st, err := f.c.GetStage(ctx, &apigateway.GetStageInput{RestApiId: &f.apiID, StageName: aws.String("api")})
	if err != nil {
		t.Fatal(err)
	}
	deployment := aws.ToString(st.DeploymentId)

	// An API whose keys come from an authorizer, with a method that has none.
	a2 := newFixture(t, env, "AuthKeys")
	a2.mock("GET", "/x", true, 200, `{}`)
	if _, err := a2.c.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: &a2.apiID, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/apiKeySource"), Value: aws.String("AUTHORIZER")}}}); err != nil {
		t.Fatal(err)
	}
	a2.deploy("api")

	good, goodValue := f.key("good", true)
	disabled, disabledValue := f.key("disabled", false)
	noPlan, noPlanValue := f.key("noplan", true)
	offStage, offStageValue := f.key("offstage", true)
	throttled, throttledValue := f.key("throttled", true)
	quota, quotaValue := f.key("quota", true)
	planOn := f.plan("api", nil, nil, good, disabled)
	planThrottle := f.plan("api", &types.ThrottleSettings{RateLimit: 0.001, BurstLimit: 1}, nil, throttled)
	planQuota := f.plan("api", nil, &types.QuotaSettings{Limit: 1, Period: types.QuotaPeriodTypeDay}, quota)
	planOff := a2.plan("api", nil, nil, offStage)
	onStage := []string{planOn, planThrottle, planQuota}

	base := "/restapis/" + f.apiID
	keyHdr := func(v string) map[string]string { return map[string]string{"x-api-key": v} }
	forbidden, noToken := `{"message":"Forbidden"}`, `{"message":"Missing Authentication Token"}`

	// The first throttled and quota calls pass and use up the limits.
	for _, v := range []string{throttledValue, quotaValue} {
		wantAnswer(t, env, f.call("POST", "api", "/doit", keyHdr(v)), 200, `{"ok":true}`, "OK")
	}

	tests := []struct {
		name   string
		call   func() answer
		status int
		body   string
		reason string
		args   []string // gatehouse explain's arguments
		fix    []string // parts of the fix
	}{
		{name: "allowed", call: func() answer { return f.call("POST", "api", "/doit", keyHdr(goodValue)) }, status: 200, body: `{"ok":true}`, reason: "OK",
			args: []string{"--api", f.apiID, "--stage", "api", "--key-id", good, "POST", "/doit"}},
		{name: "key missing", call: func() answer { return f.call("POST", "api", "/doit", nil) }, status: 403, body: forbidden, reason: "KEY_MISSING",
			args: []string{"--api", f.apiID, "--stage", "api", "POST", "/doit"}, fix: []string{"send the API key in the x-api-key header"}},
		{name: "key in another header", call: func() answer { return f.call("POST", "api", "/doit", map[string]string{"Api-Key": goodValue}) }, status: 403, body: forbidden, reason: "KEY_IN_OTHER_HEADER",
			args: []string{"POST", "/doit", "--api", f.apiID, "--stage", "api", "-H", "Api-Key: " + goodValue}, // flags after METHOD PATH
			fix:  []string{"send the key in the x-api-key header instead of api-key", "tag the RestApi " + f.apiID + " gatehouse:apiKeyHeader=api-key"}},
		{name: "key in the query string", call: func() answer {
			return do(t, "POST", env.DataURL+base+"/api/_user_request_/doit?api_key="+url.QueryEscape(goodValue), nil)
		}, status: 403, body: forbidden, reason: "KEY_IN_QUERY_STRING",
			args: []string{"--api", f.apiID, "--stage", "api", "POST", "/doit?api_key=" + url.QueryEscape(goodValue)}, fix: []string{"send the key in the x-api-key header instead of the query string", "gatehouse:apiKeyQuery=api_key"}},
		{name: "unknown key", call: func() answer { return f.call("POST", "api", "/doit", keyHdr("not-a-key-0123456789-abcdefgh")) }, status: 403, body: forbidden, reason: "KEY_NOT_FOUND",
			args: []string{"--api", f.apiID, "--stage", "api", "--key-value", "not-a-key-0123456789-abcdefgh", "POST", "/doit"}, fix: []string{"send the value of an existing API key"}},
		{name: "disabled key", call: func() answer { return f.call("POST", "api", "/doit", keyHdr(disabledValue)) }, status: 403, body: forbidden, reason: "KEY_DISABLED",
			args: []string{"--api", f.apiID, "--stage", "api", "--key-id", disabled, "POST", "/doit"}, fix: []string{"enable API key " + disabled + ": aws apigateway update-api-key --api-key " + disabled}},
		{name: "key in no plan", call: func() answer { return f.call("POST", "api", "/doit", keyHdr(noPlanValue)) }, status: 403, body: forbidden, reason: "KEY_NOT_IN_ANY_PLAN",
			args: []string{"--api", f.apiID, "--stage", "api", "--key-id", noPlan, "POST", "/doit"}, fix: []string{"add key " + noPlan + " to usage plan "}},
		{name: "plan not on the stage", call: func() answer { return f.call("POST", "api", "/doit", keyHdr(offStageValue)) }, status: 403, body: forbidden, reason: "KEY_PLANS_NOT_ON_STAGE",
			args: []string{"--api", f.apiID, "--stage", "api", "--key-id", offStage, "POST", "/doit"}, fix: []string{"attach usage plan " + planOff + " to stage api", "value=" + f.apiID + ":api"}},
		{name: "method not redeployed", call: func() answer { return f.call("DELETE", "api", "/doit", keyHdr(goodValue)) }, status: 403, body: noToken, reason: "METHOD_NOT_DEPLOYED",
			args: []string{"--api", f.apiID, "--stage", "api", "--key-id", good, "DELETE", "/doit"}, fix: []string{"redeploy stage api: DELETE /doit was added after deployment " + deployment}},
		{name: "stage name case", call: func() answer { return f.call("POST", "API", "/doit", keyHdr(goodValue)) }, status: 403, body: forbidden, reason: "STAGE_UNKNOWN",
			args: []string{"--api", f.apiID, "--stage", "API", "--key-id", good, "POST", "/doit"}, fix: []string{"the stage is `api`, not `API`"}},
		{name: "stage missing from the URL", call: func() answer {
			return do(t, "POST", env.DataURL+"/doit", map[string]string{"Host": f.apiID + ".execute-api.localhost", "x-api-key": goodValue})
		}, status: 403, body: forbidden, reason: "STAGE_UNKNOWN",
			args: []string{"--api", f.apiID, "--key-id", good, "POST", "/doit"}, fix: []string{`the URL has no stage: "doit" is a resource, not a stage; call /api/doit`}},
		{name: "key source AUTHORIZER without authorizer", call: func() answer { return a2.call("GET", "api", "/x", keyHdr(goodValue)) }, status: 403, body: forbidden, reason: "KEY_SOURCE_AUTHORIZER",
			args: []string{"--api", a2.apiID, "--stage", "api", "--key-id", good, "GET", "/x"}, fix: []string{"API " + a2.apiID + " takes API keys from an authorizer", "set apiKeySource to HEADER"}},
		{name: "throttled", call: func() answer { return f.call("POST", "api", "/doit", keyHdr(throttledValue)) }, status: 429, body: `{"message":"Too Many Requests"}`, reason: "THROTTLED_PLAN",
			args: []string{"--api", f.apiID, "--stage", "api", "--key-id", throttled, "POST", "/doit"}, fix: []string{"retry after ", "raise usage plan " + planThrottle + "'s throttle"}},
		{name: "quota", call: func() answer { return f.call("POST", "api", "/doit", keyHdr(quotaValue)) }, status: 429, body: `{"message":"Limit Exceeded"}`, reason: "QUOTA_EXCEEDED",
			args: []string{"--api", f.apiID, "--stage", "api", "--key-id", quota, "POST", "/doit"}, fix: []string{"API key " + quota + "'s quota in usage plan " + planQuota + " resets at ", "update-usage --usage-plan-id " + planQuota + " --key-id " + quota}},
	}
	secrets := []string{goodValue, disabledValue, noPlanValue, offStageValue, throttledValue, quotaValue}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Served once: the caller gets AWS's answer.
			a := tt.call()
			wantAnswer(t, env, a, tt.status, tt.body, tt.reason)

			wantCode, wantReason := 1, tt.reason
			if tt.reason == "OK" {
				wantCode, wantReason = 0, ""
			}
			check := func(how string, code int, stdout, stderr string) explainJSON {
				t.Helper()
				if code != wantCode {
					t.Fatalf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", how, code, wantCode, stdout, stderr)
				}
				var out explainJSON
				if err := json.Unmarshal([]byte(stdout), &out); err != nil {
					t.Fatalf("%s: not JSON: %v\n%s", how, err, stdout)
				}
				if out.Allowed != (wantCode == 0) || out.Reason != wantReason {
					t.Fatalf("%s: allowed %v reason %q, want %q\n%s", how, out.Allowed, out.Reason, wantReason, stdout)
				}
				for _, part := range tt.fix {
					if !strings.Contains(out.Fix, part) {
						t.Errorf("%s: fix %q, want it to contain %q", how, out.Fix, part)
					}
				}
				if tt.name == "key in no plan" && !slices.ContainsFunc(onStage, func(p string) bool { return strings.Contains(out.Fix, "usage plan "+p+" ") }) {
					t.Errorf("%s: fix %q names no plan attached to the stage (%v)", how, out.Fix, onStage)
				}
				if len(out.Steps) == 0 {
					t.Errorf("%s: no steps", how)
				}
				for _, s := range secrets {
					if strings.Contains(out.Fix, s) || strings.Contains(stderr, s) {
						t.Errorf("%s: a key value in the answer", how)
					}
				}
				return out
			}

			// Explained by the CLI, before any traffic could tell.
			code, stdout, stderr := explainCLI(t, env, append(tt.args, "--json")...)
			out := check("explain", code, stdout, stderr)
			if tt.reason != "OK" && out.Steps[len(out.Steps)-1].Verdict == "PASS" {
				t.Errorf("explain: refused, yet the last step passed: %+v", out.Steps)
			}

			// Explained by request id: the recorded decision and its fix.
			code, stdout, stderr = explainCLI(t, env, "--request-id", a.requestID, "--json")
			out = check("explain --request-id", code, stdout, stderr)
			if out.Request == nil || out.Request.RequestID != a.requestID || out.Request.Reason != tt.reason || out.Request.Status != tt.status {
				t.Fatalf("explain --request-id: recorded %+v", out.Request)
			}
		})
	}

	// The human output: every step with its verdict, the reason and the fix.
	code, stdout, stderr := explainCLI(t, env, "--api", f.apiID, "--stage", "api", "--key-id", noPlan, "POST", "/doit")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"POST /doit: REFUSED KEY_NOT_IN_ANY_PLAN — the caller gets 403 ForbiddenException (INVALID_API_KEY)", "  route ", "  key ", "PASS", "  plan ", "REFUSE", "KEY_NOT_IN_ANY_PLAN: API key " + noPlan, "  quota ", "NOT_REACHED", "(not reached)", "fix: API key " + noPlan + " is in no usage plan: add key " + noPlan} {
		if !strings.Contains(stdout, want) {
			t.Errorf("human output lacks %q:\n%s", want, stdout)
		}
	}

	// Errors exit 2: an unknown request id, bad arguments, bad credentials.
	for _, args := range [][]string{
		{"--request-id", "00000000-0000-4000-8000-000000000000"},
		{"--api", f.apiID, "POST"},
		{"--api", f.apiID, "--key-id", good, "--key-value", "x", "POST", "/doit"},
		{"--request-id", "x", "--api", f.apiID},
		{"--no-such-flag"},
	} {
		if code, stdout, stderr := explainCLI(t, env, args...); code != 2 || stderr == "" {
			t.Errorf("explain %v: exit %d, want 2\n%s%s", args, code, stdout, stderr)
		}
	}
	var stdoutB, stderrB bytes.Buffer
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG1")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
	if code := cli.Run(ctx, []string{"explain", "--endpoint", env.AdminURL, "--data-dir", t.TempDir(), "--api", f.apiID, "--stage", "api", "POST", "/doit"}, &stdoutB, &stderrB); code != 2 || !strings.Contains(stderrB.String(), "UnrecognizedClientException") {
		t.Errorf("unknown credentials: exit %d, stderr %s", code, stderrB.String())
	}
	// Without --credentials or AWS variables, the local node's admin
	// credentials in --data-dir sign the call.
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	stdoutB.Reset()
	if code := cli.Run(ctx, []string{"explain", "--endpoint", env.AdminURL, "--data-dir", env.DataDir, "--api", f.apiID, "--stage", "api", "--key-id", good, "POST", "/doit", "--json"}, &stdoutB, &stderrB); code != 0 {
		t.Errorf("with the data dir's credentials: exit %d\n%s", code, stderrB.String())
	}
}

// TestExplainAdminAPI: POST /_gatehouse/explain refuses an unsigned call
// and a bad body in the management API's error shape, naming the field.
func TestExplainAdminAPI(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	post := func(body string, sign bool) (int, string, string) {
		t.Helper()
		req, err := http.NewRequest("POST", env.AdminURL+server.ExplainPath, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if sign {
			sum := sha256.Sum256([]byte(body))
			creds := aws.Credentials{AccessKeyID: env.Server.Credentials.AccessKeyID, SecretAccessKey: env.Server.Credentials.SecretAccessKey}
			if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "apigateway", "us-east-1", time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), string(b)
	}
	for _, c := range []struct {
		name, body string
		sign       bool
		status     int
		errType    string
		msg        string
	}{
		{"unsigned", `{"requestId":"x"}`, false, 403, "MissingAuthenticationTokenException", ""},
		{"unknown field", `{"apiId":"x"}`, true, 400, "BadRequestException", `unknown field \"apiId\"`},
		{"two objects", `{"requestId":"x"}{}`, true, 400, "BadRequestException", "nothing after it"},
		{"no api", `{"method":"GET","path":"/x"}`, true, 400, "BadRequestException", "api: required"},
		{"bad method and path", `{"api":"a","method":"G T","path":"x"}`, true, 400, "BadRequestException", `method \"G T\": must be an HTTP method, as GET or POST; path \"x\": must start with /`},
		{"key id and value", `{"api":"a","method":"GET","path":"/x","keyId":"k","keyValue":"v"}`, true, 400, "BadRequestException", "keyId and keyValue: give at most one"},
		{"request id with more", `{"requestId":"x","api":"a"}`, true, 400, "BadRequestException", "give no other field"},
		{"unknown request id", `{"requestId":"00000000-0000-4000-8000-000000000000"}`, true, 404, "NotFoundException", "this node has no decision for request id"},
		{"body too large", `{"api":"` + strings.Repeat("a", 70<<10) + `"}`, true, 400, "BadRequestException", "takes a body of at most 65536 bytes"},
		{"allowed dry run", `{"api":"nope","stage":"api","method":"GET","path":"/x"}`, true, 200, "", `"reason":"API_UNKNOWN"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, errType, body := post(c.body, c.sign)
			if status != c.status || errType != c.errType || !strings.Contains(body, c.msg) {
				t.Fatalf("%d %s %s, want %d %s containing %q", status, errType, body, c.status, c.errType, c.msg)
			}
		})
	}
}
