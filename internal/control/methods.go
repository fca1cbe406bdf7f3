package control

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Messages AWS sends for methods, integrations and their responses.
const (
	msgMethodNotFound        = "Invalid Method identifier specified"
	msgIntegrationNotFound   = "Invalid Integration identifier specified"
	msgStatusNotFound        = "Invalid Response status code specified"
	msgBadHTTPMethod         = "Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY"
	msgAuthorizerRequired    = "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer."
	msgBadRequestValidator   = "Invalid Request Validator identifier specified"
	msgParamNamesUnique      = "Parameter names must be unique across querystring, header and path"
	msgIntegrationMethodReq  = "Enumeration value for HttpMethod must be non-empty"
	msgBadHTTPEndpoint       = "Invalid HTTP endpoint specified for URI"
	msgBadARN                = "Invalid ARN specified in the request"
	msgARNPathOrAction       = "AWS ARN for integration must contain path or action"
	msgAWSProxyTargets       = "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations."
	msgTimeoutRange          = "Timeout should be between 50 ms and 29000 ms"
	msgParameterNotFound     = "Invalid parameter name specified"
	msgContentTypeNotFound   = "Content-Type specified was not found"
	minIntegrationTimeoutMil = 50
)

var statusCodePattern = regexp.MustCompile(`^[1-5]\d\d$`)

// statusViolation is AWS's ValidationException text for a bad status code.
func statusViolation(code string) string {
	return fmt.Sprintf(`Value '%s' at 'statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [1-5]\d\d`, code)
}

// checkStatusCode refuses a status code outside [1-5]\d\d.
func checkStatusCode(code string) error {
	if statusCodePattern.MatchString(code) {
		return nil
	}
	return FromPatch(patch.NewValidationError([]string{statusViolation(code)}))
}

// MethodRef addresses a method of a resource of an API.
type MethodRef struct {
	APIID, ResourceID, HTTPMethod string
}

// getMethod reads the API, the resource and the method (404s as AWS words them).
func (s *Service) getMethod(ctx context.Context, r store.Reader, ref MethodRef) (*apigw.RestAPI, *apigw.Resource, *apigw.Method, error) {
	api, res, err := s.getResource(ctx, r, ref.APIID, ref.ResourceID)
	if err != nil {
		return nil, nil, nil, err
	}
	m := res.Methods[ref.HTTPMethod]
	if m == nil {
		return nil, nil, nil, NotFoundf(msgMethodNotFound)
	}
	return api, res, m, nil
}

// withMethod runs fn on a method inside one transaction and stores the API.
func (s *Service) withMethod(ctx context.Context, ref MethodRef, fn func(res *apigw.Resource, m *apigw.Method) error) error {
	return s.withMethodAPI(ctx, ref, func(_ *apigw.RestAPI, res *apigw.Resource, m *apigw.Method) error { return fn(res, m) })
}

// withMethodAPI is withMethod for a fn that also reads the rest of the API.
func (s *Service) withMethodAPI(ctx context.Context, ref MethodRef, fn func(api *apigw.RestAPI, res *apigw.Resource, m *apigw.Method) error) error {
	return s.update(ctx, func(tx store.Tx) error {
		api, res, m, err := s.getMethod(ctx, tx, ref)
		if err != nil {
			return err
		}
		if err := fn(api, res, m); err != nil {
			return err
		}
		return tx.UpdateAPI(ctx, api)
	})
}

// readMethod runs fn on a method in a read transaction.
func (s *Service) readMethod(ctx context.Context, ref MethodRef, fn func(m *apigw.Method) error) error {
	return s.view(ctx, func(r store.Reader) error {
		_, _, m, err := s.getMethod(ctx, r, ref)
		if err != nil {
			return err
		}
		return fn(m)
	})
}

// PutMethodInput is PutMethod's request.
type PutMethodInput struct {
	AuthorizationType   string
	AuthorizerID        string
	APIKeyRequired      bool
	OperationName       string
	RequestParameters   map[string]bool
	RequestModels       map[string]string
	RequestValidatorID  string
	AuthorizationScopes []string
}

var authorizationTypes = []string{apigw.AuthNone, apigw.AuthIAM, apigw.AuthCustom, apigw.AuthCognito}

