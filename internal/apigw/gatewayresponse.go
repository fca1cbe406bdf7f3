package apigw

import "strconv"

// GatewayResponse is the response the gateway itself produces for an error type.
type GatewayResponse struct {
	Type               string
	StatusCode         string // "" for DEFAULT_4XX / DEFAULT_5XX when unset
	ResponseParameters map[string]string
	ResponseTemplates  map[string]string
	// Default is true when the response is not customised.
	Default bool
}

// DefaultTemplate is the body template of every uncustomised gateway response.
const DefaultTemplate = `{"message":$context.error.messageString}`

// ResponseType is a gateway response type: one of AWS's GatewayResponseType
// values, whose customisation (PutGatewayResponse) shapes the answer.
type ResponseType string

// Gateway response types.
const (
	ResponseAccessDenied                 ResponseType = "ACCESS_DENIED"
	ResponseAPIConfigurationError        ResponseType = "API_CONFIGURATION_ERROR"
	ResponseAuthorizerConfigurationError ResponseType = "AUTHORIZER_CONFIGURATION_ERROR"
	ResponseAuthorizerFailure            ResponseType = "AUTHORIZER_FAILURE"
	ResponseBadRequestBody               ResponseType = "BAD_REQUEST_BODY"
	ResponseBadRequestParameters         ResponseType = "BAD_REQUEST_PARAMETERS"
	ResponseDefault4XX                   ResponseType = "DEFAULT_4XX"
	ResponseDefault5XX                   ResponseType = "DEFAULT_5XX"
	ResponseExpiredToken                 ResponseType = "EXPIRED_TOKEN"
	ResponseIntegrationFailure           ResponseType = "INTEGRATION_FAILURE"
	ResponseIntegrationTimeout           ResponseType = "INTEGRATION_TIMEOUT"
	ResponseInvalidAPIKey                ResponseType = "INVALID_API_KEY"
	ResponseInvalidSignature             ResponseType = "INVALID_SIGNATURE"
	ResponseMissingAuthenticationToken   ResponseType = "MISSING_AUTHENTICATION_TOKEN"
	ResponseQuotaExceeded                ResponseType = "QUOTA_EXCEEDED"
	ResponseRequestTooLarge              ResponseType = "REQUEST_TOO_LARGE"
	ResponseResourceNotFound             ResponseType = "RESOURCE_NOT_FOUND"
	ResponseThrottled                    ResponseType = "THROTTLED"
	ResponseUnauthorized                 ResponseType = "UNAUTHORIZED"
	ResponseUnsupportedMediaType         ResponseType = "UNSUPPORTED_MEDIA_TYPE"
	ResponseWAFFiltered                  ResponseType = "WAF_FILTERED"
)

// ResponseSpec is how the gateway answers one kind of refusal when nothing
// is customised: the gateway response type whose customisation applies,
// and the built-in status, x-amzn-ErrorType and message.
type ResponseSpec struct {
	Type ResponseType
	// Status is the built-in status code. In the catalogue it is the
	// type's default as GetGatewayResponse reports it; 0 for DEFAULT_4XX
	// and DEFAULT_5XX, which have none.
	Status int
	// ErrorType is sent as x-amzn-ErrorType.
	ErrorType string
	// Message is $context.error.message; "" means none, which the default
	// body renders as {"message":null}.
	Message string
}

// responseCatalogue is the one table of gateway response types, sorted by
// type (the order GetGatewayResponses lists them in). Statuses are the
// defaults AWS reports for uncustomised types. Error types and messages
// are AWS's answers where they have been observed (INVALID_API_KEY,
// MISSING_AUTHENTICATION_TOKEN, THROTTLED, QUOTA_EXCEEDED,
// INTEGRATION_FAILURE, INTEGRATION_TIMEOUT, API_CONFIGURATION_ERROR,
// UNAUTHORIZED, ACCESS_DENIED, AUTHORIZER_CONFIGURATION_ERROR,
// BAD_REQUEST_BODY); the others are not verified against AWS and follow
// its naming.
var responseCatalogue = [...]ResponseSpec{
	{ResponseAccessDenied, 403, "AccessDeniedException", "User is not authorized to access this resource"},
	{ResponseAPIConfigurationError, 500, "InternalServerErrorException", "Internal server error"},
	{ResponseAuthorizerConfigurationError, 500, "AuthorizerConfigurationException", ""},
	{ResponseAuthorizerFailure, 500, "AuthorizerFailureException", ""},
	{ResponseBadRequestBody, 400, "BadRequestException", "Invalid request body"},
	{ResponseBadRequestParameters, 400, "BadRequestException", "Invalid request parameters"},
	{ResponseDefault4XX, 0, "", ""},
	{ResponseDefault5XX, 0, "", ""},
	{ResponseExpiredToken, 403, "ExpiredTokenException", "The security token included in the request is expired"},
	{ResponseIntegrationFailure, 504, "InternalServerErrorException", "Internal server error"},
	{ResponseIntegrationTimeout, 504, "InternalServerErrorException", "Endpoint request timed out"},
	{ResponseInvalidAPIKey, 403, "ForbiddenException", "Forbidden"},
	{ResponseInvalidSignature, 403, "InvalidSignatureException", "Forbidden"},
	{ResponseMissingAuthenticationToken, 403, "MissingAuthenticationTokenException", "Missing Authentication Token"},
	{ResponseQuotaExceeded, 429, "LimitExceededException", "Limit Exceeded"},
	{ResponseRequestTooLarge, 413, "RequestTooLargeException", "Request Too Long"},
	{ResponseResourceNotFound, 404, "NotFoundException", "Not Found"},
	{ResponseThrottled, 429, "TooManyRequestsException", "Too Many Requests"},
	{ResponseUnauthorized, 401, "UnauthorizedException", "Unauthorized"},
	{ResponseUnsupportedMediaType, 415, "UnsupportedMediaTypeException", "Unsupported Media Type"},
	{ResponseWAFFiltered, 403, "WAFFilteredException", "Forbidden"},
}

