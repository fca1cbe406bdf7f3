// Package patch owns AWS API Gateway patchOperations: the op enum check
// (ValidationException text), the Table every resource declares its patch
// paths in (path patterns, the ops each path takes, setters, and AWS's
// per-resource wording of a refused op or path), UsagePlan apiStages paths,
// and the lenient string-to-value conversions AWS applies to patch values.
// It also defines the error types whose messages reproduce AWS's
// BadRequestException texts. Path segments are unescaped (~1, ~0) with
// respath, which also owns the method keys inside them.
//
// It is transport-free and storage-free: it must never import store, control,
// awsapi or gateway (or any other gatehouse package except respath).
package patch