// checkAuthorization applies AWS's rules to a method's authorization:
// the type is case-insensitive (stored upper case); CUSTOM needs
// authorizerId naming a TOKEN or REQUEST authorizer of api, and
// COGNITO_USER_POOLS one naming a Cognito authorizer of api. AWS ignores
// an authorizer on a method that does not use one, so it is cleared.
func checkAuthorization(api *apigw.RestAPI, m *apigw.Method) error {
	m.AuthorizationType = strings.ToUpper(m.AuthorizationType)
	if !slices.Contains(authorizationTypes, m.AuthorizationType) {
		return BadRequestf("Invalid authorization type specified: %q. Valid options are NONE,AWS_IAM,CUSTOM,COGNITO_USER_POOLS", m.AuthorizationType)
	}
	if !usesAuthorizer(m) {
		m.AuthorizerID = ""
		return nil
	}
	a := api.Authorizers[m.AuthorizerID]
	if a == nil || (a.Type == apigw.AuthorizerCognito) != (m.AuthorizationType == apigw.AuthCognito) {
		return BadRequestf(msgAuthorizerRequired)
	}
	return nil
}

// checkRequestParameters validates method request parameter names:
// method.request.{path|querystring|header|multivalue…}.{name}, each name used
// in one location only.
func checkRequestParameters(params map[string]bool) error {
	seen := map[string]bool{}
	for k := range params {
		rest, ok := strings.CutPrefix(k, "method.request.")
		loc, name, ok2 := strings.Cut(rest, ".")
		if !ok || !ok2 || name == "" || !slices.Contains([]string{"path", "querystring", "header", "multivaluequerystring", "multivalueheader"}, loc) {
			return BadRequestf("Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression specified: %s]", k)
		}
		key := strings.ToLower(name)
		if loc != "header" && loc != "multivalueheader" {
			key = name
		}
		if seen[key] {
			return BadRequestf(msgParamNamesUnique)
		}
		seen[key] = true
	}
	return nil
}

// PutMethod creates or replaces a method (dropping its previous
// integration and method responses).
func (s *Service) PutMethod(ctx context.Context, ref MethodRef, in PutMethodInput) (*apigw.Method, error) {
	var m *apigw.Method
	err := s.update(ctx, func(tx store.Tx) error {
		api, res, err := s.getResource(ctx, tx, ref.APIID, ref.ResourceID)
		if err != nil {
			return err
		}
		if !slices.Contains(apigw.HTTPMethods, ref.HTTPMethod) {
			return BadRequestf(msgBadHTTPMethod)
		}
		m = &apigw.Method{
			HTTPMethod:          ref.HTTPMethod,
			AuthorizationType:   in.AuthorizationType,
			AuthorizerID:        in.AuthorizerID,
			APIKeyRequired:      in.APIKeyRequired,
			OperationName:       in.OperationName,
			RequestParameters:   in.RequestParameters,
			RequestModels:       in.RequestModels,
			RequestValidatorID:  in.RequestValidatorID,
			AuthorizationScopes: in.AuthorizationScopes,
		}
		if err := checkAuthorization(api, m); err != nil {
			return err
		}
		if err := checkRequestValidatorID(api, in.RequestValidatorID); err != nil {
			return err
		}
		if err := checkRequestParameters(in.RequestParameters); err != nil {
			return err
		}
		if err := checkRequestModels(api, in.RequestModels); err != nil {
			return err
		}
		if res.Methods == nil {
			res.Methods = map[string]*apigw.Method{}
		}
		res.Methods[ref.HTTPMethod] = m
		return tx.UpdateAPI(ctx, api)
	})
	return m, err
}

// GetMethod returns a method with its integration and responses.
func (s *Service) GetMethod(ctx context.Context, ref MethodRef) (*apigw.Method, error) {
	var out *apigw.Method
	err := s.readMethod(ctx, ref, func(m *apigw.Method) error { out = m; return nil })
	return out, err
}

// GetMethodAPI returns the API a method belongs to, as stored now, after
// checking in the same read that the resource and the method exist (AWS's
// NotFound texts otherwise): TestInvokeMethod runs the current definition.
func (s *Service) GetMethodAPI(ctx context.Context, ref MethodRef) (*apigw.RestAPI, error) {
	var out *apigw.RestAPI
	err := s.view(ctx, func(r store.Reader) error {
		api, _, _, err := s.getMethod(ctx, r, ref)
		out = api
		return err
	})
	return out, err
}

// DeleteMethod deletes a method.
func (s *Service) DeleteMethod(ctx context.Context, ref MethodRef) error {
	return s.withMethod(ctx, ref, func(res *apigw.Resource, _ *apigw.Method) error {
		delete(res.Methods, ref.HTTPMethod)
		if len(res.Methods) == 0 {
			res.Methods = nil
		}
		return nil
	})
}

// UpdateMethod applies patch operations (methodPatch).
func (s *Service) UpdateMethod(ctx context.Context, ref MethodRef, ops []patch.Op) (*apigw.Method, error) {
	var out *apigw.Method
	err := s.withMethodAPI(ctx, ref, func(api *apigw.RestAPI, _ *apigw.Resource, m *apigw.Method) error {
		if err := applyMethodPatch(api, m, ops); err != nil {
			return FromPatch(err)
		}
		out = m
		return nil
	})
	return out, err
}

