package awsapi_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/gatehouse-dev/gatehouse/internal/apitest"
)

// TestDocumentationParts follows AWS's recorded lifecycle and refusals
// (test_documentation_part_lifecycle, test_invalid_*_documentation_part*,
// test_import_documentation_parts*).
func TestDocumentationParts(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	c, ctx := env.Client, context.Background()
	api := aws.ToString(newAPI(t, c, "docs").Id)

	created, err := c.CreateDocumentationPart(ctx, &apigateway.CreateDocumentationPartInput{RestApiId: &api,
		Location: &types.DocumentationPartLocation{Type: types.DocumentationPartTypeApi}, Properties: aws.String(`{"description":"Sample API description"}`)})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.Id)
	if created.Location.Type != types.DocumentationPartTypeApi || aws.ToString(created.Properties) != `{"description":"Sample API description"}` {
		t.Errorf("created %+v", created)
	}
	upd, err := c.UpdateDocumentationPart(ctx, &apigateway.UpdateDocumentationPartInput{RestApiId: &api, DocumentationPartId: &id,
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/properties"), Value: aws.String(`{"description":"Updated Sample API description"}`)}}})
	if err != nil || aws.ToString(upd.Properties) != `{"description":"Updated Sample API description"}` {
		t.Fatalf("update: %+v %v", upd, err)
	}
	got, err := c.GetDocumentationPart(ctx, &apigateway.GetDocumentationPartInput{RestApiId: &api, DocumentationPartId: &id})
	if err != nil || aws.ToString(got.Properties) != aws.ToString(upd.Properties) {
		t.Fatalf("get: %+v %v", got, err)
	}

	const doc = `{"openapi":"3.0.1","info":{"title":"x","version":"1"},"paths":{},"x-amazon-apigateway-documentation":{"version":"1","documentationParts":[
		{"location":{"type":"API"},"properties":{"description":"API description"}},
		{"location":{"type":"METHOD","path":"/","method":"GET"},"properties":{"description":"Method description."}}]}}`
	imp, err := c.ImportDocumentationParts(ctx, &apigateway.ImportDocumentationPartsInput{RestApiId: &api, Body: []byte(doc), Mode: types.PutModeOverwrite})
	if err != nil || len(imp.Ids) != 2 {
		t.Fatalf("import: %+v %v", imp, err)
	}
	list, err := c.GetDocumentationParts(ctx, &apigateway.GetDocumentationPartsInput{RestApiId: &api})
	if err != nil || len(list.Items) != 2 {
		t.Fatalf("after an overwrite import: %+v %v", list, err)
	}
	methods, err := c.GetDocumentationParts(ctx, &apigateway.GetDocumentationPartsInput{RestApiId: &api, Type: types.DocumentationPartTypeMethod})
	if err != nil || len(methods.Items) != 1 || aws.ToString(methods.Items[0].Location.Method) != "GET" {
		t.Fatalf("METHOD parts: %+v %v", methods, err)
	}

	bad := "fake-api"
	tests := []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"create on an unknown API", func() error {
			_, err := c.CreateDocumentationPart(ctx, &apigateway.CreateDocumentationPartInput{RestApiId: &bad, Location: &types.DocumentationPartLocation{Type: types.DocumentationPartTypeApi}, Properties: aws.String(`{}`)})
			return err
		}, "NotFoundException", "Invalid API identifier specified 000000000000:fake-api"},
		{"list of an unknown API", func() error {
			_, err := c.GetDocumentationParts(ctx, &apigateway.GetDocumentationPartsInput{RestApiId: &bad})
			return err
		}, "NotFoundException", "Invalid API identifier specified 000000000000:fake-api"},
		{"get on an unknown API", func() error {
			_, err := c.GetDocumentationPart(ctx, &apigateway.GetDocumentationPartInput{RestApiId: &bad, DocumentationPartId: &id})
			return err
		}, "NotFoundException", "Invalid Documentation part identifier specified"},
		{"get an unknown part", func() error {
			_, err := c.GetDocumentationPart(ctx, &apigateway.GetDocumentationPartInput{RestApiId: &api, DocumentationPartId: aws.String("nosuch")})
			return err
		}, "NotFoundException", "Invalid Documentation part identifier specified"},
		{"invalid location type", func() error {
			_, err := c.CreateDocumentationPart(ctx, &apigateway.CreateDocumentationPartInput{RestApiId: &api, Location: &types.DocumentationPartLocation{Type: "INVALID"}, Properties: aws.String(`{}`)})
			return err
		}, "ValidationException", "1 validation error detected: Value 'INVALID' at 'createDocumentationPartInput.location.type' failed to satisfy constraint: Member must satisfy enum value set: [RESPONSE_BODY, RESPONSE, METHOD, MODEL, AUTHORIZER, RESPONSE_HEADER, RESOURCE, PATH_PARAMETER, REQUEST_BODY, QUERY_PARAMETER, API, REQUEST_HEADER]"},
		{"add /properties", func() error {
			_, err := c.UpdateDocumentationPart(ctx, &apigateway.UpdateDocumentationPartInput{RestApiId: &api, DocumentationPartId: &imp.Ids[0],
				PatchOperations: []types.PatchOperation{{Op: types.OpAdd, Path: aws.String("/properties"), Value: aws.String(`{}`)}}})
			return err
		}, "BadRequestException", "Invalid patch path  '/properties' specified for op 'add'. Please choose supported operations"},
		{"replace an unknown path", func() error {
			_, err := c.UpdateDocumentationPart(ctx, &apigateway.UpdateDocumentationPartInput{RestApiId: &api, DocumentationPartId: &imp.Ids[0],
				PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/invalidPath"), Value: aws.String(`{}`)}}})
			return err
		}, "BadRequestException", "Invalid patch path  '/invalidPath' specified for op 'replace'. Must be one of: [/properties]"},
		{"delete on an unknown API", func() error {
			_, err := c.DeleteDocumentationPart(ctx, &apigateway.DeleteDocumentationPartInput{RestApiId: &bad, DocumentationPartId: &imp.Ids[0]})
			return err
		}, "NotFoundException", "Invalid API identifier specified 000000000000:fake-api"},
		{"import a bad file", func() error {
			_, err := c.ImportDocumentationParts(ctx, &apigateway.ImportDocumentationPartsInput{RestApiId: &api, Body: []byte(`{"openapi": [`)})
			return err
		}, "BadRequestException", "Unable to build importer with provided input."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { apitest.WantError(t, tt.call(), tt.code, tt.msg) })
	}

	if _, err := c.DeleteDocumentationPart(ctx, &apigateway.DeleteDocumentationPartInput{RestApiId: &api, DocumentationPartId: &imp.Ids[0]}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteDocumentationPart(ctx, &apigateway.DeleteDocumentationPartInput{RestApiId: &api, DocumentationPartId: &imp.Ids[0]})
	apitest.WantError(t, err, "NotFoundException", "Invalid Documentation part identifier specified")
}

// TestDocumentationVersions follows test_documentation_parts_and_versions:
// create, update the description, get; a version can name a stage.
func TestDocumentationVersions(t *testing.T) {
	env := apitest.Start(t, apitest.Options{})
	c, ctx := env.Client, context.Background()
	api := keysTestStage(t, env, "docsapi001", "dev")
	v, err := c.CreateDocumentationVersion(ctx, &apigateway.CreateDocumentationVersionInput{RestApiId: &api, DocumentationVersion: aws.String("v123"), StageName: aws.String("dev")})
	if err != nil || aws.ToString(v.Version) != "v123" || v.CreatedDate == nil || v.Description != nil {
		t.Fatalf("create: %+v %v", v, err)
	}
	st, err := c.GetStage(ctx, &apigateway.GetStageInput{RestApiId: &api, StageName: aws.String("dev")})
	if err != nil || aws.ToString(st.DocumentationVersion) != "v123" {
		t.Errorf("stage documentationVersion %q, %v", aws.ToString(st.DocumentationVersion), err)
	}
	upd, err := c.UpdateDocumentationVersion(ctx, &apigateway.UpdateDocumentationVersionInput{RestApiId: &api, DocumentationVersion: aws.String("v123"),
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/description"), Value: aws.String("doc version new")}}})
	if err != nil || aws.ToString(upd.Description) != "doc version new" {
		t.Fatalf("update: %+v %v", upd, err)
	}
	got, err := c.GetDocumentationVersion(ctx, &apigateway.GetDocumentationVersionInput{RestApiId: &api, DocumentationVersion: aws.String("v123")})
	if err != nil || aws.ToString(got.Description) != "doc version new" {
		t.Fatalf("get: %+v %v", got, err)
	}
	_, err = c.CreateDocumentationVersion(ctx, &apigateway.CreateDocumentationVersionInput{RestApiId: &api, DocumentationVersion: aws.String("v123")})
	apitest.WantError(t, err, "ConflictException", "Documentation version already exists: v123")
	list, err := c.GetDocumentationVersions(ctx, &apigateway.GetDocumentationVersionsInput{RestApiId: &api})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("list: %+v %v", list, err)
	}
	if _, err := c.DeleteDocumentationVersion(ctx, &apigateway.DeleteDocumentationVersionInput{RestApiId: &api, DocumentationVersion: aws.String("v123")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetDocumentationVersion(ctx, &apigateway.GetDocumentationVersionInput{RestApiId: &api, DocumentationVersion: aws.String("v123")})
	apitest.WantError(t, err, "NotFoundException", "Invalid Documentation version identifier specified")
}
