package awsapi

import (
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// TestAuthorizerWireGolden pins the JSON of the authorizer shapes: each
// type, the TTL absent when not set and 0 when 0, a list page, and
// TestInvokeAuthorizer's answer.
func TestAuthorizerWireGolden(t *testing.T) {
	zero, hour := 0, 3600
	tok := &apigw.Authorizer{ID: "abc123", Name: "tok", Type: apigw.AuthorizerToken, AuthType: "custom",
		AuthorizerURI:  "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:auth/invocations",
		IdentitySource: "method.request.header.Authorization", IdentityValidationExpression: "^Bearer .+$"}
	req := &apigw.Authorizer{ID: "def456", Name: "req", Type: apigw.AuthorizerRequest, AuthType: "custom",
		AuthorizerURI: "https://auth.example/check", AuthorizerCredentials: "arn:aws:iam::123456789012:role/invoke",
		IdentitySource: "method.request.header.X-Key, method.request.querystring.tenant", AuthorizerResultTTLInSeconds: &zero}
	pool := &apigw.Authorizer{ID: "ghi789", Name: "pool", Type: apigw.AuthorizerCognito, AuthType: "cognito_user_pools",
		ProviderARNs:   []string{"arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC123"},
		IdentitySource: "method.request.header.Authorization", AuthorizerResultTTLInSeconds: &hour}
	goldenJSON(t, "authorizer-token", toAuthorizerJSON(tok))
	goldenJSON(t, "authorizer-request", toAuthorizerJSON(req))
	goldenJSON(t, "authorizer-cognito", toAuthorizerJSON(pool))
	goldenJSON(t, "authorizers-page", newList([]authorizerJSON{toAuthorizerJSON(tok), toAuthorizerJSON(req)}, "ghi789"))
	goldenJSON(t, "authorizers-empty", newList([]authorizerJSON(nil), ""))
	goldenJSON(t, "test-invoke-authorizer", testInvokeAuthorizerJSON{
		ClientStatus: 200, Log: "Execution log for request test-request\n", Latency: (42 * time.Millisecond).Milliseconds(),
		PrincipalID: "user-1", Policy: `{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"*"}]}`,
		Authorization: map[string][]string{"tenant": {"acme"}}, Claims: map[string]string{"sub": "user-1"},
	})
	goldenJSON(t, "test-invoke-authorizer-denied", testInvokeAuthorizerJSON{ClientStatus: 401, Log: "Unauthorized\n", Latency: 3})
}
