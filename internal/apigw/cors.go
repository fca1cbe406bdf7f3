package apigw

import (
	"fmt"
	"strconv"
	"strings"
)

// TagCORSAllowOrigins, on a RestApi, makes Gatehouse handle CORS for the
// whole API without OPTIONS methods: it answers preflights itself and adds
// CORS headers to every response to a listed Origin. The value is "*" or a
// comma-separated list of origins (scheme://host[:port]); see
// ParseCORSAllowOrigins. It is read live, like the key source tags.
const TagCORSAllowOrigins = "gatehouse:corsAllowOrigins"

// MaxCORSOrigins bounds the origins gatehouse:corsAllowOrigins lists.
const MaxCORSOrigins = 16

// ParseCORSAllowOrigins reads a gatehouse:corsAllowOrigins value: "*"
// alone (any origin), or 1 to MaxCORSOrigins comma-separated origins
// (spaces around commas ignored), each scheme://host[:port] with scheme
// http or https, a host name or IP address, an optional port 1-65535, and
// nothing after it (no path, not even "/"). It returns the origins as
// browsers send them in Origin: lower case, a default port (80 for http,
// 443 for https) dropped; "*" returns []string{"*"}. Errors name the
// value and the rule.
func ParseCORSAllowOrigins(v string) ([]string, error) {
	if strings.TrimSpace(v) == "*" {
		return []string{"*"}, nil
	}
	parts := strings.Split(v, ",")
	if len(parts) > MaxCORSOrigins {
		return nil, fmt.Errorf("%d origins in %q, at most %d are allowed", len(parts), v, MaxCORSOrigins)
	}
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		o, err := parseOrigin(strings.TrimSpace(p))
		if err != nil {
			return nil, err
		}
		for _, prev := range out {
			if prev == o {
				return nil, fmt.Errorf("origin %q is listed twice in %q", o, v)
			}
		}
		out = append(out, o)
	}
	return out, nil
}

// parseOrigin checks and normalises one origin of the tag's list.
func parseOrigin(o string) (string, error) {
	const rule = "give scheme://host[:port] with scheme http or https and no path, such as https://app.example.com or http://localhost:3000"
	switch {
	case o == "":
		return "", fmt.Errorf("an empty origin: %s, or * alone for any origin", rule)
	case o == "*":
		return "", fmt.Errorf("* must be the whole value (any origin), not one of a list")
	}
	scheme, rest, ok := strings.Cut(o, "://")
	scheme = strings.ToLower(scheme)
	if !ok || scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("origin %q: %s", o, rule)
	}
	if strings.ContainsAny(rest, "/?#@ \t\\") {
		return "", fmt.Errorf("origin %q has a path, query, user or space: %s", o, rule)
	}
	host, port := rest, ""
	if strings.HasPrefix(rest, "[") { // an IPv6 literal
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return "", fmt.Errorf("origin %q: an IPv6 address must end with ]", o)
		}
		host = rest[:end+1]
		if tail := rest[end+1:]; tail != "" {
			if tail[0] != ':' {
				return "", fmt.Errorf("origin %q: %s", o, rule)
			}
			port = tail[1:]
		}
		if !validIPv6Literal(host[1 : len(host)-1]) {
			return "", fmt.Errorf("origin %q: %q is not an IPv6 address", o, host)
		}
	} else {
		if i := strings.LastIndexByte(rest, ':'); i >= 0 {
			host, port = rest[:i], rest[i+1:]
		}
		if !validHostName(host) {
			return "", fmt.Errorf("origin %q: %q is not a host name (letters, digits, \"-\" and \".\")", o, host)
		}
	}
	if port != "" || strings.HasSuffix(rest, ":") {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return "", fmt.Errorf("origin %q: port %q is not a number from 1 to 65535", o, port)
		}
		if scheme == "http" && n == 80 || scheme == "https" && n == 443 {
			port = "" // browsers leave the default port out of Origin
		}
	}
	out := scheme + "://" + strings.ToLower(host)
	if port != "" {
		out += ":" + port
	}
	return out, nil
}

func validHostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return h[0] != '.' && h[0] != '-' && !strings.Contains(h, "..")
}

func validIPv6Literal(s string) bool {
	if s == "" || !strings.Contains(s, ":") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' || c == ':' || c == '.') {
			return false
		}
	}
	return true
}
