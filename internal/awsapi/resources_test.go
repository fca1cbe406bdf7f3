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

func newResource(t *testing.T, c *apigateway.Client, apiID, parent, part string) string {
	t.Helper()
	out, err := c.CreateResource(context.Background(), &apigateway.CreateResourceInput{RestApiId: aws.String(apiID), ParentId: aws.String(parent), PathPart: aws.String(part)})
	if err != nil {
		t.Fatalf("CreateResource %s: %v", part, err)
	}
	return aws.ToString(out.Id)
}

func resourcePaths(t *testing.T, c *apigateway.Client, apiID string) []string {
	t.Helper()
	out, err := c.GetResources(context.Background(), &apigateway.GetResourcesInput{RestApiId: aws.String(apiID), Limit: aws.Int32(500)})
	if err != nil {
		t.Fatal(err)
	}
	var ps []string
	for _, r := range out.Items {
		ps = append(ps, aws.ToString(r.Path))
	}
	return ps
}

func TestResourceLifecycle(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	api := newAPI(t, env.Client, "r")
	id, root := aws.ToString(api.Id), aws.ToString(api.RootResourceId)

	pets, err := env.Client.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: api.RootResourceId, PathPart: aws.String("pets")})
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{aws.ToString(pets.Path), aws.ToString(pets.PathPart), aws.ToString(pets.ParentId)}; !cmp.Equal(got, []string{"/pets", "pets", root}) || len(aws.ToString(pets.Id)) != 6 {
		t.Errorf("created resource = %v id %q", got, aws.ToString(pets.Id))
	}
	petID := aws.ToString(pets.Id)
	sub := newResource(t, env.Client, id, petID, "{petId}")
	newResource(t, env.Client, id, sub, "toys")
	proxy := newResource(t, env.Client, id, root, "{proxy+}")

	if d := cmp.Diff([]string{"/", "/pets", "/pets/{petId}", "/pets/{petId}/toys", "/{proxy+}"}, resourcePaths(t, env.Client, id)); d != "" {
		t.Errorf("paths (-want +got):\n%s", d)
	}

	errTests := []struct {
		name, parent, part string
		code, msg          string
	}{
		{"duplicate", root, "pets", "ConflictException", "Another resource with the same parent already has this name: pets"},
		{"second variable", root, "{other}", "BadRequestException", "A sibling ({proxy+}) of this resource already has a variable path part -- only one is allowed"},
		{"child of greedy", proxy, "x", "BadRequestException", "Cannot create a child of a resource with a greedy path variable: {proxy+}"},
		{"unknown parent", "nope", "x", "NotFoundException", "Invalid Resource identifier specified"},
		{"bad part", root, "a b", "BadRequestException", ""},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := env.Client.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: aws.String(tt.parent), PathPart: aws.String(tt.part)})
			apitest.WantError(t, err, tt.code, tt.msg)
		})
	}

	// Rename and move.
	up, err := env.Client.UpdateResource(ctx, &apigateway.UpdateResourceInput{RestApiId: api.Id, ResourceId: pets.Id, PatchOperations: []types.PatchOperation{replace("/pathPart", "dogs")}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(up.Path) != "/dogs" {
		t.Errorf("path after rename = %q", aws.ToString(up.Path))
	}
	patchTests := []struct {
		name      string
		res       string
		ops       []types.PatchOperation
		code, msg string
	}{
		{"root pathPart", root, []types.PatchOperation{replace("/pathPart", "x")}, "BadRequestException", "Root resource cannot update its pathPart."},
		{"root parentId", root, []types.PatchOperation{replace("/parentId", petID)}, "BadRequestException", "Root resource cannot update its parentId."},
		{"cycle", petID, []types.PatchOperation{replace("/parentId", sub)}, "BadRequestException", "Resources cannot be cyclical."},
		{"bad path", petID, []types.PatchOperation{replace("/invalid", "x")}, "BadRequestException", "Invalid patch path  '/invalid' specified for op 'replace'. Must be one of: [/parentId, /pathPart]"},
		{"add pathPart", petID, []types.PatchOperation{patchOp(types.OpAdd, "/pathPart", "x")}, "BadRequestException", "Invalid patch path  '/pathPart' specified for op 'add'. Please choose supported operations"},
		{"unknown parent", petID, []types.PatchOperation{replace("/parentId", "nope")}, "NotFoundException", "Invalid Resource identifier specified"},
		{"unknown resource", "nope", []types.PatchOperation{replace("/pathPart", "x")}, "NotFoundException", "Invalid Resource identifier specified"},
		{"dot segment", petID, []types.PatchOperation{replace("/pathPart", "..")}, "BadRequestException", `Invalid path part "..": a path part of "." or ".." can never be called, because Gatehouse refuses request paths with dot segments`},
		{"move onto a sibling name", sub, []types.PatchOperation{replace("/pathPart", "{petId2}"), replace("/parentId", root)}, "BadRequestException", "A sibling ({proxy+}) of this resource already has a variable path part -- only one is allowed"},
	}
	for _, tt := range patchTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := env.Client.UpdateResource(ctx, &apigateway.UpdateResourceInput{RestApiId: api.Id, ResourceId: aws.String(tt.res), PatchOperations: tt.ops})
			apitest.WantError(t, err, tt.code, tt.msg)
		})
	}
	// The refused two-op patch above left {petId} where it was.
	if d := cmp.Diff([]string{"/", "/dogs", "/dogs/{petId}", "/dogs/{petId}/toys", "/{proxy+}"}, resourcePaths(t, env.Client, id)); d != "" {
		t.Errorf("paths (-want +got):\n%s", d)
	}

	// Delete removes the subtree.
	if _, err := env.Client.DeleteResource(ctx, &apigateway.DeleteResourceInput{RestApiId: api.Id, ResourceId: pets.Id}); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"/", "/{proxy+}"}, resourcePaths(t, env.Client, id)); d != "" {
		t.Errorf("paths after delete (-want +got):\n%s", d)
	}
	_, err = env.Client.GetResource(ctx, &apigateway.GetResourceInput{RestApiId: api.Id, ResourceId: aws.String(sub)})
	apitest.WantError(t, err, "NotFoundException", "Invalid Resource identifier specified")
}

