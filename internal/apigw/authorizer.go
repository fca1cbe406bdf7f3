package apigw

import "time"

// Authorizer types (Authorizer.Type).
const (
	AuthorizerToken   = "TOKEN"
	AuthorizerRequest = "REQUEST"
	AuthorizerCognito = "COGNITO_USER_POOLS"
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
