package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gatehouse-dev/gatehouse/internal/apidef"
	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/respath"
)

// Export types (GetExport's exportType) and the extensions parameter's
// values, as AWS names them.
const (
	ExportOAS30   = "oas30"
	ExportSwagger = "swagger"

	ExtensionIntegrations = "integrations"
	ExtensionAuthorizers  = "authorizers"
	ExtensionAPIGateway   = "apigateway"
	ExtensionPostman      = "postman"
)

// apiKeyScheme is the security scheme an exported method with
// apiKeyRequired names, as AWS writes it.
const apiKeyScheme = "api_key"

// ExportInput is what GetExport describes.
type ExportInput struct {
	// API gives the settings: name, description, version, gateway
	// responses, policy, minimum compression size, endpoint configuration.
	API *apigw.RestAPI
	// Snapshot is the deployed definition the stage serves; Deployed is
	// when it was deployed (info.version when the API has no version).
	Snapshot apigw.Snapshot
	Deployed time.Time
	// Stage is the stage name: Swagger's basePath, OpenAPI 3's server
	// basePath variable.
	Stage string
	// Host is the data plane host ("{apiId}.execute-api.localhost:8080").
	Host string
	// Type is ExportOAS30 or ExportSwagger.
	Type string
	// Extensions are the extensions parameter's values (comma-separated
	// lists already split).
	Extensions []string
	// YAML asks for YAML (Accept: application/yaml) rather than JSON.
	YAML bool
}

// ExportError is a refusal of GetExport's parameters; its text is the
// message.
type ExportError struct{ Message string }

func (e *ExportError) Error() string { return e.Message }

// Exported is a GetExport answer.
type Exported struct {
	Body []byte
	// Filename is the Content-Disposition attachment's file name:
	// {type}_{version}.json or .yaml.
	Filename string
}

// Export writes the document GetExport answers: the deployed definition
// as Swagger 2.0 or OpenAPI 3.0.1, in AWS's layout, with the
// x-amazon-apigateway-* extensions the Extensions ask for
// (integrations: x-amazon-apigateway-integration; authorizers: the
// authorizers' extensions; apigateway: every x-amazon-apigateway-* the
// API has; postman: none).
func Export(in ExportInput) (*Exported, error) {
	if in.Type != ExportOAS30 && in.Type != ExportSwagger {
		return nil, &ExportError{Message: fmt.Sprintf("Invalid export type %q: valid values are %s, %s", in.Type, ExportOAS30, ExportSwagger)}
	}
	x := exporter{in: in, oas3: in.Type == ExportOAS30}
	for _, e := range in.Extensions {
		switch strings.ToLower(strings.TrimSpace(e)) {
		case "":
		case ExtensionIntegrations:
			x.integrations = true
		case ExtensionAuthorizers:
			x.authorizers = true
		case ExtensionAPIGateway:
			x.integrations, x.authorizers, x.all = true, true, true
		case ExtensionPostman:
		default:
			return nil, &ExportError{Message: fmt.Sprintf("Invalid extensions value %q: valid values are %s, %s, %s, %s", e, ExtensionIntegrations, ExtensionAuthorizers, ExtensionAPIGateway, ExtensionPostman)}
		}
	}
	doc, err := x.document()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	version := in.API.Version
	if version == "" {
		version = x.version()
	}
	out := &Exported{Body: buf.Bytes(), Filename: in.Type + "_" + version + ".json"}
	if in.YAML {
		// JSON is YAML: read it as a node tree (keeping the key order)
		// and write it as YAML.
		var n yaml.Node
		if err := yaml.Unmarshal(out.Body, &n); err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		blockStyle(&n)
		var y bytes.Buffer
		ye := yaml.NewEncoder(&y)
		ye.SetIndent(2)
		if err := ye.Encode(&n); err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		out.Body, out.Filename = y.Bytes(), in.Type+"_"+version+".yaml"
	}
	return out, nil
}

type exporter struct {
	in                             ExportInput
	oas3                           bool
	integrations, authorizers, all bool
	// models names the snapshot's models by name.
	models map[string]*apigw.Model
}

// version is info.version when the API has none: the deployment's date.
func (x *exporter) version() string {
	return x.in.Deployed.UTC().Format("2006-01-02T15:04:05Z")
}

// refPrefix starts a reference to a model.
func (x *exporter) refPrefix() string {
	if x.oas3 {
		return apidef.LocalRefPrefix
	}
	return "#/definitions/"
}

func (x *exporter) ref(model string) obj {
	return obj{{"$ref", x.refPrefix() + model}}
}