func TestGetResourcesPaginationAndEmbed(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	api := newAPI(t, env.Client, "r")
	id, root := aws.ToString(api.Id), aws.ToString(api.RootResourceId)
	for i := range 5 {
		newResource(t, env.Client, id, root, fmt.Sprintf("r%d", i))
	}
	if _, err := env.Client.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: api.RootResourceId, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE"), ApiKeyRequired: true}); err != nil {
		t.Fatal(err)
	}
	var paths []string
	var pos *string
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("too many pages")
		}
		out, err := env.Client.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: api.Id, Limit: aws.Int32(4), Position: pos, Embed: []string{"methods"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.Items {
			paths = append(paths, aws.ToString(r.Path))
			if aws.ToString(r.Path) == "/" {
				m := r.ResourceMethods["GET"]
				if aws.ToString(m.HttpMethod) != "GET" || !aws.ToBool(m.ApiKeyRequired) {
					t.Errorf("embedded root GET = %+v, want the full method", m)
				}
			}
		}
		if out.Position == nil {
			break
		}
		pos = out.Position
	}
	if d := cmp.Diff([]string{"/", "/r0", "/r1", "/r2", "/r3", "/r4"}, paths); d != "" {
		t.Errorf("paged paths (-want +got):\n%s", d)
	}

	plain, err := env.Client.GetResource(ctx, &apigateway.GetResourceInput{RestApiId: api.Id, ResourceId: api.RootResourceId})
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := plain.ResourceMethods["GET"]; !ok || m.HttpMethod != nil {
		t.Errorf("resourceMethods without embed = %+v, want an empty GET entry", plain.ResourceMethods)
	}

	_, err = env.Client.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: api.Id, Position: aws.String("bogus")})
	apitest.WantError(t, err, "BadRequestException", "")
	_, err = env.Client.GetResources(ctx, &apigateway.GetResourcesInput{RestApiId: aws.String("nope")})
	apitest.WantError(t, err, "NotFoundException", "Invalid API identifier specified "+env.Server.Control.AccountID()+":nope")
}

