// Package openapi reads an OpenAPI 3.0 or Swagger 2.0 document (JSON or
// YAML) with Amazon API Gateway's x-amazon-apigateway-* extensions and
// turns it into an apidef.Definition: the resources, methods,
// integrations, models, request validators, authorizers and API-level
// settings (gateway responses, policy, minimum compression size, endpoint
// configuration, documentation parts, and Gatehouse's own
// x-gatehouse-settings: the API's gatehouse:* tags) an ImportRestApi or
// PutRestApi sets, in domain terms, plus the warnings AWS would give for
// what is not imported. It reads shapes only: the values are checked by
// control with the rules of the management calls that set them.
//
// Parsing uses github.com/getkin/kin-openapi (Swagger 2.0 is converted to
// OpenAPI 3 with its openapi2conv); YAML is read with go.yaml.in/yaml/v3.
// External $refs are never fetched. The package knows nothing of the
// store, the control plane or HTTP: the management API parses, control
// applies the Definition in one store transaction (control must not link
// kin-openapi, whose loader links net/http). It imports only apigw,
// apidef, kin-openapi and the YAML library.
package openapi