// applyMethodPatch applies ops (methodPatch), then AWS's checks of the
// method as a whole.
func applyMethodPatch(api *apigw.RestAPI, m *apigw.Method, ops []patch.Op) error {
	if err := methodPatch.ApplyAll(m, ops); err != nil {
		return err
	}
	if err := checkAuthorization(api, m); err != nil {
		return err
	}
	if err := checkRequestValidatorID(api, m.RequestValidatorID); err != nil {
		return err
	}
	if err := checkRequestModels(api, m.RequestModels); err != nil {
		return err
	}
	if len(m.RequestParameters) == 0 {
		m.RequestParameters = nil
	}
	if len(m.RequestModels) == 0 {
		m.RequestModels = nil
	}
	if len(m.AuthorizationScopes) == 0 {
		m.AuthorizationScopes = nil
	}
	return nil
}

// methodPatch is UpdateMethod's paths.
var methodPatch = patch.NewTable(patch.Options{},
	patch.Rule[*apigw.Method]{Path: "/authorizationType", Ops: replaceOp, Set: patch.String(func(m *apigw.Method) *string { return &m.AuthorizationType })},
	patch.Rule[*apigw.Method]{Path: "/authorizerId", Ops: replaceOp, Set: patch.String(func(m *apigw.Method) *string { return &m.AuthorizerID })},
	patch.Rule[*apigw.Method]{Path: "/apiKeyRequired", Ops: replaceOp, Set: patch.Bool(func(m *apigw.Method) *bool { return &m.APIKeyRequired })},
	patch.Rule[*apigw.Method]{Path: "/operationName", Ops: replaceOp, Set: patch.String(func(m *apigw.Method) *string { return &m.OperationName })},
	// The validator must be one of the API's ("" is none): applyMethodPatch checks.
	patch.Rule[*apigw.Method]{Path: "/requestValidatorId", Ops: replaceOp, Set: patch.String(func(m *apigw.Method) *string { return &m.RequestValidatorID })},
	patch.Rule[*apigw.Method]{Path: "/requestParameters/{name}", Ops: addRemoveReplace, Set: func(m *apigw.Method, op patch.Op, p patch.Params) error {
		if op.Op == patch.Remove {
			delete(m.RequestParameters, p.Get("name"))
			return nil
		}
		if m.RequestParameters == nil {
			m.RequestParameters = map[string]bool{}
		}
		m.RequestParameters[p.Get("name")] = patch.ParseBool(op.Value)
		return checkRequestParameters(m.RequestParameters)
	}},
	patch.Rule[*apigw.Method]{Path: "/requestModels/{name}", Ops: addRemoveReplace, Set: func(m *apigw.Method, op patch.Op, p patch.Params) error {
		if op.Op == patch.Remove {
			delete(m.RequestModels, p.Get("name"))
			return nil
		}
		if m.RequestModels == nil {
			m.RequestModels = map[string]string{}
		}
		m.RequestModels[p.Get("name")] = op.Value
		return nil
	}},
	patch.Rule[*apigw.Method]{Path: "/authorizationScopes", Ops: addRemove, Set: func(m *apigw.Method, op patch.Op, _ patch.Params) error {
		if op.Op == patch.Remove {
			if i := slices.Index(m.AuthorizationScopes, op.Value); i >= 0 {
				m.AuthorizationScopes = slices.Delete(m.AuthorizationScopes, i, i+1)
			}
			return nil
		}
		if op.Value != "" && !slices.Contains(m.AuthorizationScopes, op.Value) {
			m.AuthorizationScopes = append(m.AuthorizationScopes, op.Value)
		}
		return nil
	}},
)

// --- Method responses ---

// PutMethodResponseInput is PutMethodResponse's request.
type PutMethodResponseInput struct {
	ResponseParameters map[string]bool
	ResponseModels     map[string]string
}

// PutMethodResponse creates or replaces a method response.
func (s *Service) PutMethodResponse(ctx context.Context, ref MethodRef, status string, in PutMethodResponseInput) (*apigw.MethodResponse, error) {
	if err := checkStatusCode(status); err != nil {
		return nil, err
	}
	mr := &apigw.MethodResponse{StatusCode: status, ResponseParameters: in.ResponseParameters, ResponseModels: in.ResponseModels}
	err := s.withMethod(ctx, ref, func(_ *apigw.Resource, m *apigw.Method) error {
		if m.MethodResponses == nil {
			m.MethodResponses = map[string]*apigw.MethodResponse{}
		}
		m.MethodResponses[status] = mr
		return nil
	})
	if err != nil {
		return nil, err
	}
	return mr, nil
}

