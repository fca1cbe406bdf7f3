package gateway

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// mockWith is a MOCK integration whose 200 response has one template.
func mockWith(tmpl string) *apigw.Method {
	return &apigw.Method{Integration: &apigw.Integration{Type: apigw.IntegrationMock,
		RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
		IntegrationResponses: map[string]*apigw.IntegrationResponse{"200": {StatusCode: "200",
			ResponseTemplates: map[string]string{"application/json": tmpl}}}}}
}

// TestMockResponseTemplate: a MOCK integration response template is
// evaluated as VTL against the request (issue 17: `{"id":
// $input.params().path.id}` answered its own text), compiled once per
// stage; a template that fails answers INTEGRATION_FAILURE (502).
func TestMockResponseTemplate(t *testing.T) {
	env := newGWEnv(t, gwOptions{})
	env.addAPI(apiDef{id: "vtlapi0001", stageVars: map[string]string{"env": "prod"}, methods: map[string]*apigw.Method{
		"GET /items/{id}": mockWith(`{"id": $input.params().path.id}`),
		"GET /echo": mockWith(`#set($q = $input.params('q'))
{"q": "$util.escapeJavaScript($q)", "stage": "$context.stage", "env": "$stageVariables.env", "path": "$context.resourcePath"#if($q == "more"), "more": true#end}`),
		"GET /static":  mockWith(`{"css": "#333"}`),
		"GET /broken":  mockWith(`#if(true) never closed`),
		"GET /runaway": mockWith(`#foreach($a in [1..1000])#foreach($b in [1..1000])#foreach($c in [1..1000])x#end#end#end`),
	}})
	tests := []struct {
		path       string
		status     int
		body       string
		reasonLine Reason
	}{
		{"/items/42", 200, `{"id": 42}`, ""},
		{"/echo?q=more", 200, `{"q": "more", "stage": "api", "env": "prod", "path": "/echo", "more": true}`, ""},
		{"/echo?q=a%27b", 200, `{"q": "a\'b", "stage": "api", "env": "prod", "path": "/echo"}`, ""},
		{"/static", 200, `{"css": "#333"}`, ""},
		{"/broken", 502, `{"message":"Internal server error"}`, ReasonIntegrationFailure},
		{"/runaway", 502, `{"message":"Internal server error"}`, ReasonIntegrationFailure},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := env.do(newReq(t, http.MethodGet, env.url("vtlapi0001", tt.path), nil))
			if r.status != tt.status || r.body != tt.body {
				t.Fatalf("got %d %s (%v); want %d %s", r.status, r.body, r.line["detail"], tt.status, tt.body)
			}
			if tt.reasonLine != "" && r.line["reason"] != string(tt.reasonLine) {
				t.Errorf("reason %v; want %s", r.line["reason"], tt.reasonLine)
			}
		})
	}
}

