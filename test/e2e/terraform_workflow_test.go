package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	"github.com/gatehouse-dev/gatehouse/internal/apitest"
)

// tfWorkflowConfig is the step-by-step user workflow, one resource at a
// time as the provider's documentation shows it: a REST API without a
// body; /pets (GET, a MOCK requiring an API key, its template from
// var.pets_body) and /echo (GET, an HTTP_PROXY to var.upstream); a
// deployment redeployed when any of them changes; stage v1 with method
// settings; a customised gateway response; keys alice and bob (bob's
// enabled from var.bob_enabled) in a usage plan whose quota is var.quota
// a day; and a custom domain (certificate uploaded from cert.pem and
// key.pem) whose base path "shop" maps to v1. The variables come from
// terraform.tfvars, so a later plan sees the same values.
func tfWorkflowConfig(env *apitest.Env) string {
	return tfProvider(env) + `
variable "pets_body" { type = string }
variable "upstream" { type = string }
variable "quota" { type = number }
variable "bob_enabled" { type = bool }

resource "aws_api_gateway_rest_api" "api" {
  name        = "tf-workflow"
  description = "the step-by-step workflow"
}

resource "aws_api_gateway_resource" "pets" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  parent_id   = aws_api_gateway_rest_api.api.root_resource_id
  path_part   = "pets"
}

resource "aws_api_gateway_method" "pets" {
  rest_api_id      = aws_api_gateway_rest_api.api.id
  resource_id      = aws_api_gateway_resource.pets.id
  http_method      = "GET"
  authorization    = "NONE"
  api_key_required = true
}

resource "aws_api_gateway_integration" "pets" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  resource_id = aws_api_gateway_resource.pets.id
  http_method = aws_api_gateway_method.pets.http_method
  type        = "MOCK"
  request_templates = {
    "application/json" = jsonencode({ statusCode = 200 })
  }
}

resource "aws_api_gateway_method_response" "pets" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  resource_id = aws_api_gateway_resource.pets.id
  http_method = aws_api_gateway_method.pets.http_method
  status_code = "200"
  response_models = {
    "application/json" = "Empty"
  }
}

resource "aws_api_gateway_integration_response" "pets" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  resource_id = aws_api_gateway_resource.pets.id
  http_method = aws_api_gateway_method.pets.http_method
  status_code = aws_api_gateway_method_response.pets.status_code
  response_templates = {
    "application/json" = var.pets_body
  }
  depends_on = [aws_api_gateway_integration.pets]
}

resource "aws_api_gateway_resource" "echo" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  parent_id   = aws_api_gateway_rest_api.api.root_resource_id
  path_part   = "echo"
}

resource "aws_api_gateway_method" "echo" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  resource_id   = aws_api_gateway_resource.echo.id
  http_method   = "GET"
  authorization = "NONE"
}

resource "aws_api_gateway_integration" "echo" {
  rest_api_id             = aws_api_gateway_rest_api.api.id
  resource_id             = aws_api_gateway_resource.echo.id
  http_method             = aws_api_gateway_method.echo.http_method
  type                    = "HTTP_PROXY"
  integration_http_method = "GET"
  uri                     = "${var.upstream}/hello"
}

resource "aws_api_gateway_gateway_response" "missing_token" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  response_type = "MISSING_AUTHENTICATION_TOKEN"
  status_code   = "404"
  response_templates = {
    "application/json" = "{\"message\":\"no such route\"}"
  }
  response_parameters = {
    "gatewayresponse.header.X-Gatehouse-Test" = "'tf'"
  }
}

resource "aws_api_gateway_deployment" "d" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  triggers = {
    redeployment = sha1(jsonencode([
      aws_api_gateway_resource.pets.id,
      aws_api_gateway_method.pets.id,
      aws_api_gateway_method.pets.api_key_required,
      aws_api_gateway_integration.pets.id,
      aws_api_gateway_integration_response.pets.response_templates,
      aws_api_gateway_resource.echo.id,
      aws_api_gateway_method.echo.id,
      aws_api_gateway_integration.echo.uri,
      aws_api_gateway_gateway_response.missing_token.id,
    ]))
  }
  depends_on = [
    aws_api_gateway_integration.pets,
    aws_api_gateway_integration_response.pets,
    aws_api_gateway_integration.echo,
    aws_api_gateway_gateway_response.missing_token,
  ]
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "v1" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  deployment_id = aws_api_gateway_deployment.d.id
  stage_name    = "v1"
  description   = "version one"
  variables = {
    backend = "test"
  }
}

resource "aws_api_gateway_method_settings" "all" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  stage_name  = aws_api_gateway_stage.v1.stage_name
  method_path = "*/*"
  settings {
    throttling_rate_limit  = 100
    throttling_burst_limit = 50
  }
}

resource "aws_api_gateway_api_key" "alice" {
  name = "tf-alice"
}

resource "aws_api_gateway_api_key" "bob" {
  name    = "tf-bob"
  enabled = var.bob_enabled
}

resource "aws_api_gateway_usage_plan" "plan" {
  name        = "tf-plan"
  description = "quota and throttle"
  api_stages {
    api_id = aws_api_gateway_rest_api.api.id
    stage  = aws_api_gateway_stage.v1.stage_name
  }
  quota_settings {
    limit  = var.quota
    period = "DAY"
  }
  throttle_settings {
    rate_limit  = 50
    burst_limit = 20
  }
}

resource "aws_api_gateway_usage_plan_key" "alice" {
  key_id        = aws_api_gateway_api_key.alice.id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.plan.id
}

resource "aws_api_gateway_usage_plan_key" "bob" {
  key_id        = aws_api_gateway_api_key.bob.id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.plan.id
}

resource "aws_api_gateway_domain_name" "shop" {
  domain_name             = "api.example.test"
  certificate_name        = "tf-example-test"
  certificate_body        = file("${path.module}/cert.pem")
  certificate_private_key = file("${path.module}/key.pem")
}

resource "aws_api_gateway_base_path_mapping" "shop" {
  api_id      = aws_api_gateway_rest_api.api.id
  stage_name  = aws_api_gateway_stage.v1.stage_name
  domain_name = aws_api_gateway_domain_name.shop.domain_name
  base_path   = "shop"
}

output "api_id" {
  value = aws_api_gateway_rest_api.api.id
}

output "alice" {
  value     = aws_api_gateway_api_key.alice.value
  sensitive = true
}

output "bob" {
  value     = aws_api_gateway_api_key.bob.value
  sensitive = true
}
`
}

