package awsapi_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/google/go-cmp/cmp"
)

func TestStageLifecycle(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	apiID, _ := deployableAPI(t, env)
	d1, err := env.Client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &apiID})
	if err != nil {
		t.Fatal(err)
	}
	d2, err := env.Client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &apiID})
	if err != nil {
		t.Fatal(err)
	}
	st, err := env.Client.CreateStage(ctx, &apigateway.CreateStageInput{RestApiId: &apiID, StageName: aws.String("s1"), DeploymentId: d1.Id, Description: aws.String("my stage"),
		Tags: map[string]string{"t": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	got := []any{st.CacheClusterEnabled, string(st.CacheClusterStatus), len(st.MethodSettings), st.TracingEnabled, st.Tags, st.CreatedDate != nil, st.LastUpdatedDate != nil}
	want := []any{false, "NOT_AVAILABLE", 0, false, map[string]string{"t": "v"}, true, true}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("stage defaults (-want +got):\n%s", d)
	}
	if _, err := env.Client.CreateStage(ctx, &apigateway.CreateStageInput{RestApiId: &apiID, StageName: aws.String("s2"), DeploymentId: d2.Id}); err != nil {
		t.Fatal(err)
	}
	_, err = env.Client.CreateStage(ctx, &apigateway.CreateStageInput{RestApiId: &apiID, StageName: aws.String("s1"), DeploymentId: d1.Id})
	apitest.WantError(t, err, "ConflictException", "Stage already exists")
	_, err = env.Client.CreateStage(ctx, &apigateway.CreateStageInput{RestApiId: &apiID, StageName: aws.String("s3"), DeploymentId: aws.String("nope")})
	apitest.WantError(t, err, "BadRequestException", "Deployment id does not exist")

	all, err := env.Client.GetStages(ctx, &apigateway.GetStagesInput{RestApiId: &apiID})
	if err != nil {
		t.Fatal(err)
	}
	filtered, err := env.Client.GetStages(ctx, &apigateway.GetStagesInput{RestApiId: &apiID, DeploymentId: d2.Id})
	if err != nil {
		t.Fatal(err)
	}
	names := func(items []types.Stage) []string {
		var n []string
		for _, s := range items {
			n = append(n, aws.ToString(s.StageName))
		}
		return n
	}
	if d := cmp.Diff([]string{"s1", "s2"}, names(all.Item)); d != "" {
		t.Errorf("stages (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"s2"}, names(filtered.Item)); d != "" {
		t.Errorf("stages of d2 (-want +got):\n%s", d)
	}

	for _, flush := range []func() error{
		func() error {
			_, err := env.Client.FlushStageCache(ctx, &apigateway.FlushStageCacheInput{RestApiId: &apiID, StageName: aws.String("s1")})
			return err
		},
		func() error {
			_, err := env.Client.FlushStageAuthorizersCache(ctx, &apigateway.FlushStageAuthorizersCacheInput{RestApiId: &apiID, StageName: aws.String("s1")})
			return err
		},
	} {
		if err := flush(); err != nil {
			t.Errorf("flush: %v", err)
		}
	}
	_, err = env.Client.FlushStageCache(ctx, &apigateway.FlushStageCacheInput{RestApiId: &apiID, StageName: aws.String("nope")})
	apitest.WantError(t, err, "NotFoundException", "Invalid Stage identifier specified")

	if _, err := env.Client.DeleteStage(ctx, &apigateway.DeleteStageInput{RestApiId: &apiID, StageName: aws.String("s2")}); err != nil {
		t.Fatal(err)
	}
	_, err = env.Client.GetStage(ctx, &apigateway.GetStageInput{RestApiId: &apiID, StageName: aws.String("s2")})
	apitest.WantError(t, err, "NotFoundException", "Invalid Stage identifier specified")
	_, err = env.Client.DeleteStage(ctx, &apigateway.DeleteStageInput{RestApiId: &apiID, StageName: aws.String("s2")})
	apitest.WantError(t, err, "NotFoundException", "Invalid Stage identifier specified")
}

func TestUpdateStage(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	apiID, _ := deployableAPI(t, env)
	d1, err := env.Client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &apiID, StageName: aws.String("s1")})
	if err != nil {
		t.Fatal(err)
	}
	update := func(ops ...types.PatchOperation) (*apigateway.UpdateStageOutput, error) {
		return env.Client.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &apiID, StageName: aws.String("s1"), PatchOperations: ops})
	}
	out, err := update(
		replace("/description", "stage new"),
		replace("/tracingEnabled", "true"),
		replace("/variables/var1", "test"),
		replace("/*/*/throttling/burstLimit", "123"),
		replace("/*/*/caching/enabled", "true"),
		replace("/test/GET/throttling/burstLimit", "124"),
		replace("/~1pets/POST/throttling/rateLimit", "-1"),
		replace("/~1pets/POST/logging/loglevel", "INFO"),
	)
	if err != nil {
		t.Fatal(err)
	}
	wantAll := types.MethodSetting{CacheTtlInSeconds: 300, CachingEnabled: true, RequireAuthorizationForCacheControl: true, ThrottlingBurstLimit: 123, ThrottlingRateLimit: 10000,
		UnauthorizedCacheControlHeaderStrategy: "SUCCEED_WITH_RESPONSE_HEADER"}
	wantTest := wantAll
	wantTest.ThrottlingBurstLimit = 124
	wantPets := wantAll
	wantPets.ThrottlingRateLimit = -1
	wantPets.LoggingLevel = aws.String("INFO")
	if d := cmp.Diff(map[string]types.MethodSetting{"*/*": wantAll, "test/GET": wantTest, "~1pets/POST": wantPets}, out.MethodSettings, cmpMethodSetting); d != "" {
		t.Errorf("methodSettings (-want +got):\n%s", d)
	}
	if aws.ToString(out.Description) != "stage new" || !out.TracingEnabled || out.Variables["var1"] != "test" {
		t.Errorf("stage after update = %+v", out)
	}

	// Access logs and canary.
	d2, err := env.Client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &apiID})
	if err != nil {
		t.Fatal(err)
	}
	out, err = update(
		patchOp(types.OpAdd, "/accessLogSettings/destinationArn", "arn:aws:logs:us-east-1:1:log-group:x"),
		patchOp(types.OpAdd, "/accessLogSettings/format", "$context.requestId"),
		replace("/canarySettings/deploymentId", aws.ToString(d2.Id)),
		replace("/canarySettings/percentTraffic", "25.5"),
		patchOp(types.OpRemove, "/*/*", ""),
	)
	if err != nil {
		t.Fatal(err)
	}
	if out.AccessLogSettings == nil || aws.ToString(out.AccessLogSettings.Format) != "$context.requestId" ||
		out.CanarySettings == nil || aws.ToString(out.CanarySettings.DeploymentId) != aws.ToString(d2.Id) || out.CanarySettings.PercentTraffic != 25.5 {
		t.Errorf("access log / canary = %+v / %+v", out.AccessLogSettings, out.CanarySettings)
	}
	if _, ok := out.MethodSettings["*/*"]; ok {
		t.Errorf("*/* still present after remove")
	}
	// Promote the canary.
	out, err = update(types.PatchOperation{Op: types.OpCopy, From: aws.String("/canarySettings/deploymentId"), Path: aws.String("/deploymentId")}, patchOp(types.OpRemove, "/canarySettings", ""))
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.DeploymentId) != aws.ToString(d2.Id) || out.CanarySettings != nil {
		t.Errorf("after promotion deployment %q canary %+v", aws.ToString(out.DeploymentId), out.CanarySettings)
	}

	errTests := []struct {
		name      string
		ops       []types.PatchOperation
		code, msg string
	}{
		{"remove missing wildcard", []types.PatchOperation{patchOp(types.OpRemove, "/*/*", "")}, "BadRequestException", "Cannot remove method setting */* because there is no method setting for this method "},
		{"tags", []types.PatchOperation{replace("/tags/tag1", "x")}, "BadRequestException", "Invalid method setting path: /tags/tag1. Must be one of: [/deploymentId, /description, /cacheClusterEnabled, /cacheClusterSize, /clientCertificateId, /accessLogSettings, /accessLogSettings/destinationArn, /accessLogSettings/format, /{resourcePath}/{httpMethod}/metrics/enabled, /{resourcePath}/{httpMethod}/logging/dataTrace, /{resourcePath}/{httpMethod}/logging/loglevel, /{resourcePath}/{httpMethod}/throttling/burstLimit/{resourcePath}/{httpMethod}/throttling/rateLimit/{resourcePath}/{httpMethod}/caching/ttlInSeconds, /{resourcePath}/{httpMethod}/caching/enabled, /{resourcePath}/{httpMethod}/caching/dataEncrypted, /{resourcePath}/{httpMethod}/caching/requireAuthorizationForCacheControl, /{resourcePath}/{httpMethod}/caching/unauthorizedCacheControlHeaderStrategy, /*/*/metrics/enabled, /*/*/logging/dataTrace, /*/*/logging/loglevel, /*/*/throttling/burstLimit /*/*/throttling/rateLimit /*/*/caching/ttlInSeconds, /*/*/caching/enabled, /*/*/caching/dataEncrypted, /*/*/caching/requireAuthorizationForCacheControl, /*/*/caching/unauthorizedCacheControlHeaderStrategy, /variables/{variable_name}, /tracingEnabled]"},
		{"access log bad path", []types.PatchOperation{patchOp(types.OpAdd, "/accessLogSettings/x", "v")}, "BadRequestException", "Invalid accessLogSettings path. Must be one of : [/accessLogSettings/destinationArn, /accessLogSettings/format]"},
		{"access log empty", []types.PatchOperation{replace("/accessLogSettings/format", "")}, "BadRequestException", "Access Log value must not be empty"},
		{"access log remove sub", []types.PatchOperation{patchOp(types.OpRemove, "/accessLogSettings/destinationArn", "")}, "BadRequestException", "Cannot remove method setting accessLogSettings/destinationArn because there is no method setting for this method "},
		{"unknown deployment", []types.PatchOperation{replace("/deploymentId", "nope")}, "BadRequestException", "Deployment id does not exist"},
		{"canary add", []types.PatchOperation{patchOp(types.OpAdd, "/canarySettings/deploymentId", aws.ToString(d1.Id))}, "BadRequestException", "Invalid add operation with path: /canarySettings/deploymentId"},
		{"promote without canary", []types.PatchOperation{{Op: types.OpCopy, From: aws.String("/canarySettings/deploymentId"), Path: aws.String("/deploymentId")}}, "BadRequestException", "Promotion not available. Canary does not exist."},
		{"bad copy", []types.PatchOperation{{Op: types.OpCopy, From: aws.String("/variables"), Path: aws.String("/canarySettings/stageVariableOverrides")}}, "BadRequestException", "Invalid copy operation with path: /canarySettings/stageVariableOverrides and from /variables. Valid copy:path are [/deploymentId, /variables] and valid copy:from are [/canarySettings/deploymentId, /canarySettings/stageVariableOverrides]"},
		{"bad burst", []types.PatchOperation{replace("/*/*/throttling/burstLimit", "abc")}, "BadRequestException", ""},
		{"unknown stage", nil, "NotFoundException", "Invalid Stage identifier specified"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			stage := "s1"
			if tt.ops == nil {
				stage = "nope"
				tt.ops = []types.PatchOperation{replace("/description", "x")}
			}
			_, err := env.Client.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: &apiID, StageName: aws.String(stage), PatchOperations: tt.ops})
			apitest.WantError(t, err, tt.code, tt.msg)
		})
	}
}

