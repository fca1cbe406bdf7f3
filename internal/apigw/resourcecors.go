package apigw

import "strings"

// CORSAllowOriginParam is the integration response parameter that gives
// a method response's Access-Control-Allow-Origin header.
const CORSAllowOriginParam = "method.response.header.Access-Control-Allow-Origin"

// CORSAllowOrigin reports whether a resource "has CORS" the AWS way (what
// the console's "Enable CORS", Chalice's cors=True and SAM produce): its
// OPTIONS method has a MOCK integration with an integration response
// that sets Access-Control-Allow-Origin. origin is that parameter's
// mapping expression as stored (e.g. "'*'"), from the lowest status code
// that sets it.
func (r *Resource) CORSAllowOrigin() (origin string, ok bool) {
	m := r.Methods["OPTIONS"]
	if m == nil || m.Integration == nil || m.Integration.Type != IntegrationMock {
		return "", false
	}
	best := ""
	for code, ir := range m.Integration.IntegrationResponses {
		for name, v := range ir.ResponseParameters {
			if strings.EqualFold(name, CORSAllowOriginParam) && (!ok || code < best) {
				origin, ok, best = v, true, code
			}
		}
	}
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
