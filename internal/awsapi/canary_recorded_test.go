package awsapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/google/go-cmp/cmp"
)

// recordingClient keeps the status and JSON body of the last answer the
// SDK client got, so a test can compare the wire with AWS's recording.
type recordingClient struct {
	mu     sync.Mutex
	status int
	body   []byte
}

func (c *recordingClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	c.mu.Lock()
	c.status, c.body = resp.StatusCode, b
	c.mu.Unlock()
	return resp, nil
}

// replay compares the node's answers with one recorded LocalStack test
// (testdata/recorded/canary.snapshot.json, recorded against AWS).
type replay struct {
	t      *testing.T
	rec    *recordingClient
	c      *apigateway.Client
	want   map[string]map[string]any
	placed map[string]string // recorded placeholder -> our value
	taken  map[string]string // our value -> placeholder
}

func newReplay(t *testing.T, env *apitest.Env, test string) *replay {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "recorded", "canary.snapshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]struct {
		Content map[string]map[string]any `json:"recorded-content"`
	}
	if err := json.Unmarshal(raw, &all); err != nil {
		t.Fatal(err)
	}
	key := "tests/aws/services/apigateway/test_apigateway_canary.py::" + test
	if _, ok := all[key]; !ok {
		t.Fatalf("no recording %s", key)
	}
	rec := &recordingClient{}
	c := apigateway.New(apigateway.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(env.AdminURL),
		Credentials:      credentials.NewStaticCredentialsProvider(env.Server.Credentials.AccessKeyID, env.Server.Credentials.SecretAccessKey, ""),
		HTTPClient:       rec,
		RetryMaxAttempts: 1,
	})
	return &replay{t: t, rec: rec, c: c, want: all[key].Content, placed: map[string]string{}, taken: map[string]string{}}
}

// check compares the last answer with the recording named name: status,
// and every field AWS sent (ids matched to placeholders consistently,
// dates to "datetime"); Gatehouse's own apiChangedSinceDeployment aside.
// For an error, the code and message.
func (r *replay) check(name string, err error) {
	r.t.Helper()
	want, ok := r.want[name]
	if !ok {
		r.t.Fatalf("no recorded answer %q", name)
	}
	meta := want["ResponseMetadata"].(map[string]any)
	r.rec.mu.Lock()
	status, body := r.rec.status, r.rec.body
	r.rec.mu.Unlock()
	if float64(status) != meta["HTTPStatusCode"].(float64) {
		r.t.Fatalf("%s: status %d, want %v (%s)", name, status, meta["HTTPStatusCode"], body)
	}
	if e, ok := want["Error"].(map[string]any); ok {
		apitest.WantError(r.t, err, e["Code"].(string), e["Message"].(string))
		return
	}
	if err != nil {
		r.t.Fatalf("%s: %v", name, err)
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		r.t.Fatalf("%s: %v: %s", name, err, body)
	}
	delete(got, "apiChangedSinceDeployment")
	w := map[string]any{}
	for k, v := range want {
		if k != "ResponseMetadata" {
			w[k] = v
		}
	}
	r.normalise(got)
	if d := cmp.Diff(w, got); d != "" {
		r.t.Errorf("%s differs from AWS's answer (-aws +gatehouse):\n%s", name, d)
	}
}

// normalise replaces dates with "datetime" and ids with the recording's
// placeholders, binding each placeholder to the first value it meets.
func (r *replay) normalise(m map[string]any) {
	for k, v := range m {
		switch k {
		case "createdDate", "lastUpdatedDate":
			m[k] = "datetime"
		case "id", "deploymentId":
			m[k] = r.placeholder(v.(string))
		default:
			if sub, ok := v.(map[string]any); ok && k == "canarySettings" {
				r.normalise(sub)
			}
		}
	}
}

func (r *replay) placeholder(v string) string {
	if p, ok := r.taken[v]; ok {
		return p
	}
	return v // bound by bind
}

// bind names our deployment id v as the recording's placeholder p.
func (r *replay) bind(v string, p int) {
	r.t.Helper()
	ph := fmt.Sprintf("<deployment-id:%d>", p)
	if old, ok := r.placed[ph]; ok && old != v {
		r.t.Fatalf("%s bound to %s and %s", ph, old, v)
	}
	r.placed[ph], r.taken[v] = v, ph
}

