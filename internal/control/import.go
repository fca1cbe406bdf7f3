package control

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apidef"
	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// PutRestApi modes.
const (
	ImportMerge     = "merge"
	ImportOverwrite = "overwrite"
)

// Import messages. msgImportErrors and msgImportWarnings are the prefixes
// AWS gives errors and warnings found in a document.
const (
	msgImportErrors   = "Errors found during import:\n\t"
	msgImportWarnings = "Warnings found during import:\n\t"
	msgImportNoTitle  = "The API name (info.title) must not be empty"
)

// ImportInput is ImportRestApi's and PutRestApi's request: the document,
// already parsed (package openapi; the management API parses it, so that
// an unreadable document is refused before anything else, as AWS does).
type ImportInput struct {
	Definition *apidef.Definition
	// FailOnWarnings refuses a document that has warnings.
	FailOnWarnings bool
	// Mode is PutRestApi's: ImportMerge ("" too) or ImportOverwrite.
	Mode string
	// BasePath is the basepath parameter: "" or "ignore" (the document's
	// base path is not part of the resource paths), "prepend" (it is: a
	// basePath /v1/api puts /pets at /v1/api/pets) or "split" (all but its
	// first segment is: /api/pets).
	BasePath string
	// EndpointTypes is the endpointConfigurationTypes parameter ("" keeps
	// the API's type; a new API is EDGE): one of EDGE, REGIONAL, PRIVATE.
	EndpointTypes string
	// IgnoreDocumentation is the ignore=documentation parameter: the
	// document's x-amazon-apigateway-documentation is not imported.
	IgnoreDocumentation bool
}

// APIImportResult is an imported API with the document's warnings.
type APIImportResult struct {
	API      *apigw.RestAPI
	Warnings []string
}

// checkImport checks the parameters and the warnings.
func checkImport(in ImportInput) error {
	switch in.BasePath {
	case "", "ignore", "prepend", "split":
	default:
		return BadRequestf("Invalid basepath %q: valid values are ignore, prepend, split", in.BasePath)
	}
	if in.EndpointTypes != "" && !validEndpointType(in.EndpointTypes) {
		return BadRequestf(msgBadEndpointType)
	}
	if w := in.definition().Warnings; in.FailOnWarnings && len(w) > 0 {
		return BadRequestf("%s%s", msgImportWarnings, strings.Join(w, "\n\t"))
	}
	return nil
}

// definition returns the document's definition with the basepath
// parameter applied to its paths.
func (in ImportInput) definition() *apidef.Definition {
	base := strings.Trim(in.Definition.BasePath, "/")
	switch in.BasePath {
	case "prepend":
	case "split":
		_, base, _ = strings.Cut(base, "/")
	default:
		base = ""
	}
	if base == "" {
		return in.Definition
	}
	return in.Definition.WithBasePath("/" + base)
}

// ImportErrorf is a refusal of a document's content with AWS's prefix
// ("Errors found during import:").
func ImportErrorf(format string, args ...any) *Error {
	return BadRequestf("%s%s", msgImportErrors, fmt.Sprintf(format, args...))
}

// ImportRestAPI creates an API from an OpenAPI document (ImportRestApi).
func (s *Service) ImportRestAPI(ctx context.Context, in ImportInput) (*APIImportResult, error) {
	if err := checkImport(in); err != nil {
		return nil, err
	}
	def := in.definition()
	if def.Name == "" {
		return nil, BadRequestf("%s%s", msgImportErrors, msgImportNoTitle)
	}
	api := &apigw.RestAPI{
		ID:                    newID(apiIDLen),
		Name:                  def.Name,
		CreatedDate:           s.timestamp(),
		APIKeySource:          apigw.KeySourceHeader,
		EndpointConfiguration: apigw.EndpointConfiguration{Types: []string{apigw.EndpointEdge}, IPAddressType: IPv4},
		RootResourceID:        newID(rootResourceIDLen),
	}
	api.Resources = map[string]*apigw.Resource{api.RootResourceID: {ID: api.RootResourceID}}
	if err := applyDefinition(api, def, ImportOverwrite); err != nil {
		return nil, err
	}
	if err := applySettings(api, def, in, ImportOverwrite); err != nil {
		return nil, err
	}
	if err := s.update(ctx, func(tx store.Tx) error { return tx.CreateAPI(ctx, api) }); err != nil {
		return nil, err
	}
	return &APIImportResult{API: api, Warnings: def.Warnings}, nil
}

