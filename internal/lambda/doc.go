// Package lambda invokes functions: authorizers and AWS_PROXY integrations.
//
// A function is named by the URI API Gateway stores on an authorizer or an
// integration. An API Gateway Lambda URI
// (arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{FunctionArn}/invocations)
// is called through the AWS Lambda Invoke API at the node's endpoint
// (--lambda-endpoint): AWS Lambda itself (SigV4-signed), the Lambda Runtime
// Interface Emulator, or any compatible runner. As a Gatehouse extension, an
// http(s):// URI receives the same payload by POST and answers the same
// result (a non-2xx status is a function error).
//
// Client is the Invoker: one pooled transport, every call bounded by the
// caller's deadline and a hard cap (Options.MaxTimeout), answers capped at
// 6 MB (ErrTooLarge). Invoke API calls are SigV4-signed (service lambda,
// the URI's region) when the client has credentials — the server passes
// what credchain.Find finds with the AWS SDK's standard chain — and
// unsigned otherwise, which the Runtime Interface Emulator accepts. The
// emulator's own ways are absorbed here: it answers a function error 200
// without X-Amz-Function-Error, and a crashed runtime (a Go panic) 502,
// both with the function's {"errorMessage","errorType"}; both are read as
// function errors. ParseURI is the one parser of function URIs (fuzzed).
// Package lambdatest runs real functions under the emulator for tests.
//
// Package lambda owns the transport only: it knows nothing of events,
// policies or gateway responses, and must never import gateway, control,
// awsapi, server or store. It never logs a payload.
package lambda
