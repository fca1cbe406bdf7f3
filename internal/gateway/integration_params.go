package gateway

import (
	"net/http"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// integrationHeaders resolves an HTTP integration's header request
// parameters (integration.request.header.X = 'static',
// method.request.header.Y, method.request.querystring.Y,
// method.request.path.Y, stageVariables.Y, context.Y, including
// context.authorizer.principalId and context.authorizer.KEY), with
// paramValue, the one home of parameter expressions shared with gateway
// responses. A source with no value sends no header. nil when the
// integration maps no header. Query string and path mappings are not
// applied yet.
func integrationHeaders(in *apigw.Integration, rq *request) http.Header {
	var h http.Header
	for name, expr := range in.RequestParameters {
		hn, ok := strings.CutPrefix(name, "integration.request.header.")
		if !ok || hn == "" {
			continue
		}
		v, ok := paramValue(expr, rq)
		if !ok || v == "" {
			continue
		}
		if h == nil {
			h = make(http.Header, len(in.RequestParameters))
		}
		h.Set(hn, v)
	}
	return h
}