// tfVars writes terraform.tfvars next to main.tf.
func (tf *terraform) vars(petsBody, upstream string, quota int, bobEnabled bool) {
	tf.t.Helper()
	v := fmt.Sprintf("pets_body   = %q\nupstream    = %q\nquota       = %d\nbob_enabled = %t\n", petsBody, upstream, quota, bobEnabled)
	if err := os.WriteFile(filepath.Join(tf.dir, "terraform.tfvars"), []byte(v), 0o600); err != nil {
		tf.t.Fatal(err)
	}
}

// TestTerraformWorkflow: the step-by-step user workflow of the
// hashicorp/aws provider's API Gateway resources applies against a node
// and the data plane serves it: the keyed method refuses a call without a
// key and answers with the key value Terraform reads back (a sensitive
// output), the HTTP_PROXY reaches its upstream, the custom domain routes
// by Host on the plain data listener, the customised gateway response
// answers an unknown path, and the usage plan's quota counts. A second
// plan shows no drift. Then a changed mapping template, a raised quota
// and a disabled key apply: the new body is served, the quota allows
// exactly the new limit, the disabled key is refused KEY_DISABLED; no
// drift again. Destroy leaves no API, key, usage plan nor domain.
func TestTerraformWorkflow(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Terraform and its provider: minutes")
	}
	t.Parallel() // Terraform's provider runs take minutes: the Terraform tests overlap
	tf := newTerraform(t)
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "upstream %s %s", r.Method, r.URL.Path)
	}))
	t.Cleanup(upstream.Close)
	cert := apitest.NewCA(t).Issue(t, "api.example.test")
	for name, pem := range map[string]string{"cert.pem": cert.CertPEM, "key.pem": cert.KeyPEM} {
		if err := os.WriteFile(filepath.Join(tf.dir, name), []byte(pem), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	tf.write(tfWorkflowConfig(env))
	tf.vars(`{"pets": 1}`, upstream.URL, 3, true)
	tf.must("init", "-no-color")
	tf.must("apply", "-auto-approve", "-no-color")
	api := strings.TrimSpace(tf.must("output", "-raw", "api_id"))
	alice := strings.TrimSpace(tf.must("output", "-raw", "alice"))
	bob := strings.TrimSpace(tf.must("output", "-raw", "bob"))
	if len(alice) < 20 || len(bob) < 20 || alice == bob {
		t.Fatalf("key values from terraform output: %d and %d characters (want two distinct generated values)", len(alice), len(bob))
	}
	f := &fixture{t: t, env: env, c: env.Client, apiID: api}
	withKey := func(k string) map[string]string { return map[string]string{"x-api-key": k} }

	t.Run("applied", func(t *testing.T) {
		wantAnswer(t, env, f.call("GET", "v1", "/pets", nil), 403, `{"message":"Forbidden"}`, "KEY_MISSING")
		wantAnswer(t, env, f.call("GET", "v1", "/pets", withKey(alice)), 200, `{"pets": 1}`, "OK") // alice: 1 of 3
		wantAnswer(t, env, f.call("GET", "v1", "/pets", withKey(bob)), 200, `{"pets": 1}`, "OK")
		wantAnswer(t, env, f.call("GET", "v1", "/echo", nil), 200, "upstream GET /hello", "OK")
		a := do(t, "GET", env.DataURL+"/shop/echo", map[string]string{"Host": "api.example.test"})
		wantAnswer(t, env, a, 200, "upstream GET /hello", "OK")
		a = do(t, "GET", env.DataURL+"/shop/pets", map[string]string{"Host": "api.example.test", "x-api-key": alice}) // alice: 2 of 3
		wantAnswer(t, env, a, 200, `{"pets": 1}`, "OK")
		a = f.call("GET", "v1", "/nowhere", nil)
		wantAnswer(t, env, a, 404, `{"message":"no such route"}`, "ROUTE_UNKNOWN")
		if got := a.header.Get("X-Gatehouse-Test"); got != "tf" {
			t.Errorf("gateway response header X-Gatehouse-Test = %q, want tf", got)
		}
		wantAnswer(t, env, f.call("GET", "v1", "/pets", withKey(alice)), 200, `{"pets": 1}`, "OK") // alice: 3 of 3
		wantAnswer(t, env, f.call("GET", "v1", "/pets", withKey(alice)), 429, `{"message":"Limit Exceeded"}`, "QUOTA_EXCEEDED")
	})
	if code, out := tf.run("plan", "-detailed-exitcode", "-no-color"); code != 0 {
		t.Errorf("plan after apply: exit %d (2 = drift)\n%s", code, out)
	}

	tf.vars(`{"pets": 2}`, upstream.URL, 5, false)
	tf.must("apply", "-auto-approve", "-no-color")
	if got := strings.TrimSpace(tf.must("output", "-raw", "api_id")); got != api {
		t.Fatalf("the API was replaced: %s, then %s", api, got)
	}
	t.Run("changed", func(t *testing.T) {
		// The quota, raised from 3 to 5, leaves alice two more calls today.
		wantAnswer(t, env, f.call("GET", "v1", "/pets", withKey(alice)), 200, `{"pets": 2}`, "OK")
		wantAnswer(t, env, f.call("GET", "v1", "/pets", withKey(alice)), 200, `{"pets": 2}`, "OK")
		wantAnswer(t, env, f.call("GET", "v1", "/pets", withKey(alice)), 429, `{"message":"Limit Exceeded"}`, "QUOTA_EXCEEDED")
		wantAnswer(t, env, f.call("GET", "v1", "/pets", withKey(bob)), 403, `{"message":"Forbidden"}`, "KEY_DISABLED")
	})
	if code, out := tf.run("plan", "-detailed-exitcode", "-no-color"); code != 0 {
		t.Errorf("plan after the change: exit %d (2 = drift)\n%s", code, out)
	}

	tf.must("destroy", "-auto-approve", "-no-color")
	apis, err := env.Client.GetRestApis(ctx, &apigateway.GetRestApisInput{})
	if err != nil || len(apis.Items) != 0 {
		t.Errorf("GetRestApis after destroy: %d items, %v; want none", lenOr(apis, func(o *apigateway.GetRestApisOutput) int { return len(o.Items) }), err)
	}
	keys, err := env.Client.GetApiKeys(ctx, &apigateway.GetApiKeysInput{})
	if err != nil || len(keys.Items) != 0 {
		t.Errorf("GetApiKeys after destroy: %d items, %v; want none", lenOr(keys, func(o *apigateway.GetApiKeysOutput) int { return len(o.Items) }), err)
	}
	plans, err := env.Client.GetUsagePlans(ctx, &apigateway.GetUsagePlansInput{})
	if err != nil || len(plans.Items) != 0 {
		t.Errorf("GetUsagePlans after destroy: %d items, %v; want none", lenOr(plans, func(o *apigateway.GetUsagePlansOutput) int { return len(o.Items) }), err)
	}
	domains, err := env.Client.GetDomainNames(ctx, &apigateway.GetDomainNamesInput{})
	if err != nil || len(domains.Items) != 0 {
		t.Errorf("GetDomainNames after destroy: %d items, %v; want none", lenOr(domains, func(o *apigateway.GetDomainNamesOutput) int { return len(o.Items) }), err)
	}
	_, err = env.Client.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: aws.String(api)})
	if apitest.ErrorCode(err) != "NotFoundException" {
		t.Errorf("GetRestApi after destroy = %v, want NotFoundException", err)
	}
}

// lenOr is n(o), or -1 when o is nil (the call failed).
func lenOr[T any](o *T, n func(*T) int) int {
	if o == nil {
		return -1
	}
	return n(o)
}
