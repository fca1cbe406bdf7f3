package control

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Messages and limits of authorizers. The AWS texts are as AWS sent them
// (recorded answers, and error messages users quoted from AWS); the others
// are Gatehouse's, in AWS's style, where AWS's own text is unknown.
const (
	msgAuthorizerNotFound = "Invalid Authorizer identifier specified"
	// msgCreateOnMissingAPI is what AWS answered CreateAuthorizer on an
	// unknown API id (recorded): a 409, not the 404 other operations give.
	msgCreateOnMissingAPI = "Unable to complete operation due to concurrent modification. Please try again later."
	// msgAuthorizerURI is AWS's text for an authorizerUri that is not a
	// Lambda function invocation ARN.
	msgAuthorizerURI = "Invalid Authorizer URI: %s. Authorizer URI should be a valid API Gateway ARN that represents a Lambda function invocation."
	// msgTokenSource is AWS's text for a TOKEN identity source that is not
	// one request header.
	msgTokenSource = "Invalid token source expression: %s. The source must be a method request header, matching 'method.request.header.[a-zA-Z0-9._-]+'"
	// msgDeleteInUse is AWS's text for deleting an authorizer a method
	// uses: the name, then the method as "GET//pets" (verb, "/", path).
	msgDeleteInUse = "Cannot delete authorizer '%s', is referenced in method: %s/%s"
	// msgTooManyAuthorizers: AWS's text (recorded from API Gateway's HTTP
	// APIs) up to its first sentence, then the limit.
	msgTooManyAuthorizers = "Maximum number of Authorizers for this API has been reached. An API has at most %d authorizers (AWS's default quota)."

	// maxAuthorizersPerAPI is AWS's default quota of authorizers per API.
	maxAuthorizersPerAPI = 10
	authorizerIDLen      = 6
)

// authorizerTypes is the AuthorizerType enum in the order of AWS's model.
var authorizerTypes = []string{apigw.AuthorizerToken, apigw.AuthorizerRequest, apigw.AuthorizerCognito}

var (
	// lambdaURI is an API Gateway Lambda invocation URI:
	// arn:{partition}:apigateway:{region}:lambda:path/2015-03-31/functions/{function}/invocations.
	// The region must look like one ("us-east-1"): AWS refuses a
	// placeholder such as "region".
	lambdaURI = regexp.MustCompile(`^arn:aws[a-z-]*:apigateway:[a-z]{2}(-[a-z]+)+-\d+:lambda:path/2015-03-31/functions/([^/]+)/invocations$`)
	// cognitoPool is a Cognito user pool ARN.
	cognitoPool = regexp.MustCompile(`^arn:aws[a-z-]*:cognito-idp:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:userpool/[\w-]+_[0-9a-zA-Z]+$`)
)

// CreateAuthorizerInput is CreateAuthorizer's request.
type CreateAuthorizerInput struct {
	Name                         string
	Type                         string
	ProviderARNs                 []string
	AuthType                     string
	AuthorizerURI                string
	AuthorizerCredentials        string
	IdentitySource               string
	IdentityValidationExpression string
	// AuthorizerResultTTLInSeconds nil: not set (absent from answers; the
	// data plane caches for apigw.DefaultAuthorizerTTL).
	AuthorizerResultTTLInSeconds *int
}