func (x *exporter) document() (obj, error) {
	api, snap := x.in.API, x.in.Snapshot
	version := api.Version
	if version == "" {
		version = x.version()
	}
	var doc obj
	if x.oas3 {
		info := obj{{"title", api.Name}}
		info.addIf(api.Description != "", "description", api.Description)
		info.add("version", version)
		doc = obj{{"openapi", "3.0.1"}, {"info", info}, {"servers", []any{obj{
			{"url", "https://" + x.in.Host + "/{basePath}"},
			{"variables", obj{{"basePath", obj{{"default", x.in.Stage}}}}},
		}}}}
	} else {
		info := obj{}
		info.addIf(api.Description != "", "description", api.Description)
		info.add("version", version)
		info.add("title", api.Name)
		doc = obj{{"swagger", "2.0"}, {"info", info}, {"host", x.in.Host}, {"basePath", "/" + x.in.Stage}, {"schemes", []string{"https"}}}
	}

	x.models = map[string]*apigw.Model{}
	for _, m := range snap.Models {
		x.models[m.Name] = m
	}
	paths := obj{}
	type res struct {
		path string
		r    *apigw.Resource
	}
	var resources []res
	for id, r := range snap.Resources {
		p := respath.TreePath(snap.Resources, id, func(r *apigw.Resource) (string, string, bool) {
			if r == nil {
				return "", "", false
			}
			return r.ParentID, r.PathPart, true
		})
		if p != "" && len(r.Methods) > 0 {
			resources = append(resources, res{p, r})
		}
	}
	sort.Slice(resources, func(i, j int) bool { return resources[i].path < resources[j].path })
	usesAPIKey := false
	usedAuthorizers := map[string]bool{}
	for _, r := range resources {
		item := obj{}
		for _, verb := range sortedKeys(r.r.Methods) {
			m := r.r.Methods[verb]
			op := x.operation(r.r.ID, m)
			if m.APIKeyRequired {
				usesAPIKey = true
			}
			if a := x.authorizer(m); a != nil {
				usedAuthorizers[a.ID] = true
			}
			if verb == "ANY" {
				item.add(extAnyMethod, op)
			} else {
				item.add(strings.ToLower(verb), op)
			}
		}
		paths.add(r.path, item)
	}
	doc.add("paths", paths)

	schemes := obj{}
	if usesAPIKey {
		schemes.add(apiKeyScheme, obj{{"type", "apiKey"}, {"name", apiKeyHeader}, {"in", "header"}})
	}
	byName := map[string]*apigw.Authorizer{}
	for id, a := range snap.Authorizers {
		if usedAuthorizers[id] || x.authorizers {
			byName[a.Name] = a
		}
	}
	for _, name := range sortedKeys(byName) {
		schemes.add(name, x.securityScheme(byName[name]))
	}
	definitions := obj{}
	for _, name := range sortedKeys(x.models) {
		s, err := apidef.ExportSchema(x.models[name].Schema, x.refPrefix())
		if err != nil {
			return nil, fmt.Errorf("export model %s: %w", name, err)
		}
		definitions.add(name, s)
	}
	if x.oas3 {
		components := obj{}
		components.addIf(len(definitions) > 0, "schemas", definitions)
		components.addIf(len(schemes) > 0, "securitySchemes", schemes)
		doc.add("components", components)
	} else {
		doc.addIf(len(schemes) > 0, "securityDefinitions", schemes)
		doc.addIf(len(definitions) > 0, "definitions", definitions)
	}
	if x.all {
		x.rootExtensions(&doc)
	}
	return doc, nil
}

