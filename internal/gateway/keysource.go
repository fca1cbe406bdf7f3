package gateway

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/authorizer"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/proxy"
	"github.com/gatehouse-dev/gatehouse/internal/gateway/state"
)

// keyFrom is where a request's API key came from.
type keyFrom uint8

const (
	keyFromNone         keyFrom = iota
	keyFromHeader               // x-api-key
	keyFromCustomHeader         // a gatehouse:apiKeyHeader name
	keyFromBearer               // Authorization: Bearer, gatehouse:apiKeyBearer
	keyFromQuery                // the gatehouse:apiKeyQuery parameter
	keyFromAuthorizer           // the authorizer's usageIdentifierKey
	numKeyFrom
)

// keyFromNames are the access log's keySource values and the source label
// of gatehouse_api_key_source_total.
var keyFromNames = [numKeyFrom]string{"", "header", "custom-header", "bearer", "query", "authorizer"}

// keySourceOf says where the request's key came from (keyFromNone when no
// key was taken). A key the AUTHORIZER branch took is the authorizer's.
func keySourceOf(rq *request) keyFrom {
	if rq.keyFrom != keyFromNone {
		return rq.keyFrom
	}
	if rq.keyValue != "" && rq.stage != nil && rq.stage.KeySource == apigw.KeySourceAuthorizer {
		return keyFromAuthorizer
	}
	return keyFromNone
}

// headerAuthorization is the canonical Authorization header name.
const headerAuthorization = "Authorization"

// headerKeySource takes the key of an API whose apiKeySource is HEADER:
// from x-api-key, else from the API's key source tags (state.KeySources),
// the first present in the order custom headers (the tag's order), Bearer,
// query parameter. A present but empty value counts as absent. When none
// is there, it diagnoses the usual mistakes. Taking a key from x-api-key or
// a custom header allocates nothing.
func (g *Gateway) headerKeySource(rq *request) *Decision {
	h := rq.r.Header
	if v := h[headerAPIKey]; len(v) > 0 && v[0] != "" {
		rq.keyValue, rq.keyFrom = v[0], keyFromHeader
		return nil
	}
	ks := &rq.api.KeySources
	for _, name := range ks.Headers {
		if v := h[name]; len(v) > 0 && v[0] != "" {
			rq.keyValue, rq.keyFrom, rq.keyName = v[0], keyFromCustomHeader, name
			return nil
		}
	}
	if ks.Bearer && !authorizerReadsAuthorization(rq) {
		if v, ok := bearerToken(h); ok {
			rq.keyValue, rq.keyFrom = v, keyFromBearer
			return nil
		}
	}
	if ks.Query != "" {
		if v, ok := proxy.QueryParam(rq.r.URL.RawQuery, ks.Query); ok && v != "" {
			rq.keyValue, rq.keyFrom, rq.keyName = v, keyFromQuery, ks.Query
			return nil
		}
	}
	return missingKey(rq, ks)
}

// authorizerReadsAuthorization reports whether the method's authorizer
// takes the Authorization header as (part of) its identity: then the
// header is the authorizer's, and gatehouse:apiKeyBearer does not read it
// (the key must come from another source). An authorizer missing from the
// deployment counts as reading it, the safe side.
func authorizerReadsAuthorization(rq *request) bool {
	m := rq.match.Method
	if m.AuthorizationType != apigw.AuthCustom {
		return false
	}
	a := rq.stage.Authorizers[m.AuthorizerID]
	if a == nil {
		return true
	}
	for _, s := range a.Sources {
		if s.Kind == authorizer.SourceHeader && s.Name == headerAuthorization {
			return true
		}
	}
	return false
}

// bearerToken returns the token of "Authorization: Bearer <token>" (the
// scheme in any case, RFC 9110 §11.1), the first Authorization header only.
func bearerToken(h http.Header) (string, bool) {
	v := h[headerAuthorization]
	if len(v) == 0 {
		return "", false
	}
	const scheme = "bearer "
	a := v[0]
	if len(a) <= len(scheme) || !strings.EqualFold(a[:len(scheme)], scheme) {
		return "", false
	}
	tok := strings.Trim(a[len(scheme):], " \t")
	return tok, tok != ""
}

// keyQueryNames are the query parameter names people send keys in,
// compared without regard to case.
var keyQueryNames = []string{"x-api-key", "api_key", "apikey", "api-key", "key", "x_api_key"}