// PutRestAPI merges an OpenAPI document into an API or overwrites the API's
// definition with it (PutRestApi). The document is read before the API is
// looked up, as AWS does.
func (s *Service) PutRestAPI(ctx context.Context, apiID string, in ImportInput) (*APIImportResult, error) {
	mode := in.Mode
	if mode == "" {
		mode = ImportMerge
	}
	if mode != ImportMerge && mode != ImportOverwrite {
		return nil, enumError(in.Mode, "putRestApiInput.mode", []string{ImportMerge, ImportOverwrite})
	}
	if err := checkImport(in); err != nil {
		return nil, err
	}
	def := in.definition()
	var out *apigw.RestAPI
	err := s.update(ctx, func(tx store.Tx) error {
		api, err := s.getAPI(ctx, tx, apiID)
		if err != nil {
			return err
		}
		if err := applyDefinition(api, def, mode); err != nil {
			return err
		}
		if err := applySettings(api, def, in, mode); err != nil {
			return err
		}
		out = api
		return tx.UpdateAPI(ctx, api)
	})
	if err != nil {
		return nil, err
	}
	return &APIImportResult{API: out, Warnings: def.Warnings}, nil
}

// importError prefixes a refusal with AWS's import wording and where.
func importError(err error, format string, args ...any) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	return &Error{Kind: KindBadRequest, Message: msgImportErrors + fmt.Sprintf(format, args...) + ": " + e.Message, Err: err}
}

// applyDefinition applies def to api in memory: settings, models,
// validators, then resources and methods. overwrite replaces the
// definition (keeping the ids of resources whose paths remain); merge adds
// to it and replaces the methods the document defines.
func applyDefinition(api *apigw.RestAPI, def *apidef.Definition, mode string) error {
	overwrite := mode == ImportOverwrite
	if def.Name != "" {
		api.Name = def.Name
	}
	if def.Description != "" || overwrite {
		api.Description = def.Description
	}
	if def.Version != "" || overwrite {
		api.Version = def.Version
	}
	if def.APIKeySource != "" {
		api.APIKeySource = def.APIKeySource
	}
	if overwrite {
		api.BinaryMediaTypes = nilIfNoStrings(def.BinaryMediaTypes)
	} else {
		for _, t := range def.BinaryMediaTypes {
			if !slices.Contains(api.BinaryMediaTypes, t) {
				api.BinaryMediaTypes = append(api.BinaryMediaTypes, t)
			}
		}
	}

	for _, m := range def.Models {
		if !modelName.MatchString(m.Name) {
			return BadRequestf("%s"+msgModelNameAlnum, msgImportErrors, m.Name)
		}
	}
	if err := applyModels(api, def.Models, overwrite); err != nil {
		return err
	}
	for _, m := range api.Models {
		if err := checkModelSchema(api, m); err != nil {
			return importError(err, "Unable to create model '%s'", m.Name)
		}
	}
	applyValidators(api, def.Validators, overwrite)
	if err := applyAuthorizers(api, def.Authorizers, overwrite); err != nil {
		return err
	}

	ids, err := placeResources(api, def.Resources, overwrite)
	if err != nil {
		return err
	}
	for _, r := range def.Resources {
		res := api.Resources[ids[r.Path]]
		if overwrite || res.Methods == nil {
			res.Methods = map[string]*apigw.Method{}
		}
		for verb, m := range r.Methods {
			if err := prepareMethod(api, res.ID, m); err != nil {
				return importError(err, "Unable to put method '%s' on resource at path '%s'", verb, r.Path)
			}
			res.Methods[verb] = m.Method
		}
		if len(res.Methods) == 0 {
			res.Methods = nil
		}
	}
	return nil
}