// rootExtensions adds the API-level x-amazon-apigateway-* the API has
// (defaults, which AWS leaves out, are left out).
func (x *exporter) rootExtensions(doc *obj) {
	api, snap := x.in.API, x.in.Snapshot
	if snap.APIKeySource != "" && snap.APIKeySource != apigw.KeySourceHeader {
		doc.add(extAPIKeySource, snap.APIKeySource)
	}
	if len(snap.RequestValidators) > 0 {
		v := obj{}
		byName := map[string]*apigw.RequestValidator{}
		for _, rv := range snap.RequestValidators {
			byName[rv.Name] = rv
		}
		for _, name := range sortedKeys(byName) {
			v.add(name, obj{{"validateRequestBody", byName[name].ValidateRequestBody}, {"validateRequestParameters", byName[name].ValidateRequestParameters}})
		}
		doc.add(extRequestValidators, v)
	}
	if len(api.GatewayResponses) > 0 {
		g := obj{}
		for _, t := range sortedKeys(api.GatewayResponses) {
			gr := api.GatewayResponses[t]
			if gr.Default {
				continue
			}
			e := obj{}
			e.addIf(gr.StatusCode != "", "statusCode", gr.StatusCode)
			e.addIf(len(gr.ResponseParameters) > 0, "responseParameters", gr.ResponseParameters)
			e.addIf(len(gr.ResponseTemplates) > 0, "responseTemplates", gr.ResponseTemplates)
			g.add(t, e)
		}
		doc.addIf(len(g) > 0, extGatewayResponses, g)
	}
	if api.Policy != "" {
		var p any
		if json.Unmarshal([]byte(api.Policy), &p) == nil {
			doc.add(extPolicy, p)
		}
	}
	if api.MinimumCompressionSize != nil {
		doc.add(extCompressionSize, *api.MinimumCompressionSize)
	}
	if ec := api.EndpointConfiguration; len(ec.VPCEndpointIDs) > 0 || api.DisableExecuteAPIEndpoint {
		e := obj{}
		e.addIf(api.DisableExecuteAPIEndpoint, "disableExecuteApiEndpoint", true)
		e.addIf(len(ec.VPCEndpointIDs) > 0, "vpcEndpointIds", ec.VPCEndpointIDs)
		x.endpointConfiguration(doc, e)
	}
	if len(snap.BinaryMediaTypes) > 0 {
		doc.add(extBinaryMediaTypes, snap.BinaryMediaTypes)
	}
	if len(api.DocumentationParts) > 0 {
		doc.add(extDocumentation, obj{{"documentationParts", documentationParts(api.DocumentationParts)}})
	}
	settings := obj{}
	for _, k := range sortedKeys(api.Tags) {
		if name, ok := strings.CutPrefix(k, apigw.TagPrefix); ok {
			settings.add(name, api.Tags[k])
		}
	}
	doc.addIf(len(settings) > 0, ExtGatehouseSettings, settings)
}

// endpointConfiguration adds x-amazon-apigateway-endpoint-configuration
// where AWS puts it: on the server object in OpenAPI 3, at the top in
// Swagger 2.0.
func (x *exporter) endpointConfiguration(doc *obj, e obj) {
	if x.oas3 {
		for i, f := range *doc {
			if servers, ok := f.v.([]any); ok && f.k == "servers" && len(servers) > 0 {
				if srv, ok := servers[0].(obj); ok {
					srv.add(extEndpointConfig, e)
					servers[0] = srv
					(*doc)[i].v = servers
					return
				}
			}
		}
	}
	doc.add(extEndpointConfig, e)
}

// documentationParts is x-amazon-apigateway-documentation's parts, in
// the order of their locations.
func documentationParts(parts map[string]*apigw.DocumentationPart) []any {
	list := make([]*apigw.DocumentationPart, 0, len(parts))
	for _, p := range parts {
		list = append(list, p)
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i].Location, list[j].Location
		return fmt.Sprint(a.Type, "\x00", a.Path, "\x00", a.Method, "\x00", a.StatusCode, "\x00", a.Name) <
			fmt.Sprint(b.Type, "\x00", b.Path, "\x00", b.Method, "\x00", b.StatusCode, "\x00", b.Name)
	})
	out := make([]any, 0, len(list))
	for _, p := range list {
		l := p.Location
		loc := obj{{"type", l.Type}}
		loc.addIf(l.Path != "", "path", l.Path)
		loc.addIf(l.Method != "", "method", l.Method)
		loc.addIf(l.StatusCode != "", "statusCode", l.StatusCode)
		loc.addIf(l.Name != "", "name", l.Name)
		var props any
		if json.Unmarshal([]byte(p.Properties), &props) != nil {
			props = map[string]any{}
		}
		out = append(out, obj{{"location", loc}, {"properties", props}})
	}
	return out
}

// authorizer returns the authorizer a method names (nil: none).
func (x *exporter) authorizer(m *apigw.Method) *apigw.Authorizer {
	if m.AuthorizerID == "" || (m.AuthorizationType != apigw.AuthCustom && m.AuthorizationType != apigw.AuthCognito) {
		return nil
	}
	return x.in.Snapshot.Authorizers[m.AuthorizerID]
}

