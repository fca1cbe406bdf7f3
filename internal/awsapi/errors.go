package awsapi

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gatehouse-dev/gatehouse/internal/control"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// exception is an AWS exception name and its HTTP status.
type exception struct {
	code   string
	status int
}

var exceptions = map[control.Kind]exception{
	control.KindBadRequest:         {"BadRequestException", http.StatusBadRequest},
	control.KindValidation:         {"ValidationException", http.StatusBadRequest},
	control.KindSerialization:      {"SerializationException", http.StatusBadRequest},
	control.KindNotFound:           {"NotFoundException", http.StatusNotFound},
	control.KindConflict:           {"ConflictException", http.StatusConflict},
	control.KindLimitExceeded:      {"LimitExceededException", http.StatusTooManyRequests},
	control.KindTooManyRequests:    {"TooManyRequestsException", http.StatusTooManyRequests},
	control.KindUnauthorized:       {"UnauthorizedException", http.StatusUnauthorized},
	control.KindServiceUnavailable: {"ServiceUnavailableException", http.StatusServiceUnavailable},
}

// writeError renders err in AWS's shape: status, x-amzn-ErrorType and
// {"message": …}. It is the only place errors become responses.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code, status, msg := classify(err)
	if status >= 500 && status != http.StatusNotImplemented {
		h.log.LogAttrs(r.Context(), slog.LevelError, "management operation failed",
			slog.String("method", r.Method), slog.String("path", redactedPath(r, nil)), slog.Any("error", err))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-amzn-ErrorType", code)
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	w.Write(mustJSON(map[string]string{"message": msg}))
}

// notImplementedError answers an AWS operation Gatehouse does not
// implement: 501 NotImplementedException naming the operation. Neither the
// AWS SDKs nor the AWS CLI retry a 501 (they retry 500, 502, 503, 504 and
// throttling codes), and the CLI prints the code and message as they are:
// "An error occurred (NotImplementedException) when calling the
// GetVpcLinks operation: GetVpcLinks is not supported by Gatehouse". With
// why set, the operation is implemented but cannot run on this node.
type notImplementedError struct{ op, why string }

func (e *notImplementedError) Error() string {
	if e.why != "" {
		return e.op + " is not available: " + e.why
	}
	return e.op + " is not supported by Gatehouse"
}

// tooLargeError is a request body over its operation's limit: 413
// RequestEntityTooLargeException, in the words AWS Lambda uses for its own
// limit.
type tooLargeError struct {
	op    string // "" when the request names no operation
	limit int64
}

func (e *tooLargeError) Error() string {
	if e.op == "" {
		return "Request must be smaller than " + itoa(e.limit) + " bytes for a request that names no API Gateway operation"
	}
	return "Request must be smaller than " + itoa(e.limit) + " bytes for the " + e.op + " operation"
}

// unknownOperationError is a method and path that no API Gateway
// operation has: 404 UnknownOperationException.
type unknownOperationError struct{ method, path string }

func (e *unknownOperationError) Error() string {
	return "Unknown operation: no API Gateway operation has method " + e.method + " and path " + e.path
}

func classify(err error) (code string, status int, msg string) {
	var (
		authErr    AuthError
		notImpl    *notImplementedError
		tooLarge   *tooLargeError
		unknownErr *unknownOperationError
	)
	switch {
	case errors.As(err, &authErr):
		return authErr.AWSCode(), http.StatusForbidden, authErr.AWSMessage()
	case errors.As(err, &notImpl):
		return "NotImplementedException", http.StatusNotImplemented, notImpl.Error()
	case errors.As(err, &tooLarge):
		return "RequestEntityTooLargeException", http.StatusRequestEntityTooLarge, tooLarge.Error()
	case errors.As(err, &unknownErr):
		return "UnknownOperationException", http.StatusNotFound, unknownErr.Error()
	}
	// The store down comes first: whatever a control error says around
	// it, the cause is a store that did not answer, and the call may be
	// made again once it does.
	var ue *store.UnavailableError
	if errors.As(err, &ue) {
		return "ServiceUnavailableException", http.StatusServiceUnavailable,
			"The configuration store (" + ue.Store + ") cannot be reached; try again later"
	}
	var ce *control.Error
	if errors.As(err, &ce) {
		if ex, ok := exceptions[ce.Kind]; ok {
			return ex.code, ex.status, ce.Error()
		}
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "NotFoundException", http.StatusNotFound, "Invalid identifier specified"
	case errors.Is(err, store.ErrConflict):
		return "ConflictException", http.StatusConflict, "Unable to complete operation due to concurrent modification. Please try again later."
	case errors.Is(err, store.ErrBadPosition):
		return "BadRequestException", http.StatusBadRequest, "Invalid position specified"
	}
	return "InternalServerErrorException", http.StatusInternalServerError, "Internal server error"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
