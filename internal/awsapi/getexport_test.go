package awsapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"go.yaml.in/yaml/v3"

	"github.com/gatehouse-dev/gatehouse/internal/apitest"
)

// recordedExport is one of testdata/export's files: an export AWS
// answered (test_export_swagger_openapi / test_export_oas30_openapi of
// the recorded extended snapshot), ids and dates as placeholders.
type recordedExport struct {
	ContentDisposition string `json:"contentDisposition"`
	ContentType        string `json:"contentType"`
	Body               any    `json:"body"`
}

var exportDate = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)

// normalizeExport puts AWS's placeholders into an export Gatehouse
// answered (the API id, the region its documents were imported with,
// the deployment date), and sorts parameter lists by (in, name): AWS's
// order of a method's parameters is its hash order.
func normalizeExport(body, apiID string) any {
	s := regexp.MustCompile(regexp.QuoteMeta(apiID)+`\.execute-api\.localhost:\d+`).ReplaceAllString(body, "<api-id:1>.execute-api.<region>.amazonaws.com")
	s = strings.ReplaceAll(s, "eu-west-1", "<region>")
	s = exportDate.ReplaceAllString(s, "date")
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		panic(err)
	}
	return sortParams(v)
}

func sortParams(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if list, ok := e.([]any); ok && k == "parameters" {
				sort.Slice(list, func(i, j int) bool { return fmt.Sprint(list[i]) < fmt.Sprint(list[j]) })
			}
			sortParams(e)
		}
	case []any:
		for _, e := range x {
			sortParams(e)
		}
	}
	return v
}

// diffJSON names the first path where got and want differ ("" equal).
func diffJSON(path string, got, want any) string {
	gm, gok := got.(map[string]any)
	wm, wok := want.(map[string]any)
	if gok && wok {
		for k := range wm {
			if _, ok := gm[k]; !ok {
				return fmt.Sprintf("%s.%s missing (want %v)", path, k, wm[k])
			}
		}
		for k := range gm {
			if _, ok := wm[k]; !ok {
				return fmt.Sprintf("%s.%s unexpected: %v", path, k, gm[k])
			}
			if d := diffJSON(path+"."+k, gm[k], wm[k]); d != "" {
				return d
			}
		}
		return ""
	}
	gl, gok := got.([]any)
	wl, wok := want.([]any)
	if gok && wok && len(gl) == len(wl) {
		for i := range wl {
			if d := diffJSON(fmt.Sprintf("%s[%d]", path, i), gl[i], wl[i]); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(got, want) {
		return fmt.Sprintf("%s = %v, want %v", path, got, want)
	}
	return ""
}

// TestGetExportMatchesAWS: the two documents AWS's export tests import
// (LocalStack's petstore-swagger.json and pets.json), imported over the
// SDK and deployed to stage "local", export as Swagger 2.0 and OpenAPI
// 3.0 — with and without extensions=apigateway — to the documents AWS
// answered, field by field, with AWS's content type and file name.
func TestGetExportMatchesAWS(t *testing.T) {
	ctx := context.Background()
	env := apitest.Start(t, apitest.Options{})
	c := env.Client
	for _, doc := range []string{"petstore", "pets"} {
		b, err := os.ReadFile("testdata/import/localstack-" + doc + map[string]string{"petstore": "-swagger.json", "pets": ".json"}[doc])
		if err != nil {
			t.Fatal(err)
		}
		imp, err := c.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: b})
		if err != nil {
			t.Fatal(err)
		}
		api := aws.ToString(imp.Id)
		if _, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: imp.Id, StageName: aws.String("local")}); err != nil {
			t.Fatal(err)
		}
		// A change after the deployment must not show: the export is of
		// the deployed snapshot, not the working copy.
		if _, err := c.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: imp.Id, PatchOperations: []types.PatchOperation{{Op: types.OpAdd, Path: aws.String("/binaryMediaTypes/image~1gif")}}}); err != nil {
			t.Fatal(err)
		}
		for _, typ := range []string{"swagger", "oas30"} {
			for _, ext := range []string{"", "apigateway"} {
				name := doc + "-" + typ
				in := &apigateway.GetExportInput{RestApiId: imp.Id, StageName: aws.String("local"), ExportType: aws.String(typ)}
				if ext != "" {
					name += "-" + ext
					in.Parameters = map[string]string{"extensions": ext}
				}
				t.Run(name, func(t *testing.T) {
					var want recordedExport
					rb, err := os.ReadFile("testdata/export/" + name + ".json")
					if err != nil {
						t.Fatal(err)
					}
					if err := json.Unmarshal(rb, &want); err != nil {
						t.Fatal(err)
					}
					out, err := c.GetExport(ctx, in)
					if err != nil {
						t.Fatal(err)
					}
					got := normalizeExport(string(out.Body), api)
					if d := diffJSON("body", got, sortParams(want.Body)); d != "" {
						t.Errorf("%s\ngot:\n%s", d, out.Body)
					}
					if cd := exportDate.ReplaceAllString(aws.ToString(out.ContentDisposition), "date"); cd != want.ContentDisposition {
						t.Errorf("Content-Disposition = %q, want %q", cd, want.ContentDisposition)
					}
					if ct := aws.ToString(out.ContentType); ct != want.ContentType {
						t.Errorf("Content-Type = %q, want %q", ct, want.ContentType)
					}
				})
			}
		}
	}
}