// canaryAPI is LocalStack's create_api_for_deployment: GET / as a MOCK.
func canaryAPI(t *testing.T, env *apitest.Env) string {
	t.Helper()
	ctx := context.Background()
	api := newAPI(t, env.Client, "canary")
	id, root := api.Id, api.RootResourceId
	get := aws.String("GET")
	if _, err := env.Client.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: id, ResourceId: root, HttpMethod: get, AuthorizationType: aws.String("NONE")}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: id, ResourceId: root, HttpMethod: get, StatusCode: aws.String("200")}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: id, ResourceId: root, HttpMethod: get, Type: types.IntegrationTypeMock,
		RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: id, ResourceId: root, HttpMethod: get, StatusCode: aws.String("200"),
		SelectionPattern: aws.String(""), ResponseTemplates: map[string]string{"application/json": `{"statusCode": 200, "message": "default deployment"}`}}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(id)
}

func copyOp(from, path string) types.PatchOperation {
	return types.PatchOperation{Op: types.OpCopy, From: aws.String(from), Path: aws.String(path)}
}

// TestCanaryRecorded replays LocalStack's canary tests, recorded against
// AWS, over the SDK and compares every answer with AWS's.
func TestCanaryRecorded(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	dev := aws.String("dev")
	deploy := func(r *replay, apiID string, in *apigateway.CreateDeploymentInput) (string, error) {
		in.RestApiId = &apiID
		d, err := r.c.CreateDeployment(ctx, in)
		if err != nil {
			return "", err
		}
		return aws.ToString(d.Id), nil
	}
	updateStage := func(r *replay, apiID, stage string, ops ...types.PatchOperation) error {
		_, err := r.c.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &apiID, StageName: &stage, PatchOperations: ops})
		return err
	}
	getStage := func(r *replay, apiID, stage string) error {
		_, err := r.c.GetStage(ctx, &apigateway.GetStageInput{RestApiId: &apiID, StageName: &stage})
		return err
	}
	canary := func(pct float64, overrides map[string]string) *types.DeploymentCanarySettings {
		return &types.DeploymentCanarySettings{PercentTraffic: pct, StageVariableOverrides: overrides}
	}

	t.Run("create_update_stages", func(t *testing.T) {
		r := newReplay(t, env, "TestStageCrudCanary::test_create_update_stages")
		apiID := canaryAPI(t, env)
		d1, err := deploy(r, apiID, &apigateway.CreateDeploymentInput{})
		r.bind(d1, 2)
		r.check("create-deployment-1", err)
		d2, err := deploy(r, apiID, &apigateway.CreateDeploymentInput{})
		r.bind(d2, 1)
		r.check("create-deployment-2", err)
		_, err = r.c.CreateStage(ctx, &apigateway.CreateStageInput{RestApiId: &apiID, StageName: dev, DeploymentId: &d1, Description: aws.String("dev stage"),
			Variables:      map[string]string{"testVar": "default"},
			CanarySettings: &types.CanarySettings{DeploymentId: &d2, PercentTraffic: 50, StageVariableOverrides: map[string]string{"testVar": "canary"}}})
		r.check("create-stage", err)
		r.check("get-stage", getStage(r, apiID, "dev"))
		r.check("update-stage-canary-settings-overrides", updateStage(r, apiID, "dev", replace("/canarySettings/stageVariableOverrides/testVar", "updated")))
		r.check("update-stage-remove-canary-settings", updateStage(r, apiID, "dev", types.PatchOperation{Op: types.OpRemove, Path: aws.String("/canarySettings")}))
		r.check("get-stage-after-remove", getStage(r, apiID, "dev"))
	})

	t.Run("create_canary_deployment_with_stage", func(t *testing.T) {
		r := newReplay(t, env, "TestStageCrudCanary::test_create_canary_deployment_with_stage")
		apiID := canaryAPI(t, env)
		d1, err := deploy(r, apiID, &apigateway.CreateDeploymentInput{})
		r.bind(d1, 1)
		r.check("create-deployment", err)
		_, err = r.c.CreateStage(ctx, &apigateway.CreateStageInput{RestApiId: &apiID, StageName: dev, DeploymentId: &d1, Description: aws.String("dev stage"),
			Variables: map[string]string{"testVar": "default"}})
		r.check("create-stage", err)
		d2, err := deploy(r, apiID, &apigateway.CreateDeploymentInput{StageName: dev, CanarySettings: canary(50, map[string]string{"testVar": "canary"})})
		r.bind(d2, 2)
		r.check("create-canary-deployment", err)
		r.check("get-stage", getStage(r, apiID, "dev"))
	})

	t.Run("create_canary_deployment", func(t *testing.T) {
		r := newReplay(t, env, "TestStageCrudCanary::test_create_canary_deployment")
		apiID := canaryAPI(t, env)
		d1, err := deploy(r, apiID, &apigateway.CreateDeploymentInput{})
		r.bind(d1, 1)
		r.check("create-deployment", err)
		_, err = r.c.CreateStage(ctx, &apigateway.CreateStageInput{RestApiId: &apiID, StageName: aws.String("dev1"), DeploymentId: &d1, Description: aws.String("dev stage"),
			Variables:      map[string]string{"testVar": "default"},
			CanarySettings: &types.CanarySettings{DeploymentId: &d1, PercentTraffic: 40, StageVariableOverrides: map[string]string{"testVar": "canary1"}}})
		r.check("create-stage", err)
		d2, err := deploy(r, apiID, &apigateway.CreateDeploymentInput{StageName: aws.String("dev1"), CanarySettings: canary(50, map[string]string{"testVar": "canary2"})})
		r.bind(d2, 2)
		r.check("create-canary-deployment", err)
		r.check("get-stage-1", getStage(r, apiID, "dev1"))
		_, err = r.c.CreateStage(ctx, &apigateway.CreateStageInput{RestApiId: &apiID, StageName: aws.String("dev2"), DeploymentId: &d1, Description: aws.String("dev stage"),
			Variables:      map[string]string{"testVar": "default"},
			CanarySettings: &types.CanarySettings{DeploymentId: &d2, PercentTraffic: 60, StageVariableOverrides: map[string]string{"testVar": "canary-overridden"}}})
		r.check("create-stage-2", err)
		_, err = r.c.CreateStage(ctx, &apigateway.CreateStageInput{RestApiId: &apiID, StageName: aws.String("dev3"), DeploymentId: &d1, Description: aws.String("dev stage"),
			CanarySettings: &types.CanarySettings{DeploymentId: aws.String("deploy")}})
		r.check("bad-canary-deployment-id", err)
	})

	t.Run("create_canary_deployment_by_stage_update", func(t *testing.T) {
		r := newReplay(t, env, "TestStageCrudCanary::test_create_canary_deployment_by_stage_update")
		apiID := canaryAPI(t, env)
		d1, err := deploy(r, apiID, &apigateway.CreateDeploymentInput{})
		r.bind(d1, 1)
		r.check("create-deployment", err)
		d2, err := deploy(r, apiID, &apigateway.CreateDeploymentInput{})
		r.bind(d2, 2)
		r.check("create-deployment-2", err)
		_, err = r.c.CreateStage(ctx, &apigateway.CreateStageInput{RestApiId: &apiID, StageName: dev, DeploymentId: &d1, Description: aws.String("dev stage"),
			Variables: map[string]string{"testVar": "default"}})
		r.check("create-stage", err)
		r.check("update-stage-with-deployment", updateStage(r, apiID, "dev", replace("/canarySettings/deploymentId", d2)))
		r.check("remove-stage-canary", updateStage(r, apiID, "dev", types.PatchOperation{Op: types.OpRemove, Path: aws.String("/canarySettings")}))
		r.check("update-stage-with-percent", updateStage(r, apiID, "dev", replace("/canarySettings/percentTraffic", "50")))
		r.check("get-stage", getStage(r, apiID, "dev"))
	})

	t.Run("create_canary_deployment_validation", func(t *testing.T) {
		r := newReplay(t, env, "TestStageCrudCanary::test_create_canary_deployment_validation")
		apiID := canaryAPI(t, env)
		c := canary(50, map[string]string{"testVar": "canary"})
		_, err := deploy(r, apiID, &apigateway.CreateDeploymentInput{CanarySettings: c})
		r.check("create-canary-deployment-no-stage", err)
		_, err = deploy(r, apiID, &apigateway.CreateDeploymentInput{StageName: aws.String(""), CanarySettings: c})
		r.check("create-canary-deployment-empty-stage", err)
		_, err = deploy(r, apiID, &apigateway.CreateDeploymentInput{StageName: aws.String("non-existing"), CanarySettings: c})
		r.check("create-canary-deployment-non-existing-stage", err)
	})

	t.Run("update_stage_canary_deployment_validation", func(t *testing.T) {
		r := newReplay(t, env, "TestStageCrudCanary::test_update_stage_canary_deployment_validation")
		apiID := canaryAPI(t, env)
		d1, err := deploy(r, apiID, &apigateway.CreateDeploymentInput{StageName: dev})
		if err != nil {
			t.Fatal(err)
		}
		r.bind(d1, 1)
		r.check("get-stage", getStage(r, apiID, "dev"))
		if _, err := deploy(r, apiID, &apigateway.CreateDeploymentInput{StageName: dev, CanarySettings: canary(50, map[string]string{"testVar": "canary"})}); err != nil {
			t.Fatal(err)
		}
		r.check("update-stage-canary-settings-remove-overrides", updateStage(r, apiID, "dev", types.PatchOperation{Op: types.OpRemove, Path: aws.String("/canarySettings/stageVariableOverrides")}))
		r.check("update-stage-canary-settings-bad-path", updateStage(r, apiID, "dev", types.PatchOperation{Op: types.OpRemove, Path: aws.String("/canarySettings/badPath")}))
		r.check("update-stage-canary-settings-bad-path-2", updateStage(r, apiID, "dev", replace("/canarySettings", "test")))
		r.check("update-stage-canary-settings-replace-bad-path", updateStage(r, apiID, "dev", replace("/canarySettings/badPath", "badPath")))
		d2, err := deploy(r, apiID, &apigateway.CreateDeploymentInput{StageName: aws.String("dev2")})
		if err != nil {
			t.Fatal(err)
		}
		r.check("update-stage-add-deployment", updateStage(r, apiID, "dev2", types.PatchOperation{Op: types.OpAdd, Path: aws.String("/canarySettings/deploymentId"), Value: &d2}))
		r.check("update-stage-no-deployment", updateStage(r, apiID, "dev2", replace("/canarySettings/deploymentId", "deploy")))
	})

	t.Run("update_stage_with_copy_ops", func(t *testing.T) {
		r := newReplay(t, env, "TestStageCrudCanary::test_update_stage_with_copy_ops")
		apiID := canaryAPI(t, env)
		d1, err := deploy(r, apiID, &apigateway.CreateDeploymentInput{StageName: dev, Variables: map[string]string{"testVar": "test", "testVar2": "test2"}})
		r.bind(d1, 1)
		r.check("deployment-1", err)
		r.check("copy-with-bad-statement", updateStage(r, apiID, "dev",
			copyOp("/variables", "/canarySettings/stageVariableOverrides"), copyOp("/deploymentId", "/canarySettings/deploymentId")))
		r.check("copy-with-no-replace", updateStage(r, apiID, "dev",
			copyOp("/canarySettings/stageVariableOverrides", "/variables"), copyOp("/canarySettings/deploymentId", "/deploymentId")))
		promote := []types.PatchOperation{replace("/canarySettings/percentTraffic", "0.0"),
			copyOp("/canarySettings/deploymentId", "/deploymentId"), copyOp("/canarySettings/stageVariableOverrides", "/variables")}
		r.check("update-stage-with-copy", updateStage(r, apiID, "dev", promote...))
		d2, err := deploy(r, apiID, &apigateway.CreateDeploymentInput{StageName: dev, CanarySettings: canary(50, map[string]string{"testVar": "override"})})
		r.bind(d2, 2)
		r.check("deployment-canary", err)
		r.check("get-stage", getStage(r, apiID, "dev"))
		r.check("update-stage-with-copy-2", updateStage(r, apiID, "dev", promote...))
	})
}