// responseIndex maps a type to its catalogue row.
var responseIndex = func() map[ResponseType]int {
	m := make(map[ResponseType]int, len(responseCatalogue))
	for i, s := range responseCatalogue {
		m[s.Type] = i
	}
	return m
}()

// Answers that have no gateway response type of their own. Each belongs
// to a class (DEFAULT_4XX or DEFAULT_5XX), whose customisation applies.
var (
	// AnswerForbidden is AWS's 403 for a request that reaches no stage of
	// an API: unknown API or stage, no stage in the URL, the execute-api
	// endpoint disabled.
	AnswerForbidden = ResponseSpec{ResponseDefault4XX, 403, "ForbiddenException", "Forbidden"}
	// AnswerBadRequest is the 400 for a request whose body cannot be read
	// as HTTP: malformed chunked encoding, or a body cut short.
	AnswerBadRequest = ResponseSpec{ResponseDefault4XX, 400, "BadRequestException", "Bad Request"}
	// AnswerBadPath is the 400 for a request path the gateway will not
	// serve (a "." or ".." segment). AWS has no recorded answer for it; a
	// request parameter that fails a rule is BAD_REQUEST_PARAMETERS, whose
	// customisation (or DEFAULT_4XX's) applies, and the message follows the
	// form of BAD_REQUEST_BODY's "Invalid request body".
	AnswerBadPath = mustResponseSpec(ResponseBadRequestParameters).WithMessage("Invalid request path")
	// AnswerIntegrationFailed is INTEGRATION_FAILURE as AWS answers a
	// failed upstream (refused or reset connection, malformed or oversized
	// response): 502, although the type's listed default is 504.
	AnswerIntegrationFailed = mustResponseSpec(ResponseIntegrationFailure).WithStatus(502)
	// AnswerServiceUnavailable is Gatehouse's 503 when the counters cannot
	// be reached; AWS has no such answer.
	AnswerServiceUnavailable = ResponseSpec{ResponseDefault5XX, 503, "ServiceUnavailableException", "Service Unavailable"}
	// AnswerExplicitDeny is ACCESS_DENIED as AWS answers an authorizer
	// policy's explicit Deny; the type's own message is AWS's answer when
	// no statement allows the request.
	AnswerExplicitDeny = mustResponseSpec(ResponseAccessDenied).WithMessage("User is not authorized to access this resource with an explicit deny")
)

// MessageKey is the key of the message in a type's built-in (uncustomised)
// body: "Message" for ACCESS_DENIED, whose two answers AWS sends as
// {"Message":"…"}, else "message". A customised response (of the type or
// its class) uses its own template instead.
func (t ResponseType) MessageKey() string {
	if t == ResponseAccessDenied {
		return "Message"
	}
	return "message"
}

// ResponseSpecOf returns a type's catalogue row; ok is false for an
// unknown type.
func ResponseSpecOf(t ResponseType) (s ResponseSpec, ok bool) {
	i, ok := responseIndex[t]
	if !ok {
		return ResponseSpec{}, false
	}
	return responseCatalogue[i], true
}

func mustResponseSpec(t ResponseType) ResponseSpec {
	s, ok := ResponseSpecOf(t)
	if !ok {
		panic("apigw: unknown gateway response type " + string(t))
	}
	return s
}

// AnswerOf is a type's own built-in answer; it panics on an unknown type
// (callers pass the constants above).
func AnswerOf(t ResponseType) ResponseSpec { return mustResponseSpec(t) }

