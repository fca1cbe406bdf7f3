package gateway

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/authorizer"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/route"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/state"
)

// fixes holds, for every reason, how to work out the fix: one sentence
// in terms of the user's own objects (the key by id, the usage plan, the
// stage, the deployment) saying what to change so that the request would
// pass. A nil entry is a deliberate "no fix" (the caller went away: there
// is nothing to change). Every reason has an entry (TestEveryReasonHasAFix).
//
// The fixes read what the pipeline found for the request (rq after a dry
// run of it) and what the state knows (the plans attached to a stage, the
// API's stages and live resources), never a key value. They are for the
// operator: Explain returns them, callers never see them.
var fixes = map[Reason]func(f *fixFacts) string{
	ReasonNoAPI: func(f *fixFacts) string {
		return "put the API id in the URL: /restapis/{apiId}/{stage}/_user_request_/{path}, the host {apiId}.execute-api.<domain>, or the header x-apigw-api-id"
	},
	ReasonUnknownAPI: func(f *fixFacts) string {
		return "use the id of an existing API (aws apigateway get-rest-apis lists them; ids are case-sensitive): no API has the id " + quote(f.rq.target.apiID)
	},
	ReasonAPIHeaderMismatch: func(f *fixFacts) string {
		return "send x-apigw-api-id: " + f.rq.target.apiID + " (the API the URL names), or drop the header"
	},
	ReasonExecuteAPIDisabled: func(f *fixFacts) string {
		id := f.apiID()
		return "turn the execute-api endpoint of API " + id + " back on: aws apigateway update-rest-api --rest-api-id " + id + " --patch-operations op=replace,path=/disableExecuteApiEndpoint,value=false"
	},
	ReasonNoBasePathMapping: func(f *fixFacts) string {
		d := f.rq.target.domain
		if d == nil {
			return ""
		}
		have := make([]string, 0, len(d.Mappings))
		for _, m := range d.Mappings {
			have = append(have, apigw.WireBasePath(m.BasePath))
		}
		if len(have) == 0 {
			have = append(have, "none yet")
		}
		return "call a path under one of the base paths of " + d.Name + " (" + strings.Join(have, ", ") + "), or map one: aws apigateway create-base-path-mapping --domain-name " + d.Name + " --base-path {basePath} --rest-api-id {apiId} --stage {stage}"
	},
	ReasonNoStage:      (*fixFacts).stageFix,
	ReasonUnknownStage: (*fixFacts).stageFix,
	ReasonStageBroken: func(f *fixFacts) string {
		if st := f.rq.stage; st != nil && st.IsCanary {
			return "roll back the canary release of stage " + st.Name + ", whose deployment " + st.DeploymentID + " cannot be served: aws apigateway update-stage --rest-api-id " + f.apiID() + " --stage-name " + st.Name + " --patch-operations op=remove,path=/canarySettings"
		}
		return "redeploy stage " + f.stageName() + ": its deployment " + f.deploymentID() + " cannot be served (" + f.createDeployment() + ")"
	},
	ReasonUnknownRoute: func(f *fixFacts) string {
		if f.rq.target.stage == "_user_request_" {
			return "the URL has no stage: invoke /restapis/" + f.rq.target.apiID + "/{stage}/_user_request_/{path}" + f.stagesList()
		}
		return "no resource of API " + f.apiID() + ", deployed or not, matches the path " + quote(f.rq.target.path) + ": check the path (paths are case-sensitive), or create the resource and redeploy stage " + f.stageName()
	},
	ReasonNoMethod: func(f *fixFacts) string {
		res := f.rq.match.Resource
		if res == nil {
			return ""
		}
		return fmt.Sprintf("call %s with one of its methods (%s), or add a %s method to it (aws apigateway put-method) and redeploy stage %s",
			res.Path, strings.Join(res.HTTPMethods(), ", "), f.rq.r.Method, f.stageName())
	},
	ReasonNotDeployed: func(f *fixFacts) string {
		what := f.rq.r.Method + " " + f.rq.target.path
		if api := f.rq.api; api != nil && api.Live != nil {
			if m, res := api.Live.Match(f.rq.r.Method, f.rq.target.path, nil); res == route.Found {
				what = f.rq.r.Method + " " + m.Resource.Path
			}
		}
		return "redeploy stage " + f.stageName() + ": " + what + " was added after deployment " + f.deploymentID() + " (" + f.createDeployment() + ")"
	},
	ReasonPathDotSegment: func(f *fixFacts) string {
		return `send the path of the resource itself, without "." or ".." segments`
	},
	ReasonRequestTooLarge: func(f *fixFacts) string {
		return fmt.Sprintf("send a body of at most %d bytes (the payload limit)", f.g.maxBody)
	},
	ReasonBodyInvalid: func(f *fixFacts) string {
		return "fix the client: its body could not be read (malformed chunked encoding, or cut short)"
	},
	ReasonClientGone: nil, // the caller went away: nothing to change
	ReasonParametersMissing: func(f *fixFacts) string {
		return "send every required request parameter, not blank (the method's requestParameters set to true), or make it optional (update-method op=replace,path=/requestParameters/method.request.{location}.{name},value=false) and redeploy stage " + f.stageName()
	},
	ReasonBodyInvalidForModel: func(f *fixFacts) string {
		return "send a body that matches the method's request model (aws apigateway get-model shows its schema), or change the model or turn off the validator's validateRequestBody and redeploy stage " + f.stageName()
	},

	ReasonAuthorizerIdentityMissing: func(f *fixFacts) string {
		ca := f.authorizer()
		if ca == nil {
			return ""
		}
		srcs := make([]string, len(ca.Sources))
		for i, s := range ca.Sources {
			srcs[i] = s.Expr
		}
		return "send what authorizer " + ca.ID + " reads, non-empty: " + strings.Join(srcs, ", ")
	},
	ReasonAuthorizerIdentityInvalid: func(f *fixFacts) string {
		ca := f.authorizer()
		if ca == nil {
			return ""
		}
		return "send a token that matches authorizer " + ca.ID + "'s identityValidationExpression " + quote(ca.IdentityValidationExpression) + ", or change the expression"
	},
	ReasonAuthorizerUnauthorized: func(f *fixFacts) string {
		return "send credentials the function of authorizer " + f.authorizerID() + " accepts: it answered Unauthorized for these"
	},
	ReasonResourcePolicyDenied: func(f *fixFacts) string {
		return "the resource policy of API " + f.apiID() + " denies " + f.policyARN() + " for this caller (the detail names the statement): call from an address, with a Referer or User-Agent, that it does not deny, or change the policy (" + f.updatePolicy() + ") and redeploy stage " + f.stageName()
	},
	ReasonResourcePolicyNotAllowed: func(f *fixFacts) string {
		return "add an Allow statement covering " + f.policyARN() + " for this caller to the resource policy of API " + f.apiID() + " (" + f.updatePolicy() + ") and redeploy stage " + f.stageName() + ", or call from an address the policy allows"
	},
	ReasonResourcePolicyInvalid: func(f *fixFacts) string {
		return "replace the resource policy of API " + f.apiID() + " with one Gatehouse evaluates (" + f.updatePolicy() + "; it is checked when written) and redeploy stage " + f.stageName()
	},
	ReasonAuthorizerDenied: func(f *fixFacts) string {
		return "the policy authorizer " + f.authorizerID() + " returns denies " + f.methodARN() + ": change the function's policy, or call as a principal it allows"
	},
	ReasonAuthorizerNotAllowed: func(f *fixFacts) string {
		if f.rq.authCached {
			return "the policy reused from authorizer " + f.authorizerID() + "'s cache was written for an earlier request of the same identity and allows only that request's method ARN: make the function return a policy for every method the caller may call (a wildcard such as " + f.stageWildcardARN() + "), or set the authorizer's authorizerResultTtlInSeconds to 0"
		}
		return "make authorizer " + f.authorizerID() + "'s function return an Allow statement matching " + f.methodARN()
	},
	ReasonAuthorizerError: func(f *fixFacts) string {
		return "fix the function of authorizer " + f.authorizerID() + ": it failed (the detail has its error)"
	},
	ReasonAuthorizerTimeout: func(f *fixFacts) string {
		return fmt.Sprintf("make the function of authorizer %s answer within %s, and check that its endpoint is reachable from the node", f.authorizerID(), f.g.authTimeout)
	},
	ReasonAuthorizerReplyInvalid: func(f *fixFacts) string {
		return "make the function of authorizer " + f.authorizerID() + " answer API Gateway's authorizer output: a principalId and a policyDocument (context values strings, numbers or booleans)"
	},
	ReasonAuthorizerUnavailable: func(f *fixFacts) string {
		return "check authorizer " + f.authorizerID() + ": its authorizerUri must name a function the node can invoke (the detail says what failed); if the method names an authorizer its deployment lacks, redeploy stage " + f.stageName()
	},
	ReasonAuthorizerUnsupported: func(f *fixFacts) string {
		return "use a Lambda authorizer (TOKEN or REQUEST): Gatehouse does not serve Cognito user pool authorizers"
	},

	ReasonKeySourceAuthorizer: func(f *fixFacts) string {
		id := f.apiID()
		return "API " + id + " takes API keys from an authorizer (apiKeySource AUTHORIZER) and " + f.methodName() + " has none: set apiKeySource to HEADER (aws apigateway update-rest-api --rest-api-id " + id + " --patch-operations op=replace,path=/apiKeySource,value=HEADER) and redeploy stage " + f.stageName() + ", or give the method a custom authorizer that returns usageIdentifierKey"
	},
	ReasonKeyFromAuthorizerMissing: func(f *fixFacts) string {
		return "make authorizer " + f.authorizerID() + " return the caller's API key value as usageIdentifierKey, or set API " + f.apiID() + "'s apiKeySource to HEADER and redeploy stage " + f.stageName()
	},
	ReasonKeyFromAuthorizerNotFound: func(f *fixFacts) string {
		return "make authorizer " + f.authorizerID() + " return the value of an existing API key as usageIdentifierKey (or import that value as a key: aws apigateway import-api-keys)"
	},
	ReasonKeyMissing: func(f *fixFacts) string {
		s := "send the API key in the x-api-key header"
		if api := f.rq.api; api != nil {
			if srcs := acceptedSources(f.rq, &api.KeySources); srcs != "the x-api-key header" {
				s += " (API " + api.ID + " takes it from " + srcs + ")"
			}
		}
		return s
	},
	ReasonKeyOtherHeader: func(f *fixFacts) string {
		if f.rq.keyName == headerAuthorization {
			return "send the key in the x-api-key header instead of Authorization: Bearer (or tag the RestApi " + f.apiID() + " " + apigw.TagAPIKeyBearer + "=true)"
		}
		name := strings.ToLower(f.rq.keyName)
		return "send the key in the x-api-key header instead of " + name + " (or tag the RestApi " + f.apiID() + " " + apigw.TagAPIKeyHeader + "=" + name + ")"
	},
	ReasonKeyInQuery: func(f *fixFacts) string {
		if api := f.rq.api; api != nil && api.KeySources.Query != "" && strings.EqualFold(api.KeySources.Query, f.rq.keyName) {
			return "the query parameter is " + quote(api.KeySources.Query) + ", not " + quote(f.rq.keyName) + " (names are case-sensitive); better, send the key in the x-api-key header"
		}
		return "send the key in the x-api-key header instead of the query string (or tag the RestApi " + f.apiID() + " " + apigw.TagAPIKeyQuery + "=" + f.rq.keyName + "; deprecated: URLs reach logs)"
	},
	ReasonKeyNotFound: func(f *fixFacts) string {
		if id := f.rq.keyByID; id != "" {
			if k := f.keyWithValue(id); k != nil {
				return "that is the value of API key " + k.ID + ", not a key id: explain with --key-id " + k.ID + " (or --key-value)"
			}
			return "no API key has the id " + quote(id) + ": aws apigateway get-api-keys lists the ids (ids are case-sensitive)"
		}
		if k := f.keyWithID(f.rq.keyValue); k != nil {
			return "the client sends the id of API key " + k.ID + " instead of its value: send the value (aws apigateway get-api-key --api-key " + k.ID + " --include-value)"
		}
		return "send the value of an existing API key (aws apigateway get-api-key --api-key ID --include-value shows one), or import this value as a key (aws apigateway import-api-keys)"
	},
	ReasonKeyDisabled: func(f *fixFacts) string {
		id := f.keyID()
		return "enable API key " + id + ": aws apigateway update-api-key --api-key " + id + " --patch-operations op=replace,path=/enabled,value=true"
	},
	ReasonKeyNoPlan: func(f *fixFacts) string {
		return f.addToPlanOnStage("API key " + f.keyID() + " is in no usage plan: ")
	},
	ReasonKeyPlanNotOnStage: func(f *fixFacts) string {
		k := f.rq.key
		if k == nil || len(k.PlanIDs) == 0 {
			return ""
		}
		p := k.PlanIDs[0]
		api, st := f.apiID(), f.stageName()
		s := "attach usage plan " + p + " to stage " + st + ": aws apigateway update-usage-plan --usage-plan-id " + p + " --patch-operations op=add,path=/apiStages,value=" + api + ":" + st
		if on := f.g.state.PlansOnStage(f.stageRef()); len(on) > 0 {
			s += "; or add API key " + k.ID + " to usage plan " + on[0].ID + ", which is attached to it (aws apigateway create-usage-plan-key --usage-plan-id " + on[0].ID + " --key-id " + k.ID + " --key-type API_KEY)"
		}
		return s
	},

	ReasonThrottledPlanMethod: func(f *fixFacts) string {
		return f.retry() + "raise usage plan " + f.planID() + "'s throttle for " + f.rq.match.ThrottleKey() + " on stage " + f.stageName() + " (aws apigateway update-usage-plan --usage-plan-id " + f.planID() + " --patch-operations op=replace,path=/apiStages/" + f.apiID() + ":" + f.stageName() + "/throttle/" + escapeTilde(f.rq.match.ThrottleKey()) + "/rateLimit,value=…)"
	},
	ReasonThrottledPlan: func(f *fixFacts) string {
		return f.retry() + "raise usage plan " + f.planID() + "'s throttle (aws apigateway update-usage-plan --usage-plan-id " + f.planID() + " --patch-operations op=replace,path=/throttle/rateLimit,value=… op=replace,path=/throttle/burstLimit,value=…)"
	},
	ReasonThrottledStageMethod: func(f *fixFacts) string {
		return f.retry() + "raise stage " + f.stageName() + "'s throttle for " + f.rq.match.ThrottleKey() + " (aws apigateway update-stage --rest-api-id " + f.apiID() + " --stage-name " + f.stageName() + " --patch-operations op=replace,path=/" + escapeTilde(f.rq.match.ThrottleKey()) + "/throttling/rateLimit,value=…); it applies to all callers together"
	},
	ReasonThrottledAccount: func(f *fixFacts) string {
		return f.retry() + "raise the node's account-level limit (gatehouse serve --account-rate, --account-burst); it applies to every request of every API"
	},
	ReasonQuotaExceeded: func(f *fixFacts) string {
		p, k := f.planID(), f.keyID()
		reset := ""
		if !f.rq.quota.ResetAt.IsZero() {
			reset = " at " + f.rq.quota.ResetAt.UTC().Format(time.RFC3339)
		} else if f.d.RetryAfter > 0 {
			reset = " in " + f.d.RetryAfter.Round(time.Second).String()
		}
		return "API key " + k + "'s quota in usage plan " + p + " resets" + reset + "; until then raise the plan's quota (aws apigateway update-usage-plan --usage-plan-id " + p + " --patch-operations op=replace,path=/quota/limit,value=…) or grant this key more (aws apigateway update-usage --usage-plan-id " + p + " --key-id " + k + " --patch-operations op=replace,path=/remaining,value=…)"
	},
	ReasonCountersUnavailable: func(f *fixFacts) string {
		return "bring the counters back (the node's --counters engine is unreachable: the detail names the error)"
	},

	ReasonIntegrationTimeout: func(f *fixFacts) string {
		return "make the upstream of " + f.methodName() + " answer within the integration's timeoutInMillis, or raise it (at most 29000), and redeploy stage " + f.stageName()
	},
	ReasonIntegrationFailure: func(f *fixFacts) string {
		return "check the upstream of " + f.methodName() + ": it could not be reached or failed (the detail says how)"
	},
	ReasonIntegrationTooLarge: func(f *fixFacts) string {
		return fmt.Sprintf("make the upstream of %s answer at most %d bytes", f.methodName(), f.g.maxBody)
	},
	ReasonIntegrationUnsupported: func(f *fixFacts) string {
		return "give " + f.methodName() + " an integration Gatehouse serves (MOCK, HTTP, HTTP_PROXY, AWS_PROXY) and redeploy stage " + f.stageName()
	},
	ReasonIntegrationMissing: func(f *fixFacts) string {
		return "put an integration on " + f.methodName() + " (aws apigateway put-integration) and redeploy stage " + f.stageName()
	},
	ReasonMockNoResponse: func(f *fixFacts) string {
		return "add an integration response to " + f.methodName() + " for the status its MOCK request template selects (aws apigateway put-integration-response), and redeploy stage " + f.stageName()
	},
	ReasonUnsupportedMediaType: func(f *fixFacts) string {
		return "send a Content-Type that " + f.methodName() + "'s integration has a request template for, or add one (aws apigateway update-integration --patch-operations op=add,path=/requestTemplates/…), or set its passthroughBehavior to WHEN_NO_MATCH, and redeploy stage " + f.stageName()
	},
	ReasonNoIntegrationResponse: func(f *fixFacts) string {
		return "add an integration response to " + f.methodName() + " whose selectionPattern matches the upstream's status, or a default one (no selectionPattern) (aws apigateway put-integration-response), and redeploy stage " + f.stageName()
	},
	ReasonIntegrationURI: func(f *fixFacts) string {
		return "fix the uri of " + f.methodName() + "'s integration (the detail says what is wrong) and redeploy stage " + f.stageName()
	},
	ReasonFunctionNoEndpoint: func(f *fixFacts) string {
		return "start the node with --lambda-endpoint (AWS Lambda, the Lambda Runtime Interface Emulator or a compatible runner), or give " + f.methodName() + "'s integration an http(s):// function URI"
	},
	ReasonFunctionError: func(f *fixFacts) string {
		return "fix the function of " + f.methodName() + ": it failed (the detail has its errorType and errorMessage)"
	},
	ReasonFunctionMalformed: func(f *fixFacts) string {
		return "make the function of " + f.methodName() + " answer a Lambda proxy response {statusCode, headers, multiValueHeaders, body, isBase64Encoded} and nothing else (the detail names the rule it broke)"
	},
	ReasonFunctionTimeout: func(f *fixFacts) string {
		return "make the function of " + f.methodName() + " answer within the integration's timeoutInMillis (and --lambda-timeout), or raise it (at most 29000) and redeploy stage " + f.stageName()
	},
	ReasonFunctionTooLarge: func(f *fixFacts) string {
		return fmt.Sprintf("make the function of %s answer at most 6 MB (and at most %d bytes of body)", f.methodName(), f.g.maxBody)
	},
	ReasonFunctionInvokeFailed: func(f *fixFacts) string {
		return "check that the function of " + f.methodName() + " exists at --lambda-endpoint and accepts calls (the detail has the Invoke API's error)"
	},
	ReasonFunctionInvokeForbidden: func(f *fixFacts) string {
		return "give the node credentials allowed to call lambda:InvokeFunction on the function of " + f.methodName() + " (the AWS SDK's standard chain: environment, shared files, instance role)"
	},
}

