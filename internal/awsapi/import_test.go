package awsapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
)

func readImportDoc(t *testing.T, name, upstream string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/import/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.ReplaceAll(string(b), "UPSTREAM", upstream))
}

// resourcePaths returns an API's resources by path.
func importedPaths(t *testing.T, c *apigateway.Client, api string) map[string]types.Resource {
	t.Helper()
	out, err := c.GetResources(context.Background(), &apigateway.GetResourcesInput{RestApiId: aws.String(api), Limit: aws.Int32(500)})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]types.Resource{}
	for _, r := range out.Items {
		m[aws.ToString(r.Path)] = r
	}
	return m
}

// TestImportRestAPIServesOnTheDataPlane: an OpenAPI 3 document with a
// MOCK and two HTTP_PROXY methods, API key security, models and a request
// validator imports over the SDK, deploys, and serves what it describes.
func TestImportRestAPIServesOnTheDataPlane(t *testing.T) {
	ctx := context.Background()
	var (
		mu    sync.Mutex
		calls []string
	)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		calls = append(calls, r.Method+" "+r.URL.Path+" "+string(b))
		mu.Unlock()
		io.WriteString(w, `{"upstream":true}`)
	}))
	t.Cleanup(up.Close)
	env := apitest.Start(t, apitest.Options{})
	c := env.Client

	imp, err := c.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: readImportDoc(t, "pets-oas3.json", up.URL)})
	if err != nil {
		t.Fatal(err)
	}
	api := aws.ToString(imp.Id)
	if aws.ToString(imp.Name) != "Pets" || aws.ToString(imp.Description) != "imported" || aws.ToString(imp.Version) != "1.0" ||
		imp.ApiKeySource != types.ApiKeySourceTypeHeader || len(imp.Warnings) != 0 || aws.ToString(imp.RootResourceId) == "" {
		t.Fatalf("ImportRestApi = %+v", imp)
	}

	paths := importedPaths(t, c, api)
	if len(paths) != 3 || paths["/pets/{id}"].ParentId == nil || aws.ToString(paths["/pets/{id}"].ParentId) != aws.ToString(paths["/pets"].Id) {
		t.Fatalf("resources = %v", paths)
	}
	pets := paths["/pets"].Id
	get, err := c.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: aws.String(api), ResourceId: pets, HttpMethod: aws.String("GET")})
	if err != nil {
		t.Fatal(err)
	}
	if !aws.ToBool(get.ApiKeyRequired) || aws.ToString(get.AuthorizationType) != "NONE" || aws.ToString(get.OperationName) != "ListPets" ||
		get.MethodIntegration.Type != types.IntegrationTypeMock || aws.ToString(get.MethodIntegration.CacheNamespace) != aws.ToString(pets) ||
		get.MethodIntegration.TimeoutInMillis != 29000 || aws.ToString(get.MethodIntegration.PassthroughBehavior) != "WHEN_NO_MATCH" ||
		get.MethodResponses["200"].ResponseModels["application/json"] != "Pets" {
		t.Fatalf("GET /pets = %+v", get)
	}
	post, err := c.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: aws.String(api), ResourceId: pets, HttpMethod: aws.String("POST")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToBool(post.ApiKeyRequired) || post.RequestModels["application/json"] != "Pet" || aws.ToString(post.RequestValidatorId) == "" ||
		post.MethodIntegration.ConnectionType != types.ConnectionTypeInternet {
		t.Fatalf("POST /pets = %+v", post)
	}
	byID, err := c.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: aws.String(api), ResourceId: paths["/pets/{id}"].Id, HttpMethod: aws.String("GET")})
	if err != nil {
		t.Fatal(err)
	}
	if !byID.RequestParameters["method.request.path.id"] || byID.MethodIntegration.RequestParameters["integration.request.path.id"] != "method.request.path.id" {
		t.Fatalf("GET /pets/{id} = %+v", byID)
	}
	models, err := c.GetModels(ctx, &apigateway.GetModelsInput{RestApiId: aws.String(api)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range models.Items {
		names = append(names, aws.ToString(m.Name))
		if aws.ToString(m.Name) == "Pets" {
			var s map[string]any
			if err := json.Unmarshal([]byte(aws.ToString(m.Schema)), &s); err != nil {
				t.Fatal(err)
			}
			if ref := s["items"].(map[string]any)["$ref"]; ref != apigw.ModelURL(api, "Pet") {
				t.Fatalf("Pets items $ref = %v, want the model URL", ref)
			}
		}
	}
	if !slices.Equal(names, []string{"Pet", "Pets"}) {
		t.Fatalf("models = %v, want the document's Pet and Pets", names)
	}

	if _, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: aws.String(api), StageName: aws.String("dev")}); err != nil {
		t.Fatal(err)
	}
	key, err := c.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("k"), Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := c.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("p"), ApiStages: []types.ApiStage{{ApiId: aws.String(api), Stage: aws.String("dev")}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: key.Id, KeyType: aws.String("API_KEY")}); err != nil {
		t.Fatal(err)
	}
	send := func(method, path, body, apiKey string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, env.DataURL+"/restapis/"+api+"/dev/_user_request_"+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if apiKey != "" {
			req.Header.Set("x-api-key", apiKey)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct {
		name, method, path, body, key string
		status                        int
		want                          string
	}{
		{"mock without key", "GET", "/pets", "", "", 403, `{"message":"Forbidden"}`},
		{"mock with key", "GET", "/pets", "", aws.ToString(key.Value), 200, `{"pets": []}`},
		{"body fails the model", "POST", "/pets", `{"kind":"dog"}`, "", 400, `{"message":"Invalid request body"}`},
		{"body passes the model", "POST", "/pets", `{"name":"rex"}`, "", 200, `{"upstream":true}`},
		{"path parameter", "GET", "/pets/7", "", "", 200, `{"upstream":true}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, body := send(tc.method, tc.path, tc.body, tc.key); status != tc.status || body != tc.want {
				t.Fatalf("got %d %s, want %d %s", status, body, tc.status, tc.want)
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{`POST /pets {"name":"rex"}`, "GET /pets/7 "}; !slices.Equal(calls, want) {
		t.Fatalf("upstream calls = %q, want %q (a refused body costs no call)", calls, want)
	}
}

// TestImportSwaggerYAML: a Swagger 2.0 YAML document with integer status
// codes, global api key security, definitions and a requestParameters
// value AWS warns about imports with AWS's recorded shapes and warning
// text; with failonwarnings=true the same document is refused and
// nothing is created.
func TestImportSwaggerYAML(t *testing.T) {
	ctx := context.Background()
	env := apitest.Start(t, apitest.Options{})
	c := env.Client
	doc := readImportDoc(t, "petstore-swagger.yaml", "")
	wantWarning := "Invalid format for 'requestParameters'. Expected type string for property 'integration.request.header.X-Flag' of resource '/test' and method 'GET' but got 'true'"

	_, err := c.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: doc, FailOnWarnings: true})
	apitest.WantError(t, err, "BadRequestException", "Warnings found during import:\n\t"+wantWarning)
	if list, err := c.GetRestApis(ctx, &apigateway.GetRestApisInput{}); err != nil || len(list.Items) != 0 {
		t.Fatalf("after a refused import: %d APIs, %v", len(list.Items), err)
	}

	imp, err := c.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: doc, Parameters: map[string]string{"basepath": "ignore"}})
	if err != nil {
		t.Fatal(err)
	}
	api := aws.ToString(imp.Id)
	if !slices.Equal(imp.Warnings, []string{wantWarning}) || !slices.Equal(imp.BinaryMediaTypes, []string{"image/png"}) || imp.Tags != nil {
		t.Fatalf("ImportRestApi = %+v", imp)
	}
	paths := importedPaths(t, c, api)
	m, err := c.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: aws.String(api), ResourceId: paths["/test"].Id, HttpMethod: aws.String("GET")})
	if err != nil {
		t.Fatal(err)
	}
	// As AWS recorded (test_import_with_integer_http_status_code), plus
	// the global api_key security.
	ir := m.MethodIntegration.IntegrationResponses["200"]
	if !aws.ToBool(m.ApiKeyRequired) || aws.ToString(ir.StatusCode) != "200" || ir.SelectionPattern != nil ||
		ir.ResponseParameters["method.response.header.Access-Control-Allow-Origin"] != "'*'" ||
		!maps(m.MethodIntegration.RequestParameters, map[string]string{"integration.request.header.X-Amz-Invocation-Type": "'Event'"}) ||
		m.MethodIntegration.RequestTemplates["application/json"] != `{"statusCode": 200}` ||
		m.MethodResponses["200"].ResponseModels["application/json"] != "Empty" ||
		m.MethodResponses["200"].ResponseParameters["method.response.header.Access-Control-Allow-Origin"] {
		t.Fatalf("GET /test = %+v", m)
	}
	pet, err := c.GetModel(ctx, &apigateway.GetModelInput{RestApiId: aws.String(api), ModelName: aws.String("Pet")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(aws.ToString(pet.Schema), `"$ref":"`+apigw.ModelURL(api, "Kind")+`"`) {
		t.Fatalf("Pet schema = %s", aws.ToString(pet.Schema))
	}
	// basepath=prepend puts the paths under the document's basePath (/v1).
	pre, err := c.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: doc, Parameters: map[string]string{"basepath": "prepend"}})
	if err != nil {
		t.Fatal(err)
	}
	if p := importedPaths(t, c, aws.ToString(pre.Id)); p["/v1/test"].Id == nil || p["/test"].Id != nil {
		t.Fatalf("basepath=prepend: resources %v", p)
	}
}

func maps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestImportBadDocument: AWS's recorded answers to unreadable documents,
// on PutRestApi before the unknown-API check; a document that fails
// part-way changes nothing.
func TestImportBadDocument(t *testing.T) {
	ctx := context.Background()
	env := apitest.Start(t, apitest.Options{})
	c := env.Client
	for _, body := range []string{`{"openapi": "3.0.1", "info": `, "openapi: 3.0.1\ninfo: [\n", "just text", `{"info": {"title": "x"}}`} {
		_, err := c.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: []byte(body)})
		apitest.WantError(t, err, "BadRequestException", "Invalid OpenAPI input.")
		_, err = c.PutRestApi(ctx, &apigateway.PutRestApiInput{RestApiId: aws.String("nosuchapi1"), Body: []byte(body)})
		apitest.WantError(t, err, "BadRequestException", "Invalid OpenAPI input.")
	}
	good := readImportDoc(t, "pets-oas3.json", "http://127.0.0.1:1")
	_, err := c.PutRestApi(ctx, &apigateway.PutRestApiInput{RestApiId: aws.String("nosuchapi1"), Body: good})
	apitest.WantError(t, err, "NotFoundException", "Invalid API identifier specified "+apigw.DefaultAccountID+":nosuchapi1")

	imp, err := c.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: good})
	if err != nil {
		t.Fatal(err)
	}
	api := aws.ToString(imp.Id)
	before := importedPaths(t, c, api)
	// A new path is valid, the next one's integration is not: nothing of
	// the document is kept.
	bad := `{"openapi":"3.0.1","info":{"title":"Bad","version":"2"},"paths":{
		"/a":{"get":{"x-amazon-apigateway-integration":{"type":"mock"}}},
		"/b":{"get":{"x-amazon-apigateway-integration":{"type":"http_proxy","httpMethod":"GET","uri":"not a url"}}}}}`
	for _, mode := range []types.PutMode{types.PutModeMerge, types.PutModeOverwrite} {
		_, err = c.PutRestApi(ctx, &apigateway.PutRestApiInput{RestApiId: aws.String(api), Mode: mode, Body: []byte(bad)})
		apitest.WantError(t, err, "BadRequestException", "Errors found during import:\n\tUnable to put method 'GET' on resource at path '/b': Invalid HTTP endpoint specified for URI")
	}
	after := importedPaths(t, c, api)
	if len(after) != len(before) || after["/a"].Id != nil {
		t.Fatalf("resources after a failed PutRestApi = %v, want %v", after, before)
	}
	got, err := c.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: aws.String(api)})
	if err != nil || aws.ToString(got.Name) != "Pets" {
		t.Fatalf("API after a failed PutRestApi = %+v, %v", got, err)
	}
}

// TestPutRestAPIModes: overwrite keeps the ids of the paths that remain
// and drops the others; merge adds paths and methods and keeps the rest;
// binaryMediaTypes as AWS recorded (merge appends, overwrite replaces);
// the answer has tags {}.
func TestPutRestAPIModes(t *testing.T) {
	ctx := context.Background()
	env := apitest.Start(t, apitest.Options{})
	c := env.Client
	created, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("modes"), BinaryMediaTypes: []string{"image/heif"}})
	if err != nil {
		t.Fatal(err)
	}
	api := aws.ToString(created.Id)
	first := `{"openapi":"3.0.1","info":{"title":"v1","version":"1.0.0"},"x-amazon-apigateway-binary-media-types":["image/png","image/jpg"],"paths":{
		"/keep/{id}":{"get":{"x-amazon-apigateway-integration":{"type":"mock"}}},
		"/gone":{"get":{"x-amazon-apigateway-integration":{"type":"mock"}}}}}`
	put, err := c.PutRestApi(ctx, &apigateway.PutRestApiInput{RestApiId: aws.String(api), Body: []byte(first)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(put.Name) != "v1" || aws.ToString(put.Version) != "1.0.0" || put.Tags == nil ||
		!slices.Equal(put.BinaryMediaTypes, []string{"image/heif", "image/png", "image/jpg"}) || aws.ToString(put.RootResourceId) != aws.ToString(created.RootResourceId) {
		t.Fatalf("PutRestApi merge = %+v", put)
	}
	v1 := importedPaths(t, c, api)
	if len(v1) != 4 {
		t.Fatalf("after merge: %v", v1)
	}

	second := `{"openapi":"3.0.1","info":{"title":"v2","version":"2"},"x-amazon-apigateway-binary-media-types":["image/png","image/jpg"],"paths":{
		"/keep/{id}":{"post":{"x-amazon-apigateway-integration":{"type":"mock"}}},
		"/new":{"get":{"x-amazon-apigateway-integration":{"type":"mock"}}}}}`
	put, err = c.PutRestApi(ctx, &apigateway.PutRestApiInput{RestApiId: aws.String(api), Mode: types.PutModeOverwrite, Body: []byte(second)})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(put.BinaryMediaTypes, []string{"image/png", "image/jpg"}) {
		t.Fatalf("PutRestApi overwrite binaryMediaTypes = %v", put.BinaryMediaTypes)
	}
	v2 := importedPaths(t, c, api)
	if _, ok := v2["/gone"]; ok || len(v2) != 4 {
		t.Fatalf("after overwrite: %v", v2)
	}
	for _, p := range []string{"/", "/keep", "/keep/{id}"} {
		if aws.ToString(v2[p].Id) != aws.ToString(v1[p].Id) {
			t.Fatalf("overwrite changed the id of %s: %s -> %s", p, aws.ToString(v1[p].Id), aws.ToString(v2[p].Id))
		}
	}
	if _, ok := v2["/keep/{id}"].ResourceMethods["GET"]; ok {
		t.Fatalf("overwrite kept GET /keep/{id}: %v", v2["/keep/{id}"].ResourceMethods)
	}

	third := `{"openapi":"3.0.1","info":{"title":"v3","version":"3"},"paths":{"/keep/{id}":{"get":{"x-amazon-apigateway-integration":{"type":"mock"}}}}}`
	if _, err := c.PutRestApi(ctx, &apigateway.PutRestApiInput{RestApiId: aws.String(api), Mode: types.PutModeMerge, Body: []byte(third)}); err != nil {
		t.Fatal(err)
	}
	v3 := importedPaths(t, c, api)
	methods := v3["/keep/{id}"].ResourceMethods
	if _, ok := methods["GET"]; !ok || len(methods) != 2 || len(v3) != 4 || aws.ToString(v3["/new"].Id) != aws.ToString(v2["/new"].Id) {
		t.Fatalf("after merge: %v, methods %v", v3, methods)
	}
}
