package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"go.yaml.in/yaml/v3"

	"github.com/gatehouse-dev/gatehouse/internal/apitest"
)

// importDoc imports testdata/roundtrip/name (UPSTREAM replaced by
// upstream) and deploys it to stage; it returns the API id.
func importDoc(t *testing.T, env *apitest.Env, doc []byte, stage string) string {
	t.Helper()
	ctx := context.Background()
	imp, err := env.Client.ImportRestApi(ctx, &apigateway.ImportRestApiInput{Body: doc, FailOnWarnings: true})
	if err != nil {
		t.Fatalf("ImportRestApi: %v\n%s", err, doc)
	}
	if _, err := env.Client.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: imp.Id, StageName: aws.String(stage)}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(imp.Id)
}

func readRoundTripDoc(t *testing.T, name, upstream string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "roundtrip", name))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.ReplaceAll(string(b), "UPSTREAM", upstream))
}

// exportDoc exports stage of api with every x-amazon-apigateway-*.
func exportDoc(t *testing.T, env *apitest.Env, api, stage, typ string) []byte {
	t.Helper()
	out, err := env.Client.GetExport(context.Background(), &apigateway.GetExportInput{RestApiId: aws.String(api), StageName: aws.String(stage),
		ExportType: aws.String(typ), Parameters: map[string]string{"extensions": "apigateway"}})
	if err != nil {
		t.Fatalf("GetExport: %v", err)
	}
	return out.Body
}

// send sends a request with a body to the data plane.
func send(t *testing.T, env *apitest.Env, api, stage, method, path, body string, hdr map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(method, env.DataURL+"/restapis/"+api+"/"+stage+"/_user_request_"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: resp.StatusCode, body: string(b), header: resp.Header}
}

var isoDate = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)

var extensionName = regexp.MustCompile(`x-(amazon-apigateway|gatehouse)-[a-z-]+`)

// TestOpenAPIRoundTrip: an API imported from a document (MOCK with
// mapping templates and a static response header; HTTP_PROXY with
// {proxy+}, ANY and a timeout; a method that requires an API key; models
// with a $ref between them and request validators; gateway responses,
// policy, minimum compression size, endpoint configuration,
// documentation parts and x-gatehouse-settings), exported with
// extensions=apigateway as Swagger 2.0 and as OpenAPI 3.0, and the
// export imported again: the re-imported API exports to the same
// document (ids aside), which has every extension of the original, and
// answers every request as the first one does — and as the document says.
func TestOpenAPIRoundTrip(t *testing.T) {
	ctx := context.Background()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"method": r.Method, "path": r.URL.Path, "body": string(b)})
	}))
	t.Cleanup(up.Close)
	// A TOKEN authorizer (a plain http URL, Gatehouse's extension): the
	// token "allow" is allowed as principal "alice", any other denied.
	auth := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Token string `json:"authorizationToken"`
		}
		json.NewDecoder(r.Body).Decode(&ev)
		effect := "Deny"
		if ev.Token == "allow" {
			effect = "Allow"
		}
		io.WriteString(w, `{"principalId":"alice","policyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"`+effect+`","Action":"execute-api:Invoke","Resource":"*"}]}}`)
	}))
	t.Cleanup(auth.Close)
	env := apitest.Start(t, apitest.Options{})
	key, err := env.Client.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("rt"), Enabled: true})
	if err != nil {
		t.Fatal(err)
	}

	type request struct {
		method, path, body string
		withKey            bool   // send the key (in the document's key header)
		token              string // Authorization header ("" none)
		status             int
		contains           string // in the body ("" any)
	}
	for _, tc := range []struct {
		doc      string
		requests []request
		// keyHeader is the header the key goes in ("" x-api-key).
		keyHeader string
	}{
		{"mock-templates.json", []request{
			{"GET", "/items/42?verbose=yes", "", false, "", 200, `{"id": "42", "verbose": "yes", "stage": "rt"}`},
			{"GET", "/missing", "", false, "", 404, `{"message": "no such thing"}`},
			{"POST", "/items/42", "", false, "", 403, "Missing Authentication Token"},
		}, ""},
		{"proxy-swagger.yaml", []request{
			{"GET", "/open/a/b", "", false, "", 200, `"path":"/open/a/b"`},
			{"DELETE", "/open/x", "", false, "", 200, `"method":"DELETE"`},
			{"GET", "/private", "", false, "", 403, "Forbidden"},
			{"GET", "/private", "", true, "", 200, `"path":"/private"`},
		}, ""},
		{"models-validators.json", []request{
			{"POST", "/pets", `{"name": "rex", "tag": "dog"}`, false, "", 200, `"path":"/pets"`},
			{"POST", "/pets", `{"tag": "dog"}`, false, "", 400, "Invalid request body"},
			{"POST", "/pets", `{"name": "rex", "tag": "cow"}`, false, "", 400, "Invalid request body"},
			{"GET", "/pets?kind=cat", "", false, "", 200, `"method":"GET"`},
			{"GET", "/pets", "", false, "", 400, "Missing required request parameters: [kind]"},
		}, ""},
		{"authorizers.json", []request{
			{"GET", "/guarded", "", false, "allow", 200, `{"who": "alice"}`},
			{"GET", "/guarded", "", false, "nope", 403, "User is not authorized to access this resource with an explicit deny"},
			{"GET", "/guarded", "", false, "", 401, "Unauthorized"},
			{"GET", "/open", "", false, "", 200, `{"open": true}`},
			// Gatehouse refuses Cognito-protected methods (it has no user
			// pools): imported or re-imported, the same refusal.
			{"GET", "/pool", "", false, "", 500, `{"message":null}`},
		}, ""},
		// API settings and Gatehouse's own: the key comes in the header
		// x-gatehouse-settings names; the customised gateway response
		// answers an unknown path.
		{"settings.json", []request{
			{"GET", "/keyed", "", true, "", 200, `{"keyed": true}`},
			{"GET", "/keyed", "", false, "", 403, `{"error": "Forbidden"}`},
			{"GET", "/nowhere", "", false, "", 404, `{"message": "no route here"}`},
		}, "x-client-key"},
	} {
		for _, typ := range []string{"oas30", "swagger"} {
			t.Run(tc.doc+"/"+typ, func(t *testing.T) {
				doc := strings.ReplaceAll(string(readRoundTripDoc(t, tc.doc, up.URL)), "AUTHORIZER", auth.URL)
				first := importDoc(t, env, []byte(doc), "rt")
				exported := exportDoc(t, env, first, "rt", typ)
				second := importDoc(t, env, exported, "rt")
				again := exportDoc(t, env, second, "rt", typ)
				norm := func(b []byte, api string) string {
					return isoDate.ReplaceAllString(strings.ReplaceAll(string(b), api, "API"), "DATE")
				}
				// Every extension of the document comes back in the export.
				for _, ext := range extensionName.FindAllString(doc, -1) {
					if !strings.Contains(string(exported), ext) {
						t.Errorf("the export has no %s:\n%s", ext, exported)
					}
				}
				if a, b := norm(exported, first), norm(again, second); a != b {
					t.Errorf("the re-imported API exports differently:\nfirst:\n%s\nsecond:\n%s", a, b)
				}
				plan, err := env.Client.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("rt-" + first),
					ApiStages: []types.ApiStage{{ApiId: aws.String(first), Stage: aws.String("rt")}, {ApiId: aws.String(second), Stage: aws.String("rt")}}})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := env.Client.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: key.Id, KeyType: aws.String("API_KEY")}); err != nil {
					t.Fatal(err)
				}
				for _, rq := range tc.requests {
					hdr := map[string]string{}
					if rq.withKey {
						name := tc.keyHeader
						if name == "" {
							name = "x-api-key"
						}
						hdr[name] = aws.ToString(key.Value)
					}
					if rq.token != "" {
						hdr["Authorization"] = rq.token
					}
					// The key index follows the change feed: wait for the
					// plan to take effect rather than sleep.
					var a, b answer
					deadline := time.Now().Add(5 * time.Second)
					for {
						a = send(t, env, first, "rt", rq.method, rq.path, rq.body, hdr)
						b = send(t, env, second, "rt", rq.method, rq.path, rq.body, hdr)
						if a.status == rq.status && b.status == rq.status || time.Now().After(deadline) {
							break
						}
						time.Sleep(20 * time.Millisecond)
					}
					if a.status != rq.status || !strings.Contains(a.body, rq.contains) {
						t.Errorf("%s %s on the imported API = %d %s, want %d with %q", rq.method, rq.path, a.status, a.body, rq.status, rq.contains)
					}
					if b.status != a.status || b.body != a.body {
						t.Errorf("%s %s: re-imported API = %d %s, first = %d %s", rq.method, rq.path, b.status, b.body, a.status, a.body)
					}
				}
			})
		}
	}
}

