// Package authorizer holds the pure parts of custom (Lambda) authorizers:
// parsing a function's reply, compiling and evaluating its IAM policy
// (iampolicy's evaluator) against a request's method ARN, building that ARN, and reading an
// authorizer's identity sources and validation expression once per
// deployment.
//
// It knows nothing of HTTP requests, invocation, caching or gateway
// responses: package gateway runs the pipeline step, invokes the function
// and keeps the result cache. It imports only apigw, iampolicy (the one policy evaluator) and the standard
// library. A compiled Policy is immutable and evaluates without
// allocating, so a cached reply can be evaluated on every request.
//
// Errors from Parse and Compile name the field, the value and the rule;
// they are for the operator (access log detail, test-invoke log), never
// for the caller.
package authorizer
