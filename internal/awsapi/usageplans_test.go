package awsapi_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func patchOps(kv ...string) []types.PatchOperation {
	var ops []types.PatchOperation
	for i := 0; i+2 < len(kv)+1; i += 3 {
		ops = append(ops, types.PatchOperation{Op: types.Op(kv[i]), Path: aws.String(kv[i+1]), Value: aws.String(kv[i+2])})
	}
	return ops
}

var ignoreSDK = cmpopts.IgnoreUnexported(types.ApiStage{}, types.ThrottleSettings{}, types.QuotaSettings{})

func TestUsagePlanCRUD(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	c, ctx := env.Client, context.Background()
	api := keysTestStage(t, env, "planapi001", "dev", "prod")

	created, err := c.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{
		Name: aws.String("gold"), Description: aws.String("d"),
		ApiStages: []types.ApiStage{{ApiId: aws.String(api), Stage: aws.String("dev"),
			Throttle: map[string]types.ThrottleSettings{"/pets/GET": {BurstLimit: 1, RateLimit: 2}}}},
		Throttle: &types.ThrottleSettings{BurstLimit: 20, RateLimit: 10},
		Quota:    &types.QuotaSettings{Limit: 10, Period: types.QuotaPeriodTypeDay},
		Tags:     map[string]string{"tag_key": "tag_value"},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := created.Id
	if len(aws.ToString(id)) != 6 || created.Quota.Offset != 0 || created.Throttle.RateLimit != 10 || created.Tags["tag_key"] != "tag_value" {
		t.Errorf("created: %+v", created)
	}
	got, err := c.GetUsagePlan(ctx, &apigateway.GetUsagePlanInput{UsagePlanId: id})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(created.ApiStages, got.ApiStages, ignoreSDK); diff != "" {
		t.Errorf("get apiStages (-want +got):\n%s", diff)
	}

	// AWS's documented example, then Terraform's pattern: remove every
	// stage, re-add, replace per-method limits with unescaped paths.
	upd, err := c.UpdateUsagePlan(ctx, &apigateway.UpdateUsagePlanInput{UsagePlanId: id, PatchOperations: patchOps(
		"add", "/apiStages", api+":prod",
		"replace", "/apiStages/"+api+":prod/throttle/~1pets/GET/rateLimit", "5",
		"replace", "/apiStages/"+api+":prod/throttle/~1pets/GET/burstLimit", "10",
		"replace", "/apiStages/"+api+":prod/throttle/~1/GET/rateLimit", "1.5",
		"add", "/throttle/rateLimit", "100.000000",
		"add", "/throttle/burstLimit", "200",
		"replace", "/quota/limit", "500",
		"replace", "/quota/period", "WEEK",
		"replace", "/quota/offset", "1",
		"replace", "/name", "platinum",
		"add", "/productCode", "pc",
	)})
	if err != nil {
		t.Fatal(err)
	}
	wantStages := []types.ApiStage{
		{ApiId: aws.String(api), Stage: aws.String("dev"), Throttle: map[string]types.ThrottleSettings{"/pets/GET": {BurstLimit: 1, RateLimit: 2}}},
		{ApiId: aws.String(api), Stage: aws.String("prod"), Throttle: map[string]types.ThrottleSettings{
			"/pets/GET": {BurstLimit: 10, RateLimit: 5}, "//GET": {RateLimit: 1.5}}},
	}
	if diff := cmp.Diff(wantStages, upd.ApiStages, ignoreSDK); diff != "" {
		t.Errorf("apiStages (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&types.QuotaSettings{Limit: 500, Offset: 1, Period: types.QuotaPeriodTypeWeek}, upd.Quota, ignoreSDK); diff != "" {
		t.Errorf("quota (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&types.ThrottleSettings{BurstLimit: 200, RateLimit: 100}, upd.Throttle, ignoreSDK); diff != "" {
		t.Errorf("throttle (-want +got):\n%s", diff)
	}
	if aws.ToString(upd.Name) != "platinum" || aws.ToString(upd.ProductCode) != "pc" || upd.Tags["tag_key"] != "tag_value" {
		t.Errorf("update: name %q productCode %q tags %v", aws.ToString(upd.Name), aws.ToString(upd.ProductCode), upd.Tags)
	}

	upd, err = c.UpdateUsagePlan(ctx, &apigateway.UpdateUsagePlanInput{UsagePlanId: id, PatchOperations: patchOps(
		"remove", "/apiStages", api+":dev",
		"remove", "/apiStages", api+":prod",
		"add", "/apiStages", api+":dev",
		"replace", "/apiStages/"+api+":dev/throttle//pets/GET/rateLimit", "7",
		"replace", "/apiStages/"+api+":dev/throttle//pets/GET/burstLimit", "8",
		"remove", "/throttle", "",
		"remove", "/quota", "",
		"remove", "/productCode", "",
	)})
	if err != nil {
		t.Fatal(err)
	}
	wantStages = []types.ApiStage{{ApiId: aws.String(api), Stage: aws.String("dev"), Throttle: map[string]types.ThrottleSettings{"/pets/GET": {BurstLimit: 8, RateLimit: 7}}}}
	if diff := cmp.Diff(wantStages, upd.ApiStages, ignoreSDK); diff != "" || upd.Throttle != nil || upd.Quota != nil || upd.ProductCode != nil {
		t.Errorf("after Terraform-style update: stages diff %s, throttle %v quota %v productCode %v", diff, upd.Throttle, upd.Quota, upd.ProductCode)
	}
	upd, err = c.UpdateUsagePlan(ctx, &apigateway.UpdateUsagePlanInput{UsagePlanId: id, PatchOperations: patchOps(
		"replace", "/apiStages/"+api+":dev/throttle", `{"//GET":{"rateLimit":3.0,"burstLimit":4}}`,
	)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]types.ThrottleSettings{"//GET": {BurstLimit: 4, RateLimit: 3}}, upd.ApiStages[0].Throttle, ignoreSDK); diff != "" {
		t.Errorf("throttle map replace (-want +got):\n%s", diff)
	}

	bad := []struct {
		name      string
		ops       []types.PatchOperation
		code, msg string
	}{
		{"stage without value", patchOps("add", "/apiStages", ""), "BadRequestException", "Invalid API Stage specified"},
		{"malformed stage", patchOps("add", "/apiStages", "nocolon"), "BadRequestException", "Invalid API Stage specified"},
		{"wrong api", patchOps("add", "/apiStages", api+"b:dev"), "NotFoundException", "Invalid API Stage {api: " + api + "b, stage: dev} specified for usageplan " + aws.ToString(id)},
		{"wrong stage", patchOps("add", "/apiStages", api+":fakestagename"), "NotFoundException", "Invalid API Stage {api: " + api + ", stage: fakestagename} specified for usageplan " + aws.ToString(id)},
		{"throttle on stage not in plan", patchOps("replace", "/apiStages/"+api+":prod/throttle/~1pets/GET/rateLimit", "1"),
			"NotFoundException", "Invalid API Stage {api: " + api + ", stage: prod} specified for usageplan " + aws.ToString(id)},
		{"unknown method", patchOps("replace", "/apiStages/"+api+":dev/throttle/~1pets/POST/rateLimit", "1"),
			"BadRequestException", `Invalid method throttle key "/pets/POST" for API Stage {api: ` + api + `, stage: dev}: the deployed API has no such resource path and method (use {resourcePath}/{METHOD}, e.g. /pets/GET, or //GET for the root)`},
		{"bad number", patchOps("replace", "/throttle/rateLimit", "fast"), "BadRequestException", `Invalid value "fast" for /throttle/rateLimit: must be a number`},
		{"bad period", patchOps("replace", "/quota/limit", "5", "replace", "/quota/period", "YEAR"), "BadRequestException", `Invalid quota period "YEAR": must be one of DAY, WEEK, MONTH`},
		{"quota without period", patchOps("replace", "/quota/limit", "5"), "BadRequestException", `Invalid quota period "": must be one of DAY, WEEK, MONTH`},
		{"day offset", patchOps("replace", "/quota/limit", "5", "replace", "/quota/period", "DAY", "replace", "/quota/offset", "1"), "BadRequestException", "Invalid quota offset 1: must be between 0 and 0 for period DAY"},
		{"negative burst", patchOps("replace", "/throttle/burstLimit", "-1"), "BadRequestException", "Invalid throttle: burstLimit -1 must not be negative"},
		{"add name", patchOps("add", "/name", "x"), "BadRequestException", "Invalid patch operation specified. Must be one of: [replace]"},
		{"unknown path", patchOps("replace", "/id", "x"), "BadRequestException", "Invalid patch path /id"},
		{"duplicate stage", patchOps("add", "/apiStages", api+":dev"), "BadRequestException", "API Stage {api: " + api + ", stage: dev} is already in usage plan " + aws.ToString(id)},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.UpdateUsagePlan(ctx, &apigateway.UpdateUsagePlanInput{UsagePlanId: id, PatchOperations: tt.ops})
			apitest.WantError(t, err, tt.code, tt.msg)
		})
	}
	// A refused update changes nothing.
	got, err = c.GetUsagePlan(ctx, &apigateway.GetUsagePlanInput{UsagePlanId: id})
	if err != nil || got.Quota != nil || len(got.ApiStages) != 1 {
		t.Errorf("after refused updates: %+v %v", got, err)
	}

	_, err = c.UpdateUsagePlan(ctx, &apigateway.UpdateUsagePlanInput{UsagePlanId: aws.String("nope00"), PatchOperations: patchOps("replace", "/name", "x")})
	apitest.WantError(t, err, "NotFoundException", "Invalid Usage Plan ID specified")
	if _, err := c.DeleteUsagePlan(ctx, &apigateway.DeleteUsagePlanInput{UsagePlanId: id}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetUsagePlan(ctx, &apigateway.GetUsagePlanInput{UsagePlanId: id})
	apitest.WantError(t, err, "NotFoundException", "Invalid Usage Plan ID specified")
	_, err = c.DeleteUsagePlan(ctx, &apigateway.DeleteUsagePlanInput{UsagePlanId: id})
	apitest.WantError(t, err, "NotFoundException", "Invalid Usage Plan ID specified")
}

func TestCreateUsagePlanValidation(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	c, ctx := env.Client, context.Background()
	api := keysTestStage(t, env, "planapi002", "dev")
	tests := []struct {
		name      string
		in        apigateway.CreateUsagePlanInput
		code, msg string
	}{
		{"unknown stage", apigateway.CreateUsagePlanInput{Name: aws.String("p"), ApiStages: []types.ApiStage{{ApiId: aws.String(api), Stage: aws.String("x")}}},
			"NotFoundException", ""},
		{"unknown method", apigateway.CreateUsagePlanInput{Name: aws.String("p"), ApiStages: []types.ApiStage{{ApiId: aws.String(api), Stage: aws.String("dev"),
			Throttle: map[string]types.ThrottleSettings{"/cats/GET": {}}}}}, "BadRequestException", ""},
		{"bad quota", apigateway.CreateUsagePlanInput{Name: aws.String("p"), Quota: &types.QuotaSettings{Limit: 1, Period: types.QuotaPeriodTypeMonth, Offset: 28}},
			"BadRequestException", "Invalid quota offset 28: must be between 0 and 27 for period MONTH"},
		{"negative rate", apigateway.CreateUsagePlanInput{Name: aws.String("p"), Throttle: &types.ThrottleSettings{RateLimit: -1}},
			"BadRequestException", "Invalid throttle: rateLimit -1 must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateUsagePlan(ctx, &tt.in)
			apitest.WantError(t, err, tt.code, tt.msg)
		})
	}
}

func TestGetUsagePlans(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	c, ctx := env.Client, context.Background()
	var ids []string
	for _, n := range []string{"a", "b", "c"} {
		p, err := c.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String(n), Tags: map[string]string{"k": "v"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(p.Id))
	}
	p1, err := c.GetUsagePlans(ctx, &apigateway.GetUsagePlansInput{Limit: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := c.GetUsagePlans(ctx, &apigateway.GetUsagePlansInput{Limit: aws.Int32(2), Position: p1.Position})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range append(p1.Items, p2.Items...) {
		got = append(got, aws.ToString(p.Id))
		if p.Tags != nil {
			t.Errorf("list item %s has tags; AWS omits them", aws.ToString(p.Id))
		}
	}
	if diff := cmp.Diff(ids, got); diff != "" || p1.Position == nil || p2.Position != nil {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
	key := mustCreateKey(t, c, &apigateway.CreateApiKeyInput{Name: aws.String("k")})
	if _, err := c.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: aws.String(ids[1]), KeyId: key.Id, KeyType: aws.String("API_KEY")}); err != nil {
		t.Fatal(err)
	}
	byKey, err := c.GetUsagePlans(ctx, &apigateway.GetUsagePlansInput{KeyId: key.Id})
	if err != nil || len(byKey.Items) != 1 || aws.ToString(byKey.Items[0].Id) != ids[1] {
		t.Errorf("keyId filter: %+v %v", byKey, err)
	}
}

func TestUsagePlanKeys(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	c, ctx := env.Client, context.Background()
	plan, err := c.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("p")})
	if err != nil {
		t.Fatal(err)
	}
	k1 := mustCreateKey(t, c, &apigateway.CreateApiKeyInput{Name: aws.String("key-one")})
	k2 := mustCreateKey(t, c, &apigateway.CreateApiKeyInput{Name: aws.String("key-two")})
	for _, k := range []*apigateway.CreateApiKeyOutput{k1, k2} {
		pk, err := c.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: k.Id, KeyType: aws.String("API_KEY")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(pk.Id) != aws.ToString(k.Id) || aws.ToString(pk.Type) != "API_KEY" || aws.ToString(pk.Value) != aws.ToString(k.Value) || aws.ToString(pk.Name) != aws.ToString(k.Name) {
			t.Errorf("usage plan key %+v", pk)
		}
	}
	list := func(in *apigateway.GetUsagePlanKeysInput) []string {
		t.Helper()
		out, err := c.GetUsagePlanKeys(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, k := range out.Items {
			ids = append(ids, aws.ToString(k.Id))
		}
		return ids
	}
	// The last key added comes first, as AWS lists them (aws-compat.md §10a).
	if diff := cmp.Diff([]string{aws.ToString(k2.Id), aws.ToString(k1.Id)}, list(&apigateway.GetUsagePlanKeysInput{UsagePlanId: plan.Id, NameQuery: aws.String("key")})); diff != "" {
		t.Errorf("name=key (-want +got):\n%s", diff)
	}
	if got := list(&apigateway.GetUsagePlanKeysInput{UsagePlanId: plan.Id, NameQuery: aws.String("KEY")}); got != nil {
		t.Errorf("name=KEY matched %v (must be case-sensitive)", got)
	}
	if got := list(&apigateway.GetUsagePlanKeysInput{UsagePlanId: plan.Id, NameQuery: aws.String("key-two")}); !cmp.Equal(got, []string{aws.ToString(k2.Id)}) {
		t.Errorf("name=key-two matched %v", got)
	}
	if got := list(&apigateway.GetUsagePlanKeysInput{UsagePlanId: aws.String("nope00")}); got != nil {
		t.Errorf("unknown plan listed %v, want none (AWS answers 200 with no items)", got)
	}
	pg := list(&apigateway.GetUsagePlanKeysInput{UsagePlanId: plan.Id, Limit: aws.Int32(1)})
	if len(pg) != 1 {
		t.Errorf("limit=1 gave %v", pg)
	}

	tests := []struct {
		name             string
		plan, key, ktype string
		code, msg        string
	}{
		{"unknown plan", "nope00", aws.ToString(k1.Id), "API_KEY", "NotFoundException", "Invalid Usage Plan ID specified"},
		{"unknown key", aws.ToString(plan.Id), "nokey00000", "API_KEY", "NotFoundException", "Invalid API Key identifier specified"},
		{"already in plan", aws.ToString(plan.Id), aws.ToString(k1.Id), "API_KEY", "ConflictException", "Usage plan " + aws.ToString(plan.Id) + " already contains API Key " + aws.ToString(k1.Id)},
		{"bad type", aws.ToString(plan.Id), aws.ToString(k1.Id), "SECRET", "BadRequestException", `Invalid usage plan key type "SECRET": must be API_KEY`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: aws.String(tt.plan), KeyId: aws.String(tt.key), KeyType: aws.String(tt.ktype)})
			apitest.WantError(t, err, tt.code, tt.msg)
		})
	}

	if _, err := c.DeleteUsagePlanKey(ctx, &apigateway.DeleteUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: k1.Id}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetUsagePlanKey(ctx, &apigateway.GetUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: k1.Id})
	apitest.WantError(t, err, "NotFoundException", "Invalid API Key identifier specified")
	_, err = c.DeleteUsagePlanKey(ctx, &apigateway.DeleteUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: k1.Id})
	apitest.WantError(t, err, "NotFoundException", "Invalid API Key identifier specified")
	_, err = c.GetUsagePlanKey(ctx, &apigateway.GetUsagePlanKeyInput{UsagePlanId: aws.String("nope00"), KeyId: k2.Id})
	apitest.WantError(t, err, "NotFoundException", "Invalid Usage Plan ID specified")
	// Deleting the key removes it from the plan.
	if _, err := c.DeleteApiKey(ctx, &apigateway.DeleteApiKeyInput{ApiKey: k2.Id}); err != nil {
		t.Fatal(err)
	}
	if got := list(&apigateway.GetUsagePlanKeysInput{UsagePlanId: plan.Id}); got != nil {
		t.Errorf("after deleting the keys the plan lists %v", got)
	}
}

