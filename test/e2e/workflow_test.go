package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/google/go-cmp/cmp"
)

// TestSeedWorkflow replays, through the AWS SDK, the workflow a user follows
// to put a key-protected API behind a usage plan, asserting every answer.
func TestSeedWorkflow(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	c := env.Client
	ctx := context.Background()

	api, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("UsefulAPI")})
	if err != nil {
		t.Fatalf("CreateRestApi: %v", err)
	}
	if api.ApiKeySource != types.ApiKeySourceTypeHeader || aws.ToString(api.RootResourceId) == "" {
		t.Fatalf("new API: apiKeySource=%q rootResourceId=%q", api.ApiKeySource, aws.ToString(api.RootResourceId))
	}
	res, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: api.RootResourceId, PathPart: aws.String("doit")})
	if err != nil {
		t.Fatalf("CreateResource: %v", err)
	}
	if got := aws.ToString(res.Path); got != "/doit" {
		t.Fatalf("resource path = %q, want /doit", got)
	}
	m, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: res.Id, HttpMethod: aws.String("POST"),
		AuthorizationType: aws.String("NONE"), ApiKeyRequired: true})
	if err != nil {
		t.Fatalf("PutMethod: %v", err)
	}
	if !aws.ToBool(m.ApiKeyRequired) {
		t.Fatal("PutMethod: apiKeyRequired not echoed")
	}
	if _, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: api.Id, ResourceId: res.Id, HttpMethod: aws.String("POST"),
		Type: types.IntegrationTypeMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}); err != nil {
		t.Fatalf("PutIntegration: %v", err)
	}
	if _, err := c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: api.Id, ResourceId: res.Id, HttpMethod: aws.String("POST"),
		StatusCode: aws.String("200"), ResponseTemplates: map[string]string{"application/json": `{"message":"Did it!"}`}}); err != nil {
		t.Fatalf("PutIntegrationResponse: %v", err)
	}
	dep, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("api")})
	if err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	stage, err := c.GetStage(ctx, &apigateway.GetStageInput{RestApiId: api.Id, StageName: aws.String("api")})
	if err != nil {
		t.Fatalf("GetStage: %v", err)
	}
	if aws.ToString(stage.DeploymentId) != aws.ToString(dep.Id) {
		t.Fatalf("stage deploymentId = %q, want %q", aws.ToString(stage.DeploymentId), aws.ToString(dep.Id))
	}

	key, err := c.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("partner"), Enabled: true})
	if err != nil {
		t.Fatalf("CreateApiKey: %v", err)
	}
	if len(aws.ToString(key.Value)) != 40 || !key.Enabled {
		t.Fatalf("CreateApiKey: value of %d chars, enabled=%v", len(aws.ToString(key.Value)), key.Enabled)
	}
	got, err := c.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: key.Id})
	if err != nil {
		t.Fatalf("GetApiKey: %v", err)
	}
	if len(got.StageKeys) != 0 || got.Value != nil {
		t.Fatalf("GetApiKey: stageKeys=%v value present=%v; want none and no value", got.StageKeys, got.Value != nil)
	}
	stageKey := aws.ToString(api.Id) + "/api"
	if _, err := c.UpdateApiKey(ctx, &apigateway.UpdateApiKeyInput{ApiKey: key.Id, PatchOperations: []types.PatchOperation{
		{Op: types.OpAdd, Path: aws.String("/stages"), Value: aws.String(stageKey)}}}); err != nil {
		t.Fatalf("UpdateApiKey add /stages: %v", err)
	}
	got, err = c.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: key.Id, IncludeValue: aws.Bool(true)})
	if err != nil {
		t.Fatalf("GetApiKey: %v", err)
	}
	if diff := cmp.Diff([]string{stageKey}, got.StageKeys); diff != "" {
		t.Fatalf("stageKeys (-want +got):\n%s", diff)
	}
	if aws.ToString(got.Value) != aws.ToString(key.Value) {
		t.Fatal("GetApiKey includeValue: value differs from the created one")
	}

	plan, err := c.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{
		Name:      aws.String("basic"),
		ApiStages: []types.ApiStage{{ApiId: api.Id, Stage: aws.String("api")}},
		Throttle:  &types.ThrottleSettings{RateLimit: 10, BurstLimit: 20},
		Quota:     &types.QuotaSettings{Limit: 1000, Period: types.QuotaPeriodTypeDay},
	})
	if err != nil {
		t.Fatalf("CreateUsagePlan: %v", err)
	}
	if len(plan.ApiStages) != 1 || aws.ToString(plan.ApiStages[0].Stage) != "api" || plan.Quota == nil || plan.Quota.Limit != 1000 {
		t.Fatalf("CreateUsagePlan answered %+v", plan)
	}
	pk, err := c.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: key.Id, KeyType: aws.String("API_KEY")})
	if err != nil {
		t.Fatalf("CreateUsagePlanKey: %v", err)
	}
	if aws.ToString(pk.Id) != aws.ToString(key.Id) || aws.ToString(pk.Type) != "API_KEY" || aws.ToString(pk.Name) != "partner" {
		t.Fatalf("CreateUsagePlanKey answered id=%q type=%q name=%q", aws.ToString(pk.Id), aws.ToString(pk.Type), aws.ToString(pk.Name))
	}
	upd, err := c.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: api.Id, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/apiKeySource"), Value: aws.String("HEADER")}}})
	if err != nil {
		t.Fatalf("UpdateRestApi: %v", err)
	}
	if upd.ApiKeySource != types.ApiKeySourceTypeHeader {
		t.Fatalf("apiKeySource = %q", upd.ApiKeySource)
	}

	today := time.Now().UTC().Format("2006-01-02")
	usage, err := c.GetUsage(ctx, &apigateway.GetUsageInput{UsagePlanId: plan.Id, StartDate: aws.String(today), EndDate: aws.String(today)})
	if err != nil {
		t.Fatalf("GetUsage: %v", err)
	}
	if aws.ToString(usage.UsagePlanId) != aws.ToString(plan.Id) || aws.ToString(usage.StartDate) != today || aws.ToString(usage.EndDate) != today {
		t.Fatalf("GetUsage header fields: %+v", usage)
	}
	want := map[string][][]int64{aws.ToString(key.Id): {{0, 1000}}}
	if diff := cmp.Diff(want, usage.Items); diff != "" {
		t.Fatalf("GetUsage items (-want +got):\n%s", diff)
	}
}
