package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apidef"
	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"
)

// MsgInvalid is AWS's answer to a document it cannot read (recorded).
const MsgInvalid = "Invalid OpenAPI input."

// The extensions Gatehouse imports.
const (
	extIntegration       = "x-amazon-apigateway-integration"
	extAPIKeySource      = "x-amazon-apigateway-api-key-source"
	extBinaryMediaTypes  = "x-amazon-apigateway-binary-media-types"
	extRequestValidators = "x-amazon-apigateway-request-validators"
	extRequestValidator  = "x-amazon-apigateway-request-validator"
	extAnyMethod         = "x-amazon-apigateway-any-method"
	extAuthorizer        = "x-amazon-apigateway-authorizer"
	extAuthType          = "x-amazon-apigateway-authtype"
	extGatewayResponses  = "x-amazon-apigateway-gateway-responses"
	extCompressionSize   = "x-amazon-apigateway-minimum-compression-size"
	extPolicy            = "x-amazon-apigateway-policy"
	extEndpointConfig    = "x-amazon-apigateway-endpoint-configuration"
	extDocumentation     = "x-amazon-apigateway-documentation"
	extPrefix            = "x-amazon-apigateway-"
	// ExtGatehouseSettings is Gatehouse's own extension: the API's
	// gatehouse:* tags without the prefix, {"apiKeyHeader": "x-key"}.
	ExtGatehouseSettings = "x-gatehouse-settings"
	extGatehousePrefix   = "x-gatehouse-"
	apiKeyHeader         = "x-api-key"
)

// InvalidError is a document that is not OpenAPI 3 or Swagger 2.0 JSON or
// YAML. Its Error is AWS's text; Err says why (for logs).
type InvalidError struct{ Err error }

func (e *InvalidError) Error() string { return MsgInvalid }
func (e *InvalidError) Unwrap() error { return e.Err }

// UnsupportedError is a document Gatehouse reads but cannot import
// faithfully (importing it would change what the API does, e.g. leave a
// method without the authorizer the document gives it).
type UnsupportedError struct{ Message string }

func (e *UnsupportedError) Error() string { return e.Message }

// Parse reads doc (JSON or YAML; OpenAPI 3.x or Swagger 2.0). References
// between models keep the document's form (apidef.LocalRefPrefix; a
// Swagger "#/definitions/X" becomes it): the importer rewrites them with
// apidef.ModelSchema once it knows the API's id.
func Parse(doc []byte) (def *apidef.Definition, err error) {
	defer func() {
		// kin-openapi is a third-party parser of outside input: a panic
		// in it must not take the server down.
		if r := recover(); r != nil {
			def, err = nil, &InvalidError{Err: fmt.Errorf("openapi parser panic: %v", r)}
		}
	}()
	t, basePath, err := load(doc)
	if err != nil {
		return nil, &InvalidError{Err: err}
	}
	p := &parser{raw: doc, doc: t, def: &apidef.Definition{BasePath: basePath}}
	if err := p.run(); err != nil {
		return nil, err
	}
	return p.def, nil
}

// load decodes doc into an OpenAPI 3 document, and returns its base path
// (basePathOf).
func load(doc []byte) (*openapi3.T, string, error) {
	t, swaggerBase, err := loadDoc(doc)
	if err != nil {
		return nil, "", err
	}
	if swaggerBase != nil {
		return t, cleanBasePath(*swaggerBase), nil
	}
	return t, basePathOf(t.Servers), nil
}

// cleanBasePath returns p as "/a/b" ("" for none or "/").
func cleanBasePath(p string) string {
	p = strings.Trim(p, "/")
	if p == "" {
		return ""
	}
	return "/" + p
}

// basePathOf returns an OpenAPI 3 document's base path, as AWS reads it
// for basepath=prepend|split: the first server's basePath variable's
// default, else the path of its URL.
func basePathOf(servers openapi3.Servers) string {
	if len(servers) == 0 || servers[0] == nil {
		return ""
	}
	srv := servers[0]
	if v := srv.Variables["basePath"]; v != nil && v.Default != "" {
		return cleanBasePath(v.Default)
	}
	u := srv.URL
	if _, rest, ok := strings.Cut(u, "://"); ok {
		u = rest
		i := strings.IndexByte(u, '/')
		if i < 0 {
			return ""
		}
		u = u[i:]
	}
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	return cleanBasePath(u)
}

