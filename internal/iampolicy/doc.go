// Package iampolicy is Gatehouse's one IAM policy evaluator for
// execute-api:Invoke: it parses a policy document once (ParseIdentity for
// the policy a Lambda authorizer returns, ParseResource for a REST API's
// resource policy) and evaluates it against a request's method ARN, Deny
// winning over Allow, with IAM's "*" and "?" wildcards.
//
// A resource policy may carry Principal "*" and the conditions Gatehouse
// evaluates (IpAddress/NotIpAddress on aws:SourceIp, StringEquals,
// StringNotEquals, StringLike and StringNotLike on aws:Referer and
// aws:UserAgent); anything else is refused when the policy is parsed,
// never ignored, since ignoring it would widen what the policy allows.
//
// It imports only the standard library: the management API validates
// policies with it at write time and the data plane evaluates them, so it
// must not know either. A compiled Policy is immutable, and Decide and
// Evaluate do not allocate.
//
// Errors name the field (policyDocument.Statement[1].Condition…), the
// value and the rule.
package iampolicy
