package sigv4

import (
	"encoding/hex"
	"strings"
)

const (
	algorithm  = "AWS4-HMAC-SHA256"
	terminator = "aws4_request"
	dateLayout = "20060102"
	timeLayout = "20060102T150405Z"
)

// authorization is a parsed SigV4 Authorization header:
//
//	AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/apigateway/aws4_request,
//	    SignedHeaders=host;x-amz-date, Signature=<64 hex>
//
// parseAuthorization guarantees: every scope part is non-empty and free of
// '/', ',', '=' and whitespace; Date has the form YYYYMMDD; SignedHeaders is
// non-empty, lowercase, strictly ascending and contains "host"; Signature is 32
// bytes. The scope's service and terminator are not checked here.
type authorization struct {
	AccessKeyID, Date, Region, Service, Terminator string
	SignedHeaders                                  []string
	Signature                                      []byte
}

// String renders a in the form the SDKs send; parseAuthorization(a.String())
// returns a again. It contains the signature, so keep it out of messages.
func (a authorization) String() string {
	return algorithm + " Credential=" + a.credential() +
		", SignedHeaders=" + strings.Join(a.SignedHeaders, ";") +
		", Signature=" + hex.EncodeToString(a.Signature)
}

func (a authorization) credential() string {
	return strings.Join([]string{a.AccessKeyID, a.Date, a.Region, a.Service, a.Terminator}, "/")
}

// parseAuthorization parses an Authorization header value. Its errors are
// *Error with code IncompleteSignatureException; their message names the
// missing or invalid part and never contains the signature.
func parseAuthorization(h string) (authorization, error) {
	var a authorization
	alg, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	if alg != algorithm {
		return a, incomplete("Authorization header must use algorithm '%s'", algorithm)
	}
	params := map[string]string{}
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return a, incomplete("Authorization header has a parameter without '=': %q", clip(k))
		}
		switch k {
		case "Credential", "SignedHeaders", "Signature":
		default:
			return a, incomplete("Authorization header has an unknown parameter %q", clip(k))
		}
		if _, dup := params[k]; dup {
			return a, incomplete("Authorization header repeats the '%s' parameter", k)
		}
		params[k] = strings.TrimSpace(v)
	}
	var missing []string
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if params[k] == "" {
			missing = append(missing, "Authorization header requires '"+k+"' parameter.")
		}
	}
	if len(missing) > 0 {
		return a, incomplete("%s", strings.Join(missing, " "))
	}

	scope := strings.Split(params["Credential"], "/")
	if len(scope) != 5 {
		return a, incomplete("Credential must have the form '<access key id>/<YYYYMMDD>/<region>/<service>/aws4_request', got %d part(s)", len(scope))
	}
	for i, name := range []string{"access key id", "date", "region", "service", "terminator"} {
		if !isScopePart(scope[i]) {
			return a, incomplete("Credential has an empty or invalid %s", name)
		}
	}
	a.AccessKeyID, a.Date, a.Region, a.Service, a.Terminator = scope[0], scope[1], scope[2], scope[3], scope[4]
	if !isDate(a.Date) {
		return a, incomplete("Credential date must be YYYYMMDD, not '%s'", clip(a.Date))
	}

	a.SignedHeaders = strings.Split(params["SignedHeaders"], ";")
	hasHost := false
	for i, name := range a.SignedHeaders {
		if !isLowerToken(name) {
			return a, incomplete("SignedHeaders entry %q is not a lowercase header name", clip(name))
		}
		if i > 0 && a.SignedHeaders[i-1] >= name {
			return a, incomplete("SignedHeaders must be sorted and unique, '%s' follows '%s'", clip(name), clip(a.SignedHeaders[i-1]))
		}
		hasHost = hasHost || name == "host"
	}
	if !hasHost {
		return a, incomplete("SignedHeaders must include 'host'")
	}

	sig := params["Signature"]
	if len(sig) != 64 {
		return a, incomplete("Signature must be 64 hexadecimal characters, got %d", len(sig))
	}
	b, err := hex.DecodeString(sig)
	if err != nil {
		return a, incomplete("Signature must be 64 hexadecimal characters, not other characters")
	}
	a.Signature = b
	return a, nil
}

// isScopePart reports whether s is a non-empty run of visible ASCII without
// the separators of the Authorization header.
func isScopePart(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || c == '/' || c == ',' || c == '=' || c == ';' {
			return false
		}
	}
	return true
}

func isDate(s string) bool {
	if len(s) != len(dateLayout) {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// isLowerToken reports whether s is a non-empty RFC 9110 token without
// upper-case letters.
func isLowerToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// clip shortens client-supplied text quoted in an error message.
func clip(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
