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
	for _, name := range []string{"pets-oas3.json", "petstore-swagger.yaml", "global-authorizer-oas3.json", "basepath-server-url.yaml"} {
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
