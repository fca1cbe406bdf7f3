package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/gatehouse-dev/gatehouse/internal/doctor"
)

// adminPost sends a POST to the node's admin API, signed with creds
// (unsigned when creds is nil).
func adminPost(t *testing.T, env *apitest.Env, path, body string, creds *aws.Credentials) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, env.AdminURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("amz-sdk-invocation-id", rand.Text())
	if creds != nil {
		sum := sha256.Sum256([]byte(body))
		if err := v4.NewSigner().SignHTTP(context.Background(), *creds, req, hex.EncodeToString(sum[:]), "apigateway", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

func adminCreds(env *apitest.Env) *aws.Credentials {
	return &aws.Credentials{AccessKeyID: env.Server.Credentials.AccessKeyID, SecretAccessKey: env.Server.Credentials.SecretAccessKey}
}

// runDoctor calls POST /_gatehouse/doctor and decodes the report.
func runDoctor(t *testing.T, env *apitest.Env, body string) doctor.Report {
	t.Helper()
	status, _, b := adminPost(t, env, "/_gatehouse/doctor", body, adminCreds(env))
	if status != http.StatusOK {
		t.Fatalf("doctor: %d %s", status, b)
	}
	var rep doctor.Report
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("doctor answer: %v\n%s", err, b)
	}
	return rep
}

// findingFor returns the finding with code on resource, failing the test
// when there is none.
func findingFor(t *testing.T, rep doctor.Report, code, resource string) doctor.Finding {
	t.Helper()
	for _, f := range rep.Findings {
		if f.Code == code && f.Resource == resource {
			return f
		}
	}
	t.Fatalf("doctor has no %s on %s; findings: %+v", code, resource, rep.Findings)
	return doctor.Finding{}
}

// TestDoctorFindsUserReportCauses reproduces, over the AWS SDK and the
// data plane, each configuration cause of "403 Forbidden" in the user
// reports, and checks that doctor (the admin API) names it with a fix in
// terms of the user's objects.
func TestDoctorFindsUserReportCauses(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	c := env.Client

	f := newFixture(t, env, "reports")
	f.mock("GET", "/pets", true, 200, `{"ok":true}`)
	f.deploy("prod")

	t.Run("key in no plan", func(t *testing.T) {
		id, value := f.key("no-plan", true)
		wantAnswer(t, env, f.call("GET", "prod", "/pets", map[string]string{"x-api-key": value}), 403, "", "KEY_NOT_IN_ANY_PLAN")
		got := findingFor(t, runDoctor(t, env, ""), doctor.KeyNotInAnyPlan, "apikey/"+id)
		if got.Severity != doctor.Warning || !strings.Contains(got.Fix, "--key-id "+id) {
			t.Errorf("finding %+v", got)
		}
	})

	t.Run("plan not on the stage", func(t *testing.T) {
		id, value := f.key("plan-on-no-stage", true)
		p, err := c.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("forgotten")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: p.Id, KeyId: &id, KeyType: aws.String("API_KEY")}); err != nil {
			t.Fatal(err)
		}
		wantAnswer(t, env, f.call("GET", "prod", "/pets", map[string]string{"x-api-key": value}), 403, "", "KEY_PLANS_NOT_ON_STAGE")
		rep := runDoctor(t, env, "")
		plan := findingFor(t, rep, doctor.PlanNotOnAnyStage, "usageplan/"+aws.ToString(p.Id))
		key := findingFor(t, rep, doctor.KeyPlansReachNoStage, "apikey/"+id)
		if !strings.Contains(plan.Fix, "--usage-plan-id "+aws.ToString(p.Id)) || !strings.Contains(key.Message, `"forgotten"`) {
			t.Errorf("findings %+v %+v", plan, key)
		}
	})

	t.Run("method not redeployed", func(t *testing.T) {
		id, value := f.key("good", true)
		f.plan("prod", nil, nil, id)
		f.mock("POST", "/doit", true, 200, `{"done":true}`)
		a := f.call("POST", "prod", "/doit", map[string]string{"x-api-key": value})
		if a.status != 403 && a.status != 404 {
			t.Fatalf("undeployed method answered %d %s", a.status, a.body)
		}
		got := findingFor(t, runDoctor(t, env, `{"apiId":"`+f.apiID+`"}`), doctor.StageAPIChangedSinceDeployment, "restapi/"+f.apiID+"/stage/prod")
		if !strings.Contains(got.Message, "POST /doit added") || !strings.Contains(got.Fix, "create-deployment --rest-api-id "+f.apiID+" --stage-name prod") {
			t.Errorf("finding %+v", got)
		}
		f.deploy("prod")
		wantAnswer(t, env, f.call("POST", "prod", "/doit", map[string]string{"x-api-key": value}), 200, `{"done":true}`, "OK")
		for _, x := range runDoctor(t, env, "").Findings {
			if x.Code == doctor.StageAPIChangedSinceDeployment {
				t.Errorf("after redeploying: %+v", x)
			}
		}
	})

	t.Run("key source AUTHORIZER without authorizer", func(t *testing.T) {
		g := newFixture(t, env, "authz")
		g.mock("GET", "/items", true, 200, `{}`)
		if _, err := c.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: &g.apiID, PatchOperations: []types.PatchOperation{
			{Op: types.OpReplace, Path: aws.String("/apiKeySource"), Value: aws.String("AUTHORIZER")}}}); err != nil {
			t.Fatal(err)
		}
		g.deploy("v1")
		id, value := g.key("authz-key", true)
		g.plan("v1", nil, nil, id)
		a := g.call("GET", "v1", "/items", map[string]string{"x-api-key": value})
		if a.status != 403 {
			t.Fatalf("answer %d %s, want 403", a.status, a.body)
		}
		rep := runDoctor(t, env, `{"apiId":"`+g.apiID+`"}`)
		got := findingFor(t, rep, doctor.KeySourceAuthorizerWithoutAuthorizer, "restapi/"+g.apiID+"/resource/"+g.res["/items"]+"/GET")
		if got.Severity != doctor.Error || !strings.Contains(got.Fix, "update-rest-api --rest-api-id "+g.apiID) {
			t.Errorf("finding %+v", got)
		}
		for _, x := range rep.Findings {
			if strings.HasPrefix(x.Resource, "apikey/") || strings.Contains(x.Resource, f.apiID) {
				t.Errorf("a run scoped to API %s reports %s", g.apiID, x.Resource)
			}
		}
	})
}

