package proxy

import (
	"fmt"
	"net/url"
	"strings"
)

const stageVarPrefix = "stageVariables."

// ResolveURL turns an integration uri into the absolute URL to call.
//
// It substitutes every {name} (or {name+}) with pathParam(name) — the
// integration.request.path.name value the pipeline resolved from the method
// request — path-escaped with url.PathEscape, except the value of the
// variable named greedy (the {proxy+} one, "" for none), whose "/" are kept
// and whose segments are escaped one by one. It substitutes every
// ${stageVariables.name} with the stage variable's value as is (stage
// variables may hold a host or a path); such a value must not contain "{" or
// "}". Substituted text is not scanned again. Finally rawQuery, when not
// empty, is appended after "?" (or "&" when the uri already has a query).
//
// The result starts with http:// or https://, and no {...} variable is left
// in it. Errors wrap ErrTarget and name the variable at fault, never a value.
func ResolveURL(uri string, pathParam func(name string) (string, bool), stageVars map[string]string, greedy string, rawQuery string) (string, error) {
	var b strings.Builder
	b.Grow(len(uri) + len(rawQuery) + 32)
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
			return "", fmt.Errorf("%w: integration uri has an unmatched '}' at offset %d", ErrTarget, offset)
		case '$':
			if !strings.HasPrefix(rest[i:], "${") {
				b.WriteByte('$')
				rest = rest[i+1:]
				continue
			}
			end := strings.IndexByte(rest[i+2:], '}')
			if end < 0 {
				return "", fmt.Errorf("%w: integration uri has an unterminated '${' at offset %d", ErrTarget, offset)
			}
			expr := rest[i+2 : i+2+end]
			name, ok := strings.CutPrefix(expr, stageVarPrefix)
			if !ok || !validStageVarName(name) {
				return "", fmt.Errorf("%w: integration uri variable ${%s} is not supported (want ${stageVariables.name})", ErrTarget, clip(expr))
			}
			v, ok := stageVars[name]
			if !ok {
				return "", fmt.Errorf("%w: stage variable %q used by the integration uri is not set", ErrTarget, name)
			}
			if strings.ContainsAny(v, "{}") {
				return "", fmt.Errorf("%w: stage variable %q used by the integration uri contains '{' or '}'", ErrTarget, name)
			}
			b.WriteString(v)
			rest = rest[i+2+end+1:]
		case '{':
			end := strings.IndexByte(rest[i+1:], '}')
			if end < 0 {
				return "", fmt.Errorf("%w: integration uri has an unterminated '{' at offset %d", ErrTarget, offset)
			}
			name := strings.TrimSuffix(rest[i+1:i+1+end], "+")
			if !validPathVarName(name) {
				return "", fmt.Errorf("%w: integration uri path variable {%s} has an invalid name", ErrTarget, clip(rest[i+1:i+1+end]))
			}
			var v string
			ok := false
			if pathParam != nil {
				v, ok = pathParam(name)
			}
			if !ok {
				return "", fmt.Errorf("%w: integration uri path variable {%s} has no value (map integration.request.path.%s)", ErrTarget, name, name)
			}
			if greedy != "" && name == greedy {
				writeGreedy(&b, v)
			} else {
				b.WriteString(url.PathEscape(v))
			}
			rest = rest[i+1+end+1:]
		}
	}
	if !hasHTTPScheme(b.String()) {
		return "", fmt.Errorf("%w: integration uri must start with http:// or https:// once its stage variables are substituted", ErrTarget)
	}
	if rawQuery != "" {
		s := b.String()
		if strings.IndexByte(s[schemeLen(s):], '?') >= 0 {
			b.WriteByte('&')
		} else {
			b.WriteByte('?')
		}
		b.WriteString(rawQuery)
	}
	return b.String(), nil
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
