package awsapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
)

// settingsDoc is a one-method OpenAPI 3 document with extra root members.
func settingsDoc(root string) []byte {
	if root != "" {
		root += ","
	}
	return []byte(`{"openapi":"3.0.1","info":{"title":"settings","version":"1"},` + root +
		`"paths":{"/pets":{"get":{"x-amazon-apigateway-integration":{"type":"mock"}}}}}`)
}

// apiSettings describes what the import extensions set on an API, for
// comparisons: policy, minimum compression size, endpoint configuration,
// customised gateway responses, documentation parts and tags.
func apiSettings(t *testing.T, c *apigateway.Client, api string) string {
	t.Helper()
	ctx := context.Background()
	got, err := c.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: aws.String(api)})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	// The answer escapes the policy's quotes, as AWS does.
	policy := strings.ReplaceAll(aws.ToString(got.Policy), `\"`, `"`)
	fmt.Fprintf(&b, "policy=%s size=%v types=%v vpce=%v disable=%v tags=%v", policy, aws.ToInt32(got.MinimumCompressionSize),
		got.EndpointConfiguration.Types, got.EndpointConfiguration.VpcEndpointIds, got.DisableExecuteApiEndpoint, got.Tags)
	grs, err := c.GetGatewayResponses(ctx, &apigateway.GetGatewayResponsesInput{RestApiId: aws.String(api), Limit: aws.Int32(500)})
	if err != nil {
		t.Fatal(err)
	}
	for _, gr := range grs.Items {
		if !gr.DefaultResponse {
			fmt.Fprintf(&b, " gr:%s=%s %v %v", gr.ResponseType, aws.ToString(gr.StatusCode), gr.ResponseParameters, gr.ResponseTemplates)
		}
	}
	parts, err := c.GetDocumentationParts(ctx, &apigateway.GetDocumentationPartsInput{RestApiId: aws.String(api)})
	if err != nil {
		t.Fatal(err)
	}
	var docs []string
	for _, p := range parts.Items {
		docs = append(docs, fmt.Sprintf(" doc:%s%s=%s", p.Location.Type, aws.ToString(p.Location.Path), aws.ToString(p.Properties)))
	}
	slices.Sort(docs)
	b.WriteString(strings.Join(docs, ""))
	return b.String()
}

