package gateway

// authorization is what a method's authorizer decided for a request that
// it allowed: who the caller is and what the function said about them. The
// authorizer step fills it; the key source reads UsageIdentifierKey (for
// apiKeySource AUTHORIZER) and integrations read the rest
// (requestContext.authorizer for AWS_PROXY, context.authorizer.* in
// parameter mappings). It is shared with the authorizer cache: read-only.
type authorization struct {
	PrincipalID string
	// Context holds the function's context values: string, float64 (JSON
	// numbers) or bool, never objects or arrays (those are refused).
	Context map[string]any
	// UsageIdentifierKey is the API key value the function returned ("" when
	// none): never logged, never copied out.
	UsageIdentifierKey string
}
