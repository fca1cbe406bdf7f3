package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/lambda"
	"github.com/gatehouse-dev/gatehouse/internal/lambda/lambdatest"
)

func TestMain(m *testing.M) { os.Exit(lambdatest.Main(m)) }

// rieEnv is a gateway whose functions run under the Runtime Interface
// Emulator with a shipped aws-lambda-go handler; API "fn00000001", stage
// "api", with methods calling that function.
func rieEnv(t *testing.T, handler string, d apiDef, env ...string) *gwEnv {
	t.Helper()
	endpoint := lambdatest.Start(t, lambdatest.Handler(handler), env...)
	c, err := lambda.New(lambda.Options{Endpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	e := newGWEnv(t, gwOptions{functions: c})
	d.id = "fn00000001"
	e.addAPI(d)
	return e
}

func awsProxy(timeoutMs int) *apigw.Integration {
	return &apigw.Integration{Type: apigw.IntegrationAWSProxy, HTTPMethod: "POST", URI: lambdatest.URI, TimeoutInMillis: timeoutMs}
}

// TestLambdaProxyEmulator runs AWS_PROXY methods against real aws-lambda-go
// functions under the Runtime Interface Emulator. (One emulator runs one
// invocation at a time: each subtest calls its own in sequence.)
func TestLambdaProxyEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the Lambda Runtime Interface Emulator")
	}
	t.Parallel()

	t.Run("the event", func(t *testing.T) {
		t.Parallel()
		e := rieEnv(t, "echo", apiDef{
			methods: map[string]*apigw.Method{
				"GET /pets/{id}": {APIKeyRequired: true, Integration: awsProxy(0)},
				"POST /upload":   {Integration: awsProxy(0)},
			},
			binary:    []string{"image/png"},
			stageVars: map[string]string{"color": "blue"},
		})
		e.addPlan(&apigw.UsagePlan{ID: "plan01", Name: "p", APIStages: []apigw.APIStage{{APIID: "fn00000001", Stage: "api"}}})
		key := e.addKey("k-fn000001", true, "plan01")

		r := e.do(newReq(t, "GET", e.url("fn00000001", "/pets/7")+"?a=1&a=2&b=x", nil,
			"x-api-key", key, "X-Custom", "hello", "User-Agent", "pets-client/1"))
		if r.status != 200 || r.reason() != string(ReasonOK) || r.header.Get("X-Echo") != "1" {
			t.Fatalf("%d %s (%s %v)", r.status, r.body, r.reason(), r.line["detail"])
		}
		var ev events.APIGatewayProxyRequest
		if err := json.Unmarshal([]byte(r.body), &ev); err != nil {
			t.Fatalf("the function got %s: %v", r.body, err)
		}
		rc := ev.RequestContext
		checks := []struct {
			what      string
			got, want any
		}{
			{"resource", ev.Resource, "/pets/{id}"},
			{"path", ev.Path, "/pets/7"},
			{"httpMethod", ev.HTTPMethod, "GET"},
			{"pathParameters", ev.PathParameters, map[string]string{"id": "7"}},
			{"queryStringParameters", ev.QueryStringParameters, map[string]string{"a": "2", "b": "x"}},
			{"multiValueQueryStringParameters", ev.MultiValueQueryStringParameters, map[string][]string{"a": {"1", "2"}, "b": {"x"}}},
			{"headers X-Custom", ev.Headers["X-Custom"], "hello"},
			{"multiValueHeaders X-Custom", ev.MultiValueHeaders["X-Custom"], []string{"hello"}},
			{"stageVariables", ev.StageVariables, map[string]string{"color": "blue"}},
			{"body", ev.Body, ""},
			{"isBase64Encoded", ev.IsBase64Encoded, false},
			{"requestContext.stage", rc.Stage, "api"},
			{"requestContext.apiId", rc.APIID, "fn00000001"},
			{"requestContext.accountId", rc.AccountID, "123456789012"},
			{"requestContext.requestId", rc.RequestID, r.header.Get("X-Amzn-Requestid")},
			{"requestContext.resourcePath", rc.ResourcePath, "/pets/{id}"},
			{"requestContext.path", rc.Path, "/api/pets/7"},
			{"requestContext.httpMethod", rc.HTTPMethod, "GET"},
			{"requestContext.requestTimeEpoch", rc.RequestTimeEpoch, e.now.UnixMilli()},
			{"requestContext.requestTime", rc.RequestTime, "22/Nov/2026:12:00:00 +0000"},
			{"requestContext.identity.apiKeyId", rc.Identity.APIKeyID, "k-fn000001"},
			{"requestContext.identity.apiKey", rc.Identity.APIKey, key},
			{"requestContext.identity.sourceIp", rc.Identity.SourceIP, "127.0.0.1"},
			{"requestContext.identity.userAgent", rc.Identity.UserAgent, "pets-client/1"},
			{"requestContext.authorizer", rc.Authorizer == nil, true},
		}
		for _, c := range checks {
			if !jsonEqual(c.got, c.want) {
				t.Errorf("%s = %#v, want %#v", c.what, c.got, c.want)
			}
		}
		if rc.RequestID == "" {
			t.Error("no request id")
		}

		// A key taken from a gatehouse:apiKey* source never reaches the
		// function (identity.apiKey carries it, as on AWS).
		e.tagAPI("fn00000001", map[string]string{"gatehouse:apiKeyQuery": "apiKey", "gatehouse:apiKeyHeader": "x-client-key"})
		for _, req := range []*http.Request{
			newReq(t, "GET", e.url("fn00000001", "/pets/7")+"?b=x&apiKey="+key, nil),
			newReq(t, "GET", e.url("fn00000001", "/pets/7")+"?b=x", nil, "X-Client-Key", key),
		} {
			r := e.do(req)
			ev := events.APIGatewayProxyRequest{}
			if err := json.Unmarshal([]byte(r.body), &ev); err != nil || r.status != 200 {
				t.Fatalf("%d %s: %v", r.status, r.body, err)
			}
			if strings.Contains(strings.ReplaceAll(r.body, `"apiKey":"`+key, ""), key) || !jsonEqual(ev.QueryStringParameters, map[string]string{"b": "x"}) {
				t.Errorf("the function got the key outside identity.apiKey: %s", r.body)
			}
			if ev.RequestContext.Identity.APIKey != key {
				t.Errorf("identity.apiKey %q, want the key", ev.RequestContext.Identity.APIKey)
			}
		}

		// A binary body (Content-Type in binaryMediaTypes) is base64.
		png := []byte{0x89, 'P', 'N', 'G', 0, 1, 2, 0xff}
		r = e.do(newReq(t, "POST", e.url("fn00000001", "/upload"), bytes.NewReader(png), "Content-Type", "image/png"))
		ev = events.APIGatewayProxyRequest{}
		if err := json.Unmarshal([]byte(r.body), &ev); err != nil || r.status != 200 {
			t.Fatalf("%d %s: %v", r.status, r.body, err)
		}
		if !ev.IsBase64Encoded || ev.Body != base64.StdEncoding.EncodeToString(png) || ev.PathParameters != nil {
			t.Fatalf("binary body: isBase64Encoded %v body %q pathParameters %v", ev.IsBase64Encoded, ev.Body, ev.PathParameters)
		}
		if ev.RequestContext.Identity.APIKeyID != "" || ev.RequestContext.Identity.APIKey != "" {
			t.Fatalf("a method without a key got identity.apiKeyId %q", ev.RequestContext.Identity.APIKeyID)
		}
		// A text body is sent as is.
		r = e.do(newReq(t, "POST", e.url("fn00000001", "/upload"), strings.NewReader(`{"name":"rex"}`), "Content-Type", "application/json"))
		ev = events.APIGatewayProxyRequest{}
		if err := json.Unmarshal([]byte(r.body), &ev); err != nil || ev.IsBase64Encoded || ev.Body != `{"name":"rex"}` {
			t.Fatalf("text body: %s %v", r.body, err)
		}
	})

	t.Run("proxy responses", func(t *testing.T) {
		t.Parallel()
		// The respond function answers the request's body, verbatim.
		e := rieEnv(t, "respond", apiDef{methods: map[string]*apigw.Method{"POST /r": {Integration: awsProxy(0)}}, binary: []string{"image/png"}})
		tests := []struct {
			name, answer, accept string
			status               int
			body                 string
			header               map[string][]string
			reason               Reason
		}{
			{name: "statusCode string, headers merged, base64 decoded",
				answer: `{"statusCode":"201","headers":{"x-dup":"solo","Content-Type":"image/png","Server":"fn"},"multiValueHeaders":{"X-Dup":["multi"]},"body":"aGk=","isBase64Encoded":true}`,
				accept: "image/png", status: 201, body: "hi",
				header: map[string][]string{"X-Dup": {"multi", "solo"}, "Content-Type": {"image/png"}, "X-Amzn-Remapped-Server": {"fn"}}, reason: ReasonOK},
			{name: "base64 kept without a binary Accept", answer: `{"body":"aGk=","isBase64Encoded":true}`, accept: "application/json",
				status: 200, body: "aGk=", header: map[string][]string{"Content-Type": {"application/json"}}, reason: ReasonOK},
			{name: "unknown key", answer: `{"statusCode":200,"extra":1}`, status: 502, body: `{"message":"Internal server error"}`, reason: ReasonFunctionMalformed},
			{name: "not JSON", answer: `hello`, status: 502, body: `{"message":"Internal server error"}`, reason: ReasonFunctionMalformed},
			{name: "statusCode not numeric", answer: `{"statusCode":"abc"}`, status: 502, body: `{"message":"Internal server error"}`, reason: ReasonFunctionMalformed},
		}
		for _, tt := range tests {
			r := e.do(newReq(t, "POST", e.url("fn00000001", "/r"), strings.NewReader(tt.answer), "Accept", tt.accept))
			if r.status != tt.status || r.body != tt.body || r.reason() != string(tt.reason) {
				t.Errorf("%s: %d %q (%s: %v), want %d %q %s", tt.name, r.status, r.body, r.reason(), r.line["detail"], tt.status, tt.body, tt.reason)
				continue
			}
			for k, want := range tt.header {
				if got := r.header.Values(k); !jsonEqual(got, want) {
					t.Errorf("%s: header %s = %q, want %q", tt.name, k, got, want)
				}
			}
			if tt.reason != ReasonOK && !strings.Contains(r.line["detail"].(string), "function") {
				t.Errorf("%s: detail %q names no function", tt.name, r.line["detail"])
			}
		}
	})

	t.Run("function error", func(t *testing.T) {
		t.Parallel()
		e := rieEnv(t, "fail", apiDef{methods: map[string]*apigw.Method{"GET /f": {Integration: awsProxy(0)}}}, "FAIL_MESSAGE=secret db password wrong")
		r := e.do(newReq(t, "GET", e.url("fn00000001", "/f"), nil))
		if r.status != 502 || r.body != `{"message":"Internal server error"}` || r.reason() != string(ReasonFunctionError) {
			t.Fatalf("%d %s (%s)", r.status, r.body, r.reason())
		}
		if d := r.line["detail"].(string); !strings.Contains(d, "secret db password wrong") || !strings.Contains(d, "function "+lambdatest.ARN) {
			t.Fatalf("detail %q lacks the function and its message", d)
		}
		if strings.Contains(r.body, "secret") {
			t.Fatal("the function's message reached the caller")
		}
	})

	t.Run("function hangs", func(t *testing.T) {
		t.Parallel()
		e := rieEnv(t, "hang", apiDef{methods: map[string]*apigw.Method{"GET /h": {Integration: awsProxy(300)}}})
		start := time.Now()
		r := e.do(newReq(t, "GET", e.url("fn00000001", "/h"), nil))
		elapsed := time.Since(start)
		if r.status != 504 || r.body != `{"message":"Endpoint request timed out"}` || r.reason() != string(ReasonFunctionTimeout) {
			t.Fatalf("%d %s (%s)", r.status, r.body, r.reason())
		}
		if elapsed < 300*time.Millisecond || elapsed > 5*time.Second {
			t.Fatalf("answered after %s, want the 300 ms integration timeout", elapsed)
		}
		if ms, _ := r.line["integrationLatencyMs"].(float64); ms < 300 {
			t.Fatalf("integration latency %v ms, want at least the timeout", r.line["integrationLatencyMs"])
		}
	})
}

// jsonEqual compares two values as JSON (nil maps and absent fields alike).
func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
