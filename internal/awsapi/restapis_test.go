package awsapi_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/google/go-cmp/cmp"
)

// newAPI creates an API named name and returns it.
func newAPI(t *testing.T, c *apigateway.Client, name string) *apigateway.CreateRestApiOutput {
	t.Helper()
	out, err := c.CreateRestApi(context.Background(), &apigateway.CreateRestApiInput{Name: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateRestApi: %v", err)
	}
	return out
}

func replace(path, value string) types.PatchOperation {
	return types.PatchOperation{Op: types.OpReplace, Path: aws.String(path), Value: aws.String(value)}
}

func patchOp(op types.Op, path, value string) types.PatchOperation {
	return types.PatchOperation{Op: op, Path: aws.String(path), Value: aws.String(value)}
}

func TestCreateRestAPIDefaults(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	out := newAPI(t, env.Client, "pets")
	if len(aws.ToString(out.Id)) != 10 || len(aws.ToString(out.RootResourceId)) != 10 {
		t.Errorf("ids: api %q root %q, want 10 characters each", aws.ToString(out.Id), aws.ToString(out.RootResourceId))
	}
	got := struct {
		Source  types.ApiKeySourceType
		Types   []types.EndpointType
		IP      types.IpAddressType
		Disable bool
		Name    string
	}{out.ApiKeySource, out.EndpointConfiguration.Types, out.EndpointConfiguration.IpAddressType, out.DisableExecuteApiEndpoint, aws.ToString(out.Name)}
	want := struct {
		Source  types.ApiKeySourceType
		Types   []types.EndpointType
		IP      types.IpAddressType
		Disable bool
		Name    string
	}{"HEADER", []types.EndpointType{"EDGE"}, "ipv4", false, "pets"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("defaults (-want +got):\n%s", d)
	}

	priv, err := env.Client.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("p"),
		EndpointConfiguration: &types.EndpointConfiguration{Types: []types.EndpointType{"PRIVATE"}}})
	if err != nil {
		t.Fatal(err)
	}
	if priv.EndpointConfiguration.IpAddressType != "dualstack" {
		t.Errorf("private API ipAddressType = %q, want dualstack", priv.EndpointConfiguration.IpAddressType)
	}

	res, err := env.Client.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: out.Id})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 1 || aws.ToString(res.Items[0].Path) != "/" || aws.ToString(res.Items[0].Id) != aws.ToString(out.RootResourceId) {
		t.Errorf("resources of a new API = %+v, want only the root", res.Items)
	}
}

func TestCreateRestAPIValidation(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	tests := []struct {
		name      string
		in        apigateway.CreateRestApiInput
		code, msg string
	}{
		{"empty description", apigateway.CreateRestApiInput{Name: aws.String("a"), Description: aws.String("")},
			"BadRequestException", "Description cannot be an empty string"},
		{"compression too big", apigateway.CreateRestApiInput{Name: aws.String("a"), MinimumCompressionSize: aws.Int32(10485761)},
			"BadRequestException", "Invalid minimum compression size, must be between 0 and 10485760"},
		{"two endpoint types", apigateway.CreateRestApiInput{Name: aws.String("a"), EndpointConfiguration: &types.EndpointConfiguration{Types: []types.EndpointType{"EDGE", "REGIONAL"}}},
			"BadRequestException", "Cannot create an api with multiple Endpoint Types."},
		{"no endpoint types", apigateway.CreateRestApiInput{Name: aws.String("a"), EndpointConfiguration: &types.EndpointConfiguration{Types: []types.EndpointType{}}},
			"BadRequestException", "REGIONAL Configuration and EDGE Configuration cannot be both DISABLED."},
		{"private ipv4", apigateway.CreateRestApiInput{Name: aws.String("a"), EndpointConfiguration: &types.EndpointConfiguration{Types: []types.EndpointType{"PRIVATE"}, IpAddressType: "ipv4"}},
			"BadRequestException", "Only dualstack ipAddressType is supported for Private APIs."},
		{"bad type and ip", apigateway.CreateRestApiInput{Name: aws.String("a"), EndpointConfiguration: &types.EndpointConfiguration{Types: []types.EndpointType{"wrong"}, IpAddressType: "wrong"}},
			"ValidationException", "2 validation errors detected: Value '[wrong]' at 'createRestApiInput.endpointConfiguration.types' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [PRIVATE, EDGE, REGIONAL]]; Value 'wrong' at 'createRestApiInput.endpointConfiguration.ipAddressType' failed to satisfy constraint: Member must satisfy enum value set: [ipv4, dualstack]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := env.Client.CreateRestApi(ctx, &tt.in)
			apitest.WantError(t, err, tt.code, tt.msg)
		})
	}
}

