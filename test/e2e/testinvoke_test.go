package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
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
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata")

// testInvokeAPI builds, through the SDK, an API whose methods are never
// deployed (test-invoke-method runs the current definition):
//
//	GET /pets/{petId}  MOCK: the request template selects 201, whose
//	                   integration response (selectionPattern 201) answers
//	GET /items/{id}    HTTP_PROXY to upstream/echo/{id}, API key required
//	GET /broken        HTTP_PROXY to a port nobody listens on
type testInvokeAPI struct {
	*fixture
	upstream string
}

func newTestInvokeAPI(t *testing.T, env *apitest.Env) *testInvokeAPI {
	t.Helper()
	ctx := context.Background()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Upstream", "yes")
		b, _ := json.Marshal(map[string]string{"path": r.URL.Path, "query": r.URL.RawQuery, "key": r.Header.Get("X-Api-Key")})
		w.Write(b)
	}))
	t.Cleanup(up.Close)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()

	f := &testInvokeAPI{fixture: newFixture(t, env, "test-invoke"), upstream: up.URL}
	rid := f.resource("/pets/{petId}")
	get := "GET"
	if _, err := f.c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: &f.apiID, ResourceId: &rid, HttpMethod: &get, AuthorizationType: aws.String("NONE")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &f.apiID, ResourceId: &rid, HttpMethod: &get, Type: types.IntegrationTypeMock,
		RequestTemplates: map[string]string{"application/json": `{"statusCode": 201}`}}); err != nil {
		t.Fatal(err)
	}
	for _, ir := range []struct{ status, pattern, body string }{{"200", "", `{"pets": "default"}`}, {"201", "201", `{"pets": "created"}`}} {
		if _, err := f.c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: &f.apiID, ResourceId: &rid, HttpMethod: &get,
			StatusCode: aws.String(ir.status), SelectionPattern: aws.String(ir.pattern), ResponseTemplates: map[string]string{"application/json": ir.body}}); err != nil {
			t.Fatal(err)
		}
	}
	f.httpProxy("GET", "/items/{id}", true, up.URL+"/echo/{id}", 0)
	f.httpProxy("GET", "/broken", false, deadURL+"/nothing", 2000)
	return f
}

func (f *testInvokeAPI) invoke(t *testing.T, path string, in *apigateway.TestInvokeMethodInput) *apigateway.TestInvokeMethodOutput {
	t.Helper()
	in.RestApiId, in.ResourceId = &f.apiID, aws.String(f.resource(path))
	if in.HttpMethod == nil {
		in.HttpMethod = aws.String("GET")
	}
	out, err := f.c.TestInvokeMethod(context.Background(), in)
	if err != nil {
		t.Fatalf("TestInvokeMethod %s: %v", path, err)
	}
	return out
}