// CreateAuthorizer validates and stores a new authorizer of an API, with
// AWS's authType default ("custom", or "cognito_user_pools").
func (s *Service) CreateAuthorizer(ctx context.Context, apiID string, in CreateAuthorizerInput) (*apigw.Authorizer, error) {
	var v []string
	if in.Name == "" {
		v = append(v, "Value null at 'createAuthorizerInput.name' failed to satisfy constraint: Member must not be null")
	}
	switch {
	case in.Type == "":
		v = append(v, "Value null at 'createAuthorizerInput.type' failed to satisfy constraint: Member must not be null")
	case !slices.Contains(authorizerTypes, in.Type):
		v = append(v, fmt.Sprintf("Value '%s' at 'createAuthorizerInput.type' failed to satisfy constraint: Member must satisfy enum value set: [%s]", in.Type, strings.Join(authorizerTypes, ", ")))
	}
	if err := FromPatch(patch.NewValidationError(v)); err != nil {
		return nil, err
	}
	a := &apigw.Authorizer{
		Name:                         in.Name,
		Type:                         in.Type,
		ProviderARNs:                 slices.Clone(in.ProviderARNs),
		AuthType:                     in.AuthType,
		AuthorizerURI:                in.AuthorizerURI,
		AuthorizerCredentials:        in.AuthorizerCredentials,
		IdentitySource:               in.IdentitySource,
		IdentityValidationExpression: in.IdentityValidationExpression,
		AuthorizerResultTTLInSeconds: in.AuthorizerResultTTLInSeconds,
	}
	if a.AuthType == "" {
		a.AuthType = "custom"
		if a.Type == apigw.AuthorizerCognito {
			a.AuthType = "cognito_user_pools"
		}
	}
	if len(a.ProviderARNs) == 0 {
		a.ProviderARNs = nil
	}
	err := s.update(ctx, func(tx store.Tx) error {
		api, err := tx.GetAPI(ctx, apiID)
		if errors.Is(err, store.ErrNotFound) {
			return &Error{Kind: KindConflict, Message: msgCreateOnMissingAPI, Err: err}
		}
		if err != nil {
			return err
		}
		if err := checkAuthorizer(a); err != nil {
			return err
		}
		if len(api.Authorizers) >= maxAuthorizersPerAPI {
			return LimitExceededf(msgTooManyAuthorizers, maxAuthorizersPerAPI)
		}
		if api.Authorizers == nil {
			api.Authorizers = map[string]*apigw.Authorizer{}
		}
		for a.ID == "" || api.Authorizers[a.ID] != nil {
			a.ID = newID(authorizerIDLen)
		}
		api.Authorizers[a.ID] = a
		return tx.UpdateAPI(ctx, api)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// checkAuthorizer applies AWS's rules to an authorizer as a whole (after
// create or after a patch). The type is known to be valid.
func checkAuthorizer(a *apigw.Authorizer) error {
	if a.Name == "" {
		return BadRequestf("Invalid request input: name must not be empty")
	}
	if !slices.Contains(authorizerTypes, a.Type) {
		return BadRequestf("Invalid authorizer type specified: %q. Valid options are %s", a.Type, strings.Join(authorizerTypes, ","))
	}
	if t := a.AuthorizerResultTTLInSeconds; t != nil && (*t < 0 || *t > apigw.MaxAuthorizerTTL) {
		return BadRequestf("Invalid value \"%d\" for authorizerResultTtlInSeconds: must be an integer between 0 and %d", *t, apigw.MaxAuthorizerTTL)
	}
	switch a.Type {
	case apigw.AuthorizerToken, apigw.AuthorizerRequest:
		if err := CheckAuthorizerURI(a.AuthorizerURI); err != nil {
			return err
		}
	case apigw.AuthorizerCognito:
		if len(a.ProviderARNs) == 0 {
			return BadRequestf("Invalid request input: providerARNs is required for a COGNITO_USER_POOLS authorizer (arn:aws:cognito-idp:{region}:{account_id}:userpool/{user_pool_id})")
		}
		for _, arn := range a.ProviderARNs {
			if !cognitoPool.MatchString(arn) {
				return BadRequestf("Invalid provider ARN specified: %s. A COGNITO_USER_POOLS authorizer takes Cognito user pool ARNs, arn:aws:cognito-idp:{region}:{account_id}:userpool/{user_pool_id}", arn)
			}
		}
	}
	if err := checkIdentitySource(a); err != nil {
		return err
	}
	if a.IdentityValidationExpression != "" {
		if err := checkValidationExpression(a.IdentityValidationExpression); err != nil {
			return err
		}
	}
	return nil
}

// CheckAuthorizerURI validates a TOKEN or REQUEST authorizer's function: an
// API Gateway Lambda invocation ARN or, as Gatehouse's extension, an
// absolute http(s) URL.
func CheckAuthorizerURI(uri string) error {
	if uri == "" {
		return BadRequestf("Invalid request input: authorizerUri is required for a TOKEN or REQUEST authorizer: arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations, or an http(s):// URL")
	}
	if strings.HasPrefix(uri, "http://") || strings.HasPrefix(uri, "https://") {
		u, err := url.Parse(uri)
		if err != nil || u.Host == "" {
			return BadRequestf(msgAuthorizerURI, uri)
		}
		return nil
	}
	if !lambdaURI.MatchString(uri) {
		return BadRequestf(msgAuthorizerURI, uri)
	}
	return nil
}

// checkIdentitySource applies the identitySource rules of a's type: one
// request header for TOKEN and Cognito; for REQUEST, a comma-separated list
// of header, query string, stage variable and context sources, required
// when results are cached.
func checkIdentitySource(a *apigw.Authorizer) error {
	src := a.IdentitySource
	if a.Type != apigw.AuthorizerRequest && src == "" {
		return BadRequestf("Invalid request input: identitySource is required for a %s authorizer: the request header holding the token, e.g. method.request.header.Authorization", a.Type)
	}
	if a.Type == apigw.AuthorizerRequest && strings.TrimSpace(src) == "" && a.TTL() > 0 {
		return BadRequestf("Invalid request input: identitySource is required for a REQUEST authorizer whose results are cached (authorizerResultTtlInSeconds is %d when not set; set it to 0 to turn caching off)", apigw.DefaultAuthorizerTTL)
	}
	_, err := apigw.ParseIdentitySources(a.Type, src)
	var ise *apigw.IdentitySourceError
	switch {
	case err == nil:
		return nil
	case a.Type != apigw.AuthorizerRequest:
		return BadRequestf(msgTokenSource, src)
	case errors.As(err, &ise):
		return BadRequestf("Invalid identity source expression: %q in %q. Each comma-separated identity source of a REQUEST authorizer must be method.request.header.{name}, method.request.querystring.{name}, stageVariables.{name} or context.{name}", ise.Part, src)
	}
	return BadRequestf("Invalid identity source expression: %s", err)
}

// checkValidationExpression compiles a TOKEN authorizer's
// identityValidationExpression. AWS takes a Java regular expression;
// Gatehouse matches with Go's (RE2) and says so when the expression uses a
// Java feature RE2 lacks.
func checkValidationExpression(expr string) error {
	_, err := regexp.Compile(expr)
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf("Invalid identityValidationExpression %q: %v", expr, err)
	var se *syntax.Error
	if errors.As(err, &se) {
		switch se.Code {
		case syntax.ErrInvalidPerlOp, syntax.ErrInvalidEscape, syntax.ErrInvalidRepeatOp, syntax.ErrInvalidNamedCapture:
			msg += ". Gatehouse matches with Go's RE2 syntax, which has no look-ahead or look-behind, back-references, possessive quantifiers or atomic groups"
		}
	}
	return &Error{Kind: KindBadRequest, Message: msg, Err: err}
}

// GetAuthorizer returns an authorizer of an API.
func (s *Service) GetAuthorizer(ctx context.Context, apiID, id string) (*apigw.Authorizer, error) {
	var a *apigw.Authorizer
	err := s.view(ctx, func(r store.Reader) error {
		api, err := s.getAPI(ctx, r, apiID)
		if err != nil {
			return err
		}
		if a = api.Authorizers[id]; a == nil {
			return NotFoundf(msgAuthorizerNotFound)
		}
		return nil
	})
	return a, err
}

// ListAuthorizers returns one page of an API's authorizers, sorted by id;
// the position is the id starting the next page.
func (s *Service) ListAuthorizers(ctx context.Context, apiID string, p store.Page) ([]*apigw.Authorizer, string, error) {
	return listOfAPI(s, ctx, apiID, p, func(a *apigw.RestAPI) map[string]*apigw.Authorizer { return a.Authorizers }, func(a *apigw.Authorizer) string { return a.ID })
}

// UpdateAuthorizer applies patch operations (authorizerPatch) to a copy
// and stores it when the result passes checkAuthorizer.
func (s *Service) UpdateAuthorizer(ctx context.Context, apiID, id string, ops []patch.Op) (*apigw.Authorizer, error) {
	var out *apigw.Authorizer
	err := s.update(ctx, func(tx store.Tx) error {
		api, err := s.getAPI(ctx, tx, apiID)
		if err != nil {
			return err
		}
		a := api.Authorizers[id]
		if a == nil {
			return NotFoundf(msgAuthorizerNotFound)
		}
		if err := applyAuthorizerPatch(a, ops); err != nil {
			return err
		}
		out = a
		return tx.UpdateAPI(ctx, api)
	})
	return out, err
}

// applyAuthorizerPatch applies ops (authorizerPatch), then AWS's checks of
// the authorizer as a whole.
func applyAuthorizerPatch(a *apigw.Authorizer, ops []patch.Op) error {
	if err := authorizerPatch.ApplyAll(a, ops); err != nil {
		return FromPatch(err)
	}
	if len(a.ProviderARNs) == 0 {
		a.ProviderARNs = nil
	}
	return checkAuthorizer(a)
}

// authorizerPatch is UpdateAuthorizer's paths: replace on every scalar
// member, add/replace/remove on /identitySource, add/remove of one ARN
// (the value) on /providerARNs.
var authorizerPatch = patch.NewTable(patch.Options{},
	patch.Rule[*apigw.Authorizer]{Path: "/name", Ops: replaceOp, Set: patch.String(func(a *apigw.Authorizer) *string { return &a.Name })},
	patch.Rule[*apigw.Authorizer]{Path: "/type", Ops: replaceOp, Set: func(a *apigw.Authorizer, op patch.Op, _ patch.Params) error {
		if !slices.Contains(authorizerTypes, op.Value) {
			return BadRequestf("Invalid authorizer type specified: %q. Valid options are %s", op.Value, strings.Join(authorizerTypes, ","))
		}
		a.Type = op.Value
		return nil
	}},
	patch.Rule[*apigw.Authorizer]{Path: "/authorizerUri", Ops: replaceOp, Set: patch.String(func(a *apigw.Authorizer) *string { return &a.AuthorizerURI })},
	patch.Rule[*apigw.Authorizer]{Path: "/authorizerCredentials", Ops: replaceOp, Set: patch.String(func(a *apigw.Authorizer) *string { return &a.AuthorizerCredentials })},
	patch.Rule[*apigw.Authorizer]{Path: "/authType", Ops: replaceOp, Set: patch.String(func(a *apigw.Authorizer) *string { return &a.AuthType })},
	patch.Rule[*apigw.Authorizer]{Path: "/identityValidationExpression", Ops: replaceOp, Set: patch.String(func(a *apigw.Authorizer) *string { return &a.IdentityValidationExpression })},
	patch.Rule[*apigw.Authorizer]{Path: "/identitySource", Ops: addRemoveReplace, Set: func(a *apigw.Authorizer, op patch.Op, _ patch.Params) error {
		if op.Op == patch.Remove {
			a.IdentitySource = ""
		} else {
			a.IdentitySource = op.Value
		}
		return nil
	}},
	// "" clears the TTL (absent again: the default applies).
	patch.Rule[*apigw.Authorizer]{Path: "/authorizerResultTtlInSeconds", Ops: replaceOp, Set: func(a *apigw.Authorizer, op patch.Op, _ patch.Params) error {
		if strings.TrimSpace(op.Value) == "" {
			a.AuthorizerResultTTLInSeconds = nil
			return nil
		}
		n, err := patch.ParseInt(op.Path, op.Value)
		if err != nil {
			return err
		}
		if n < 0 || n > apigw.MaxAuthorizerTTL {
			return &patch.ValueError{Path: op.Path, Value: op.Value, Want: "must be an integer between 0 and " + strconv.Itoa(apigw.MaxAuthorizerTTL)}
		}
		a.AuthorizerResultTTLInSeconds = &n
		return nil
	}},
	patch.Rule[*apigw.Authorizer]{Path: "/providerARNs", Ops: addRemove, Set: func(a *apigw.Authorizer, op patch.Op, _ patch.Params) error {
		i := slices.Index(a.ProviderARNs, op.Value)
		switch {
		case op.Op == patch.Remove && i >= 0:
			a.ProviderARNs = slices.Delete(a.ProviderARNs, i, i+1)
		case op.Op == patch.Add && i < 0:
			if op.Value == "" {
				return BadRequestf("Invalid null or empty value in providerARNs")
			}
			a.ProviderARNs = append(a.ProviderARNs, op.Value)
		}
		return nil
	}},
)

// DeleteAuthorizer deletes an authorizer no method uses; AWS refuses to
// delete one a method uses, naming the first such method.
func (s *Service) DeleteAuthorizer(ctx context.Context, apiID, id string) error {
	return s.update(ctx, func(tx store.Tx) error {
		api, err := s.getAPI(ctx, tx, apiID)
		if err != nil {
			return err
		}
		a := api.Authorizers[id]
		if a == nil {
			return NotFoundf(msgAuthorizerNotFound)
		}
		if verb, path, ok := authorizerUser(api, id); ok {
			return Conflictf(msgDeleteInUse, a.Name, verb, path)
		}
		delete(api.Authorizers, id)
		if len(api.Authorizers) == 0 {
			api.Authorizers = nil
		}
		return tx.UpdateAPI(ctx, api)
	})
}

// authorizerUser returns the first method (by path, then verb) that uses
// authorizer id.
func authorizerUser(api *apigw.RestAPI, id string) (verb, path string, ok bool) {
	for _, ri := range sortedResources(api) {
		verbs := make([]string, 0, len(ri.Resource.Methods))
		for v := range ri.Resource.Methods {
			verbs = append(verbs, v)
		}
		slices.Sort(verbs)
		for _, v := range verbs {
			if m := ri.Resource.Methods[v]; usesAuthorizer(m) && m.AuthorizerID == id {
				return v, ri.Path, true
			}
		}
	}
	return "", "", false
}

// usesAuthorizer reports whether m's authorization type takes an
// authorizer (CUSTOM or COGNITO_USER_POOLS).
func usesAuthorizer(m *apigw.Method) bool {
	return m.AuthorizationType == apigw.AuthCustom || m.AuthorizationType == apigw.AuthCognito
}
