package gateway

import (
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// Reason is a stable code naming why the pipeline refused (or passed) a
// request. Codes never change meaning; new ones may be added.
type Reason string

// Reason codes.
const (
	ReasonOK Reason = "OK"

	// Routing.
	ReasonNoAPI              Reason = "API_NOT_IN_URL"         // no API id in host, path or x-apigw-api-id
	ReasonUnknownAPI         Reason = "API_UNKNOWN"            // the API id names no API
	ReasonAPIHeaderMismatch  Reason = "API_ID_HEADER_MISMATCH" // x-apigw-api-id names another API than the URL
	ReasonExecuteAPIDisabled Reason = "EXECUTE_API_DISABLED"   // disableExecuteApiEndpoint is set
	ReasonNoBasePathMapping  Reason = "BASE_PATH_UNMAPPED"     // the Host is a custom domain, and no base path mapping of it matches the path
	ReasonNoStage            Reason = "STAGE_NOT_IN_URL"       // nothing after the API where the stage goes
	ReasonUnknownStage       Reason = "STAGE_UNKNOWN"          // no stage of that name (names are case-sensitive)
	ReasonStageBroken        Reason = "STAGE_DEPLOYMENT_INVALID"
	ReasonUnknownRoute       Reason = "ROUTE_UNKNOWN"       // no resource matches the path
	ReasonNoMethod           Reason = "METHOD_UNKNOWN"      // the resource has no such method (nor ANY)
	ReasonNotDeployed        Reason = "METHOD_NOT_DEPLOYED" // exists in the API, not in the stage's deployment
	ReasonPathDotSegment     Reason = "PATH_DOT_SEGMENT"    // the path, or what it sends upstream, has a "." or ".." segment

	// The caller's request.
	ReasonRequestTooLarge Reason = "REQUEST_TOO_LARGE"    // the body is over the payload limit (Content-Length or counted)
	ReasonBodyInvalid     Reason = "REQUEST_BODY_INVALID" // the body cannot be read: malformed chunked encoding, cut short
	ReasonClientGone      Reason = "CLIENT_GONE"          // the caller went away before it was answered

	// Request validation (a method's request validator).
	ReasonParametersMissing   Reason = "REQUEST_PARAMETERS_MISSING"     // a required request parameter is missing or blank
	ReasonBodyInvalidForModel Reason = "REQUEST_BODY_INVALID_FOR_MODEL" // the body does not match the method's request model

	// Resource policy (the API's policy, as deployed).
	ReasonResourcePolicyDenied     Reason = "RESOURCE_POLICY_DENIED"      // a Deny statement covers the request
	ReasonResourcePolicyNotAllowed Reason = "RESOURCE_POLICY_NOT_ALLOWED" // no Allow statement covers it, and no authorizer to allow it
	ReasonResourcePolicyInvalid    Reason = "RESOURCE_POLICY_INVALID"     // the deployed policy cannot be evaluated: every request refused

	// Authorizers.
	ReasonAuthorizerIdentityMissing Reason = "AUTHORIZER_IDENTITY_MISSING" // an identity source is missing or empty (not invoked)
	ReasonAuthorizerIdentityInvalid Reason = "AUTHORIZER_IDENTITY_INVALID" // the TOKEN fails identityValidationExpression (not invoked)
	ReasonAuthorizerUnauthorized    Reason = "AUTHORIZER_UNAUTHORIZED"     // the function answered the error "Unauthorized"
	ReasonAuthorizerDenied          Reason = "AUTHORIZER_DENIED"           // the policy explicitly denies the method ARN
	ReasonAuthorizerNotAllowed      Reason = "AUTHORIZER_NOT_ALLOWED"      // no Allow statement matches the method ARN
	ReasonAuthorizerError           Reason = "AUTHORIZER_ERROR"            // the function failed with another error
	ReasonAuthorizerTimeout         Reason = "AUTHORIZER_TIMEOUT"          // the function did not answer in time
	ReasonAuthorizerReplyInvalid    Reason = "AUTHORIZER_REPLY_INVALID"    // the reply is not a usable policy (no principalId, bad context…)
	ReasonAuthorizerUnavailable     Reason = "AUTHORIZER_UNAVAILABLE"      // the function could not be invoked, or the authorizer cannot be served
	ReasonAuthorizerUnsupported     Reason = "AUTHORIZER_UNSUPPORTED"      // a Cognito user pool authorizer

	// Key source and key.
	ReasonKeySourceAuthorizer       Reason = "KEY_SOURCE_AUTHORIZER"         // apiKeySource AUTHORIZER, and no authorizer supplied a key
	ReasonKeyFromAuthorizerMissing  Reason = "KEY_FROM_AUTHORIZER_MISSING"   // apiKeySource AUTHORIZER: the authorizer returned no usageIdentifierKey
	ReasonKeyFromAuthorizerNotFound Reason = "KEY_FROM_AUTHORIZER_NOT_FOUND" // apiKeySource AUTHORIZER: no key has the usageIdentifierKey's value
	ReasonKeyMissing                Reason = "KEY_MISSING"
	ReasonKeyOtherHeader            Reason = "KEY_IN_OTHER_HEADER"
	ReasonKeyInQuery                Reason = "KEY_IN_QUERY_STRING"
	ReasonKeyNotFound               Reason = "KEY_NOT_FOUND"
	ReasonKeyDisabled               Reason = "KEY_DISABLED"
	ReasonKeyNoPlan                 Reason = "KEY_NOT_IN_ANY_PLAN"
	ReasonKeyPlanNotOnStage         Reason = "KEY_PLANS_NOT_ON_STAGE"

	// Limits.
	ReasonThrottledPlanMethod  Reason = "THROTTLED_PLAN_METHOD"
	ReasonThrottledPlan        Reason = "THROTTLED_PLAN"
	ReasonThrottledStageMethod Reason = "THROTTLED_STAGE_METHOD"
	ReasonThrottledAccount     Reason = "THROTTLED_ACCOUNT"
	ReasonQuotaExceeded        Reason = "QUOTA_EXCEEDED"
	ReasonCountersUnavailable  Reason = "COUNTERS_UNAVAILABLE"

	// Integration.
	ReasonIntegrationTimeout     Reason = "INTEGRATION_TIMEOUT"
	ReasonIntegrationFailure     Reason = "INTEGRATION_FAILURE"
	ReasonIntegrationTooLarge    Reason = "INTEGRATION_RESPONSE_TOO_LARGE" // the upstream's body is over the payload limit
	ReasonIntegrationUnsupported Reason = "INTEGRATION_UNSUPPORTED"
	ReasonIntegrationMissing     Reason = "INTEGRATION_MISSING"
	ReasonMockNoResponse         Reason = "MOCK_NO_MATCHING_RESPONSE"
	ReasonIntegrationURI         Reason = "INTEGRATION_URI_INVALID"
	// Mapping (HTTP and MOCK integrations).
	ReasonUnsupportedMediaType  Reason = "UNSUPPORTED_MEDIA_TYPE"  // passthroughBehavior refuses the Content-Type
	ReasonNoIntegrationResponse Reason = "NO_INTEGRATION_RESPONSE" // no integration response for the upstream's status

	// Functions (AWS_PROXY).
	ReasonFunctionNoEndpoint      Reason = "FUNCTION_NO_ENDPOINT"          // a Lambda URI and no --lambda-endpoint
	ReasonFunctionError           Reason = "FUNCTION_ERROR"                // the function failed (X-Amz-Function-Error)
	ReasonFunctionMalformed       Reason = "FUNCTION_RESPONSE_MALFORMED"   // the answer is not a Lambda proxy response
	ReasonFunctionTimeout         Reason = "FUNCTION_TIMEOUT"              // no answer within the integration's timeout
	ReasonFunctionTooLarge        Reason = "FUNCTION_RESPONSE_TOO_LARGE"   // the answer is over the payload limit
	ReasonFunctionInvokeFailed    Reason = "FUNCTION_INVOKE_FAILED"        // the call failed: connection, or the Invoke API refused (404, 429, …)
	ReasonFunctionInvokeForbidden Reason = "FUNCTION_INVOKE_ACCESS_DENIED" // the Invoke API refused the gateway's credentials
)

// answers maps every reason to how the caller is answered: the gateway
// response type whose customisation applies, with its built-in status,
// error type and message (all from apigw's catalogue). A reason without
// an entry is a bug (a test checks there is none); refuse answers it 500.
//
// Refusals before a stage is found (API_*, STAGE_NOT_IN_URL,
// STAGE_UNKNOWN, EXECUTE_API_DISABLED) are never customised: an API's
// gateway responses apply to its stages (see (*Gateway).refuse).
var answers = map[Reason]apigw.ResponseSpec{
	ReasonNoAPI:                     apigw.AnswerForbidden,
	ReasonUnknownAPI:                apigw.AnswerForbidden,
	ReasonAPIHeaderMismatch:         apigw.AnswerForbidden,
	ReasonExecuteAPIDisabled:        apigw.AnswerForbidden,
	ReasonNoBasePathMapping:         apigw.AnswerForbidden,
	ReasonNoStage:                   apigw.AnswerForbidden,
	ReasonUnknownStage:              apigw.AnswerForbidden,
	ReasonStageBroken:               apigw.AnswerOf(apigw.ResponseAPIConfigurationError),
	ReasonUnknownRoute:              apigw.AnswerOf(apigw.ResponseMissingAuthenticationToken),
	ReasonNoMethod:                  apigw.AnswerOf(apigw.ResponseMissingAuthenticationToken),
	ReasonNotDeployed:               apigw.AnswerOf(apigw.ResponseMissingAuthenticationToken),
	ReasonPathDotSegment:            apigw.AnswerBadPath,
	ReasonRequestTooLarge:           apigw.AnswerOf(apigw.ResponseRequestTooLarge),
	ReasonBodyInvalid:               apigw.AnswerBadRequest,
	ReasonClientGone:                apigw.AnswerBadRequest,                             // nobody reads it; the access log and metrics do
	ReasonParametersMissing:         apigw.AnswerOf(apigw.ResponseBadRequestParameters), // the message names the parameters (Decision.Message)
	ReasonBodyInvalidForModel:       apigw.AnswerOf(apigw.ResponseBadRequestBody),
	ReasonKeySourceAuthorizer:       apigw.AnswerOf(apigw.ResponseInvalidAPIKey),
	ReasonKeyFromAuthorizerMissing:  apigw.AnswerOf(apigw.ResponseInvalidAPIKey),
	ReasonKeyFromAuthorizerNotFound: apigw.AnswerOf(apigw.ResponseInvalidAPIKey),
	ReasonResourcePolicyDenied:      apigw.AnswerOf(apigw.ResponseAccessDenied), // the message names the ARN (Decision.Message)
	ReasonResourcePolicyNotAllowed:  apigw.AnswerOf(apigw.ResponseAccessDenied),
	ReasonResourcePolicyInvalid:     apigw.AnswerOf(apigw.ResponseAccessDenied),
	ReasonAuthorizerIdentityMissing: apigw.AnswerOf(apigw.ResponseUnauthorized),
	ReasonAuthorizerIdentityInvalid: apigw.AnswerOf(apigw.ResponseUnauthorized),
	ReasonAuthorizerUnauthorized:    apigw.AnswerOf(apigw.ResponseUnauthorized),
	ReasonAuthorizerDenied:          apigw.AnswerExplicitDeny,
	ReasonAuthorizerNotAllowed:      apigw.AnswerOf(apigw.ResponseAccessDenied),
	ReasonAuthorizerError:           apigw.AnswerOf(apigw.ResponseAuthorizerConfigurationError),
	ReasonAuthorizerTimeout:         apigw.AnswerOf(apigw.ResponseAuthorizerConfigurationError),
	ReasonAuthorizerReplyInvalid:    apigw.AnswerOf(apigw.ResponseAuthorizerConfigurationError),
	ReasonAuthorizerUnavailable:     apigw.AnswerOf(apigw.ResponseAuthorizerConfigurationError),
	ReasonAuthorizerUnsupported:     apigw.AnswerOf(apigw.ResponseAuthorizerFailure),
	ReasonKeyMissing:                apigw.AnswerOf(apigw.ResponseInvalidAPIKey),
	ReasonKeyOtherHeader:            apigw.AnswerOf(apigw.ResponseInvalidAPIKey),
	ReasonKeyInQuery:                apigw.AnswerOf(apigw.ResponseInvalidAPIKey),
	ReasonKeyNotFound:               apigw.AnswerOf(apigw.ResponseInvalidAPIKey),
	ReasonKeyDisabled:               apigw.AnswerOf(apigw.ResponseInvalidAPIKey),
	ReasonKeyNoPlan:                 apigw.AnswerOf(apigw.ResponseInvalidAPIKey),
	ReasonKeyPlanNotOnStage:         apigw.AnswerOf(apigw.ResponseInvalidAPIKey),
	ReasonThrottledPlanMethod:       apigw.AnswerOf(apigw.ResponseThrottled),
	ReasonThrottledPlan:             apigw.AnswerOf(apigw.ResponseThrottled),
	ReasonThrottledStageMethod:      apigw.AnswerOf(apigw.ResponseThrottled),
	ReasonThrottledAccount:          apigw.AnswerOf(apigw.ResponseThrottled),
	ReasonQuotaExceeded:             apigw.AnswerOf(apigw.ResponseQuotaExceeded),
	ReasonCountersUnavailable:       apigw.AnswerServiceUnavailable,
	ReasonIntegrationTimeout:        apigw.AnswerOf(apigw.ResponseIntegrationTimeout),
	ReasonIntegrationFailure:        apigw.AnswerIntegrationFailed,
	ReasonIntegrationTooLarge:       apigw.AnswerIntegrationFailed,
	ReasonIntegrationUnsupported:    apigw.AnswerOf(apigw.ResponseAPIConfigurationError),
	ReasonIntegrationMissing:        apigw.AnswerOf(apigw.ResponseAPIConfigurationError),
	ReasonMockNoResponse:            apigw.AnswerOf(apigw.ResponseAPIConfigurationError),
	ReasonIntegrationURI:            apigw.AnswerOf(apigw.ResponseAPIConfigurationError),
	ReasonUnsupportedMediaType:      apigw.AnswerOf(apigw.ResponseUnsupportedMediaType),
	ReasonNoIntegrationResponse:     apigw.AnswerOf(apigw.ResponseAPIConfigurationError),

	ReasonFunctionNoEndpoint:      apigw.AnswerOf(apigw.ResponseAPIConfigurationError),
	ReasonFunctionError:           apigw.AnswerIntegrationFailed,
	ReasonFunctionMalformed:       apigw.AnswerIntegrationFailed,
	ReasonFunctionTimeout:         apigw.AnswerOf(apigw.ResponseIntegrationTimeout),
	ReasonFunctionTooLarge:        apigw.AnswerIntegrationFailed,
	ReasonFunctionInvokeFailed:    apigw.AnswerIntegrationFailed,
	ReasonFunctionInvokeForbidden: apigw.AnswerOf(apigw.ResponseAPIConfigurationError),
}

// answerFor returns the answer to a reason (500 for one without an entry).
func answerFor(r Reason) apigw.ResponseSpec {
	if a, ok := answers[r]; ok {
		return a
	}
	return apigw.AnswerOf(apigw.ResponseAPIConfigurationError)
}

// Decision is a step's refusal: why (Reason and Detail, for the operator)
// and, through the reason's outcome, what the caller gets.
type Decision struct {
	Reason Reason
	// Detail is one sentence for the operator; it names ids and limits,
	// never a key value.
	Detail string
	// RetryAfter, when positive, is sent as Retry-After (throttling, quota).
	RetryAfter time.Duration
	// Message, when set, replaces the response type's message for the
	// caller ($context.error.message): AWS words some refusals per
	// request ("Missing required request parameters: [a, b]"). It never
	// carries a key value.
	Message string
}

func refuse(r Reason, detail string) *Decision { return &Decision{Reason: r, Detail: detail} }
