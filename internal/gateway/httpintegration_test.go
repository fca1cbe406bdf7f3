package gateway

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/proxy"
)

// echoUpstream answers with what it received (method, path, query, the
// headers, the body) as JSON, with the status named by the last path
// segment when it is a number, and an X-Backend header.
func echoUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hdr := map[string]string{}
		for k, v := range r.Header {
			hdr[k] = strings.Join(v, ",")
		}
		out, _ := json.Marshal(map[string]any{"method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery, "headers": hdr, "body": string(b)})
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Backend", "echo")
		status := 200
		if i := strings.LastIndex(r.URL.Path, "/"); i >= 0 {
			if n, err := strconv.Atoi(r.URL.Path[i+1:]); err == nil {
				status = n
			}
		}
		w.WriteHeader(status)
		w.Write(out)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// upstreamSaw is echoUpstream's answer, read back.
type upstreamSaw struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Query   string            `json:"query"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// TestHTTPIntegration: an HTTP (non-proxy) integration sends the request
// template's output (or the body, passed through) with only the headers
// AWS sends (Accept application/json, User-Agent AmazonAPIGateway_{id},
// the mapped ones), and maps the upstream's answer through the integration
// response its status selects (recorded: http.snapshot.json
// test_http_integration_invoke_status_code_passthrough[HTTP],
// integrations.snapshot.json test_apigateway_header_remapping_http[HTTP]).
func TestHTTPIntegration(t *testing.T) {
	up := echoUpstream(t)
	env := newGWEnv(t, gwOptions{})
	ok200 := map[string]*apigw.IntegrationResponse{"200": {StatusCode: "200"}}
	const api = "httpint001"
	env.addAPI(apiDef{id: api, stageVars: map[string]string{"who": "stage"}, methods: map[string]*apigw.Method{
		// Passed through, the default integration response: the
		// upstream's 400 answers 200 (no pattern matches it), as recorded.
		"POST /pass/{code}": {Integration: &apigw.Integration{Type: apigw.IntegrationHTTP, HTTPMethod: "POST", URI: up.URL + "/echo/{code}",
			RequestParameters:    map[string]string{"integration.request.path.code": "method.request.path.code"},
			IntegrationResponses: ok200}},
		// A request template, a query and a header mapping.
		"POST /mapped/{id}": {Integration: &apigw.Integration{Type: apigw.IntegrationHTTP, HTTPMethod: "PUT", URI: up.URL + "/items",
			RequestTemplates: map[string]string{"application/json": `{"name": "$input.path('$.name')", "id": "$input.params('id')", "who": "$stageVariables.who"}`},
			RequestParameters: map[string]string{
				"integration.request.querystring.q": "method.request.querystring.q",
				"integration.request.header.X-Id":   "method.request.path.id",
				"integration.request.header.Accept": "'text/html'",
			},
			IntegrationResponses: ok200}},
		// Selection by status (test_http_integration_status_code_selection:
		// 404 answers 400 through 4\d{2}, 201 answers 200 through the
		// default), a response template, response parameters.
		"GET /status/{s}": {Integration: &apigw.Integration{Type: apigw.IntegrationHTTP, HTTPMethod: "GET", URI: up.URL + "/status/{s}",
			RequestParameters: map[string]string{"integration.request.path.s": "method.request.path.s"},
			IntegrationResponses: map[string]*apigw.IntegrationResponse{
				"200": {StatusCode: "200", ResponseParameters: map[string]string{
					"method.response.header.X-Up":     "integration.response.header.X-Backend",
					"method.response.header.X-Static": "'fixed'",
					"method.response.header.X-Method": "integration.response.body.method",
				}},
				"400": {StatusCode: "400", SelectionPattern: `4\d{2}`, ResponseTemplates: map[string]string{
					"application/json": `{"failed": "$input.path('$.path')", "id": "$context.requestId"}`}},
			}}},
		// $context.responseOverride from the response template.
		"GET /override": {Integration: &apigw.Integration{Type: apigw.IntegrationHTTP, HTTPMethod: "GET", URI: up.URL + "/o",
			IntegrationResponses: map[string]*apigw.IntegrationResponse{"200": {StatusCode: "200", ResponseTemplates: map[string]string{
				"text/plain": "#set($context.responseOverride.status = 418)#set($context.responseOverride.header.X-Tea = \"yes\")teapot"}}}}},
		// Passthrough behaviours.
		"POST /notemplates": {Integration: &apigw.Integration{Type: apigw.IntegrationHTTP, HTTPMethod: "POST", URI: up.URL + "/nt",
			PassthroughBehavior: "WHEN_NO_TEMPLATES", IntegrationResponses: ok200}},
		"POST /hastemplates": {Integration: &apigw.Integration{Type: apigw.IntegrationHTTP, HTTPMethod: "POST", URI: up.URL + "/ht",
			PassthroughBehavior: "WHEN_NO_TEMPLATES", RequestTemplates: map[string]string{"application/json": `{}`}, IntegrationResponses: ok200}},
	}})

	t.Run("passthrough", func(t *testing.T) {
		for _, code := range []string{"200", "400"} {
			r := env.do(newReq(t, "POST", env.url(api, "/pass/"+code+"?caller=1"), strings.NewReader(`{"message":"hello world"}`),
				"Content-Type", "application/json", "User-Agent", "test/integration", "X-Custom", "mine", "Accept", "application/xml"))
			if r.status != 200 || r.header.Get("Content-Type") != "application/json" || r.header.Get("X-Backend") != "" {
				t.Fatalf("%s: got %d %v %s", code, r.status, r.header, r.body)
			}
			var saw upstreamSaw
			if err := json.Unmarshal([]byte(r.body), &saw); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"Accept": "application/json", "User-Agent": "AmazonAPIGateway_" + api, "Content-Type": "application/json",
				"X-Amzn-Apigateway-Api-Id": api, "Content-Length": "25"}
			for k, v := range want {
				if saw.Headers[k] != v {
					t.Errorf("%s: upstream header %s = %q; want %q", code, k, saw.Headers[k], v)
				}
			}
			for _, k := range []string{"X-Custom", "X-Forwarded-For", "X-Forwarded-Proto"} {
				if v, ok := saw.Headers[k]; ok {
					t.Errorf("%s: upstream got %s: %q; AWS sends no such header to an HTTP integration", code, k, v)
				}
			}
			if saw.Body != `{"message":"hello world"}` || saw.Method != "POST" || saw.Path != "/echo/"+code || saw.Query != "" {
				t.Errorf("%s: upstream saw %+v", code, saw)
			}
		}
	})

	t.Run("request template and parameters", func(t *testing.T) {
		r := env.do(newReq(t, "POST", env.url(api, "/mapped/42?q=a%20b&other=1"), strings.NewReader(`{"name":"Ann"}`), "Content-Type", "application/json; charset=utf-8"))
		var saw upstreamSaw
		if err := json.Unmarshal([]byte(r.body), &saw); err != nil || r.status != 200 {
			t.Fatalf("%d %s (%v)", r.status, r.body, r.line["detail"])
		}
		if saw.Body != `{"name": "Ann", "id": "42", "who": "stage"}` || saw.Method != "PUT" || saw.Query != "q=a+b" ||
			saw.Headers["X-Id"] != "42" || saw.Headers["Accept"] != "text/html" || saw.Headers["Content-Type"] != "application/json" {
			t.Errorf("upstream saw %+v", saw)
		}
	})

	t.Run("selection and response mapping", func(t *testing.T) {
		tests := []struct {
			s      string
			status int
			check  func(r reply) bool
		}{
			{"201", 200, func(r reply) bool {
				return r.header.Get("X-Up") == "echo" && r.header.Get("X-Static") == "fixed" && r.header.Get("X-Method") == "GET" && strings.Contains(r.body, `"path":"/status/201"`)
			}},
			{"404", 400, func(r reply) bool {
				return r.body == `{"failed": "/status/404", "id": "`+r.header.Get("X-Amzn-Requestid")+`"}` && r.header.Get("X-Up") == ""
			}},
		}
		for _, tt := range tests {
			r := env.do(newReq(t, "GET", env.url(api, "/status/"+tt.s), nil))
			if r.status != tt.status || !tt.check(r) {
				t.Errorf("%s: got %d %v %s", tt.s, r.status, r.header, r.body)
			}
		}
	})

	t.Run("response override", func(t *testing.T) {
		r := env.do(newReq(t, "GET", env.url(api, "/override"), nil))
		if r.status != 418 || r.header.Get("X-Tea") != "yes" || r.body != "teapot" || r.header.Get("Content-Type") != "text/plain" {
			t.Errorf("got %d %v %q", r.status, r.header, r.body)
		}
	})

	t.Run("passthrough behaviour", func(t *testing.T) {
		tests := []struct {
			path, ctype string
			status      int
		}{
			{"/notemplates", "text/plain", 200},
			{"/hastemplates", "text/plain", 415},
			{"/hastemplates", "application/json", 200},
			{"/hastemplates", "", 200}, // no Content-Type is application/json
		}
		for _, tt := range tests {
			var hdr []string
			if tt.ctype != "" {
				hdr = []string{"Content-Type", tt.ctype}
			}
			r := env.do(newReq(t, "POST", env.url(api, tt.path), strings.NewReader("x"), hdr...))
			if r.status != tt.status {
				t.Errorf("%s %s: got %d %s (%v)", tt.path, tt.ctype, r.status, r.body, r.line["detail"])
			}
			if tt.status == 415 && (r.body != `{"message":"Unsupported Media Type"}` || r.reason() != string(ReasonUnsupportedMediaType)) {
				t.Errorf("%s %s: got %s %s", tt.path, tt.ctype, r.body, r.reason())
			}
		}
	})
}

// FuzzSelectRequestTemplate: any Content-Type header picks a template, passes
// the body through or refuses with 415, never anything else, and never
// panics; the media type it matches on is lower case without parameters.
func FuzzSelectRequestTemplate(f *testing.F) {
	f.Add("application/json; charset=utf-8", "WHEN_NO_TEMPLATES")
	f.Add("TEXT/Plain", "NEVER")
	f.Add(";;==", "")
	f.Fuzz(func(t *testing.T, ctype, behaviour string) {
		in := &apigw.Integration{PassthroughBehavior: behaviour, RequestTemplates: map[string]string{"application/json": "{}", "text/plain": "t"}}
		mt := requestMediaType(ctype)
		if mt != strings.ToLower(mt) || strings.Contains(mt, ";") {
			t.Fatalf("requestMediaType(%q) = %q", ctype, mt)
		}
		src, found, d := selectRequestTemplate(in, ctype)
		switch {
		case d != nil && d.Reason != ReasonUnsupportedMediaType:
			t.Fatalf("refused with %s", d.Reason)
		case found && src != in.RequestTemplates[mt]:
			t.Fatalf("%q chose %q for media type %q", ctype, src, mt)
		}
	})
}

// TestHTTPIntegrationLimits: an HTTP integration has the HTTP_PROXY
// path's timeout and payload limits (the same transport): an upstream
// that does not answer within timeoutInMillis is a 504, one that answers
// more than the limit a 502, neither ever a partial answer.
func TestHTTPIntegrationLimits(t *testing.T) {
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); hanging.Close() })
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("z", 8192))
	}))
	t.Cleanup(big.Close)
	env := newGWEnv(t, gwOptions{proxy: proxy.Options{MaxResponseBytes: 4096}})
	ok200 := map[string]*apigw.IntegrationResponse{"200": {StatusCode: "200"}}
	env.addAPI(apiDef{id: "httplim001", methods: map[string]*apigw.Method{
		"GET /slow": {Integration: &apigw.Integration{Type: apigw.IntegrationHTTP, HTTPMethod: "GET", URI: hanging.URL, TimeoutInMillis: 100, IntegrationResponses: ok200}},
		"GET /big":  {Integration: &apigw.Integration{Type: apigw.IntegrationHTTP, HTTPMethod: "GET", URI: big.URL, IntegrationResponses: ok200}},
	}})
	tests := []struct {
		path   string
		status int
		body   string
		reason Reason
	}{
		{"/slow", 504, `{"message":"Endpoint request timed out"}`, ReasonIntegrationTimeout},
		{"/big", 502, `{"message":"Internal server error"}`, ReasonIntegrationTooLarge},
	}
	for _, tt := range tests {
		r := env.do(newReq(t, "GET", env.url("httplim001", tt.path), nil))
		if r.status != tt.status || r.body != tt.body || r.reason() != string(tt.reason) {
			t.Errorf("%s: got %d %s %s; want %d %s %s", tt.path, r.status, r.body, r.reason(), tt.status, tt.body, tt.reason)
		}
	}
}
