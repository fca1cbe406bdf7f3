package authorizer

import (
	"fmt"
	"regexp"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// Source is one identity source (apigw's parse of identitySource, the
// rule the management API validates with).
type Source = apigw.IdentitySource

// Source kinds.
const (
	SourceHeader   = apigw.IdentityHeader
	SourceQuery    = apigw.IdentityQuery
	SourceStageVar = apigw.IdentityStageVar
	SourceContext  = apigw.IdentityContext
)

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

// ParseIdentitySources is apigw.ParseIdentitySources.
func ParseIdentitySources(typ, s string) ([]Source, error) {
	return apigw.ParseIdentitySources(typ, s)
}