// TestGetExportYAMLAndErrors: Accept application/yaml answers the same
// document in YAML (a .yaml file name); an unknown stage is AWS's 404,
// an unknown API too, and an unknown export type or extension a 400
// naming the value.
func TestGetExportYAMLAndErrors(t *testing.T) {
	ctx := context.Background()
	env := apitest.Start(t, apitest.Options{})
	c := env.Client
	b, err := os.ReadFile("testdata/import/localstack-pets.json")
	if err != nil {
		t.Fatal(err)
	}
	imp, err := c.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: b})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: imp.Id, StageName: aws.String("v1")}); err != nil {
		t.Fatal(err)
	}
	js, err := c.GetExport(ctx, &apigateway.GetExportInput{RestApiId: imp.Id, StageName: aws.String("v1"), ExportType: aws.String("oas30"), Parameters: map[string]string{"extensions": "apigateway"}})
	if err != nil {
		t.Fatal(err)
	}
	// The Go SDK overwrites its Accepts member with application/json
	// (its Accept middleware runs last), so YAML is asked for as the AWS
	// CLI asks: a signed request with Accept: application/yaml.
	req := signedRequest(t, env, "GET", env.AdminURL, "/restapis/"+aws.ToString(imp.Id)+"/stages/v1/exports/oas30?extensions=apigateway", nil, signOpts{accept: "application/yaml"})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ymBody, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("YAML export: %d %s", resp.StatusCode, ymBody)
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="oas30_1.0.0.yaml"` {
		t.Errorf("YAML Content-Disposition = %q", cd)
	}
	if strings.HasPrefix(strings.TrimSpace(string(ymBody)), "{") || !strings.Contains(string(ymBody), "openapi: 3.0.1") {
		t.Errorf("YAML body is not YAML:\n%s", ymBody)
	}
	var fromJSON, fromYAML any
	if err := json.Unmarshal(js.Body, &fromJSON); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(ymBody, &fromYAML); err != nil {
		t.Fatal(err)
	}
	if d := diffJSON("yaml", fromYAML, fromJSON); d != "" {
		t.Errorf("YAML and JSON exports differ: %s", d)
	}

	for _, tc := range []struct {
		name, api, stage, typ, ext string
		status                     int
		code, msg                  string
	}{
		{"unknown stage", aws.ToString(imp.Id), "nope", "swagger", "", 404, "NotFoundException", "Invalid Stage identifier specified"},
		{"unknown API", "nope123456", "v1", "swagger", "", 404, "NotFoundException", "Invalid API identifier specified"},
		{"unknown type", aws.ToString(imp.Id), "v1", "oas31", "", 400, "BadRequestException", `Invalid export type "oas31": valid values are oas30, swagger`},
		{"unknown extension", aws.ToString(imp.Id), "v1", "swagger", "lambda", 400, "BadRequestException", `Invalid extensions value "lambda"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &apigateway.GetExportInput{RestApiId: aws.String(tc.api), StageName: aws.String(tc.stage), ExportType: aws.String(tc.typ)}
			if tc.ext != "" {
				in.Parameters = map[string]string{"extensions": tc.ext}
			}
			_, err := c.GetExport(ctx, in)
			var ae interface {
				ErrorCode() string
				ErrorMessage() string
			}
			if !errors.As(err, &ae) || ae.ErrorCode() != tc.code || !strings.HasPrefix(ae.ErrorMessage(), tc.msg) {
				t.Fatalf("GetExport = %v, want %s %q", err, tc.code, tc.msg)
			}
		})
	}
}
