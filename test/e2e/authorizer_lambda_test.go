package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/gatehouse-dev/gatehouse/internal/lambda/lambdatest"
	"github.com/google/go-cmp/cmp"
)

func TestMain(m *testing.M) { os.Exit(lambdatest.Main(m)) }

// authorizer creates an authorizer of f's API whose function is the one the
// emulator serves, and returns its id.
func (f *fixture) authorizer(typ types.AuthorizerType, identitySource string, ttl int32) string {
	f.t.Helper()
	a, err := f.c.CreateAuthorizer(context.Background(), &apigateway.CreateAuthorizerInput{
		RestApiId: &f.apiID, Name: aws.String(string(typ) + "-auth"), Type: typ,
		AuthorizerUri: aws.String(lambdatest.URI), IdentitySource: &identitySource,
		AuthorizerResultTtlInSeconds: &ttl,
	})
	if err != nil {
		f.t.Fatalf("CreateAuthorizer: %v", err)
	}
	return aws.ToString(a.Id)
}

// customMethod puts METHOD path behind authorizer authID, as a MOCK
// answering 200 or, with uri, an HTTP_PROXY to it with params as its
// integration request parameters.
func (f *fixture) customMethod(method, path, authID string, keyRequired bool, uri string, params map[string]string) {
	f.t.Helper()
	ctx := context.Background()
	rid := f.resource(path)
	if _, err := f.c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: &f.apiID, ResourceId: &rid, HttpMethod: &method,
		AuthorizationType: aws.String("CUSTOM"), AuthorizerId: &authID, ApiKeyRequired: keyRequired}); err != nil {
		f.t.Fatalf("PutMethod: %v", err)
	}
	if uri == "" {
		if _, err := f.c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &f.apiID, ResourceId: &rid, HttpMethod: &method, Type: types.IntegrationTypeMock,
			RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}}); err != nil {
			f.t.Fatalf("PutIntegration: %v", err)
		}
		if _, err := f.c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: &f.apiID, ResourceId: &rid, HttpMethod: &method,
			StatusCode: aws.String("200"), ResponseTemplates: map[string]string{"application/json": `{"ok":true}`}}); err != nil {
			f.t.Fatalf("PutIntegrationResponse: %v", err)
		}
		return
	}
	if _, err := f.c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &f.apiID, ResourceId: &rid, HttpMethod: &method, Type: types.IntegrationTypeHttpProxy,
		IntegrationHttpMethod: aws.String("GET"), Uri: &uri, RequestParameters: params}); err != nil {
		f.t.Fatalf("PutIntegration: %v", err)
	}
}

