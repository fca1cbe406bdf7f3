package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/authorizer"
	"github.com/gatehouse-dev/gatehouse/internal/lambda"
)

// AuthorizerTimeout caps an authorizer invocation. On AWS the limit is the
// function's own timeout; Gatehouse cannot know it for a plain-HTTP
// function, so it waits at most this long and answers a slower function
// as AWS answers a timeout (500 AuthorizerConfigurationException).
const AuthorizerTimeout = 10 * time.Second

// authFailure is an invocation that produced no policy: the reason and
// the operator's detail.
type authFailure struct {
	reason Reason
	detail string
}

func (e *authFailure) Error() string { return e.detail }

// authorize is the pipeline's authorizer step. For a method whose
// authorizationType is CUSTOM it reads the identity sources (missing or
// failing the validation expression: 401 without invoking), takes the
// result from the cache or invokes the function, and evaluates the policy
// against the request's method ARN (Deny wins; no matching Allow: 403).
// An allowed request carries the result in rq.auth. In dry-run mode it
// never invokes: it evaluates a cached result, or notes that it would
// invoke (rq.authPending).
func (g *Gateway) authorize(ctx context.Context, rq *request) *Decision {
	m := rq.match.Method
	switch m.AuthorizationType {
	case apigw.AuthCustom:
	case apigw.AuthCognito:
		return refuse(ReasonAuthorizerUnsupported, "the method's authorizationType is COGNITO_USER_POOLS: Cognito user pool authorizers are not supported by Gatehouse")
	default:
		return nil
	}
	ca := rq.stage.Authorizers[m.AuthorizerID]
	switch {
	case ca == nil:
		return refuse(ReasonAuthorizerUnavailable, fmt.Sprintf("the method names authorizer %s, which deployment %s of stage %s does not have", quote(m.AuthorizerID), rq.stage.DeploymentID, rq.stage.Name))
	case ca.Type == apigw.AuthorizerCognito:
		return refuse(ReasonAuthorizerUnsupported, "authorizer "+ca.ID+" is a COGNITO_USER_POOLS authorizer: Cognito user pool authorizers are not supported by Gatehouse")
	case ca.Err != nil:
		return refuse(ReasonAuthorizerUnavailable, ca.Err.Error())
	}
	var vbuf [4]string
	values := vbuf[:0]
	for _, src := range ca.Sources {
		v := rq.identityValue(src)
		if v == "" {
			return refuse(ReasonAuthorizerIdentityMissing, fmt.Sprintf("authorizer %s: the identity source %s is missing or empty in the request, so the function was not invoked", ca.ID, src.Expr))
		}
		values = append(values, v)
	}
	if ca.Validation != nil && !ca.Validation.MatchString(values[0]) {
		return refuse(ReasonAuthorizerIdentityInvalid, fmt.Sprintf("authorizer %s: the identity in %s does not match identityValidationExpression %s, so the function was not invoked", ca.ID, ca.Sources[0].Expr, quote(ca.IdentityValidationExpression)))
	}
	arn := authorizer.MethodARN(g.region, g.accountID, rq.api.ID, rq.stage.Name, rq.r.Method, rq.target.path)

	if ca.TTL > 0 {
		rq.authKey = g.authCache.appendKey(rq.authKey[:0], rq.stage.Ref, rq.stage.DeploymentID, ca.ID, values)
		if res, expires, ok := g.authCache.get(rq.authKey, rq.now); ok {
			return g.applyAuth(rq, ca, res, arn, expires)
		}
	}
	if rq.dryRun {
		rq.authPending = true
		if rq.trace != nil {
			cache := "no cached result for this identity"
			if ca.TTL <= 0 {
				cache = "no cached policy would be reused (authorizerResultTtlInSeconds is 0)"
			}
			rq.note = append(rq.note, fmt.Sprintf("%s: the request would invoke authorizer %s (%s) at %s, and the function's policy would decide", cache, ca.ID, ca.Type, hostOf(ca.AuthorizerURI)))
		}
		return nil
	}
	payload, err := g.authorizerEvent(rq, ca, values, arn)
	if err != nil {
		return refuse(ReasonAuthorizerUnavailable, fmt.Sprintf("authorizer %s: building the event: %v", ca.ID, err))
	}
	var res *authResult
	if ca.TTL > 0 {
		key := string(rq.authKey)
		now := rq.now
		// The invocation runs for every caller waiting on this identity:
		// it must not end with the first caller's request, nor touch rq
		// (pooled) once that caller has returned.
		detached := context.WithoutCancel(ctx)
		res, err = g.authCache.once(ctx, key, func() (*authResult, error) {
			res, err := g.invokeAuthorizer(detached, ca, payload)
			if err == nil {
				g.authCache.put(key, res, now.Add(ca.TTL), now)
			}
			return res, err
		})
	} else {
		res, err = g.invokeAuthorizer(ctx, ca, payload)
	}
	if err != nil {
		var f *authFailure
		if errors.As(err, &f) {
			return refuse(f.reason, f.detail)
		}
		return refuse(ReasonClientGone, fmt.Sprintf("the caller went away while authorizer %s was invoked: %v", ca.ID, err))
	}
	return g.applyAuth(rq, ca, res, arn, time.Time{})
}