// securityScheme is an authorizer as AWS exports it: an apiKey scheme in
// the identity header, with the authorizer extensions when asked for.
func (x *exporter) securityScheme(a *apigw.Authorizer) obj {
	name := "Unused"
	if src, ok := strings.CutPrefix(a.IdentitySource, "method.request.header."); ok && !strings.Contains(src, ",") {
		name = src
	}
	s := obj{{"type", "apiKey"}, {"name", name}, {"in", "header"}}
	if !x.authorizers {
		return s
	}
	authType := a.AuthType
	if authType == "" {
		authType = "custom"
		if a.Type == apigw.AuthorizerCognito {
			authType = "cognito_user_pools"
		}
	}
	s.add("x-amazon-apigateway-authtype", authType)
	e := obj{{"type", strings.ToLower(a.Type)}}
	e.addIf(a.AuthorizerURI != "", "authorizerUri", a.AuthorizerURI)
	e.addIf(a.AuthorizerCredentials != "", "authorizerCredentials", a.AuthorizerCredentials)
	e.addIf(len(a.ProviderARNs) > 0, "providerARNs", a.ProviderARNs)
	e.addIf(a.IdentitySource != "", "identitySource", a.IdentitySource)
	e.addIf(a.IdentityValidationExpression != "", "identityValidationExpression", a.IdentityValidationExpression)
	if a.AuthorizerResultTTLInSeconds != nil {
		e.add("authorizerResultTtlInSeconds", *a.AuthorizerResultTTLInSeconds)
	}
	s.add(extAuthorizer, e)
	return s
}

