package gateway

import (
	"net/http"
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