// applyAuth evaluates a result's policy for the request's method ARN.
// cachedUntil is zero for a fresh result.
func (g *Gateway) applyAuth(rq *request, ca *authorizer.Compiled, res *authResult, arn string, cachedUntil time.Time) *Decision {
	rq.authCached = !cachedUntil.IsZero()
	// from names the policy, for the operator: worked out only for a
	// refusal or a trace, not on the common (allowed) path.
	from := func() string {
		if !cachedUntil.IsZero() {
			return "the cached policy authorizer " + ca.ID + " returned for principal " + quote(res.auth.PrincipalID) + " (cached until " + cachedUntil.UTC().Format(time.RFC3339) + ")"
		}
		return "the policy authorizer " + ca.ID + " returned for principal " + quote(res.auth.PrincipalID)
	}
	switch res.policy.Decide(arn) {
	case authorizer.Deny:
		return refuse(ReasonAuthorizerDenied, from()+" explicitly denies "+arn)
	case authorizer.NoMatch:
		if rq.policyAllowed {
			// AWS's table: the resource policy allows, the authorizer's is
			// silent: allowed.
			rq.auth = &res.auth
			if rq.trace != nil {
				rq.note = append(rq.note, from()+" has no statement matching "+arn+"; the resource policy's Allow lets the request through")
			}
			return nil
		}
		allow, _ := res.policy.Resources()
		d := from() + " has no Allow statement matching " + arn + " (it allows " + resourceList(allow) + ")"
		if rq.stage.Policy != nil {
			d += ", and the API's resource policy has none either"
		}
		if !cachedUntil.IsZero() {
			d += "; the policy was cached for an earlier request with the same identity: a policy scoped to that request's methodArn denies every other path until it expires (allow a wildcard such as arn:aws:execute-api:*:*:" + rq.api.ID + "/" + rq.stage.Name + "/*, or set authorizerResultTtlInSeconds to 0)"
		}
		return refuse(ReasonAuthorizerNotAllowed, d)
	}
	rq.auth = &res.auth
	if rq.trace != nil {
		rq.note = append(rq.note, from()+" allows "+arn)
	}
	return nil
}

func resourceList(rs []string) string {
	if len(rs) == 0 {
		return "nothing"
	}
	if len(rs) > 4 {
		return strings.Join(rs[:4], ", ") + fmt.Sprintf(" and %d more", len(rs)-4)
	}
	return strings.Join(rs, ", ")
}

// identityValue reads one identity source from the request ("" when
// absent).
func (rq *request) identityValue(src authorizer.Source) string {
	switch src.Kind {
	case authorizer.SourceHeader:
		if v := rq.r.Header[src.Name]; len(v) > 0 {
			return v[0]
		}
	case authorizer.SourceQuery:
		return rq.r.URL.Query().Get(src.Name)
	case authorizer.SourceStageVar:
		return rq.stage.Variables[src.Name]
	case authorizer.SourceContext:
		return contextVar(src.Name, rq, apigw.ResponseSpec{})
	}
	return ""
}

// authorizerEvent builds the TOKEN or REQUEST event for a request.
func (g *Gateway) authorizerEvent(rq *request, ca *authorizer.Compiled, values []string, arn string) ([]byte, error) {
	if ca.Type == apigw.AuthorizerToken {
		return json.Marshal(events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: values[0], MethodArn: arn})
	}
	path, err := url.PathUnescape(rq.target.path)
	if err != nil {
		path = rq.target.path
	}
	resourcePath, resourceID := path, ""
	if res := rq.match.Resource; res != nil {
		resourcePath, resourceID = res.Path, res.ID
	}
	ev := events.APIGatewayCustomAuthorizerRequestTypeRequest{
		Type:           "REQUEST",
		MethodArn:      arn,
		Resource:       resourcePath,
		Path:           path,
		HTTPMethod:     rq.r.Method,
		StageVariables: rq.stage.Variables,
		RequestContext: events.APIGatewayCustomAuthorizerRequestTypeRequestContext{
			Path:         "/" + rq.stage.Name + path,
			AccountID:    g.accountID,
			ResourceID:   resourceID,
			Stage:        rq.stage.Name,
			RequestID:    string(rq.requestID[:]),
			ResourcePath: resourcePath,
			HTTPMethod:   rq.r.Method,
			APIID:        rq.target.apiID,
			Identity: events.APIGatewayCustomAuthorizerRequestTypeRequestIdentity{
				SourceIP: clientIP(rq.r, rq.trusted),
			},
		},
	}
	// AWS passes the x-api-key header the caller sent (the key is not
	// checked yet, so there is no apiKeyId).
	if v := rq.r.Header[headerAPIKey]; len(v) > 0 {
		ev.RequestContext.Identity.APIKey = v[0]
	}
	ev.Headers, ev.MultiValueHeaders = eventHeaders(rq.r.Header)
	ev.QueryStringParameters, ev.MultiValueQueryStringParameters = eventQuery(rq.r.URL.RawQuery)
	for n, v := range rq.params.All() {
		if ev.PathParameters == nil {
			ev.PathParameters = map[string]string{}
		}
		ev.PathParameters[n] = v
	}
	return json.Marshal(ev)
}

