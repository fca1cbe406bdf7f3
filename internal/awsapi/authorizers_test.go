package awsapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/gatehouse-dev/gatehouse/internal/awsapi"
	"github.com/google/go-cmp/cmp"
)

const (
	lambdaAuthURI     = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:auth/invocations"
	poolARN           = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC123"
	msgNeedAuthorizer = "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer."
)

// tokenAuthorizer creates a TOKEN authorizer (TTL not set) on api.
func tokenAuthorizer(t *testing.T, c *apigateway.Client, apiID, name string) *apigateway.CreateAuthorizerOutput {
	t.Helper()
	out, err := c.CreateAuthorizer(context.Background(), &apigateway.CreateAuthorizerInput{RestApiId: aws.String(apiID),
		Name: aws.String(name), Type: types.AuthorizerTypeToken, AuthorizerUri: aws.String(lambdaAuthURI),
		IdentitySource: aws.String("method.request.header.Authorization")})
	if err != nil {
		t.Fatalf("CreateAuthorizer: %v", err)
	}
	return out
}

// TestCreateAuthorizerRefusals sends every refusal of CreateAuthorizer over
// the wire (the SDK checks name and type itself, so those go raw) and
// checks status, exception and message, and that nothing was stored.
func TestCreateAuthorizerRefusals(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	api := aws.ToString(newAPI(t, env.Client, "authz").Id)
	const uri = `"authorizerUri":"` + lambdaAuthURI + `"`
	tests := []struct {
		name, body string
		status     int
		code, msg  string
	}{
		{"no name", `{"type":"TOKEN",` + uri + `}`, 400, "ValidationException",
			"1 validation error detected: Value null at 'createAuthorizerInput.name' failed to satisfy constraint: Member must not be null"},
		{"no name no type", `{}`, 400, "ValidationException",
			"2 validation errors detected: Value null at 'createAuthorizerInput.name' failed to satisfy constraint: Member must not be null; Value null at 'createAuthorizerInput.type' failed to satisfy constraint: Member must not be null"},
		{"bad type", `{"name":"a","type":"JWT"}`, 400, "ValidationException",
			"1 validation error detected: Value 'JWT' at 'createAuthorizerInput.type' failed to satisfy constraint: Member must satisfy enum value set: [TOKEN, REQUEST, COGNITO_USER_POOLS]"},
		{"no uri", `{"name":"a","type":"TOKEN","identitySource":"method.request.header.A"}`, 400, "BadRequestException",
			"Invalid request input: authorizerUri is required for a TOKEN or REQUEST authorizer: arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations, or an http(s):// URL"},
		{"placeholder region", `{"name":"a","type":"TOKEN","identitySource":"method.request.header.A","authorizerUri":"arn:aws:apigateway:region:lambda:path/2015-03-31/functions/f/invocations"}`, 400, "BadRequestException",
			"Invalid Authorizer URI: arn:aws:apigateway:region:lambda:path/2015-03-31/functions/f/invocations. Authorizer URI should be a valid API Gateway ARN that represents a Lambda function invocation."},
		{"function ARN alone", `{"name":"a","type":"REQUEST","authorizerResultTtlInSeconds":0,"authorizerUri":"arn:aws:lambda:us-east-1:123456789012:function:auth"}`, 400, "BadRequestException",
			"Invalid Authorizer URI: arn:aws:lambda:us-east-1:123456789012:function:auth. Authorizer URI should be a valid API Gateway ARN that represents a Lambda function invocation."},
		{"token without source", `{"name":"a","type":"TOKEN",` + uri + `}`, 400, "BadRequestException",
			"Invalid request input: identitySource is required for a TOKEN authorizer: the request header holding the token, e.g. method.request.header.Authorization"},
		{"token query source", `{"name":"a","type":"TOKEN",` + uri + `,"identitySource":"method.request.querystring.key"}`, 400, "BadRequestException",
			"Invalid token source expression: method.request.querystring.key. The source must be a method request header, matching 'method.request.header.[a-zA-Z0-9._-]+'"},
		{"token two headers", `{"name":"a","type":"TOKEN",` + uri + `,"identitySource":"method.request.header.A, method.request.header.B"}`, 400, "BadRequestException",
			"Invalid token source expression: method.request.header.A, method.request.header.B. The source must be a method request header, matching 'method.request.header.[a-zA-Z0-9._-]+'"},
		{"request cached without source", `{"name":"a","type":"REQUEST",` + uri + `}`, 400, "BadRequestException",
			"Invalid request input: identitySource is required for a REQUEST authorizer whose results are cached (authorizerResultTtlInSeconds is 300 when not set; set it to 0 to turn caching off)"},
		{"request path source", `{"name":"a","type":"REQUEST",` + uri + `,"identitySource":"method.request.header.A,method.request.path.id"}`, 400, "BadRequestException",
			`Invalid identity source expression: "method.request.path.id" in "method.request.header.A,method.request.path.id". Each comma-separated identity source of a REQUEST authorizer must be method.request.header.{name}, method.request.querystring.{name}, stageVariables.{name} or context.{name}`},
		{"request empty entry", `{"name":"a","type":"REQUEST",` + uri + `,"identitySource":"method.request.header.A,,stageVariables.s"}`, 400, "BadRequestException",
			`Invalid identity source expression: "" in "method.request.header.A,,stageVariables.s". Each comma-separated identity source of a REQUEST authorizer must be method.request.header.{name}, method.request.querystring.{name}, stageVariables.{name} or context.{name}`},
		{"ttl over 3600", `{"name":"a","type":"TOKEN",` + uri + `,"identitySource":"method.request.header.A","authorizerResultTtlInSeconds":3601}`, 400, "BadRequestException",
			`Invalid value "3601" for authorizerResultTtlInSeconds: must be an integer between 0 and 3600`},
		{"ttl negative", `{"name":"a","type":"TOKEN",` + uri + `,"identitySource":"method.request.header.A","authorizerResultTtlInSeconds":-1}`, 400, "BadRequestException",
			`Invalid value "-1" for authorizerResultTtlInSeconds: must be an integer between 0 and 3600`},
		{"ttl fraction", `{"name":"a","type":"TOKEN",` + uri + `,"identitySource":"method.request.header.A","authorizerResultTtlInSeconds":1.5}`, 400, "SerializationException",
			`Unable to parse field "authorizerResultTtlInSeconds": expected int, got JSON number 1.5`},
		{"java look-ahead", `{"name":"a","type":"TOKEN",` + uri + `,"identitySource":"method.request.header.A","identityValidationExpression":"^(?=Bearer)"}`, 400, "BadRequestException",
			"Invalid identityValidationExpression \"^(?=Bearer)\": error parsing regexp: invalid or unsupported Perl syntax: `(?=`. Gatehouse matches with Go's RE2 syntax, which has no look-ahead or look-behind, back-references, possessive quantifiers or atomic groups"},
		{"cognito without pools", `{"name":"a","type":"COGNITO_USER_POOLS","identitySource":"method.request.header.A"}`, 400, "BadRequestException",
			"Invalid request input: providerARNs is required for a COGNITO_USER_POOLS authorizer (arn:aws:cognito-idp:{region}:{account_id}:userpool/{user_pool_id})"},
		{"cognito bad pool", `{"name":"a","type":"COGNITO_USER_POOLS","identitySource":"method.request.header.A","providerARNs":["arn:aws:iam::1:role/x"]}`, 400, "BadRequestException",
			"Invalid provider ARN specified: arn:aws:iam::1:role/x. A COGNITO_USER_POOLS authorizer takes Cognito user pool ARNs, arn:aws:cognito-idp:{region}:{account_id}:userpool/{user_pool_id}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := do(t, signedRequest(t, env, "POST", env.AdminURL, "/restapis/"+api+"/authorizers", []byte(tt.body), signOpts{}))
			if a.status != tt.status || a.errorType != tt.code || a.message != tt.msg {
				t.Errorf("got %d %s %q\nwant %d %s %q", a.status, a.errorType, a.message, tt.status, tt.code, tt.msg)
			}
		})
	}
	out, err := env.Client.GetAuthorizers(context.Background(), &apigateway.GetAuthorizersInput{RestApiId: aws.String(api)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 0 {
		t.Errorf("refused creates stored %d authorizers", len(out.Items))
	}
}

// TestAuthorizerUnknownIDs: the answers AWS recorded for an unknown API and
// an unknown authorizer.
func TestAuthorizerUnknownIDs(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	acct := env.Server.Control.AccountID()
	_, err := env.Client.CreateAuthorizer(ctx, &apigateway.CreateAuthorizerInput{RestApiId: aws.String("nosuchapi0"), Name: aws.String("a"),
		Type: types.AuthorizerTypeToken, AuthorizerUri: aws.String(lambdaAuthURI), IdentitySource: aws.String("method.request.header.A")})
	apitest.WantError(t, err, "ConflictException", "Unable to complete operation due to concurrent modification. Please try again later.")
	_, err = env.Client.GetAuthorizers(ctx, &apigateway.GetAuthorizersInput{RestApiId: aws.String("nosuchapi0")})
	apitest.WantError(t, err, "NotFoundException", "Invalid API identifier specified "+acct+":nosuchapi0")

	api := newAPI(t, env.Client, "authz").Id
	for name, call := range map[string]func() error{
		"get": func() error {
			_, err := env.Client.GetAuthorizer(ctx, &apigateway.GetAuthorizerInput{RestApiId: api, AuthorizerId: aws.String("nope00")})
			return err
		},
		"update": func() error {
			_, err := env.Client.UpdateAuthorizer(ctx, &apigateway.UpdateAuthorizerInput{RestApiId: api, AuthorizerId: aws.String("nope00"),
				PatchOperations: []types.PatchOperation{replace("/name", "x")}})
			return err
		},
		"delete": func() error {
			_, err := env.Client.DeleteAuthorizer(ctx, &apigateway.DeleteAuthorizerInput{RestApiId: api, AuthorizerId: aws.String("nope00")})
			return err
		},
		"test-invoke": func() error {
			_, err := env.Client.TestInvokeAuthorizer(ctx, &apigateway.TestInvokeAuthorizerInput{RestApiId: api, AuthorizerId: aws.String("nope00")})
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			apitest.WantError(t, call(), "NotFoundException", "Invalid Authorizer identifier specified")
		})
	}
}

