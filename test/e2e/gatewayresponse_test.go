package e2e

import (
	"context"
	"net"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
)

// TestGatewayResponseStatusOfAFailedUpstream: a refused upstream is
// answered 502 (INTEGRATION_FAILURE, although the type's listed default is
// 504). Customising DEFAULT_5XX or INTEGRATION_FAILURE with only a CORS
// header adds the header and keeps the 502; only a statusCode chosen in a
// customisation changes it. Each row customises through the SDK, as a
// user would, on a fresh API.
func TestGatewayResponseStatusOfAFailedUpstream(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/x"
	ln.Close()
	cors := map[string]string{"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}

	tests := []struct {
		name   string
		typ    types.GatewayResponseType
		status *string
		want   int
		cors   bool
	}{
		{"not customised", "", nil, 502, false},
		{"DEFAULT_5XX with a CORS header only", types.GatewayResponseTypeDefault5xx, nil, 502, true},
		{"INTEGRATION_FAILURE with a CORS header only", types.GatewayResponseTypeIntegrationFailure, nil, 502, true},
		{"DEFAULT_5XX with statusCode 500", types.GatewayResponseTypeDefault5xx, aws.String("500"), 500, true},
		{"INTEGRATION_FAILURE with statusCode 503", types.GatewayResponseTypeIntegrationFailure, aws.String("503"), 503, true},
		{"DEFAULT_4XX does not apply", types.GatewayResponseTypeDefault4xx, aws.String("400"), 502, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, env, "Refused")
			f.httpProxy("GET", "/down", false, refused, 0)
			f.deploy("api")
			if tt.typ != "" {
				if _, err := f.c.PutGatewayResponse(context.Background(), &apigateway.PutGatewayResponseInput{
					RestApiId: &f.apiID, ResponseType: tt.typ, StatusCode: tt.status, ResponseParameters: cors,
				}); err != nil {
					t.Fatal(err)
				}
			}
			a := f.call("GET", "api", "/down", nil)
			wantAnswer(t, env, a, tt.want, `{"message":"Internal server error"}`, "INTEGRATION_FAILURE")
			if got := a.header.Get("Access-Control-Allow-Origin") == "*"; got != tt.cors {
				t.Fatalf("Access-Control-Allow-Origin %q, want the CORS header: %v", a.header.Get("Access-Control-Allow-Origin"), tt.cors)
			}
			if et := a.header.Get("x-amzn-ErrorType"); et != "InternalServerErrorException" {
				t.Fatalf("x-amzn-ErrorType %q", et)
			}
		})
	}
}