// loadDoc decodes doc into an OpenAPI 3 document; for Swagger 2.0 it also
// returns basePath (nil for OpenAPI 3).
func loadDoc(doc []byte) (*openapi3.T, *string, error) {
	raw, err := toJSON(doc)
	if err != nil {
		return nil, nil, err
	}
	var head struct {
		Swagger  json.RawMessage `json:"swagger"`
		OpenAPI  json.RawMessage `json:"openapi"`
		BasePath string          `json:"basePath"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, nil, err
	}
	var swaggerBase *string
	switch {
	case head.Swagger != nil:
		swaggerBase = &head.BasePath
		var t2 openapi2.T
		if err := json.Unmarshal(raw, &t2); err != nil {
			return nil, nil, fmt.Errorf("swagger 2.0: %w", err)
		}
		if len(t2.Consumes) == 0 {
			// A body with no consumes (document or operation) is JSON, as
			// AWS's importer reads it; the converter would file it under */*
			// and its model would never be checked.
			t2.Consumes = []string{"application/json"}
		}
		t3, err := openapi2conv.ToV3(&t2)
		if err != nil {
			return nil, nil, fmt.Errorf("swagger 2.0 to openapi 3: %w", err)
		}
		if raw, err = json.Marshal(t3); err != nil {
			return nil, nil, fmt.Errorf("swagger 2.0 to openapi 3: %w", err)
		}
	case head.OpenAPI != nil:
	default:
		return nil, nil, errors.New("neither swagger nor openapi is set")
	}
	loader := openapi3.NewLoader() // IsExternalRefsAllowed is false: nothing is fetched
	t, err := loader.LoadFromData(raw)
	if err != nil {
		return nil, nil, err
	}
	if t.Paths == nil {
		t.Paths = openapi3.NewPaths()
	}
	return t, swaggerBase, nil
}

// toJSON returns doc as JSON: as is when it is a JSON object, else read as
// YAML (whose integer keys, such as status codes, become strings).
func toJSON(doc []byte) ([]byte, error) {
	trimmed := bytes.TrimSpace(doc)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var v map[string]any
		if err := json.Unmarshal(trimmed, &v); err == nil {
			return trimmed, nil
		}
	}
	var v any
	if err := yaml.Unmarshal(doc, &v); err != nil {
		return nil, fmt.Errorf("yaml: %w", err)
	}
	v, err := stringKeys(v, 0)
	if err != nil {
		return nil, err
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, errors.New("the document is not an object")
	}
	return json.Marshal(v)
}

// maxDepth bounds the nesting of a YAML document.
const maxDepth = 200

// stringKeys turns YAML maps into JSON objects (scalar keys as text).
func stringKeys(v any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("the document nests too deeply")
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			e, err := stringKeys(e, depth+1)
			if err != nil {
				return nil, err
			}
			x[k] = e
		}
		return x, nil
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			switch k.(type) {
			case map[any]any, map[string]any, []any:
				return nil, errors.New("a map key is not a scalar")
			}
			e, err := stringKeys(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[fmt.Sprint(k)] = e
		}
		return out, nil
	case []any:
		for i, e := range x {
			e, err := stringKeys(e, depth+1)
			if err != nil {
				return nil, err
			}
			x[i] = e
		}
		return x, nil
	}
	return v, nil
}

type parser struct {
	raw []byte // the document as sent (the documentation parts reader reads it)
	doc *openapi3.T
	def *apidef.Definition
	// apiKeySchemes are the security schemes that mean "an API key in
	// x-api-key"; authorizerSchemes those with an authorizer extension,
	// by name.
	apiKeySchemes     map[string]bool
	authorizerSchemes map[string]*apigw.Authorizer
	defaultValidator  string
}

func (p *parser) warn(format string, args ...any) {
	p.def.Warnings = append(p.def.Warnings, fmt.Sprintf(format, args...))
}

func (p *parser) run() error {
	if info := p.doc.Info; info != nil {
		p.def.Name, p.def.Description, p.def.Version = info.Title, info.Description, info.Version
	}
	if err := p.root(); err != nil {
		return err
	}
	if err := p.securitySchemes(); err != nil {
		return err
	}
	if err := p.models(); err != nil {
		return err
	}
	paths := p.doc.Paths.InMatchingOrder()
	sort.Strings(paths)
	for _, path := range paths {
		if err := p.path(path, p.doc.Paths.Value(path)); err != nil {
			return err
		}
	}
	return nil
}

// root reads the document-level extensions.
func (p *parser) root() error {
	for _, name := range sortedKeys(p.doc.Extensions) {
		v := p.doc.Extensions[name]
		switch name {
		case extAPIKeySource:
			s, _ := v.(string)
			s = strings.ToUpper(s)
			if s != apigw.KeySourceHeader && s != apigw.KeySourceAuthorizer {
				p.warn("Invalid value for %s: %v. Valid values are HEADER, AUTHORIZER", name, v)
				continue
			}
			p.def.APIKeySource = s
		case extBinaryMediaTypes:
			list, ok := stringList(v)
			if !ok {
				p.warn("Invalid format for '%s'. Expected a list of strings", name)
				continue
			}
			p.def.BinaryMediaTypes = list
		case extRequestValidators:
			if err := p.validators(v); err != nil {
				return err
			}
		case extRequestValidator:
			s, ok := v.(string)
			if !ok {
				p.warn("Invalid format for '%s'. Expected type string", name)
				continue
			}
			p.defaultValidator = s
		case extGatewayResponses:
			if err := p.gatewayResponses(v); err != nil {
				return err
			}
		case extCompressionSize:
			n, ok := v.(float64)
			if !ok || n != float64(int(n)) {
				return &UnsupportedError{Message: fmt.Sprintf("Invalid format for '%s': expected an integer, got %v", name, v)}
			}
			size := int(n)
			p.def.MinimumCompressionSize = &size
		case extPolicy:
			policy, err := policyText(v)
			if err != nil {
				return err
			}
			p.def.Policy = &policy
		case extEndpointConfig:
			if err := p.endpoint(v); err != nil {
				return err
			}
		case extDocumentation:
			parts, err := ParseDocumentationParts(p.raw)
			if err != nil {
				return &UnsupportedError{Message: fmt.Sprintf("Invalid format for '%s': %v", name, err)}
			}
			if parts == nil {
				parts = []apigw.DocumentationPart{}
			}
			p.def.DocumentationParts = parts
		case ExtGatehouseSettings:
			if err := p.settings(v); err != nil {
				return err
			}
		default:
			switch {
			case strings.HasPrefix(name, extPrefix):
				p.warn("Ignoring extension %s: Gatehouse does not import it yet", name)
			case strings.HasPrefix(name, extGatehousePrefix):
				p.warn("Ignoring extension %s: Gatehouse's own settings go in %s", name, ExtGatehouseSettings)
			}
		}
	}
	// OpenAPI 3 puts the endpoint configuration on the server object.
	if len(p.doc.Servers) > 0 && p.doc.Servers[0] != nil {
		if v, ok := p.doc.Servers[0].Extensions[extEndpointConfig]; ok {
			if err := p.endpoint(v); err != nil {
				return err
			}
		}
	}
	return nil
}

// gatewayResponses reads x-amazon-apigateway-gateway-responses: each
// type's statusCode (text or a number), responseParameters and
// responseTemplates. The importer checks the types and status codes.
func (p *parser) gatewayResponses(v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return &UnsupportedError{Message: fmt.Sprintf("Invalid format for '%s': expected an object of gateway response types", extGatewayResponses)}
	}
	p.def.GatewayResponses = map[string]*apigw.GatewayResponse{}
	for _, typ := range sortedKeys(m) {
		var x struct {
			StatusCode         any               `json:"statusCode"`
			ResponseParameters map[string]string `json:"responseParameters"`
			ResponseTemplates  map[string]string `json:"responseTemplates"`
		}
		if err := remarshal(m[typ], &x); err != nil {
			return &UnsupportedError{Message: fmt.Sprintf("Invalid format for gateway response '%s' in '%s': %v", typ, extGatewayResponses, err)}
		}
		gr := &apigw.GatewayResponse{Type: typ, ResponseParameters: x.ResponseParameters, ResponseTemplates: x.ResponseTemplates}
		switch c := x.StatusCode.(type) {
		case nil:
		case string:
			gr.StatusCode = c
		case float64:
			gr.StatusCode = strconv.FormatFloat(c, 'f', -1, 64)
		default:
			return &UnsupportedError{Message: fmt.Sprintf("Invalid format for 'statusCode' of gateway response '%s': %v", typ, c)}
		}
		p.def.GatewayResponses[typ] = gr
	}
	return nil
}

// policyText returns x-amazon-apigateway-policy as JSON text: AWS takes
// the policy document as an object (or as its JSON text in a string).
func policyText(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	if _, ok := v.(map[string]any); !ok {
		return "", &UnsupportedError{Message: fmt.Sprintf("Invalid format for '%s': expected a policy document (an object)", extPolicy)}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", &UnsupportedError{Message: fmt.Sprintf("Invalid format for '%s': %v", extPolicy, err)}
	}
	return string(b), nil
}

// endpoint reads x-amazon-apigateway-endpoint-configuration
// (disableExecuteApiEndpoint, vpcEndpointIds).
func (p *parser) endpoint(v any) error {
	var x struct {
		Disable *bool    `json:"disableExecuteApiEndpoint"`
		VPCEs   []string `json:"vpcEndpointIds"`
	}
	if _, ok := v.(map[string]any); !ok {
		return &UnsupportedError{Message: fmt.Sprintf("Invalid format for '%s': expected an object", extEndpointConfig)}
	}
	if err := remarshal(v, &x); err != nil {
		return &UnsupportedError{Message: fmt.Sprintf("Invalid format for '%s': %v", extEndpointConfig, err)}
	}
	p.def.Endpoint = &apidef.Endpoint{DisableExecuteAPIEndpoint: x.Disable, VPCEndpointIDs: x.VPCEs}
	return nil
}

// settings reads x-gatehouse-settings: each member is a Gatehouse tag of
// the API without its prefix; a value is text, a boolean ("true",
// "false") or a list of text (joined with commas, as the tag takes it).
// The importer checks them as the tags are checked.
func (p *parser) settings(v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return &UnsupportedError{Message: fmt.Sprintf("Invalid format for '%s': expected an object such as {\"apiKeyHeader\": \"x-key\"}", ExtGatehouseSettings)}
	}
	p.def.Settings = map[string]string{}
	for _, k := range sortedKeys(m) {
		var s string
		switch x := m[k].(type) {
		case string:
			s = x
		case bool:
			s = strconv.FormatBool(x)
		case []any:
			list, ok := stringList(x)
			if !ok {
				return &UnsupportedError{Message: fmt.Sprintf("Invalid value for '%s' in '%s': a list must hold text only", k, ExtGatehouseSettings)}
			}
			s = strings.Join(list, ",")
		default:
			return &UnsupportedError{Message: fmt.Sprintf("Invalid value for '%s' in '%s': %v: expected text, a boolean or a list of text", k, ExtGatehouseSettings, x)}
		}
		p.def.Settings[apigw.TagPrefix+k] = s
	}
	return nil
}

func (p *parser) validators(v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		p.warn("Invalid format for '%s'. Expected an object", extRequestValidators)
		return nil
	}
	for _, name := range sortedKeys(m) {
		var rv struct {
			Body   bool `json:"validateRequestBody"`
			Params bool `json:"validateRequestParameters"`
		}
		if err := remarshal(m[name], &rv); err != nil {
			p.warn("Invalid format for request validator '%s': %v", name, err)
			continue
		}
		p.def.Validators = append(p.def.Validators, &apigw.RequestValidator{Name: name, ValidateRequestBody: rv.Body, ValidateRequestParameters: rv.Params})
	}
	return nil
}

// securitySchemes classifies components.securitySchemes; those with
// x-amazon-apigateway-authorizer become the definition's authorizers.
func (p *parser) securitySchemes() error {
	p.apiKeySchemes, p.authorizerSchemes = map[string]bool{}, map[string]*apigw.Authorizer{}
	if p.doc.Components == nil {
		return nil
	}
	for _, name := range sortedKeys(p.doc.Components.SecuritySchemes) {
		ref := p.doc.Components.SecuritySchemes[name]
		if ref == nil || ref.Value == nil {
			continue
		}
		s := ref.Value
		if raw, ok := s.Extensions[extAuthorizer]; ok {
			a, err := p.authorizer(name, s.Name, raw, s.Extensions[extAuthType])
			if err != nil {
				return err
			}
			p.authorizerSchemes[name] = a
			p.def.Authorizers = append(p.def.Authorizers, a)
			continue
		}
		if s.Type == "apiKey" && strings.EqualFold(s.In, "header") && strings.EqualFold(s.Name, apiKeyHeader) {
			p.apiKeySchemes[name] = true
		}
	}
	return nil
}

// authorizerExt is x-amazon-apigateway-authorizer.
type authorizerExt struct {
	Type                         string   `json:"type"`
	AuthorizerURI                string   `json:"authorizerUri"`
	AuthorizerCredentials        string   `json:"authorizerCredentials"`
	IdentitySource               string   `json:"identitySource"`
	IdentityValidationExpression string   `json:"identityValidationExpression"`
	AuthorizerResultTTLInSeconds *int     `json:"authorizerResultTtlInSeconds"`
	ProviderARNs                 []string `json:"providerARNs"`
}

// authorizer reads the authorizer of security scheme name (whose header
// is header): its type (token, request, cognito_user_pools), function or
// user pools, identity source (the scheme's header when the extension
// names none, for TOKEN and COGNITO_USER_POOLS, as AWS does) and authtype.
// The control plane checks it as CreateAuthorizer would.
func (p *parser) authorizer(name, header string, raw, authType any) (*apigw.Authorizer, error) {
	var x authorizerExt
	if err := remarshal(raw, &x); err != nil {
		return nil, &UnsupportedError{Message: fmt.Sprintf("Invalid format for '%s' of security scheme '%s': %v", extAuthorizer, name, err)}
	}
	a := &apigw.Authorizer{
		Name:                         name,
		Type:                         strings.ToUpper(x.Type),
		ProviderARNs:                 x.ProviderARNs,
		AuthorizerURI:                x.AuthorizerURI,
		AuthorizerCredentials:        x.AuthorizerCredentials,
		IdentitySource:               x.IdentitySource,
		IdentityValidationExpression: x.IdentityValidationExpression,
		AuthorizerResultTTLInSeconds: x.AuthorizerResultTTLInSeconds,
	}
	if a.Type == "" {
		a.Type = apigw.AuthorizerToken
	}
	if a.IdentitySource == "" && a.Type != apigw.AuthorizerRequest && header != "" {
		a.IdentitySource = "method.request.header." + header
	}
	a.AuthType, _ = authType.(string)
	if a.AuthType == "" {
		a.AuthType = "custom"
		if a.Type == apigw.AuthorizerCognito {
			a.AuthType = "cognito_user_pools"
		}
	}
	return a, nil
}

// models reads components.schemas into models.
func (p *parser) models() error {
	if p.doc.Components == nil {
		return nil
	}
	for _, name := range sortedKeys(p.doc.Components.Schemas) {
		b, err := json.Marshal(p.doc.Components.Schemas[name])
		if err != nil {
			return &InvalidError{Err: fmt.Errorf("schema %s: %w", name, err)}
		}
		p.def.Models = append(p.def.Models, &apigw.Model{Name: name, Schema: string(b), ContentType: apigw.ContentTypeJSON})
	}
	return nil
}

// path reads one path item.
func (p *parser) path(path string, item *openapi3.PathItem) error {
	if !strings.HasPrefix(path, "/") {
		p.warn("Ignoring path %s: a path must start with /", path)
		return nil
	}
	res := apidef.Resource{Path: path, Methods: map[string]*apidef.Method{}}
	if item != nil {
		ops := item.Operations()
		if raw, ok := item.Extensions[extAnyMethod]; ok {
			var op openapi3.Operation
			if err := remarshal(raw, &op); err != nil {
				p.warn("Invalid format for '%s' of resource '%s': %v", extAnyMethod, path, err)
			} else {
				ops["ANY"] = &op
			}
		}
		for _, verb := range sortedKeys(ops) {
			upper := strings.ToUpper(verb)
			if !slices.Contains(apigw.HTTPMethods, upper) {
				p.warn("Ignoring method %s of resource '%s': API Gateway has no such method", upper, path)
				continue
			}
			m, err := p.method(path, upper, item, ops[verb])
			if err != nil {
				return err
			}
			res.Methods[upper] = m
		}
	}
	p.def.Resources = append(p.def.Resources, res)
	return nil
}

// method reads one operation.
func (p *parser) method(path, verb string, item *openapi3.PathItem, op *openapi3.Operation) (*apidef.Method, error) {
	m := &apidef.Method{Method: &apigw.Method{HTTPMethod: verb, AuthorizationType: apigw.AuthNone, OperationName: op.OperationID}}
	sec := p.doc.Security
	if op.Security != nil {
		sec = *op.Security
	}
	for _, req := range sec {
		for _, name := range sortedKeys(req) {
			switch {
			case p.apiKeySchemes[name]:
				m.APIKeyRequired = true
			case p.authorizerSchemes[name] != nil:
				a := p.authorizerSchemes[name]
				if m.AuthorizerName != "" && m.AuthorizerName != name {
					return nil, &UnsupportedError{Message: fmt.Sprintf("Unable to put method '%s' on resource at path '%s': it names two authorizers ('%s' and '%s'); a method has at most one", verb, path, m.AuthorizerName, name)}
				}
				m.AuthorizerName = name
				m.AuthorizationType = apigw.AuthCustom
				if a.Type == apigw.AuthorizerCognito {
					m.AuthorizationType = apigw.AuthCognito
				}
				if scopes := req[name]; len(scopes) > 0 {
					m.AuthorizationScopes = slices.Clone(scopes)
				}
			default:
				p.warn("Ignoring security scheme '%s' of resource '%s' and method '%s': only an apiKey scheme in header %s (apiKeyRequired) is imported", name, path, verb, apiKeyHeader)
			}
		}
	}
	params := slices.Concat(item.Parameters, op.Parameters)
	for _, ref := range params {
		if ref == nil || ref.Value == nil {
			continue
		}
		prm := ref.Value
		loc := map[string]string{"path": "path", "query": "querystring", "header": "header"}[prm.In]
		if loc == "" {
			p.warn("Ignoring parameter '%s' in %s of resource '%s' and method '%s'", prm.Name, prm.In, path, verb)
			continue
		}
		if m.RequestParameters == nil {
			m.RequestParameters = map[string]bool{}
		}
		m.RequestParameters["method.request."+loc+"."+prm.Name] = prm.Required || prm.In == "path"
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		for _, ct := range sortedKeys(op.RequestBody.Value.Content) {
			if name := p.modelName(op.RequestBody.Value.Content[ct]); name != "" {
				if m.RequestModels == nil {
					m.RequestModels = map[string]string{}
				}
				m.RequestModels[ct] = name
			}
		}
	}
	if op.Responses != nil {
		for code, ref := range op.Responses.Map() {
			if ref == nil || ref.Value == nil || len(code) != 3 {
				continue
			}
			mr := &apigw.MethodResponse{StatusCode: code}
			for _, h := range sortedKeys(ref.Value.Headers) {
				if mr.ResponseParameters == nil {
					mr.ResponseParameters = map[string]bool{}
				}
				mr.ResponseParameters["method.response.header."+h] = false
			}
			for _, ct := range sortedKeys(ref.Value.Content) {
				if name := p.modelName(ref.Value.Content[ct]); name != "" {
					if mr.ResponseModels == nil {
						mr.ResponseModels = map[string]string{}
					}
					mr.ResponseModels[ct] = name
				}
			}
			if m.MethodResponses == nil {
				m.MethodResponses = map[string]*apigw.MethodResponse{}
			}
			m.MethodResponses[code] = mr
		}
	}
	m.ValidatorName = p.defaultValidator
	for _, name := range sortedKeys(op.Extensions) {
		v := op.Extensions[name]
		switch name {
		case extIntegration:
			m.Integration = p.integration(path, verb, v)
		case extRequestValidator:
			s, ok := v.(string)
			if !ok {
				p.warn("Invalid format for '%s' of resource '%s' and method '%s'. Expected type string", name, path, verb)
				continue
			}
			m.ValidatorName = s
		default:
			if strings.HasPrefix(name, extPrefix) {
				p.warn("Ignoring extension %s of resource '%s' and method '%s': Gatehouse does not import it yet", name, path, verb)
			}
		}
	}
	return m, nil
}

// modelName returns the model a media type's schema names ("" for an
// inline schema or none).
func (p *parser) modelName(mt *openapi3.MediaType) string {
	if mt == nil || mt.Schema == nil {
		return ""
	}
	name, _ := strings.CutPrefix(mt.Schema.Ref, apidef.LocalRefPrefix)
	return name
}

// integrationExt is x-amazon-apigateway-integration.
type integrationExt struct {
	Type                string         `json:"type"`
	URI                 string         `json:"uri"`
	HTTPMethod          string         `json:"httpMethod"`
	Credentials         string         `json:"credentials"`
	ConnectionType      string         `json:"connectionType"`
	ConnectionID        string         `json:"connectionId"`
	RequestParameters   map[string]any `json:"requestParameters"`
	RequestTemplates    map[string]any `json:"requestTemplates"`
	PassthroughBehavior string         `json:"passthroughBehavior"`
	ContentHandling     string         `json:"contentHandling"`
	TimeoutInMillis     *int           `json:"timeoutInMillis"`
	CacheNamespace      string         `json:"cacheNamespace"`
	CacheKeyParameters  []string       `json:"cacheKeyParameters"`
	Responses           map[string]struct {
		StatusCode         any            `json:"statusCode"`
		ResponseParameters map[string]any `json:"responseParameters"`
		ResponseTemplates  map[string]any `json:"responseTemplates"`
		ContentHandling    string         `json:"contentHandling"`
	} `json:"responses"`
}

// integration reads x-amazon-apigateway-integration (nil, with a warning,
// when it cannot be read).
func (p *parser) integration(path, verb string, v any) *apigw.Integration {
	var x integrationExt
	if err := remarshal(v, &x); err != nil {
		p.warn("Invalid format for '%s' of resource '%s' and method '%s': %v", extIntegration, path, verb, err)
		return nil
	}
	in := &apigw.Integration{
		Type:                strings.ToUpper(x.Type),
		URI:                 x.URI,
		HTTPMethod:          strings.ToUpper(x.HTTPMethod),
		Credentials:         x.Credentials,
		ConnectionType:      strings.ToUpper(x.ConnectionType),
		ConnectionID:        x.ConnectionID,
		RequestParameters:   p.stringMap("requestParameters", path, verb, x.RequestParameters),
		RequestTemplates:    p.stringMap("requestTemplates", path, verb, x.RequestTemplates),
		PassthroughBehavior: strings.ToUpper(x.PassthroughBehavior),
		ContentHandling:     strings.ToUpper(x.ContentHandling),
		CacheNamespace:      x.CacheNamespace,
		CacheKeyParameters:  x.CacheKeyParameters,
	}
	if x.TimeoutInMillis != nil {
		in.TimeoutInMillis = *x.TimeoutInMillis
	}
	for _, pattern := range sortedKeys(x.Responses) {
		r := x.Responses[pattern]
		code := ""
		switch c := r.StatusCode.(type) {
		case string:
			code = c
		case float64:
			code = strconv.FormatFloat(c, 'f', -1, 64)
		}
		if code == "" {
			p.warn("Invalid format for 'responses'. Missing statusCode for response '%s' of resource '%s' and method '%s'", pattern, path, verb)
			continue
		}
		ir := &apigw.IntegrationResponse{
			StatusCode:         code,
			ResponseParameters: p.stringMap("responseParameters", path, verb, r.ResponseParameters),
			ResponseTemplates:  p.stringMap("responseTemplates", path, verb, r.ResponseTemplates),
			ContentHandling:    strings.ToUpper(r.ContentHandling),
		}
		if pattern != "default" {
			ir.SelectionPattern = pattern
		}
		if in.IntegrationResponses == nil {
			in.IntegrationResponses = map[string]*apigw.IntegrationResponse{}
		}
		in.IntegrationResponses[code] = ir
	}
	return in
}

// stringMap keeps the string values of m, warning with AWS's text about
// the others.
func (p *parser) stringMap(field, path, verb string, m map[string]any) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for _, k := range sortedKeys(m) {
		s, ok := m[k].(string)
		if !ok {
			p.warn("Invalid format for '%s'. Expected type string for property '%s' of resource '%s' and method '%s' but got '%v'", field, k, path, verb, m[k])
			continue
		}
		out[k] = s
	}
	return out
}

// remarshal decodes the JSON form of v (an extension's value) into out.
func remarshal(v, out any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

func stringList(v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