// applySettings applies the document's API-level settings to api in
// memory, each through the check of the management call that sets it:
// the policy, minimum compression size, disableExecuteApiEndpoint, VPC
// endpoint ids and the endpointConfigurationTypes parameter through
// UpdateRestApi's patch paths (so every rule UpdateRestApi applies to
// them applies here), gateway responses as PutGatewayResponse checks
// them, documentation parts as ImportDocumentationParts does, and
// x-gatehouse-settings as TagResource checks the API's tags. A setting
// the document leaves out is kept; overwrite replaces the gateway
// responses, documentation parts and Gatehouse settings with the
// document's when it has the extension (merge puts them by type,
// location and name).
func applySettings(api *apigw.RestAPI, def *apidef.Definition, in ImportInput, mode string) error {
	overwrite := mode == ImportOverwrite
	var ops []patch.Op
	if def.Policy != nil {
		ops = append(ops, patch.Op{Op: patch.Replace, Path: "/policy", Value: *def.Policy})
	}
	if def.MinimumCompressionSize != nil {
		ops = append(ops, patch.Op{Op: patch.Replace, Path: "/minimumCompressionSize", Value: strconv.Itoa(*def.MinimumCompressionSize)})
	}
	if in.EndpointTypes != "" {
		ops = append(ops, patch.Op{Op: patch.Replace, Path: "/endpointConfiguration/types/0", Value: in.EndpointTypes})
	}
	if e := def.Endpoint; e != nil {
		if e.DisableExecuteAPIEndpoint != nil {
			ops = append(ops, patch.Op{Op: patch.Replace, Path: "/disableExecuteApiEndpoint", Value: strconv.FormatBool(*e.DisableExecuteAPIEndpoint)})
		}
		if e.VPCEndpointIDs != nil {
			for _, id := range api.EndpointConfiguration.VPCEndpointIDs {
				if !slices.Contains(e.VPCEndpointIDs, id) {
					ops = append(ops, patch.Op{Op: patch.Remove, Path: "/endpointConfiguration/vpcEndpointIds", Value: id})
				}
			}
			for _, id := range e.VPCEndpointIDs {
				ops = append(ops, patch.Op{Op: patch.Add, Path: "/endpointConfiguration/vpcEndpointIds", Value: id})
			}
		}
	}
	if err := applyRestAPIPatch(api, ops); err != nil {
		return importError(FromPatch(err), "Unable to update the API's settings")
	}

	if def.GatewayResponses != nil {
		if overwrite || api.GatewayResponses == nil {
			api.GatewayResponses = map[string]*apigw.GatewayResponse{}
		}
		for _, typ := range slices.Sorted(maps.Keys(def.GatewayResponses)) {
			x := def.GatewayResponses[typ]
			gr, err := newGatewayResponse(typ, PutGatewayResponseInput{StatusCode: x.StatusCode, ResponseParameters: x.ResponseParameters, ResponseTemplates: x.ResponseTemplates})
			if err != nil {
				return importError(err, "Unable to put gateway response '%s'", typ)
			}
			api.GatewayResponses[typ] = gr
		}
	}

	if def.DocumentationParts != nil && !in.IgnoreDocumentation {
		parts := make([]DocPartInput, len(def.DocumentationParts))
		for i, p := range def.DocumentationParts {
			parts[i] = DocPartInput{Location: p.Location, Properties: p.Properties}
		}
		if err := validateDocParts(parts); err != nil {
			return importError(err, "Unable to import documentation parts")
		}
		if _, err := putDocParts(api, overwrite, parts); err != nil {
			return importError(err, "Unable to import documentation parts")
		}
	}

	if def.Settings != nil {
		if err := validateTagsOn(tagOnRestAPI, def.Settings); err != nil {
			return importError(err, "Invalid %s", "x-gatehouse-settings")
		}
		tags := maps.Clone(api.Tags)
		if tags == nil {
			tags = map[string]string{}
		}
		if overwrite {
			maps.DeleteFunc(tags, func(k, _ string) bool { return strings.HasPrefix(k, apigw.TagPrefix) })
		}
		maps.Copy(tags, def.Settings)
		if len(tags) > maxTags {
			return ImportErrorf("Too many tags: the API would have %d, can have at most %d", len(tags), maxTags)
		}
		api.Tags = tags
	}
	return nil
}

