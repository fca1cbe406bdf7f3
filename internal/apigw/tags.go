package apigw

import (
	"fmt"
	"net/textproto"
	"slices"
	"strings"
)

// Gatehouse's own settings beyond AWS are set through tags with this
// prefix on a RestApi or a Stage, so every AWS client can set them. The
// management API refuses a tag with the prefix that it does not know.
const TagPrefix = "gatehouse:"

// TagReasonHeader, on a stage, set to "true", makes the data plane send
// the reason code of a refusal (x-gatehouse-reason) to callers. Nothing
// else about a refusal (which key, plan or limit) ever reaches a caller.
const TagReasonHeader = "gatehouse:reasonHeader"

// TagRateLimitHeaders, on a stage, set to "true", makes the data plane add
// the IETF RateLimit-Policy and RateLimit fields to every response of the
// stage (throttle and quota that apply to the caller). Off by default: AWS
// sends none.
const TagRateLimitHeaders = "gatehouse:rateLimitHeaders"

// TagCountersFailure, on a stage, says what the data plane does when the
// counters backend (Redis in a cluster) cannot be reached for a request's
// throttles, quota or usage: CountersFailureClosed (the default, also
// when the tag is absent) refuses with 503 COUNTERS_UNAVAILABLE;
// CountersFailureLocal counts that request in the node's own memory
// instead, so each node then admits up to the limits on its own (a
// cluster of N nodes up to N times them) until the backend answers again.
const TagCountersFailure = "gatehouse:countersFailure"

// The values of TagCountersFailure.
const (
	CountersFailureClosed = "closed"
	CountersFailureLocal  = "local"
)

// Key sources beyond AWS's x-api-key header, set by tags on a RestApi (see
// KeySourceTags). They are read live: a tag change takes effect on the
// API's next request, without a deployment. x-api-key is always accepted;
// with several sources, the first one present in the order x-api-key,
// custom headers (in the tag's order), Bearer, query parameter wins.
const (
	// TagAPIKeyHeader holds comma-separated header names (at most
	// MaxAPIKeyHeaders) that carry the API key besides x-api-key.
	TagAPIKeyHeader = "gatehouse:apiKeyHeader"
	// TagAPIKeyQuery names one query string parameter that carries the API
	// key. Keys in URLs reach proxy and server logs: every use is logged as
	// deprecated.
	TagAPIKeyQuery = "gatehouse:apiKeyQuery"
	// TagAPIKeyBearer, set to "true", takes the API key from
	// "Authorization: Bearer <key>", unless the method's authorizer reads
	// the Authorization header.
	TagAPIKeyBearer = "gatehouse:apiKeyBearer"
)

// Limits of the key source tags.
const (
	MaxAPIKeyHeaders   = 5
	MaxAPIKeyHeaderLen = 64
	MaxAPIKeyQueryLen  = 64
)

// reservedKeyHeaders are the header names (canonical) a key source tag may
// not name: framing and connection headers, headers proxies and the
// gateway set, Authorization (gatehouse:apiKeyBearer covers it), Cookie
// (not a single value) and x-api-key itself (always accepted). Names
// starting with Proxy-, X-Amz- or X-Amzn- are reserved as well.
var reservedKeyHeaders = []string{
	"Accept", "Accept-Encoding", "Authorization", "Connection", "Content-Encoding", "Content-Length",
	"Content-Type", "Cookie", "Expect", "Forwarded", "Host", "Keep-Alive", "Te", "Trailer",
	"Transfer-Encoding", "Upgrade", "Via", "X-Api-Key", "X-Apigw-Api-Id", "X-Forwarded-For",
	"X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Proto",
}

var reservedKeyHeaderPrefixes = []string{"Proxy-", "X-Amz-", "X-Amzn-"}

// ReservedKeyHeaders lists the header names and prefixes (ending in "-")
// gatehouse:apiKeyHeader refuses, for messages and documentation.
func ReservedKeyHeaders() []string {
	out := append([]string(nil), reservedKeyHeaders...)
	for _, p := range reservedKeyHeaderPrefixes {
		out = append(out, p+"*")
	}
	return out
}

// ParseAPIKeyHeaders reads a gatehouse:apiKeyHeader value: 1 to
// MaxAPIKeyHeaders comma-separated HTTP field names (RFC 9110 tokens, at
// most MaxAPIKeyHeaderLen characters each, spaces around commas ignored),
// none reserved (ReservedKeyHeaders), no duplicate regardless of case. It
// returns them in canonical form (textproto.CanonicalMIMEHeaderKey), in
// the value's order. Errors name the value and the rule.
func ParseAPIKeyHeaders(v string) ([]string, error) {
	parts := strings.Split(v, ",")
	if len(parts) > MaxAPIKeyHeaders {
		return nil, fmt.Errorf("%d header names in %q, at most %d are allowed", len(parts), v, MaxAPIKeyHeaders)
	}
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		name := strings.TrimSpace(p)
		switch {
		case name == "":
			return nil, fmt.Errorf("an empty header name in %q: give comma-separated header names, such as x-key,x-client-key", v)
		case len(name) > MaxAPIKeyHeaderLen:
			return nil, fmt.Errorf("header name %q is %d characters, at most %d are allowed", name, len(name), MaxAPIKeyHeaderLen)
		case !isToken(name):
			return nil, fmt.Errorf("%q is not an HTTP header name: use letters, digits and !#$%%&'*+-.^_`|~", name)
		}
		c := textproto.CanonicalMIMEHeaderKey(name)
		if c == "X-Api-Key" {
			return nil, fmt.Errorf("header name %q: x-api-key is always accepted, list only other names", name)
		}
		if slices.Contains(reservedKeyHeaders, c) || slices.ContainsFunc(reservedKeyHeaderPrefixes, func(pre string) bool { return strings.HasPrefix(c, pre) }) {
			return nil, fmt.Errorf("header name %q is reserved (reserved: %s)", name, strings.Join(ReservedKeyHeaders(), ", "))
		}
		if slices.Contains(out, c) {
			return nil, fmt.Errorf("header name %q is listed twice in %q", name, v)
		}
		out = append(out, c)
	}
	return out, nil
}

// ValidateAPIKeyQuery checks a gatehouse:apiKeyQuery value: one query
// parameter name, 1 to MaxAPIKeyQueryLen characters from the URL's
// unreserved set (letters, digits, "-", ".", "_", "~"), so that it reads
// the same escaped or not.
func ValidateAPIKeyQuery(v string) error {
	switch {
	case v == "":
		return fmt.Errorf("the query parameter name is empty")
	case len(v) > MaxAPIKeyQueryLen:
		return fmt.Errorf("query parameter name %q is %d characters, at most %d are allowed", v, len(v), MaxAPIKeyQueryLen)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !isUnreserved(c) {
			return fmt.Errorf("query parameter name %q has %q: use letters, digits, \"-\", \".\", \"_\" and \"~\"", v, string(rune(c)))
		}
	}
	return nil
}

// ValidateAPIKeyBearer checks a gatehouse:apiKeyBearer value.
func ValidateAPIKeyBearer(v string) error {
	if v != "true" && v != "false" {
		return fmt.Errorf("%q is neither true nor false", v)
	}
	return nil
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

// isToken reports whether s is an RFC 9110 token (a field name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+^`|", rune(c)) {
			return false
		}
	}
	return true
}