// GetMethodResponse returns a method response.
func (s *Service) GetMethodResponse(ctx context.Context, ref MethodRef, status string) (*apigw.MethodResponse, error) {
	if err := checkStatusCode(status); err != nil {
		return nil, err
	}
	var mr *apigw.MethodResponse
	err := s.readMethod(ctx, ref, func(m *apigw.Method) error {
		if mr = m.MethodResponses[status]; mr == nil {
			return NotFoundf(msgStatusNotFound)
		}
		return nil
	})
	return mr, err
}

// DeleteMethodResponse deletes a method response.
func (s *Service) DeleteMethodResponse(ctx context.Context, ref MethodRef, status string) error {
	if err := checkStatusCode(status); err != nil {
		return err
	}
	return s.withMethod(ctx, ref, func(_ *apigw.Resource, m *apigw.Method) error {
		if m.MethodResponses[status] == nil {
			return NotFoundf(msgStatusNotFound)
		}
		delete(m.MethodResponses, status)
		if len(m.MethodResponses) == 0 {
			m.MethodResponses = nil
		}
		return nil
	})
}

// opAndStatusViolations checks op names (as patch.ValidateOps does) and the
// status code together, reporting both in one ValidationException as AWS does.
func opAndStatusViolations(ops []patch.Op, inputName, status string) error {
	v := patch.OpViolations(ops, inputName)
	if !statusCodePattern.MatchString(status) {
		v = append(v, statusViolation(status))
	}
	return FromPatch(patch.NewValidationError(v))
}

// UpdateMethodResponse patches /responseParameters/{name} and
// /responseModels/{contentType} (methodResponsePatch). ops are not yet
// op-validated.
func (s *Service) UpdateMethodResponse(ctx context.Context, ref MethodRef, status string, ops []patch.Op) (*apigw.MethodResponse, error) {
	if err := opAndStatusViolations(ops, "updateMethodResponseInput", status); err != nil {
		return nil, err
	}
	var mr *apigw.MethodResponse
	err := s.withMethod(ctx, ref, func(_ *apigw.Resource, m *apigw.Method) error {
		if mr = m.MethodResponses[status]; mr == nil {
			return NotFoundf(msgStatusNotFound)
		}
		return FromPatch(methodResponsePatch.ApplyAll(mr, ops))
	})
	return mr, err
}

// methodResponsePatch is UpdateMethodResponse's paths.
var methodResponsePatch = patch.NewTable(patch.Options{},
	patch.Rule[*apigw.MethodResponse]{Path: "/responseParameters/{name}", Ops: addRemoveReplace, Set: func(mr *apigw.MethodResponse, op patch.Op, p patch.Params) error {
		var err error
		mr.ResponseParameters, err = patchBoolMap(mr.ResponseParameters, op, p.Get("name"), msgParameterNotFound)
		return err
	}},
	patch.Rule[*apigw.MethodResponse]{Path: "/responseModels/{name}", Ops: addRemoveReplace, Set: stringMapEntry(func(mr *apigw.MethodResponse) *map[string]string { return &mr.ResponseModels }, msgContentTypeNotFound, false)},
)

