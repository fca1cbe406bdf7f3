package e2e

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
)

// fixture is an API built through the SDK, as a user would.
type fixture struct {
	t      *testing.T
	env    *apitest.Env
	c      *apigateway.Client
	apiID  string
	rootID string
	res    map[string]string // path -> resource id
}

func newFixture(t *testing.T, env *apitest.Env, name string) *fixture {
	t.Helper()
	api, err := env.Client.CreateRestApi(context.Background(), &apigateway.CreateRestApiInput{Name: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateRestApi: %v", err)
	}
	return &fixture{t: t, env: env, c: env.Client, apiID: aws.ToString(api.Id), rootID: aws.ToString(api.RootResourceId), res: map[string]string{"/": aws.ToString(api.RootResourceId)}}
}

// resource creates (or finds) the resource at path, creating parents.
func (f *fixture) resource(path string) string {
	f.t.Helper()
	if id, ok := f.res[path]; ok {
		return id
	}
	i := strings.LastIndex(path, "/")
	parent := path[:i]
	if parent == "" {
		parent = "/"
	}
	pid := f.resource(parent)
	r, err := f.c.CreateResource(context.Background(), &apigateway.CreateResourceInput{RestApiId: &f.apiID, ParentId: &pid, PathPart: aws.String(path[i+1:])})
	if err != nil {
		f.t.Fatalf("CreateResource %s: %v", path, err)
	}
	f.res[path] = aws.ToString(r.Id)
	return f.res[path]
}

// mock puts METHOD path as a MOCK answering status with body.
func (f *fixture) mock(method, path string, keyRequired bool, status int, body string) {
	f.t.Helper()
	ctx := context.Background()
	rid := f.resource(path)
	if _, err := f.c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: &f.apiID, ResourceId: &rid, HttpMethod: &method, AuthorizationType: aws.String("NONE"), ApiKeyRequired: keyRequired}); err != nil {
		f.t.Fatalf("PutMethod: %v", err)
	}
	code := aws.String(strconv.Itoa(status))
	if _, err := f.c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &f.apiID, ResourceId: &rid, HttpMethod: &method, Type: types.IntegrationTypeMock,
		RequestTemplates: map[string]string{"application/json": `{"statusCode": ` + *code + `}`}}); err != nil {
		f.t.Fatalf("PutIntegration: %v", err)
	}
	if _, err := f.c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: &f.apiID, ResourceId: &rid, HttpMethod: &method,
		StatusCode: code, ResponseTemplates: map[string]string{"application/json": body}}); err != nil {
		f.t.Fatalf("PutIntegrationResponse: %v", err)
	}
}

// httpProxy puts METHOD path as an HTTP_PROXY to uri.
func (f *fixture) httpProxy(method, path string, keyRequired bool, uri string, timeoutMs int32) {
	f.t.Helper()
	ctx := context.Background()
	rid := f.resource(path)
	if _, err := f.c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: &f.apiID, ResourceId: &rid, HttpMethod: &method, AuthorizationType: aws.String("NONE"), ApiKeyRequired: keyRequired}); err != nil {
		f.t.Fatalf("PutMethod: %v", err)
	}
	in := &apigateway.PutIntegrationInput{RestApiId: &f.apiID, ResourceId: &rid, HttpMethod: &method, Type: types.IntegrationTypeHttpProxy,
		IntegrationHttpMethod: aws.String("ANY"), Uri: &uri}
	if timeoutMs > 0 {
		in.TimeoutInMillis = &timeoutMs
	}
	if _, err := f.c.PutIntegration(ctx, in); err != nil {
		f.t.Fatalf("PutIntegration: %v", err)
	}
}

func (f *fixture) deploy(stage string) {
	f.t.Helper()
	if _, err := f.c.CreateDeployment(context.Background(), &apigateway.CreateDeploymentInput{RestApiId: &f.apiID, StageName: &stage}); err != nil {
		f.t.Fatalf("CreateDeployment: %v", err)
	}
}

// key creates an API key and returns its id and value.
func (f *fixture) key(name string, enabled bool) (id, value string) {
	f.t.Helper()
	k, err := f.c.CreateApiKey(context.Background(), &apigateway.CreateApiKeyInput{Name: &name, Enabled: enabled})
	if err != nil {
		f.t.Fatalf("CreateApiKey: %v", err)
	}
	return aws.ToString(k.Id), aws.ToString(k.Value)
}

// plan creates a usage plan on stage with the given limits and keys.
func (f *fixture) plan(stage string, throttle *types.ThrottleSettings, quota *types.QuotaSettings, keyIDs ...string) string {
	f.t.Helper()
	ctx := context.Background()
	p, err := f.c.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("plan-" + stage),
		ApiStages: []types.ApiStage{{ApiId: &f.apiID, Stage: &stage}}, Throttle: throttle, Quota: quota})
	if err != nil {
		f.t.Fatalf("CreateUsagePlan: %v", err)
	}
	for _, k := range keyIDs {
		if _, err := f.c.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: p.Id, KeyId: aws.String(k), KeyType: aws.String("API_KEY")}); err != nil {
			f.t.Fatalf("CreateUsagePlanKey: %v", err)
		}
	}
	return aws.ToString(p.Id)
}

// answer is one data plane response.
type answer struct {
	status    int
	body      string
	header    http.Header
	requestID string
}

// call sends method to /restapis/{api}/{stage}/_user_request_{path} with headers.
func (f *fixture) call(method, stage, path string, hdr map[string]string) answer {
	f.t.Helper()
	return do(f.t, method, f.env.DataURL+"/restapis/"+f.apiID+"/"+stage+"/_user_request_"+path, hdr)
}

func do(t *testing.T, method, url string, hdr map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if strings.EqualFold(k, "host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: resp.StatusCode, body: string(b), header: resp.Header, requestID: resp.Header.Get("x-amzn-RequestId")}
}

// wantAnswer checks status and body, and that the access log line of the
// request carries reason.
func wantAnswer(t *testing.T, env *apitest.Env, a answer, status int, body string, reason string) {
	t.Helper()
	if a.status != status || (body != "" && a.body != body) {
		t.Fatalf("answer %d %s, want %d %s", a.status, a.body, status, body)
	}
	if a.requestID == "" {
		t.Fatal("no x-amzn-RequestId header")
	}
	line := env.Access.Access(a.requestID)
	if line == nil {
		t.Fatalf("no access log line for request %s:\n%s", a.requestID, env.Access.String())
	}
	if line["reason"] != reason {
		t.Fatalf("access log reason = %v (detail %v), want %s", line["reason"], line["detail"], reason)
	}
	if reason != "OK" && line["detail"] == "" {
		t.Fatalf("refusal %s logged without a detail", reason)
	}
}
