package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// AWS error codes used in Error.Code.
const (
	CodeMissingAuthenticationToken = "MissingAuthenticationTokenException"
	CodeIncompleteSignature        = "IncompleteSignatureException"
	CodeUnrecognizedClient         = "UnrecognizedClientException"
	CodeInvalidSignature           = "InvalidSignatureException"
)

const (
	defaultMaxSkew = 5 * time.Minute

	msgMissingToken     = "Missing Authentication Token"
	msgUnrecognized     = "The security token included in the request is invalid."
	msgSignatureInvalid = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgReplay           = "The request signature has already been used: a signed request that changes state is accepted only once. Sign the request again."
)

// Lookup returns the secret access key for an access key id, ok=false when
// unknown. It is called concurrently.
type Lookup func(accessKeyID string) (secret string, ok bool)

// Verifier checks SigV4 Authorization headers. Configure the exported fields
// before first use and do not change or copy the Verifier afterwards; Check
// and Verify are safe for concurrent use.
//
// Replay limit: a mutating request (any method but GET, HEAD and OPTIONS)
// whose signature was already accepted within the MaxSkew window is refused,
// so a captured CreateApiKey or DeleteUsagePlan cannot be sent again. Reads
// are exempt: a script that issues the same GET twice within one second
// produces byte-identical signed requests, which is legitimate, and replaying
// a read changes nothing. The cache only holds signatures that verified, keeps
// each until its request time leaves the skew window, and holds at most 100,000
// entries (the oldest is dropped first), so only authenticated callers can fill
// it. The AWS SDK for Go signs a per-attempt amz-sdk-request header, so its
// retries never repeat a signature; a client that retried a mutating request
// byte-identically within the same second (after a 5xx or 429) would be
// refused as a replay.
type Verifier struct {
	// Service is the signing name expected in the credential scope, such as
	// "apigateway".
	Service string
	// Lookup resolves access key ids. A nil Lookup knows no key.
	Lookup Lookup
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxSkew is the largest accepted distance between X-Amz-Date and Now;
	// 0 means 5 minutes.
	MaxSkew time.Duration
	// AnyCredentials is development mode: any well-formed signature from any
	// access key id is accepted without looking up the key or checking the
	// signature (scope, date and skew are still checked; no replay limit).
	// Unsigned requests are still refused.
	AnyCredentials bool

	replay replayCache
}

// Identity is who signed a verified request.
type Identity struct {
	AccessKeyID string
	// Region is the region of the credential scope (the client's configured
	// region).
	Region string
	// SignedAt is the request's X-Amz-Date, in UTC.
	SignedAt time.Time
}