// TestDoctorAdminAPI: the admin route is signed like every admin call,
// refuses a body it cannot read with the field at fault, and answers an
// unknown API with AWS's NotFound.
func TestDoctorAdminAPI(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	for _, tt := range []struct {
		name, body string
		creds      *aws.Credentials
		status     int
		errType    string
		message    string
	}{
		{"unsigned", "", nil, 403, "MissingAuthenticationTokenException", ""},
		{"wrong secret", "", &aws.Credentials{AccessKeyID: env.Server.Credentials.AccessKeyID, SecretAccessKey: strings.Repeat("x", 40)}, 403, "InvalidSignatureException", ""},
		{"unknown field", `{"restApiId":"x"}`, adminCreds(env), 400, "BadRequestException", `unknown field \"restApiId\"`},
		{"two values", `{} {}`, adminCreds(env), 400, "BadRequestException", "more than one JSON value"},
		{"unknown API", `{"apiId":"nosuchapi0"}`, adminCreds(env), 404, "NotFoundException", "Invalid API identifier specified 000000000000:nosuchapi0"},
		{"body too large", `{"apiId":"` + strings.Repeat("a", 5000) + `"}`, adminCreds(env), 400, "BadRequestException", "at most 4096 bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, hdr, b := adminPost(t, env, "/_gatehouse/doctor", tt.body, tt.creds)
			if status != tt.status || hdr.Get("x-amzn-ErrorType") != tt.errType || !strings.Contains(string(b), tt.message) {
				t.Errorf("%d %s %s; want %d %s %q", status, hdr.Get("x-amzn-ErrorType"), b, tt.status, tt.errType, tt.message)
			}
		})
	}
	rep := runDoctor(t, env, "")
	if len(rep.Findings) != 0 || rep.Failed() {
		t.Errorf("empty node: %+v", rep)
	}
}

// TestKeyValueForKeyID is the user report of `aws apigateway get-api-key
// --api-key <the key's value>`: over the AWS SDK (and the AWS CLI when it
// is installed) the NotFound names the key's id and never echoes the
// value, in the answer or the audit log.
func TestKeyValueForKeyID(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	c := env.Client
	k, err := c.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("mobile"), Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	id, value := aws.ToString(k.Id), aws.ToString(k.Value)
	p, err := c.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("p")})
	if err != nil {
		t.Fatal(err)
	}
	want := "Invalid API Key identifier specified. (The string given is the value of API key " + id + "; pass its id.)"
	for _, tt := range []struct {
		name string
		call func() error
	}{
		{"GetApiKey", func() error { _, err := c.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: &value}); return err }},
		{"UpdateApiKey", func() error {
			_, err := c.UpdateApiKey(ctx, &apigateway.UpdateApiKeyInput{ApiKey: &value, PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/name"), Value: aws.String("x")}}})
			return err
		}},
		{"DeleteApiKey", func() error { _, err := c.DeleteApiKey(ctx, &apigateway.DeleteApiKeyInput{ApiKey: &value}); return err }},
		{"CreateUsagePlanKey", func() error {
			_, err := c.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: p.Id, KeyId: &value, KeyType: aws.String("API_KEY")})
			return err
		}},
		{"GetUsagePlanKey", func() error {
			_, err := c.GetUsagePlanKey(ctx, &apigateway.GetUsagePlanKeyInput{UsagePlanId: p.Id, KeyId: &value})
			return err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			apitest.WantError(t, tt.call(), "NotFoundException", want)
		})
	}
	if _, err := c.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: &id}); err != nil {
		t.Fatalf("the key is gone after the refused delete: %v", err)
	}
	if strings.Contains(env.Audit.String(), value) {
		t.Error("the audit log holds the key value")
	}

	t.Run("aws cli", func(t *testing.T) {
		awsPath, err := exec.LookPath("aws")
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("the aws CLI is not installed; .ci/run installs Debian's awscli")
			}
			t.Skip("the aws CLI is not installed (apt-get install awscli, or run .ci/run)")
		}
		cmd := exec.Command(awsPath, "--endpoint-url", env.AdminURL, "apigateway", "get-api-key", "--api-key", value)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+env.Server.Credentials.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+env.Server.Credentials.SecretAccessKey,
			"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatalf("get-api-key with the value succeeded:\n%s", out)
		}
		if !strings.Contains(string(out), "(NotFoundException)") || !strings.Contains(string(out), want) {
			t.Errorf("aws cli said:\n%s\nwant NotFoundException and %q", out, want)
		}
	})
}