// applyModels puts the document's models into api by name (keeping the
// ids of models that exist), with references rewritten to the API's model
// URLs; overwrite drops the others.
func applyModels(api *apigw.RestAPI, models []*apigw.Model, overwrite bool) error {
	old := api.Models
	api.Models = map[string]*apigw.Model{}
	if !overwrite {
		for id, m := range old {
			api.Models[id] = m
		}
	}
	for _, m := range models {
		m := *m
		schema, err := apidef.ModelSchema(m.Schema, api.ID)
		if err != nil {
			return ImportErrorf("Unable to create model '%s': %v", m.Name, err)
		}
		m.Schema = schema
		if prev := apigw.ModelByName(old, m.Name); prev != nil {
			m.ID = prev.ID
			m.Description = prev.Description
		}
		for m.ID == "" || (api.Models[m.ID] != nil && api.Models[m.ID].Name != m.Name) {
			m.ID = newID(modelIDLen)
		}
		api.Models[m.ID] = &m
	}
	return nil
}

// applyValidators is applyModels for request validators.
func applyValidators(api *apigw.RestAPI, validators []*apigw.RequestValidator, overwrite bool) {
	old := api.RequestValidators
	api.RequestValidators = map[string]*apigw.RequestValidator{}
	if !overwrite {
		for id, v := range old {
			api.RequestValidators[id] = v
		}
	}
	for _, v := range validators {
		v := *v
		for id, prev := range old {
			if prev.Name == v.Name {
				v.ID = id
			}
		}
		for v.ID == "" || (api.RequestValidators[v.ID] != nil && api.RequestValidators[v.ID].Name != v.Name) {
			v.ID = newID(validatorIDLen)
		}
		api.RequestValidators[v.ID] = &v
	}
	if len(api.RequestValidators) == 0 {
		api.RequestValidators = nil
	}
}

// applyAuthorizers puts the document's authorizers into api by name
// (keeping the ids of those that exist), each checked as CreateAuthorizer
// checks it; overwrite drops the others.
func applyAuthorizers(api *apigw.RestAPI, authorizers []*apigw.Authorizer, overwrite bool) error {
	old := api.Authorizers
	api.Authorizers = map[string]*apigw.Authorizer{}
	if !overwrite {
		for id, a := range old {
			api.Authorizers[id] = a
		}
	}
	for _, a := range authorizers {
		a := *a
		if err := checkAuthorizer(&a); err != nil {
			return importError(err, "Unable to create authorizer '%s'", a.Name)
		}
		for id, prev := range old {
			if prev.Name == a.Name {
				a.ID = id
			}
		}
		for a.ID == "" || (api.Authorizers[a.ID] != nil && api.Authorizers[a.ID].Name != a.Name) {
			a.ID = newID(authorizerIDLen)
		}
		api.Authorizers[a.ID] = &a
	}
	if len(api.Authorizers) > maxAuthorizersPerAPI {
		return LimitExceededf(msgTooManyAuthorizers, maxAuthorizersPerAPI)
	}
	if len(api.Authorizers) == 0 {
		api.Authorizers = nil
	}
	return nil
}

