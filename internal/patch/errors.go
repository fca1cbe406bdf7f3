package patch

import (
	"fmt"
	"strings"
)

// The error types below map to AWS BadRequestException (HTTP 400). Their
// Error() text is what AWS sends as the message, so the control layer can
// return it unchanged after matching with errors.As.

// BadPathError is a patch path that the resource does not support, or a path
// that does not support the given op. Error() has three AWS wordings:
//
//   - Allowed set: "Invalid patch path  '/id' specified for op 'replace'. Must be
//     one of: [/description, /enabled, /name, /customerId]" (the double space
//     after "path" is what AWS sends);
//   - ChooseOp set: "Invalid patch path  '/pathPart' specified for op 'add'.
//     Please choose supported operations" (the path exists, the op does not
//     apply to it);
//   - otherwise: "Invalid patch path /x", and "Invalid patch path null" for a
//     missing path.
type BadPathError struct {
	Op, Path string
	Allowed  []string
	ChooseOp bool
}

func (e *BadPathError) Error() string {
	switch {
	case len(e.Allowed) > 0:
		return fmt.Sprintf("Invalid patch path  '%s' specified for op '%s'. Must be one of: [%s]",
			e.Path, e.Op, strings.Join(e.Allowed, ", "))
	case e.ChooseOp:
		return fmt.Sprintf("Invalid patch path  '%s' specified for op '%s'. Please choose supported operations",
			e.Path, e.Op)
	case e.Path == "":
		return "Invalid patch path null"
	}
	return "Invalid patch path " + e.Path
}

// UnsupportedOpError is a known op that the path does not accept. Error() is
// "Invalid patch operation specified. Must be one of: [replace]", or with
// Quoted set AWS's other wording "Invalid patch operation specified. Must be
// 'add'|'remove'|'replace'" (seen on UpdateRestApi endpointConfiguration).
type UnsupportedOpError struct {
	Op, Path string
	Allowed  []string
	Quoted   bool
}

func (e *UnsupportedOpError) Error() string {
	if e.Quoted {
		q := make([]string, len(e.Allowed))
		for i, a := range e.Allowed {
			q[i] = "'" + a + "'"
		}
		return "Invalid patch operation specified. Must be " + strings.Join(q, "|")
	}
	return "Invalid patch operation specified. Must be one of: [" + strings.Join(e.Allowed, ", ") + "]"
}

// stagePaths is the list AWS prints after "Must be one of:" for a bad Stage
// path, copied verbatim from recorded responses (including AWS's missing
// commas between some entries).
const stagePaths = "[/deploymentId, /description, /cacheClusterEnabled, /cacheClusterSize, /clientCertificateId, /accessLogSettings, /accessLogSettings/destinationArn, /accessLogSettings/format, /{resourcePath}/{httpMethod}/metrics/enabled, /{resourcePath}/{httpMethod}/logging/dataTrace, /{resourcePath}/{httpMethod}/logging/loglevel, /{resourcePath}/{httpMethod}/throttling/burstLimit/{resourcePath}/{httpMethod}/throttling/rateLimit/{resourcePath}/{httpMethod}/caching/ttlInSeconds, /{resourcePath}/{httpMethod}/caching/enabled, /{resourcePath}/{httpMethod}/caching/dataEncrypted, /{resourcePath}/{httpMethod}/caching/requireAuthorizationForCacheControl, /{resourcePath}/{httpMethod}/caching/unauthorizedCacheControlHeaderStrategy, /*/*/metrics/enabled, /*/*/logging/dataTrace, /*/*/logging/loglevel, /*/*/throttling/burstLimit /*/*/throttling/rateLimit /*/*/caching/ttlInSeconds, /*/*/caching/enabled, /*/*/caching/dataEncrypted, /*/*/caching/requireAuthorizationForCacheControl, /*/*/caching/unauthorizedCacheControlHeaderStrategy, /variables/{variable_name}, /tracingEnabled]"

// MethodSettingPathError is a Stage patch path that is neither a known Stage
// member nor a method setting. Error() reproduces AWS: "Invalid method setting
// path: /tags/tag1. Must be one of: [/deploymentId, ...]".
type MethodSettingPathError struct {
	Path string
}

func (e *MethodSettingPathError) Error() string {
	return "Invalid method setting path: " + e.Path + ". Must be one of: " + stagePaths
}

// APIStageError is a malformed "{apiId}:{stageName}" reference. Error() is
// AWS's fixed text "Invalid API Stage specified"; Value keeps the offending
// input for logs.
type APIStageError struct {
	Value string
}

func (e *APIStageError) Error() string { return "Invalid API Stage specified" }

// ValueError is a patch value that cannot be converted to the type the path
// needs, e.g. `Invalid value "abc" for /throttle/rateLimit: must be a number`.
type ValueError struct {
	Path, Value string
	// Want says what the value must be, e.g. "must be a number".
	Want string
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("Invalid value %q for %s: %s", e.Value, e.Path, e.Want)
}