// TestAuthorizersWithRealFunctions runs a Lambda authorizer written with
// aws-lambda-go under the Lambda Runtime Interface Emulator, reached
// through --lambda-endpoint, configured over the AWS SDK: every outcome,
// the cached policy scoped to one path and its expiry, the context
// reaching the upstream, and the query-string report through a REQUEST
// authorizer with apiKeySource AUTHORIZER.
func TestAuthorizersWithRealFunctions(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the Lambda Runtime Interface Emulator")
	}
	endpoint := lambdatest.Start(t, lambdatest.Handler("authorizer"))
	clock := apitest.NewClock(time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC))
	env := apitest.Start(t, apitest.Options{Now: clock.Now, LambdaEndpoint: endpoint})
	ctx := context.Background()

	var (
		mu   sync.Mutex
		seen []http.Header // what the upstream got
	)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Clone())
		mu.Unlock()
		w.Write([]byte(`{"up":true}`))
	}))
	t.Cleanup(up.Close)

	f := newFixture(t, env, "Authorized")
	tok := f.authorizer(types.AuthorizerTypeToken, "method.request.header.Authorization", 0)
	cached := f.authorizer(types.AuthorizerTypeToken, "method.request.header.Authorization", 300)
	f.customMethod("GET", "/pets", tok, false, up.URL+"/pets", map[string]string{
		"integration.request.header.X-Principal": "context.authorizer.principalId",
		"integration.request.header.X-Tier":      "context.authorizer.tier",
	})
	f.customMethod("GET", "/cached/a", cached, false, "", nil)
	f.customMethod("GET", "/cached/b", cached, false, "", nil)
	f.deploy("api")

	const (
		denied    = `{"Message":"User is not authorized to access this resource with an explicit deny"}`
		notAllowd = `{"Message":"User is not authorized to access this resource"}`
	)
	for _, tc := range []struct {
		token  string // "" sends no Authorization header
		status int
		body   string
		reason string
	}{
		{"allow", 200, `{"up":true}`, "OK"},
		{"deny", 403, denied, "AUTHORIZER_DENIED"},
		{"unauthorized", 401, `{"message":"Unauthorized"}`, "AUTHORIZER_UNAUTHORIZED"},
		{"error", 500, `{"message":null}`, "AUTHORIZER_ERROR"},
		{"noprincipal", 500, `{"message":null}`, "AUTHORIZER_REPLY_INVALID"},
		{"", 401, `{"message":"Unauthorized"}`, "AUTHORIZER_IDENTITY_MISSING"},
	} {
		t.Run("token "+tc.token, func(t *testing.T) {
			hdr := map[string]string{}
			if tc.token != "" {
				hdr["Authorization"] = tc.token
			}
			a := f.call("GET", "api", "/pets", hdr)
			wantAnswer(t, env, a, tc.status, tc.body, tc.reason)
			if tc.status == 403 && a.header.Get("x-amzn-ErrorType") != "AccessDeniedException" {
				t.Errorf("x-amzn-ErrorType %q, want AccessDeniedException", a.header.Get("x-amzn-ErrorType"))
			}
		})
	}
	mu.Lock()
	if len(seen) != 1 || seen[0].Get("X-Principal") != "user-1" || seen[0].Get("X-Tier") != "gold" || seen[0].Get("Authorization") != "allow" {
		t.Errorf("the upstream was called %d times; first with X-Principal %q, X-Tier %q: want once, user-1, gold (the authorizer's principalId and context)",
			len(seen), seen[0].Get("X-Principal"), seen[0].Get("X-Tier"))
	}
	mu.Unlock()

	// AWS's blueprint allows event.methodArn only: with caching on, the
	// policy cached for /cached/a refuses /cached/b until it expires.
	scoped := map[string]string{"Authorization": "scoped"}
	wantAnswer(t, env, f.call("GET", "api", "/cached/a", scoped), 200, `{"ok":true}`, "OK")
	b := f.call("GET", "api", "/cached/b", scoped)
	wantAnswer(t, env, b, 403, notAllowd, "AUTHORIZER_NOT_ALLOWED")
	if d, _ := env.Access.Access(b.requestID)["detail"].(string); !strings.Contains(d, "cached") {
		t.Errorf("detail %q does not say the policy was a cached one", d)
	}
	clock.Advance(301 * time.Second)
	wantAnswer(t, env, f.call("GET", "api", "/cached/b", scoped), 200, `{"ok":true}`, "OK")

	// The query-string report: GET /x?apiKey=KEY through a REQUEST
	// authorizer that returns the parameter as usageIdentifierKey.
	api, err := env.Client.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("QueryViaAuthorizer"), ApiKeySource: types.ApiKeySourceTypeAuthorizer})
	if err != nil {
		t.Fatal(err)
	}
	q := &fixture{t: t, env: env, c: env.Client, apiID: aws.ToString(api.Id), rootID: aws.ToString(api.RootResourceId), res: map[string]string{"/": aws.ToString(api.RootResourceId)}}
	req := q.authorizer(types.AuthorizerTypeRequest, "method.request.querystring.apiKey", 300)
	q.customMethod("GET", "/x", req, true, "", nil)
	q.deploy("api")
	keyID, value := q.key("legacy-client", true)
	plan := q.plan("api", nil, &types.QuotaSettings{Limit: 100, Period: types.QuotaPeriodTypeMonth}, keyID)
	for range 3 {
		wantAnswer(t, env, q.call("GET", "api", "/x?apiKey="+url.QueryEscape(value), nil), 200, `{"ok":true}`, "OK")
	}
	wantAnswer(t, env, q.call("GET", "api", "/x?apiKey=not-a-key-0123456789", nil), 403, `{"message":"Forbidden"}`, "KEY_FROM_AUTHORIZER_NOT_FOUND")
	wantAnswer(t, env, q.call("GET", "api", "/x", nil), 401, `{"message":"Unauthorized"}`, "AUTHORIZER_IDENTITY_MISSING")
	day := clock.Now().Format("2006-01-02")
	u, err := env.Client.GetUsage(ctx, &apigateway.GetUsageInput{UsagePlanId: &plan, StartDate: &day, EndDate: &day})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string][][]int64{keyID: {{3, 97}}}; !cmp.Equal(u.Items, want) {
		t.Fatalf("GetUsage = %v, want %v (the three admitted requests)", u.Items, want)
	}
}
