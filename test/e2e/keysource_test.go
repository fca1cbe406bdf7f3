package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/google/go-cmp/cmp"
)

func apiARN(apiID string) *string {
	return aws.String("arn:aws:apigateway:us-east-1::/restapis/" + apiID)
}

// TestQueryStringKeyReport reproduces the user report: a client that can
// only put its key in the URL (GET /x?apiKey=KEY) is accepted once the API
// is tagged gatehouse:apiKeyQuery=apiKey, with no authorizer; GetUsage
// counts the key; the access log names the query source, marks it
// deprecated and holds no key value; the upstream never sees the key.
func TestQueryStringKeyReport(t *testing.T) {
	var (
		mu       sync.Mutex
		upstream []string // the raw queries the upstream got
	)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		upstream = append(upstream, r.URL.RawQuery)
		mu.Unlock()
		w.Write([]byte(`{"up":true}`))
	}))
	t.Cleanup(up.Close)
	clock := apitest.NewClock(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	env := apitest.Start(t, apitest.Options{Now: clock.Now})
	ctx := context.Background()
	f := newFixture(t, env, "QueryKeys")
	f.httpProxy("GET", "/x", true, up.URL+"/x", 0)
	f.deploy("api")
	keyID, value := f.key("mobile", true)
	plan := f.plan("api", nil, &types.QuotaSettings{Limit: 100, Period: types.QuotaPeriodTypeMonth}, keyID)
	get := func() answer {
		return do(t, "GET", env.DataURL+"/restapis/"+f.apiID+"/api/_user_request_/x?page=2&apiKey="+url.QueryEscape(value), nil)
	}

	// As on AWS, a key in the query string is refused; the detail names the tag.
	a := get()
	wantAnswer(t, env, a, 403, `{"message":"Forbidden"}`, "KEY_IN_QUERY_STRING")
	if d := env.Access.Access(a.requestID)["detail"].(string); !strings.Contains(d, "gatehouse:apiKeyQuery=apiKey") {
		t.Fatalf("detail %q does not name the tag to set", d)
	}

	// Tagged: accepted on the next request, no deployment needed.
	if _, err := f.c.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: apiARN(f.apiID), Tags: map[string]string{"gatehouse:apiKeyQuery": "apiKey"}}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		a = get()
		wantAnswer(t, env, a, 200, `{"up":true}`, "OK")
	}
	line := env.Access.Access(a.requestID)
	if line["keySource"] != "query" || line["deprecated"] != "KEY_IN_QUERY_STRING" || line["apiKeyId"] != keyID {
		t.Fatalf("access log line %v: want keySource query, deprecated KEY_IN_QUERY_STRING, apiKeyId %s", line, keyID)
	}
	if strings.Contains(env.Access.String(), value) || strings.Contains(env.Access.String(), url.QueryEscape(value)) {
		t.Fatal("the access log holds the key value")
	}
	mu.Lock()
	if want := []string{"page=2", "page=2", "page=2"}; !cmp.Equal(upstream, want) {
		t.Fatalf("the upstream got queries %q, want %q", upstream, want)
	}
	mu.Unlock()

	// GetUsage counts the admitted requests, and only those.
	u, err := env.Client.GetUsage(ctx, &apigateway.GetUsageInput{UsagePlanId: &plan, StartDate: aws.String("2026-11-22"), EndDate: aws.String("2026-11-22")})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string][][]int64{keyID: {{3, 97}}}; !cmp.Equal(u.Items, want) {
		t.Fatalf("GetUsage = %v, want %v", u.Items, want)
	}

	// Untagged: refused again on the next request.
	if _, err := f.c.UntagResource(ctx, &apigateway.UntagResourceInput{ResourceArn: apiARN(f.apiID), TagKeys: []string{"gatehouse:apiKeyQuery"}}); err != nil {
		t.Fatal(err)
	}
	wantAnswer(t, env, get(), 403, `{"message":"Forbidden"}`, "KEY_IN_QUERY_STRING")
}

