package apigw

import "strings"

// CORSAllowOriginParam is the integration response parameter that gives
// a method response's Access-Control-Allow-Origin header.
const CORSAllowOriginParam = "method.response.header.Access-Control-Allow-Origin"

// CORSResponse is the one rule for whether a resource "has CORS" the AWS
// way (what the console's "Enable CORS", Chalice's cors=True and SAM
// produce): its OPTIONS method (options; nil when it has none) has a MOCK
// integration with an integration response that sets
// Access-Control-Allow-Origin. It returns that integration response (the
// lowest status code that sets it) and the parameter's mapping expression
// as stored (e.g. "'*'").
func CORSResponse(options *Method) (ir *IntegrationResponse, origin string, ok bool) {
	if options == nil || options.Integration == nil || options.Integration.Type != IntegrationMock {
		return nil, "", false
	}
	for _, r := range options.Integration.IntegrationResponses {
		for name, v := range r.ResponseParameters {
			if strings.EqualFold(name, CORSAllowOriginParam) && (ir == nil || r.StatusCode < ir.StatusCode) {
				ir, origin = r, v
			}
		}
	}
	return ir, origin, ir != nil
}

// CORSAllowOrigin reports whether the resource has CORS (CORSResponse) and
// the Access-Control-Allow-Origin mapping expression.
func (r *Resource) CORSAllowOrigin() (origin string, ok bool) {
	_, origin, ok = CORSResponse(r.Methods["OPTIONS"])
	return origin, ok
}

// SetsHeader reports whether a gateway response sets header name
// (case-insensitive) through its gatewayresponse.header.* parameters.
func (g *GatewayResponse) SetsHeader(name string) bool {
	for p := range g.ResponseParameters {
		h, ok := strings.CutPrefix(p, "gatewayresponse.header.")
		if ok && strings.EqualFold(h, name) {
			return true
		}
	}
	return false
}