// Error is a verification failure with AWS's error code (one of the Code
// constants) and message. Its HTTP status is always 403. Message never
// contains a secret or the signature.
type Error struct {
	Code, Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// StatusCode returns the HTTP status for e, always 403 Forbidden.
func (e *Error) StatusCode() int { return http.StatusForbidden }

func incomplete(format string, args ...any) *Error {
	return &Error{Code: CodeIncompleteSignature, Message: fmt.Sprintf(format, args...)}
}

// Verify checks the SigV4 signature of r, whose body the caller has already
// read into body (Verify does not touch r.Body): it is Check followed by
// Pending.Verify. On a refusal the error is an *Error; any other error is an
// internal failure. Only header-based signing is supported: a presigned query
// (X-Amz-Signature) is refused.
func (v *Verifier) Verify(r *http.Request, body []byte) (Identity, error) {
	p, err := v.Check(r)
	if err != nil {
		return Identity{}, err
	}
	return p.Verify(r, body)
}

// Pending is a request that passed Check and whose signature remains to be
// checked over its body.
type Pending struct {
	v      *Verifier
	a      authorization
	id     Identity
	secret string
}

// Identity returns the signer the request claims to be. It is not
// authenticated until Verify succeeds.
func (p *Pending) Identity() Identity { return p.id }

// Check verifies everything about r's signature that needs no body: the
// Authorization header's syntax, the credential scope (service,
// terminator, date), X-Amz-Date against the clock, and that the access key
// id is known. It never reads r.Body, so a caller can refuse a request that
// cannot be authentic before reading what it sends. On a refusal the error
// is an *Error. A request that passes must still pass Pending.Verify.
func (v *Verifier) Check(r *http.Request) (*Pending, error) {
	a, signedAt, err := v.parse(r)
	if err != nil {
		return nil, err
	}
	if err := checkSkew(signedAt, v.now(), v.maxSkew()); err != nil {
		return nil, err
	}
	p := &Pending{v: v, a: a, id: Identity{AccessKeyID: a.AccessKeyID, Region: a.Region, SignedAt: signedAt}}
	if v.AnyCredentials {
		return p, nil
	}
	ok := false
	if v.Lookup != nil {
		p.secret, ok = v.Lookup(a.AccessKeyID)
	}
	if !ok {
		return nil, &Error{Code: CodeUnrecognizedClient, Message: msgUnrecognized}
	}
	return p, nil
}

// Verify checks the signature of r, the request given to Check, over body
// (the whole request body; Verify does not touch r.Body), and the replay
// limit of a mutating request. On a refusal the error is an *Error; any
// other error is an internal failure.
func (p *Pending) Verify(r *http.Request, body []byte) (Identity, error) {
	v, a := p.v, p.a
	if v.AnyCredentials {
		return p.id, nil
	}
	matched := false
	for _, u := range canonicalURLs(r.URL) {
		want, err := signature(r, u, body, a, p.id.SignedAt, p.secret)
		if err != nil {
			return Identity{}, fmt.Errorf("sigv4: recompute signature: %w", err)
		}
		if hmac.Equal(want, a.Signature) {
			matched = true
			break
		}
	}
	if !matched {
		return Identity{}, &Error{Code: CodeInvalidSignature, Message: msgSignatureInvalid}
	}

	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		if !v.replay.add([32]byte(a.Signature), p.id.SignedAt.Add(v.maxSkew()), v.now()) {
			return Identity{}, &Error{Code: CodeInvalidSignature, Message: msgReplay}
		}
	}
	return p.id, nil
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return defaultMaxSkew
}

// parse extracts and checks the Authorization header, X-Amz-Date and the
// credential scope, without any secret.
func (v *Verifier) parse(r *http.Request) (authorization, time.Time, error) {
	var a authorization
	headers := r.Header.Values("Authorization")
	switch {
	case len(headers) == 0 || len(headers) == 1 && strings.TrimSpace(headers[0]) == "":
		if r.URL.Query().Has("X-Amz-Signature") {
			return a, time.Time{}, incomplete("Query string authentication (X-Amz-Signature) is not supported; sign the request with an Authorization header.")
		}
		return a, time.Time{}, &Error{Code: CodeMissingAuthenticationToken, Message: msgMissingToken}
	case len(headers) > 1:
		return a, time.Time{}, incomplete("The request has %d Authorization headers; exactly one is allowed.", len(headers))
	}
	a, err := parseAuthorization(headers[0])
	if err != nil {
		return a, time.Time{}, err
	}

	dates := r.Header.Values("X-Amz-Date")
	switch {
	case len(dates) == 0:
		return a, time.Time{}, incomplete("Authorization header requires existence of a 'X-Amz-Date' header.")
	case len(dates) > 1:
		return a, time.Time{}, incomplete("The request has %d X-Amz-Date headers; exactly one is allowed.", len(dates))
	}
	raw := dates[0]
	signedAt, err := time.Parse(timeLayout, raw)
	if err != nil || signedAt.Format(timeLayout) != raw {
		return a, time.Time{}, incomplete("X-Amz-Date must have the form YYYYMMDD'T'HHMMSS'Z', not '%s'.", clip(raw))
	}
	if !contains(a.SignedHeaders, "x-amz-date") {
		return a, time.Time{}, incomplete("SignedHeaders must include 'x-amz-date'.")
	}
	if a.Date != raw[:len(dateLayout)] {
		return a, time.Time{}, incomplete("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", a.Date, raw[:len(dateLayout)], raw)
	}
	if a.Service != v.Service {
		return a, time.Time{}, incomplete("Credential should be scoped to correct service: '%s'.", v.Service)
	}
	if a.Terminator != terminator {
		return a, time.Time{}, incomplete("Credential should be scoped with a valid terminator: '%s', not '%s'.", terminator, clip(a.Terminator))
	}
	return a, signedAt, nil
}