// TestTestInvokeMethod drives TestInvokeMethod over the AWS SDK against a
// real node.
func TestTestInvokeMethod(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	f := newTestInvokeAPI(t, env)

	t.Run("MOCK with a template-selected status", func(t *testing.T) {
		out := f.invoke(t, "/pets/{petId}", &apigateway.TestInvokeMethodInput{PathWithQueryString: aws.String("/pets/123?foo=bar"),
			Headers: map[string]string{"Content-Type": "application/json"}})
		if out.Status != 201 || aws.ToString(out.Body) != `{"pets": "created"}` {
			t.Fatalf("status %d body %q, want 201 {\"pets\": \"created\"}", out.Status, aws.ToString(out.Body))
		}
		if got := out.Headers["Content-Type"]; got != "application/json" {
			t.Errorf("Content-Type %q", got)
		}
		if _, ok := out.Headers["X-Amzn-Requestid"]; ok {
			t.Errorf("the per-request id is in the headers: %v", out.Headers)
		}
		golden(t, "mock.log", normaliseLog(aws.ToString(out.Log), f))
	})

	t.Run("HTTP_PROXY with path parameter and query, key not needed", func(t *testing.T) {
		out := f.invoke(t, "/items/{id}", &apigateway.TestInvokeMethodInput{PathWithQueryString: aws.String("/items/42?color=red")})
		var got map[string]string
		if err := json.Unmarshal([]byte(aws.ToString(out.Body)), &got); err != nil || out.Status != 200 {
			t.Fatalf("status %d body %q: %v", out.Status, aws.ToString(out.Body), err)
		}
		if got["path"] != "/echo/42" || got["query"] != "color=red" {
			t.Errorf("the upstream saw path %q query %q, want /echo/42 and color=red", got["path"], got["query"])
		}
		if out.Headers["X-Upstream"] != "yes" || len(out.MultiValueHeaders["X-Upstream"]) != 1 {
			t.Errorf("headers %v / %v: want the upstream's X-Upstream", out.Headers, out.MultiValueHeaders)
		}
		log := aws.ToString(out.Log)
		for _, want := range []string{
			"Method request path: {id=42}", "Method request query string: {color=red}",
			"Endpoint request URI: " + f.upstream + "/echo/42?color=red",
			"Received response. Status: 200",
			"Gatehouse: keysource: skipped by test-invoke, as on AWS; a request to a stage would be refused: KEY_MISSING",
			"Gatehouse: key: skipped by test-invoke, as on AWS (not worked out: an earlier check would refuse)",
			"Gatehouse: integration: pass: HTTP_PROXY to 127.0.0.1",
			"Method completed with status: 200",
		} {
			if !strings.Contains(log, want) {
				t.Errorf("the log lacks %q:\n%s", want, log)
			}
		}
		golden(t, "httpproxy.log", normaliseLog(log, f))
	})

	t.Run("a key is traced, never sent on when refused", func(t *testing.T) {
		id, value := f.key("ti-key", false)
		out := f.invoke(t, "/items/{id}", &apigateway.TestInvokeMethodInput{PathWithQueryString: aws.String("/items/7"),
			Headers: map[string]string{"x-api-key": value}})
		log := aws.ToString(out.Log)
		if out.Status != 200 || !strings.Contains(log, "Gatehouse: key: skipped by test-invoke, as on AWS; a request to a stage would be refused: KEY_DISABLED: API key "+id) {
			t.Errorf("status %d, log:\n%s", out.Status, log)
		}
		if strings.Contains(log, value) {
			t.Errorf("the log holds the key's value:\n%s", log)
		}
	})

	t.Run("a failing upstream", func(t *testing.T) {
		out := f.invoke(t, "/broken", &apigateway.TestInvokeMethodInput{})
		log := aws.ToString(out.Log)
		if out.Status != 502 || aws.ToString(out.Body) != `{"message":"Internal server error"}` || out.Headers["x-amzn-ErrorType"] != "InternalServerErrorException" {
			t.Errorf("status %d body %q headers %v; want 502 {\"message\":\"Internal server error\"} with x-amzn-ErrorType InternalServerErrorException", out.Status, aws.ToString(out.Body), out.Headers)
		}
		for _, want := range []string{"Execution failed due to configuration error: the upstream 127.0.0.1:", "Gatehouse: refused INTEGRATION_FAILURE at the integration step", "Method completed with status: 502"} {
			if !strings.Contains(log, want) {
				t.Errorf("the log lacks %q:\n%s", want, log)
			}
		}
		if strings.Contains(log, "Successfully completed execution") {
			t.Errorf("a failure logged as a success:\n%s", log)
		}
	})

	t.Run("unknown method and resource", func(t *testing.T) {
		ctx := context.Background()
		rid := f.resource("/pets/{petId}")
		_, err := f.c.TestInvokeMethod(ctx, &apigateway.TestInvokeMethodInput{RestApiId: &f.apiID, ResourceId: &rid, HttpMethod: aws.String("DELETE")})
		apitest.WantError(t, err, "NotFoundException", "Invalid Method identifier specified")
		_, err = f.c.TestInvokeMethod(ctx, &apigateway.TestInvokeMethodInput{RestApiId: &f.apiID, ResourceId: aws.String("nosuchres0"), HttpMethod: aws.String("GET")})
		apitest.WantError(t, err, "NotFoundException", "Invalid Resource identifier specified")
		_, err = f.c.TestInvokeMethod(ctx, &apigateway.TestInvokeMethodInput{RestApiId: aws.String("nosuchapi0"), ResourceId: &rid, HttpMethod: aws.String("GET")})
		apitest.WantError(t, err, "NotFoundException", "Invalid Resource identifier specified")
		_, err = f.c.TestInvokeMethod(ctx, &apigateway.TestInvokeMethodInput{RestApiId: &f.apiID, ResourceId: &rid, HttpMethod: aws.String("GET"), PathWithQueryString: aws.String("pets")})
		apitest.WantError(t, err, "BadRequestException", `pathWithQueryString "pets" is not a path (it must start with /): bad test-invoke input`)
	})

	t.Run("the served path is untouched: nothing deployed, nothing counted", func(t *testing.T) {
		if n := strings.Count(env.Access.String(), "\n"); n != 0 {
			t.Errorf("test invocations wrote %d access log lines", n)
		}
	})
}

