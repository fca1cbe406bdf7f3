package awsapi_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/google/go-cmp/cmp"
)

// keysTestStage stores an API with GET / and GET /pets, a deployment of it
// and a stage, directly through the store (so these tests do not depend on
// the RestApi operations), and returns the API id.
func keysTestStage(t *testing.T, env *apitest.Env, apiID string, stages ...string) string {
	t.Helper()
	ctx := context.Background()
	res := map[string]*apigw.Resource{
		"rootid0001": {ID: "rootid0001", Methods: map[string]*apigw.Method{"GET": {HTTPMethod: "GET", AuthorizationType: apigw.AuthNone}}},
		"pets01": {ID: "pets01", ParentID: "rootid0001", PathPart: "pets", Methods: map[string]*apigw.Method{
			"GET": {HTTPMethod: "GET", AuthorizationType: apigw.AuthNone},
		}},
	}
	now := time.Now().UTC().Truncate(time.Second)
	err := env.Server.Store.Update(ctx, func(tx store.Tx) error {
		api := &apigw.RestAPI{ID: apiID, Name: "api " + apiID, CreatedDate: now, APIKeySource: apigw.KeySourceHeader,
			RootResourceID: "rootid0001", Resources: res}
		if err := tx.CreateAPI(ctx, api); err != nil {
			return err
		}
		d := &apigw.Deployment{ID: "dep001", APIID: apiID, CreatedDate: now,
			Snapshot: apigw.Snapshot{APIKeySource: apigw.KeySourceHeader, RootResourceID: "rootid0001", Resources: res}}
		if err := tx.CreateDeployment(ctx, d); err != nil {
			return err
		}
		for _, st := range stages {
			if err := tx.CreateStage(ctx, &apigw.Stage{APIID: apiID, Name: st, DeploymentID: "dep001", CreatedDate: now, LastUpdatedDate: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return apiID
}

func mustCreateKey(t *testing.T, c *apigateway.Client, in *apigateway.CreateApiKeyInput) *apigateway.CreateApiKeyOutput {
	t.Helper()
	out, err := c.CreateApiKey(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAPIKeyCRUD(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	c, ctx := env.Client, context.Background()
	const value = "abcdefghij0123456789-custom-value"
	created := mustCreateKey(t, c, &apigateway.CreateApiKeyInput{
		Name: aws.String("partner-acme"), Description: aws.String("d"), Value: aws.String(value),
		CustomerId: aws.String("cust-1"), Tags: map[string]string{"team": "a"},
	})
	if aws.ToString(created.Value) != value || created.Enabled || len(aws.ToString(created.Id)) != 10 {
		t.Fatalf("created = value %q enabled %v id %q", aws.ToString(created.Value), created.Enabled, aws.ToString(created.Id))
	}
	if created.CreatedDate == nil || created.StageKeys == nil || len(created.StageKeys) != 0 {
		t.Errorf("created: createdDate %v stageKeys %#v", created.CreatedDate, created.StageKeys)
	}
	if diff := cmp.Diff(map[string]string{"team": "a"}, created.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	id := created.Id

	got, err := c.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: id})
	if err != nil {
		t.Fatal(err)
	}
	if got.Value != nil || aws.ToString(got.Name) != "partner-acme" || aws.ToString(got.CustomerId) != "cust-1" {
		t.Errorf("get without includeValue: value %v name %q customer %q", got.Value, aws.ToString(got.Name), aws.ToString(got.CustomerId))
	}
	got, err = c.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: id, IncludeValue: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.Value) != value {
		t.Errorf("includeValue: value %q, want the created one", aws.ToString(got.Value))
	}

	upd, err := c.UpdateApiKey(ctx, &apigateway.UpdateApiKeyInput{ApiKey: id, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/name"), Value: aws.String("renamed")},
		{Op: types.OpReplace, Path: aws.String("/description"), Value: aws.String("new")},
		{Op: types.OpReplace, Path: aws.String("/enabled"), Value: aws.String("TRUE")},
		{Op: types.OpReplace, Path: aws.String("/customerId"), Value: aws.String("cust-2")},
		{Op: types.OpAdd, Path: aws.String("/labels"), Value: aws.String("ignored")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if upd.Value != nil || aws.ToString(upd.Name) != "renamed" || aws.ToString(upd.Description) != "new" || !upd.Enabled || aws.ToString(upd.CustomerId) != "cust-2" {
		t.Errorf("update: %+v", upd)
	}
	// enabled: anything but "true" disables, as AWS does.
	upd, err = c.UpdateApiKey(ctx, &apigateway.UpdateApiKeyInput{ApiKey: id, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/enabled"), Value: aws.String("yes")},
	}})
	if err != nil || upd.Enabled {
		t.Errorf("enabled=yes: %v, enabled %v", err, upd != nil && upd.Enabled)
	}

	if _, err := c.DeleteApiKey(ctx, &apigateway.DeleteApiKeyInput{ApiKey: id}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: id})
	apitest.WantError(t, err, "NotFoundException", "Invalid API Key identifier specified")
	_, err = c.DeleteApiKey(ctx, &apigateway.DeleteApiKeyInput{ApiKey: id})
	apitest.WantError(t, err, "NotFoundException", "Invalid API Key identifier specified")
	_, err = c.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: aws.String(strings.ToUpper(aws.ToString(id)))})
	apitest.WantError(t, err, "NotFoundException", "Invalid API Key identifier specified")
}

func TestCreateAPIKeyValidation(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	c, ctx := env.Client, context.Background()
	apiID := keysTestStage(t, env, "keysapi001", "dev")

	generated := mustCreateKey(t, c, &apigateway.CreateApiKeyInput{Name: aws.String("gen"), Value: aws.String("")})
	if v := aws.ToString(generated.Value); len(v) != 40 || strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != "" {
		t.Errorf("generated value %q: want 40 alphanumerics", v)
	}
	noName := mustCreateKey(t, c, &apigateway.CreateApiKeyInput{Name: aws.String("")})
	if noName.Name != nil {
		t.Errorf("empty name echoed as %q; AWS omits it", aws.ToString(noName.Name))
	}
	withStage := mustCreateKey(t, c, &apigateway.CreateApiKeyInput{Name: aws.String("legacy"),
		StageKeys: []types.StageKey{{RestApiId: aws.String(apiID), StageName: aws.String("dev")}}})
	if diff := cmp.Diff([]string{apiID + "/dev"}, withStage.StageKeys); diff != "" {
		t.Errorf("stageKeys (-want +got):\n%s", diff)
	}

	dup := strings.Repeat("d", 20)
	mustCreateKey(t, c, &apigateway.CreateApiKeyInput{Value: aws.String(dup)})

	tests := []struct {
		name      string
		in        apigateway.CreateApiKeyInput
		code, msg string
	}{
		{"name too long", apigateway.CreateApiKeyInput{Name: aws.String(strings.Repeat("n", 1025))}, "BadRequestException", "Invalid API Key name, can be at most 1024 characters."},
		{"value too short", apigateway.CreateApiKeyInput{Value: aws.String(strings.Repeat("v", 19))}, "BadRequestException", "API Key value should be at least 20 characters"},
		{"value too long", apigateway.CreateApiKeyInput{Value: aws.String(strings.Repeat("v", 129))}, "BadRequestException", "API Key value exceeds maximum size of 128 characters"},
		{"description too long", apigateway.CreateApiKeyInput{Description: aws.String(strings.Repeat("x", 125001))}, "BadRequestException", "Invalid API Key description specified."},
		{"duplicate value", apigateway.CreateApiKeyInput{Value: aws.String(dup)}, "ConflictException", "API Key already exists"},
		{"unknown stage key", apigateway.CreateApiKeyInput{StageKeys: []types.StageKey{{RestApiId: aws.String(apiID), StageName: aws.String("nope")}}},
			"NotFoundException", "Invalid stage key specified: API " + apiID + " has no stage nope"},
		{"aws tag", apigateway.CreateApiKeyInput{Tags: map[string]string{"aws:x": "1"}}, "BadRequestException", `Invalid tag key "aws:x": the prefix "aws:" is reserved`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateApiKey(ctx, &tt.in)
			apitest.WantError(t, err, tt.code, tt.msg)
		})
	}
}

func TestUpdateAPIKeyPaths(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	c, ctx := env.Client, context.Background()
	apiID := keysTestStage(t, env, "keysapi002", "dev", "prod")
	id := mustCreateKey(t, c, &apigateway.CreateApiKeyInput{Name: aws.String("k")}).Id

	upd, err := c.UpdateApiKey(ctx, &apigateway.UpdateApiKeyInput{ApiKey: id, PatchOperations: []types.PatchOperation{
		{Op: types.OpAdd, Path: aws.String("/stages"), Value: aws.String(apiID + "/dev")},
		{Op: types.OpAdd, Path: aws.String("/stages"), Value: aws.String(apiID + "/prod")},
		{Op: types.OpRemove, Path: aws.String("/stages"), Value: aws.String(apiID + "/dev")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{apiID + "/prod"}, upd.StageKeys); diff != "" {
		t.Errorf("stageKeys (-want +got):\n%s", diff)
	}
	if upd.Tags == nil {
		t.Errorf("UpdateApiKey must send tags {}")
	}

	tests := []struct {
		name      string
		op        types.PatchOperation
		code, msg string
	}{
		{"immutable id", types.PatchOperation{Op: types.OpReplace, Path: aws.String("/id"), Value: aws.String("x")},
			"BadRequestException", "Invalid patch path  '/id' specified for op 'replace'. Must be one of: [/description, /enabled, /name, /customerId]"},
		{"value cannot change", types.PatchOperation{Op: types.OpReplace, Path: aws.String("/value"), Value: aws.String(strings.Repeat("x", 30))},
			"BadRequestException", "Invalid patch path  '/value' specified for op 'replace'. Must be one of: [/description, /enabled, /name, /customerId]"},
		{"add name", types.PatchOperation{Op: types.OpAdd, Path: aws.String("/name"), Value: aws.String("x")},
			"BadRequestException", "Invalid patch path  '/name' specified for op 'add'. Must be one of: [/stages, /labels]"},
		{"unknown op", types.PatchOperation{Op: types.Op("wrong"), Path: aws.String("/name"), Value: aws.String("x")},
			"ValidationException", "1 validation error detected: Value 'wrong' at 'updateApiKeyInput.patchOperations.1.member.op' failed to satisfy constraint: Member must satisfy enum value set: [add, remove, move, test, replace, copy]"},
		{"description too long", types.PatchOperation{Op: types.OpReplace, Path: aws.String("/description"), Value: aws.String(strings.Repeat("x", 125001))},
			"BadRequestException", "Invalid API Key description specified."},
		{"unknown stage", types.PatchOperation{Op: types.OpAdd, Path: aws.String("/stages"), Value: aws.String(apiID + "/nope")},
			"NotFoundException", "Invalid stage key specified: API " + apiID + " has no stage nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.UpdateApiKey(ctx, &apigateway.UpdateApiKeyInput{ApiKey: id, PatchOperations: []types.PatchOperation{tt.op}})
			apitest.WantError(t, err, tt.code, tt.msg)
		})
	}
	_, err = c.UpdateApiKey(ctx, &apigateway.UpdateApiKeyInput{ApiKey: aws.String("nokey00000"), PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/name"), Value: aws.String("x")}}})
	apitest.WantError(t, err, "NotFoundException", "Invalid API Key identifier specified")
}

func TestGetAPIKeys(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	c, ctx := env.Client, context.Background()
	values := map[string]string{}
	var ids []string
	for i, name := range []string{"alpha-1", "alpha-2", "Alpha-3", "beta"} {
		in := &apigateway.CreateApiKeyInput{Name: aws.String(name)}
		if i == 3 {
			in.CustomerId = aws.String("cust")
		}
		k := mustCreateKey(t, c, in)
		ids = append(ids, aws.ToString(k.Id))
		values[aws.ToString(k.Id)] = aws.ToString(k.Value)
	}
	// AWS lists keys newest first (aws-compat.md §10a): beta, Alpha-3,
	// alpha-2, alpha-1.
	slices.Reverse(ids)
	list := func(in *apigateway.GetApiKeysInput) ([]string, *string) {
		t.Helper()
		out, err := c.GetApiKeys(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, k := range out.Items {
			got = append(got, aws.ToString(k.Id))
			if want := values[aws.ToString(k.Id)]; aws.ToBool(in.IncludeValues) != (k.Value != nil) || (k.Value != nil && *k.Value != want) {
				t.Errorf("key %s: value %v with includeValues=%v", aws.ToString(k.Id), k.Value != nil, aws.ToBool(in.IncludeValues))
			}
		}
		return got, out.Position
	}
	got, pos := list(&apigateway.GetApiKeysInput{NameQuery: aws.String("alpha")})
	if diff := cmp.Diff(ids[2:], got); diff != "" || pos != nil {
		t.Errorf("name=alpha (case-sensitive prefix) (-want +got):\n%s", diff)
	}
	if got, _ := list(&apigateway.GetApiKeysInput{NameQuery: aws.String("pha")}); got != nil {
		t.Errorf("name=pha (infix) matched %v", got)
	}
	if got, _ := list(&apigateway.GetApiKeysInput{CustomerId: aws.String("cust"), IncludeValues: aws.Bool(true)}); !cmp.Equal(got, ids[:1]) {
		t.Errorf("customerId=cust: %v", got)
	}
	page1, pos := list(&apigateway.GetApiKeysInput{Limit: aws.Int32(3)})
	if pos == nil {
		t.Fatal("no position after a full page")
	}
	page2, pos2 := list(&apigateway.GetApiKeysInput{Limit: aws.Int32(3), Position: pos, IncludeValues: aws.Bool(true)})
	if diff := cmp.Diff(ids, append(page1, page2...)); diff != "" || pos2 != nil {
		t.Errorf("pages (-want +got):\n%s (last position %v)", diff, pos2)
	}
	_, err := c.GetApiKeys(ctx, &apigateway.GetApiKeysInput{Position: aws.String("garbage")})
	apitest.WantError(t, err, "BadRequestException", "")
}

func TestImportAPIKeys(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	c, ctx := env.Client, context.Background()
	plan, err := c.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("imports")})
	if err != nil {
		t.Fatal(err)
	}
	const k1, k2 = "import-value-number-one-000", "import-value-number-two-000"
	csv := "Name,key,description,Enabled,usageplanIds\n" +
		"first," + k1 + ",one,TRUE," + aws.ToString(plan.Id) + "\n" +
		"second," + k2 + ",two,false\n" +
		"broken,short,three,true\n"
	out, err := c.ImportApiKeys(ctx, &apigateway.ImportApiKeysInput{Body: []byte(csv), Format: types.ApiKeysFormatCsv})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Ids) != 2 {
		t.Fatalf("ids = %v, want 2", out.Ids)
	}
	if diff := cmp.Diff([]string{"line 4: API Key value should be at least 20 characters"}, out.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	first, err := c.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: aws.String(out.Ids[0]), IncludeValue: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(first.Value) != k1 || aws.ToString(first.Name) != "first" || !first.Enabled || aws.ToString(first.Description) != "one" {
		t.Errorf("first key: %+v", first)
	}
	pk, err := c.GetUsagePlanKey(ctx, &apigateway.GetUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: aws.String(out.Ids[0])})
	if err != nil || aws.ToString(pk.Value) != k1 {
		t.Errorf("usage plan key of imported key: %v %v", pk, err)
	}

	// Re-importing the same value overwrites that key.
	again, err := c.ImportApiKeys(ctx, &apigateway.ImportApiKeysInput{Body: []byte("key,name,enabled\n" + k2 + ",second-renamed,true\n"), Format: types.ApiKeysFormatCsv})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(out.Ids[1:], again.Ids); diff != "" {
		t.Errorf("re-import ids (-want +got):\n%s", diff)
	}
	second, err := c.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: aws.String(out.Ids[1])})
	if err != nil || aws.ToString(second.Name) != "second-renamed" || !second.Enabled {
		t.Errorf("overwritten key: %+v %v", second, err)
	}

	// failonwarnings refuses the whole file and keeps nothing.
	_, err = c.ImportApiKeys(ctx, &apigateway.ImportApiKeysInput{FailOnWarnings: true, Format: types.ApiKeysFormatCsv,
		Body: []byte("name,key\nnew,import-value-number-three-0\nbad,,\n")})
	apitest.WantError(t, err, "BadRequestException", "API key import failed (failonwarnings=true): line 3: Key is required")
	// A plan that does not exist is a warning (and with failonwarnings, an error).
	_, err = c.ImportApiKeys(ctx, &apigateway.ImportApiKeysInput{FailOnWarnings: true, Format: types.ApiKeysFormatCsv,
		Body: []byte("name,key,usageplanids\nnew,import-value-number-three-0,nosuch\n")})
	apitest.WantError(t, err, "BadRequestException", "")
	keys, err := c.GetApiKeys(ctx, &apigateway.GetApiKeysInput{NameQuery: aws.String("new")})
	if err != nil || len(keys.Items) != 0 {
		t.Errorf("a failed import kept keys: %v %v", keys, err)
	}
	_, err = c.ImportApiKeys(ctx, &apigateway.ImportApiKeysInput{Format: types.ApiKeysFormatCsv, Body: []byte("name,value\na,b\n")})
	apitest.WantError(t, err, "BadRequestException", `Invalid API key file: the header row (line 1) has no "key" column; Name and Key are required`)
}

// TestAPIKeyValuesNotAtRest proves the store keeps no plaintext key value:
// the database files contain neither a value nor its first 20 characters,
// while the key's name (stored next to it) is there.
func TestAPIKeyValuesNotAtRest(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	c, ctx := env.Client, context.Background()
	const created = "CreatedValueZZ9mK2pQ7rT4wX8yB3nL6"
	const imported = "ImportedValueQQ5hJ1vC9sD2fG7kM4"
	mustCreateKey(t, c, &apigateway.CreateApiKeyInput{Name: aws.String("name-of-created-key"), Value: aws.String(created)})
	if _, err := c.ImportApiKeys(ctx, &apigateway.ImportApiKeysInput{Format: types.ApiKeysFormatCsv,
		Body: []byte("name,key\nname-of-imported-key," + imported + "\n")}); err != nil {
		t.Fatal(err)
	}
	generated := aws.ToString(mustCreateKey(t, c, &apigateway.CreateApiKeyInput{Name: aws.String("name-of-generated-key")}).Value)

	var db []byte
	for _, f := range []string{"gatehouse.db", "gatehouse.db-wal"} {
		b, err := os.ReadFile(filepath.Join(env.DataDir, f))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		db = append(db, b...)
	}
	for _, name := range []string{"name-of-created-key", "name-of-imported-key", "name-of-generated-key"} {
		if !bytes.Contains(db, []byte(name)) {
			t.Fatalf("key name %q not found in the database files: the check cannot see stored data", name)
		}
	}
	for _, v := range []string{created, imported, generated} {
		if bytes.Contains(db, []byte(v[:20])) {
			t.Errorf("database files contain the first 20 characters of a key value (%s…)", v[:4])
		}
	}
}