// TestAuthorizerCRUD creates each type, reads it back (TTL absent when not
// set, 0 kept), patches it, pages the list and deletes.
func TestAuthorizerCRUD(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	c := env.Client
	api := newAPI(t, c, "authz").Id

	tok := tokenAuthorizer(t, c, aws.ToString(api), "tok")
	if len(aws.ToString(tok.Id)) != 6 || aws.ToString(tok.AuthType) != "custom" || tok.AuthorizerResultTtlInSeconds != nil {
		t.Errorf("TOKEN authorizer = id %q authType %q ttl %v; want a 6-character id, authType custom, no TTL",
			aws.ToString(tok.Id), aws.ToString(tok.AuthType), tok.AuthorizerResultTtlInSeconds)
	}
	req, err := c.CreateAuthorizer(ctx, &apigateway.CreateAuthorizerInput{RestApiId: api, Name: aws.String("req"), Type: types.AuthorizerTypeRequest,
		AuthorizerUri: aws.String("https://auth.example/check"), AuthorizerResultTtlInSeconds: aws.Int32(0)})
	if err != nil {
		t.Fatal(err)
	}
	if req.AuthorizerResultTtlInSeconds == nil || *req.AuthorizerResultTtlInSeconds != 0 {
		t.Errorf("REQUEST authorizer TTL = %v, want 0 sent back", req.AuthorizerResultTtlInSeconds)
	}
	pool, err := c.CreateAuthorizer(ctx, &apigateway.CreateAuthorizerInput{RestApiId: api, Name: aws.String("pool"), Type: types.AuthorizerTypeCognitoUserPools,
		ProviderARNs: []string{poolARN}, IdentitySource: aws.String("method.request.header.Authorization")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(pool.AuthType) != "cognito_user_pools" || !cmp.Equal(pool.ProviderARNs, []string{poolARN}) {
		t.Errorf("Cognito authorizer = authType %q providerARNs %v", aws.ToString(pool.AuthType), pool.ProviderARNs)
	}

	got, err := c.GetAuthorizer(ctx, &apigateway.GetAuthorizerInput{RestApiId: api, AuthorizerId: tok.Id})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.Name) != "tok" || got.Type != types.AuthorizerTypeToken || aws.ToString(got.AuthorizerUri) != lambdaAuthURI ||
		got.AuthorizerResultTtlInSeconds != nil || aws.ToString(got.IdentitySource) != "method.request.header.Authorization" {
		t.Errorf("GetAuthorizer = %+v", got)
	}

	// Patch: several paths in one call.
	up, err := c.UpdateAuthorizer(ctx, &apigateway.UpdateAuthorizerInput{RestApiId: api, AuthorizerId: tok.Id, PatchOperations: []types.PatchOperation{
		replace("/name", "renamed"),
		replace("/authorizerResultTtlInSeconds", "60"),
		replace("/identityValidationExpression", "^Bearer [-0-9a-zA-Z._]+$"),
		replace("/identitySource", "method.request.header.X-Token"),
		replace("/authorizerCredentials", "arn:aws:iam::123456789012:role/invoke"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(up.Name) != "renamed" || aws.ToInt32(up.AuthorizerResultTtlInSeconds) != 60 || aws.ToString(up.IdentitySource) != "method.request.header.X-Token" ||
		aws.ToString(up.IdentityValidationExpression) != "^Bearer [-0-9a-zA-Z._]+$" || aws.ToString(up.AuthorizerCredentials) != "arn:aws:iam::123456789012:role/invoke" {
		t.Errorf("UpdateAuthorizer = %+v", up)
	}
	// A refused patch changes nothing, even its valid ops.
	_, err = c.UpdateAuthorizer(ctx, &apigateway.UpdateAuthorizerInput{RestApiId: api, AuthorizerId: tok.Id, PatchOperations: []types.PatchOperation{
		replace("/name", "again"), replace("/authorizerResultTtlInSeconds", "7200"),
	}})
	apitest.WantError(t, err, "BadRequestException", `Invalid value "7200" for /authorizerResultTtlInSeconds: must be an integer between 0 and 3600`)
	_, err = c.UpdateAuthorizer(ctx, &apigateway.UpdateAuthorizerInput{RestApiId: api, AuthorizerId: tok.Id, PatchOperations: []types.PatchOperation{
		patchOp(types.OpAdd, "/name", "x"),
	}})
	apitest.WantError(t, err, "BadRequestException", "Invalid patch operation specified. Must be one of: [replace]")
	got, err = c.GetAuthorizer(ctx, &apigateway.GetAuthorizerInput{RestApiId: api, AuthorizerId: tok.Id})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.Name) != "renamed" || aws.ToInt32(got.AuthorizerResultTtlInSeconds) != 60 {
		t.Errorf("after refused patches: name %q ttl %v", aws.ToString(got.Name), got.AuthorizerResultTtlInSeconds)
	}
	// Cognito pools: add and remove by value.
	up, err = c.UpdateAuthorizer(ctx, &apigateway.UpdateAuthorizerInput{RestApiId: api, AuthorizerId: pool.Id, PatchOperations: []types.PatchOperation{
		patchOp(types.OpAdd, "/providerARNs", "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Two2"),
		patchOp(types.OpRemove, "/providerARNs", poolARN),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(up.ProviderARNs, []string{"arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Two2"}) {
		t.Errorf("providerARNs after add and remove = %v", up.ProviderARNs)
	}
	_, err = c.UpdateAuthorizer(ctx, &apigateway.UpdateAuthorizerInput{RestApiId: api, AuthorizerId: pool.Id, PatchOperations: []types.PatchOperation{
		patchOp(types.OpRemove, "/providerARNs", "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Two2"),
	}})
	apitest.WantError(t, err, "BadRequestException", "Invalid request input: providerARNs is required for a COGNITO_USER_POOLS authorizer (arn:aws:cognito-idp:{region}:{account_id}:userpool/{user_pool_id})")

	// List: sorted by id, paged.
	want := []string{aws.ToString(tok.Id), aws.ToString(req.Id), aws.ToString(pool.Id)}
	slices.Sort(want)
	var seen []string
	var pos *string
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("too many pages")
		}
		out, err := c.GetAuthorizers(ctx, &apigateway.GetAuthorizersInput{RestApiId: api, Limit: aws.Int32(2), Position: pos})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Items) > 2 {
			t.Fatalf("page of %d with limit 2", len(out.Items))
		}
		for _, a := range out.Items {
			seen = append(seen, aws.ToString(a.Id))
		}
		if pos = out.Position; pos == nil {
			break
		}
	}
	if !cmp.Equal(seen, want) {
		t.Errorf("listed %v, want %v", seen, want)
	}
	_, err = c.GetAuthorizers(ctx, &apigateway.GetAuthorizersInput{RestApiId: api, Position: aws.String("zzzzzz")})
	apitest.WantError(t, err, "BadRequestException", `Invalid position specified: "zzzzzz"`)

	// Delete.
	if _, err := c.DeleteAuthorizer(ctx, &apigateway.DeleteAuthorizerInput{RestApiId: api, AuthorizerId: req.Id}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetAuthorizer(ctx, &apigateway.GetAuthorizerInput{RestApiId: api, AuthorizerId: req.Id})
	apitest.WantError(t, err, "NotFoundException", "Invalid Authorizer identifier specified")
}

// TestMethodAuthorizers: CUSTOM needs a TOKEN or REQUEST authorizer of the
// API, COGNITO_USER_POOLS a Cognito one; the type is case-insensitive; an
// authorizer a method uses cannot be deleted.
func TestMethodAuthorizers(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	c := env.Client
	apiOut := newAPI(t, c, "authz")
	api := apiOut.Id
	other := newAPI(t, c, "other").Id
	tok := tokenAuthorizer(t, c, aws.ToString(api), "tok")
	foreign := tokenAuthorizer(t, c, aws.ToString(other), "foreign")
	pool, err := c.CreateAuthorizer(ctx, &apigateway.CreateAuthorizerInput{RestApiId: api, Name: aws.String("pool"), Type: types.AuthorizerTypeCognitoUserPools,
		ProviderARNs: []string{poolARN}, IdentitySource: aws.String("method.request.header.Authorization")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api, ParentId: apiOut.RootResourceId, PathPart: aws.String("pets")})
	if err != nil {
		t.Fatal(err)
	}
	put := func(authType, authorizerID string) (*apigateway.PutMethodOutput, error) {
		in := &apigateway.PutMethodInput{RestApiId: api, ResourceId: res.Id, HttpMethod: aws.String("GET"), AuthorizationType: aws.String(authType)}
		if authorizerID != "" {
			in.AuthorizerId = aws.String(authorizerID)
		}
		return c.PutMethod(ctx, in)
	}
	refusals := []struct{ name, authType, id string }{
		{"custom without id", "CUSTOM", ""},
		{"custom unknown id", "CUSTOM", "nope00"},
		{"custom other API's authorizer", "CUSTOM", aws.ToString(foreign.Id)},
		{"custom Cognito authorizer", "CUSTOM", aws.ToString(pool.Id)},
		{"cognito TOKEN authorizer", "COGNITO_USER_POOLS", aws.ToString(tok.Id)},
		{"cognito without id", "cognito_user_pools", ""},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			_, err := put(tt.authType, tt.id)
			apitest.WantError(t, err, "BadRequestException", msgNeedAuthorizer)
		})
	}
	_, err = c.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: api, ResourceId: res.Id, HttpMethod: aws.String("GET")})
	apitest.WantError(t, err, "NotFoundException", "Invalid Method identifier specified")

	m, err := put("custom", aws.ToString(tok.Id))
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(m.AuthorizationType) != "CUSTOM" || aws.ToString(m.AuthorizerId) != aws.ToString(tok.Id) {
		t.Errorf("PutMethod custom = type %q authorizer %q", aws.ToString(m.AuthorizationType), aws.ToString(m.AuthorizerId))
	}
	// Switching to Cognito needs the type and the id in one request.
	_, err = c.UpdateMethod(ctx, &apigateway.UpdateMethodInput{RestApiId: api, ResourceId: res.Id, HttpMethod: aws.String("GET"),
		PatchOperations: []types.PatchOperation{replace("/authorizationType", "COGNITO_USER_POOLS")}})
	apitest.WantError(t, err, "BadRequestException", msgNeedAuthorizer)

	_, err = c.DeleteAuthorizer(ctx, &apigateway.DeleteAuthorizerInput{RestApiId: api, AuthorizerId: tok.Id})
	apitest.WantError(t, err, "ConflictException", "Cannot delete authorizer 'tok', is referenced in method: GET//pets")

	um, err := c.UpdateMethod(ctx, &apigateway.UpdateMethodInput{RestApiId: api, ResourceId: res.Id, HttpMethod: aws.String("GET"),
		PatchOperations: []types.PatchOperation{replace("/authorizationType", "COGNITO_USER_POOLS"), replace("/authorizerId", aws.ToString(pool.Id))}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(um.AuthorizerId) != aws.ToString(pool.Id) {
		t.Errorf("authorizerId after switching to Cognito = %q", aws.ToString(um.AuthorizerId))
	}
	if _, err := c.DeleteAuthorizer(ctx, &apigateway.DeleteAuthorizerInput{RestApiId: api, AuthorizerId: tok.Id}); err != nil {
		t.Errorf("deleting the authorizer no method uses any more: %v", err)
	}
}

// TestTestInvokeAuthorizerWithoutRunner: a node whose data plane does not
// run authorizers says so with 501 (which SDKs do not retry).
func TestTestInvokeAuthorizerWithoutRunner(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	if _, ok := any(env.Server.Gateway).(awsapi.AuthorizerRunner); ok {
		t.Skip("the gateway runs authorizers")
	}
	api := aws.ToString(newAPI(t, env.Client, "authz").Id)
	tok := tokenAuthorizer(t, env.Client, api, "tok")
	_, err := env.Client.TestInvokeAuthorizer(context.Background(), &apigateway.TestInvokeAuthorizerInput{RestApiId: aws.String(api), AuthorizerId: tok.Id})
	apitest.WantError(t, err, "NotImplementedException", "TestInvokeAuthorizer is not available: this node's data plane does not run authorizers")
}

// fakeRunner records what the wire layer hands the data plane.
type fakeRunner struct {
	mu      sync.Mutex
	invoked []invocation
	flushed []string
	result  apigw.AuthorizerTestResult
}

type invocation struct {
	apiID string
	a     apigw.Authorizer
	in    apigw.AuthorizerTest
}

func (f *fakeRunner) TestInvokeAuthorizer(ctx context.Context, apiID string, a *apigw.Authorizer, in apigw.AuthorizerTest) (apigw.AuthorizerTestResult, error) {
	if _, ok := ctx.Deadline(); !ok {
		return apigw.AuthorizerTestResult{}, context.DeadlineExceeded
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.invoked = append(f.invoked, invocation{apiID, *a, in})
	return f.result, nil
}

func (f *fakeRunner) FlushStageAuthorizersCache(apiID, stage string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flushed = append(f.flushed, apiID+"/"+stage)
}

// runnerClient serves the node's control plane through a management API
// handler with runner, on another loopback listener, and returns an SDK
// client for it.
func runnerClient(t *testing.T, env *apitest.Env, runner awsapi.AuthorizerRunner) *apigateway.Client {
	t.Helper()
	srv := httptest.NewServer(awsapi.New(awsapi.Options{Control: env.Server.Control, Runner: runner}))
	t.Cleanup(srv.Close)
	return apigateway.New(apigateway.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:  &http.Client{Timeout: 30 * time.Second},
	})
}

// TestTestInvokeAuthorizerRunner: the request reaches the runner with the
// authorizer as stored now (not as deployed), and the result comes back in
// AWS's shape.
func TestTestInvokeAuthorizerRunner(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	runner := &fakeRunner{result: apigw.AuthorizerTestResult{
		ClientStatus: 200, Log: "Execution log for request test-request\nAuthorizer succeeded\n", Latency: 42 * time.Millisecond,
		PrincipalID: "user-1", Policy: `{"Version":"2012-10-17","Statement":[]}`,
		Authorization: map[string][]string{"tenant": {"acme"}}, Claims: map[string]string{"sub": "user-1"},
	}}
	c := runnerClient(t, env, runner)
	api := aws.ToString(newAPI(t, c, "authz").Id)
	tok := tokenAuthorizer(t, c, api, "tok")
	if _, err := c.UpdateAuthorizer(ctx, &apigateway.UpdateAuthorizerInput{RestApiId: aws.String(api), AuthorizerId: tok.Id,
		PatchOperations: []types.PatchOperation{replace("/authorizerUri", "https://auth.example/now")}}); err != nil {
		t.Fatal(err)
	}
	out, err := c.TestInvokeAuthorizer(ctx, &apigateway.TestInvokeAuthorizerInput{RestApiId: aws.String(api), AuthorizerId: tok.Id,
		Headers: map[string]string{"Authorization": "Bearer abc"}, MultiValueHeaders: map[string][]string{"X-Multi": {"1", "2"}},
		PathWithQueryString: aws.String("/pets?x=1"), Body: aws.String("{}"), StageVariables: map[string]string{"env": "test"},
		AdditionalContext: map[string]string{"k": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	if out.ClientStatus != 200 || out.Latency != 42 || aws.ToString(out.PrincipalId) != "user-1" || aws.ToString(out.Policy) != runner.result.Policy ||
		aws.ToString(out.Log) != runner.result.Log || !cmp.Equal(out.Authorization, runner.result.Authorization) || !cmp.Equal(out.Claims, runner.result.Claims) {
		t.Errorf("TestInvokeAuthorizer = %+v", out)
	}
	if len(runner.invoked) != 1 {
		t.Fatalf("runner invoked %d times, want 1", len(runner.invoked))
	}
	inv := runner.invoked[0]
	wantIn := apigw.AuthorizerTest{Headers: map[string]string{"Authorization": "Bearer abc"}, MultiValueHeaders: map[string][]string{"X-Multi": {"1", "2"}},
		PathWithQueryString: "/pets?x=1", Body: "{}", StageVariables: map[string]string{"env": "test"}, AdditionalContext: map[string]string{"k": "v"}}
	if inv.apiID != api || inv.a.ID != aws.ToString(tok.Id) || inv.a.AuthorizerURI != "https://auth.example/now" || !cmp.Equal(inv.in, wantIn) {
		t.Errorf("runner got api %q authorizer %+v input %+v", inv.apiID, inv.a, inv.in)
	}
}

// TestFlushStageAuthorizersCache: the runner flushes the named stage; an
// unknown stage is AWS's NotFound and flushes nothing.
func TestFlushStageAuthorizersCache(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	runner := &fakeRunner{}
	c := runnerClient(t, env, runner)
	api := keysTestStage(t, env, "flushapi01", "prod")

	if _, err := c.FlushStageAuthorizersCache(ctx, &apigateway.FlushStageAuthorizersCacheInput{RestApiId: aws.String(api), StageName: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.FlushStageAuthorizersCache(ctx, &apigateway.FlushStageAuthorizersCacheInput{RestApiId: aws.String(api), StageName: aws.String("nope")})
	apitest.WantError(t, err, "NotFoundException", "Invalid Stage identifier specified")
	if want := []string{api + "/prod"}; !cmp.Equal(runner.flushed, want) {
		t.Errorf("flushed %v, want %v", runner.flushed, want)
	}
	// Without a runner (the node's own handler) the flush still checks the stage.
	if _, err := env.Client.FlushStageAuthorizersCache(ctx, &apigateway.FlushStageAuthorizersCacheInput{RestApiId: aws.String(api), StageName: aws.String("prod")}); err != nil {
		t.Errorf("flush without a runner: %v", err)
	}
}

// TestAuthorizerWireTTL: the raw answer has no authorizerResultTtlInSeconds
// member when it is not set, and 0 when it is 0.
func TestAuthorizerWireTTL(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	api := aws.ToString(newAPI(t, env.Client, "authz").Id)
	for _, tt := range []struct {
		body string
		want string // "" = absent
	}{
		{`{"name":"a","type":"TOKEN","authorizerUri":"` + lambdaAuthURI + `","identitySource":"method.request.header.A"}`, ""},
		{`{"name":"b","type":"REQUEST","authorizerUri":"https://auth.example/","authorizerResultTtlInSeconds":0}`, "0"},
	} {
		a := do(t, signedRequest(t, env, "POST", env.AdminURL, "/restapis/"+api+"/authorizers", []byte(tt.body), signOpts{}))
		if a.status != http.StatusCreated {
			t.Fatalf("create: %d %s", a.status, a.body)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(a.body, &m); err != nil {
			t.Fatal(err)
		}
		got, ok := m["authorizerResultTtlInSeconds"]
		if (tt.want == "") == ok || (ok && string(got) != tt.want) {
			t.Errorf("%s: authorizerResultTtlInSeconds = %s (present %v), want %q", tt.body, got, ok, tt.want)
		}
		if strings.Contains(string(a.body), "null") {
			t.Errorf("answer carries a null member: %s", a.body)
		}
	}
}
