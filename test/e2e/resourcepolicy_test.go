package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/gatehouse-dev/gatehouse/internal/lambda/lambdatest"
)

// TestResourcePolicyIPAllowList is issue 18's resource policy test, as a
// user would run it: a policy set through the AWS SDK allows 127.0.0.1 and
// 192.0.2.0/24 and denies one path; behind a trusted proxy (127.0.0.1 with
// --trusted-proxies) the forwarded client address is the one evaluated:
// inside the list it passes, outside it is refused with AWS's answer and
// the reason code in the access log and in gatehouse explain. Bad
// policies are refused at write time, changing nothing, and a changed
// policy takes effect when the API is deployed again, as on AWS.
func TestResourcePolicyIPAllowList(t *testing.T) {
	env := apitest.Start(t, apitest.Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	ctx := context.Background()
	policy := `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "office", "Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
     "Condition": {"IpAddress": {"aws:SourceIp": ["127.0.0.1/32", "192.0.2.0/24"]}}},
    {"Sid": "noadmin", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "execute-api:Invoke", "Resource": "execute-api:/*/*/admin"}
  ]
}`
	api, err := env.Client.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("policed"), Policy: aws.String(policy)})
	if err != nil {
		t.Fatalf("CreateRestApi: %v", err)
	}
	apiID := aws.ToString(api.Id)
	// Returned as AWS does: minified, in its escaped form.
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(policy)); err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(api.Policy), strings.ReplaceAll(compact.String(), `"`, `\"`); got != want {
		t.Fatalf("policy returned %s, want %s", got, want)
	}
	f := &fixture{t: t, env: env, c: env.Client, apiID: apiID, rootID: aws.ToString(api.RootResourceId), res: map[string]string{"/": aws.ToString(api.RootResourceId)}}
	f.mock("GET", "/pets", false, 200, `{"pets":[]}`)
	f.mock("GET", "/admin", false, 200, `{"admin":true}`)
	f.deploy("prod")

	arn := "arn:aws:execute-api:" + apigw.DefaultRegion + ":" + apigw.DefaultAccountID + ":" + apiID + "/prod/GET/"
	notAllowed := `{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: ` + arn + `pets"}`
	tests := []struct {
		name, path, xff string
		status          int
		body, reason    string
		ip              string // the access log's client address
	}{
		{"127.0.0.1 itself", "/pets", "", 200, `{"pets":[]}`, "OK", "127.0.0.1"},
		{"forwarded from inside the list", "/pets", "192.0.2.44", 200, `{"pets":[]}`, "OK", "192.0.2.44"},
		{"forwarded from outside the list", "/pets", "203.0.113.9", 403, notAllowed, "RESOURCE_POLICY_NOT_ALLOWED", "203.0.113.9"},
		{"spoofed entry left of the proxy's", "/pets", "127.0.0.1, 203.0.113.9", 403, notAllowed, "RESOURCE_POLICY_NOT_ALLOWED", "203.0.113.9"},
		{"denied path, allowed address", "/admin", "", 403, `{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: ` + arn + `admin with an explicit deny"}`, "RESOURCE_POLICY_DENIED", "127.0.0.1"},
	}
	var outsideID string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tt.xff != "" {
				hdr["X-Forwarded-For"] = tt.xff
			}
			a := f.call("GET", "prod", tt.path, hdr)
			wantAnswer(t, env, a, tt.status, tt.body, tt.reason)
			if a.status == 403 && a.header.Get("X-Amzn-Errortype") != "AccessDeniedException" {
				t.Errorf("x-amzn-ErrorType %q, want AccessDeniedException", a.header.Get("X-Amzn-Errortype"))
			}
			line := env.Access.Access(a.requestID)
			if line["ip"] != tt.ip {
				t.Errorf("access log ip %v, want %s", line["ip"], tt.ip)
			}
			detail, _ := line["detail"].(string)
			switch tt.reason {
			case "RESOURCE_POLICY_NOT_ALLOWED":
				outsideID = a.requestID
				if !strings.Contains(detail, "from source IP "+tt.ip) {
					t.Errorf("detail %q does not name the source IP", detail)
				}
			case "RESOURCE_POLICY_DENIED":
				if !strings.Contains(detail, `Sid "noadmin" (Statement[1])`) {
					t.Errorf("detail %q does not name the statement", detail)
				}
			}
		})
	}

	// gatehouse explain --request-id: the recorded refusal and its fix.
	if outsideID == "" {
		t.Fatal("no refused request recorded")
	}
	_, stdout, stderr := explainCLI(t, env, "--request-id", outsideID, "--json")
	var out explainJSON
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("explain: not JSON: %v\n%s\n%s", err, stdout, stderr)
	}
	if out.Request == nil || out.Request.Reason != "RESOURCE_POLICY_NOT_ALLOWED" || out.Request.Status != 403 {
		t.Fatalf("explain --request-id: recorded %+v\n%s", out.Request, stdout)
	}

	// Write-time refusals name the field, and change nothing.
	bad := []struct{ policy, want string }{
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}]}`,
			`Invalid policy document: policy.Statement[0].Condition: the operator "DateGreaterThan" is not supported by Gatehouse`},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"execute-api:Invoke","Resource":"*"}]}`,
			`Invalid policy document: policy.Statement[0].Principal: {"AWS":"arn:aws:iam::111122223333:root"} is not supported by Gatehouse`},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"300.1.1.1"}}}]}`,
			`Invalid policy document: policy.Statement[0].Condition.IpAddress.aws:SourceIp: "300.1.1.1" is not an IP address or CIDR block`},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"*"}]}`,
			`Invalid policy document: policy.Statement[0].Action: "lambda:InvokeFunction" does not cover execute-api:Invoke`},
	}
	for _, b := range bad {
		_, err := env.Client.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("bad"), Policy: aws.String(b.policy)})
		if apitest.ErrorCode(err) != "BadRequestException" || !strings.HasPrefix(apitest.ErrorMessage(err), b.want) {
			t.Errorf("CreateRestApi: %v, want BadRequestException %q", err, b.want)
		}
		_, err = env.Client.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: &apiID, PatchOperations: []types.PatchOperation{
			{Op: types.OpReplace, Path: aws.String("/name"), Value: aws.String("renamed")},
			{Op: types.OpReplace, Path: aws.String("/policy"), Value: aws.String(b.policy)}}})
		if apitest.ErrorCode(err) != "BadRequestException" || !strings.HasPrefix(apitest.ErrorMessage(err), b.want) {
			t.Errorf("UpdateRestApi: %v, want BadRequestException %q", err, b.want)
		}
	}
	got, err := env.Client.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: &apiID})
	if err != nil || aws.ToString(got.Name) != "policed" || aws.ToString(got.Policy) != aws.ToString(api.Policy) {
		t.Fatalf("after refused updates: %v name %q policy %s", err, aws.ToString(got.Name), aws.ToString(got.Policy))
	}

	// A changed policy applies once deployed: open the API to everyone.
	open := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:*:` + apiID + `/*"}]}`
	if _, err := env.Client.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: &apiID, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/policy"), Value: aws.String(open)}}}); err != nil {
		t.Fatalf("UpdateRestApi: %v", err)
	}
	outside := map[string]string{"X-Forwarded-For": "203.0.113.9"}
	wantAnswer(t, env, f.call("GET", "prod", "/pets", outside), 403, notAllowed, "RESOURCE_POLICY_NOT_ALLOWED")
	f.deploy("prod")
	wantAnswer(t, env, f.call("GET", "prod", "/pets", outside), 200, `{"pets":[]}`, "OK")
	wantAnswer(t, env, f.call("GET", "prod", "/admin", outside), 200, `{"admin":true}`, "OK")
}

// TestResourcePolicyWithLambdaAuthorizer: a resource policy combined with
// a real Lambda authorizer (aws-lambda-go under the Runtime Interface
// Emulator) by AWS's table: the authorizer's Allow admits a caller the
// policy is silent about; the policy's Allow admits a caller whose cached
// authorizer policy is silent about the path; an authorizer's Deny
// refuses whatever the policy allows; a policy Deny refuses whatever the
// authorizer allows.
func TestResourcePolicyWithLambdaAuthorizer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the Lambda Runtime Interface Emulator")
	}
	endpoint := lambdatest.Start(t, lambdatest.Handler("authorizer"))
	env := apitest.Start(t, apitest.Options{LambdaEndpoint: endpoint, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	f := newFixture(t, env, "PolicedAndAuthorized")
	policy := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"partners","Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*","Condition":{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}},` +
		`{"Sid":"noadmin","Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*/*/admin"}]}`
	if _, err := f.c.UpdateRestApi(context.Background(), &apigateway.UpdateRestApiInput{RestApiId: &f.apiID, PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/policy"), Value: aws.String(policy)}}}); err != nil {
		t.Fatalf("UpdateRestApi: %v", err)
	}
	cached := f.authorizer(types.AuthorizerTypeToken, "method.request.header.Authorization", 300)
	for _, p := range []string{"/a", "/b", "/admin"} {
		f.customMethod("GET", p, cached, false, "", nil)
	}
	f.deploy("api")

	const (
		partner  = "192.0.2.5"
		outsider = "203.0.113.9"
	)
	arn := "arn:aws:execute-api:" + apigw.DefaultRegion + ":" + apigw.DefaultAccountID + ":" + f.apiID + "/api/GET/"
	for _, tc := range []struct {
		name, token, path, from string
		status                  int
		body, reason            string
	}{
		{"authorizer Allow, policy silent", "scoped", "/a", outsider, 200, `{"ok":true}`, "OK"},
		{"cached authorizer policy silent, policy silent", "scoped", "/b", outsider, 403, `{"Message":"User is not authorized to access this resource"}`, "AUTHORIZER_NOT_ALLOWED"},
		{"cached authorizer policy silent, policy Allow", "scoped", "/b", partner, 200, `{"ok":true}`, "OK"},
		{"authorizer Deny, policy Allow", "deny", "/a", partner, 403, `{"Message":"User is not authorized to access this resource with an explicit deny"}`, "AUTHORIZER_DENIED"},
		{"authorizer Allow, policy Deny", "allow", "/admin", partner, 403, `{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: ` + arn + `admin with an explicit deny"}`, "RESOURCE_POLICY_DENIED"},
	} {
		a := f.call("GET", "api", tc.path, map[string]string{"Authorization": tc.token, "X-Forwarded-For": tc.from})
		wantAnswer(t, env, a, tc.status, tc.body, tc.reason)
	}
}
