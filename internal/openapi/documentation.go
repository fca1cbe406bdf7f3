package openapi

import (
	"encoding/json"
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// ParseDocumentationParts reads the documentation parts of an OpenAPI or
// Swagger document (JSON or YAML) from its x-amazon-apigateway-documentation
// extension, as ImportDocumentationParts takes them: each part's location
// and its properties as JSON text (ids are left empty). A document without
// the extension has none.
func ParseDocumentationParts(body []byte) ([]apigw.DocumentationPart, error) {
	type location struct {
		Type       string `yaml:"type"`
		Path       string `yaml:"path"`
		Method     string `yaml:"method"`
		StatusCode string `yaml:"statusCode"`
		Name       string `yaml:"name"`
	}
	var doc struct {
		Ext *struct {
			Parts []struct {
				Location   location       `yaml:"location"`
				Properties map[string]any `yaml:"properties"`
			} `yaml:"documentationParts"`
		} `yaml:"x-amazon-apigateway-documentation"`
		OpenAPI string `yaml:"openapi"`
		Swagger string `yaml:"swagger"`
	}
	if err := yaml.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("documentation parts: %w", err)
	}
	if doc.OpenAPI == "" && doc.Swagger == "" {
		return nil, errors.New("documentation parts: not an OpenAPI or Swagger document (no openapi or swagger field)")
	}
	if doc.Ext == nil {
		return nil, nil
	}
	out := make([]apigw.DocumentationPart, 0, len(doc.Ext.Parts))
	for i, p := range doc.Ext.Parts {
		props, err := json.Marshal(p.Properties)
		if err != nil {
			return nil, fmt.Errorf("documentation part %d: properties: %w", i, err)
		}
		l := p.Location
		out = append(out, apigw.DocumentationPart{
			Location:   apigw.DocumentationLocation{Type: l.Type, Path: l.Path, Method: l.Method, StatusCode: l.StatusCode, Name: l.Name},
			Properties: string(props),
		})
	}
	return out, nil
}
