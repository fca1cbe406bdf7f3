// Package gateway is the data plane: it serves API callers from the
// in-memory state (package state), never from the database.
//
// A request goes through one explicit pipeline (pipeline.go): invoke-URL
// parsing and route matching, then key source, API key, usage plan and
// stage association, throttles and quota, then the integration (MOCK or
// HTTP_PROXY). Each step passes or returns a Decision: the AWS gateway
// response type the caller gets (with AWS's status, body and headers), a
// stable Reason code and a sentence for the operator, which go to the
// access log, the metrics and, when the stage enables data tracing, to
// response headers. There is no second implementation of these checks:
// explain and test-invoke will run the same pipeline in dry-run mode.
//
// Package gateway must never import awsapi, control, server or cli, and
// never writes a key value anywhere (keys are named by id and last four
// characters).
package gateway
