package proxy

import (
	"errors"
	"fmt"
)

// Error kinds. Every error from Forward is an *Error whose Kind is one of
// these, so errors.Is(err, ErrTimeout) etc. select the gateway response.
var (
	// ErrTimeout: the upstream did not send response headers within
	// Target.Timeout (the caller answers 504 INTEGRATION_TIMEOUT, "Endpoint
	// request timed out"), or, once started, sent nothing for
	// Options.ResponseIdleTimeout.
	ErrTimeout = errors.New("endpoint request timed out")
	// ErrUpstream: the upstream could not be reached or answered badly:
	// connection refused or reset, DNS, TLS, a malformed or cut-off response
	// (the caller answers INTEGRATION_FAILURE; AWS logs this as "Network
	// error communicating with endpoint").
	ErrUpstream = errors.New("network error communicating with endpoint")
	// ErrClient: the caller went away: its request context ended, or,
	// once the response had started, writing to it failed. Nothing is the
	// upstream's fault.
	ErrClient = errors.New("caller went away")
	// ErrClientBody: the caller's request body could not be read: over
	// the limit the gateway put on it (the cause is an *http.MaxBytesError),
	// malformed chunked encoding, or cut short. The caller answers 413 or
	// 400; nothing is the upstream's fault.
	ErrClientBody = errors.New("caller request body unreadable")
	// ErrResponseTooLarge: the upstream's response body is over
	// Options.MaxResponseBytes. When its Content-Length says so, nothing
	// has been written; otherwise the response had started and is aborted
	// at the limit.
	ErrResponseTooLarge = errors.New("integration response too large")
	// ErrTarget: the Target (or the integration uri given to ResolveURL) is
	// unusable: bad URL, scheme or method, a missing variable. Nothing was
	// sent (the caller answers 500 API_CONFIGURATION_ERROR).
	ErrTarget = errors.New("invalid integration target")
	// ErrAborted matches any *Error raised after the response had started:
	// part of the upstream's answer has gone to the caller, and the caller
	// must abort the connection (panic(http.ErrAbortHandler)).
	ErrAborted = errors.New("response aborted after it had started")
)

// Error is a failed Forward.
type Error struct {
	Kind    error  // ErrTimeout, ErrUpstream, ErrClient, ErrClientBody, ErrResponseTooLarge or ErrTarget
	Started bool   // the status line had been written to the caller
	Op      string // what failed, e.g. "GET https://api.example.com/pets"
	Err     error  // the cause; may be nil
}

func (e *Error) Error() string {
	msg := e.Kind.Error()
	if e.Started {
		msg += " (response aborted)"
	}
	switch {
	case e.Op != "" && e.Err != nil:
		return fmt.Sprintf("proxy: %s: %s: %v", e.Op, msg, e.Err)
	case e.Op != "":
		return fmt.Sprintf("proxy: %s: %s", e.Op, msg)
	case e.Err != nil:
		return fmt.Sprintf("proxy: %s: %v", msg, e.Err)
	}
	return "proxy: " + msg
}

// Unwrap exposes both the Kind and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// Is reports ErrAborted for errors raised after the response had started.
func (e *Error) Is(target error) bool { return target == ErrAborted && e.Started }
