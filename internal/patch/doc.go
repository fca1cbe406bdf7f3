// Package patch owns parsing of AWS API Gateway patchOperations: the op enum
// check (ValidationException text), JSON-pointer-like path segments (their
// ~0/~1 escapes are respath's), Stage method-setting paths, UsagePlan
// apiStages paths, and the lenient string-to-value conversions AWS applies to
// patch values. It also defines the error types whose messages reproduce
// AWS's BadRequestException texts.
//
// It is transport-free and storage-free: it must never import store, control,
// awsapi or gateway (or any other gatehouse package except respath).
package patch
