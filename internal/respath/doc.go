// Package respath owns API Gateway resource path parts and full resource paths:
// validating a pathPart the way AWS does, splitting "/pets/{id}/{proxy+}" into
// literal, parameter and greedy parts, building a full path from parts or from
// a resource tree (Child is the one rule: "/" + part under the root, parent +
// "/" + part below it), the sibling rules that keep a resource tree
// routable, and the method key "{resourcePath}/{HTTP_METHOD}" ("/pets/GET",
// root "//GET") with the forms clients write it in (MethodKey,
// ParseMethodKey, and the ~1/~0 escapes of a resource path inside a key or a
// patch path segment).
//
// The data-plane router uses it on every request, so it stays allocation-light
// and dependency-free: it must never import any other gatehouse package (store,
// control, awsapi, gateway, patch, ...) and uses only the standard library.
package respath
