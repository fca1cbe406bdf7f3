package awsapi_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
)

// TestSmallWireFacts: the small answers recorded against AWS that the
// SDK would not notice missing (aws-compat.md §10a): authorizationType is
// case-insensitive on input and stored upper-case; UpdateRestApi answers
// with tags ({} when none); an empty selectionPattern is kept and
// returned as "".
func TestSmallWireFacts(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	c, ctx := env.Client, context.Background()
	api := newAPI(t, c, "facts")

	for _, in := range []string{"none", "None", "NONE"} {
		m, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: api.RootResourceId, HttpMethod: aws.String("GET"), AuthorizationType: aws.String(in)})
		if err != nil {
			t.Fatalf("PutMethod authorizationType=%q: %v", in, err)
		}
		got, err := c.GetMethod(ctx, &apigateway.GetMethodInput{RestApiId: api.Id, ResourceId: api.RootResourceId, HttpMethod: aws.String("GET")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(m.AuthorizationType) != "NONE" || aws.ToString(got.AuthorizationType) != "NONE" {
			t.Errorf("authorizationType %q: PutMethod answered %q, GetMethod %q; want NONE", in, aws.ToString(m.AuthorizationType), aws.ToString(got.AuthorizationType))
		}
	}

	up, err := c.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: api.Id, PatchOperations: []types.PatchOperation{replace("/description", "d")}})
	if err != nil {
		t.Fatal(err)
	}
	if up.Tags == nil || len(up.Tags) != 0 || aws.ToString(up.Description) != "d" {
		t.Errorf("UpdateRestApi without tags answered tags=%#v description=%q; want tags {} (present, empty)", up.Tags, aws.ToString(up.Description))
	}
	tagged, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("tagged"), Tags: map[string]string{"team": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	up, err = c.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: tagged.Id, PatchOperations: []types.PatchOperation{replace("/name", "renamed")}})
	if err != nil {
		t.Fatal(err)
	}
	if up.Tags["team"] != "a" || len(up.Tags) != 1 {
		t.Errorf("UpdateRestApi answered tags=%v, want map[team:a]", up.Tags)
	}

	if _, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: api.Id, ResourceId: api.RootResourceId, HttpMethod: aws.String("GET"), Type: types.IntegrationTypeMock}); err != nil {
		t.Fatal(err)
	}
	ir, err := c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: api.Id, ResourceId: api.RootResourceId, HttpMethod: aws.String("GET"),
		StatusCode: aws.String("200"), SelectionPattern: aws.String("")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetIntegrationResponse(ctx, &apigateway.GetIntegrationResponseInput{RestApiId: api.Id, ResourceId: api.RootResourceId, HttpMethod: aws.String("GET"), StatusCode: aws.String("200")})
	if err != nil {
		t.Fatal(err)
	}
	if ir.SelectionPattern == nil || *ir.SelectionPattern != "" || got.SelectionPattern == nil || *got.SelectionPattern != "" {
		t.Errorf("empty selectionPattern: PutIntegrationResponse answered %v, GetIntegrationResponse %v; want \"\" in both", ir.SelectionPattern, got.SelectionPattern)
	}
}