// TestImportAPISettings: the API-level extensions
// (x-amazon-apigateway-gateway-responses, -minimum-compression-size,
// -policy, -endpoint-configuration, -documentation), the
// endpointConfigurationTypes parameter and x-gatehouse-settings are
// imported by ImportRestApi without a warning; a bad value of each is
// refused by PutRestApi with the management call's rule under AWS's
// import prefix, and changes nothing.
func TestImportAPISettings(t *testing.T) {
	ctx := context.Background()
	env := apitest.Start(t, apitest.Options{})
	c := env.Client
	for _, tc := range []struct {
		name, root string
		params     map[string]string
		want       []string // in apiSettings
		err        string   // the refusal's message starts with it
	}{
		{name: "gateway responses", root: `"x-amazon-apigateway-gateway-responses":{"MISSING_AUTHENTICATION_TOKEN":{"statusCode":404,"responseParameters":{"gatewayresponse.header.x-why":"'no route'"},"responseTemplates":{"application/json":"{\"message\":\"no route\"}"}},"DEFAULT_4XX":{"responseTemplates":{"application/json":"{}"}}}`,
			want: []string{`gr:DEFAULT_4XX= map[] map[application/json:{}]`, `gr:MISSING_AUTHENTICATION_TOKEN=404 map[gatewayresponse.header.x-why:'no route'] map[application/json:{"message":"no route"}]`}},
		{name: "gateway response of no such type", root: `"x-amazon-apigateway-gateway-responses":{"NOPE":{"statusCode":"400"}}`,
			err: "Errors found during import:\n\tUnable to put gateway response 'NOPE': "},
		{name: "gateway response with a bad status", root: `"x-amazon-apigateway-gateway-responses":{"THROTTLED":{"statusCode":"42"}}`,
			err: "Errors found during import:\n\tUnable to put gateway response 'THROTTLED': "},
		{name: "minimum compression size", root: `"x-amazon-apigateway-minimum-compression-size":1024`, want: []string{"size=1024"}},
		{name: "minimum compression size too large", root: `"x-amazon-apigateway-minimum-compression-size":10485761`,
			err: "Errors found during import:\n\tUnable to update the API's settings: Invalid minimum compression size, must be between 0 and 10485760"},
		{name: "minimum compression size not an integer", root: `"x-amazon-apigateway-minimum-compression-size":"big"`,
			err: "Errors found during import:\n\tInvalid format for 'x-amazon-apigateway-minimum-compression-size'"},
		{name: "policy", root: `"x-amazon-apigateway-policy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}`,
			want: []string{`policy={"Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Principal":"*","Resource":"execute-api:/*"}],"Version":"2012-10-17"}`}},
		{name: "policy that is not JSON", root: `"x-amazon-apigateway-policy":"{not json"`,
			err: "Errors found during import:\n\tUnable to update the API's settings: Invalid policy document"},
		{name: "endpoint configuration", root: `"x-amazon-apigateway-endpoint-configuration":{"vpcEndpointIds":["vpce-01","vpce-02"]}`, params: map[string]string{"endpointConfigurationTypes": "PRIVATE"},
			want: []string{"types=[PRIVATE] vpce=[vpce-01 vpce-02] disable=false"}},
		{name: "endpoint configuration on the OpenAPI 3 server", root: `"servers":[{"url":"https://example.com/v1","x-amazon-apigateway-endpoint-configuration":{"disableExecuteApiEndpoint":true}}]`,
			want: []string{"types=[EDGE] vpce=[] disable=true"}},
		{name: "endpoint type that does not exist", params: map[string]string{"endpointConfigurationTypes": "GLOBAL"},
			err: "Invalid EndpointTypes specified. Valid options are REGIONAL,EDGE,PRIVATE"},
		{name: "endpoint configuration of the wrong type", root: `"x-amazon-apigateway-endpoint-configuration":["vpce-01"]`,
			err: "Errors found during import:\n\tInvalid format for 'x-amazon-apigateway-endpoint-configuration'"},
		{name: "documentation", root: `"x-amazon-apigateway-documentation":{"documentationParts":[{"location":{"type":"API"},"properties":{"description":"pets"}},{"location":{"type":"METHOD","path":"/pets","method":"GET"},"properties":{"summary":"list"}}]}`,
			want: []string{`doc:API={"description":"pets"} doc:METHOD/pets={"summary":"list"}`}},
		{name: "documentation ignored", root: `"x-amazon-apigateway-documentation":{"documentationParts":[{"location":{"type":"API"},"properties":{"description":"pets"}}]}`,
			params: map[string]string{"ignore": "documentation"}, want: []string{"tags=map[]"}},
		{name: "documentation at no such location type", root: `"x-amazon-apigateway-documentation":{"documentationParts":[{"location":{"type":"PLANET"},"properties":{"description":"x"}}]}`,
			err: "Errors found during import:\n\tUnable to import documentation parts: "},
		{name: "gatehouse settings", root: `"x-gatehouse-settings":{"apiKeyHeader":["x-client-key","x-key"],"apiKeyBearer":true,"apiKeyQuery":"key","corsAllowOrigins":"https://app.example"}`,
			want: []string{"tags=map[gatehouse:apiKeyBearer:true gatehouse:apiKeyHeader:x-client-key,x-key gatehouse:apiKeyQuery:key gatehouse:corsAllowOrigins:https://app.example]"}},
		{name: "gatehouse setting with a reserved header", root: `"x-gatehouse-settings":{"apiKeyHeader":"Host"}`,
			err: "Errors found during import:\n\tInvalid x-gatehouse-settings: Invalid value \"Host\" for tag \"gatehouse:apiKeyHeader\": header name \"Host\" is reserved"},
		{name: "gatehouse setting of a stage", root: `"x-gatehouse-settings":{"reasonHeader":"true"}`,
			err: "Errors found during import:\n\tInvalid x-gatehouse-settings: Invalid tag \"gatehouse:reasonHeader\" here: it can be set on a stage only"},
		{name: "gatehouse setting that does not exist", root: `"x-gatehouse-settings":{"colour":"blue"}`,
			err: "Errors found during import:\n\tInvalid x-gatehouse-settings: Unknown Gatehouse tag \"gatehouse:colour\""},
		{name: "gatehouse setting of the wrong type", root: `"x-gatehouse-settings":{"apiKeyQuery":5}`,
			err: "Errors found during import:\n\tInvalid value for 'apiKeyQuery' in 'x-gatehouse-settings'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := settingsDoc(tc.root)
			if tc.err == "" {
				imp, err := c.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: doc, FailOnWarnings: true, Parameters: tc.params})
				if err != nil {
					t.Fatalf("ImportRestApi: %v", err)
				}
				if len(imp.Warnings) > 0 {
					t.Fatalf("warnings %v", imp.Warnings)
				}
				got := apiSettings(t, c, aws.ToString(imp.Id))
				for _, w := range tc.want {
					if !strings.Contains(got, w) {
						t.Errorf("settings %s\nwant %s", got, w)
					}
				}
				return
			}
			created, err := c.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: settingsDoc(`"x-amazon-apigateway-minimum-compression-size":5,"x-gatehouse-settings":{"apiKeyQuery":"k"}`)})
			if err != nil {
				t.Fatal(err)
			}
			api := aws.ToString(created.Id)
			before := apiSettings(t, c, api)
			for _, mode := range []types.PutMode{types.PutModeMerge, types.PutModeOverwrite} {
				_, err := c.PutRestApi(ctx, &apigateway.PutRestApiInput{RestApiId: aws.String(api), Mode: mode, Body: doc, Parameters: tc.params})
				if got := apitest.ErrorMessage(err); apitest.ErrorCode(err) != "BadRequestException" || !strings.HasPrefix(got, tc.err) {
					t.Fatalf("PutRestApi %s = %v (%q), want BadRequestException starting %q", mode, err, got, tc.err)
				}
			}
			if after := apiSettings(t, c, api); after != before {
				t.Fatalf("a refused PutRestApi changed the API:\n%s\nwas\n%s", after, before)
			}
		})
	}
}

