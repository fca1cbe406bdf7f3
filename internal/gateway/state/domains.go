package state

import (
	"cmp"
	"context"
	"crypto/tls"
	"fmt"
	"slices"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Domain is a custom domain name as the data plane serves it.
type Domain struct {
	Name string // lower case; "*.example.com" for a wildcard
	// Cert is the domain's certificate with its private key, for the TLS
	// listener's SNI choice (nil when the key could not be opened: the
	// listener then serves its default certificate for the name).
	Cert *tls.Certificate
	// Mappings are the base path mappings, longest base path first, so
	// that the first whose base path matches is the longest match.
	Mappings []apigw.BasePathMapping
}

// Match returns the mapping a request path (escaped, starting with "/")
// falls under, with the rest of the path, or false when none does.
func (d *Domain) Match(escapedPath string) (*apigw.BasePathMapping, string, bool) {
	for i := range d.Mappings {
		if rest, ok := apigw.MatchBasePath(d.Mappings[i].BasePath, escapedPath); ok {
			return &d.Mappings[i], rest, true
		}
	}
	return nil, "", false
}

// domainTable is an immutable set of domains by name.
type domainTable map[string]*Domain

// KeyOpener opens a domain's sealed private key: label is
// apigw.DomainKeyLabel of the domain (secret.Keys.Open fits).
type KeyOpener func(label string, sealed []byte) (string, error)

// SetKeyOpener sets how domains' private keys are opened; call it before
// Load. Without one, domains route but carry no certificate.
func (s *State) SetKeyOpener(open KeyOpener) { s.openKey = open }

// Domain returns the custom domain a Host header (with or without a port)
// names, exact name first, then a wildcard "*.{parent}"; nil when none.
// It allocates nothing for a lower-case host.
func (s *State) Domain(host string) *Domain {
	t := *s.domains.Load()
	if len(t) == 0 {
		return nil
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		host = host[:i]
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if d := t[host]; d != nil {
		return d
	}
	if _, parent, ok := strings.Cut(host, "."); ok {
		return t["*."+parent]
	}
	return nil
}

// Domains returns every custom domain, by name.
func (s *State) Domains() []*Domain {
	t := *s.domains.Load()
	out := make([]*Domain, 0, len(t))
	for _, d := range t {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b *Domain) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// readDomains reads every domain name and builds the table.
func (s *State) readDomains(ctx context.Context, r store.Reader) (domainTable, error) {
	t := domainTable{}
	err := eachPage(func(p store.Page) ([]*apigw.DomainName, string, error) { return r.ListDomainNames(ctx, p) },
		func(d *apigw.DomainName) { t[d.Name] = s.newDomain(d) })
	if err != nil {
		return nil, fmt.Errorf("read domain names: %w", err)
	}
	return t, nil
}

// newDomain compiles a stored domain: its certificate (the private key
// opened with the key opener, checked by apigw.ParseDomainCertificate as
// at upload) and its mappings, longest base path first.
func (s *State) newDomain(d *apigw.DomainName) *Domain {
	out := &Domain{Name: d.Name, Mappings: slices.Clone(d.Mappings)}
	slices.SortStableFunc(out.Mappings, func(a, b apigw.BasePathMapping) int { return cmp.Compare(len(b.BasePath), len(a.BasePath)) })
	if s.openKey != nil && d.CertificateBody != "" { // "": an ACME certificate not issued yet
		key, err := s.openKey(apigw.DomainKeyLabel(d.Name), d.SealedPrivateKey)
		if err == nil {
			out.Cert, err = apigw.ParseDomainCertificate(d.Name, d.CertificateBody, d.CertificateChain, key)
		}
		if err != nil {
			s.log.Error("state: the certificate of a custom domain name cannot be served; its requests get the default certificate", "domain", d.Name, "err", err)
		}
	}
	return out
}