// TestCanaryPercentTrafficRange: a canary's share is 0 to 100 wherever it
// is set, and a refused write changes nothing.
func TestCanaryPercentTrafficRange(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	apiID := canaryAPI(t, env)
	d, err := env.Client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &apiID, StageName: aws.String("dev")})
	if err != nil {
		t.Fatal(err)
	}
	for _, pct := range []float64{-1, 100.5} {
		msg := fmt.Sprintf("Invalid percentTraffic %v: must be between 0.0 and 100.0", pct)
		_, err := env.Client.CreateStage(ctx, &apigateway.CreateStageInput{RestApiId: &apiID, StageName: aws.String("other"), DeploymentId: d.Id,
			CanarySettings: &types.CanarySettings{DeploymentId: d.Id, PercentTraffic: pct}})
		apitest.WantError(t, err, "BadRequestException", msg)
		_, err = env.Client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &apiID, StageName: aws.String("dev"),
			CanarySettings: &types.DeploymentCanarySettings{PercentTraffic: pct}})
		apitest.WantError(t, err, "BadRequestException", msg)
		_, err = env.Client.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &apiID, StageName: aws.String("dev"),
			PatchOperations: []types.PatchOperation{replace("/canarySettings/percentTraffic", fmt.Sprint(pct))}})
		apitest.WantError(t, err, "BadRequestException", msg)
	}
	st, err := env.Client.GetStage(ctx, &apigateway.GetStageInput{RestApiId: &apiID, StageName: aws.String("dev")})
	if err != nil {
		t.Fatal(err)
	}
	deps, err := env.Client.GetDeployments(ctx, &apigateway.GetDeploymentsInput{RestApiId: &apiID})
	if err != nil {
		t.Fatal(err)
	}
	if st.CanarySettings != nil || len(deps.Items) != 1 {
		t.Fatalf("refused writes left canary %+v and %d deployments", st.CanarySettings, len(deps.Items))
	}
	if _, err := env.Client.GetStage(ctx, &apigateway.GetStageInput{RestApiId: &apiID, StageName: aws.String("other")}); apitest.ErrorCode(err) != "NotFoundException" {
		t.Fatalf("stage other after a refused create: %v", err)
	}
}