// patchBoolMap applies add, replace or remove of key to m. Replacing or
// removing a missing key is a NotFound with missingMsg. An emptied map
// becomes nil.
func patchBoolMap(m map[string]bool, op patch.Op, key, missingMsg string) (map[string]bool, error) {
	if _, ok := m[key]; !ok && op.Op != patch.Add {
		return m, NotFoundf("%s", missingMsg)
	}
	if op.Op == patch.Remove {
		delete(m, key)
	} else {
		if m == nil {
			m = map[string]bool{}
		}
		m[key] = patch.ParseBool(op.Value)
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}

// patchStringMap is patchBoolMap for string values. With lenient set,
// replace of a missing key adds it and remove of a missing key is a no-op.
func patchStringMap(m map[string]string, op patch.Op, key, missingMsg string, lenient bool) (map[string]string, error) {
	if _, ok := m[key]; !ok && !lenient && op.Op != patch.Add {
		return m, NotFoundf("%s", missingMsg)
	}
	if op.Op == patch.Remove {
		delete(m, key)
	} else {
		if m == nil {
			m = map[string]string{}
		}
		m[key] = op.Value
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}

// stringMapEntry is a Rule.Set for ".../{name}" on the map field returns
// (add, replace or remove, with patchStringMap's rules).
func stringMapEntry[T any](field func(T) *map[string]string, missingMsg string, lenient bool) func(T, patch.Op, patch.Params) error {
	return func(t T, op patch.Op, p patch.Params) error {
		m := field(t)
		var err error
		*m, err = patchStringMap(*m, op, p.Get("name"), missingMsg, lenient)
		return err
	}
}

// --- Integrations ---

// PutIntegrationInput is PutIntegration's request. HTTPMethod is the
// integration's method (the wire's "httpMethod").
type PutIntegrationInput struct {
	Type                  string
	HTTPMethod            string
	URI                   string
	ConnectionType        string
	ConnectionID          string
	Credentials           string
	RequestParameters     map[string]string
	RequestTemplates      map[string]string
	PassthroughBehavior   string
	CacheNamespace        string
	CacheKeyParameters    []string
	ContentHandling       string
	TimeoutInMillis       *int
	TLSInsecureSkipVerify *bool
}

var (
	integrationTypes     = []string{"HTTP", "MOCK", "AWS_PROXY", "HTTP_PROXY", "AWS"}
	passthroughBehaviors = []string{"WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER"}
	contentHandlings     = []string{"CONVERT_TO_BINARY", "CONVERT_TO_TEXT"}
	connectionTypes      = []string{"INTERNET", "VPC_LINK"}
	stageVarRef          = regexp.MustCompile(`\$\{stageVariables\.[A-Za-z0-9_.-]*\}`)
)

// CheckHTTPEndpoint validates an HTTP integration URI: an absolute http or
// https URL with a host. ${stageVariables.name} references are allowed
// anywhere, since they are substituted per stage at request time.
func CheckHTTPEndpoint(uri string) error {
	u, err := url.Parse(stageVarRef.ReplaceAllString(uri, "0"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return BadRequestf(msgBadHTTPEndpoint)
	}
	return nil
}

// checkAWSURI validates an AWS integration ARN,
// arn:aws:apigateway:{region}:{service}:{path|action}/...
func checkAWSURI(typ, uri string) error {
	parts := strings.SplitN(uri, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" || parts[2] != "apigateway" {
		return BadRequestf(msgBadARN)
	}
	service, target := parts[4], parts[5]
	if !strings.HasPrefix(target, "path/") && !strings.HasPrefix(target, "action/") {
		return BadRequestf(msgARNPathOrAction)
	}
	if typ == apigw.IntegrationAWSProxy && service != "lambda" && service != "firehose" {
		return BadRequestf(msgAWSProxyTargets)
	}
	return nil
}

// checkIntegration validates an integration's fields against its type.
func checkIntegration(in *apigw.Integration) error {
	if in.Type != apigw.IntegrationMock {
		if in.HTTPMethod == "" {
			return BadRequestf(msgIntegrationMethodReq)
		}
		if !slices.Contains(apigw.HTTPMethods, in.HTTPMethod) {
			return BadRequestf(msgBadHTTPMethod)
		}
	}
	switch in.Type {
	case apigw.IntegrationHTTP, apigw.IntegrationHTTPProxy:
		if err := CheckHTTPEndpoint(in.URI); err != nil {
			return err
		}
	case apigw.IntegrationAWS, apigw.IntegrationAWSProxy:
		if err := checkAWSURI(in.Type, in.URI); err != nil {
			return err
		}
	}
	if in.PassthroughBehavior != "" && !slices.Contains(passthroughBehaviors, in.PassthroughBehavior) {
		return BadRequestf("Invalid passthrough behavior specified: %s. Valid options are WHEN_NO_MATCH, WHEN_NO_TEMPLATES, NEVER", in.PassthroughBehavior)
	}
	if in.ContentHandling != "" && !slices.Contains(contentHandlings, in.ContentHandling) {
		return BadRequestf("Invalid content handling specified: %s. Valid options are CONVERT_TO_BINARY, CONVERT_TO_TEXT", in.ContentHandling)
	}
	if in.ConnectionType != "" && !slices.Contains(connectionTypes, in.ConnectionType) {
		return BadRequestf("Invalid connection type specified: %s. Valid options are INTERNET, VPC_LINK", in.ConnectionType)
	}
	if in.ConnectionType == "VPC_LINK" && in.ConnectionID == "" {
		return BadRequestf("Invalid connectionId: a VPC link id is required when connectionType is VPC_LINK")
	}
	if in.TimeoutInMillis < minIntegrationTimeoutMil || in.TimeoutInMillis > apigw.DefaultIntegrationTimeout {
		return BadRequestf(msgTimeoutRange)
	}
	for ct := range in.RequestTemplates {
		if !strings.Contains(ct, "/") {
			return BadRequestf("Validation Result: warnings : [], errors : [Invalid content type specified: %s]", ct)
		}
	}
	return nil
}

// PutIntegration creates or replaces a method's integration, filling in the
// defaults AWS echoes (cacheNamespace = resource id, cacheKeyParameters [],
// passthroughBehavior WHEN_NO_MATCH, timeoutInMillis 29000, connectionType
// INTERNET for HTTP types).
func (s *Service) PutIntegration(ctx context.Context, ref MethodRef, in PutIntegrationInput) (*apigw.Integration, error) {
	if in.Type == "" {
		return nil, Validationf("1 validation error detected: Value null at 'putIntegrationInput.type' failed to satisfy constraint: Member must not be null")
	}
	if !slices.Contains(integrationTypes, in.Type) {
		return nil, enumError(in.Type, "putIntegrationInput.type", integrationTypes)
	}
	integ := &apigw.Integration{
		Type:                  in.Type,
		HTTPMethod:            in.HTTPMethod,
		URI:                   in.URI,
		ConnectionType:        in.ConnectionType,
		ConnectionID:          in.ConnectionID,
		Credentials:           in.Credentials,
		RequestParameters:     in.RequestParameters,
		RequestTemplates:      in.RequestTemplates,
		PassthroughBehavior:   in.PassthroughBehavior,
		CacheNamespace:        in.CacheNamespace,
		CacheKeyParameters:    in.CacheKeyParameters,
		ContentHandling:       in.ContentHandling,
		TimeoutInMillis:       apigw.DefaultIntegrationTimeout,
		TLSInsecureSkipVerify: in.TLSInsecureSkipVerify,
	}
	if in.TimeoutInMillis != nil {
		integ.TimeoutInMillis = *in.TimeoutInMillis
	}
	if integ.PassthroughBehavior == "" {
		integ.PassthroughBehavior = "WHEN_NO_MATCH"
	}
	if integ.CacheKeyParameters == nil {
		integ.CacheKeyParameters = []string{}
	}
	if integ.ConnectionType == "" && (integ.Type == apigw.IntegrationHTTP || integ.Type == apigw.IntegrationHTTPProxy) {
		integ.ConnectionType = "INTERNET"
	}
	if integ.CacheNamespace == "" {
		integ.CacheNamespace = ref.ResourceID
	}
	err := s.withMethod(ctx, ref, func(_ *apigw.Resource, m *apigw.Method) error {
		if err := checkIntegration(integ); err != nil {
			return err
		}
		m.Integration = integ
		return nil
	})
	if err != nil {
		return nil, err
	}
	return integ, nil
}

// GetIntegration returns a method's integration.
func (s *Service) GetIntegration(ctx context.Context, ref MethodRef) (*apigw.Integration, error) {
	var out *apigw.Integration
	err := s.readMethod(ctx, ref, func(m *apigw.Method) error {
		if out = m.Integration; out == nil {
			return NotFoundf(msgIntegrationNotFound)
		}
		return nil
	})
	return out, err
}

// DeleteIntegration deletes a method's integration.
func (s *Service) DeleteIntegration(ctx context.Context, ref MethodRef) error {
	return s.withMethod(ctx, ref, func(_ *apigw.Resource, m *apigw.Method) error {
		if m.Integration == nil {
			return NotFoundf(msgIntegrationNotFound)
		}
		m.Integration = nil
		return nil
	})
}

// UpdateIntegration applies patch operations (integrationPatch) and
// revalidates the result.
func (s *Service) UpdateIntegration(ctx context.Context, ref MethodRef, ops []patch.Op) (*apigw.Integration, error) {
	var out *apigw.Integration
	err := s.withMethod(ctx, ref, func(_ *apigw.Resource, m *apigw.Method) error {
		if m.Integration == nil {
			return NotFoundf(msgIntegrationNotFound)
		}
		if err := applyIntegrationPatch(m.Integration, ops); err != nil {
			return FromPatch(err)
		}
		if err := checkIntegration(m.Integration); err != nil {
			return err
		}
		out = m.Integration
		return nil
	})
	return out, err
}

func applyIntegrationPatch(in *apigw.Integration, ops []patch.Op) error {
	return integrationPatch.ApplyAll(in, ops)
}

// integrationPatch is UpdateIntegration's paths; the type is not patchable.
var integrationPatch = patch.NewTable(patch.Options{},
	patch.Rule[*apigw.Integration]{Path: "/uri", Ops: replaceOp, Set: patch.String(func(in *apigw.Integration) *string { return &in.URI })},
	patch.Rule[*apigw.Integration]{Path: "/httpMethod", Ops: replaceOp, Set: patch.String(func(in *apigw.Integration) *string { return &in.HTTPMethod })},
	patch.Rule[*apigw.Integration]{Path: "/timeoutInMillis", Ops: replaceOp, Set: patch.Int(func(in *apigw.Integration) *int { return &in.TimeoutInMillis })},
	patch.Rule[*apigw.Integration]{Path: "/passthroughBehavior", Ops: replaceOp, Set: patch.String(func(in *apigw.Integration) *string { return &in.PassthroughBehavior })},
	patch.Rule[*apigw.Integration]{Path: "/contentHandling", Ops: replaceOp, Set: patch.String(func(in *apigw.Integration) *string { return &in.ContentHandling })},
	patch.Rule[*apigw.Integration]{Path: "/connectionType", Ops: replaceOp, Set: patch.String(func(in *apigw.Integration) *string { return &in.ConnectionType })},
	patch.Rule[*apigw.Integration]{Path: "/connectionId", Ops: replaceOp, Set: patch.String(func(in *apigw.Integration) *string { return &in.ConnectionID })},
	patch.Rule[*apigw.Integration]{Path: "/cacheNamespace", Ops: replaceOp, Set: patch.String(func(in *apigw.Integration) *string { return &in.CacheNamespace })},
	patch.Rule[*apigw.Integration]{Path: "/credentials", Ops: replaceOp, Set: patch.String(func(in *apigw.Integration) *string { return &in.Credentials })},
	patch.Rule[*apigw.Integration]{Path: "/tlsConfig/insecureSkipVerification", Ops: replaceOp, Set: func(in *apigw.Integration, op patch.Op, _ patch.Params) error {
		v := patch.ParseBool(op.Value)
		in.TLSInsecureSkipVerify = &v
		return nil
	}},
	patch.Rule[*apigw.Integration]{Path: "/requestParameters/{name}", Ops: addRemoveReplace, Set: stringMapEntry(func(in *apigw.Integration) *map[string]string { return &in.RequestParameters }, msgParameterNotFound, true)},
	patch.Rule[*apigw.Integration]{Path: "/requestTemplates/{name}", Ops: addRemoveReplace, Set: stringMapEntry(func(in *apigw.Integration) *map[string]string { return &in.RequestTemplates }, msgContentTypeNotFound, true)},
	patch.Rule[*apigw.Integration]{Path: "/cacheKeyParameters/{name}", Ops: addRemove, Set: func(in *apigw.Integration, op patch.Op, p patch.Params) error {
		name := p.Get("name")
		if op.Op == patch.Remove {
			if i := slices.Index(in.CacheKeyParameters, name); i >= 0 {
				in.CacheKeyParameters = slices.Delete(in.CacheKeyParameters, i, i+1)
			}
			return nil
		}
		if !slices.Contains(in.CacheKeyParameters, name) {
			in.CacheKeyParameters = append(in.CacheKeyParameters, name)
		}
		return nil
	}},
)

// --- Integration responses ---

// PutIntegrationResponseInput is PutIntegrationResponse's request.
type PutIntegrationResponseInput struct {
	// SelectionPattern is nil when the request has none; "" is kept.
	SelectionPattern   *string
	ResponseParameters map[string]string
	ResponseTemplates  map[string]string
	ContentHandling    string
}

// withIntegration runs fn on a method's integration (NotFound when the
// method has none), in a write transaction when write is set.
func (s *Service) withIntegration(ctx context.Context, ref MethodRef, write bool, fn func(in *apigw.Integration) error) error {
	run := func(m *apigw.Method) error {
		if m.Integration == nil {
			return NotFoundf(msgIntegrationNotFound)
		}
		return fn(m.Integration)
	}
	if !write {
		return s.readMethod(ctx, ref, run)
	}
	return s.withMethod(ctx, ref, func(_ *apigw.Resource, m *apigw.Method) error { return run(m) })
}

// selectionPattern is a request's pattern, "" when it has none.
func selectionPattern(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func checkIntegrationResponse(ir *apigw.IntegrationResponse) error {
	for ct := range ir.ResponseTemplates {
		if !strings.Contains(ct, "/") {
			return BadRequestf("Validation Result: warnings : [], errors : [Invalid content type specified: %s]", ct)
		}
	}
	if ir.ContentHandling != "" && !slices.Contains(contentHandlings, ir.ContentHandling) {
		return BadRequestf("Invalid content handling specified: %s. Valid options are CONVERT_TO_BINARY, CONVERT_TO_TEXT", ir.ContentHandling)
	}
	if ir.SelectionPattern != "" {
		if _, err := regexp.Compile(ir.SelectionPattern); err != nil {
			return BadRequestf("Invalid selectionPattern %q: %v", ir.SelectionPattern, err)
		}
	}
	return nil
}

// PutIntegrationResponse creates or replaces an integration response.
func (s *Service) PutIntegrationResponse(ctx context.Context, ref MethodRef, status string, in PutIntegrationResponseInput) (*apigw.IntegrationResponse, error) {
	if err := checkStatusCode(status); err != nil {
		return nil, err
	}
	ir := &apigw.IntegrationResponse{
		StatusCode:          status,
		SelectionPattern:    selectionPattern(in.SelectionPattern),
		SelectionPatternSet: in.SelectionPattern != nil,
		ResponseParameters:  in.ResponseParameters,
		ResponseTemplates:   in.ResponseTemplates,
		ContentHandling:     in.ContentHandling,
	}
	if err := checkIntegrationResponse(ir); err != nil {
		return nil, err
	}
	err := s.withIntegration(ctx, ref, true, func(integ *apigw.Integration) error {
		if integ.IntegrationResponses == nil {
			integ.IntegrationResponses = map[string]*apigw.IntegrationResponse{}
		}
		integ.IntegrationResponses[status] = ir
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ir, nil
}

// GetIntegrationResponse returns an integration response.
func (s *Service) GetIntegrationResponse(ctx context.Context, ref MethodRef, status string) (*apigw.IntegrationResponse, error) {
	if err := checkStatusCode(status); err != nil {
		return nil, err
	}
	var ir *apigw.IntegrationResponse
	err := s.withIntegration(ctx, ref, false, func(integ *apigw.Integration) error {
		if ir = integ.IntegrationResponses[status]; ir == nil {
			return NotFoundf(msgStatusNotFound)
		}
		return nil
	})
	return ir, err
}

// DeleteIntegrationResponse deletes an integration response. AWS reports a
// missing method here as a missing integration.
func (s *Service) DeleteIntegrationResponse(ctx context.Context, ref MethodRef, status string) error {
	if err := checkStatusCode(status); err != nil {
		return err
	}
	err := s.withIntegration(ctx, ref, true, func(integ *apigw.Integration) error {
		if integ.IntegrationResponses[status] == nil {
			return NotFoundf(msgStatusNotFound)
		}
		delete(integ.IntegrationResponses, status)
		if len(integ.IntegrationResponses) == 0 {
			integ.IntegrationResponses = nil
		}
		return nil
	})
	if e := (*Error)(nil); errors.As(err, &e) && e.Message == msgMethodNotFound {
		return NotFoundf(msgIntegrationNotFound)
	}
	return err
}

// UpdateIntegrationResponse patches /selectionPattern, /contentHandling,
// /responseParameters/{name} and /responseTemplates/{contentType}
// (integrationResponsePatch). ops are not yet op-validated.
func (s *Service) UpdateIntegrationResponse(ctx context.Context, ref MethodRef, status string, ops []patch.Op) (*apigw.IntegrationResponse, error) {
	if err := opAndStatusViolations(ops, "updateIntegrationResponseInput", status); err != nil {
		return nil, err
	}
	var ir *apigw.IntegrationResponse
	err := s.withIntegration(ctx, ref, true, func(integ *apigw.Integration) error {
		if ir = integ.IntegrationResponses[status]; ir == nil {
			return NotFoundf(msgStatusNotFound)
		}
		if err := integrationResponsePatch.ApplyAll(ir, ops); err != nil {
			return FromPatch(err)
		}
		return checkIntegrationResponse(ir)
	})
	return ir, err
}

// integrationResponsePatch is UpdateIntegrationResponse's paths.
var integrationResponsePatch = patch.NewTable(patch.Options{},
	patch.Rule[*apigw.IntegrationResponse]{Path: "/selectionPattern", Ops: replaceOp, Set: func(ir *apigw.IntegrationResponse, op patch.Op, _ patch.Params) error {
		ir.SelectionPattern, ir.SelectionPatternSet = op.Value, true
		return nil
	}},
	patch.Rule[*apigw.IntegrationResponse]{Path: "/contentHandling", Ops: replaceOp, Set: patch.String(func(ir *apigw.IntegrationResponse) *string { return &ir.ContentHandling })},
	patch.Rule[*apigw.IntegrationResponse]{Path: "/responseParameters/{name}", Ops: addRemoveReplace, Set: stringMapEntry(func(ir *apigw.IntegrationResponse) *map[string]string { return &ir.ResponseParameters }, msgParameterNotFound, true)},
	patch.Rule[*apigw.IntegrationResponse]{Path: "/responseTemplates/{name}", Ops: addRemoveReplace, Set: stringMapEntry(func(ir *apigw.IntegrationResponse) *map[string]string { return &ir.ResponseTemplates }, msgContentTypeNotFound, true)},
)