// fixFacts is what a fix is worked out from: the gateway (its state), the
// request as the pipeline left it, and the refusal.
type fixFacts struct {
	g  *Gateway
	rq *request
	d  *Decision
}

// fix returns the fix for a refusal of rq ("" when there is none). rq is
// the request as the pipeline left it (a dry run's); reason may be
// another refusal's (a recorded decision explained again).
func (g *Gateway) fix(rq *request, d *Decision) string {
	if d == nil {
		return ""
	}
	fn := fixes[d.Reason]
	if fn == nil {
		return ""
	}
	return fn(&fixFacts{g: g, rq: rq, d: d})
}

func (f *fixFacts) apiID() string {
	if f.rq.api != nil {
		return f.rq.api.ID
	}
	return f.rq.target.apiID
}

func (f *fixFacts) stageName() string {
	if f.rq.stage != nil {
		return f.rq.stage.Name
	}
	return f.rq.target.stage
}

func (f *fixFacts) stageRef() string { return apigw.StageRef(f.apiID(), f.stageName()) }

func (f *fixFacts) deploymentID() string {
	if f.rq.stage != nil {
		return f.rq.stage.DeploymentID
	}
	return "?"
}

// policyARN is the method ARN the resource policy step evaluated.
func (f *fixFacts) policyARN() string {
	if len(f.rq.arnBuf) > 0 {
		return string(f.rq.arnBuf)
	}
	return "the request's method ARN"
}

