// Package route compiles a deployment's resource tree into an immutable table
// and matches request paths against it; it must never import store, control,
// awsapi or counters.
//
// A Table is built once per deployment snapshot by Compile and is then safe
// for concurrent use without locks; a new deployment gets a new Table, which
// the caller swaps in atomically.
//
// # Matching rules
//
// Match follows API Gateway REST (v1) resource selection:
//
//   - Paths are case-sensitive and matched segment by segment on the path as
//     received (still percent-encoded), so an encoded slash (%2F) never splits
//     a segment. A literal part matches a segment whose decoded text equals
//     it; path parameter values are returned decoded. A path with a malformed
//     escape ("%zz", "%4") matches nothing (NoResource).
//   - At each level a literal child is tried before the {param} child, and
//     the {param} child before the {greedy+} child. When a branch dead-ends
//     further down, the next alternative is tried (backtracking), so the most
//     specific resource wins: with /pets/mine/toys, /pets/{id}/food and
//     /{proxy+}, "/pets/mine/toys" is /pets/mine/toys, "/pets/mine/food" is
//     /pets/{id}/food and "/pets/mine/bed" is /{proxy+}. Every resource is
//     visited at most once per request, so a match costs at most the size of
//     the tree.
//   - {param} matches exactly one non-empty segment. {greedy+} matches one or
//     more segments: the whole rest of the path, which must not be empty and
//     must not start with an empty segment. So /{proxy+} does not match "/";
//     the root resource serves "/" and needs its own method.
//   - Empty segments ("//") match neither a literal nor a {param}.
//   - A single trailing slash after a non-empty last segment is ignored for
//     selecting the resource ("/pets/" is /pets, "/pets/1/" is /pets/{id}
//     with id "1"); "/pets//" matches nothing. A greedy value keeps the
//     trailing slash ("/files/a/" gives proxy "a/"), so HTTP_PROXY
//     integrations can forward the path the caller sent. AWS's behaviour for
//     trailing slashes is reported, not verified against recordings.
//   - The resource is chosen from the path alone; only then is the method
//     looked up: the exact HTTP method first, else ANY on that resource. HEAD
//     does not fall back to GET. A resource that exists but defines neither is
//     NoMethod, even when a greedy resource elsewhere would have the method
//     (AWS answers such requests with 403 Missing Authentication Token).
//   - Dot segments ("." and "..", also spelled %2E) are neither resolved nor
//     refused here: Match treats them as ordinary segments, so "/a/../b"
//     can select /a/{x}/b, and a parameter value may hold "../x" (decoded
//     from "..%2Fx"). Such a path must never be served, because an upstream
//     would resolve it into a path other than the one matched and
//     authorised: the gateway refuses any request path with a dot segment
//     before it calls Match (reason PATH_DOT_SEGMENT, using
//     proxy.HasDotSegment, which also splits at %2F, "\" and %5C and
//     ignores ";parameters"), and the integration uri resolver refuses to
//     emit one. A resource whose pathPart is "." or ".." can therefore not
//     be called.
//
// Match does not allocate unless the path contains percent-escapes, provided
// the caller reuses a Params value (for example from a sync.Pool).
package route