// TestAWSCLITestInvokeMethod runs `aws apigateway test-invoke-method`
// against a node.
func TestAWSCLITestInvokeMethod(t *testing.T) {
	awsPath, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the aws CLI is not installed; .ci/run installs Debian's awscli")
		}
		t.Skip("the aws CLI is not installed")
	}
	env := apitest.Start(t, apitest.Options{})
	f := newTestInvokeAPI(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, awsPath, "--endpoint-url", env.AdminURL, "--region", "us-east-1", "--output", "json",
		"apigateway", "test-invoke-method", "--rest-api-id", f.apiID, "--resource-id", f.resource("/pets/{petId}"),
		"--http-method", "GET", "--path-with-query-string", "/pets/9", "--headers", "Content-Type=application/json")
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
	var got struct {
		Status  int               `json:"status"`
		Body    string            `json:"body"`
		Headers map[string]string `json:"headers"`
		Log     string            `json:"log"`
		Latency int64             `json:"latency"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("aws printed %s: %v", out, err)
	}
	if got.Status != 201 || got.Body != `{"pets": "created"}` || got.Headers["Content-Type"] != "application/json" {
		t.Errorf("aws printed %+v", got)
	}
	if !strings.Contains(got.Log, "Method request path: {petId=9}") || !strings.HasPrefix(got.Log, "Execution log for request ") {
		t.Errorf("log:\n%s", got.Log)
	}
}

var (
	reUUID  = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	reStamp = regexp.MustCompile(`(?m)^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4} : `)
	rePort  = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	reMs    = regexp.MustCompile(`Integration latency: \d+ ms`)
	reDate  = regexp.MustCompile(`Date=[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT`)
)

// normaliseLog replaces what changes from run to run: request ids,
// timestamps, ports, latencies, the API's and resources' ids.
func normaliseLog(log string, f *testInvokeAPI) string {
	log = reUUID.ReplaceAllString(log, "<request-id>")
	log = reStamp.ReplaceAllString(log, "DDD MMM dd hh:mm:ss UTC yyyy : ")
	log = rePort.ReplaceAllString(log, "127.0.0.1:<port>")
	log = reMs.ReplaceAllString(log, "Integration latency: <latency> ms")
	log = reDate.ReplaceAllString(log, "Date=<date>")
	log = strings.ReplaceAll(log, f.apiID, "<api-id>")
	return log
}

// golden compares got with testdata/testinvoke/name (-update rewrites it).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "testinvoke", name)
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run %s -update writes it)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}