func TestRestAPIGetListDelete(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	created, err := env.Client.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("tagged"), Tags: map[string]string{"k": "v"}, Version: aws.String("v1")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := env.Client.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: created.Id})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]string{"k": "v"}, got.Tags); d != "" {
		t.Errorf("tags (-want +got):\n%s", d)
	}
	if aws.ToString(got.Version) != "v1" || !got.CreatedDate.Equal(aws.ToTime(created.CreatedDate)) {
		t.Errorf("GetRestApi = version %q created %v, want v1 %v", aws.ToString(got.Version), got.CreatedDate, created.CreatedDate)
	}

	_, err = env.Client.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: aws.String("nope")})
	apitest.WantError(t, err, "NotFoundException", "Invalid API identifier specified "+env.Server.Control.AccountID()+":nope")

	// Pagination across pages.
	for i := range 4 {
		newAPI(t, env.Client, fmt.Sprintf("api-%d", i))
	}
	var names []string
	var pos *string
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("too many pages")
		}
		out, err := env.Client.GetRestApis(ctx, &apigateway.GetRestApisInput{Limit: aws.Int32(2), Position: pos})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Items) > 2 {
			t.Fatalf("page of %d items, want at most 2", len(out.Items))
		}
		for _, a := range out.Items {
			names = append(names, aws.ToString(a.Name))
		}
		if out.Position == nil {
			break
		}
		pos = out.Position
	}
	if d := cmp.Diff([]string{"tagged", "api-0", "api-1", "api-2", "api-3"}, names); d != "" {
		t.Errorf("listed APIs (-want +got):\n%s", d)
	}

	if _, err := env.Client.DeleteRestApi(ctx, &apigateway.DeleteRestApiInput{RestApiId: created.Id}); err != nil {
		t.Fatal(err)
	}
	_, err = env.Client.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: created.Id})
	apitest.WantError(t, err, "NotFoundException", "")
	_, err = env.Client.DeleteRestApi(ctx, &apigateway.DeleteRestApiInput{RestApiId: created.Id})
	apitest.WantError(t, err, "NotFoundException", "")
}