// missingKey diagnoses a request that sent no key where the API takes
// keys: a key in another header or in the query string, and what tag would
// make the API accept it there. A source the API accepts is never
// diagnosed as a mistake. The caller gets AWS's answer all the same.
func missingKey(rq *request, ks *state.KeySources) *Decision {
	api := rq.api.ID
	for name := range rq.r.Header {
		if !looksLikeKeyHeader(name) || slices.Contains(ks.Headers, name) {
			continue
		}
		lower := strings.ToLower(name)
		rq.keyName = name // for the fix (fix.go)
		fix := "to accept it there, tag the RestApi " + apigw.TagAPIKeyHeader + "=" + lower
		if len(ks.Headers) > 0 {
			fix = "to accept it there, add " + lower + " to the RestApi's tag " + apigw.TagAPIKeyHeader + " (now " + strings.ToLower(strings.Join(ks.Headers, ",")) + ")"
		}
		return refuse(ReasonKeyOtherHeader, "API "+api+" takes the API key from "+acceptedSources(rq, ks)+"; the request sent it in "+quote(lower)+": "+fix)
	}
	if _, ok := bearerToken(rq.r.Header); ok && !ks.Bearer && !authorizerReadsAuthorization(rq) {
		rq.keyName = headerAuthorization
		return refuse(ReasonKeyOtherHeader, "API "+api+" takes the API key from "+acceptedSources(rq, ks)+"; the request sent an Authorization: Bearer token instead: to accept the key there, tag the RestApi "+apigw.TagAPIKeyBearer+"=true")
	}
	for q := rq.r.URL.RawQuery; q != ""; {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		name, _, _ := strings.Cut(pair, "=")
		switch {
		case name == ks.Query:
			// The accepted parameter, sent empty: not a mistake of place.
		case ks.Query != "" && strings.EqualFold(name, ks.Query):
			rq.keyName = name
			return refuse(ReasonKeyInQuery, "API "+api+" takes the API key from "+acceptedSources(rq, ks)+"; the request sent it in the query string parameter "+quote(name)+": parameter names are case-sensitive")
		case slices.ContainsFunc(keyQueryNames, func(k string) bool { return strings.EqualFold(k, name) }):
			rq.keyName = name
			fix := "to accept it there, tag the RestApi " + apigw.TagAPIKeyQuery + "=" + name + " (deprecated: URLs reach logs)"
			if ks.Query != "" {
				fix = "the API's tag " + apigw.TagAPIKeyQuery + " names " + quote(ks.Query)
			}
			return refuse(ReasonKeyInQuery, "API "+api+" takes the API key from "+acceptedSources(rq, ks)+"; the request sent it in the query string parameter "+quote(name)+", which this API does not accept: "+fix)
		}
	}
	d := "the method requires an API key and the request has no x-api-key header"
	if len(ks.Headers) > 0 || ks.Bearer || ks.Query != "" {
		d = "the method requires an API key and the request has none: API " + api + " takes it from " + acceptedSources(rq, ks)
	}
	if ks.Bearer && authorizerReadsAuthorization(rq) {
		d += " (not from Authorization: Bearer on this method: its authorizer reads the Authorization header)"
	}
	if ks.Invalid != "" {
		d += "; the stored values of its tags " + ks.Invalid + " break their rules and are ignored: set them again"
	}
	return refuse(ReasonKeyMissing, d)
}

// acceptedSources names where the API takes keys from, for details.
func acceptedSources(rq *request, ks *state.KeySources) string {
	srcs := []string{"the x-api-key header"}
	for _, h := range ks.Headers {
		srcs = append(srcs, "the "+strings.ToLower(h)+" header")
	}
	if ks.Bearer && !authorizerReadsAuthorization(rq) {
		srcs = append(srcs, "an Authorization: Bearer header")
	}
	if ks.Query != "" {
		srcs = append(srcs, "the query string parameter "+quote(ks.Query))
	}
	if len(srcs) == 1 {
		return srcs[0]
	}
	return strings.Join(srcs[:len(srcs)-1], ", ") + " or " + srcs[len(srcs)-1]
}

// looksLikeKeyHeader reports header names people send keys in by mistake.
func looksLikeKeyHeader(canonical string) bool {
	switch canonical {
	case "X-Api-Key":
		return false
	case "X_api_key", "Api-Key", "Apikey", "X-Apikey", "Api_key", "X-Api_key", "X-Api-Token", "X-Apigw-Api-Key", "Api-Token":
		return true
	}
	return false
}

// keySourceDetail says, for the trace, where a passing keysource step
// found the key.
func keySourceDetail(rq *request) string {
	const req = "the method requires an API key; "
	switch keySourceOf(rq) {
	case keyFromHeader:
		return req + "the request sends one in the x-api-key header"
	case keyFromCustomHeader:
		return req + "the request sends one in the " + strings.ToLower(rq.keyName) + " header (" + apigw.TagAPIKeyHeader + ")"
	case keyFromBearer:
		return req + "the request sends one as Authorization: Bearer (" + apigw.TagAPIKeyBearer + ")"
	case keyFromQuery:
		return req + "the request sends one in the query string parameter " + quote(rq.keyName) + " (" + apigw.TagAPIKeyQuery + "; deprecated: URLs reach logs, move the client to the x-api-key header)"
	case keyFromAuthorizer:
		return req + "the authorizer supplied it (usageIdentifierKey)"
	}
	return req + "none was taken"
}

// upstreamQuery is the query string the upstream gets: the request's,
// without the API's key parameter (gatehouse:apiKeyQuery), whether or not
// the key was taken from it. Without that tag it is the request's own.
func upstreamQuery(rq *request) string {
	if rq.api != nil && rq.api.KeySources.Query != "" {
		return proxy.WithoutQueryParam(rq.r.URL.RawQuery, rq.api.KeySources.Query)
	}
	return rq.r.URL.RawQuery
}

// upstreamStripHeaders names the headers, besides x-api-key (which the
// proxy always removes), that must not reach the upstream: the API's
// custom key headers, and Authorization when the key came from it.
func upstreamStripHeaders(rq *request) []string {
	if rq.api == nil {
		return nil
	}
	return rq.api.KeySources.StripHeaders(rq.keyFrom == keyFromBearer)
}
