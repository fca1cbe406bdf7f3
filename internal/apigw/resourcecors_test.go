package apigw

import "testing"

func TestCORSAllowOrigin(t *testing.T) {
	mock := func(params map[string]string) *Resource {
		return &Resource{Methods: map[string]*Method{"OPTIONS": {HTTPMethod: "OPTIONS", Integration: &Integration{Type: IntegrationMock,
			IntegrationResponses: map[string]*IntegrationResponse{"200": {StatusCode: "200", ResponseParameters: params}}}}}}
	}
	tests := []struct {
		name   string
		r      *Resource
		want   string
		wantOK bool
	}{
		{"console Enable CORS", mock(map[string]string{"method.response.header.Access-Control-Allow-Origin": "'*'", "method.response.header.Access-Control-Allow-Methods": "'GET,OPTIONS'"}), "'*'", true},
		{"header name in another case", mock(map[string]string{"method.response.header.access-control-allow-origin": "'https://a.example'"}), "'https://a.example'", true},
		{"OPTIONS without the origin header", mock(map[string]string{"method.response.header.Access-Control-Allow-Methods": "'GET'"}), "", false},
		{"no OPTIONS", &Resource{Methods: map[string]*Method{"GET": {HTTPMethod: "GET", Integration: &Integration{Type: IntegrationMock}}}}, "", false},
		{"OPTIONS proxied, not MOCK", &Resource{Methods: map[string]*Method{"OPTIONS": {HTTPMethod: "OPTIONS", Integration: &Integration{Type: IntegrationHTTPProxy,
			IntegrationResponses: map[string]*IntegrationResponse{"200": {ResponseParameters: map[string]string{CORSAllowOriginParam: "'*'"}}}}}}}, "", false},
	}
	for _, tt := range tests {
		got, ok := tt.r.CORSAllowOrigin()
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%s: CORSAllowOrigin() = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
	g := &GatewayResponse{ResponseParameters: map[string]string{"gatewayresponse.header.access-control-allow-origin": "'*'"}}
	if !g.SetsHeader("Access-Control-Allow-Origin") || g.SetsHeader("Access-Control-Allow-Methods") {
		t.Error("SetsHeader: wrong answer")
	}
}
