// Package awsapi is the management API's wire layer: Amazon API Gateway's
// REST-JSON protocol (routes, JSON shapes with AWS's field names, epoch
// timestamps, pagination, x-amzn-ErrorType errors) on top of package
// control, behind SigV4 authentication.
//
// One table lists every operation of AWS's apigateway API with its method,
// path, body limit and, when Gatehouse implements it, its handler; an
// operation it does not implement answers 501 NotImplementedException
// naming it. Handlers decode a request into control inputs, call control,
// and encode the result; they hold no business rules. All errors are
// rendered in one place (writeError). Mutating calls are written to an
// audit log, separate from the request log.
//
// Package awsapi must never import gateway, counters or a store engine, and
// never writes a key value except where AWS returns it (CreateApiKey,
// includeValue): not in errors, logs or the audit log.
package awsapi
