package awsapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
)

// TestModelsOverTheSDK: a new API has AWS's default models; CreateModel,
// GetModel(s), UpdateModel and DeleteModel answer as AWS recorded, with
// every refusal's exception and message.
func TestModelsOverTheSDK(t *testing.T) {
	ctx := context.Background()
	env := apitest.Start(t, apitest.Options{})
	c := env.Client
	api := aws.ToString(newAPI(t, c, "models").Id)

	list, err := c.GetModels(ctx, &apigateway.GetModelsInput{RestApiId: aws.String(api)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 2 || aws.ToString(list.Items[0].Name) != "Empty" || aws.ToString(list.Items[1].Name) != "Error" {
		t.Fatalf("default models = %+v, want Empty and Error", list.Items)
	}
	var empty map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(list.Items[0].Schema)), &empty); err != nil || empty["title"] != "Empty Schema" || empty["$schema"] != "http://json-schema.org/draft-04/schema#" {
		t.Fatalf("Empty's schema = %q (%v)", aws.ToString(list.Items[0].Schema), err)
	}
	if got := aws.ToString(list.Items[1].Description); got != "This is a default error schema model" {
		t.Fatalf("Error's description = %q", got)
	}

	schema := `{"title":"Calc","type":"object","properties":{"a":{"type":"number"}},"required":["a"]}`
	m, err := c.CreateModel(ctx, &apigateway.CreateModelInput{RestApiId: aws.String(api), Name: aws.String("Calc"),
		ContentType: aws.String("application/json"), Schema: aws.String(schema), Description: aws.String("")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(m.Schema) != schema || m.Description != nil || aws.ToString(m.Id) == "" {
		t.Fatalf("CreateModel = %+v", m)
	}
	got, err := c.GetModel(ctx, &apigateway.GetModelInput{RestApiId: aws.String(api), ModelName: aws.String("Calc")})
	if err != nil || aws.ToString(got.Id) != aws.ToString(m.Id) {
		t.Fatalf("GetModel = %+v, %v", got, err)
	}
	up, err := c.UpdateModel(ctx, &apigateway.UpdateModelInput{RestApiId: aws.String(api), ModelName: aws.String("Calc"),
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/schema"), Value: aws.String(`{"title":"Updated","type":"object"}`)}}})
	if err != nil || aws.ToString(up.Schema) != `{"title":"Updated","type":"object"}` {
		t.Fatalf("UpdateModel = %+v, %v", up, err)
	}

	ref := `{"type":"array","items":{"$ref":"https://apigateway.amazonaws.com/restapis/` + api + `/models/Calc"}}`
	if _, err := c.CreateModel(ctx, &apigateway.CreateModelInput{RestApiId: aws.String(api), Name: aws.String("CalcList"),
		ContentType: aws.String("application/json"), Schema: aws.String(ref)}); err != nil {
		t.Fatalf("a model referring to another by its canonical URL: %v", err)
	}

	create := func(name, schema string) error {
		_, err := c.CreateModel(ctx, &apigateway.CreateModelInput{RestApiId: aws.String(api), Name: aws.String(name),
			ContentType: aws.String("application/json"), Schema: aws.String(schema)})
		return err
	}
	for _, tc := range []struct {
		name, model, schema, code, msg string
	}{
		{"duplicate", "Calc", `{"type":"object"}`, "ConflictException", "Model name already exists for this REST API"},
		{"empty name", "", `{"type":"object"}`, "BadRequestException", "Model name must be non-empty"},
		{"not alphanumeric", "a.b", `{"type":"object"}`, "BadRequestException", "Model name must be alphanumeric: a.b"},
		{"empty schema", "E", "", "BadRequestException", "Model schema must have at least 1 property or array items defined"},
		{"not JSON", "E", "{", "BadRequestException", ""},
		{"external ref", "E", `{"$ref":"https://example.com/s.json"}`, "BadRequestException", ""},
		{"unknown model ref", "E", `{"$ref":"https://apigateway.amazonaws.com/restapis/` + api + `/models/Nope"}`, "BadRequestException",
			"Invalid model specified: Validation Result: warnings : [], errors : [Invalid model specified: Nope]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			apitest.WantError(t, create(tc.model, tc.schema), tc.code, tc.msg)
		})
	}
	if err := create("E", `{"$ref":"https://example.com/s.json"}`); !strings.Contains(apitest.ErrorMessage(err), "Model reference must be in canonical form") {
		t.Fatalf("external ref: %v", err)
	}
	_, err = c.CreateModel(ctx, &apigateway.CreateModelInput{RestApiId: aws.String("abcde0"), Name: aws.String("M"), ContentType: aws.String("application/json"), Schema: aws.String(`{"type":"object"}`)})
	apitest.WantError(t, err, "NotFoundException", "Invalid API identifier specified 000000000000:abcde0")
	_, err = c.GetModel(ctx, &apigateway.GetModelInput{RestApiId: aws.String("abcde0"), ModelName: aws.String("MySchema")})
	apitest.WantError(t, err, "NotFoundException", "Invalid model name specified: MySchema")
	_, err = c.UpdateModel(ctx, &apigateway.UpdateModelInput{RestApiId: aws.String(api), ModelName: aws.String("Calc"),
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/name"), Value: aws.String("x")}}})
	apitest.WantError(t, err, "BadRequestException", "Invalid patch path  '/name' specified for op 'replace'. Must be one of: [/description, /schema]")

	// A method naming an unknown model is refused; a model in use cannot
	// be deleted (AWS's text names the method key).
	root := rootID(t, c, api)
	_, err = c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: aws.String(api), ResourceId: aws.String(root), HttpMethod: aws.String("ANY"),
		AuthorizationType: aws.String("NONE"), RequestModels: map[string]string{"application/json": "Nope"}})
	apitest.WantError(t, err, "BadRequestException", "Invalid model identifier specified: Nope")
	if _, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: aws.String(api), ResourceId: aws.String(root), HttpMethod: aws.String("ANY"),
		AuthorizationType: aws.String("NONE"), RequestModels: map[string]string{"application/json": "Calc"}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteModel(ctx, &apigateway.DeleteModelInput{RestApiId: aws.String(api), ModelName: aws.String("Calc")})
	apitest.WantError(t, err, "ConflictException", "Cannot delete model 'Calc', is referenced in method request: //ANY")
	if _, err := c.DeleteModel(ctx, &apigateway.DeleteModelInput{RestApiId: aws.String(api), ModelName: aws.String("Error")}); err != nil {
		t.Fatalf("deleting an unused model: %v", err)
	}
	_, err = c.GetModel(ctx, &apigateway.GetModelInput{RestApiId: aws.String(api), ModelName: aws.String("Error")})
	apitest.WantError(t, err, "NotFoundException", "Invalid model name specified: Error")
}

// TestRequestValidatorsOverTheSDK: the recorded lifecycle and refusals.
func TestRequestValidatorsOverTheSDK(t *testing.T) {
	ctx := context.Background()
	env := apitest.Start(t, apitest.Options{})
	c := env.Client
	api := aws.ToString(newAPI(t, c, "validators").Id)

	_, err := c.CreateRequestValidator(ctx, &apigateway.CreateRequestValidatorInput{RestApiId: aws.String("nope000000"), Name: aws.String("v")})
	apitest.WantError(t, err, "BadRequestException", "Invalid REST API identifier specified")
	_, err = c.GetRequestValidators(ctx, &apigateway.GetRequestValidatorsInput{RestApiId: aws.String("api_id")})
	apitest.WantError(t, err, "NotFoundException", "Invalid API identifier specified 000000000000:api_id")

	v, err := c.CreateRequestValidator(ctx, &apigateway.CreateRequestValidatorInput{RestApiId: aws.String(api), Name: aws.String("v1")})
	if err != nil || v.ValidateRequestBody || v.ValidateRequestParameters {
		t.Fatalf("CreateRequestValidator = %+v, %v", v, err)
	}
	id := v.Id
	_, err = c.GetRequestValidator(ctx, &apigateway.GetRequestValidatorInput{RestApiId: aws.String("api_id"), RequestValidatorId: id})
	apitest.WantError(t, err, "NotFoundException", "Invalid Request Validator identifier specified")
	upd := func(ops ...types.PatchOperation) (*apigateway.UpdateRequestValidatorOutput, error) {
		return c.UpdateRequestValidator(ctx, &apigateway.UpdateRequestValidatorInput{RestApiId: aws.String(api), RequestValidatorId: id, PatchOperations: ops})
	}
	out, err := upd(types.PatchOperation{Op: types.OpReplace, Path: aws.String("/validateRequestBody"), Value: aws.String("true")})
	if err != nil || !out.ValidateRequestBody {
		t.Fatalf("replace /validateRequestBody true = %+v, %v", out, err)
	}
	out, err = upd(types.PatchOperation{Op: types.OpReplace, Path: aws.String("/validateRequestBody")})
	if err != nil || out.ValidateRequestBody {
		t.Fatalf("replace /validateRequestBody without a value = %+v, %v", out, err)
	}
	_, err = upd(types.PatchOperation{Op: types.OpAdd, Path: aws.String("/validateRequestBody"), Value: aws.String("true")})
	apitest.WantError(t, err, "BadRequestException", "Invalid patch path  '/validateRequestBody' specified for op 'add'. Please choose supported operations")
	_, err = upd(types.PatchOperation{Op: types.OpReplace, Path: aws.String("/invalidPath"), Value: aws.String("true")})
	apitest.WantError(t, err, "BadRequestException", "Invalid patch path  '/invalidPath' specified for op 'replace'. Must be one of: [/name, /validateRequestParameters, /validateRequestBody]")
	_, err = upd(types.PatchOperation{Op: types.OpReplace, Path: aws.String("/name")})
	apitest.WantError(t, err, "BadRequestException", "Request Validator name cannot be blank")

	root := rootID(t, c, api)
	_, err = c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: aws.String(api), ResourceId: aws.String(root), HttpMethod: aws.String("GET"),
		AuthorizationType: aws.String("NONE"), RequestValidatorId: aws.String("nope")})
	apitest.WantError(t, err, "BadRequestException", "Invalid Request Validator identifier specified")
	m, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: aws.String(api), ResourceId: aws.String(root), HttpMethod: aws.String("GET"),
		AuthorizationType: aws.String("NONE"), RequestValidatorId: id})
	if err != nil || aws.ToString(m.RequestValidatorId) != aws.ToString(id) {
		t.Fatalf("PutMethod with a validator = %+v, %v", m, err)
	}
	if _, err := c.DeleteMethod(ctx, &apigateway.DeleteMethodInput{RestApiId: aws.String(api), ResourceId: aws.String(root), HttpMethod: aws.String("GET")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteRequestValidator(ctx, &apigateway.DeleteRequestValidatorInput{RestApiId: aws.String(api), RequestValidatorId: id}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetRequestValidator(ctx, &apigateway.GetRequestValidatorInput{RestApiId: aws.String(api), RequestValidatorId: id})
	apitest.WantError(t, err, "NotFoundException", "Invalid Request Validator identifier specified")
	list, err := c.GetRequestValidators(ctx, &apigateway.GetRequestValidatorsInput{RestApiId: aws.String(api)})
	if err != nil || len(list.Items) != 0 {
		t.Fatalf("GetRequestValidators after delete = %+v, %v", list, err)
	}
}

func rootID(t *testing.T, c *apigateway.Client, api string) string {
	t.Helper()
	out, err := c.GetRestApi(context.Background(), &apigateway.GetRestApiInput{RestApiId: aws.String(api)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.RootResourceId)
}

// TestRequestValidationOnTheDataPlane: a deployed validator refuses a
// request without its required parameters or with a body that fails the
// model, with AWS's answers, before any upstream call and without using
// the key's quota; a good body reaches the upstream byte for byte.
func TestRequestValidationOnTheDataPlane(t *testing.T) {
	ctx := context.Background()
	var (
		mu     sync.Mutex
		bodies []string
	)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(up.Close)
	env := apitest.Start(t, apitest.Options{})
	c := env.Client
	api := aws.ToString(newAPI(t, c, "validated").Id)
	root := rootID(t, c, api)
	res, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: aws.String(api), ParentId: aws.String(root), PathPart: aws.String("{test}")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateModel(ctx, &apigateway.CreateModelInput{RestApiId: aws.String(api), Name: aws.String("testSchema"), ContentType: aws.String("application/json"),
		Schema: aws.String(`{"$schema":"http://json-schema.org/draft-04/schema#","type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}},"required":["a","b"]}`)}); err != nil {
		t.Fatal(err)
	}
	v, err := c.CreateRequestValidator(ctx, &apigateway.CreateRequestValidatorInput{RestApiId: aws.String(api), Name: aws.String("all"), ValidateRequestBody: true, ValidateRequestParameters: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: aws.String(api), ResourceId: res.Id, HttpMethod: aws.String("POST"),
		AuthorizationType: aws.String("NONE"), ApiKeyRequired: true, RequestValidatorId: v.Id,
		RequestParameters: map[string]bool{"method.request.header.x-header-param": true, "method.request.querystring.qs1": true, "method.request.path.issuer": true},
		RequestModels:     map[string]string{"application/json": "testSchema"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: aws.String(api), ResourceId: res.Id, HttpMethod: aws.String("POST"),
		Type: types.IntegrationTypeHttpProxy, IntegrationHttpMethod: aws.String("POST"), Uri: aws.String(up.URL + "/echo")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: aws.String(api), StageName: aws.String("dev")}); err != nil {
		t.Fatal(err)
	}
	key, err := c.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("k"), Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := c.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("p"),
		ApiStages: []types.ApiStage{{ApiId: aws.String(api), Stage: aws.String("dev")}},
		Quota:     &types.QuotaSettings{Limit: 1, Period: types.QuotaPeriodTypeDay}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: key.Id, KeyType: aws.String("API_KEY")}); err != nil {
		t.Fatal(err)
	}

	url := env.DataURL + "/restapis/" + api + "/dev/_user_request_/value"
	send := func(query, body string, hdr map[string]string) (int, string) {
		t.Helper()
		req, err := http.NewRequest("POST", url+query, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("x-api-key", aws.ToString(key.Value))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	good := map[string]string{"x-header-param": "t", "Content-Type": "application/json"}
	for _, tc := range []struct {
		name, query, body string
		hdr               map[string]string
		want              string
	}{
		// The path parameter is {test}, not {issuer}: always missing, as
		// in AWS's recording.
		{"all missing", "", `{"a":1,"b":2}`, nil, `{"message":"Missing required request parameters: [x-header-param, issuer, qs1]"}`},
		{"blank header", "?qs1=1", `{"a":1,"b":2}`, map[string]string{"x-header-param": " "}, `{"message":"Missing required request parameters: [x-header-param, issuer]"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, body := send(tc.query, tc.body, tc.hdr); status != 400 || body != tc.want {
				t.Fatalf("got %d %s, want 400 %s", status, body, tc.want)
			}
		})
	}
	// Require the path parameter the resource has, and redeploy.
	if _, err := c.UpdateMethod(ctx, &apigateway.UpdateMethodInput{RestApiId: aws.String(api), ResourceId: res.Id, HttpMethod: aws.String("POST"),
		PatchOperations: []types.PatchOperation{
			{Op: types.OpRemove, Path: aws.String("/requestParameters/method.request.path.issuer")},
			{Op: types.OpAdd, Path: aws.String("/requestParameters/method.request.path.test"), Value: aws.String("true")},
		}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: aws.String(api), StageName: aws.String("dev")}); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{`{"test":"test"}`, `{"a":"x","b":2}`, ``, `not json`} {
		if status, got := send("?qs1=1", body, good); status != 400 || got != `{"message":"Invalid request body"}` {
			t.Fatalf("body %q: got %d %s, want 400 Invalid request body", body, status, got)
		}
	}
	mu.Lock()
	n := len(bodies)
	mu.Unlock()
	if n != 0 {
		t.Fatalf("the upstream was called %d times for refused requests", n)
	}
	// The quota (1 a day) is untouched by the refusals: the first good
	// request passes, with its body intact; the next one is over quota.
	const payload = "{\"a\": 1,\n \"b\": 2.50}"
	if status, got := send("?qs1=1", payload, good); status != 200 || got != `{"ok":true}` {
		t.Fatalf("good request: %d %s", status, got)
	}
	mu.Lock()
	if len(bodies) != 1 || bodies[0] != payload {
		t.Fatalf("upstream got %q, want %q", bodies, payload)
	}
	mu.Unlock()
	if status, _ := send("?qs1=1", payload, good); status != 429 {
		t.Fatalf("second good request: %d, want 429 (quota of 1)", status)
	}
	// The access log names the reasons and the failing rule.
	logs := env.Access.String()
	for _, want := range []string{"REQUEST_PARAMETERS_MISSING", "REQUEST_BODY_INVALID_FOR_MODEL", "required"} {
		if !strings.Contains(logs, want) {
			t.Errorf("access log lacks %q", want)
		}
	}
}
