package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/gatehouse-dev/gatehouse/internal/lambda/lambdatest"
)

// The documents of these tests are the ones users send: see
// testdata/realworld/README.md for where each comes from.

// importRealWorld reads path, applies the old→new replacements, imports
// it over the SDK (warnings allowed: a document may carry extensions
// Gatehouse does not take yet; they are logged, not asserted) and
// deploys it to stage.
func importRealWorld(t *testing.T, env *apitest.Env, path, stage string, replace ...string) *apigateway.ImportRestApiOutput {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.NewReplacer(replace...).Replace(string(b))
	ctx := context.Background()
	imp, err := env.Client.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: []byte(doc)})
	if err != nil {
		t.Fatalf("ImportRestApi %s: %v", path, err)
	}
	if len(imp.Warnings) > 0 {
		t.Logf("%s imported with warnings: %q", path, imp.Warnings)
	}
	if _, err := env.Client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: imp.Id, StageName: aws.String(stage)}); err != nil {
		t.Fatalf("CreateDeployment: %v", err)
	}
	return imp
}

// keyOnStage creates an enabled API key in a usage plan on api's stage
// and returns its value.
func keyOnStage(t *testing.T, env *apitest.Env, api, stage string) string {
	t.Helper()
	ctx := context.Background()
	key, err := env.Client.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("k-" + api), Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := env.Client.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("p-" + api),
		ApiStages: []types.ApiStage{{ApiId: aws.String(api), Stage: aws.String(stage)}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: key.Id, KeyType: aws.String("API_KEY")}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(key.Value)
}

