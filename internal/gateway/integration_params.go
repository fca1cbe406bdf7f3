package gateway

import (
	"net/http"
	"net/url"
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
// integration maps no header. Path mappings are not applied yet;
// query string mappings are (appendIntegrationQuery).
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

// appendIntegrationQuery appends an HTTP integration's query string
// request parameters (integration.request.querystring.X, any source
// paramValue reads) to the upstream URL u, escaped. A source with no value
// sends no parameter. u is returned unchanged when the integration maps
// none.
func appendIntegrationQuery(u string, in *apigw.Integration, rq *request) string {
	for name, expr := range in.RequestParameters {
		qn, ok := strings.CutPrefix(name, "integration.request.querystring.")
		if !ok || qn == "" {
			continue
		}
		v, ok := paramValue(expr, rq)
		if !ok || v == "" {
			continue
		}
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + url.QueryEscape(qn) + "=" + url.QueryEscape(v)
	}
	return u
}
