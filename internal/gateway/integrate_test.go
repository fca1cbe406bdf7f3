package gateway

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// TestFixedMock: a MOCK answer is worked out once only when nothing in it
// can depend on the request; anything else goes the general way (nil).
func TestFixedMock(t *testing.T) {
	ok200 := map[string]*apigw.IntegrationResponse{"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": `{"message":"Did it!"}`}}}
	tests := []struct {
		name string
		in   apigw.Integration
		want *mockAnswer
	}{
		{"static", apigw.Integration{RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}, IntegrationResponses: ok200},
			&mockAnswer{status: 200, ctype: "application/json", body: `{"message":"Did it!"}`}},
		{"no request template: 200", apigw.Integration{IntegrationResponses: ok200},
			&mockAnswer{status: 200, ctype: "application/json", body: `{"message":"Did it!"}`}},
		{"selected by pattern, literal headers", apigw.Integration{
			RequestTemplates: map[string]string{"application/json": `{"statusCode": 404}`},
			IntegrationResponses: map[string]*apigw.IntegrationResponse{
				"200": {StatusCode: "200"},
				"404": {StatusCode: "404", SelectionPattern: "4\\d\\d", ResponseTemplates: map[string]string{"text/plain": "gone"},
					ResponseParameters: map[string]string{"method.response.header.x-why": "'because'", "method.response.header.Cache-Control": "'no-store'"}},
			}},
			&mockAnswer{status: 404, ctype: "text/plain", body: "gone", headers: []mockHeader{{"Cache-Control", []string{"no-store"}}, {"X-Why", []string{"because"}}}}},
		{"two request templates", apigw.Integration{RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`, "text/plain": `{"statusCode": 500}`}, IntegrationResponses: ok200}, nil},
		{"two response templates", apigw.Integration{IntegrationResponses: map[string]*apigw.IntegrationResponse{"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": "{}", "text/xml": "<a/>"}}}}, nil},
		{"context variable in the body", apigw.Integration{IntegrationResponses: map[string]*apigw.IntegrationResponse{"200": {StatusCode: "200", ResponseTemplates: map[string]string{"application/json": `{"id":"$context.requestId"}`}}}}, nil},
		{"header from the request", apigw.Integration{IntegrationResponses: map[string]*apigw.IntegrationResponse{"200": {StatusCode: "200", ResponseParameters: map[string]string{"method.response.header.x-echo": "method.request.header.x-in"}}}}, nil},
		{"no statusCode", apigw.Integration{RequestTemplates: map[string]string{"application/json": `{}`}, IntegrationResponses: ok200}, nil},
		{"no matching response", apigw.Integration{RequestTemplates: map[string]string{"application/json": `{"statusCode": 500}`},
			IntegrationResponses: map[string]*apigw.IntegrationResponse{"200": {StatusCode: "200", SelectionPattern: "200"}}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fixedMock(&tt.in)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(mockAnswer{}, mockHeader{})); diff != "" {
				t.Errorf("fixedMock (-want +got):\n%s", diff)
			}
		})
	}
}
