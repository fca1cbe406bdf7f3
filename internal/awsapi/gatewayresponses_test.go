package awsapi_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
	"github.com/google/go-cmp/cmp"
)

const defaultGRTemplate = `{"message":$context.error.messageString}`

func TestGatewayResponses(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	ctx := context.Background()
	api := newAPI(t, env.Client, "g")

	def, err := env.Client.GetGatewayResponse(ctx, &apigateway.GetGatewayResponseInput{RestApiId: api.Id, ResponseType: "MISSING_AUTHENTICATION_TOKEN"})
	if err != nil {
		t.Fatal(err)
	}
	if !def.DefaultResponse || aws.ToString(def.StatusCode) != "403" || def.ResponseTemplates["application/json"] != defaultGRTemplate {
		t.Errorf("default response = %+v", def)
	}

	// Customising DEFAULT_4XX shapes uncustomised 4xx types.
	put, err := env.Client.PutGatewayResponse(ctx, &apigateway.PutGatewayResponseInput{RestApiId: api.Id, ResponseType: "DEFAULT_4XX", StatusCode: aws.String("418"),
		ResponseParameters: map[string]string{"gatewayresponse.header.X": "'y'"}})
	if err != nil {
		t.Fatal(err)
	}
	if put.DefaultResponse || put.ResponseTemplates["application/json"] != defaultGRTemplate {
		t.Errorf("PutGatewayResponse = %+v, want customised with the default template", put)
	}
	inherited, err := env.Client.GetGatewayResponse(ctx, &apigateway.GetGatewayResponseInput{RestApiId: api.Id, ResponseType: "THROTTLED"})
	if err != nil {
		t.Fatal(err)
	}
	if !inherited.DefaultResponse || aws.ToString(inherited.StatusCode) != "418" || inherited.ResponseParameters["gatewayresponse.header.X"] != "'y'" {
		t.Errorf("THROTTLED after DEFAULT_4XX customisation = %+v", inherited)
	}
	five, err := env.Client.GetGatewayResponse(ctx, &apigateway.GetGatewayResponseInput{RestApiId: api.Id, ResponseType: "INTEGRATION_FAILURE"})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(five.StatusCode) != "504" {
		t.Errorf("5xx type status = %q, want 504", aws.ToString(five.StatusCode))
	}

	// List: all 21, sorted, paginated.
	var typesSeen []string
	var pos *string
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("too many pages")
		}
		out, err := env.Client.GetGatewayResponses(ctx, &apigateway.GetGatewayResponsesInput{RestApiId: api.Id, Limit: aws.Int32(5), Position: pos})
		if err != nil {
			t.Fatal(err)
		}
		for _, gr := range out.Items {
			typesSeen = append(typesSeen, string(gr.ResponseType))
		}
		if out.Position == nil {
			break
		}
		pos = out.Position
	}
	if len(typesSeen) != 21 || typesSeen[0] != "ACCESS_DENIED" || typesSeen[20] != "WAF_FILTERED" {
		t.Errorf("listed types = %v, want all 21 sorted", typesSeen)
	}

	up, err := env.Client.UpdateGatewayResponse(ctx, &apigateway.UpdateGatewayResponseInput{RestApiId: api.Id, ResponseType: "ACCESS_DENIED", PatchOperations: []types.PatchOperation{
		replace("/statusCode", "401"),
		patchOp(types.OpAdd, "/responseTemplates/application~1xml", "<m/>"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if up.DefaultResponse || aws.ToString(up.StatusCode) != "401" {
		t.Errorf("UpdateGatewayResponse = %+v", up)
	}
	if d := cmp.Diff(map[string]string{"application/json": defaultGRTemplate, "application/xml": "<m/>"}, up.ResponseTemplates); d != "" {
		t.Errorf("templates (-want +got):\n%s", d)
	}

	errTests := []struct {
		name      string
		ops       []types.PatchOperation
		code, msg string
	}{
		{"add status", []types.PatchOperation{patchOp(types.OpAdd, "/statusCode", "400")}, "BadRequestException", "Invalid patch path /statusCode"},
		{"empty template", []types.PatchOperation{patchOp(types.OpAdd, "/responseTemplates/a~1b", "")}, "BadRequestException", "Invalid null or empty value in responseTemplates"},
		{"empty parameter", []types.PatchOperation{patchOp(types.OpAdd, "/responseParameters/gatewayresponse.header.A", "")}, "BadRequestException", "Invalid null or empty value in responseParameters"},
		{"replace missing parameter", []types.PatchOperation{replace("/responseParameters/gatewayresponse.header.Nope", "'x'")}, "NotFoundException", "Invalid parameter name specified"},
		{"wrong path", []types.PatchOperation{replace("/wrongPath", "x")}, "BadRequestException", "Invalid patch path /wrongPath"},
		{"no path", []types.PatchOperation{{Op: types.OpReplace, Value: aws.String("x")}}, "BadRequestException", "Invalid patch path null"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := env.Client.UpdateGatewayResponse(ctx, &apigateway.UpdateGatewayResponseInput{RestApiId: api.Id, ResponseType: "ACCESS_DENIED", PatchOperations: tt.ops})
			apitest.WantError(t, err, tt.code, tt.msg)
		})
	}

	if _, err := env.Client.DeleteGatewayResponse(ctx, &apigateway.DeleteGatewayResponseInput{RestApiId: api.Id, ResponseType: "ACCESS_DENIED"}); err != nil {
		t.Fatal(err)
	}
	_, err = env.Client.DeleteGatewayResponse(ctx, &apigateway.DeleteGatewayResponseInput{RestApiId: api.Id, ResponseType: "ACCESS_DENIED"})
	apitest.WantError(t, err, "NotFoundException", "Gateway response type not defined on api")
	_, err = env.Client.GetGatewayResponse(ctx, &apigateway.GetGatewayResponseInput{RestApiId: api.Id, ResponseType: "FAKE_RESPONSE_TYPE"})
	apitest.WantError(t, err, "ValidationException", "1 validation error detected: Value 'FAKE_RESPONSE_TYPE' at 'responseType' failed to satisfy constraint: Member must satisfy enum value set: [REQUEST_TOO_LARGE, RESOURCE_NOT_FOUND, AUTHORIZER_CONFIGURATION_ERROR, MISSING_AUTHENTICATION_TOKEN, BAD_REQUEST_BODY, INVALID_SIGNATURE, INVALID_API_KEY, BAD_REQUEST_PARAMETERS, AUTHORIZER_FAILURE, UNAUTHORIZED, INTEGRATION_TIMEOUT, ACCESS_DENIED, DEFAULT_4XX, DEFAULT_5XX, WAF_FILTERED, QUOTA_EXCEEDED, THROTTLED, API_CONFIGURATION_ERROR, UNSUPPORTED_MEDIA_TYPE, INTEGRATION_FAILURE, EXPIRED_TOKEN]")
	_, err = env.Client.GetGatewayResponses(ctx, &apigateway.GetGatewayResponsesInput{RestApiId: aws.String("fake-api-id")})
	apitest.WantError(t, err, "NotFoundException", "Invalid API identifier specified "+env.Server.Control.AccountID()+":fake-api-id")
}