// TestPutRestAPISettingsModes: merge puts the document's gateway
// responses, documentation parts and Gatehouse settings beside the API's
// (by type, location, name) and keeps a setting the document leaves out;
// overwrite replaces each of them with the document's when the document
// has the extension. Neither touches the user's own tags.
func TestPutRestAPISettingsModes(t *testing.T) {
	ctx := context.Background()
	env := apitest.Start(t, apitest.Options{})
	c := env.Client
	imp, err := c.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: settingsDoc(`"x-amazon-apigateway-minimum-compression-size":5,
		"x-amazon-apigateway-gateway-responses":{"THROTTLED":{"statusCode":"503"}},
		"x-amazon-apigateway-documentation":{"documentationParts":[{"location":{"type":"API"},"properties":{"description":"one"}}]},
		"x-gatehouse-settings":{"apiKeyQuery":"k"}`)})
	if err != nil {
		t.Fatal(err)
	}
	api := aws.ToString(imp.Id)
	arn := "arn:aws:apigateway:us-east-1::/restapis/" + api
	if _, err := c.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"team": "pets"}}); err != nil {
		t.Fatal(err)
	}
	next := settingsDoc(`"x-amazon-apigateway-gateway-responses":{"QUOTA_EXCEEDED":{"statusCode":"402"}},
		"x-amazon-apigateway-documentation":{"documentationParts":[{"location":{"type":"RESOURCE","path":"/pets"},"properties":{"description":"two"}}]},
		"x-gatehouse-settings":{"apiKeyBearer":"true"}`)
	for _, tc := range []struct {
		mode types.PutMode
		want string
	}{
		{types.PutModeMerge, `policy= size=5 types=[EDGE] vpce=[] disable=false tags=map[gatehouse:apiKeyBearer:true gatehouse:apiKeyQuery:k team:pets] gr:QUOTA_EXCEEDED=402 map[] map[application/json:{"message":$context.error.messageString}] gr:THROTTLED=503 map[] map[application/json:{"message":$context.error.messageString}] doc:API={"description":"one"} doc:RESOURCE/pets={"description":"two"}`},
		{types.PutModeOverwrite, `policy= size=5 types=[EDGE] vpce=[] disable=false tags=map[gatehouse:apiKeyBearer:true team:pets] gr:QUOTA_EXCEEDED=402 map[] map[application/json:{"message":$context.error.messageString}] doc:RESOURCE/pets={"description":"two"}`},
	} {
		if _, err := c.PutRestApi(ctx, &apigateway.PutRestApiInput{RestApiId: aws.String(api), Mode: tc.mode, Body: next}); err != nil {
			t.Fatalf("PutRestApi %s: %v", tc.mode, err)
		}
		if got := apiSettings(t, c, api); got != tc.want {
			t.Errorf("after %s:\n%s\nwant\n%s", tc.mode, got, tc.want)
		}
	}
	// The policy keeps UpdateRestApi's form: compact JSON.
	if _, err := c.PutRestApi(ctx, &apigateway.PutRestApiInput{RestApiId: aws.String(api), Body: settingsDoc(`"x-amazon-apigateway-policy":"{ \"Version\": \"2012-10-17\", \"Statement\": [] }"`)}); err != nil {
		t.Fatal(err)
	}
	if got := apiSettings(t, c, api); !strings.HasPrefix(got, `policy={"Version":"2012-10-17","Statement":[]} `) {
		t.Fatalf("after a policy in a string: %s", got)
	}
}

