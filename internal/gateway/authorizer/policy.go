package authorizer

import "github.com/gatehouse-dev/gatehouse/internal/iampolicy"

// Policy is a compiled authorizer policy (iampolicy's, the one evaluator
// Gatehouse has: authorizer policies and resource policies share it).
type Policy = iampolicy.Policy

// Effect is what a policy decides for a method ARN.
type Effect = iampolicy.Effect

// Effects.
const (
	NoMatch = iampolicy.NoMatch
	Allow   = iampolicy.Allow
	Deny    = iampolicy.Deny
)

// MaxResourceLen is the longest Resource AWS accepts in a policy.
const MaxResourceLen = iampolicy.MaxResourceLen

// ParsePolicy compiles a policy document (the reply's policyDocument); see
// iampolicy.ParseIdentity.
func ParsePolicy(doc []byte) (*Policy, error) { return iampolicy.ParseIdentity(doc) }

// Match is iampolicy.Match on a string.
func Match(pattern, s string) bool { return iampolicy.Match(pattern, s) }
