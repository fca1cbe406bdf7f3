package apigw

import "sort"

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

// GatewayResponseDefaults maps each gateway response type to its default status
// code ("" for the two DEFAULT_ classes), as AWS lists them.
var GatewayResponseDefaults = map[string]string{
	"ACCESS_DENIED":                  "403",
	"API_CONFIGURATION_ERROR":        "500",
	"AUTHORIZER_CONFIGURATION_ERROR": "500",
	"AUTHORIZER_FAILURE":             "500",
	"BAD_REQUEST_BODY":               "400",
	"BAD_REQUEST_PARAMETERS":         "400",
	"DEFAULT_4XX":                    "",
	"DEFAULT_5XX":                    "",
	"EXPIRED_TOKEN":                  "403",
	"INTEGRATION_FAILURE":            "504",
	"INTEGRATION_TIMEOUT":            "504",
	"INVALID_API_KEY":                "403",
	"INVALID_SIGNATURE":              "403",
	"MISSING_AUTHENTICATION_TOKEN":   "403",
	"QUOTA_EXCEEDED":                 "429",
	"REQUEST_TOO_LARGE":              "413",
	"RESOURCE_NOT_FOUND":             "404",
	"THROTTLED":                      "429",
	"UNAUTHORIZED":                   "401",
	"UNSUPPORTED_MEDIA_TYPE":         "415",
	"WAF_FILTERED":                   "403",
}

// GatewayResponseTypes lists every gateway response type, sorted.
func GatewayResponseTypes() []string {
	ts := make([]string, 0, len(GatewayResponseDefaults))
	for t := range GatewayResponseDefaults {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}

// EffectiveGatewayResponse resolves the response for typ given an API's
// customised responses: the type's own customisation, else the customised
// DEFAULT_4XX/DEFAULT_5XX of its class supplying status, parameters and
// templates, else the built-in default. ok is false for an unknown type.
func EffectiveGatewayResponse(custom map[string]*GatewayResponse, typ string) (gr GatewayResponse, ok bool) {
	status, ok := GatewayResponseDefaults[typ]
	if !ok {
		return GatewayResponse{}, false
	}
	if c := custom[typ]; c != nil {
		return *c, true
	}
	gr = GatewayResponse{
		Type:               typ,
		StatusCode:         status,
		ResponseParameters: map[string]string{},
		ResponseTemplates:  map[string]string{"application/json": DefaultTemplate},
		Default:            true,
	}
	class := ""
	switch {
	case len(status) > 0 && status[0] == '4':
		class = "DEFAULT_4XX"
	case len(status) > 0 && status[0] == '5':
		class = "DEFAULT_5XX"
	}
	if c := custom[class]; c != nil && class != "" {
		if c.StatusCode != "" {
			gr.StatusCode = c.StatusCode
		}
		gr.ResponseParameters = c.ResponseParameters
		gr.ResponseTemplates = c.ResponseTemplates
	}
	return gr, true
}