// checkSkew refuses a request time more than maxSkew away from now, in AWS's
// words.
func checkSkew(signedAt, now time.Time, maxSkew time.Duration) error {
	skew := formatSkew(maxSkew)
	if earliest := now.Add(-maxSkew); signedAt.Before(earliest) {
		return &Error{Code: CodeInvalidSignature, Message: fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %s)",
			signedAt.UTC().Format(timeLayout), earliest.UTC().Format(timeLayout), now.UTC().Format(timeLayout), skew)}
	}
	if latest := now.Add(maxSkew); signedAt.After(latest) {
		return &Error{Code: CodeInvalidSignature, Message: fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + %s)",
			signedAt.UTC().Format(timeLayout), latest.UTC().Format(timeLayout), now.UTC().Format(timeLayout), skew)}
	}
	return nil
}

// formatSkew renders d the way AWS does for its 5-minute window ("5 min.").
func formatSkew(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min.", d/time.Minute)
	}
	return d.String()
}

// canonicalURLs returns the URLs whose paths a client may have signed: the
// path as received (the AWS SDKs for Go, Java, JS), then, when it differs,
// that path with empty and dot segments removed, as botocore (AWS CLI, boto3)
// normalises it before signing.
func canonicalURLs(u *url.URL) []*url.URL {
	urls := []*url.URL{{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery}}
	escaped := u.EscapedPath()
	if n := removeDotSegments(escaped); n != escaped && strings.HasPrefix(n, "/") {
		// Opaque is used verbatim by the signer; n never starts with "//".
		urls = append(urls, &url.URL{Opaque: n, RawQuery: u.RawQuery})
	}
	return urls
}

// removeDotSegments is botocore's normalize_url_path: RFC 3986 dot-segment
// removal that also drops empty segments.
func removeDotSegments(p string) string {
	if p == "" {
		return "/"
	}
	var out []string
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	first, last := "", ""
	if p[0] == '/' {
		first = "/"
	}
	if p[len(p)-1] == '/' && len(out) > 0 {
		last = "/"
	}
	return first + strings.Join(out, "/") + last
}

// signature recomputes the signature of r as signed over the path and query
// of u, using the AWS SDK's signer on a request reduced to the signed headers.
func signature(r *http.Request, u *url.URL, body []byte, a authorization, signedAt time.Time, secret string) ([]byte, error) {
	creds := aws.Credentials{AccessKeyID: a.AccessKeyID, SecretAccessKey: secret}
	clone := &http.Request{Method: r.Method, URL: u, Host: r.Host, Header: http.Header{}}
	for _, name := range a.SignedHeaders {
		switch name {
		case "host":
			// The signer always signs Host from clone.Host.
		case "x-amz-date":
			// The signer sets X-Amz-Date from signedAt, which parse checked
			// formats back to the header's exact value.
		case "content-length":
			// The signer signs Content-Length exactly when ContentLength > 0.
			clone.ContentLength = r.ContentLength
		case "x-amz-security-token":
			if tok := r.Header.Get("X-Amz-Security-Token"); tok != "" {
				creds.SessionToken = tok // the signer adds the header itself
				continue
			}
			clone.Header[name] = []string{""}
		default:
			vals := r.Header.Values(name)
			if len(vals) == 0 {
				vals = []string{""} // absent and empty canonicalise alike
			}
			// A lowercase key bypasses the signer's ignore list (User-Agent,
			// Expect, X-Amzn-Trace-Id, ...), which matches on canonical keys:
			// some clients, such as the AWS SDK for Java v1, sign User-Agent.
			clone.Header[name] = vals
		}
	}
	hash := sha256.Sum256(body)
	// A fresh Signer per call: the SDK's derived-key cache is keyed by region
	// and access key id only, so a shared one would grow with client-chosen
	// regions and would keep honouring a rotated secret until midnight.
	err := v4.NewSigner().SignHTTP(context.Background(), creds, clone, hex.EncodeToString(hash[:]), a.Service, a.Region, signedAt)
	if err != nil {
		return nil, err
	}
	_, sig, ok := strings.Cut(clone.Header.Get("Authorization"), "Signature=")
	if !ok {
		return nil, fmt.Errorf("signer produced no Signature in %q", "Authorization")
	}
	return hex.DecodeString(sig)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
