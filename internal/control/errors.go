package control

import (
	"errors"
	"fmt"

	"github.com/gatehouse-dev/gatehouse/internal/patch"
)

// Kind classifies an Error the way AWS's exceptions do; the wire layer maps
// each Kind to an exception name and an HTTP status.
type Kind int

// Error kinds.
const (
	KindInternal           Kind = iota // not a client error
	KindBadRequest                     // BadRequestException, 400
	KindValidation                     // ValidationException, 400
	KindSerialization                  // SerializationException, 400
	KindNotFound                       // NotFoundException, 404
	KindConflict                       // ConflictException, 409
	KindLimitExceeded                  // LimitExceededException, 429
	KindTooManyRequests                // TooManyRequestsException, 429
	KindUnauthorized                   // UnauthorizedException, 401
	KindServiceUnavailable             // ServiceUnavailableException, 503
)

// Error is a refusal of a control-plane operation. Message is shown to the
// client; Err, when set, is the underlying cause (for errors.Is/As and logs).
type Error struct {
	Kind    Kind
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil && e.Message == "" {
		return e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// BadRequestf returns a KindBadRequest error.
func BadRequestf(format string, args ...any) *Error {
	return &Error{Kind: KindBadRequest, Message: fmt.Sprintf(format, args...)}
}

// NotFoundf returns a KindNotFound error.
func NotFoundf(format string, args ...any) *Error {
	return &Error{Kind: KindNotFound, Message: fmt.Sprintf(format, args...)}
}

// Conflictf returns a KindConflict error.
func Conflictf(format string, args ...any) *Error {
	return &Error{Kind: KindConflict, Message: fmt.Sprintf(format, args...)}
}

// Validationf returns a KindValidation error (AWS's ValidationException).
func Validationf(format string, args ...any) *Error {
	return &Error{Kind: KindValidation, Message: fmt.Sprintf(format, args...)}
}

// LimitExceededf returns a KindLimitExceeded error.
func LimitExceededf(format string, args ...any) *Error {
	return &Error{Kind: KindLimitExceeded, Message: fmt.Sprintf(format, args...)}
}

// KindOf returns the Kind of err (KindInternal when err is not an *Error).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// enumError is AWS's ValidationException text for a value outside an enum,
// e.g. "1 validation error detected: Value 'X' at 'putIntegrationInput.type'
// failed to satisfy constraint: Member must satisfy enum value set: [A, B]".
func enumError(value, at string, allowed []string) *Error {
	set := ""
	for i, a := range allowed {
		if i > 0 {
			set += ", "
		}
		set += a
	}
	return Validationf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]", value, at, set)
}

// FromPatch classifies an error from package patch (or a value parser) as a
// client error: AWS's ValidationException for an unknown op name, otherwise
// BadRequestException with the parser's message, which names the path and
// value. nil stays nil.
func FromPatch(err error) error {
	if err == nil {
		return nil
	}
	var ce *Error
	if errors.As(err, &ce) {
		return err
	}
	var ve *patch.ValidationError
	if errors.As(err, &ve) {
		return &Error{Kind: KindValidation, Message: ve.Error(), Err: err}
	}
	return &Error{Kind: KindBadRequest, Message: err.Error(), Err: err}
}