func TestAPIChangedSinceDeployment(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	apiID, rootID := deployableAPI(t, env)
	if _, err := env.Client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &apiID, StageName: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}
	changed := func() bool {
		t.Helper()
		ss, err := env.Server.Control.StageStatus(ctx, apiID, "prod")
		if err != nil {
			t.Fatal(err)
		}
		return ss.APIChangedSinceDeployment
	}
	if changed() {
		t.Fatal("changed right after deployment")
	}
	// Settings outside the deployable definition do not count.
	if _, err := env.Client.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: &apiID, PatchOperations: []types.PatchOperation{replace("/description", "x")}}); err != nil {
		t.Fatal(err)
	}
	if changed() {
		t.Error("description change marked the API as changed")
	}
	if _, err := env.Client.UpdateMethod(ctx, &apigateway.UpdateMethodInput{RestApiId: &apiID, ResourceId: &rootID, HttpMethod: aws.String("GET"), PatchOperations: []types.PatchOperation{replace("/apiKeyRequired", "false")}}); err != nil {
		t.Fatal(err)
	}
	if !changed() {
		t.Error("apiKeyRequired change not detected")
	}
	if _, err := env.Client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: &apiID, StageName: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}
	if changed() {
		t.Error("changed after redeploy")
	}
}

var cmpMethodSetting = cmp.Comparer(func(a, b types.MethodSetting) bool {
	return a.CacheDataEncrypted == b.CacheDataEncrypted && a.CacheTtlInSeconds == b.CacheTtlInSeconds && a.CachingEnabled == b.CachingEnabled &&
		a.DataTraceEnabled == b.DataTraceEnabled && aws.ToString(a.LoggingLevel) == aws.ToString(b.LoggingLevel) && a.MetricsEnabled == b.MetricsEnabled &&
		a.RequireAuthorizationForCacheControl == b.RequireAuthorizationForCacheControl && a.ThrottlingBurstLimit == b.ThrottlingBurstLimit &&
		a.ThrottlingRateLimit == b.ThrottlingRateLimit && a.UnauthorizedCacheControlHeaderStrategy == b.UnauthorizedCacheControlHeaderStrategy
})
