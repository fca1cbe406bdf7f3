// Package awsapi is the management API's wire layer: Amazon API Gateway's
// REST-JSON protocol (routes, JSON shapes with AWS's field names, epoch
// timestamps, pagination, x-amzn-ErrorType errors) on top of package
// control, behind SigV4 authentication.
//
// Handlers decode a request into control inputs, call control, and encode
// the result; they hold no business rules. All errors are rendered in one
// place (writeError). Package awsapi must never import gateway, counters or
// a store engine, and never writes a key value except where AWS returns it
// (CreateApiKey, includeValue).
package awsapi