// TestOnePlanPerStage checks the rule that a key may be in many plans but
// in only one plan per API stage.
func TestOnePlanPerStage(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	c, ctx := env.Client, context.Background()
	api := keysTestStage(t, env, "planapi003", "dev", "prod")
	newPlan := func(name string, stages ...string) string {
		in := &apigateway.CreateUsagePlanInput{Name: aws.String(name)}
		for _, s := range stages {
			in.ApiStages = append(in.ApiStages, types.ApiStage{ApiId: aws.String(api), Stage: aws.String(s)})
		}
		p, err := c.CreateUsagePlan(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(p.Id)
	}
	p1, p2, p3 := newPlan("p1", "dev"), newPlan("p2", "dev", "prod"), newPlan("p3", "prod")
	key := aws.ToString(mustCreateKey(t, c, &apigateway.CreateApiKeyInput{Name: aws.String("k")}).Id)
	add := func(plan string) error {
		_, err := c.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: aws.String(plan), KeyId: aws.String(key), KeyType: aws.String("API_KEY")})
		return err
	}
	if err := add(p1); err != nil {
		t.Fatal(err)
	}
	apitest.WantError(t, add(p2), "ConflictException",
		"API Key "+key+" is already in usage plan "+p1+", which covers API stage "+api+":dev also covered by usage plan "+p2+"; a key can be in only one usage plan per API stage")
	if err := add(p3); err != nil {
		t.Fatalf("a plan on another stage: %v", err)
	}
	_, err := c.UpdateUsagePlan(ctx, &apigateway.UpdateUsagePlanInput{UsagePlanId: aws.String(p3), PatchOperations: patchOps("add", "/apiStages", api+":dev")})
	apitest.WantError(t, err, "ConflictException",
		"API Key "+key+" is already in usage plan "+p1+", which covers API stage "+api+":dev also covered by usage plan "+p3+"; a key can be in only one usage plan per API stage")
}
