package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
)

// tenthsDraw is a fixed canary draw: 0.05, 0.15, …, 0.95, again and again:
// a canary of 10 % takes exactly every tenth request, starting with the
// first drawn.
type tenthsDraw struct {
	mu sync.Mutex
	n  int
}

func (d *tenthsDraw) roll() float64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	v := float64(d.n%10)/10 + 0.05
	d.n++
	return v
}

// releaseBody is what GET /pets answers in release name: the release, the
// stage variable color and AWS's $context.isCanaryRequest.
func releaseBody(name string) string {
	return `{"release":"` + name + `","color":"$stageVariables.color","canary":"$context.isCanaryRequest"}`
}

// TestCanaryReleaseOverHTTP is the canary story over the SDK and real
// HTTP: a 10 % canary with a fixed draw serves exactly every tenth
// request with the new deployment and its variable overrides; promotion
// (AWS's copy ops, then removing the canary) moves all traffic to it; a
// later canary rolled back (removing the canary) moves all traffic back.
func TestCanaryReleaseOverHTTP(t *testing.T) {
	draw := &tenthsDraw{}
	env := apitest.Start(t, apitest.Options{CanaryRoll: draw.roll})
	ctx := context.Background()
	f := newFixture(t, env, "Pets")
	f.mock("GET", "/pets", false, 200, releaseBody("v1"))
	d1, err := f.c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &f.apiID, StageName: aws.String("prod"), Variables: map[string]string{"color": "blue"}})
	if err != nil {
		t.Fatal(err)
	}
	const v1 = `{"release":"v1","color":"blue","canary":""}`
	want := func(n int, body, deployment string, canary bool) {
		t.Helper()
		for i := range n {
			a := f.call("GET", "prod", "/pets", nil)
			wantAnswer(t, env, a, 200, body, "OK")
			line := env.Access.Access(a.requestID)
			if line["deploymentId"] != deployment || (line["canary"] == true) != canary {
				t.Fatalf("request %d logged deployment %v canary %v, want %s %v", i, line["deploymentId"], line["canary"], deployment, canary)
			}
		}
	}
	want(3, v1, aws.ToString(d1.Id), false)

	// A canary release of v2: 10 %, color green.
	f.mock("GET", "/pets", false, 200, releaseBody("v2"))
	d2, err := f.c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &f.apiID, StageName: aws.String("prod"),
		CanarySettings: &types.DeploymentCanarySettings{PercentTraffic: 10, StageVariableOverrides: map[string]string{"color": "green"}}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.c.GetStage(ctx, &apigateway.GetStageInput{RestApiId: &f.apiID, StageName: aws.String("prod")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(st.DeploymentId) != aws.ToString(d1.Id) || st.CanarySettings == nil || aws.ToString(st.CanarySettings.DeploymentId) != aws.ToString(d2.Id) {
		t.Fatalf("stage after the canary deployment: %+v canary %+v", aws.ToString(st.DeploymentId), st.CanarySettings)
	}
	draw.mu.Lock()
	draw.n = 0
	draw.mu.Unlock()
	const baseSide = `{"release":"v1","color":"blue","canary":"false"}`
	const canarySide = `{"release":"v2","color":"green","canary":"true"}`
	var canaries []int
	for i := range 30 {
		a := f.call("GET", "prod", "/pets", nil)
		line := env.Access.Access(a.requestID)
		switch a.body {
		case canarySide:
			canaries = append(canaries, i)
			if line["deploymentId"] != aws.ToString(d2.Id) || line["canary"] != true {
				t.Fatalf("canary request %d logged %v", i, line)
			}
		case baseSide:
			if line["deploymentId"] != aws.ToString(d1.Id) || line["canary"] != nil {
				t.Fatalf("request %d logged %v", i, line)
			}
		default:
			t.Fatalf("request %d answered %d %s", i, a.status, a.body)
		}
	}
	if fmt.Sprint(canaries) != "[0 10 20]" {
		t.Fatalf("the 10 %% canary served requests %v, want [0 10 20]", canaries)
	}

	// gatehouse explain draws nothing: it explains the side it is asked
	// for, and --request-id the side that served.
	explained := func(args ...string) (deployment string, canary bool, route string) {
		t.Helper()
		code, out, errOut := explainCLI(t, env, append(args, "--json")...)
		var got struct {
			DeploymentID string `json:"deploymentId"`
			Canary       bool   `json:"canary"`
			Steps        []struct {
				Detail string `json:"detail"`
			} `json:"steps"`
			Request *struct {
				Canary bool `json:"canary"`
			} `json:"request"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil || code != 0 || len(got.Steps) == 0 {
			t.Fatalf("explain %v: exit %d %v\n%s%s", args, code, err, out, errOut)
		}
		if got.Request != nil && got.Request.Canary != got.Canary {
			t.Fatalf("explain %v: recorded canary %v, replayed %v", args, got.Request.Canary, got.Canary)
		}
		return got.DeploymentID, got.Canary, got.Steps[0].Detail
	}
	for _, tc := range []struct {
		args       []string
		deployment string
		canary     bool
	}{
		{[]string{"--api", f.apiID, "--stage", "prod", "GET", "/pets"}, aws.ToString(d1.Id), false},
		{[]string{"--api", f.apiID, "--stage", "prod", "--canary", "GET", "/pets"}, aws.ToString(d2.Id), true},
		{[]string{"--request-id", f.call("GET", "prod", "/pets", nil).requestID}, aws.ToString(d2.Id), true}, // the 31st draw: 0.05
	} {
		dep, canary, route := explained(tc.args...)
		if dep != tc.deployment || canary != tc.canary || !strings.Contains(route, "10 % of the stage's requests") {
			t.Errorf("explain %v: deployment %s canary %v (%s), want %s %v", tc.args, dep, canary, route, tc.deployment, tc.canary)
		}
	}
	draw.mu.Lock()
	draw.n = 5
	draw.mu.Unlock()
	dep, canary, _ := explained("--request-id", f.call("GET", "prod", "/pets", nil).requestID) // draw 0.55
	if dep != aws.ToString(d1.Id) || canary {
		t.Errorf("explain --request-id of a request the stage's own deployment served: deployment %s canary %v", dep, canary)
	}

	// Promote: the canary's deployment and overrides become the stage's;
	// then the canary goes.
	copyOp := func(from, path string) types.PatchOperation {
		return types.PatchOperation{Op: types.OpCopy, From: aws.String(from), Path: aws.String(path)}
	}
	promoted, err := f.c.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &f.apiID, StageName: aws.String("prod"), PatchOperations: []types.PatchOperation{
		copyOp("/canarySettings/deploymentId", "/deploymentId"),
		copyOp("/canarySettings/stageVariableOverrides", "/variables"),
		{Op: types.OpRemove, Path: aws.String("/canarySettings")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(promoted.DeploymentId) != aws.ToString(d2.Id) || promoted.CanarySettings != nil || promoted.Variables["color"] != "green" {
		t.Fatalf("promoted stage: deployment %s canary %+v variables %v", aws.ToString(promoted.DeploymentId), promoted.CanarySettings, promoted.Variables)
	}
	const v2 = `{"release":"v2","color":"green","canary":""}`
	want(12, v2, aws.ToString(d2.Id), false)

	// A v3 canary at 100 %, rolled back: all traffic is v2's again.
	f.mock("GET", "/pets", false, 200, releaseBody("v3"))
	d3, err := f.c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &f.apiID, StageName: aws.String("prod"),
		CanarySettings: &types.DeploymentCanarySettings{PercentTraffic: 100}})
	if err != nil {
		t.Fatal(err)
	}
	want(3, `{"release":"v3","color":"green","canary":"true"}`, aws.ToString(d3.Id), true)
	if _, err := f.c.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &f.apiID, StageName: aws.String("prod"), PatchOperations: []types.PatchOperation{
		{Op: types.OpRemove, Path: aws.String("/canarySettings")},
	}}); err != nil {
		t.Fatal(err)
	}
	want(12, v2, aws.ToString(d2.Id), false)
}

// TestCanaryInvokingAsAWSRecorded replays LocalStack's
// test_invoking_canary_deployment (recorded against AWS,
// ../shared/aws-recorded/canary.snapshot.json): the bodies of the stage's
// own deployment (canary at 0 %) and of the canary (100 %) are AWS's.
func TestCanaryInvokingAsAWSRecorded(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	f := newFixture(t, env, "Canary")
	tmpl := func(msg string) string {
		return `{"statusCode": 200, "message": "` + msg + `", "variable": "$stageVariables.testVar", "nonExistingDefault": "$stageVariables.noStageVar", "nonOverridden": "$stageVariables.defaultVar", "isCanary": "$context.isCanaryRequest"}`
	}
	f.mock("GET", "/", false, 200, tmpl("default deployment"))
	if _, err := f.c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &f.apiID, StageName: aws.String("dev"),
		Variables: map[string]string{"testVar": "default", "defaultVar": "default"}}); err != nil {
		t.Fatal(err)
	}
	f.mock("GET", "/", false, 200, tmpl("canary deployment"))
	if _, err := f.c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &f.apiID, StageName: aws.String("dev"),
		CanarySettings: &types.DeploymentCanarySettings{PercentTraffic: 0, StageVariableOverrides: map[string]string{"testVar": "canary", "noStageVar": "canary"}}}); err != nil {
		t.Fatal(err)
	}
	// AWS's recorded bodies ("response-deployment-1", "response-canary-deployment").
	const recordedDefault = `{"statusCode": 200, "message": "default deployment", "variable": "default", "nonExistingDefault": "", "nonOverridden": "default", "isCanary": "false"}`
	const recordedCanary = `{"statusCode": 200, "message": "canary deployment", "variable": "canary", "nonExistingDefault": "canary", "nonOverridden": "default", "isCanary": "true"}`
	wantAnswer(t, env, f.call("GET", "dev", "/", nil), 200, recordedDefault, "OK")
	if _, err := f.c.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &f.apiID, StageName: aws.String("dev"), PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/canarySettings/percentTraffic"), Value: aws.String("100.0")},
	}}); err != nil {
		t.Fatal(err)
	}
	wantAnswer(t, env, f.call("GET", "dev", "/", nil), 200, recordedCanary, "OK")
}