func (f *fixFacts) updatePolicy() string {
	return "aws apigateway update-rest-api --rest-api-id " + f.apiID() + " --patch-operations op=replace,path=/policy,value=<policy JSON>"
}

func (f *fixFacts) createDeployment() string {
	return "aws apigateway create-deployment --rest-api-id " + f.apiID() + " --stage-name " + f.stageName()
}

func (f *fixFacts) methodName() string {
	if res := f.rq.match.Resource; res != nil {
		return f.rq.r.Method + " " + res.Path
	}
	return f.rq.r.Method + " " + f.rq.target.path
}

func (f *fixFacts) keyID() string {
	if f.rq.key != nil {
		return f.rq.key.ID
	}
	if f.rq.keyByID != "" {
		return f.rq.keyByID
	}
	return "?"
}

func (f *fixFacts) planID() string {
	if f.rq.plan != nil {
		return f.rq.plan.ID
	}
	return "?"
}

func (f *fixFacts) authorizerID() string {
	if m := f.rq.match.Method; m != nil && m.AuthorizerID != "" {
		return m.AuthorizerID
	}
	return "?"
}

func (f *fixFacts) authorizer() *authorizer.Compiled {
	m := f.rq.match.Method
	if m == nil || f.rq.stage == nil {
		return nil
	}
	return f.rq.stage.Authorizers[m.AuthorizerID]
}