// WithStatus returns s answering status n instead of its built-in status.
func (s ResponseSpec) WithStatus(n int) ResponseSpec {
	s.Status = n
	return s
}

// WithMessage returns s answering message m instead of its built-in
// message.
func (s ResponseSpec) WithMessage(m string) ResponseSpec {
	s.Message = m
	return s
}

// IsGatewayResponseType reports whether name is a gateway response type.
func IsGatewayResponseType(name string) bool {
	_, ok := responseIndex[ResponseType(name)]
	return ok
}

// GatewayResponseTypes lists every gateway response type, sorted.
func GatewayResponseTypes() []string {
	ts := make([]string, len(responseCatalogue))
	for i, s := range responseCatalogue {
		ts[i] = string(s.Type)
	}
	return ts
}

// Class is the DEFAULT_4XX or DEFAULT_5XX class a type falls back to, by
// its default status; "" for the two classes themselves and unknown types.
func (t ResponseType) Class() ResponseType {
	s, _ := ResponseSpecOf(t)
	switch {
	case s.Status >= 400 && s.Status < 500:
		return ResponseDefault4XX
	case s.Status >= 500 && s.Status < 600:
		return ResponseDefault5XX
	}
	return ""
}

// defaultStatusCode is a type's default status as the management API
// shows it ("" for the classes).
func defaultStatusCode(s ResponseSpec) string {
	if s.Status == 0 {
		return ""
	}
	return strconv.Itoa(s.Status)
}

// EffectiveGatewayResponse resolves the response for typ given an API's
// customised responses, as GetGatewayResponse shows it: the type's own
// customisation, else the customised DEFAULT_4XX/DEFAULT_5XX of its class
// supplying status, parameters and templates, else the built-in default.
// ok is false for an unknown type.
func EffectiveGatewayResponse(custom map[string]*GatewayResponse, typ string) (gr GatewayResponse, ok bool) {
	spec, ok := ResponseSpecOf(ResponseType(typ))
	if !ok {
		return GatewayResponse{}, false
	}
	if c := custom[typ]; c != nil {
		return *c, true
	}
	gr = GatewayResponse{
		Type:               typ,
		StatusCode:         defaultStatusCode(spec),
		ResponseParameters: map[string]string{},
		ResponseTemplates:  map[string]string{"application/json": DefaultTemplate},
		Default:            true,
	}
	if class := spec.Type.Class(); class != "" {
		if c := custom[string(class)]; c != nil {
			if c.StatusCode != "" {
				gr.StatusCode = c.StatusCode
			}
			gr.ResponseParameters = c.ResponseParameters
			gr.ResponseTemplates = c.ResponseTemplates
		}
	}
	return gr, true
}

// Resolved is how a refusal is answered once an API's customisations are
// applied.
type Resolved struct {
	Status int
	// Customised is true when a customisation applies: Parameters and
	// Templates then come from it. Otherwise the caller gets the built-in
	// body {"message":$context.error.messageString}.
	Customised bool
	Parameters map[string]string
	Templates  map[string]string
}

// ResolveGatewayResponse answers a refusal whose built-in answer is spec,
// given an API's customised responses (may be nil).
//
// Parameters and templates come from the first customisation found: the
// type's own, else its class's (DEFAULT_4XX or DEFAULT_5XX).
//
// The status is, in order:
//   - the type's own customised statusCode, unless it equals the type's
//     listed default: a PutGatewayResponse without a statusCode stores
//     that default, so it is not taken as a choice;
//   - else, when the type itself is not customised, its class's
//     customised statusCode, when one is set;
//   - else spec.Status: the type's default, or the answer's own status
//     where AWS answers with another (AnswerIntegrationFailed's 502).
//
// So a DEFAULT_5XX customised with only a header keeps a failed upstream
// at 502, and a DEFAULT_5XX customised with statusCode 500 turns it into 500.
func ResolveGatewayResponse(custom map[string]*GatewayResponse, spec ResponseSpec) Resolved {
	r := Resolved{Status: spec.Status}
	if len(custom) == 0 {
		return r
	}
	if c := custom[string(spec.Type)]; c != nil {
		r.Customised, r.Parameters, r.Templates = true, c.ResponseParameters, c.ResponseTemplates
		own, _ := ResponseSpecOf(spec.Type)
		if n, ok := parseStatus(c.StatusCode); ok && (own.Status == 0 || n != own.Status) {
			r.Status = n
		}
		return r
	}
	class := spec.Type.Class()
	if class == "" {
		return r
	}
	if c := custom[string(class)]; c != nil {
		r.Customised, r.Parameters, r.Templates = true, c.ResponseParameters, c.ResponseTemplates
		if n, ok := parseStatus(c.StatusCode); ok {
			r.Status = n
		}
	}
	return r
}

func parseStatus(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 100 && n <= 599
}
