package authorizer

import (
	"fmt"
	"net/textproto"
	"regexp"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// SourceKind is where an identity source reads from.
type SourceKind int

// Source kinds.
const (
	SourceHeader   SourceKind = iota + 1 // method.request.header.X
	SourceQuery                          // method.request.querystring.X
	SourceStageVar                       // stageVariables.X
	SourceContext                        // context.X
)

// Source is one identity source.
type Source struct {
	Kind SourceKind
	// Name is the header (canonical form), parameter, variable or context
	// variable name.
	Name string
	// Expr is the source as written ("method.request.header.Authorization").
	Expr string
}

// Compiled is an authorizer worked out once per deployment: its identity
// sources parsed, its validation expression compiled. Immutable.
type Compiled struct {
	*apigw.Authorizer
	Sources []Source
	// Validation is identityValidationExpression anchored to match the
	// whole value (TOKEN only); nil when none.
	Validation *regexp.Regexp
	// TTL is the result cache lifetime: the authorizer's, capped at
	// apigw.MaxAuthorizerTTL, and 0 for a REQUEST authorizer without
	// identity sources.
	TTL time.Duration
	// Err says why the authorizer cannot be served (a malformed identity
	// source or validation expression); requests through it are answered
	// 500 with this as the detail.
	Err error
}

// Compile works out an authorizer for serving. It never fails: a definition
// that cannot be served is reported in Err.
func Compile(a *apigw.Authorizer) *Compiled {
	c := &Compiled{Authorizer: a, TTL: a.TTL()}
	if c.TTL < 0 {
		c.TTL = 0
	}
	if c.TTL > apigw.MaxAuthorizerTTL*time.Second {
		c.TTL = apigw.MaxAuthorizerTTL * time.Second
	}
	switch a.Type {
	case apigw.AuthorizerToken, apigw.AuthorizerRequest:
	case apigw.AuthorizerCognito:
		return c
	default:
		c.Err = fmt.Errorf("authorizer %s: type %q must be TOKEN, REQUEST or COGNITO_USER_POOLS", a.ID, a.Type)
		return c
	}
	srcs, err := ParseIdentitySources(a.Type, a.IdentitySource)
	if err != nil {
		c.Err = fmt.Errorf("authorizer %s: %w", a.ID, err)
		return c
	}
	c.Sources = srcs
	if len(srcs) == 0 {
		// Without identity sources every caller would share one cached
		// result (AWS requires them when caching is on): never cache.
		c.TTL = 0
	}
	if a.Type == apigw.AuthorizerToken && a.IdentityValidationExpression != "" {
		re, err := regexp.Compile(`^(?:` + a.IdentityValidationExpression + `)$`)
		if err != nil {
			c.Err = fmt.Errorf("authorizer %s: identityValidationExpression %q is not a regular expression: %w", a.ID, a.IdentityValidationExpression, err)
			return c
		}
		c.Validation = re
	}
	return c
}

// ParseIdentitySources parses an identitySource: for TOKEN exactly one
// method.request.header.X (AWS's default method.request.header.Authorization
// when empty); for REQUEST a comma-separated list of
// method.request.header.X, method.request.querystring.Y, stageVariables.Z
// and context.W (may be empty).
func ParseIdentitySources(typ, s string) ([]Source, error) {
	if strings.TrimSpace(s) == "" {
		if typ == apigw.AuthorizerToken {
			s = "method.request.header.Authorization"
		} else {
			return nil, nil
		}
	}
	var out []Source
	for _, part := range strings.Split(s, ",") {
		expr := strings.TrimSpace(part)
		src, err := parseSource(expr)
		if err != nil {
			return nil, err
		}
		out = append(out, src)
	}
	if typ == apigw.AuthorizerToken && (len(out) != 1 || out[0].Kind != SourceHeader) {
		return nil, fmt.Errorf("identitySource %q: a TOKEN authorizer takes exactly one method.request.header.X", s)
	}
	return out, nil
}

func parseSource(expr string) (Source, error) {
	for _, p := range []struct {
		prefix string
		kind   SourceKind
	}{
		{"method.request.header.", SourceHeader},
		{"method.request.querystring.", SourceQuery},
		{"stageVariables.", SourceStageVar},
		{"context.", SourceContext},
	} {
		if name, ok := strings.CutPrefix(expr, p.prefix); ok {
			if name == "" {
				return Source{}, fmt.Errorf("identity source %q names nothing after %q", expr, p.prefix)
			}
			if p.kind == SourceHeader {
				name = textproto.CanonicalMIMEHeaderKey(name)
			}
			return Source{Kind: p.kind, Name: name, Expr: expr}, nil
		}
	}
	return Source{}, fmt.Errorf("identity source %q must be method.request.header.X, method.request.querystring.X, stageVariables.X or context.X", expr)
}
