package gateway

import (
	"net/http"
	"net/url"
)

// Shared pieces of the events functions receive (the AWS_PROXY event v1
// and the REQUEST authorizer event): one home for how a request's headers
// and query string become the single- and multi-value maps AWS sends.

// eventHeaders returns h as the events carry it: headers holds the last
// value of each header, multiValueHeaders all of them, in order. Both are
// nil when h is empty (AWS sends null).
func eventHeaders(h http.Header) (headers map[string]string, multi map[string][]string) {
	if len(h) == 0 {
		return nil, nil
	}
	headers = make(map[string]string, len(h))
	multi = make(map[string][]string, len(h))
	for name, vs := range h {
		if len(vs) == 0 {
			continue
		}
		headers[name] = vs[len(vs)-1]
		multi[name] = append([]string(nil), vs...)
	}
	return headers, multi
}

// eventQuery returns a raw query string as the events carry it:
// queryStringParameters holds the last value of each parameter,
// multiValueQueryStringParameters all of them, in order. Both are nil when
// there is no parameter. Parameters that do not decode are skipped.
func eventQuery(rawQuery string) (params map[string]string, multi map[string][]string) {
	if rawQuery == "" {
		return nil, nil
	}
	q, _ := url.ParseQuery(rawQuery)
	if len(q) == 0 {
		return nil, nil
	}
	params = make(map[string]string, len(q))
	for name, vs := range q {
		params[name] = vs[len(vs)-1]
	}
	return params, q
}
