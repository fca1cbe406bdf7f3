// Package sigv4 verifies AWS Signature Version 4 on management API requests,
// in two steps. Check needs no body: it parses the Authorization header,
// checks the credential scope and the request time, and looks up the access
// key id, so that a request that cannot be authentic is refused before its
// body is read. Pending.Verify then recomputes the signature over the body
// with the AWS SDK's signer and refuses replayed mutating requests. Failures
// are reported as *Error values carrying the AWS error code and message
// (HTTP 403) that AWS clients expect.
//
// Package sigv4 owns no credentials: secrets come from the caller through a
// Lookup function. It must never import gatehouse's store, control or gateway
// packages (nor any other gatehouse package).
package sigv4