// sendUntil sends the request until it answers status (the key index
// follows the change feed, so a new key takes effect shortly after it is
// created) or 5 s pass, and returns the last answer.
func sendUntil(t *testing.T, env *apitest.Env, api, stage, method, path, body string, hdr map[string]string, status int) answer {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		a := send(t, env, api, stage, method, path, body, hdr)
		if a.status == status || time.Now().After(deadline) {
			return a
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// getMethod reads one method of an imported API.
func getMethod(t *testing.T, env *apitest.Env, api string, paths map[string]string, path, verb string) *apigateway.GetMethodOutput {
	t.Helper()
	id, ok := paths[path]
	if !ok {
		t.Fatalf("no resource %s (have %v)", path, paths)
	}
	m, err := env.Client.GetMethod(context.Background(), &apigateway.GetMethodInput{RestApiId: aws.String(api), ResourceId: aws.String(id), HttpMethod: aws.String(verb)})
	if err != nil {
		t.Fatalf("GetMethod %s %s: %v", verb, path, err)
	}
	return m
}

// proxyEvent is the part of a Lambda proxy event the echo function sends
// back that these tests look at.
type proxyEvent struct {
	Resource       string            `json:"resource"`
	Path           string            `json:"path"`
	HTTPMethod     string            `json:"httpMethod"`
	PathParameters map[string]string `json:"pathParameters"`
	Body           *string           `json:"body"`
	RequestContext struct {
		Stage    string `json:"stage"`
		Identity struct {
			APIKey *string `json:"apiKey"`
		} `json:"identity"`
	} `json:"requestContext"`
}

func decodeEvent(t *testing.T, a answer) proxyEvent {
	t.Helper()
	var ev proxyEvent
	if err := json.Unmarshal([]byte(a.body), &ev); err != nil {
		t.Fatalf("the function's answer is not the echoed event: %v\n%d %s", err, a.status, a.body)
	}
	return ev
}

// TestImportChaliceDocument: the Swagger 2.0 document Chalice generates
// for an app whose routes have api_key_required=True and cors=True
// (aws_proxy to the app's function, an OPTIONS MOCK per CORS route with
// Access-Control-* response parameters, the api_key security definition,
// Chalice's binary media types) imports, deploys and serves: the key is
// required where Chalice asked for it, the function gets the proxy event,
// and preflights answer from the MOCK with the CORS headers.
func TestImportChaliceDocument(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the Lambda Runtime Interface Emulator")
	}
	endpoint := lambdatest.Start(t, lambdatest.Handler("echo"))
	env := apitest.Start(t, apitest.Options{LambdaEndpoint: endpoint})
	imp := importRealWorld(t, env, filepath.Join("testdata", "realworld", "chalice-petapp.json"), "api",
		"arn:aws:lambda:us-west-2:123456789012:function:petapp-dev", lambdatest.ARN)
	api := aws.ToString(imp.Id)
	if aws.ToString(imp.Name) != "petapp" || aws.ToString(imp.Version) != "1.0" || len(imp.BinaryMediaTypes) != 16 || imp.BinaryMediaTypes[0] != "application/octet-stream" {
		t.Fatalf("ImportRestApi = name %q version %q binaryMediaTypes %q", aws.ToString(imp.Name), aws.ToString(imp.Version), imp.BinaryMediaTypes)
	}
	paths := resourceIDs(t, env.Client, api)
	for _, tc := range []struct {
		path, verb string
		keyed      bool
		typ        types.IntegrationType
	}{
		{"/", "GET", false, types.IntegrationTypeAwsProxy},
		{"/pets", "GET", true, types.IntegrationTypeAwsProxy},
		{"/pets", "POST", true, types.IntegrationTypeAwsProxy},
		{"/pets", "OPTIONS", false, types.IntegrationTypeMock},
		{"/pets/{pet_id}", "GET", true, types.IntegrationTypeAwsProxy},
		{"/pets/{pet_id}", "DELETE", true, types.IntegrationTypeAwsProxy},
		{"/pets/{pet_id}", "OPTIONS", false, types.IntegrationTypeMock},
	} {
		m := getMethod(t, env, api, paths, tc.path, tc.verb)
		if aws.ToBool(m.ApiKeyRequired) != tc.keyed || m.MethodIntegration.Type != tc.typ || aws.ToString(m.AuthorizationType) != "NONE" {
			t.Errorf("%s %s: apiKeyRequired=%v integration %s authorizationType %s; want %v %s NONE", tc.verb, tc.path,
				aws.ToBool(m.ApiKeyRequired), m.MethodIntegration.Type, aws.ToString(m.AuthorizationType), tc.keyed, tc.typ)
		}
		if tc.typ == types.IntegrationTypeAwsProxy && (aws.ToString(m.MethodIntegration.HttpMethod) != "POST" ||
			m.MethodIntegration.ContentHandling != types.ContentHandlingStrategyConvertToText || !strings.Contains(aws.ToString(m.MethodIntegration.Uri), "/functions/"+lambdatest.ARN+"/invocations")) {
			t.Errorf("%s %s integration = %+v", tc.verb, tc.path, m.MethodIntegration)
		}
	}

	key := keyOnStage(t, env, api, "api")
	withKey := map[string]string{"x-api-key": key}
	for _, tc := range []struct {
		name, method, path, body string
		hdr                      map[string]string
		status                   int
		resource                 string // the event's resource ("" not a function call)
		body403                  string
	}{
		{"open route", "GET", "/", "", nil, 200, "/", ""},
		{"keyed route without a key", "GET", "/pets", "", nil, 403, "", `{"message":"Forbidden"}`},
		{"keyed route with a wrong key", "GET", "/pets", "", map[string]string{"x-api-key": "not-a-key-value-at-all-0000"}, 403, "", `{"message":"Forbidden"}`},
		{"keyed route with the key", "GET", "/pets", "", withKey, 200, "/pets", ""},
		{"post with the key", "POST", "/pets", `{"name":"rex"}`, withKey, 200, "/pets", ""},
		{"path parameter", "GET", "/pets/7", "", withKey, 200, "/pets/{pet_id}", ""},
		{"delete", "DELETE", "/pets/7", "", withKey, 200, "/pets/{pet_id}", ""},
		{"method Chalice did not generate", "PUT", "/pets/7", "", withKey, 403, "", `{"message":"Missing Authentication Token"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := sendUntil(t, env, api, "api", tc.method, tc.path, tc.body, tc.hdr, tc.status)
			if a.status != tc.status {
				t.Fatalf("%s %s = %d %s, want %d", tc.method, tc.path, a.status, a.body, tc.status)
			}
			if tc.resource == "" {
				if a.body != tc.body403 {
					t.Errorf("body = %s, want %s", a.body, tc.body403)
				}
				return
			}
			ev := decodeEvent(t, a)
			if ev.Resource != tc.resource || ev.Path != tc.path || ev.HTTPMethod != tc.method || ev.RequestContext.Stage != "api" {
				t.Errorf("event resource %q path %q method %q stage %q", ev.Resource, ev.Path, ev.HTTPMethod, ev.RequestContext.Stage)
			}
			if tc.resource == "/pets/{pet_id}" && ev.PathParameters["pet_id"] != "7" {
				t.Errorf("pathParameters = %v, want pet_id 7", ev.PathParameters)
			}
			if tc.body != "" && aws.ToString(ev.Body) != tc.body {
				t.Errorf("event body = %v, want %s", aws.ToString(ev.Body), tc.body)
			}
			if gotKey := aws.ToString(ev.RequestContext.Identity.APIKey); tc.hdr != nil && gotKey != key {
				t.Errorf("event identity.apiKey = %q, want the caller's key", gotKey)
			}
		})
	}
	// Preflights answer from the OPTIONS MOCKs Chalice adds for cors=True,
	// without a key and without calling the function.
	for path, methods := range map[string]string{"/pets": "GET,POST,OPTIONS", "/pets/7": "GET,DELETE,OPTIONS"} {
		a := send(t, env, api, "api", "OPTIONS", path, "", map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "GET"})
		want := map[string]string{
			"Access-Control-Allow-Methods": methods,
			"Access-Control-Allow-Origin":  "*",
			"Access-Control-Allow-Headers": "Authorization,Content-Type,X-Amz-Date,X-Amz-Security-Token,X-Api-Key",
		}
		if a.status != 200 {
			t.Errorf("OPTIONS %s = %d %s, want 200", path, a.status, a.body)
		}
		for h, v := range want {
			if got := a.header.Get(h); got != v {
				t.Errorf("OPTIONS %s: %s = %q, want %q", path, h, got, v)
			}
		}
	}
}

// TestImportSAMDocument: an OpenAPI 3 DefinitionBody as SAM generates it
// for an implicit API (aws_proxy with the Fn::Sub-resolved function URI,
// httpMethod POST, `responses: {}`, SAM's api_key security scheme) plus an
// http_proxy {proxy+} path, imported, deployed and served.
func TestImportSAMDocument(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the Lambda Runtime Interface Emulator")
	}
	var (
		mu    sync.Mutex
		calls []string
	)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls = append(calls, r.Method+" "+r.URL.RequestURI())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"legacy":true}`)
	}))
	t.Cleanup(up.Close)
	endpoint := lambdatest.Start(t, lambdatest.Handler("echo"))
	env := apitest.Start(t, apitest.Options{LambdaEndpoint: endpoint})
	imp := importRealWorld(t, env, filepath.Join("testdata", "realworld", "sam-orders.yaml"), "Prod",
		"arn:aws:lambda:us-east-1:123456789012:function:sam-app-HelloWorldFunction-Ab12Cd34Ef56", lambdatest.ARN, "UPSTREAM", up.URL)
	api := aws.ToString(imp.Id)
	if aws.ToString(imp.Name) != "sam-app" {
		t.Fatalf("ImportRestApi name = %q", aws.ToString(imp.Name))
	}
	paths := resourceIDs(t, env.Client, api)
	if m := getMethod(t, env, api, paths, "/orders/{orderId}", "POST"); !aws.ToBool(m.ApiKeyRequired) || m.MethodIntegration.Type != types.IntegrationTypeAwsProxy {
		t.Errorf("POST /orders/{orderId} = key %v, %s", aws.ToBool(m.ApiKeyRequired), m.MethodIntegration.Type)
	}
	if m := getMethod(t, env, api, paths, "/legacy/{proxy+}", "ANY"); m.MethodIntegration.Type != types.IntegrationTypeHttpProxy ||
		m.MethodIntegration.RequestParameters["integration.request.path.proxy"] != "method.request.path.proxy" {
		t.Errorf("ANY /legacy/{proxy+} integration = %+v", m.MethodIntegration)
	}
	key := keyOnStage(t, env, api, "Prod")

	a := send(t, env, api, "Prod", "GET", "/hello", "", nil)
	if ev := decodeEvent(t, a); a.status != 200 || ev.Resource != "/hello" || ev.HTTPMethod != "GET" || ev.RequestContext.Stage != "Prod" {
		t.Errorf("GET /hello = %d, event %+v", a.status, ev)
	}
	if a := send(t, env, api, "Prod", "POST", "/orders/o-1", `{"qty":2}`, nil); a.status != 403 || a.body != `{"message":"Forbidden"}` {
		t.Errorf("POST /orders/o-1 without a key = %d %s, want 403 Forbidden", a.status, a.body)
	}
	a = sendUntil(t, env, api, "Prod", "POST", "/orders/o-1", `{"qty":2}`, map[string]string{"x-api-key": key}, 200)
	if ev := decodeEvent(t, a); a.status != 200 || ev.Resource != "/orders/{orderId}" || ev.PathParameters["orderId"] != "o-1" || aws.ToString(ev.Body) != `{"qty":2}` {
		t.Errorf("POST /orders/o-1 with the key = %d, event %+v", a.status, ev)
	}
	for _, method := range []string{"GET", "DELETE"} {
		if a := send(t, env, api, "Prod", method, "/legacy/a/b?x=1", "", nil); a.status != 200 || a.body != `{"legacy":true}` {
			t.Errorf("%s /legacy/a/b = %d %s, want the upstream's answer", method, a.status, a.body)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"GET /legacy/a/b?x=1", "DELETE /legacy/a/b?x=1"}; strings.Join(calls, "|") != strings.Join(want, "|") {
		t.Errorf("upstream calls = %q, want %q", calls, want)
	}
}

