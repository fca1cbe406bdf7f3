package openapi_test

import (
	"errors"
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

// TestParseRefusesAuthorizerSchemes: a method protected by an authorizer
// scheme is refused rather than imported open.
func TestParseRefusesAuthorizerSchemes(t *testing.T) {
	doc := `{"openapi":"3.0.1","info":{"title":"a"},"paths":{"/x":{"get":{"security":[{"auth":[]}]}}},
	"components":{"securitySchemes":{"auth":{"type":"apiKey","name":"Authorization","in":"header","x-amazon-apigateway-authorizer":{"type":"token"}}}}}`
	_, err := openapi.Parse([]byte(doc))
	var uns *openapi.UnsupportedError
	if !errors.As(err, &uns) || !strings.Contains(err.Error(), "security scheme 'auth'") {
		t.Fatalf("Parse = %v, want an UnsupportedError naming the scheme", err)
	}
}

// FuzzParse: Parse never panics or hangs on any input, and either fails
// with an error or returns a definition whose paths start with "/".
func FuzzParse(f *testing.F) {
	for _, name := range []string{"pets-oas3.json", "petstore-swagger.yaml"} {
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
