package openapi

import (
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/google/go-cmp/cmp"
)

func TestParseDocumentationParts(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		want    []apigw.DocumentationPart
		wantErr bool
	}{
		{name: "JSON", doc: `{"openapi":"3.0.1","x-amazon-apigateway-documentation":{"version":"1","documentationParts":[
			{"location":{"type":"API"},"properties":{"description":"API description","info":{"version":"3"}}},
			{"location":{"type":"RESPONSE","path":"/","method":"GET","statusCode":"200"},"properties":{"description":"200 response"}}]}}`,
			want: []apigw.DocumentationPart{
				{Location: apigw.DocumentationLocation{Type: "API"}, Properties: `{"description":"API description","info":{"version":"3"}}`},
				{Location: apigw.DocumentationLocation{Type: "RESPONSE", Path: "/", Method: "GET", StatusCode: "200"}, Properties: `{"description":"200 response"}`},
			}},
		{name: "YAML", doc: "swagger: '2.0'\nx-amazon-apigateway-documentation:\n  documentationParts:\n  - location: {type: MODEL, name: Pet}\n    properties: {title: Pet Schema}\n",
			want: []apigw.DocumentationPart{{Location: apigw.DocumentationLocation{Type: "MODEL", Name: "Pet"}, Properties: `{"title":"Pet Schema"}`}}},
		{name: "no extension", doc: `{"openapi":"3.0.1"}`},
		{name: "not OpenAPI", doc: `{"foo":1}`, wantErr: true},
		{name: "not JSON or YAML", doc: `{"openapi": [`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDocumentationParts([]byte(tt.doc))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parts (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseDocumentationParts(f *testing.F) {
	f.Add([]byte(`{"openapi":"3.0.1","x-amazon-apigateway-documentation":{"documentationParts":[{"location":{"type":"API"},"properties":{"a":1}}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		parts, err := ParseDocumentationParts(b)
		if err != nil && parts != nil {
			t.Fatal("parts with an error")
		}
	})
}
