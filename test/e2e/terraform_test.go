package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	"github.com/gatehouse-dev/gatehouse/internal/apitest"
)

// tfPluginMirror is where the machine image keeps the hashicorp/aws
// provider (no network: Terraform installs it from this mirror).
const tfPluginMirror = "/opt/tf-plugins"

// terraform runs Terraform in dir with a CLI configuration that installs
// providers from tfPluginMirror only.
type terraform struct {
	t        *testing.T
	bin, dir string
	env      []string
}

func newTerraform(t *testing.T) *terraform {
	t.Helper()
	bin, err := exec.LookPath("terraform")
	if err == nil {
		_, err = os.Stat(tfPluginMirror)
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("terraform or its provider mirror %s is missing: %v", tfPluginMirror, err)
		}
		t.Skipf("terraform or its provider mirror %s is missing: %v", tfPluginMirror, err)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cli.tfrc")
	if err := os.WriteFile(cfg, []byte(`provider_installation {
  filesystem_mirror {
    path    = "`+tfPluginMirror+`"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/*/*"]
  }
}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o700); err != nil {
		t.Fatal(err)
	}
	return &terraform{t: t, bin: bin, dir: work, env: append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+cfg, "TF_IN_AUTOMATION=1", "TF_INPUT=0", "CHECKPOINT_DISABLE=1",
		"TF_DATA_DIR="+filepath.Join(dir, "data"), "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true")}
}

// run runs terraform args; it returns the exit code and the output.
func (tf *terraform) run(args ...string) (int, string) {
	tf.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tf.bin, append([]string{"-chdir=" + tf.dir}, args...)...)
	cmd.Env = tf.env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	tf.t.Logf("terraform %s: %s", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	case err != nil:
		tf.t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return 0, string(out)
}

// must runs terraform args and fails the test on a non-zero exit.
func (tf *terraform) must(args ...string) string {
	tf.t.Helper()
	code, out := tf.run(args...)
	if code != 0 {
		tf.t.Fatalf("terraform %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// write writes main.tf.
func (tf *terraform) write(config string) {
	tf.t.Helper()
	if err := os.WriteFile(filepath.Join(tf.dir, "main.tf"), []byte(config), 0o600); err != nil {
		tf.t.Fatal(err)
	}
}

// tfProvider is the terraform block pinning hashicorp/aws and a provider
// pointed at env's management API with its credentials (the skip_* flags
// keep it from calling STS, IAM and the metadata service).
func tfProvider(env *apitest.Env) string {
	return fmt.Sprintf(`terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = %q
  secret_key                  = %q
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {
    apigateway = %q
  }
}
`, env.Server.Credentials.AccessKeyID, env.Server.Credentials.SecretAccessKey, env.AdminURL)
}

// tfOpenAPIConfig is an aws_api_gateway_rest_api whose body is an OpenAPI
// document (paths, as JSON), with a deployment redeployed when the body
// changes, and stage v1.
func tfOpenAPIConfig(env *apitest.Env, paths string) string {
	return tfProvider(env) + fmt.Sprintf(`
resource "aws_api_gateway_rest_api" "api" {
  name = "tf-openapi"
  body = jsonencode({
    "openapi" : "3.0.1",
    "info" : { "title" : "tf-openapi", "version" : "1.0" },
    "paths" : %s
  })
}

resource "aws_api_gateway_deployment" "d" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  triggers = {
    redeployment = sha1(aws_api_gateway_rest_api.api.body)
  }
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "v1" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  deployment_id = aws_api_gateway_deployment.d.id
  stage_name    = "v1"
}

output "api_id" {
  value = aws_api_gateway_rest_api.api.id
}
`, paths)
}

// tfMock is a MOCK method answering status with body.
func tfMock(body string) string {
	return fmt.Sprintf(`{ "get" : {
      "responses" : { "200" : { "description" : "ok" } },
      "x-amazon-apigateway-integration" : {
        "type" : "mock",
        "requestTemplates" : { "application/json" : "{\"statusCode\": 200}" },
        "responses" : { "default" : { "statusCode" : "200", "responseTemplates" : { "application/json" : %q } } }
      } } }`, body)
}

// TestTerraformRestAPIBody: Terraform's hashicorp/aws provider applies an
// aws_api_gateway_rest_api whose body is an OpenAPI document
// (ImportRestApi's PutRestApi), with a deployment and a stage, and the
// stage serves it; a changed body re-applies (PutRestApi overwrite, the
// resources of paths that remain keeping their ids, the removed path
// gone, the new one served); a plan then shows no drift; destroy removes
// the API. Terraform starts the provider (a large binary) several times
// per command: the test takes minutes on a loaded machine.
func TestTerraformRestAPIBody(t *testing.T) {
	t.Parallel() // Terraform's provider runs take minutes: the Terraform tests overlap
	tf := newTerraform(t)
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()

	tf.write(tfOpenAPIConfig(env, `{
    "/pets" : `+tfMock(`{"pets": 1}`)+`,
    "/pets/{id}" : `+tfMock(`{"id": "$input.params('id')"}`)+`,
    "/old" : `+tfMock(`{"old": true}`)+`
  }`))
	tf.must("init", "-no-color")
	tf.must("apply", "-auto-approve", "-no-color")
	api := strings.TrimSpace(tf.must("output", "-raw", "api_id"))
	f := &fixture{t: t, env: env, c: env.Client, apiID: api}
	for path, want := range map[string]string{"/pets": `{"pets": 1}`, "/pets/7": `{"id": "7"}`, "/old": `{"old": true}`} {
		if a := f.call("GET", "v1", path, nil); a.status != 200 || a.body != want {
			t.Errorf("GET %s = %d %s, want 200 %s", path, a.status, a.body, want)
		}
	}
	before := resourceIDs(t, env.Client, api)

	tf.write(tfOpenAPIConfig(env, `{
    "/pets" : `+tfMock(`{"pets": 2}`)+`,
    "/pets/{id}" : `+tfMock(`{"id": "$input.params('id')"}`)+`,
    "/new" : `+tfMock(`{"new": true}`)+`
  }`))
	tf.must("apply", "-auto-approve", "-no-color")
	if got := strings.TrimSpace(tf.must("output", "-raw", "api_id")); got != api {
		t.Fatalf("the API was replaced: %s, then %s", api, got)
	}
	after := resourceIDs(t, env.Client, api)
	for _, p := range []string{"/", "/pets", "/pets/{id}"} {
		if before[p] == "" || before[p] != after[p] {
			t.Errorf("resource %s: id %q before the change, %q after (PutRestApi overwrite keeps it)", p, before[p], after[p])
		}
	}
	if after["/old"] != "" || after["/new"] == "" {
		t.Errorf("resources after the change: %v", after)
	}
	for path, want := range map[string]answer{"/pets": {status: 200, body: `{"pets": 2}`}, "/new": {status: 200, body: `{"new": true}`},
		"/old": {status: 403, body: `{"message":"Missing Authentication Token"}`}} {
		if a := f.call("GET", "v1", path, nil); a.status != want.status || a.body != want.body {
			t.Errorf("GET %s after the change = %d %s, want %d %s", path, a.status, a.body, want.status, want.body)
		}
	}
	if code, out := tf.run("plan", "-detailed-exitcode", "-no-color"); code != 0 {
		t.Errorf("plan after the change: exit %d (2 = drift)\n%s", code, out)
	}

	tf.must("destroy", "-auto-approve", "-no-color")
	_, err := env.Client.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: aws.String(api)})
	if apitest.ErrorCode(err) != "NotFoundException" {
		t.Errorf("GetRestApi after destroy = %v, want NotFoundException", err)
	}
}

// resourceIDs returns an API's resource ids by path.
func resourceIDs(t *testing.T, c *apigateway.Client, api string) map[string]string {
	t.Helper()
	out, err := c.GetResources(context.Background(), &apigateway.GetResourcesInput{RestApiId: aws.String(api), Limit: aws.Int32(500)})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, r := range out.Items {
		m[aws.ToString(r.Path)] = aws.ToString(r.Id)
	}
	return m
}