// mediaTypes returns the sorted keys of the maps.
func mediaTypes(maps ...map[string]string) []string {
	var out []string
	for _, m := range maps {
		for k := range m {
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

// operation is one method as AWS exports it.
func (x *exporter) operation(resourceID string, m *apigw.Method) obj {
	op := obj{}
	op.addIf(m.OperationName != "", "operationId", m.OperationName)
	in := m.Integration
	if !x.oas3 {
		var templates map[string]string
		if in != nil {
			templates = in.RequestTemplates
		}
		if c := mediaTypes(m.RequestModels, templates); len(c) > 0 {
			op.add("consumes", c)
		}
		var produced []map[string]string
		for _, r := range m.MethodResponses {
			produced = append(produced, r.ResponseModels)
		}
		if in != nil {
			for _, r := range in.IntegrationResponses {
				produced = append(produced, r.ResponseTemplates)
			}
		}
		if p := mediaTypes(produced...); len(p) > 0 {
			op.add("produces", p)
		}
	}
	var params []any
	for _, loc := range []struct{ prefix, in string }{{"method.request.path.", "path"}, {"method.request.querystring.", "query"}, {"method.request.header.", "header"}} {
		for _, k := range sortedKeys(m.RequestParameters) {
			name, ok := strings.CutPrefix(k, loc.prefix)
			if !ok {
				continue
			}
			required := m.RequestParameters[k] || loc.in == "path"
			p := obj{{"name", name}, {"in", loc.in}}
			if x.oas3 {
				p.addIf(required, "required", true)
				p.add("schema", obj{{"type", "string"}})
			} else {
				p.add("required", required)
				p.add("type", "string")
			}
			params = append(params, p)
		}
	}
	body := sortedKeys(m.RequestModels)
	if !x.oas3 && len(body) > 0 {
		// Swagger has one body parameter: the JSON model if any.
		ct := body[0]
		if slices.Contains(body, apigw.ContentTypeJSON) {
			ct = apigw.ContentTypeJSON
		}
		name := m.RequestModels[ct]
		params = append(params, obj{{"in", "body"}, {"name", name}, {"required", true}, {"schema", x.ref(name)}})
	}
	if len(params) > 0 {
		op.add("parameters", params)
	}
	if x.oas3 && len(body) > 0 {
		content := obj{}
		for _, ct := range body {
			content.add(ct, obj{{"schema", x.ref(m.RequestModels[ct])}})
		}
		op.add("requestBody", obj{{"content", content}, {"required", true}})
	}
	responses := obj{}
	for _, code := range sortedKeys(m.MethodResponses) {
		r := m.MethodResponses[code]
		resp := obj{{"description", code + " response"}}
		models := sortedKeys(r.ResponseModels)
		if !x.oas3 && len(models) > 0 {
			ct := models[0]
			if slices.Contains(models, apigw.ContentTypeJSON) {
				ct = apigw.ContentTypeJSON
			}
			resp.add("schema", x.ref(r.ResponseModels[ct]))
		}
		headers := obj{}
		for _, k := range sortedKeys(r.ResponseParameters) {
			if h, ok := strings.CutPrefix(k, "method.response.header."); ok {
				if x.oas3 {
					headers.add(h, obj{{"schema", obj{{"type", "string"}}}})
				} else {
					headers.add(h, obj{{"type", "string"}})
				}
			}
		}
		resp.addIf(len(headers) > 0, "headers", headers)
		if x.oas3 {
			content := obj{}
			for _, ct := range models {
				content.add(ct, obj{{"schema", x.ref(r.ResponseModels[ct])}})
			}
			resp.add("content", content)
		}
		responses.add(code, resp)
	}
	op.add("responses", responses)
	var security []any
	if m.APIKeyRequired {
		security = append(security, obj{{apiKeyScheme, []string{}}})
	}
	if a := x.authorizer(m); a != nil {
		scopes := m.AuthorizationScopes
		if scopes == nil {
			scopes = []string{}
		}
		security = append(security, obj{{a.Name, scopes}})
	}
	if len(security) > 0 {
		op.add("security", security)
	}
	if x.all && m.RequestValidatorID != "" {
		if rv := x.in.Snapshot.RequestValidators[m.RequestValidatorID]; rv != nil {
			op.add(extRequestValidator, rv.Name)
		}
	}
	if x.integrations && in != nil {
		op.add(extIntegration, integrationObject(resourceID, in))
	}
	return op
}

// integrationObject is x-amazon-apigateway-integration in AWS's layout
// (AWS's defaults, such as a 29 s timeout or a cache namespace that is
// the resource id, left out).
func integrationObject(resourceID string, in *apigw.Integration) obj {
	e := obj{{"type", strings.ToLower(in.Type)}}
	e.addIf(in.HTTPMethod != "", "httpMethod", in.HTTPMethod)
	e.addIf(in.URI != "", "uri", in.URI)
	e.addIf(in.ConnectionType != "" && in.ConnectionType != "INTERNET", "connectionType", in.ConnectionType)
	e.addIf(in.ConnectionID != "", "connectionId", in.ConnectionID)
	e.addIf(in.Credentials != "", "credentials", in.Credentials)
	if len(in.IntegrationResponses) > 0 {
		rs := obj{}
		byPattern := map[string]*apigw.IntegrationResponse{}
		for _, r := range in.IntegrationResponses {
			p := r.SelectionPattern
			if p == "" {
				p = "default"
			}
			byPattern[p] = r
		}
		for _, p := range sortedKeys(byPattern) {
			r := byPattern[p]
			ro := obj{{"statusCode", r.StatusCode}}
			ro.addIf(len(r.ResponseParameters) > 0, "responseParameters", r.ResponseParameters)
			ro.addIf(len(r.ResponseTemplates) > 0, "responseTemplates", r.ResponseTemplates)
			ro.addIf(r.ContentHandling != "", "contentHandling", r.ContentHandling)
			rs.add(p, ro)
		}
		e.add("responses", rs)
	}
	e.addIf(len(in.RequestParameters) > 0, "requestParameters", in.RequestParameters)
	e.addIf(len(in.RequestTemplates) > 0, "requestTemplates", in.RequestTemplates)
	e.addIf(in.PassthroughBehavior != "", "passthroughBehavior", strings.ToLower(in.PassthroughBehavior))
	e.addIf(in.ContentHandling != "", "contentHandling", in.ContentHandling)
	if in.TimeoutInMillis > 0 && in.TimeoutInMillis != apigw.DefaultIntegrationTimeout {
		e.add("timeoutInMillis", in.TimeoutInMillis)
	}
	e.addIf(in.CacheNamespace != "" && in.CacheNamespace != resourceID, "cacheNamespace", in.CacheNamespace)
	e.addIf(len(in.CacheKeyParameters) > 0, "cacheKeyParameters", in.CacheKeyParameters)
	if in.TLSInsecureSkipVerify != nil {
		e.add("tlsConfig", obj{{"insecureSkipVerification", *in.TLSInsecureSkipVerify}})
	}
	return e
}

// obj is a JSON object that keeps its keys in the order they were added
// (AWS's layout).
type obj []field

type field struct {
	k string
	v any
}

func (o *obj) add(k string, v any) { *o = append(*o, field{k, v}) }

func (o *obj) addIf(cond bool, k string, v any) {
	if cond {
		o.add(k, v)
	}
}

// MarshalJSON writes the fields in order.
func (o obj) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, err := json.Marshal(f.k)
		if err != nil {
			return nil, err
		}
		buf.Write(kb)
		buf.WriteByte(':')
		var vb bytes.Buffer
		enc := json.NewEncoder(&vb)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(f.v); err != nil {
			return nil, err
		}
		buf.Write(bytes.TrimRight(vb.Bytes(), "\n"))
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// blockStyle clears the flow style (and quoting) a node tree read from
// JSON has, so that it is written as block YAML; strings that need quotes
// get them from the encoder.
func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}