// invokeAuthorizer calls the function and parses its reply; every failure
// is an *authFailure naming its reason, except ctx's own end.
func (g *Gateway) invokeAuthorizer(ctx context.Context, ca *authorizer.Compiled, payload []byte) (*authResult, error) {
	if g.functions == nil {
		return nil, &authFailure{ReasonAuthorizerUnavailable, fmt.Sprintf("authorizer %s: %v", ca.ID, lambda.ErrNoEndpoint)}
	}
	ictx, cancel := context.WithTimeout(ctx, g.authTimeout)
	defer cancel()
	out, err := g.functions.Invoke(ictx, ca.AuthorizerURI, payload)
	if err != nil {
		switch {
		case errors.Is(err, lambda.ErrTimeout) || errors.Is(err, context.DeadlineExceeded):
			return nil, &authFailure{ReasonAuthorizerTimeout, fmt.Sprintf("authorizer %s (%s) did not answer within %s: %v", ca.ID, hostOf(ca.AuthorizerURI), g.authTimeout, err)}
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, lambda.ErrTooLarge):
			return nil, &authFailure{ReasonAuthorizerReplyInvalid, fmt.Sprintf("authorizer %s: %v", ca.ID, err)}
		}
		return nil, &authFailure{ReasonAuthorizerUnavailable, fmt.Sprintf("authorizer %s (%s) could not be invoked: %v", ca.ID, hostOf(ca.AuthorizerURI), err)}
	}
	if out.FunctionError != "" {
		msg, typ := functionError(out.Payload)
		if msg == "Unauthorized" {
			return nil, &authFailure{ReasonAuthorizerUnauthorized, fmt.Sprintf("authorizer %s answered Unauthorized", ca.ID)}
		}
		return nil, &authFailure{ReasonAuthorizerError, fmt.Sprintf("authorizer %s failed (%s): %s: %s", ca.ID, out.FunctionError, typ, clip(msg, 256))}
	}
	reply, err := authorizer.ParseReply(out.Payload)
	if err != nil {
		return nil, &authFailure{ReasonAuthorizerReplyInvalid, fmt.Sprintf("authorizer %s answered a reply API Gateway cannot use: %v", ca.ID, err)}
	}
	return &authResult{
		auth:       authorization{PrincipalID: reply.PrincipalID, Context: reply.Context, UsageIdentifierKey: reply.UsageIdentifierKey},
		policy:     reply.Policy,
		policyJSON: reply.PolicyJSON,
	}, nil
}

// functionError reads a function error's payload {"errorMessage",
// "errorType"}.
func functionError(payload []byte) (message, typ string) {
	var fe struct {
		Message any    `json:"errorMessage"`
		Type    string `json:"errorType"`
	}
	if json.Unmarshal(payload, &fe) != nil {
		return "", ""
	}
	message, _ = fe.Message.(string)
	return message, fe.Type
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// keyFromAuthorizer is the key source for apiKeySource AUTHORIZER: the
// key is the usageIdentifierKey the method's authorizer returned, and the
// rest of the pipeline (key, plan, throttles, quota, usage) runs as for a
// key sent in x-api-key.
func (g *Gateway) keyFromAuthorizer(rq *request) *Decision {
	if rq.match.Method.AuthorizationType != apigw.AuthCustom {
		return refuse(ReasonKeySourceAuthorizer, "API "+rq.api.ID+" takes API keys from an authorizer (apiKeySource AUTHORIZER), and this method has no custom authorizer (authorizationType "+rq.match.Method.AuthorizationType+") to supply one (usageIdentifierKey)")
	}
	if rq.authPending {
		// Dry run without a cached result: the key is in the reply the
		// function would give.
		rq.keyRequired = false
		return nil
	}
	if rq.auth == nil || rq.auth.UsageIdentifierKey == "" {
		return refuse(ReasonKeyFromAuthorizerMissing, "API "+rq.api.ID+" takes API keys from an authorizer (apiKeySource AUTHORIZER), and authorizer "+rq.match.Method.AuthorizerID+" returned no usageIdentifierKey")
	}
	rq.keyValue = rq.auth.UsageIdentifierKey
	rq.keyFromAuthorizer = true
	return nil
}

// FlushStageAuthorizersCache empties the authorizer result cache of a
// stage (AuthorizerRunner).
func (g *Gateway) FlushStageAuthorizersCache(apiID, stage string) {
	g.authCache.flush(apigw.StageRef(apiID, stage))
}