// placeResources makes sure every path of the document has a resource
// (creating the missing ones and their ancestors, reusing existing ones)
// and returns the resource id of each path. overwrite deletes the
// resources no path of the document needs.
func placeResources(api *apigw.RestAPI, resources []apidef.Resource, overwrite bool) (map[string]string, error) {
	byPath := map[string]string{}
	for id := range api.Resources {
		if p := ResourcePath(api, id); p != "" {
			byPath[p] = id
		}
	}
	keep := map[string]bool{api.RootResourceID: true}
	ids := map[string]string{}
	for _, r := range resources {
		id := api.RootResourceID
		cur := ""
		for _, part := range strings.Split(strings.Trim(r.Path, "/"), "/") {
			if part == "" {
				continue
			}
			cur += "/" + part
			child, ok := byPath[cur]
			if !ok {
				if err := checkPlacement(api, id, "", part); err != nil {
					return nil, importError(err, "Unable to create resource at path '%s'", cur)
				}
				child = newID(resourceIDLen)
				for api.Resources[child] != nil {
					child = newID(resourceIDLen)
				}
				api.Resources[child] = &apigw.Resource{ID: child, ParentID: id, PathPart: part}
				byPath[cur] = child
			}
			keep[child] = true
			id = child
		}
		ids[r.Path] = id
	}
	if overwrite {
		for id := range api.Resources {
			if !keep[id] {
				delete(api.Resources, id)
			}
		}
		for id, res := range api.Resources {
			if _, ok := ids[ResourcePath(api, id)]; !ok {
				res.Methods = nil
			}
		}
	}
	return ids, nil
}

// prepareMethod resolves a method's validator, fills in the integration
// defaults PutIntegration fills, and applies PutMethod's,
// PutMethodResponse's, PutIntegration's and PutIntegrationResponse's checks.
func prepareMethod(api *apigw.RestAPI, resourceID string, m *apidef.Method) error {
	if m.ValidatorName != "" {
		for id, v := range api.RequestValidators {
			if v.Name == m.ValidatorName {
				m.RequestValidatorID = id
			}
		}
		if m.RequestValidatorID == "" {
			return BadRequestf("%s: %s", msgBadRequestValidator, m.ValidatorName)
		}
	}
	if m.AuthorizerName != "" {
		for id, a := range api.Authorizers {
			if a.Name == m.AuthorizerName {
				m.AuthorizerID = id
			}
		}
	}
	if err := checkAuthorization(api, m.Method); err != nil {
		return err
	}
	if err := checkRequestParameters(m.RequestParameters); err != nil {
		return err
	}
	if err := checkRequestModels(api, m.RequestModels); err != nil {
		return err
	}
	for code := range m.MethodResponses {
		if err := checkStatusCode(code); err != nil {
			return err
		}
	}
	in := m.Integration
	if in == nil {
		return nil
	}
	if !slices.Contains(integrationTypes, in.Type) {
		return enumError(in.Type, "putIntegrationInput.type", integrationTypes)
	}
	if in.TimeoutInMillis == 0 {
		in.TimeoutInMillis = apigw.DefaultIntegrationTimeout
	}
	if in.PassthroughBehavior == "" {
		in.PassthroughBehavior = "WHEN_NO_MATCH"
	}
	if in.CacheKeyParameters == nil {
		in.CacheKeyParameters = []string{}
	}
	if in.ConnectionType == "" && (in.Type == apigw.IntegrationHTTP || in.Type == apigw.IntegrationHTTPProxy) {
		in.ConnectionType = "INTERNET"
	}
	if in.CacheNamespace == "" {
		in.CacheNamespace = resourceID
	}
	if err := checkIntegration(in); err != nil {
		return err
	}
	for code, ir := range in.IntegrationResponses {
		if err := checkStatusCode(code); err != nil {
			return err
		}
		if err := checkIntegrationResponse(ir); err != nil {
			return err
		}
	}
	return nil
}