// TestAWSCLIGetExport runs `aws apigateway get-export` against a node:
// YAML with the integrations, written to the file the CLI names.
func TestAWSCLIGetExport(t *testing.T) {
	awsPath, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the aws CLI is not installed; .ci/run installs Debian's awscli")
		}
		t.Skip("the aws CLI is not installed")
	}
	env := apitest.Start(t, apitest.Options{})
	api := importDoc(t, env, readRoundTripDoc(t, "mock-templates.json", "http://127.0.0.1:1"), "v1")
	outFile := filepath.Join(t.TempDir(), "api.yaml")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, awsPath, "--endpoint-url", env.AdminURL, "--region", "us-east-1", "--output", "json",
		"apigateway", "get-export", "--rest-api-id", api, "--stage-name", "v1", "--export-type", "oas30",
		"--accepts", "application/yaml", "--parameters", "extensions=integrations", outFile)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+env.Server.Credentials.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+env.Server.Credentials.SecretAccessKey, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("aws: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("aws: %v", err)
	}
	var meta struct {
		ContentType        string `json:"contentType"`
		ContentDisposition string `json:"contentDisposition"`
	}
	if err := json.Unmarshal(out, &meta); err != nil {
		t.Fatalf("aws printed %s: %v", out, err)
	}
	if meta.ContentDisposition != `attachment; filename="oas30_2.yaml"` || meta.ContentType != "application/octet-stream" {
		t.Errorf("aws printed %s", out)
	}
	body, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string `yaml:"openapi"`
		Servers []struct {
			Variables map[string]map[string]string `yaml:"variables"`
		} `yaml:"servers"`
		Paths map[string]map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(body, &doc); err != nil || bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		t.Fatalf("not YAML (%v):\n%s", err, body)
	}
	if doc.OpenAPI != "3.0.1" || len(doc.Servers) != 1 || doc.Servers[0].Variables["basePath"]["default"] != "v1" {
		t.Errorf("document:\n%s", body)
	}
	if _, ok := doc.Paths["/items/{id}"]["get"]["x-amazon-apigateway-integration"]; !ok {
		t.Errorf("no integration on GET /items/{id}:\n%s", body)
	}
}