func TestUpdateRestAPI(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	api := newAPI(t, env.Client, "u")
	policy := `{"Version": "2012-10-17", "Statement": []}`
	out, err := env.Client.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: api.Id, PatchOperations: []types.PatchOperation{
		replace("/name", "renamed"),
		patchOp(types.OpAdd, "/description", "d"),
		patchOp(types.OpAdd, "/binaryMediaTypes/image~1png", ""),
		patchOp(types.OpAdd, "/binaryMediaTypes/image~1jpeg", ""),
		replace("/binaryMediaTypes/image~1png", "image/gif"),
		replace("/minimumCompressionSize", "10"),
		replace("/apiKeySource", "AUTHORIZER"),
		replace("/endpointConfiguration/types/0", "REGIONAL"),
		replace("/policy", policy),
		replace("/disableExecuteApiEndpoint", "true"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	got := []any{aws.ToString(out.Name), aws.ToString(out.Description), out.BinaryMediaTypes, aws.ToInt32(out.MinimumCompressionSize),
		string(out.ApiKeySource), out.EndpointConfiguration.Types[0], aws.ToString(out.Policy), out.DisableExecuteApiEndpoint}
	want := []any{"renamed", "d", []string{"image/jpeg", "image/gif"}, int32(10), "AUTHORIZER", types.EndpointType("REGIONAL"),
		`{\"Version\":\"2012-10-17\",\"Statement\":[]}`, true}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("after update (-want +got):\n%s", d)
	}

	tests := []struct {
		name      string
		ops       []types.PatchOperation
		code, msg string
	}{
		{"bare binaryMediaTypes", []types.PatchOperation{patchOp(types.OpAdd, "/binaryMediaTypes", "x")}, "BadRequestException", "Invalid patch path /binaryMediaTypes"},
		{"negative compression", []types.PatchOperation{replace("/minimumCompressionSize", "-1")}, "BadRequestException", "Invalid minimum compression size, must be between 0 and 10485760"},
		{"compression add", []types.PatchOperation{patchOp(types.OpAdd, "/minimumCompressionSize", "1")}, "BadRequestException", "Invalid patch operation specified. Must be one of: [replace]"},
		{"bad endpoint type", []types.PatchOperation{replace("/endpointConfiguration/types/REGIONAL", "BAD")}, "BadRequestException", "Invalid EndpointTypes specified. Valid options are REGIONAL,EDGE,PRIVATE"},
		{"bad ip type", []types.PatchOperation{replace("/endpointConfiguration/ipAddressType", "x")}, "BadRequestException", "ipAddressType must be either ipv4 or dualstack."},
		{"types op", []types.PatchOperation{patchOp(types.OpCopy, "/endpointConfiguration/types/0", "EDGE")}, "BadRequestException", "Invalid patch operation specified. Must be 'add'|'remove'|'replace'"},
		{"unknown op", []types.PatchOperation{patchOp("wrong", "/name", "x")}, "ValidationException", "1 validation error detected: Value 'wrong' at 'updateRestApiInput.patchOperations.1.member.op' failed to satisfy constraint: Member must satisfy enum value set: [add, remove, move, test, replace, copy]"},
		// A failing op later in the request leaves earlier ones unapplied.
		{"atomic", []types.PatchOperation{replace("/name", "should-not-stick"), patchOp(types.OpAdd, "/nope", "")}, "BadRequestException", "Invalid patch path /nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := env.Client.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: api.Id, PatchOperations: tt.ops})
			apitest.WantError(t, err, tt.code, tt.msg)
		})
	}
	after, err := env.Client.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: api.Id})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(after.Name) != "renamed" {
		t.Errorf("name after failed patch = %q, want renamed", aws.ToString(after.Name))
	}

	// Switching to PRIVATE moves ipAddressType to dualstack; then ipv4 is refused.
	priv, err := env.Client.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: api.Id, PatchOperations: []types.PatchOperation{replace("/endpointConfiguration/types/REGIONAL", "PRIVATE")}})
	if err != nil {
		t.Fatal(err)
	}
	if priv.EndpointConfiguration.IpAddressType != "dualstack" {
		t.Errorf("ipAddressType after switching to PRIVATE = %q, want dualstack", priv.EndpointConfiguration.IpAddressType)
	}
	_, err = env.Client.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: api.Id, PatchOperations: []types.PatchOperation{replace("/endpointConfiguration/ipAddressType", "ipv4")}})
	apitest.WantError(t, err, "BadRequestException", "Only dualstack ipAddressType is supported for Private APIs.")

	_, err = env.Client.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: aws.String("api_id"), PatchOperations: []types.PatchOperation{replace("/name", "x")}})
	apitest.WantError(t, err, "NotFoundException", "Invalid API identifier specified "+env.Server.Control.AccountID()+":api_id")
}

// TestPolicyWireEncoding checks the escaped policy form Terraform relies on.
func TestPolicyWireEncoding(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	api, err := env.Client.CreateRestApi(context.Background(), &apigateway.CreateRestApiInput{Name: aws.String("p"), Policy: aws.String(`{ "Version": "2012-10-17", "Statement": [] }`)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(api.Policy), `{\"Version\":\"2012-10-17\",\"Statement\":[]}`; got != want {
		t.Errorf("policy = %s, want %s", got, want)
	}
}
