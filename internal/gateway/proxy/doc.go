// Package proxy forwards data-plane requests to HTTP_PROXY integrations: it
// resolves the integration uri (ResolveURL) and streams the caller's request
// to the upstream and the upstream's answer back (Proxy.Forward) over one
// shared, pooled http.Transport. It must never import store, control, awsapi,
// counters or state: the pipeline resolves everything a call needs into a
// Target first.
//
// # What the upstream receives
//
// The caller's method (or the integration's httpMethod), headers and body,
// streamed without buffering, with these changes:
//
//   - Hop-by-hop headers are removed: Connection and every header it names,
//     Keep-Alive, Proxy-*, TE, Trailer, Transfer-Encoding and Upgrade.
//   - The API key header (x-api-key, and the names in Target.StripHeaders:
//     the API's custom key headers, and Authorization when it carried the
//     key) is removed, so a caller's key never reaches an upstream. A
//     Target.Headers mapping that would copy the caller's key back under a
//     stripped name is dropped as well. (AWS forwards x-api-key to HTTP_PROXY
//     upstreams; Gatehouse does not.)
//   - A key taken from the query string is removed by the gateway before
//     ResolveURL appends the query: WithoutQueryParam drops the key
//     parameter and keeps the other pairs byte for byte. QueryParam, which
//     the gateway reads the key with, follows the same rules, so what was
//     taken as the key is exactly what is removed.
//   - Host is the upstream's host. X-Forwarded-For gets the client IP
//     appended; X-Forwarded-Proto and X-Forwarded-Port are set from the
//     listener the caller used.
//   - X-Amzn-Apigateway-Api-Id is set to the API id, as AWS does. AWS sends
//     no request-id header to HTTP integrations (the recorded upstream headers
//     hold only X-Amzn-Apigateway-Api-Id and X-Amzn-Trace-Id), so neither do
//     we; instead, when the caller sent no X-Amzn-Trace-Id, one is made from
//     the request id: "Root=1-<unix seconds, 8 hex>-<first 24 hex digits of
//     the request id>", which lets an upstream's logs be joined to the
//     gateway's access log.
//   - Target.Headers (the integration's resolved requestParameters) are set
//     last and win over the caller's headers of the same name.
//   - When the caller sent no User-Agent, none is sent (Go's default is
//     suppressed), and Accept-Encoding is passed as sent: the Transport never
//     asks for or undoes compression by itself.
//
// # What the caller receives
//
// The upstream's status, headers and body, unchanged, except: hop-by-hop
// headers are removed, and the headers AWS reserves for itself come back
// renamed, as AWS does for HTTP_PROXY: Date, Server and x-amzn-RequestId as
// x-amzn-Remapped-<Name>, the Connection header's value as
// x-amzn-Remapped-Connection, and Content-Length is kept and also copied to
// x-amzn-Remapped-Content-Length. An upstream header replaces a header of the
// same name the pipeline had already set on the ResponseWriter; the remapping
// keeps the gateway's own Date and x-amzn-RequestId intact. An upstream error
// status (5xx included) is the upstream's answer, passed through; it is not a
// gateway error.
//
// # Timeouts
//
// Target.Timeout (timeoutInMillis, 29 s by default) covers connecting,
// sending the request and receiving the response headers. After that the
// body streams for as long as the upstream keeps sending: the transfer is
// aborted when the upstream sends nothing for Options.ResponseIdleTimeout,
// when the caller goes away (request context), or when the server's
// WriteTimeout makes writes to the caller fail. A hanging upstream therefore
// costs a timeout and never a goroutine.
//
// # Errors
//
// Every error Forward returns is an *Error, classified by Kind:
// ErrTimeout, ErrUpstream, ErrResponseTooLarge (the upstream's faults),
// ErrClient, ErrClientBody (the caller's) or ErrTarget (the
// configuration's). Before the response has
// started, Forward has written nothing to the ResponseWriter (not even a
// header), and the caller answers with a gateway response. Once it has
// started (Result.Started, errors.Is(err, ErrAborted)), the caller must abort
// the connection with panic(http.ErrAbortHandler), so the client sees a
// broken response instead of a complete-looking truncated one; Forward itself
// never panics. Error messages name the upstream by scheme, host and path,
// never its query string, and never carry header values.
//
// Streaming responses (text/event-stream, or an unknown Content-Length) are
// flushed to the caller after every read from the upstream.
//
// # Limits
//
// An upstream's response body may be at most Options.MaxResponseBytes
// (10 MB, AWS's payload limit). A Content-Length over it fails before
// anything is written; a body that runs past it is cut there and the
// response aborted. The caller's request body is limited by the gateway
// (an http.MaxBytesReader), and a failure to read it is the caller's
// (ErrClientBody), never the upstream's.
package proxy
