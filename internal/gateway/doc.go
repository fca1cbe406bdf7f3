// Package gateway is the data plane: it serves API callers from the
// in-memory state (package state), never from the database.
//
// # One pipeline
//
// A request goes through one explicit pipeline (pipeline.go): invoke-URL
// parsing and route matching, the body's size, the method's custom
// authorizer (authorize.go: identity sources, the function's policy
// evaluated against the method ARN, a result cache on the gateway's clock;
// package authorizer holds the pure parts), key source, API key, usage
// plan and stage association, what the integration will do (MOCK, HTTP,
// HTTP_PROXY or AWS_PROXY: a missing or unservable integration, an uri that
// does not resolve, a MOCK with no matching response, a Content-Type the
// passthroughBehavior refuses, a Lambda function and no endpoint), then
// the throttles and the
// quota. The steps that consume something (throttle tokens, quota) come
// last, so a request refused for any other cause costs its caller nothing;
// a throttle refused by a later bucket puts back the tokens the earlier
// ones gave. After the decision, the admit phase records the request's
// usage, and the integration is called.
//
// The key source step takes the key from x-api-key or, for an API whose
// tags say so (state.KeySources, live: the next request after a tag
// change), from custom headers, Authorization: Bearer or a query parameter,
// the first present in that order (keysource.go). Wherever it came from,
// the key is removed before the request goes upstream, and the access log
// says where it came from (keySource; a query-string key is marked
// deprecated).
//
// # Mapping templates
//
// MOCK and HTTP integrations map with VTL templates (package vtl), compiled
// when the state loads a deployment (state.Stage.Templates) or an API's
// gateway responses (state.API.GatewayTemplates), never per request. A
// request's templates share one $context: what the request template sets
// (responseOverride, a key of its own) the response template reads, and
// responseOverride.status/header has the last word on the answer
// (template.go, httpintegration.go).
//
// # Canary releases
//
// A stage with canarySettings is two state.Stage values of one name: its
// own, and Canary.Stage serving the canary's deployment with the stage's
// variables merged with the overrides. The route step draws once per
// request (Options.CanaryRoll; rand.Float64 by default, per-thread, no
// lock) and every later step reads rq.stage, so nothing else knows. A
// stage without a canary draws nothing. A dry run draws nothing either: it
// explains the side it is asked for (ExplainRequest.Canary, a recorded
// decision's side). The access log names the deployment that served and
// marks the canary's requests.
//
// # CORS
//
// The cors step (cors.go), right after body, marks a CORS preflight
// (OPTIONS with Origin and Access-Control-Request-Method) to an OPTIONS
// method, or one Gatehouse answers itself: run then skips the authorizer,
// key source, key and plan steps for it (so no plan throttle or quota
// either), and Explain shows them SKIPPED. A resource "has CORS" when its
// OPTIONS method is a MOCK whose integration response sets a static
// Access-Control-Allow-Origin (state.ResourceCORS, per deployment): every
// refusal for the resource's methods then carries that header and exposes
// x-amzn-RequestId, x-amzn-ErrorType, Retry-After and the RateLimit
// headers; a customised gateway response's own headers win. An API tagged
// gatehouse:corsAllowOrigins (state.CORSOrigins, live) has preflights to
// resources without an OPTIONS method answered by Gatehouse (204) for a
// listed Origin, and CORS headers on every answer to one. The access log
// records the Origin, and a refusal the browser will not show the page
// says so, with the fix.
//
// Each step passes or returns a Decision: a stable Reason code and a
// sentence for the operator (naming ids and limits, never a key value).
// Every reason maps to one answer from apigw's gateway response catalogue
// (decision.go): the response type whose customisation applies and AWS's
// status, error type and message. The decision goes to the access log and
// the metrics; the caller gets AWS's answer and nothing more, except the
// reason code itself on a stage tagged gatehouse:reasonHeader=true. An
// API's gateway response customisations apply once a request has reached
// one of its stages.
//
// Faults are told apart: a caller's body over the payload limit (413
// REQUEST_TOO_LARGE, by Content-Length in the pipeline or counted as a
// chunked body streams), a body that cannot be read (400
// REQUEST_BODY_INVALID) and a caller that went away (CLIENT_GONE) are never
// counted against the upstream; an upstream's answer over the payload
// limit is INTEGRATION_RESPONSE_TOO_LARGE.
//
// AWS_PROXY integrations (lambdaproxy.go) send the Lambda proxy event v1,
// built with aws-lambda-go's events types (headers and query maps from
// fnevent.go), through Options.Functions, and read the function's proxy
// response with AWS's rules; function failures have FUNCTION_* reasons,
// and a function's own error message stays in the detail.
//
// # Asking the pipeline
//
// Explain runs the same steps in dry-run mode and returns a Trace: every
// step with its verdict, reason and detail, and the answer the caller
// would get. It takes no throttle token (it peeks), no quota and records
// no usage, writes no access log line and no metric, and calls no
// integration. test-invoke-method, gatehouse explain and the console
// call it; there is no second implementation of any check (every step is
// reached only through the pipeline array, which both the served decision
// and the dry run walk: TestServedAndExplainedShareEveryStep). The key can
// be named by id (ExplainRequest.KeyID). For a refusal the trace carries a
// Fix: one sentence, worked out in one place (fix.go) from the reason and
// what the dry run found, saying what to change in the user's objects.
//
// # Decisions by request id
//
// The served path records every request's decision (request id, time, API,
// stage, method, path, key id, status, reason, step, detail; never a key
// value) into a bounded log (decisions.go): 16 shards chosen by the
// request id's first hex digit, each a queue of pointer-free chunks of
// fixed 768-byte slots, written in place under the shard's lock without
// allocating. It keeps at least the last DecisionsMinKeep requests or
// DecisionsRetention of them, whichever is more, up to Options.DecisionsMax.
// Decision looks one up; ExplainDecision explains it again against the
// configuration as it is now.
//
// TestInvokeMethod (testinvoke.go) runs the same pipeline in test-invoke
// mode on an API's current definition, as stage test-invoke-stage: the
// route is found by resource id, the steps AWS's test skips (authorizer,
// key source, key: traced with what a stage would answer; plan, throttle,
// quota: not run) never refuse, and the integration is called for real
// through integrate. Nothing is counted or logged.
//
// # RateLimit headers
//
// A stage tagged gatehouse:rateLimitHeaders=true gets the IETF
// RateLimit-Policy and RateLimit fields on every response (ratelimit.go):
// the throttle step reads the most specific bucket's level with
// counters.LevelThrottler, the quota step's result gives the quota's.
// Other stages take the plain Allow and allocate as before.
//
// # Counters failure policy
//
// When the counters backend fails a call (Redis unreachable), a stage
// refuses with 503 COUNTERS_UNAVAILABLE (gatehouse:countersFailure=closed,
// the default) or, tagged gatehouse:countersFailure=local, makes the call
// again on the node's own fallback counters and goes on; such a request's
// access log line says "countersFallback":true. Each node then admits up
// to the limits on its own (N nodes: up to N times them). See
// countersfail.go.
//
// # Cost
//
// The served decision takes no global lock, allocates nothing on the
// common path (BenchmarkPipelineDecision, TestPipelineDecisionAllocations)
// and never touches the database.
//
// Package gateway must never import awsapi, control, server or cli, and
// never writes a key value anywhere (keys are named by id and last four
// characters).
package gateway
