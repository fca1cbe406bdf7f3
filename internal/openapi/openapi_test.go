package openapi_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/openapi"
)

// TestParse: the seed documents parse into what they define, and
// unreadable documents are InvalidErrors with AWS's text.
func TestParse(t *testing.T) {
	for _, tc := range []struct {
		file        string
		paths       int
		models      int
		apiKeyPaths []string
	}{
		{"pets-oas3.json", 2, 2, []string{"/pets GET"}},
		{"petstore-swagger.yaml", 1, 3, []string{"/test GET"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			doc, err := os.ReadFile("testdata/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			def, err := openapi.Parse(doc)
			if err != nil {
				t.Fatal(err)
			}
			if len(def.Resources) != tc.paths || len(def.Models) != tc.models {
				t.Fatalf("%d paths, %d models; want %d, %d", len(def.Resources), len(def.Models), tc.paths, tc.models)
			}
			var keyed []string
			for _, r := range def.Resources {
				for verb, m := range r.Methods {
					if m.APIKeyRequired {
						keyed = append(keyed, r.Path+" "+verb)
					}
				}
			}
			if strings.Join(keyed, ",") != strings.Join(tc.apiKeyPaths, ",") {
				t.Fatalf("apiKeyRequired on %v, want %v", keyed, tc.apiKeyPaths)
			}
		})
	}
	for _, bad := range []string{"", "{", "[1,2]", "openapi: [", `{"info":{}}`, "swagger: 2.0\npaths: 5\n"} {
		_, err := openapi.Parse([]byte(bad))
		var inv *openapi.InvalidError
		if !errors.As(err, &inv) || err.Error() != openapi.MsgInvalid {
			t.Errorf("Parse(%q) = %v, want %q", bad, err, openapi.MsgInvalid)
		}
	}
}

// TestParseAuthorizerSchemes: security schemes with
// x-amazon-apigateway-authorizer become authorizers named after the
// scheme (identity source defaulting to the scheme's header for TOKEN and
// COGNITO_USER_POOLS), and the methods they protect — by their own
// security or the document's — name them, with their scopes; a method
// naming two authorizers is refused.
func TestParseAuthorizerSchemes(t *testing.T) {
	const schemes = `"components":{"securitySchemes":{
	"tok":{"type":"apiKey","name":"Authorization","in":"header","x-amazon-apigateway-authtype":"custom","x-amazon-apigateway-authorizer":{"type":"token","authorizerUri":"https://auth.example/t","authorizerResultTtlInSeconds":60}},
	"req":{"type":"apiKey","name":"Unused","in":"header","x-amazon-apigateway-authorizer":{"type":"request","authorizerUri":"https://auth.example/r","identitySource":"method.request.header.A, method.request.querystring.b"}},
	"pool":{"type":"apiKey","name":"TestHeaderAuth","in":"header","x-amazon-apigateway-authtype":"cognito_user_pools","x-amazon-apigateway-authorizer":{"type":"cognito_user_pools","providerARNs":["arn:aws:cognito-idp:us-east-1:111111111111:userpool/us-east-1_ABC123"]}}}}`
	for _, tc := range []struct {
		name, paths, security string
		want                  string // "type authorizer scopes" of GET /x
		err                   string
	}{
		{"token on the method", `"/x":{"get":{"security":[{"tok":[]}]}}`, "", "CUSTOM tok []", ""},
		{"request globally", `"/x":{"get":{}}`, `"security":[{"req":[]}],`, "CUSTOM req []", ""},
		{"cognito with scopes", `"/x":{"get":{"security":[{"pool":["email","openid"]}]}}`, "", "COGNITO_USER_POOLS pool [email openid]", ""},
		{"method overrides global", `"/x":{"get":{"security":[{"pool":["openid"]}]}}`, `"security":[{"pool":["email"]}],`, "COGNITO_USER_POOLS pool [openid]", ""},
		{"empty method security opens", `"/x":{"get":{"security":[]}}`, `"security":[{"tok":[]}],`, "NONE  []", ""},
		{"two authorizers", `"/x":{"get":{"security":[{"tok":[],"req":[]}]}}`, "", "", "names two authorizers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := `{"openapi":"3.0.1","info":{"title":"a"},` + tc.security + `"paths":{` + tc.paths + `},` + schemes + `}`
			def, err := openapi.Parse([]byte(doc))
			if tc.err != "" {
				var uns *openapi.UnsupportedError
				if !errors.As(err, &uns) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Parse = %v, want an UnsupportedError with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m := def.Resources[0].Methods["GET"]
			if got := fmt.Sprintf("%s %s %v", m.AuthorizationType, m.AuthorizerName, m.AuthorizationScopes); got != tc.want {
				t.Errorf("GET /x = %q, want %q", got, tc.want)
			}
			var got []string
			for _, a := range def.Authorizers {
				ttl := "-"
				if a.AuthorizerResultTTLInSeconds != nil {
					ttl = fmt.Sprint(*a.AuthorizerResultTTLInSeconds)
				}
				got = append(got, strings.Join([]string{a.Name, a.Type, a.AuthType, a.IdentitySource, a.AuthorizerURI, strings.Join(a.ProviderARNs, ","), ttl}, "|"))
			}
			want := []string{
				"pool|COGNITO_USER_POOLS|cognito_user_pools|method.request.header.TestHeaderAuth||arn:aws:cognito-idp:us-east-1:111111111111:userpool/us-east-1_ABC123|-",
				"req|REQUEST|custom|method.request.header.A, method.request.querystring.b|https://auth.example/r||-",
				"tok|TOKEN|custom|method.request.header.Authorization|https://auth.example/t||60",
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("authorizers:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// FuzzParse: Parse never panics or hangs on any input, and either fails
// with an error or returns a definition whose paths start with "/".
func FuzzParse(f *testing.F) {
	for _, name := range []string{"pets-oas3.json", "petstore-swagger.yaml", "global-authorizer-oas3.json", "basepath-server-url.yaml", "settings-oas3.json"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		def, err := openapi.Parse(doc)
		if err != nil {
			return
		}
		for _, r := range def.Resources {
			if !strings.HasPrefix(r.Path, "/") {
				t.Fatalf("path %q", r.Path)
			}
		}
	})
}

// TestParseAPISettings: the API-level extensions and x-gatehouse-settings
// are read without a warning into the definition (values are checked by
// the importer, with the management calls' rules); a value of the wrong
// shape is an UnsupportedError naming the extension.
func TestParseAPISettings(t *testing.T) {
	for _, tc := range []struct {
		name, root string
		want       string // describe(def)
		err        string
	}{
		{"gateway responses", `"x-amazon-apigateway-gateway-responses":{"THROTTLED":{"statusCode":503,"responseTemplates":{"application/json":"{}"}},"NOPE":{}}`,
			"gr=NOPE: map[] map[];THROTTLED:503 map[] map[application/json:{}];", ""},
		{"gateway responses not an object", `"x-amazon-apigateway-gateway-responses":[1]`, "", "Invalid format for 'x-amazon-apigateway-gateway-responses'"},
		{"gateway response status of the wrong type", `"x-amazon-apigateway-gateway-responses":{"THROTTLED":{"statusCode":true}}`, "", "Invalid format for 'statusCode' of gateway response 'THROTTLED'"},
		{"minimum compression size", `"x-amazon-apigateway-minimum-compression-size":0`, "size=0", ""},
		{"minimum compression size a fraction", `"x-amazon-apigateway-minimum-compression-size":1.5`, "", "expected an integer, got 1.5"},
		{"policy object", `"x-amazon-apigateway-policy":{"Version":"2012-10-17"}`, `policy={"Version":"2012-10-17"}`, ""},
		{"policy text", `"x-amazon-apigateway-policy":"{\"Version\": \"2012-10-17\"}"`, `policy={"Version": "2012-10-17"}`, ""},
		{"policy a number", `"x-amazon-apigateway-policy":7`, "", "expected a policy document"},
		{"endpoint configuration at the top", `"x-amazon-apigateway-endpoint-configuration":{"disableExecuteApiEndpoint":true,"vpcEndpointIds":["vpce-1"]}`, "endpoint=true [vpce-1]", ""},
		{"endpoint configuration on the server", `"servers":[{"url":"/","x-amazon-apigateway-endpoint-configuration":{"vpcEndpointIds":["vpce-2"]}}]`, "endpoint=<nil> [vpce-2]", ""},
		{"endpoint configuration with a bad member", `"x-amazon-apigateway-endpoint-configuration":{"vpcEndpointIds":"vpce-1"}`, "", "Invalid format for 'x-amazon-apigateway-endpoint-configuration'"},
		{"documentation", `"x-amazon-apigateway-documentation":{"documentationParts":[{"location":{"type":"API"},"properties":{"description":"d"}}]}`, `docs=API {"description":"d"};`, ""},
		{"documentation without parts", `"x-amazon-apigateway-documentation":{}`, "docs=", ""},
		{"gatehouse settings", `"x-gatehouse-settings":{"apiKeyHeader":["a","b"],"apiKeyBearer":false,"apiKeyQuery":"k"}`,
			"settings=map[gatehouse:apiKeyBearer:false gatehouse:apiKeyHeader:a,b gatehouse:apiKeyQuery:k]", ""},
		{"gatehouse settings not an object", `"x-gatehouse-settings":"apiKeyQuery=k"`, "", "Invalid format for 'x-gatehouse-settings'"},
		{"gatehouse setting a number", `"x-gatehouse-settings":{"apiKeyQuery":1}`, "", "Invalid value for 'apiKeyQuery' in 'x-gatehouse-settings'"},
		{"gatehouse setting a mixed list", `"x-gatehouse-settings":{"apiKeyHeader":["a",1]}`, "", "a list must hold text only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := `{"openapi":"3.0.1","info":{"title":"a","version":"1"},` + tc.root + `,"paths":{}}`
			def, err := openapi.Parse([]byte(doc))
			if tc.err != "" {
				var uns *openapi.UnsupportedError
				if !errors.As(err, &uns) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Parse = %v, want an UnsupportedError with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(def.Warnings) > 0 {
				t.Errorf("warnings %v", def.Warnings)
			}
			var b strings.Builder
			if def.GatewayResponses != nil {
				b.WriteString("gr=")
				for _, typ := range []string{"NOPE", "THROTTLED"} {
					if gr := def.GatewayResponses[typ]; gr != nil {
						fmt.Fprintf(&b, "%s:%s %v %v;", typ, gr.StatusCode, gr.ResponseParameters, gr.ResponseTemplates)
					}
				}
			}
			if def.MinimumCompressionSize != nil {
				fmt.Fprintf(&b, "size=%d", *def.MinimumCompressionSize)
			}
			if def.Policy != nil {
				fmt.Fprintf(&b, "policy=%s", *def.Policy)
			}
			if e := def.Endpoint; e != nil {
				d := "<nil>"
				if e.DisableExecuteAPIEndpoint != nil {
					d = fmt.Sprint(*e.DisableExecuteAPIEndpoint)
				}
				fmt.Fprintf(&b, "endpoint=%s %v", d, e.VPCEndpointIDs)
			}
			if def.DocumentationParts != nil {
				b.WriteString("docs=")
				for _, p := range def.DocumentationParts {
					fmt.Fprintf(&b, "%s %s;", p.Location.Type, p.Properties)
				}
			}
			if def.Settings != nil {
				fmt.Fprintf(&b, "settings=%v", def.Settings)
			}
			if b.String() != tc.want {
				t.Errorf("definition %q, want %q", b.String(), tc.want)
			}
		})
	}
	// A document without them leaves them all unset (nil: keep the API's).
	def, err := openapi.Parse([]byte(`{"openapi":"3.0.1","info":{"title":"a"},"paths":{}}`))
	if err != nil || def.GatewayResponses != nil || def.MinimumCompressionSize != nil || def.Policy != nil || def.Endpoint != nil || def.DocumentationParts != nil || def.Settings != nil {
		t.Fatalf("Parse without the extensions = %+v, %v", def, err)
	}
}

// TestSwaggerBodyWithoutConsumes: a Swagger 2.0 body parameter with no
// consumes, in the operation or the document, is a JSON body, as AWS's
// importer reads it (the converter alone files it under */*, and its model
// would never be checked); a consumes given still decides.
func TestSwaggerBodyWithoutConsumes(t *testing.T) {
	for _, tc := range []struct{ name, consumes, want string }{
		{"none", "", "application/json"},
		{"document", `"consumes": ["application/xml"],`, "application/xml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := `{"swagger": "2.0", "info": {"title": "t", "version": "1"}, ` + tc.consumes + `
  "paths": {"/pets": {"post": {
    "parameters": [{"name": "body", "in": "body", "required": true, "schema": {"$ref": "#/definitions/Pet"}}],
    "responses": {"200": {"description": "ok"}}}}},
  "definitions": {"Pet": {"type": "object"}}}`
			def, err := openapi.Parse([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]string
			for _, r := range def.Resources {
				if m := r.Methods["POST"]; m != nil {
					got = m.RequestModels
				}
			}
			if len(got) != 1 || got[tc.want] != "Pet" {
				t.Fatalf("requestModels %v, want {%s: Pet}", got, tc.want)
			}
		})
	}
}
