package awsapi_test

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	"github.com/gatehouse-dev/gatehouse/internal/apitest"
)

// TestPutRestAPIBasePath: PutRestApi with basepath=ignore|prepend|split
// puts the resources where AWS recorded them
// (test_import_rest_apis_with_base_path_swagger and
// test_import_rest_api_with_base_path_oas30): Swagger's basePath, the
// OpenAPI server's basePath variable, or its URL path; a document
// without a base path is the same in every mode.
func TestPutRestAPIBasePath(t *testing.T) {
	ctx := context.Background()
	env := apitest.Start(t, apitest.Options{})
	c := env.Client
	for _, tc := range []struct {
		doc, mode string
		want      []string // path and its methods
		warning   string   // the resource path AWS's warning names ("" no warning)
	}{
		{"basepath-swagger.json", "ignore", []string{"/", "/test GET OPTIONS"}, ""},
		{"basepath-swagger.json", "prepend", []string{"/", "/base", "/base/test GET OPTIONS"}, ""},
		{"basepath-swagger.json", "split", []string{"/", "/test GET OPTIONS"}, ""},
		{"basepath-oas30-var.yaml", "ignore", []string{"/", "/test GET OPTIONS"}, ""},
		{"basepath-oas30-var.yaml", "prepend", []string{"/", "/base-var", "/base-var/test GET OPTIONS"}, ""},
		{"basepath-oas30-var.yaml", "split", []string{"/", "/test GET OPTIONS"}, ""},
		{"basepath-oas30-url.yaml", "ignore", []string{"/", "/test GET OPTIONS"}, "/test"},
		{"basepath-oas30-url.yaml", "prepend", []string{"/", "/base-url", "/base-url/part", "/base-url/part/test GET OPTIONS"}, "/base-url/part/test"},
		{"basepath-oas30-url.yaml", "split", []string{"/", "/part", "/part/test GET OPTIONS"}, "/part/test"},
		{"localstack-pets.json", "prepend", []string{"/", "/pets GET", "/pets/{petId} GET"}, ""},
		{"localstack-pets.json", "split", []string{"/", "/pets GET", "/pets/{petId} GET"}, ""},
	} {
		t.Run(tc.doc+"/"+tc.mode, func(t *testing.T) {
			api, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("bp")})
			if err != nil {
				t.Fatal(err)
			}
			put, err := c.PutRestApi(ctx, &apigateway.PutRestApiInput{RestApiId: api.Id, Body: readImportDoc(t, tc.doc, ""),
				Mode: "overwrite", Parameters: map[string]string{"basepath": tc.mode}})
			if err != nil {
				t.Fatal(err)
			}
			var wantWarnings []string
			if tc.warning != "" {
				wantWarnings = []string{"Invalid format for 'requestParameters'. Expected type string for property 'integration.request.header.nothing' of resource '" + tc.warning + "' and method 'GET' but got 'true'"}
			}
			if !slices.Equal(put.Warnings, wantWarnings) {
				t.Errorf("warnings = %q, want %q", put.Warnings, wantWarnings)
			}
			var got []string
			for path, r := range importedPaths(t, c, aws.ToString(api.Id)) {
				verbs := []string{path}
				for v := range r.ResourceMethods {
					verbs = append(verbs, v)
				}
				sort.Strings(verbs[1:])
				got = append(got, strings.Join(verbs, " "))
			}
			sort.Strings(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("resources = %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("failonwarnings", func(t *testing.T) {
		api, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("fow")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.PutRestApi(ctx, &apigateway.PutRestApiInput{RestApiId: api.Id, Body: readImportDoc(t, "basepath-oas30-url.yaml", ""),
			Mode: "overwrite", FailOnWarnings: true, Parameters: map[string]string{"basepath": "split"}})
		apitest.WantError(t, err, "BadRequestException", "Warnings found during import:\n\tInvalid format for 'requestParameters'. Expected type string for property 'integration.request.header.nothing' of resource '/part/test' and method 'GET' but got 'true'")
		if paths := importedPaths(t, c, aws.ToString(api.Id)); len(paths) != 1 {
			t.Errorf("a refused PutRestApi changed the API: %v", paths)
		}
	})
	t.Run("bad mode", func(t *testing.T) {
		_, err := c.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: readImportDoc(t, "basepath-swagger.json", ""), Parameters: map[string]string{"basepath": "drop"}})
		apitest.WantError(t, err, "BadRequestException", `Invalid basepath "drop": valid values are ignore, prepend, split`)
	})
}
