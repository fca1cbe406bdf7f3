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
// Package lambda owns the transport only: it knows nothing of events,
// policies or gateway responses, and must never import gateway, control,
// awsapi, server or store. It never logs a payload.
package lambda
