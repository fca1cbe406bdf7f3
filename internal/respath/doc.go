// Package respath owns API Gateway resource path parts and full resource paths:
// validating a pathPart the way AWS does, splitting "/pets/{id}/{proxy+}" into
// literal, parameter and greedy parts, building a full path from parts or from
// a resource tree (Child is the one rule: "/" + part under the root, parent +
// "/" + part below it), and the sibling rules that keep a resource tree
// routable.
//
// The data-plane router uses it on every request, so it stays allocation-light
// and dependency-free: it must never import any other gatehouse package (store,
// control, awsapi, gateway, patch, ...) and uses only the standard library.
package respath
