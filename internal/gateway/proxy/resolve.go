package proxy

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

const stageVarPrefix = "stageVariables."

// ErrDotSegment is wrapped by ResolveURL's error when the path it would
// send upstream has a dot segment (see HasDotSegment) that the caller's path
// variable values put there. Upstreams resolve dot segments, so such a path
// would reach another resource than the one the gateway authorised: the
// request is refused (400), unlike the operator's mistakes, which wrap
// ErrTarget.
var ErrDotSegment = errors.New("path variable values make a \".\" or \"..\" segment in the upstream path")

// ResolveURL turns an integration uri into the absolute URL to call.
//
// It substitutes every ${stageVariables.name} with the stage variable's
// value as is (stage variables are the operator's configuration and may hold
// a host or a path); such a value must not contain "{" or "}". It substitutes
// every {name} (or {name+}) with pathParam(name) — the
// integration.request.path.name value the pipeline resolved from the method
// request — escaped for where it lands:
//
//   - in the path, with url.PathEscape, so "/", "\", ";", "?" and "#" are
//     escaped; except the value of the variable named greedy (the {proxy+}
//     one, "" for none), whose "/" are kept and whose segments are escaped
//     one by one;
//   - in the query (or fragment), with url.QueryEscape, so a value cannot add
//     a parameter ("&", "=") or end the query ("#");
//   - before the path starts (in the scheme or host): nowhere, that is an
//     error, since the caller would choose the upstream.
//
// Substituted text is not scanned again. Finally rawQuery, when not empty,
// is appended after "?" (or "&" when the uri already has a query).
//
// The result starts with http:// or https://, no {...} variable is left in
// it, and its path has no dot segment as HasDotSegment reads an escaped path
// ("." or "..", also as %2E, between "/", "\", %2F or %5C, ignoring
// ";parameters"): upstreams resolve those, and would then serve a path
// outside the one the uri fixes. Errors name the variable at fault, never a
// value; they wrap ErrDotSegment when path variable values made the dot
// segment, ErrTarget otherwise.
func ResolveURL(uri string, pathParam func(name string) (string, bool), stageVars map[string]string, greedy string, rawQuery string) (string, error) {
	var b strings.Builder
	b.Grow(len(uri) + len(rawQuery) + 32)
	pathVars, err := expand(&b, uri, pathParam, stageVars, greedy)
	if err != nil {
		return "", err
	}
	s := b.String()
	if !hasHTTPScheme(s) {
		return "", fmt.Errorf("%w: integration uri must start with http:// or https:// once its stage variables are substituted", ErrTarget)
	}
	if HasDotSegment(pathOf(s), true) {
		if pathVars {
			// Whose is the dot segment? Resolved with harmless values, the
			// uri shows whether its own text has it.
			var fixed strings.Builder
			_, err := expand(&fixed, uri, func(string) (string, bool) { return "x", true }, stageVars, greedy)
			if err == nil && !HasDotSegment(pathOf(fixed.String()), true) {
				return "", fmt.Errorf("integration uri path variables: %w", ErrDotSegment)
			}
		}
		return "", fmt.Errorf("%w: the integration uri's path has a \".\" or \"..\" segment, which upstreams resolve to another path", ErrTarget)
	}
	if rawQuery != "" {
		if strings.IndexByte(s[schemeLen(s):], '?') >= 0 {
			b.WriteByte('&')
		} else {
			b.WriteByte('?')
		}
		b.WriteString(rawQuery)
	}
	return b.String(), nil
}

// expand writes uri to b with its variables substituted (see ResolveURL)
// and reports whether a path variable was substituted into the path.
func expand(b *strings.Builder, uri string, pathParam func(name string) (string, bool), stageVars map[string]string, greedy string) (bool, error) {
	pathVars := false
	rest := uri
	for {
		i := strings.IndexAny(rest, "${}")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		offset := len(uri) - len(rest) + i
		switch rest[i] {
		case '}':
			return false, fmt.Errorf("%w: integration uri has an unmatched '}' at offset %d", ErrTarget, offset)
		case '$':
			if !strings.HasPrefix(rest[i:], "${") {
				b.WriteByte('$')
				rest = rest[i+1:]
				continue
			}
			end := strings.IndexByte(rest[i+2:], '}')
			if end < 0 {
				return false, fmt.Errorf("%w: integration uri has an unterminated '${' at offset %d", ErrTarget, offset)
			}
			expr := rest[i+2 : i+2+end]
			name, ok := strings.CutPrefix(expr, stageVarPrefix)
			if !ok || !validStageVarName(name) {
				return false, fmt.Errorf("%w: integration uri variable ${%s} is not supported (want ${stageVariables.name})", ErrTarget, clip(expr))
			}
			v, ok := stageVars[name]
			if !ok {
				return false, fmt.Errorf("%w: stage variable %q used by the integration uri is not set", ErrTarget, name)
			}
			if strings.ContainsAny(v, "{}") {
				return false, fmt.Errorf("%w: stage variable %q used by the integration uri contains '{' or '}'", ErrTarget, name)
			}
			b.WriteString(v)
			rest = rest[i+2+end+1:]
		case '{':
			end := strings.IndexByte(rest[i+1:], '}')
			if end < 0 {
				return false, fmt.Errorf("%w: integration uri has an unterminated '{' at offset %d", ErrTarget, offset)
			}
			name := strings.TrimSuffix(rest[i+1:i+1+end], "+")
			if !validPathVarName(name) {
				return false, fmt.Errorf("%w: integration uri path variable {%s} has an invalid name", ErrTarget, clip(rest[i+1:i+1+end]))
			}
			var v string
			ok := false
			if pathParam != nil {
				v, ok = pathParam(name)
			}
			if !ok {
				return false, fmt.Errorf("%w: integration uri path variable {%s} has no value (map integration.request.path.%s)", ErrTarget, name, name)
			}
			switch where(b.String()) {
			case inHost:
				return false, fmt.Errorf("%w: integration uri path variable {%s} is in the scheme or host; path variables may only be used in the path or the query", ErrTarget, name)
			case inPath:
				if HasDotSegment(v, false) {
					return false, fmt.Errorf("integration uri path variable {%s}: %w", name, ErrDotSegment)
				}
				pathVars = true
				if greedy != "" && name == greedy {
					writeGreedy(b, v)
				} else {
					b.WriteString(url.PathEscape(v))
				}
			case inQuery:
				b.WriteString(url.QueryEscape(v))
			}
			rest = rest[i+1+end+1:]
		}
	}
	return pathVars, nil
}