// TestImportRequestValidationDocument: AWS's Swagger 2.0 request
// validation example (two validators, an API-wide default, required
// header and query parameters, a body model with an enum and bounds, HTTP
// integrations with parameter mappings and selection patterns). Requests
// that fail validation get AWS's recorded 400 bodies and never reach the
// upstream; valid ones reach it with the mapped parameters; an upstream
// error maps to the document's 400 with its static header and template.
func TestImportRequestValidationDocument(t *testing.T) {
	var (
		mu    sync.Mutex
		calls []string
	)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		calls = append(calls, r.Method+" "+r.URL.RequestURI()+" h1="+r.Header.Get("custom_h1")+" "+string(b))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("type") == "unicorn" {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":"no unicorns"}`)
			return
		}
		io.WriteString(w, `[{"id":1,"type":"dog"}]`)
	}))
	t.Cleanup(up.Close)
	env := apitest.Start(t, apitest.Options{})
	imp := importRealWorld(t, env, filepath.Join("testdata", "realworld", "swagger-request-validation.json"), "v1", "UPSTREAM", up.URL)
	api := aws.ToString(imp.Id)
	ctx := context.Background()
	vs, err := env.Client.GetRequestValidators(ctx, &apigateway.GetRequestValidatorsInput{RestApiId: imp.Id})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]types.RequestValidator{}
	for _, v := range vs.Items {
		byName[aws.ToString(v.Name)] = v
	}
	if all, params := byName["all"], byName["params-only"]; len(vs.Items) != 2 || !all.ValidateRequestBody || !all.ValidateRequestParameters || params.ValidateRequestBody || !params.ValidateRequestParameters {
		t.Fatalf("request validators = %+v", vs.Items)
	}
	paths := resourceIDs(t, env.Client, api)
	post := getMethod(t, env, api, paths, "/validation", "POST")
	get := getMethod(t, env, api, paths, "/validation", "GET")
	if aws.ToString(post.RequestValidatorId) != aws.ToString(byName["all"].Id) || post.RequestModels["application/json"] != "RequestBodyModel" ||
		!post.RequestParameters["method.request.header.h1"] {
		t.Errorf("POST /validation = validator %q models %v parameters %v", aws.ToString(post.RequestValidatorId), post.RequestModels, post.RequestParameters)
	}
	// The API-wide x-amazon-apigateway-request-validator applies to a
	// method that names none.
	if aws.ToString(get.RequestValidatorId) != aws.ToString(byName["params-only"].Id) || !get.RequestParameters["method.request.querystring.q1"] {
		t.Errorf("GET /validation = validator %q parameters %v", aws.ToString(get.RequestValidatorId), get.RequestParameters)
	}

	for _, tc := range []struct {
		name, method, path, body string
		hdr                      map[string]string
		status                   int
		want                     string
		header                   string // test-method-response-header
		call                     string // the upstream call it costs ("" none)
	}{
		{"get without q1", "GET", "/validation", "", nil, 400, `{"message":"Missing required request parameters: [q1]"}`, "", ""},
		{"get with q1", "GET", "/validation?q1=cat", "", nil, 200, `[{"id":1,"type":"dog"}]`, "", "GET /petstore/pets?type=cat h1= "},
		{"upstream error takes the default response", "GET", "/validation?q1=unicorn", "", nil, 400, "json 400 response template", "static value", "GET /petstore/pets?type=unicorn h1= "},
		{"post without h1", "POST", "/validation", `{"type":"dog","name":"rex","price":30}`, nil, 400, `{"message":"Missing required request parameters: [h1]"}`, "", ""},
		{"post without a required property", "POST", "/validation", `{"type":"dog","price":30}`, map[string]string{"h1": "x"}, 400, `{"message":"Invalid request body"}`, "", ""},
		{"post with a type outside the enum", "POST", "/validation", `{"type":"cow","name":"rex","price":30}`, map[string]string{"h1": "x"}, 400, `{"message":"Invalid request body"}`, "", ""},
		{"post with a price below the minimum", "POST", "/validation", `{"type":"dog","name":"rex","price":10}`, map[string]string{"h1": "x"}, 400, `{"message":"Invalid request body"}`, "", ""},
		{"post with a body that is not JSON", "POST", "/validation", `{"type":`, map[string]string{"h1": "x"}, 400, `{"message":"Invalid request body"}`, "", ""},
		{"valid post", "POST", "/validation", `{"type":"dog","name":"rex","price":30}`, map[string]string{"h1": "x"}, 200, `[{"id":1,"type":"dog"}]`, "",
			`POST /petstore/pets h1=x {"type":"dog","name":"rex","price":30}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			before := len(calls)
			mu.Unlock()
			a := send(t, env, api, "v1", tc.method, tc.path, tc.body, tc.hdr)
			if a.status != tc.status || a.body != tc.want {
				t.Errorf("%s %s = %d %s, want %d %s", tc.method, tc.path, a.status, a.body, tc.status, tc.want)
			}
			if got := a.header.Get("test-method-response-header"); got != tc.header {
				t.Errorf("test-method-response-header = %q, want %q", got, tc.header)
			}
			mu.Lock()
			got := calls[before:]
			mu.Unlock()
			switch {
			case tc.call == "" && len(got) != 0:
				t.Errorf("a refused request reached the upstream: %q", got)
			case tc.call != "" && (len(got) != 1 || got[0] != tc.call):
				t.Errorf("upstream calls = %q, want [%q]", got, tc.call)
			}
		})
	}
}

// TestImportPetStoreServes: the PetStore example AWS publishes (the
// console's "Example API", as LocalStack recorded it; the document lives
// with the awsapi import tests) imported, deployed and served: the MOCK
// root page with its Content-Type, HTTP integrations to the pet store
// (pointed at a local upstream) with query and path mappings, and the
// CORS preflight MOCKs.
func TestImportPetStoreServes(t *testing.T) {
	var (
		mu    sync.Mutex
		calls []string
	)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		calls = append(calls, r.Method+" "+r.URL.RequestURI()+" "+string(b))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":1,"type":"dog","price":249.99}`)
	}))
	t.Cleanup(up.Close)
	env := apitest.Start(t, apitest.Options{})
	imp := importRealWorld(t, env, filepath.Join("..", "..", "internal", "awsapi", "testdata", "import", "localstack-petstore-swagger.json"), "test",
		"http://petstore.execute-api.eu-west-1.amazonaws.com", up.URL)
	api := aws.ToString(imp.Id)
	if aws.ToString(imp.Name) != "PetStore" {
		t.Fatalf("name = %q", aws.ToString(imp.Name))
	}
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		contains                 string
		headers                  map[string]string
		call                     string
	}{
		{"root page", "GET", "/", "", 200, "<h1>Welcome to your Pet Store API</h1>", map[string]string{"Content-Type": "text/html"}, ""},
		{"list with query mapping", "GET", "/pets?type=dog&page=2", "", 200, `"type":"dog"`, map[string]string{"Access-Control-Allow-Origin": "*"}, "GET /petstore/pets?page=2&type=dog "},
		{"one pet by path mapping", "GET", "/pets/1", "", 200, `"id":1`, map[string]string{"Access-Control-Allow-Origin": "*"}, "GET /petstore/pets/1 "},
		{"create", "POST", "/pets", `{"type":"cat","price":12.5}`, 200, `"id":1`, nil, `POST /petstore/pets {"type":"cat","price":12.5}`},
		{"preflight", "OPTIONS", "/pets", "", 200, "", map[string]string{"Access-Control-Allow-Methods": "POST,GET,OPTIONS",
			"Access-Control-Allow-Headers": "Content-Type,X-Amz-Date,Authorization,X-Api-Key", "Access-Control-Allow-Origin": "*"}, ""},
		{"preflight on a pet", "OPTIONS", "/pets/1", "", 200, "", map[string]string{"Access-Control-Allow-Methods": "GET,OPTIONS"}, ""},
		{"no such method", "DELETE", "/pets/1", "", 403, `{"message":"Missing Authentication Token"}`, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			before := len(calls)
			mu.Unlock()
			a := send(t, env, api, "test", tc.method, tc.path, tc.body, nil)
			if a.status != tc.status || !strings.Contains(a.body, tc.contains) {
				t.Errorf("%s %s = %d %.300s, want %d with %q", tc.method, tc.path, a.status, a.body, tc.status, tc.contains)
			}
			for h, v := range tc.headers {
				if got := a.header.Get(h); got != v {
					t.Errorf("%s = %q, want %q", h, got, v)
				}
			}
			mu.Lock()
			got := calls[before:]
			mu.Unlock()
			if (tc.call == "") != (len(got) == 0) || (tc.call != "" && (len(got) != 1 || got[0] != tc.call)) {
				t.Errorf("upstream calls = %q, want %q", got, tc.call)
			}
		})
	}
}
