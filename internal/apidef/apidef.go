// Package apidef is an API definition read from a document (an OpenAPI
// import), in domain terms: what control applies to a REST API in one
// store transaction. It is plain data and the rewriting of model
// references; package openapi produces it, control consumes it, so that
// control never links the OpenAPI parser (whose loader links net/http).
// It imports only the domain model.
package apidef

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// LocalRefPrefix starts a reference to another schema of the document,
// the form Definition.Models' schemas use until ModelSchema rewrites them.
const LocalRefPrefix = "#/components/schemas/"

// Definition is what a document defines.
type Definition struct {
	// Name, Description and Version are info.title, info.description and
	// info.version ("" when absent).
	Name, Description, Version string
	// APIKeySource is x-amazon-apigateway-api-key-source ("" when absent).
	APIKeySource string
	// BinaryMediaTypes is x-amazon-apigateway-binary-media-types.
	BinaryMediaTypes []string
	// Resources are the document's paths, sorted, each with its methods.
	Resources []Resource
	// Models are the document's schemas, sorted by name, without ids;
	// references between them have the LocalRefPrefix form.
	Models []*apigw.Model
	// Validators are the document's request validators, sorted by name,
	// without ids.
	Validators []*apigw.RequestValidator
	// Authorizers are the document's security schemes with an
	// x-amazon-apigateway-authorizer, named after the scheme, sorted by
	// name, without ids.
	Authorizers []*apigw.Authorizer
	// Warnings are what AWS would warn about, and what Gatehouse ignores.
	Warnings []string
	// GatewayResponses is x-amazon-apigateway-gateway-responses, by type
	// (Default false; the importer checks them as PutGatewayResponse does).
	GatewayResponses map[string]*apigw.GatewayResponse
	// MinimumCompressionSize is x-amazon-apigateway-minimum-compression-size
	// (nil when absent).
	MinimumCompressionSize *int
	// Policy is x-amazon-apigateway-policy as JSON text (nil when absent).
	Policy *string
	// Endpoint is x-amazon-apigateway-endpoint-configuration (nil when
	// absent).
	Endpoint *Endpoint
	// DocumentationParts is x-amazon-apigateway-documentation's parts
	// (nil when the document has no such extension), without ids.
	DocumentationParts []apigw.DocumentationPart
	// Settings is x-gatehouse-settings as the API's Gatehouse tags
	// ("gatehouse:apiKeyHeader" → value; nil when absent). The importer
	// checks them as TagResource checks the tags.
	Settings map[string]string
	// BasePath is the document's base path ("/v1", "" when none): Swagger's
	// basePath, or OpenAPI 3's first server's basePath variable or URL
	// path. The importer uses it for basepath=prepend|split.
	BasePath string
}

// WithBasePath returns def with its resource paths under prefix ("/v1";
// "" returns def itself), in its warnings too (AWS names the resource by
// its path after the prefix). def is not changed.
func (def *Definition) WithBasePath(prefix string) *Definition {
	if prefix == "" {
		return def
	}
	out := *def
	out.Resources = make([]Resource, len(def.Resources))
	for i, r := range def.Resources {
		r.Path = strings.TrimSuffix(prefix+r.Path, "/")
		out.Resources[i] = r
	}
	out.Warnings = make([]string, len(def.Warnings))
	for i, w := range def.Warnings {
		out.Warnings[i] = warningResource.ReplaceAllStringFunc(w, func(m string) string {
			path := strings.TrimSuffix(strings.TrimPrefix(m, warningResourcePrefix), "'")
			return warningResourcePrefix + strings.TrimSuffix(prefix+path, "/") + "'"
		})
	}
	return &out
}

// warningResourcePrefix starts the resource a warning names, as AWS's
// texts (and package openapi's) do: "… of resource '/pets' and method
// 'GET' …".
const warningResourcePrefix = "of resource '"

var warningResource = regexp.MustCompile(`of resource '/[^']*'`)

// Endpoint is x-amazon-apigateway-endpoint-configuration: nil members
// were absent.
type Endpoint struct {
	DisableExecuteAPIEndpoint *bool
	VPCEndpointIDs            []string
}

// Resource is one path of the document.
type Resource struct {
	Path    string // "/" or "/pets/{id}"
	Methods map[string]*Method
}

// Method is a method with the names of its request validator and its
// authorizer ("" none). Method.RequestValidatorID and AuthorizerID are
// left empty: the importer resolves the names.
type Method struct {
	*apigw.Method
	ValidatorName  string
	AuthorizerName string
}

// ModelSchema returns schema with its LocalRefPrefix references rewritten
// to the model URLs of API apiID (apigw.ModelURL).
func ModelSchema(schema, apiID string) (string, error) {
	if !strings.Contains(schema, LocalRefPrefix) {
		return schema, nil
	}
	var v any
	if err := json.Unmarshal([]byte(schema), &v); err != nil {
		return "", fmt.Errorf("model schema: %w", err)
	}
	b, err := json.Marshal(rewrite(v, apiID))
	if err != nil {
		return "", fmt.Errorf("model schema: %w", err)
	}
	return string(b), nil
}

func rewrite(v any, apiID string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "$ref" {
				if name, ok := strings.CutPrefix(s, LocalRefPrefix); ok {
					x[k] = apigw.ModelURL(apiID, name)
				}
				continue
			}
			x[k] = rewrite(e, apiID)
		}
	case []any:
		for i, e := range x {
			x[i] = rewrite(e, apiID)
		}
	}
	return v
}

// ExportSchema returns a stored model schema as a document's schema
// object: its references to other models of the API (apigw.ModelURL
// form) rewritten to refPrefix+name ("#/definitions/" for Swagger 2.0,
// LocalRefPrefix for OpenAPI 3), and the top-level "$schema" (which
// neither format allows in a schema object) left out. The inverse of
// ModelSchema.
func ExportSchema(schema, refPrefix string) (any, error) {
	var v any
	if err := json.Unmarshal([]byte(schema), &v); err != nil {
		return nil, fmt.Errorf("model schema: %w", err)
	}
	if m, ok := v.(map[string]any); ok {
		delete(m, "$schema")
	}
	return unrewrite(v, refPrefix), nil
}

func unrewrite(v any, refPrefix string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "$ref" {
				if _, name, ok := apigw.ParseModelURL(s); ok {
					x[k] = refPrefix + name
				}
				continue
			}
			x[k] = unrewrite(e, refPrefix)
		}
	case []any:
		for i, e := range x {
			x[i] = unrewrite(e, refPrefix)
		}
	}
	return v
}
