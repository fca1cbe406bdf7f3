package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/authorizer"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/state"
)

// testInvokeStage is the stage name AWS puts in a test invocation's
// method ARN.
const testInvokeStage = "test-invoke-stage"

// TestInvokeAuthorizer runs an authorizer on a simulated request
// (TestInvokeAuthorizer; AuthorizerRunner): it reads the identity sources
// from in (no invocation when one is missing or fails the validation
// expression, as on AWS), builds the TOKEN or REQUEST event with the
// method ARN of stage test-invoke-stage (method GET, the path of
// in.PathWithQueryString), invokes the function without the cache, and
// reports what a caller would get. ClientStatus is 200 when the function
// answered a usable policy (the policy is reported, not evaluated: there
// is no method), 401 for a missing identity or "Unauthorized", 500 for
// any other failure. The log never holds an identity value, a key or the
// request event: only the masked identity, the policy and the context
// keys.
func (g *Gateway) TestInvokeAuthorizer(ctx context.Context, apiID string, a *apigw.Authorizer, in apigw.AuthorizerTest) (apigw.AuthorizerTestResult, error) {
	start := time.Now()
	now := start
	if g.now != nil {
		now = g.now()
	}
	var res apigw.AuthorizerTestResult
	lg := newTestLog(now)
	finish := func(status int) (apigw.AuthorizerTestResult, error) {
		res.ClientStatus = status
		res.Latency = time.Since(start)
		res.Log = lg.String()
		return res, nil
	}

	rq := &request{now: now, trusted: g.trusted}
	newUUID(&rq.requestID)
	lg.header(string(rq.requestID[:]))
	lg.line("Starting authorizer: %s for request: %s", a.ID, string(rq.requestID[:]))

	ca := authorizer.Compile(a)
	switch {
	case a.Type == apigw.AuthorizerCognito:
		lg.line("Execution failed: Cognito user pool authorizers are not supported by Gatehouse")
		return finish(500)
	case ca.Err != nil:
		lg.line("Execution failed due to configuration error: %v", ca.Err)
		return finish(500)
	}

	u, hdr, err := testInvokeRequest(in.PathWithQueryString, "/", in.Headers, in.MultiValueHeaders)
	if err != nil {
		return res, err
	}
	rq.r = &http.Request{Method: http.MethodGet, URL: u, Header: hdr, Body: http.NoBody, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
	rq.target = invokeTarget{apiID: apiID, stage: testInvokeStage, path: u.EscapedPath()}
	rq.stage = &state.Stage{APIID: apiID, Name: testInvokeStage, Ref: apigw.StageRef(apiID, testInvokeStage), Variables: in.StageVariables}

	values := make([]string, len(ca.Sources))
	for i, src := range ca.Sources {
		v := ""
		if src.Kind == authorizer.SourceContext {
			v = in.AdditionalContext[src.Name]
		}
		if v == "" {
			v = rq.identityValue(src)
		}
		if v == "" {
			lg.line("Unauthorized request: identity source %s is missing or empty", src.Expr)
			return finish(401)
		}
		values[i] = v
	}
	if len(values) > 0 {
		lg.line("Incoming identity: %s", maskIdentity(values))
	}
	if ca.Validation != nil && !ca.Validation.MatchString(values[0]) {
		lg.line("Unauthorized request: the identity does not match identityValidationExpression %s", ca.IdentityValidationExpression)
		return finish(401)
	}
	arn := authorizer.MethodARN(g.region, g.accountID, apiID, testInvokeStage, http.MethodGet, rq.target.path)
	payload, err := g.authorizerEvent(rq, ca, values, arn)
	if err != nil {
		return res, fmt.Errorf("building the authorizer event: %w", err)
	}
	lg.line("Sending request to %s", hostOf(a.AuthorizerURI))
	out, err := g.invokeAuthorizer(ctx, ca, payload)
	if err != nil {
		var f *authFailure
		if !errors.As(err, &f) {
			return res, err
		}
		if f.reason == ReasonAuthorizerUnauthorized {
			lg.line("Unauthorized request: %s", f.detail)
			return finish(401)
		}
		lg.line("Execution failed due to configuration error: %s", f.detail)
		lg.line("AuthorizerConfigurationException")
		return finish(500)
	}
	res.PrincipalID = out.auth.PrincipalID
	res.Policy = string(out.policyJSON)
	if len(out.auth.Context) > 0 {
		res.Authorization = make(map[string][]string, len(out.auth.Context))
		for k, v := range out.auth.Context {
			res.Authorization[k] = []string{authorizer.ContextString(v)}
		}
	}
	lg.line("Authorizer result policy: %s", res.Policy)
	lg.line("Using valid authorizer policy for principal: %s", out.auth.PrincipalID)
	lg.line("Successfully completed authorizer execution")
	return finish(200)
}

// maskIdentity shows identity values as AWS's log does: masked but for
// the last four characters.
func maskIdentity(values []string) string {
	out := make([]string, len(values))
	for i, v := range values {
		if len(v) <= 4 {
			out[i] = strings.Repeat("*", len(v))
			continue
		}
		out[i] = strings.Repeat("*", min(len(v)-4, 10)) + v[len(v)-4:]
	}
	return strings.Join(out, ",")
}

// testLog builds an execution log in AWS's format: a header line, then
// "<timestamp> : <message>" lines, timestamps as "Mon Jan 02 15:04:05
// UTC 2006".
type testLog struct {
	b   strings.Builder
	now time.Time
}

func newTestLog(now time.Time) *testLog { return &testLog{now: now} }

func (l *testLog) header(requestID string) {
	l.b.WriteString("Execution log for request " + requestID + "\n")
}

func (l *testLog) line(format string, args ...any) {
	l.b.WriteString(l.now.UTC().Format("Mon Jan 02 15:04:05 MST 2006"))
	l.b.WriteString(" : ")
	fmt.Fprintf(&l.b, format, args...)
	l.b.WriteByte('\n')
}

func (l *testLog) String() string { return l.b.String() }
