package lambda

import (
	"context"
	"errors"
)

// Invoker calls functions.
type Invoker interface {
	// Invoke calls the function uri names with payload (a JSON event) and
	// returns its answer. A function that ran and failed is a Result with
	// FunctionError set, not an error; errors are for calls that could not
	// be made or did not finish (see the Err values).
	Invoke(ctx context.Context, uri string, payload []byte) (Result, error)
}

// InvokerFunc adapts a function to Invoker.
type InvokerFunc func(ctx context.Context, uri string, payload []byte) (Result, error)

// Invoke calls f.
func (f InvokerFunc) Invoke(ctx context.Context, uri string, payload []byte) (Result, error) {
	return f(ctx, uri, payload)
}

// Result is a function's answer.
type Result struct {
	// Payload is the function's response payload (for a function error,
	// {"errorMessage": …, "errorType": …}).
	Payload []byte
	// FunctionError is the X-Amz-Function-Error header ("Unhandled",
	// "Handled"), or "Unhandled" for a plain-HTTP function's non-2xx; ""
	// when the function succeeded.
	FunctionError string
}

// Errors Invoke returns (wrapped), for callers to tell causes apart.
var (
	// ErrNoEndpoint: uri is a Lambda URI and the node has no
	// --lambda-endpoint.
	ErrNoEndpoint = errors.New("no Lambda endpoint configured (--lambda-endpoint)")
	// ErrBadURI: uri is neither an API Gateway Lambda URI nor an http(s) URL.
	ErrBadURI = errors.New("not a Lambda function URI")
	// ErrTimeout: the function did not answer in time (the context's
	// deadline or the invoker's own timeout).
	ErrTimeout = errors.New("function timed out")
	// ErrTooLarge: the answer is over the invoker's payload cap.
	ErrTooLarge = errors.New("function response too large")
	// ErrInvoke: the call failed (connection refused, the Invoke API
	// answered an error status such as 404 ResourceNotFoundException or
	// 403 for bad credentials).
	ErrInvoke = errors.New("function invocation failed")
)
