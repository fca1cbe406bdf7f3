package apigw

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"
)

// DomainName is a custom domain name: the host callers use instead of an
// execute-api URL, its certificate, and the base path mappings that route
// its requests to API stages.
type DomainName struct {
	Name string // the host, lower case, e.g. "api.example.com" or "*.example.com"
	// ID is the part AWS makes up for the domain's target host names
	// (regionalDomainName d-{id}.execute-api.{region}.amazonaws.com).
	ID              string
	CertificateName string
	// CertificateBody is the leaf certificate and CertificateChain the
	// intermediates, both PEM as uploaded.
	CertificateBody  string
	CertificateChain string
	// SealedPrivateKey is the certificate's private key (PEM), encrypted
	// under the server secret and bound to the domain name
	// (DomainKeyLabel). The plain key is never stored.
	SealedPrivateKey      []byte
	CertificateUploadDate time.Time
	CertificateNotAfter   time.Time
	EndpointType          string // EDGE or REGIONAL
	SecurityPolicy        string // TLS_1_2
	Tags                  map[string]string
	Mappings              []BasePathMapping // in the order they were created
	CreatedDate           time.Time

	// ACME is true when the node obtains and renews the certificate by
	// ACME (created without a certificate on a node configured for it).
	// Until the first one is issued, CertificateBody is empty.
	ACME bool `json:",omitempty"`
	// Status is AWS's domainNameStatus ("": AVAILABLE) and StatusMessage
	// its domainNameStatusMessage (an ACME failure, named).
	Status        string `json:",omitempty"`
	StatusMessage string `json:",omitempty"`
	// ACMELeaseHolder is the node obtaining or renewing the certificate,
	// until ACMELeaseUntil: one node of a cluster at a time.
	ACMELeaseHolder string    `json:",omitempty"`
	ACMELeaseUntil  time.Time `json:",omitzero"`
	// ACMENextAttempt is when a failed issuance or renewal is tried again.
	ACMENextAttempt time.Time `json:",omitzero"`
}

// AWS's domainNameStatus values Gatehouse uses.
const (
	DomainAvailable = "AVAILABLE"
	DomainPending   = "PENDING"
	DomainFailed    = "FAILED"
)

// DomainStatus is d's domainNameStatus.
func (d *DomainName) DomainStatus() string {
	if d.Status == "" {
		return DomainAvailable
	}
	return d.Status
}

// BasePathMapping routes the requests of a custom domain whose path starts
// with BasePath to an API stage.
type BasePathMapping struct {
	// BasePath is "" for the root (AWS's "(none)"), else one or more path
	// segments without leading or trailing "/", e.g. "v1" or "orders/v2".
	BasePath  string
	RestAPIID string
	// Stage is the stage served; "" means the first path segment after the
	// base path names the stage.
	Stage string
}

// A domain name's one security policy, and the root base path.
const (
	SecurityTLS12 = "TLS_1_2"
	// BasePathNone is AWS's wire name of the root base path.
	BasePathNone = "(none)"
)

// DomainKeyLabel is what a domain's private key is sealed to: the sealed
// key opens only as that domain's.
func DomainKeyLabel(domain string) string { return "domainname:" + domain }

// Mapping returns the index of the mapping with basePath, or -1.
func (d *DomainName) Mapping(basePath string) int {
	for i, m := range d.Mappings {
		if m.BasePath == basePath {
			return i
		}
	}
	return -1
}

// ParseBasePath turns a base path as given on the wire ("", "(none)",
// "v1", "orders/v2", with or without surrounding "/") into the stored form,
// or an error naming the rule broken. Segments are letters, digits and
// AWS's "$-_.+!*'()"; "." and ".." segments are refused.
func ParseBasePath(s string) (string, error) {
	if s == "" || s == BasePathNone {
		return "", nil
	}
	p := strings.Trim(s, "/")
	if p == "" {
		return "", nil
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", fmt.Errorf("base path %q has an empty, \".\" or \"..\" segment", s)
		}
		for _, c := range []byte(seg) {
			if !isBasePathChar(c) {
				return "", fmt.Errorf("base path %q has the character %q: a base path may only contain letters, numbers and one of \"$-_.+!*'()\", in segments separated by \"/\"", s, c)
			}
		}
	}
	if len(p) > 300 {
		return "", fmt.Errorf("base path %q is longer than 300 characters", s)
	}
	return p, nil
}

func isBasePathChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("$-_.+!*'()", c) >= 0
}

// WireBasePath is a stored base path as AWS shows it ("(none)" for the root).
func WireBasePath(p string) string {
	if p == "" {
		return BasePathNone
	}
	return p
}

