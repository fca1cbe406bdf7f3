package state

import (
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/route"
)

// CORSOrigins is an API's gatehouse:corsAllowOrigins tag, compiled (live,
// like KeySources). The zero value is off: Gatehouse then adds CORS
// headers only for resources whose OPTIONS method enables CORS (see
// ResourceCORS).
type CORSOrigins struct {
	// On: the tag is set with a valid value.
	On bool
	// Any: the value is "*".
	Any bool
	// Origins are the listed origins as browsers send them (see
	// apigw.ParseCORSAllowOrigins); nil when Any.
	Origins []string
	// Invalid names the tag when its stored value no longer passes its
	// rule (written before the rule existed); the tag is then off.
	Invalid string
}

// Allows reports whether a request's Origin is allowed. It does not
// allocate.
func (c *CORSOrigins) Allows(origin string) bool {
	if !c.On || origin == "" {
		return false
	}
	if c.Any {
		return true
	}
	for _, o := range c.Origins {
		if o == origin {
			return true
		}
	}
	return false
}

func newCORSOrigins(tags map[string]string) CORSOrigins {
	v, ok := tags[apigw.TagCORSAllowOrigins]
	if !ok {
		return CORSOrigins{}
	}
	os, err := apigw.ParseCORSAllowOrigins(v)
	if err != nil {
		return CORSOrigins{Invalid: apigw.TagCORSAllowOrigins}
	}
	if len(os) == 1 && os[0] == "*" {
		return CORSOrigins{On: true, Any: true}
	}
	return CORSOrigins{On: true, Origins: os}
}

// ResourceCORS is what a resource's OPTIONS method says about CORS, the
// way AWS's console "Enable CORS", Chalice's cors=True and SAM set it up:
// a MOCK integration whose integration response sets
// method.response.header.Access-Control-Allow-Origin to a static value.
// Worked out once per deployment.
type ResourceCORS struct {
	// AllowOrigin is the static Access-Control-Allow-Origin value ("*" or
	// an origin).
	AllowOrigin string
	// AllowMethods and AllowHeaders are the OPTIONS answer's static
	// Access-Control-Allow-Methods and -Headers ("" when not set or not
	// static), for diagnostics.
	AllowMethods, AllowHeaders string

	// AllowOriginValue is AllowOrigin as a header value slice, shared by
	// every response (never modified).
	AllowOriginValue []string
}

const corsParamPrefix = "method.response.header."

// resourceCORS finds the resources whose OPTIONS method enables CORS in a
// compiled table; nil when none does.
func resourceCORS(t *route.Table) map[*route.Resource]*ResourceCORS {
	if t == nil {
		return nil
	}
	var out map[*route.Resource]*ResourceCORS
	for _, r := range t.Resources() {
		m, _ := r.Method("OPTIONS")
		c := optionsCORS(m)
		if c == nil {
			continue
		}
		if out == nil {
			out = map[*route.Resource]*ResourceCORS{}
		}
		out[r] = c
	}
	return out
}

// optionsCORS returns the CORS answer of a resource's OPTIONS method, by
// apigw.CORSResponse (the one rule), when its Allow-Origin is a static
// value; nil otherwise (a value taken from the request cannot be copied
// onto the gateway's own answers).
func optionsCORS(options *apigw.Method) *ResourceCORS {
	ir, _, ok := apigw.CORSResponse(options)
	if !ok {
		return nil
	}
	origin, ok := staticParam(ir.ResponseParameters, "Access-Control-Allow-Origin")
	if !ok || origin == "" {
		return nil
	}
	c := &ResourceCORS{AllowOrigin: origin, AllowOriginValue: []string{origin}}
	c.AllowMethods, _ = staticParam(ir.ResponseParameters, "Access-Control-Allow-Methods")
	c.AllowHeaders, _ = staticParam(ir.ResponseParameters, "Access-Control-Allow-Headers")
	return c
}

// staticParam returns the static ('value') expression of a method response
// header, matching the header name without regard to case.
func staticParam(params map[string]string, header string) (string, bool) {
	for name, expr := range params {
		hn, ok := strings.CutPrefix(name, corsParamPrefix)
		if !ok || !strings.EqualFold(hn, header) {
			continue
		}
		if len(expr) >= 2 && expr[0] == '\'' && expr[len(expr)-1] == '\'' {
			return expr[1 : len(expr)-1], true
		}
	}
	return "", false
}
