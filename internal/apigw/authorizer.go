package apigw

import (
	"fmt"
	"net/textproto"
	"strings"
	"time"
)

// Authorizer types (Authorizer.Type).
const (
	AuthorizerToken   = "TOKEN"
	AuthorizerRequest = "REQUEST"
	AuthorizerCognito = "COGNITO_USER_POOLS"
)

// The region and account id in ARNs when the node names none (--region;
// Gatehouse has no accounts, so one fixed id): the management API's ARNs and
// the data plane's method ARNs use the same ones.
const (
	DefaultRegion    = "us-east-1"
	DefaultAccountID = "000000000000"
)

// Authorizer result cache TTLs (authorizerResultTtlInSeconds).
const (
	// DefaultAuthorizerTTL applies when AuthorizerResultTTLInSeconds is nil.
	DefaultAuthorizerTTL = 300
	// MaxAuthorizerTTL is the largest TTL AWS accepts.
	MaxAuthorizerTTL = 3600
)

// Authorizer is a custom (Lambda) or Cognito authorizer of a REST API. It
// lives in RestAPI.Authorizers and is frozen into deployments with the rest
// of the definition (Snapshot.Authorizers): a change takes effect on a stage
// at its next deployment, as on AWS.
type Authorizer struct {
	ID   string
	Name string
	// Type is AuthorizerToken, AuthorizerRequest or AuthorizerCognito.
	Type string
	// ProviderARNs are the Cognito user pool ARNs (COGNITO_USER_POOLS only).
	ProviderARNs []string
	// AuthType is AWS's optional free-form field ("custom",
	// "cognito_user_pools"); AWS sets it on create.
	AuthType string
	// AuthorizerURI is the function to invoke: an API Gateway Lambda URI
	// (arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations)
	// or, as a Gatehouse extension, an http(s):// URL.
	AuthorizerURI string
	// AuthorizerCredentials is the IAM role ARN AWS would assume; stored
	// and returned.
	AuthorizerCredentials string
	// IdentitySource is "method.request.header.Authorization" for TOKEN, a
	// comma-separated list of method.request.header.X,
	// method.request.querystring.Y, stageVariables.Z and context.W for
	// REQUEST.
	IdentitySource string
	// IdentityValidationExpression is a regular expression a TOKEN's
	// identity must match (whole value), else 401 without invoking.
	IdentityValidationExpression string
	// AuthorizerResultTTLInSeconds is nil when not set (absent from AWS's
	// answers; the runtime then uses DefaultAuthorizerTTL); 0 disables
	// caching.
	AuthorizerResultTTLInSeconds *int
}

// TTL returns the authorizer's result cache lifetime (0: no caching).
func (a *Authorizer) TTL() time.Duration {
	if a.AuthorizerResultTTLInSeconds == nil {
		return DefaultAuthorizerTTL * time.Second
	}
	return time.Duration(*a.AuthorizerResultTTLInSeconds) * time.Second
}

// AuthorizerTest is TestInvokeAuthorizer's input.
type AuthorizerTest struct {
	Headers             map[string]string
	MultiValueHeaders   map[string][]string
	PathWithQueryString string
	Body                string
	StageVariables      map[string]string
	AdditionalContext   map[string]string
}

// AuthorizerTestResult is TestInvokeAuthorizer's answer.
type AuthorizerTestResult struct {
	// ClientStatus is the status a caller would get (200 when allowed,
	// 401, 403 or 500).
	ClientStatus int
	// Log is the execution log, one line per event.
	Log     string
	Latency time.Duration
	// PrincipalID and Policy (the policy document as JSON text) come from
	// the function's answer.
	PrincipalID string
	Policy      string
	// Authorization holds the context values the function returned,
	// stringified (AWS's "authorization" map of lists).
	Authorization map[string][]string
	Claims        map[string]string
}

// IdentitySourceKind is where an identity source reads from.
type IdentitySourceKind int

// Identity source kinds.
const (
	IdentityHeader   IdentitySourceKind = iota + 1 // method.request.header.X
	IdentityQuery                                  // method.request.querystring.X
	IdentityStageVar                               // stageVariables.X
	IdentityContext                                // context.X
)

// IdentitySource is one identity source of an authorizer.
type IdentitySource struct {
	Kind IdentitySourceKind
	// Name is the header (canonical form), parameter, variable or context
	// variable name.
	Name string
	// Expr is the source as written ("method.request.header.Authorization").
	Expr string
}

// IdentitySourceError says which part of an identitySource breaks which rule.
type IdentitySourceError struct {
	Source string // the whole identitySource
	Part   string // the failing comma-separated part ("" when the whole is at fault)
	Rule   string
}

func (e *IdentitySourceError) Error() string {
	if e.Part == "" {
		return fmt.Sprintf("identitySource %q: %s", e.Source, e.Rule)
	}
	return fmt.Sprintf("identity source %q in %q: %s", e.Part, e.Source, e.Rule)
}

// identityPrefixes are the identity source forms, in AWS's order.
var identityPrefixes = []struct {
	prefix string
	kind   IdentitySourceKind
}{
	{"method.request.header.", IdentityHeader},
	{"method.request.querystring.", IdentityQuery},
	{"stageVariables.", IdentityStageVar},
	{"context.", IdentityContext},
}

// ParseIdentitySources parses an authorizer's identitySource, the one rule
// the management API validates with and the data plane reads by: TOKEN and
// COGNITO_USER_POOLS take exactly one method.request.header.X (TOKEN's
// default, when empty, is method.request.header.Authorization); REQUEST a
// comma-separated list of method.request.header.X,
// method.request.querystring.Y, stageVariables.Z and context.W, possibly
// empty. Names are [a-zA-Z0-9._-]+, as AWS requires. Errors are
// *IdentitySourceError.
func ParseIdentitySources(typ, s string) ([]IdentitySource, error) {
	if strings.TrimSpace(s) == "" {
		switch typ {
		case AuthorizerToken:
			s = "method.request.header.Authorization"
		case AuthorizerRequest:
			return nil, nil
		default:
			return nil, &IdentitySourceError{Source: s, Rule: "a " + typ + " authorizer needs one method.request.header.X"}
		}
	}
	var out []IdentitySource
	for part := range strings.SplitSeq(s, ",") {
		expr := strings.TrimSpace(part)
		src, ok := parseIdentitySource(expr)
		if !ok {
			return nil, &IdentitySourceError{Source: s, Part: expr, Rule: "must be method.request.header.{name}, method.request.querystring.{name}, stageVariables.{name} or context.{name}, the name of letters, digits, '.', '_' and '-'"}
		}
		out = append(out, src)
	}
	if typ != AuthorizerRequest && (len(out) != 1 || out[0].Kind != IdentityHeader) {
		return nil, &IdentitySourceError{Source: s, Rule: "a " + typ + " authorizer takes exactly one method.request.header.{name}"}
	}
	return out, nil
}

func parseIdentitySource(expr string) (IdentitySource, bool) {
	for _, p := range identityPrefixes {
		name, ok := strings.CutPrefix(expr, p.prefix)
		if !ok {
			continue
		}
		if name == "" || strings.IndexFunc(name, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
		}) >= 0 {
			return IdentitySource{}, false
		}
		if p.kind == IdentityHeader {
			name = textproto.CanonicalMIMEHeaderKey(name)
		}
		return IdentitySource{Kind: p.kind, Name: name, Expr: expr}, true
	}
	return IdentitySource{}, false
}