// TestKeySourceTagsOverTheSDK: the three tags, set at CreateRestApi or by
// TagResource, take effect on the next request; bad values and the wrong
// resource are refused with a message naming the tag, the value and the
// rule, and change nothing.
func TestKeySourceTagsOverTheSDK(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	api, err := env.Client.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("Tagged"),
		Tags: map[string]string{"gatehouse:apiKeyHeader": "x-client-key"}})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, env: env, c: env.Client, apiID: aws.ToString(api.Id), rootID: aws.ToString(api.RootResourceId), res: map[string]string{"/": aws.ToString(api.RootResourceId)}}
	f.mock("GET", "/k", true, 200, `{"ok":true}`)
	f.deploy("api")
	keyID, value := f.key("k", true)
	f.plan("api", nil, nil, keyID)

	wantAnswer(t, env, f.call("GET", "api", "/k", map[string]string{"x-client-key": value}), 200, `{"ok":true}`, "OK")
	wantAnswer(t, env, f.call("GET", "api", "/k", map[string]string{"Authorization": "Bearer " + value}), 403, "", "KEY_IN_OTHER_HEADER")
	if _, err := f.c.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: apiARN(f.apiID), Tags: map[string]string{"gatehouse:apiKeyBearer": "true"}}); err != nil {
		t.Fatal(err)
	}
	a := f.call("GET", "api", "/k", map[string]string{"Authorization": "Bearer " + value})
	wantAnswer(t, env, a, 200, `{"ok":true}`, "OK")
	if src := env.Access.Access(a.requestID)["keySource"]; src != "bearer" {
		t.Fatalf("keySource %v, want bearer", src)
	}

	refusals := []struct {
		name string
		call func() error
		msg  string
	}{
		{"reserved header name", func() error {
			_, err := f.c.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: apiARN(f.apiID), Tags: map[string]string{"gatehouse:apiKeyHeader": "Content-Length"}})
			return err
		}, `Invalid value "Content-Length" for tag "gatehouse:apiKeyHeader": header name "Content-Length" is reserved`},
		{"not a header name", func() error {
			_, err := f.c.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: apiARN(f.apiID), Tags: map[string]string{"gatehouse:apiKeyHeader": "my key"}})
			return err
		}, `Invalid value "my key" for tag "gatehouse:apiKeyHeader": "my key" is not an HTTP header name`},
		{"bad query name", func() error {
			_, err := f.c.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: apiARN(f.apiID), Tags: map[string]string{"gatehouse:apiKeyQuery": "api&key"}})
			return err
		}, `Invalid value "api&key" for tag "gatehouse:apiKeyQuery": query parameter name "api&key" has "&"`},
		{"bearer not a boolean", func() error {
			_, err := f.c.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: apiARN(f.apiID), Tags: map[string]string{"gatehouse:apiKeyBearer": "yes"}})
			return err
		}, `Invalid value "yes" for tag "gatehouse:apiKeyBearer": "yes" is neither true nor false`},
		{"on a stage", func() error {
			_, err := f.c.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: aws.String(aws.ToString(apiARN(f.apiID)) + "/stages/api"), Tags: map[string]string{"gatehouse:apiKeyQuery": "apiKey"}})
			return err
		}, `Invalid tag "gatehouse:apiKeyQuery" here: it can be set on a RestApi only`},
		{"at CreateRestApi", func() error {
			_, err := f.c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("Bad"), Tags: map[string]string{"gatehouse:apiKeyHeader": "a,b,c,d,e,f"}})
			return err
		}, `Invalid value "a,b,c,d,e,f" for tag "gatehouse:apiKeyHeader": 6 header names in "a,b,c,d,e,f", at most 5 are allowed`},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			err := r.call()
			apitest.WantError(t, err, "BadRequestException", "")
			if msg := apitest.ErrorMessage(err); !strings.HasPrefix(msg, r.msg) {
				t.Fatalf("message %q, want it to start with %q", msg, r.msg)
			}
		})
	}
	// The refused writes changed nothing.
	tags, err := f.c.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: apiARN(f.apiID)})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"gatehouse:apiKeyHeader": "x-client-key", "gatehouse:apiKeyBearer": "true"}; !cmp.Equal(tags.Tags, want) {
		t.Fatalf("tags %v, want %v", tags.Tags, want)
	}
	apis, err := f.c.GetRestApis(ctx, &apigateway.GetRestApisInput{})
	if err != nil || len(apis.Items) != 1 {
		t.Fatalf("GetRestApis: %d APIs, %v; want the one", len(apis.Items), err)
	}
	wantAnswer(t, env, f.call("GET", "api", "/k", map[string]string{"x-client-key": value}), 200, `{"ok":true}`, "OK")
}