func (f *fixFacts) methodARN() string {
	return "arn:aws:execute-api:" + f.g.region + ":" + f.g.accountID + ":" + f.apiID() + "/" + f.stageName() + "/" + f.rq.r.Method + f.rq.target.path
}

func (f *fixFacts) stageWildcardARN() string {
	return "arn:aws:execute-api:*:*:" + f.apiID() + "/" + f.stageName() + "/*"
}

// retry says when a throttled caller may retry.
func (f *fixFacts) retry() string {
	if r := f.d.RetryAfter; r > 0 {
		return fmt.Sprintf("retry after %s (the bucket refills; Retry-After says so), or ", r.Round(time.Millisecond))
	}
	return "retry later (the bucket refills), or "
}

// stagesList names the API's stages, for sentences (", stages: a, b").
func (f *fixFacts) stagesList() string {
	api := f.rq.api
	if api == nil || len(api.Stages) == 0 {
		return ""
	}
	return " (stages of API " + api.ID + ": " + strings.Join(stageNames(api), ", ") + ")"
}

func stageNames(api *state.API) []string {
	names := make([]string, 0, len(api.Stages))
	for n := range api.Stages {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// stageFix is the fix for a stage the URL does not name right: a name in
// the wrong case, a resource path taken for the stage (the stage missing
// from the URL), or an API with no stage at all.
func (f *fixFacts) stageFix() string {
	api := f.rq.api
	if api == nil {
		return "put the stage in the URL: /{stage}/{path}"
	}
	names := stageNames(api)
	if len(names) == 0 {
		return "API " + api.ID + " has no stage: deploy it (aws apigateway create-deployment --rest-api-id " + api.ID + " --stage-name NAME)"
	}
	got := f.rq.target.stage
	for _, n := range names {
		if got != "" && strings.EqualFold(n, got) {
			return "the stage is `" + n + "`, not `" + got + "` (stage names are case-sensitive)"
		}
	}
	example := names[0]
	if got != "" && f.isResourceSegment(got) {
		path := "/" + got
		if f.rq.target.path != "/" {
			path += f.rq.target.path
		}
		return "the URL has no stage: " + quote(got) + " is a resource, not a stage; call /" + example + path + " (stages of API " + api.ID + ": " + strings.Join(names, ", ") + ")"
	}
	if got == "" {
		return "put the stage in the URL: /{stage}/{path} (stages of API " + api.ID + ": " + strings.Join(names, ", ") + ")"
	}
	return "call one of API " + api.ID + "'s stages (" + strings.Join(names, ", ") + "), or deploy to stage " + got + " (aws apigateway create-deployment --rest-api-id " + api.ID + " --stage-name " + got + ")"
}

// isResourceSegment reports whether seg is the first segment of one of
// the API's resources (deployed in a stage, or live).
func (f *fixFacts) isResourceSegment(seg string) bool {
	api := f.rq.api
	tables := []*route.Table{api.Live}
	for _, st := range api.Stages {
		tables = append(tables, st.Table)
	}
	for _, t := range tables {
		if t == nil {
			continue
		}
		for _, r := range t.Resources() {
			first, _, _ := strings.Cut(strings.TrimPrefix(r.Path, "/"), "/")
			if first == seg {
				return true
			}
		}
	}
	return false
}

// keyWithValue returns the key whose value is v (nil: none).
func (f *fixFacts) keyWithValue(v string) *state.Key {
	if f.g.keys == nil || v == "" {
		return nil
	}
	var h [32]byte
	copy(h[:], f.g.keys.LookupHash(v))
	return f.g.state.Key(h)
}

// keyWithID returns the key whose id is id (nil: none).
func (f *fixFacts) keyWithID(id string) *state.Key {
	if id == "" {
		return nil
	}
	return f.g.state.KeyByID(id)
}

// escapeTilde writes a method key as a patch path segment ("/" as "~1").
func escapeTilde(key string) string { return strings.ReplaceAll(key, "/", "~1") }

// addToPlanOnStage is the fix for a key in no plan: add it to a plan
// attached to the stage, or attach one first.
func (f *fixFacts) addToPlanOnStage(prefix string) string {
	k, api, st := f.keyID(), f.apiID(), f.stageName()
	on := f.g.state.PlansOnStage(f.stageRef())
	if len(on) == 0 {
		return prefix + "no usage plan is attached to stage " + st + ": attach one (aws apigateway update-usage-plan --usage-plan-id PLAN --patch-operations op=add,path=/apiStages,value=" + api + ":" + st + ") and add key " + k + " to it"
	}
	return prefix + "add key " + k + " to usage plan " + on[0].ID + " (attached to stage " + st + "): aws apigateway create-usage-plan-key --usage-plan-id " + on[0].ID + " --key-id " + k + " --key-type API_KEY"
}
