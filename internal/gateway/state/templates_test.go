package state

import (
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// TestCompileTemplates: every request and integration response template
// of a deployment is compiled once, at load (a broken one keeps its
// error); plain text is not a template; gateway response templates are
// compiled with their API.
func TestCompileTemplates(t *testing.T) {
	snap := &apigw.Snapshot{Resources: map[string]*apigw.Resource{"r1": {ID: "r1", Methods: map[string]*apigw.Method{
		"GET": {Integration: &apigw.Integration{Type: apigw.IntegrationHTTP,
			RequestTemplates: map[string]string{"application/json": `{"id": "$input.params('id')"}`, "text/plain": "plain"},
			IntegrationResponses: map[string]*apigw.IntegrationResponse{
				"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": `$input.json('$')`}},
				"500": {StatusCode: "500", ResponseTemplates: map[string]string{"application/json": `#if(true) open`}},
			}}},
		"POST": {},
	}}}}
	ts := compileTemplates(snap)
	if len(ts) != 3 {
		t.Fatalf("compiled %d templates, want 3: %v", len(ts), ts)
	}
	if tp := ts.Get(`{"id": "$input.params('id')"}`); tp == nil || tp.Tpl == nil || tp.Err != nil {
		t.Errorf("request template: %+v", tp)
	}
	if tp := ts.Get(`#if(true) open`); tp == nil || tp.Err == nil {
		t.Errorf("a broken template keeps its error: %+v", tp)
	}
	if ts.Get("plain") != nil {
		t.Error("plain text was compiled")
	}
	if compileTemplates(&apigw.Snapshot{}) != nil {
		t.Error("no templates: want nil")
	}
	gw := compileGatewayTemplates(map[string]*apigw.GatewayResponse{"DEFAULT_4XX": {ResponseTemplates: map[string]string{"application/json": apigw.DefaultTemplate}}})
	if tp := gw.Get(apigw.DefaultTemplate); tp == nil || tp.Err != nil {
		t.Errorf("gateway template: %+v", tp)
	}
}