// methodEnv is an API with a /pets resource.
type methodEnv struct {
	env      *apitest.Env
	api, res string
	root     string
}

func newMethodEnv(t *testing.T) methodEnv {
	env := apitest.Start(t, apitest.Options{})
	api := newAPI(t, env.Client, "m")
	res := newResource(t, env.Client, aws.ToString(api.Id), aws.ToString(api.RootResourceId), "pets")
	return methodEnv{env: env, api: aws.ToString(api.Id), res: res, root: aws.ToString(api.RootResourceId)}
}

func TestMethodLifecycle(t *testing.T) {
	me := newMethodEnv(t)
	c, ctx := me.env.Client, context.Background()
	m, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: &me.api, ResourceId: &me.res, HttpMethod: aws.String("ANY"), AuthorizationType: aws.String("NONE"),
		RequestParameters: map[string]bool{"method.request.querystring.q": true, "method.request.header.h": false}})
	if err != nil {
		t.Fatal(err)
	}
	if m.ApiKeyRequired == nil || *m.ApiKeyRequired || aws.ToString(m.HttpMethod) != "ANY" || aws.ToString(m.AuthorizationType) != "NONE" {
		t.Errorf("PutMethod = %+v, want ANY/NONE with apiKeyRequired false present", m)
	}
	errTests := []struct {
		name      string
		in        apigateway.PutMethodInput
		code, msg string
	}{
		{"bad method", apigateway.PutMethodInput{HttpMethod: aws.String("FOO"), AuthorizationType: aws.String("NONE")}, "BadRequestException", "Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY"},
		{"custom", apigateway.PutMethodInput{HttpMethod: aws.String("GET"), AuthorizationType: aws.String("CUSTOM"), AuthorizerId: aws.String("abc")}, "BadRequestException", "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer."},
		{"cognito", apigateway.PutMethodInput{HttpMethod: aws.String("GET"), AuthorizationType: aws.String("COGNITO_USER_POOLS")}, "BadRequestException", "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer."},
		{"validator", apigateway.PutMethodInput{HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE"), RequestValidatorId: aws.String("v")}, "BadRequestException", "Invalid Request Validator identifier specified"},
		{"param names", apigateway.PutMethodInput{HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE"), RequestParameters: map[string]bool{"method.request.querystring.a": true, "method.request.path.a": true}}, "BadRequestException", "Parameter names must be unique across querystring, header and path"},
		{"wrong api", apigateway.PutMethodInput{RestApiId: aws.String("nope"), HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")}, "NotFoundException", "Invalid Resource identifier specified"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if in.RestApiId == nil {
				in.RestApiId = &me.api
			}
			in.ResourceId = &me.res
			_, err := c.PutMethod(ctx, &in)
			apitest.WantError(t, err, tt.code, tt.msg)
		})
	}

	up, err := c.UpdateMethod(ctx, &apigateway.UpdateMethodInput{RestApiId: &me.api, ResourceId: &me.res, HttpMethod: aws.String("ANY"), PatchOperations: []types.PatchOperation{
		replace("/apiKeyRequired", "true"),
		replace("/operationName", "Op"),
		replace("/authorizationType", "AWS_IAM"),
		replace("/authorizerId", "ignored-not-custom"),
		patchOp(types.OpAdd, "/requestModels/application~1json", "Empty"),
		patchOp(types.OpRemove, "/requestParameters/method.request.header.h", ""),
		replace("/requestParameters/method.request.querystring.q", "false"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	got := []any{aws.ToBool(up.ApiKeyRequired), aws.ToString(up.OperationName), aws.ToString(up.AuthorizationType), aws.ToString(up.AuthorizerId), up.RequestModels, up.RequestParameters}
	want := []any{true, "Op", "AWS_IAM", "", map[string]string{"application/json": "Empty"}, map[string]bool{"method.request.querystring.q": false}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("after UpdateMethod (-want +got):\n%s", d)
	}
	patchErrs := []struct {
		name      string
		ops       []types.PatchOperation
		code, msg string
	}{
		{"add scalar", []types.PatchOperation{patchOp(types.OpAdd, "/apiKeyRequired", "true")}, "BadRequestException", "Invalid patch operation specified. Must be one of: [replace]"},
		{"httpMethod", []types.PatchOperation{replace("/httpMethod", "GET")}, "BadRequestException", "Invalid patch path /httpMethod"},
		{"bare requestParameters", []types.PatchOperation{patchOp(types.OpAdd, "/requestParameters", "x")}, "BadRequestException", "Invalid patch path /requestParameters"},
		{"unescaped model", []types.PatchOperation{patchOp(types.OpAdd, "/requestModels/application/json", "Empty")}, "BadRequestException", "Invalid patch path /requestModels/application/json"},
		{"to custom", []types.PatchOperation{replace("/authorizationType", "CUSTOM"), replace("/authorizerId", "x")}, "BadRequestException", "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer."},
	}
	for _, tt := range patchErrs {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.UpdateMethod(ctx, &apigateway.UpdateMethodInput{RestApiId: &me.api, ResourceId: &me.res, HttpMethod: aws.String("ANY"), PatchOperations: tt.ops})
			apitest.WantError(t, err, tt.code, tt.msg)
		})
	}

	if _, err := c.DeleteMethod(ctx, &apigateway.DeleteMethodInput{RestApiId: &me.api, ResourceId: &me.res, HttpMethod: aws.String("ANY")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: &me.api, ResourceId: &me.res, HttpMethod: aws.String("ANY")})
	apitest.WantError(t, err, "NotFoundException", "Invalid Method identifier specified")
	_, err = c.DeleteMethod(ctx, &apigateway.DeleteMethodInput{RestApiId: &me.api, ResourceId: &me.res, HttpMethod: aws.String("ANY")})
	apitest.WantError(t, err, "NotFoundException", "Invalid Method identifier specified")
}

func TestIntegrationLifecycle(t *testing.T) {
	me := newMethodEnv(t)
	c, ctx := me.env.Client, context.Background()
	if _, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: &me.api, ResourceId: &me.res, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetIntegration(ctx, &apigateway.GetIntegrationInput{RestApiId: &me.api, ResourceId: &me.res, HttpMethod: aws.String("GET")})
	apitest.WantError(t, err, "NotFoundException", "Invalid Integration identifier specified")
	_, err = c.GetIntegration(ctx, &apigateway.GetIntegrationInput{RestApiId: &me.api, ResourceId: &me.res, HttpMethod: aws.String("POST")})
	apitest.WantError(t, err, "NotFoundException", "Invalid Method identifier specified")

	put := func(in apigateway.PutIntegrationInput) (*apigateway.PutIntegrationOutput, error) {
		in.RestApiId, in.ResourceId, in.HttpMethod = &me.api, &me.res, aws.String("GET")
		return c.PutIntegration(ctx, &in)
	}
	errTests := []struct {
		name      string
		in        apigateway.PutIntegrationInput
		code, msg string
	}{
		{"bad type", apigateway.PutIntegrationInput{Type: "HTTPS_PROXY"}, "ValidationException", "1 validation error detected: Value 'HTTPS_PROXY' at 'putIntegrationInput.type' failed to satisfy constraint: Member must satisfy enum value set: [HTTP, MOCK, AWS_PROXY, HTTP_PROXY, AWS]"},
		{"no method", apigateway.PutIntegrationInput{Type: "HTTP_PROXY", Uri: aws.String("http://example.com")}, "BadRequestException", "Enumeration value for HttpMethod must be non-empty"},
		{"bad uri", apigateway.PutIntegrationInput{Type: "HTTP", IntegrationHttpMethod: aws.String("GET"), Uri: aws.String("example.com/x")}, "BadRequestException", "Invalid HTTP endpoint specified for URI"},
		{"ftp uri", apigateway.PutIntegrationInput{Type: "HTTP_PROXY", IntegrationHttpMethod: aws.String("GET"), Uri: aws.String("ftp://example.com/x")}, "BadRequestException", "Invalid HTTP endpoint specified for URI"},
		{"not an arn", apigateway.PutIntegrationInput{Type: "AWS", IntegrationHttpMethod: aws.String("POST"), Uri: aws.String("lambda")}, "BadRequestException", "Invalid ARN specified in the request"},
		{"arn without path", apigateway.PutIntegrationInput{Type: "AWS", IntegrationHttpMethod: aws.String("POST"), Uri: aws.String("arn:aws:apigateway:us-east-1:s3:b/k")}, "BadRequestException", "AWS ARN for integration must contain path or action"},
		{"aws proxy s3", apigateway.PutIntegrationInput{Type: "AWS_PROXY", IntegrationHttpMethod: aws.String("POST"), Uri: aws.String("arn:aws:apigateway:us-east-1:s3:path/b/k")}, "BadRequestException", "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations."},
		{"timeout", apigateway.PutIntegrationInput{Type: "MOCK", TimeoutInMillis: aws.Int32(30000)}, "BadRequestException", "Timeout should be between 50 ms and 29000 ms"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := put(tt.in)
			apitest.WantError(t, err, tt.code, tt.msg)
		})
	}

	out, err := put(apigateway.PutIntegrationInput{Type: "HTTP_PROXY", IntegrationHttpMethod: aws.String("ANY"), Uri: aws.String("http://${stageVariables.host}/pets/{id}")})
	if err != nil {
		t.Fatal(err)
	}
	got := []any{aws.ToString(out.CacheNamespace), out.CacheKeyParameters, aws.ToString(out.PassthroughBehavior), out.TimeoutInMillis, string(out.ConnectionType), aws.ToString(out.HttpMethod)}
	want := []any{me.res, []string{}, "WHEN_NO_MATCH", int32(29000), "INTERNET", "ANY"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("integration defaults (-want +got):\n%s", d)
	}

	mock, err := put(apigateway.PutIntegrationInput{Type: "MOCK", RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}})
	if err != nil {
		t.Fatal(err)
	}
	if mock.ConnectionType != "" || aws.ToString(mock.Uri) != "" {
		t.Errorf("MOCK integration = %+v, want no connectionType or uri", mock)
	}
	up, err := c.UpdateIntegration(ctx, &apigateway.UpdateIntegrationInput{RestApiId: &me.api, ResourceId: &me.res, HttpMethod: aws.String("GET"), PatchOperations: []types.PatchOperation{
		replace("/timeoutInMillis", "1000"),
		patchOp(types.OpAdd, "/requestTemplates/text~1plain", "x"),
		patchOp(types.OpAdd, "/requestParameters/integration.request.header.X", "'v'"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if up.TimeoutInMillis != 1000 || up.RequestTemplates["text/plain"] != "x" || up.RequestParameters["integration.request.header.X"] != "'v'" {
		t.Errorf("after UpdateIntegration = %+v", up)
	}
	_, err = c.UpdateIntegration(ctx, &apigateway.UpdateIntegrationInput{RestApiId: &me.api, ResourceId: &me.res, HttpMethod: aws.String("GET"), PatchOperations: []types.PatchOperation{replace("/type", "HTTP")}})
	apitest.WantError(t, err, "BadRequestException", "Invalid patch path /type")
	_, err = c.UpdateIntegration(ctx, &apigateway.UpdateIntegrationInput{RestApiId: &me.api, ResourceId: &me.res, HttpMethod: aws.String("GET"), PatchOperations: []types.PatchOperation{replace("/timeoutInMillis", "10")}})
	apitest.WantError(t, err, "BadRequestException", "Timeout should be between 50 ms and 29000 ms")

	// Integration responses.
	irIn := func(code string) *apigateway.PutIntegrationResponseInput {
		return &apigateway.PutIntegrationResponseInput{RestApiId: &me.api, ResourceId: &me.res, HttpMethod: aws.String("GET"), StatusCode: aws.String(code),
			SelectionPattern: aws.String("2\\d{2}"), ResponseTemplates: map[string]string{"application/json": `"created"`}, ResponseParameters: map[string]string{"method.response.header.X": "'a'"}}
	}
	ir, err := c.PutIntegrationResponse(ctx, irIn("200"))
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(ir.SelectionPattern) != "2\\d{2}" || ir.ResponseTemplates["application/json"] != `"created"` {
		t.Errorf("PutIntegrationResponse = %+v", ir)
	}
	_, err = c.PutIntegrationResponse(ctx, irIn("wrong"))
	apitest.WantError(t, err, "ValidationException", `1 validation error detected: Value 'wrong' at 'statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [1-5]\d\d`)
	upIR, err := c.UpdateIntegrationResponse(ctx, &apigateway.UpdateIntegrationResponseInput{RestApiId: &me.api, ResourceId: &me.res, HttpMethod: aws.String("GET"), StatusCode: aws.String("200"),
		PatchOperations: []types.PatchOperation{replace("/selectionPattern", "updated"), patchOp(types.OpRemove, "/responseParameters/method.response.header.X", "")}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(upIR.SelectionPattern) != "updated" || len(upIR.ResponseParameters) != 0 {
		t.Errorf("UpdateIntegrationResponse = %+v", upIR)
	}
	_, err = c.UpdateIntegrationResponse(ctx, &apigateway.UpdateIntegrationResponseInput{RestApiId: &me.api, ResourceId: &me.res, HttpMethod: aws.String("GET"), StatusCode: aws.String("wrong"),
		PatchOperations: []types.PatchOperation{patchOp("wrong_op", "/selectionPattern", "x")}})
	apitest.WantError(t, err, "ValidationException", `2 validation errors detected: Value 'wrong_op' at 'updateIntegrationResponseInput.patchOperations.1.member.op' failed to satisfy constraint: Member must satisfy enum value set: [add, remove, move, test, replace, copy]; Value 'wrong' at 'statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [1-5]\d\d`)
	meth, err := c.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: &me.api, ResourceId: &me.res, HttpMethod: aws.String("GET")})
	if err != nil {
		t.Fatal(err)
	}
	if meth.MethodIntegration == nil || aws.ToString(meth.MethodIntegration.IntegrationResponses["200"].SelectionPattern) != "updated" {
		t.Errorf("GetMethod integration = %+v, want the integration response embedded", meth.MethodIntegration)
	}
	if _, err := c.DeleteIntegrationResponse(ctx, &apigateway.DeleteIntegrationResponseInput{RestApiId: &me.api, ResourceId: &me.res, HttpMethod: aws.String("GET"), StatusCode: aws.String("200")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetIntegrationResponse(ctx, &apigateway.GetIntegrationResponseInput{RestApiId: &me.api, ResourceId: &me.res, HttpMethod: aws.String("GET"), StatusCode: aws.String("200")})
	apitest.WantError(t, err, "NotFoundException", "Invalid Response status code specified")
	_, err = c.DeleteIntegrationResponse(ctx, &apigateway.DeleteIntegrationResponseInput{RestApiId: &me.api, ResourceId: &me.res, HttpMethod: aws.String("POST"), StatusCode: aws.String("200")})
	apitest.WantError(t, err, "NotFoundException", "Invalid Integration identifier specified")

	if _, err := c.DeleteIntegration(ctx, &apigateway.DeleteIntegrationInput{RestApiId: &me.api, ResourceId: &me.res, HttpMethod: aws.String("GET")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetIntegration(ctx, &apigateway.GetIntegrationInput{RestApiId: &me.api, ResourceId: &me.res, HttpMethod: aws.String("GET")})
	apitest.WantError(t, err, "NotFoundException", "Invalid Integration identifier specified")
}

func TestMethodResponseLifecycle(t *testing.T) {
	me := newMethodEnv(t)
	c, ctx := me.env.Client, context.Background()
	if _, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: &me.api, ResourceId: &me.res, HttpMethod: aws.String("GET"), AuthorizationType: aws.String("NONE")}); err != nil {
		t.Fatal(err)
	}
	ref := func(code string) (*string, *string, *string, *string) {
		return &me.api, &me.res, aws.String("GET"), aws.String(code)
	}
	a, r, m, s := ref("200")
	if _, err := c.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: a, ResourceId: r, HttpMethod: m, StatusCode: s,
		ResponseParameters: map[string]bool{"method.response.header.my-header": true}}); err != nil {
		t.Fatal(err)
	}
	a, r, m, s = ref("99")
	_, err := c.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: a, ResourceId: r, HttpMethod: m, StatusCode: s})
	apitest.WantError(t, err, "ValidationException", "")

	a, r, m, s = ref("200")
	up, err := c.UpdateMethodResponse(ctx, &apigateway.UpdateMethodResponseInput{RestApiId: a, ResourceId: r, HttpMethod: m, StatusCode: s, PatchOperations: []types.PatchOperation{
		patchOp(types.OpAdd, "/responseModels/application~1json", "Empty"),
		patchOp(types.OpRemove, "/responseParameters/method.response.header.my-header", ""),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]string{"application/json": "Empty"}, up.ResponseModels); d != "" || len(up.ResponseParameters) != 0 {
		t.Errorf("UpdateMethodResponse models (-want +got):\n%s params %v", d, up.ResponseParameters)
	}
	patchErrs := []struct {
		name    string
		code    string
		ops     []types.PatchOperation
		errCode string
		msg     string
	}{
		{"missing param", "200", []types.PatchOperation{patchOp(types.OpRemove, "/responseParameters/method.response.header.nope", "")}, "NotFoundException", "Invalid parameter name specified"},
		{"missing model", "200", []types.PatchOperation{patchOp(types.OpReplace, "/responseModels/text~1plain", "x")}, "NotFoundException", "Content-Type specified was not found"},
		{"wrong path", "200", []types.PatchOperation{patchOp(types.OpAdd, "/wrong/method.response.header.my-header", "true")}, "BadRequestException", "Invalid patch path /wrong/method.response.header.my-header"},
		{"unknown status", "404", []types.PatchOperation{patchOp(types.OpAdd, "/responseModels/a~1b", "x")}, "NotFoundException", "Invalid Response status code specified"},
		{"bad op", "200", []types.PatchOperation{patchOp("wrong_op", "/responseModels/a~1b", "x")}, "ValidationException", "1 validation error detected: Value 'wrong_op' at 'updateMethodResponseInput.patchOperations.1.member.op' failed to satisfy constraint: Member must satisfy enum value set: [add, remove, move, test, replace, copy]"},
	}
	for _, tt := range patchErrs {
		t.Run(tt.name, func(t *testing.T) {
			a, r, m, s := ref(tt.code)
			_, err := c.UpdateMethodResponse(ctx, &apigateway.UpdateMethodResponseInput{RestApiId: a, ResourceId: r, HttpMethod: m, StatusCode: s, PatchOperations: tt.ops})
			apitest.WantError(t, err, tt.errCode, tt.msg)
		})
	}
	if _, err := c.DeleteMethodResponse(ctx, &apigateway.DeleteMethodResponseInput{RestApiId: a, ResourceId: r, HttpMethod: m, StatusCode: s}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetMethodResponse(ctx, &apigateway.GetMethodResponseInput{RestApiId: a, ResourceId: r, HttpMethod: m, StatusCode: s})
	apitest.WantError(t, err, "NotFoundException", "Invalid Response status code specified")
}
