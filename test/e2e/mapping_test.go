package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
)

// TestHTTPIntegrationMapping builds an HTTP (non-proxy) integration with
// the AWS SDK as a user would (request template, parameter mappings,
// integration responses chosen by selectionPattern, response parameters
// and templates, passthroughBehavior), deploys it, and calls it against a
// real upstream on loopback.
func TestHTTPIntegrationMapping(t *testing.T) {
	var saw struct {
		method, path, query, body, ctype, ua, xid string
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		saw.method, saw.path, saw.query, saw.body = r.Method, r.URL.Path, r.URL.RawQuery, string(b)
		saw.ctype, saw.ua, saw.xid = r.Header.Get("Content-Type"), r.Header.Get("User-Agent"), r.Header.Get("X-Order-Id")
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Backend-Version", "7")
		if strings.HasSuffix(r.URL.Path, "/missing") {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error": {"code": "NOT_FOUND", "detail": "no such order"}}`)
			return
		}
		io.WriteString(w, `{"order": {"id": "o-1", "items": [{"sku": "a"}, {"sku": "b"}]}}`)
	}))
	t.Cleanup(up.Close)

	env := apitest.Start(t, apitest.Options{})
	f := newFixture(t, env, "orders")
	ctx := context.Background()
	rid := f.resource("/orders/{id}")
	method := "POST"
	if _, err := f.c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: &f.apiID, ResourceId: &rid, HttpMethod: &method, AuthorizationType: aws.String("NONE"),
		RequestParameters: map[string]bool{"method.request.path.id": true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: &f.apiID, ResourceId: &rid, HttpMethod: &method,
		Type: types.IntegrationTypeHttp, IntegrationHttpMethod: aws.String("PUT"), Uri: aws.String(up.URL + "/v1/orders/{oid}"),
		PassthroughBehavior: aws.String("WHEN_NO_TEMPLATES"),
		RequestParameters: map[string]string{
			"integration.request.path.oid":          "method.request.path.id",
			"integration.request.header.X-Order-Id": "method.request.path.id",
			"integration.request.querystring.src":   "'gateway'",
		},
		RequestTemplates: map[string]string{"application/json": `#set($b = $input.path('$'))
{"order": "$input.params('id')", "count": $b.items.size(), "first": "$b.items[0]"}`},
	}); err != nil {
		t.Fatal(err)
	}
	for _, mr := range []struct {
		status, pattern string
		params          map[string]string
		templates       map[string]string
	}{
		{"200", "", map[string]string{"method.response.header.X-Version": "integration.response.header.X-Backend-Version", "method.response.header.X-Order": "integration.response.body.order.id"},
			map[string]string{"application/json": `{"id": "$input.path('$.order.id')", "skus": [#foreach($i in $input.path('$.order.items'))"$i.sku"#if($foreach.hasNext), #end#end]}`}},
		{"404", `4\d{2}`, nil, map[string]string{"application/json": `{"message": "$input.path('$.error.detail')"}`}},
	} {
		mrParams := map[string]bool{}
		for k := range mr.params {
			mrParams[k] = false
		}
		if _, err := f.c.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: &f.apiID, ResourceId: &rid, HttpMethod: &method, StatusCode: aws.String(mr.status), ResponseParameters: mrParams}); err != nil {
			t.Fatal(err)
		}
		in := &apigateway.PutIntegrationResponseInput{RestApiId: &f.apiID, ResourceId: &rid, HttpMethod: &method, StatusCode: aws.String(mr.status),
			ResponseParameters: mr.params, ResponseTemplates: mr.templates}
		if mr.pattern != "" {
			in.SelectionPattern = aws.String(mr.pattern)
		}
		if _, err := f.c.PutIntegrationResponse(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	f.deploy("prod")

	post := func(path, ctype, body string) answer {
		t.Helper()
		req, err := http.NewRequest("POST", env.DataURL+"/restapis/"+f.apiID+"/prod/_user_request_"+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return answer{status: resp.StatusCode, body: string(b), header: resp.Header, requestID: resp.Header.Get("x-amzn-RequestId")}
	}

	a := post("/orders/o-1?ignored=1", "application/json", `{"items": ["x", "y", "z"]}`)
	if a.status != 200 || a.body != `{"id": "o-1", "skus": ["a", "b"]}` || a.header.Get("X-Version") != "7" || a.header.Get("X-Order") != "o-1" || a.header.Get("X-Backend-Version") != "" {
		t.Fatalf("got %d %v %s", a.status, a.header, a.body)
	}
	var sent map[string]any
	if err := json.Unmarshal([]byte(saw.body), &sent); err != nil {
		t.Fatalf("the upstream got %q: %v", saw.body, err)
	}
	if saw.method != "PUT" || saw.path != "/v1/orders/o-1" || saw.query != "src=gateway" || saw.xid != "o-1" || saw.ua != "AmazonAPIGateway_"+f.apiID ||
		saw.ctype != "application/json" || saw.body != `{"order": "o-1", "count": 3, "first": "x"}` {
		t.Errorf("the upstream saw %+v", saw)
	}

	a = post("/orders/missing", "application/json", `{"items": []}`)
	if a.status != 404 || a.body != `{"message": "no such order"}` {
		t.Errorf("missing: got %d %s", a.status, a.body)
	}

	a = post("/orders/o-1", "text/plain", "hello")
	wantAnswer(t, env, a, 415, `{"message":"Unsupported Media Type"}`, "UNSUPPORTED_MEDIA_TYPE")
}