// TestMockRequestTemplate: a MOCK request template is VTL too, and what it
// sets in $context reaches the response template and the answer
// (recorded: integrations.snapshot.json
// test_integration_mock_with_response_override_in_request_template[True]
// answers 444 {"custom": "is also passed around", "fooHeader": "bar",
// "statusOverride": "444"}, [False] 444 with an empty body;
// test_integration_mock_with_request_overrides_in_response_template
// "path was path one").
func TestMockRequestTemplate(t *testing.T) {
	env := newGWEnv(t, gwOptions{})
	overrides := `#set($context.responseOverride.status = 444)
#set($context.responseOverride.header.foo = "bar")
#set($context.custom = "is also passed around")
{"statusCode": 200}`
	mock := func(req string, resp map[string]string) *apigw.Method {
		return &apigw.Method{Integration: &apigw.Integration{Type: apigw.IntegrationMock,
			RequestTemplates:     map[string]string{"application/json": req},
			IntegrationResponses: map[string]*apigw.IntegrationResponse{"200": {StatusCode: "200", ResponseTemplates: resp}}}}
	}
	env.addAPI(apiDef{id: "mockreq001", methods: map[string]*apigw.Method{
		"GET /with":    mock(overrides, map[string]string{"application/json": `{"statusOverride": "$context.responseOverride.status", "fooHeader": "$context.responseOverride.header.foo", "custom": "$context.custom"}`}),
		"GET /without": mock(overrides, nil),
		"GET /paths/{p}": mock(`#set($context.requestOverride.path.which = $input.params('p')){"statusCode": 200}`, map[string]string{"application/json": `#set($v = $context.requestOverride.path.which)
#if($v == "one")path was path one#elseif($v == "two")path was path two#else this is the else clause#end`}),
		"GET /status/{code}": {Integration: &apigw.Integration{Type: apigw.IntegrationMock,
			RequestTemplates: map[string]string{"application/json": `{"statusCode": $input.params('code')}`},
			IntegrationResponses: map[string]*apigw.IntegrationResponse{
				"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": `{"ok": true}`}},
				"404": {StatusCode: "404", SelectionPattern: `4\d{2}`, ResponseTemplates: map[string]string{"application/json": `{"ok": false}`}},
			}}},
		"POST /body": mock(`{"statusCode": $input.json('$.code')}`, map[string]string{"application/json": `{"ok": true}`}),
		"POST /never": {Integration: &apigw.Integration{Type: apigw.IntegrationMock, PassthroughBehavior: "NEVER",
			RequestTemplates:     map[string]string{"application/json": `{"statusCode": 200}`},
			IntegrationResponses: map[string]*apigw.IntegrationResponse{"200": {StatusCode: "200"}}}},
	}})
	tests := []struct {
		method, path, body, ctype string
		status                    int
		want                      string
		foo                       string
	}{
		{"GET", "/with", "", "", 444, `{"statusOverride": "444", "fooHeader": "bar", "custom": "is also passed around"}`, "bar"},
		{"GET", "/without", "", "", 444, "", "bar"},
		{"GET", "/paths/one", "", "", 200, "path was path one", ""},
		{"GET", "/paths/two", "", "", 200, "path was path two", ""},
		{"GET", "/paths/else", "", "", 200, " this is the else clause", ""},
		{"GET", "/status/200", "", "", 200, `{"ok": true}`, ""},
		{"GET", "/status/404", "", "", 404, `{"ok": false}`, ""},
		{"POST", "/body", `{"code": 200}`, "application/json", 200, `{"ok": true}`, ""},
		{"POST", "/never", "{}", "application/json", 200, "", ""},
		{"POST", "/never", "x", "text/plain", 415, `{"message":"Unsupported Media Type"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+tt.path+tt.ctype, func(t *testing.T) {
			var hdr []string
			if tt.ctype != "" {
				hdr = []string{"Content-Type", tt.ctype}
			}
			r := env.do(newReq(t, tt.method, env.url("mockreq001", tt.path), strings.NewReader(tt.body), hdr...))
			if r.status != tt.status || r.body != tt.want || r.header.Get("foo") != tt.foo {
				t.Errorf("got %d %q foo=%q (%v); want %d %q foo=%q", r.status, r.body, r.header.Get("foo"), r.line["detail"], tt.status, tt.want, tt.foo)
			}
		})
	}
}

// TestGatewayResponseTemplate: a customised gateway response's template
// is VTL, compiled with the API: directives, $context.error.*, the
// request's parameters; one that fails answers the default body.
func TestGatewayResponseTemplate(t *testing.T) {
	env := newGWEnv(t, gwOptions{})
	env.addAPI(apiDef{id: "gwresp0001", stageVars: map[string]string{"team": "payments"},
		methods: map[string]*apigw.Method{"GET /k": {APIKeyRequired: true, Integration: mockOK()}},
		responses: map[string]*apigw.GatewayResponse{
			"INVALID_API_KEY": {Type: "INVALID_API_KEY", StatusCode: "401", ResponseTemplates: map[string]string{"application/json": `#set($t = $context.error.responseType)
{"type": "$t", "message": $context.error.messageString, "raw": "$context.error.message", "id": "$context.requestId", "team": "$stageVariables.team"#if($input.params('debug') == "1"), "path": "$context.resourcePath"#end}`}},
			"MISSING_AUTHENTICATION_TOKEN": {Type: "MISSING_AUTHENTICATION_TOKEN", StatusCode: "404", ResponseTemplates: map[string]string{"application/json": `#if(true) never closed`}},
		}})
	r := env.do(newReq(t, "GET", env.url("gwresp0001", "/k?debug=1"), nil))
	want := `{"type": "INVALID_API_KEY", "message": "Forbidden", "raw": "Forbidden", "id": "` + r.header.Get("X-Amzn-Requestid") + `", "team": "payments", "path": "/k"}`
	if r.status != 401 || r.body != want {
		t.Errorf("got %d %s; want 401 %s", r.status, r.body, want)
	}
	r = env.do(newReq(t, "GET", env.url("gwresp0001", "/nosuch"), nil))
	if r.status != 404 || r.body != `{"message":"Missing Authentication Token"}` {
		t.Errorf("a failing template: got %d %s; want 404 and the default body", r.status, r.body)
	}
}