// Where a variable lands in a URL being built.
const (
	inHost  = iota // scheme or authority (or no http(s) scheme yet)
	inPath         // path
	inQuery        // query or fragment
)

// where tells where text appended to the URL prefix s would land. A query
// or fragment, once started, runs to the end.
func where(s string) int {
	n := schemeLen(s)
	switch {
	case n == 0:
		return inHost
	case strings.IndexByte(s[n:], '?') >= 0 || strings.IndexByte(s[n:], '#') >= 0:
		return inQuery
	case strings.IndexByte(s[n:], '/') >= 0:
		return inPath
	}
	return inHost
}

// pathOf returns the path of the absolute URL s (between the host and the
// query or fragment), still escaped.
func pathOf(s string) string {
	rest := s[schemeLen(s):]
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return rest[i:]
	}
	return ""
}

// HasDotSegment reports whether p has a dot segment: a segment whose name
// is "." or "..". Upstreams resolve dot segments, so a path with one is
// served as another path than the one the gateway matched and authorised;
// this is the one rule the pipeline (on the request path) and ResolveURL
// (on the upstream path) refuse such paths by. It reads p the way the most
// lenient upstream would:
//
//   - segments are separated by "/" and by "\" (which Windows servers take
//     for "/");
//   - a segment's name ends at its first ";" (Tomcat, Jetty and Spring drop
//     ";parameters" before resolving, so "..;x" climbs there);
//   - when escaped is set, p is percent-encoded (a request path as received,
//     an upstream URL's path) and each valid %XX escape is decoded once
//     first: %2E is a dot, %2F and %5C separate, %3B ends a name. An invalid
//     escape ("%zz") is plain text.
//
// "..." and ".a" are ordinary names. HasDotSegment does not allocate.
func HasDotSegment(p string, escaped bool) bool {
	if strings.IndexByte(p, '.') < 0 && (!escaped || strings.IndexByte(p, '%') < 0) {
		return false // the common case, quickly
	}
	dots := 0      // leading dots of the current segment's name
	plain := false // the name has something other than one or two dots
	named := true  // still in the name, before any ';'
	for i := 0; i <= len(p); i++ {
		c := byte('/') // the end of p ends the last segment
		if i < len(p) {
			c = p[i]
			if escaped && c == '%' && i+2 < len(p) && ishex(p[i+1]) && ishex(p[i+2]) {
				c = unhex(p[i+1])<<4 | unhex(p[i+2])
				i += 2
			}
		}
		switch {
		case c == '/' || c == '\\':
			if dots > 0 && !plain {
				return true
			}
			dots, plain, named = 0, false, true
		case !named:
		case c == ';':
			named = false
		case c == '.' && !plain && dots < 2:
			dots++
		default:
			plain = true
		}
	}
	return false
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// writeGreedy writes v path-escaped segment by segment, keeping its "/".
func writeGreedy(b *strings.Builder, v string) {
	for {
		seg, rest, more := strings.Cut(v, "/")
		b.WriteString(url.PathEscape(seg))
		if !more {
			return
		}
		b.WriteByte('/')
		v = rest
	}
}

func hasHTTPScheme(s string) bool { return schemeLen(s) > 0 }

// schemeLen is the length of a leading "http://" or "https://" (any case),
// or 0.
func schemeLen(s string) int {
	switch {
	case len(s) >= 7 && strings.EqualFold(s[:7], "http://"):
		return 7
	case len(s) >= 8 && strings.EqualFold(s[:8], "https://"):
		return 8
	}
	return 0
}

// validPathVarName accepts the names API Gateway path parameters can have.
func validPathVarName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// validStageVarName accepts AWS's stage variable names: [A-Za-z0-9_]+.
func validStageVarName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// clip keeps operator-facing messages short when a uri is garbage.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