// MatchBasePath reports whether escapedPath (starting with "/") is under
// base path p and returns the rest, starting with "/" ("/" when nothing is
// left). The root base path matches every path.
func MatchBasePath(p, escapedPath string) (string, bool) {
	if p == "" {
		if escapedPath == "" {
			return "/", true
		}
		return escapedPath, true
	}
	if len(escapedPath) < 1+len(p) || escapedPath[0] != '/' || escapedPath[1:1+len(p)] != p {
		return "", false
	}
	rest := escapedPath[1+len(p):]
	switch {
	case rest == "":
		return "/", true
	case rest[0] == '/':
		return rest, true
	}
	return "", false
}

// NormalizeDomainName lower-cases a host name and drops a trailing dot.
func NormalizeDomainName(s string) string {
	return strings.TrimSuffix(strings.ToLower(s), ".")
}

// ValidateDomainName checks a domain name: DNS labels of letters, digits
// and "-", at least two of them, optionally "*." first.
func ValidateDomainName(s string) error {
	if s == "" {
		return errors.New("domain name is required")
	}
	if len(s) > 253 {
		return fmt.Errorf("domain name %q is longer than 253 characters", s)
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return fmt.Errorf("domain name %q must have at least two labels (e.g. api.example.com)", s)
	}
	for i, l := range labels {
		if i == 0 && l == "*" {
			continue
		}
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Errorf("domain name %q has an invalid label %q", s, l)
		}
		for _, c := range []byte(l) {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("domain name %q has the character %q: only letters, digits, \"-\" and \".\" (and a leading \"*.\") are allowed", s, c)
			}
		}
	}
	return nil
}

// ParseDomainCertificate checks an uploaded certificate for domain and
// returns it ready to serve: body is the leaf certificate (PEM), chain any
// intermediates (PEM, may be empty), key the private key (PEM). The error
// says which part is wrong: not PEM, not a certificate, a key that does not
// match the certificate, or a certificate that does not cover domain (a
// wildcard domain needs the same wildcard in the certificate).
func ParseDomainCertificate(domain, body, chain, key string) (*tls.Certificate, error) {
	if strings.TrimSpace(body) == "" {
		return nil, errors.New("certificateBody is required (the PEM certificate for the domain)")
	}
	if strings.TrimSpace(key) == "" {
		return nil, errors.New("certificatePrivateKey is required (the PEM private key of certificateBody)")
	}
	leaf, rest := pem.Decode([]byte(body))
	if leaf == nil || leaf.Type != "CERTIFICATE" {
		return nil, errors.New("certificateBody is not a PEM certificate (-----BEGIN CERTIFICATE-----)")
	}
	if p, _ := pem.Decode(rest); p != nil {
		return nil, errors.New("certificateBody must hold one certificate: put the intermediates in certificateChain")
	}
	certPEM := pem.EncodeToMemory(leaf)
	if strings.TrimSpace(chain) != "" {
		rest := []byte(chain)
		n := 0
		for {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				break
			}
			if b.Type != "CERTIFICATE" {
				return nil, fmt.Errorf("certificateChain holds a %q PEM block: it must hold certificates only", b.Type)
			}
			if _, err := x509.ParseCertificate(b.Bytes); err != nil {
				return nil, fmt.Errorf("certificateChain certificate %d cannot be parsed: %v", n+1, err)
			}
			certPEM = append(certPEM, pem.EncodeToMemory(b)...)
			n++
		}
		if n == 0 {
			return nil, errors.New("certificateChain is not PEM (-----BEGIN CERTIFICATE-----)")
		}
	}
	if kb, _ := pem.Decode([]byte(key)); kb == nil || !strings.HasSuffix(kb.Type, "PRIVATE KEY") {
		return nil, errors.New("certificatePrivateKey is not a PEM private key (-----BEGIN PRIVATE KEY-----)")
	}
	pair, err := tls.X509KeyPair(certPEM, []byte(key))
	if err != nil {
		if strings.Contains(err.Error(), "does not match") {
			return nil, errors.New("certificatePrivateKey does not match certificateBody: the key is not the certificate's")
		}
		return nil, fmt.Errorf("certificateBody and certificatePrivateKey cannot be used: %v", err)
	}
	if err := pair.Leaf.VerifyHostname(strings.Replace(domain, "*", "wildcard-check", 1)); err != nil || (strings.HasPrefix(domain, "*.") && !coversWildcard(pair.Leaf, domain)) {
		names := pair.Leaf.DNSNames
		if len(names) == 0 {
			names = []string{"no DNS names"}
		}
		return nil, fmt.Errorf("certificateBody does not cover the domain name %s (it is for %s)", domain, strings.Join(names, ", "))
	}
	return &pair, nil
}

// coversWildcard reports whether the certificate names the wildcard domain
// itself (a certificate for one host under it does not cover it).
func coversWildcard(c *x509.Certificate, domain string) bool {
	for _, n := range c.DNSNames {
		if strings.EqualFold(n, domain) {
			return true
		}
	}
	return false
}
