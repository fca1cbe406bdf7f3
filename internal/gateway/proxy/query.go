package proxy

import (
	"net/url"
	"strings"
)

// The query string rules for a key parameter, in one home: the gateway
// reads the key with QueryParam and the upstream gets WithoutQueryParam, so
// what is taken as the key is exactly what is removed. A raw query is split
// on "&" only (as url.ParseQuery, which refuses ";"); a pair is name[=value];
// names and values are percent-decoded with "+" as space. A pair whose name
// or value does not decode is not a parameter (url.ParseQuery skips it).

// QueryParam returns the decoded value of the first parameter called name
// in rawQuery, and whether there is one. It does not allocate unless the
// value is escaped.
func QueryParam(rawQuery, name string) (string, bool) {
	for q := rawQuery; q != ""; {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		if strings.IndexByte(pair, ';') >= 0 {
			continue // url.ParseQuery refuses it: no parameter
		}
		k, v, _ := strings.Cut(pair, "=")
		if !nameIs(k, name) {
			continue
		}
		if strings.ContainsAny(v, "%+") {
			d, err := url.QueryUnescape(v)
			if err != nil {
				continue
			}
			v = d
		}
		return v, true
	}
	return "", false
}

// WithoutQueryParam returns rawQuery without the parameters called name
// (every one of them, whatever its value, decodable or not); the other
// pairs are kept byte for byte, in order. It returns rawQuery itself, not a
// copy, when there is no such parameter.
func WithoutQueryParam(rawQuery, name string) string {
	if !hasParam(rawQuery, name) {
		return rawQuery
	}
	var b strings.Builder
	b.Grow(len(rawQuery))
	for q := rawQuery; q != ""; {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		k, _, _ := strings.Cut(pair, "=")
		if nameIs(k, name) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(pair)
	}
	return b.String()
}

// hasParam reports whether rawQuery has a pair whose name decodes to name.
func hasParam(rawQuery, name string) bool {
	for q := rawQuery; q != ""; {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		k, _, _ := strings.Cut(pair, "=")
		if nameIs(k, name) {
			return true
		}
	}
	return false
}

// nameIs reports whether the raw (escaped) parameter name k decodes to name.
func nameIs(k, name string) bool {
	if !strings.ContainsAny(k, "%+") {
		return k == name
	}
	d, err := url.QueryUnescape(k)
	return err == nil && d == name
}
