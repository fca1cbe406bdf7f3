package gateway

import (
	"net/http"
	"time"
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
	ReasonNoStage            Reason = "STAGE_NOT_IN_URL"       // nothing after the API where the stage goes
	ReasonUnknownStage       Reason = "STAGE_UNKNOWN"          // no stage of that name (names are case-sensitive)
	ReasonStageBroken        Reason = "STAGE_DEPLOYMENT_INVALID"
	ReasonUnknownRoute       Reason = "ROUTE_UNKNOWN"       // no resource matches the path
	ReasonNoMethod           Reason = "METHOD_UNKNOWN"      // the resource has no such method (nor ANY)
	ReasonNotDeployed        Reason = "METHOD_NOT_DEPLOYED" // exists in the API, not in the stage's deployment
	ReasonPathDotSegment     Reason = "PATH_DOT_SEGMENT"    // the path, or what it sends upstream, has a "." or ".." segment

	// Key source and key.
	ReasonKeySourceAuthorizer Reason = "KEY_SOURCE_AUTHORIZER" // apiKeySource AUTHORIZER, and no authorizer supplied a key
	ReasonKeyMissing          Reason = "KEY_MISSING"
	ReasonKeyOtherHeader      Reason = "KEY_IN_OTHER_HEADER"
	ReasonKeyInQuery          Reason = "KEY_IN_QUERY_STRING"
	ReasonKeyNotFound         Reason = "KEY_NOT_FOUND"
	ReasonKeyDisabled         Reason = "KEY_DISABLED"
	ReasonKeyNoPlan           Reason = "KEY_NOT_IN_ANY_PLAN"
	ReasonKeyPlanNotOnStage   Reason = "KEY_PLANS_NOT_ON_STAGE"

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
	ReasonIntegrationUnsupported Reason = "INTEGRATION_UNSUPPORTED"
	ReasonIntegrationMissing     Reason = "INTEGRATION_MISSING"
	ReasonMockNoResponse         Reason = "MOCK_NO_MATCHING_RESPONSE"
	ReasonIntegrationURI         Reason = "INTEGRATION_URI_INVALID"
)

// outcome is how the caller is answered for a refusal: the gateway
// response type whose customisation applies ("" when none can), and AWS's
// default status, error type and message.
type outcome struct {
	responseType string
	status       int
	errorType    string
	message      string
}

var (
	forbidden       = outcome{"", http.StatusForbidden, "ForbiddenException", "Forbidden"}
	invalidKey      = outcome{"INVALID_API_KEY", http.StatusForbidden, "ForbiddenException", "Forbidden"}
	missingToken    = outcome{"MISSING_AUTHENTICATION_TOKEN", http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token"}
	throttled       = outcome{"THROTTLED", http.StatusTooManyRequests, "TooManyRequestsException", "Too Many Requests"}
	quotaExceeded   = outcome{"QUOTA_EXCEEDED", http.StatusTooManyRequests, "LimitExceededException", "Limit Exceeded"}
	configError     = outcome{"API_CONFIGURATION_ERROR", http.StatusInternalServerError, "InternalServerErrorException", "Internal server error"}
	integrationFail = outcome{"INTEGRATION_FAILURE", http.StatusBadGateway, "InternalServerErrorException", "Internal server error"}
	integrationTime = outcome{"INTEGRATION_TIMEOUT", http.StatusGatewayTimeout, "InternalServerErrorException", "Endpoint request timed out"}
	unavailable     = outcome{"DEFAULT_5XX", http.StatusServiceUnavailable, "ServiceUnavailableException", "Service Unavailable"}
	// badPath: a request path the gateway will not serve. AWS has no
	// recorded answer for it; a path parameter that fails a rule is what
	// BAD_REQUEST_PARAMETERS (400, BadRequestException, customisable
	// through it or DEFAULT_4XX) answers, and the message follows AWS's
	// "Invalid request body" of BAD_REQUEST_BODY.
	badPath = outcome{"BAD_REQUEST_PARAMETERS", http.StatusBadRequest, "BadRequestException", "Invalid request path"}
)

// outcomes maps every refusal reason to what the caller gets.
var outcomes = map[Reason]outcome{
	ReasonNoAPI:                  forbidden,
	ReasonUnknownAPI:             forbidden,
	ReasonAPIHeaderMismatch:      forbidden,
	ReasonExecuteAPIDisabled:     forbidden,
	ReasonNoStage:                forbidden,
	ReasonUnknownStage:           forbidden,
	ReasonStageBroken:            configError,
	ReasonUnknownRoute:           missingToken,
	ReasonNoMethod:               missingToken,
	ReasonNotDeployed:            missingToken,
	ReasonPathDotSegment:         badPath,
	ReasonKeySourceAuthorizer:    invalidKey,
	ReasonKeyMissing:             invalidKey,
	ReasonKeyOtherHeader:         invalidKey,
	ReasonKeyInQuery:             invalidKey,
	ReasonKeyNotFound:            invalidKey,
	ReasonKeyDisabled:            invalidKey,
	ReasonKeyNoPlan:              invalidKey,
	ReasonKeyPlanNotOnStage:      invalidKey,
	ReasonThrottledPlanMethod:    throttled,
	ReasonThrottledPlan:          throttled,
	ReasonThrottledStageMethod:   throttled,
	ReasonThrottledAccount:       throttled,
	ReasonQuotaExceeded:          quotaExceeded,
	ReasonCountersUnavailable:    unavailable,
	ReasonIntegrationTimeout:     integrationTime,
	ReasonIntegrationFailure:     integrationFail,
	ReasonIntegrationUnsupported: configError,
	ReasonIntegrationMissing:     configError,
	ReasonMockNoResponse:         configError,
	ReasonIntegrationURI:         configError,
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
}

func refuse(r Reason, detail string) *Decision { return &Decision{Reason: r, Detail: detail} }