// TestGetExportAPISettings: extensions=apigateway writes the API's
// settings where AWS documents them — the endpoint configuration on the
// OpenAPI 3 server object and at the top of a Swagger 2.0 document — with
// the documentation parts and x-gatehouse-settings; without
// extensions=apigateway none of them.
func TestGetExportAPISettings(t *testing.T) {
	ctx := context.Background()
	env := apitest.Start(t, apitest.Options{})
	c := env.Client
	imp, err := c.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: settingsDoc(`
		"x-amazon-apigateway-endpoint-configuration":{"disableExecuteApiEndpoint":true,"vpcEndpointIds":["vpce-9"]},
		"x-amazon-apigateway-documentation":{"documentationParts":[{"location":{"type":"METHOD","path":"/pets","method":"GET"},"properties":{"summary":"list"}}]},
		"x-gatehouse-settings":{"apiKeyBearer":true}`), FailOnWarnings: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: imp.Id, StageName: aws.String("s")}); err != nil {
		t.Fatal(err)
	}
	const (
		endpoint = `{"disableExecuteApiEndpoint":true,"vpcEndpointIds":["vpce-9"]}`
		docs     = `{"documentationParts":[{"location":{"method":"GET","path":"/pets","type":"METHOD"},"properties":{"summary":"list"}}]}`
		settings = `{"apiKeyBearer":"true"}`
	)
	for _, tc := range []struct {
		typ, ext              string
		top, server, docs, gh string
	}{
		{"oas30", "apigateway", "", endpoint, docs, settings},
		{"swagger", "apigateway", endpoint, "", docs, settings},
		{"oas30", "integrations", "", "", "", ""},
	} {
		t.Run(tc.typ+"-"+tc.ext, func(t *testing.T) {
			out, err := c.GetExport(ctx, &apigateway.GetExportInput{RestApiId: imp.Id, StageName: aws.String("s"), ExportType: aws.String(tc.typ), Parameters: map[string]string{"extensions": tc.ext}})
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Endpoint json.RawMessage `json:"x-amazon-apigateway-endpoint-configuration"`
				Servers  []struct {
					Endpoint json.RawMessage `json:"x-amazon-apigateway-endpoint-configuration"`
				} `json:"servers"`
				Docs     json.RawMessage `json:"x-amazon-apigateway-documentation"`
				Settings json.RawMessage `json:"x-gatehouse-settings"`
			}
			if err := json.Unmarshal(out.Body, &doc); err != nil {
				t.Fatal(err)
			}
			server := json.RawMessage(nil)
			if len(doc.Servers) > 0 {
				server = doc.Servers[0].Endpoint
			}
			for _, f := range []struct {
				name string
				got  json.RawMessage
				want string
			}{{"top endpoint configuration", doc.Endpoint, tc.top}, {"server endpoint configuration", server, tc.server}, {"documentation", doc.Docs, tc.docs}, {"x-gatehouse-settings", doc.Settings, tc.gh}} {
				if compactJSON(t, f.got) != compactJSON(t, json.RawMessage(f.want)) {
					t.Errorf("%s = %s, want %s\n%s", f.name, f.got, f.want, out.Body)
				}
			}
		})
	}
}

// compactJSON returns raw re-encoded with sorted keys ("" for none).
func compactJSON(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	if len(raw) == 0 {
		return ""
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
