package control

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// AWS's texts for custom domain names and base path mappings.
const (
	msgDomainNotFound    = "Invalid domain name identifier specified"
	msgDomainExists      = "The domain name you provided already exists."
	msgMappingNotFound   = "Invalid base path mapping identifier specified"
	msgMappingExists     = "Base path already exists for this domain name"
	msgMappingRootAlone  = "Only one base path mapping is allowed if the base path is empty."
	msgMappingBadAPI     = "Invalid REST API identifier specified"
	msgMappingBadStage   = "Invalid stage identifier specified"
	msgNoCertificate     = "A certificate was not provided for the domain name."
	msgACMEPending       = "The certificate is being obtained by ACME."
	domainIDLen          = 10
	maxMappingsPerDomain = 200
)

// CreateDomainNameInput is CreateDomainName's request. The certificate
// comes as AWS's CreateDomainName fields carry an uploaded one: the leaf
// (CertificateBody), its private key and the intermediates, all PEM.
type CreateDomainNameInput struct {
	Name                  string
	CertificateName       string
	CertificateBody       string
	CertificateChain      string
	CertificatePrivateKey string
	// CertificateARN and RegionalCertificateARN name ACM certificates,
	// which Gatehouse cannot fetch: refused with a message saying so.
	CertificateARN          string
	RegionalCertificateARN  string
	RegionalCertificateName string
	EndpointTypes           []string
	SecurityPolicy          string
	Tags                    map[string]string
}

// CreateDomainName validates the certificate (it parses, the key is its
// key, it covers the name) and stores the domain with its private key
// sealed under the server secret.
func (s *Service) CreateDomainName(ctx context.Context, in CreateDomainNameInput) (*apigw.DomainName, error) {
	name := apigw.NormalizeDomainName(in.Name)
	if err := apigw.ValidateDomainName(name); err != nil {
		return nil, BadRequestf("Invalid domainName: %v", err)
	}
	if in.CertificateARN != "" || in.RegionalCertificateARN != "" {
		return nil, BadRequestf("certificateArn and regionalCertificateArn (AWS Certificate Manager) are not supported by Gatehouse: upload the certificate in certificateBody, certificatePrivateKey and certificateChain")
	}
	byACME := in.CertificateBody == "" && in.CertificatePrivateKey == "" && in.CertificateChain == ""
	if byACME && !s.acme {
		return nil, BadRequestf("%s Upload it in certificateBody, certificatePrivateKey and certificateChain (PEM), or start the node with --acme-email to have it obtained by ACME.", msgNoCertificate)
	}
	endpoint, err := domainEndpointType(in.EndpointTypes)
	if err != nil {
		return nil, err
	}
	if err := checkSecurityPolicy(in.SecurityPolicy); err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	if s.keys == nil {
		return nil, &Error{Kind: KindInternal, Message: "no server secret to seal the certificate's private key under"}
	}
	certName := in.CertificateName
	if certName == "" {
		certName = in.RegionalCertificateName
	}
	now := s.timestamp()
	d := &apigw.DomainName{
		Name:            name,
		ID:              newID(domainIDLen),
		CertificateName: certName,
		EndpointType:    endpoint,
		SecurityPolicy:  apigw.SecurityTLS12,
		Tags:            nilIfNoTags(in.Tags),
		CreatedDate:     now,
	}
	if byACME {
		if strings.HasPrefix(name, "*.") {
			return nil, BadRequestf("Invalid domainName %s: a wildcard certificate cannot be obtained by ACME over HTTP-01 or TLS-ALPN-01; upload it in certificateBody, certificatePrivateKey and certificateChain", name)
		}
		d.ACME = true
		d.Status = apigw.DomainPending
		d.StatusMessage = msgACMEPending
	} else if err := s.setDomainCertificate(d, in.CertificateBody, in.CertificateChain, in.CertificatePrivateKey, now); err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx store.Tx) error {
		err := tx.CreateDomainName(ctx, d)
		if errors.Is(err, store.ErrConflict) {
			return &Error{Kind: KindConflict, Message: msgDomainExists, Err: err}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// setDomainCertificate validates a certificate for d (it parses, the key
// is its key, it covers the name) and puts it in d with its private key
// sealed under the server secret: the one place a domain's key is sealed,
// for uploads and ACME alike.
func (s *Service) setDomainCertificate(d *apigw.DomainName, body, chain, key string, now time.Time) error {
	pair, err := apigw.ParseDomainCertificate(d.Name, body, chain, key)
	if err != nil {
		return BadRequestf("Invalid certificate for domain name %s: %v", d.Name, err)
	}
	if s.keys == nil {
		return &Error{Kind: KindInternal, Message: "no server secret to seal the certificate's private key under"}
	}
	d.CertificateBody = body
	d.CertificateChain = chain
	d.SealedPrivateKey = s.keys.Seal(apigw.DomainKeyLabel(d.Name), key)
	d.CertificateUploadDate = now
	d.CertificateNotAfter = pair.Leaf.NotAfter.UTC()
	return nil
}

// domainEndpointType reads a domain's endpointConfiguration.types: one of
// EDGE (the default) and REGIONAL.
func domainEndpointType(types []string) (string, error) {
	switch {
	case len(types) == 0:
		return apigw.EndpointEdge, nil
	case len(types) > 1:
		return "", BadRequestf("Invalid endpointConfiguration.types %v: a domain name has exactly one endpoint type", types)
	}
	switch types[0] {
	case apigw.EndpointEdge, apigw.EndpointRegional:
		return types[0], nil
	case apigw.EndpointPrivate:
		return "", BadRequestf("Invalid endpointConfiguration.types: PRIVATE domain names are not supported by Gatehouse (use EDGE or REGIONAL)")
	}
	return "", enumError(types[0], "createDomainNameInput.endpointConfiguration.types", []string{apigw.EndpointRegional, apigw.EndpointEdge, apigw.EndpointPrivate})
}

// checkSecurityPolicy accepts TLS_1_2 (or nothing): Gatehouse's listeners
// speak TLS 1.2 and 1.3 only, with forward-secret AEAD suites.
func checkSecurityPolicy(p string) error {
	if p == "" || p == apigw.SecurityTLS12 {
		return nil
	}
	return BadRequestf("Invalid securityPolicy %q: Gatehouse serves TLS 1.2 and 1.3 only; the one policy is TLS_1_2", p)
}

// GetDomainName returns a custom domain name.
func (s *Service) GetDomainName(ctx context.Context, name string) (*apigw.DomainName, error) {
	var d *apigw.DomainName
	err := s.view(ctx, func(r store.Reader) error {
		var err error
		d, err = r.GetDomainName(ctx, apigw.NormalizeDomainName(name))
		return notFound(err, msgDomainNotFound)
	})
	return d, err
}

// ListDomainNames lists the custom domain names, oldest first.
func (s *Service) ListDomainNames(ctx context.Context, p store.Page) ([]*apigw.DomainName, string, error) {
	var (
		items []*apigw.DomainName
		next  string
	)
	err := s.view(ctx, func(r store.Reader) error {
		var err error
		items, next, err = r.ListDomainNames(ctx, p)
		return pageError(err, p)
	})
	return items, next, err
}

// DeleteDomainName deletes a custom domain name with its base path mappings.
func (s *Service) DeleteDomainName(ctx context.Context, name string) error {
	return s.update(ctx, func(tx store.Tx) error {
		return notFound(tx.DeleteDomainName(ctx, apigw.NormalizeDomainName(name)), msgDomainNotFound)
	})
}

// domainPatch is UpdateDomainName's paths.
var domainPatch = patch.NewTable(patch.Options{},
	patch.Rule[*apigw.DomainName]{Path: "/certificateName", Ops: replaceOp, Set: patch.String(func(d *apigw.DomainName) *string { return &d.CertificateName })},
	patch.Rule[*apigw.DomainName]{Path: "/regionalCertificateName", Ops: replaceOp, Set: patch.String(func(d *apigw.DomainName) *string { return &d.CertificateName })},
	patch.Rule[*apigw.DomainName]{Path: "/securityPolicy", Ops: replaceOp, Set: func(d *apigw.DomainName, op patch.Op, _ patch.Params) error {
		return checkSecurityPolicy(op.Value)
	}},
	// AWS's way to change the endpoint type: replace
	// /endpointConfiguration/types/{current} with the new type.
	patch.Rule[*apigw.DomainName]{Path: "/endpointConfiguration/types/{type}", Ops: replaceOp, Set: func(d *apigw.DomainName, op patch.Op, p patch.Params) error {
		if cur := p.Get("type"); cur != d.EndpointType && cur != "0" {
			return BadRequestf("Invalid patch path %s: the domain name's endpoint type is %s", op.Path, d.EndpointType)
		}
		t, err := domainEndpointType([]string{op.Value})
		if err != nil {
			return err
		}
		d.EndpointType = t
		return nil
	}},
)

// UpdateDomainName applies patch operations to a custom domain name.
func (s *Service) UpdateDomainName(ctx context.Context, name string, ops []patch.Op) (*apigw.DomainName, error) {
	var d *apigw.DomainName
	err := s.update(ctx, func(tx store.Tx) error {
		var err error
		if d, err = tx.GetDomainName(ctx, apigw.NormalizeDomainName(name)); err != nil {
			return notFound(err, msgDomainNotFound)
		}
		if err := domainPatch.ApplyAll(d, ops); err != nil {
			return FromPatch(err)
		}
		return tx.UpdateDomainName(ctx, d)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// CreateBasePathMappingInput is CreateBasePathMapping's request.
type CreateBasePathMappingInput struct {
	DomainName string
	BasePath   string // "", "(none)", "v1", "orders/v2"
	RestAPIID  string
	Stage      string
}

// checkMapping makes sure a mapping's API (and stage, when named) exist.
func checkMapping(ctx context.Context, r store.Reader, m apigw.BasePathMapping) error {
	if m.RestAPIID == "" {
		return BadRequestf("%s: restApiId is required", msgMappingBadAPI)
	}
	if _, err := r.GetAPI(ctx, m.RestAPIID); err != nil {
		return badRequestIfMissing(err, msgMappingBadAPI)
	}
	if m.Stage == "" {
		return nil
	}
	if _, err := r.GetStage(ctx, m.RestAPIID, m.Stage); err != nil {
		return badRequestIfMissing(err, msgMappingBadStage)
	}
	return nil
}

// badRequestIfMissing turns store.ErrNotFound into a BadRequest with msg.
func badRequestIfMissing(err error, msg string) error {
	if errors.Is(err, store.ErrNotFound) {
		return &Error{Kind: KindBadRequest, Message: msg, Err: err}
	}
	return err
}

// addMapping adds m to d, refusing a base path d has, and any second
// mapping when one is the root (AWS's rule).
func addMapping(d *apigw.DomainName, m apigw.BasePathMapping) error {
	if d.Mapping(m.BasePath) >= 0 {
		return Conflictf(msgMappingExists)
	}
	if len(d.Mappings) > 0 && (m.BasePath == "" || d.Mapping("") >= 0) {
		return Conflictf(msgMappingRootAlone)
	}
	if len(d.Mappings) >= maxMappingsPerDomain {
		return LimitExceededf("A domain name can have at most %d base path mappings", maxMappingsPerDomain)
	}
	d.Mappings = append(d.Mappings, m)
	return nil
}

// parseBasePath is apigw.ParseBasePath with AWS's error kind.
func parseBasePath(s string) (string, error) {
	p, err := apigw.ParseBasePath(s)
	if err != nil {
		return "", BadRequestf("Invalid basePath: %v", err)
	}
	return p, nil
}

// CreateBasePathMapping maps a base path of a domain to an API stage.
func (s *Service) CreateBasePathMapping(ctx context.Context, in CreateBasePathMappingInput) (*apigw.BasePathMapping, error) {
	bp, err := parseBasePath(in.BasePath)
	if err != nil {
		return nil, err
	}
	m := apigw.BasePathMapping{BasePath: bp, RestAPIID: in.RestAPIID, Stage: in.Stage}
	err = s.update(ctx, func(tx store.Tx) error {
		d, err := tx.GetDomainName(ctx, apigw.NormalizeDomainName(in.DomainName))
		if err != nil {
			return notFound(err, msgDomainNotFound)
		}
		if err := checkMapping(ctx, tx, m); err != nil {
			return err
		}
		if err := addMapping(d, m); err != nil {
			return err
		}
		return tx.UpdateDomainName(ctx, d)
	})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// domainMapping reads a domain and finds the mapping of basePath in it.
func domainMapping(ctx context.Context, r store.Reader, domain, basePath string) (*apigw.DomainName, int, error) {
	d, err := r.GetDomainName(ctx, apigw.NormalizeDomainName(domain))
	if err != nil {
		return nil, 0, notFound(err, msgDomainNotFound)
	}
	bp, err := apigw.ParseBasePath(basePath)
	if err != nil {
		return nil, 0, NotFoundf(msgMappingNotFound)
	}
	i := d.Mapping(bp)
	if i < 0 {
		return nil, 0, NotFoundf(msgMappingNotFound)
	}
	return d, i, nil
}

// GetBasePathMapping returns one mapping of a domain.
func (s *Service) GetBasePathMapping(ctx context.Context, domain, basePath string) (*apigw.BasePathMapping, error) {
	var m apigw.BasePathMapping
	err := s.view(ctx, func(r store.Reader) error {
		d, i, err := domainMapping(ctx, r, domain, basePath)
		if err == nil {
			m = d.Mappings[i]
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// ListBasePathMappings returns a domain's mappings in the order created.
func (s *Service) ListBasePathMappings(ctx context.Context, domain string) ([]apigw.BasePathMapping, error) {
	d, err := s.GetDomainName(ctx, domain)
	if err != nil {
		return nil, err
	}
	return d.Mappings, nil
}

// DeleteBasePathMapping removes one mapping of a domain.
func (s *Service) DeleteBasePathMapping(ctx context.Context, domain, basePath string) error {
	return s.update(ctx, func(tx store.Tx) error {
		d, i, err := domainMapping(ctx, tx, domain, basePath)
		if err != nil {
			return err
		}
		d.Mappings = slices.Delete(d.Mappings, i, i+1)
		return tx.UpdateDomainName(ctx, d)
	})
}

// mappingPatch is UpdateBasePathMapping's paths (AWS spells /restapiId so).
var mappingPatch = patch.NewTable(patch.Options{},
	patch.Rule[*apigw.BasePathMapping]{Path: "/basePath", Ops: replaceOp, Set: func(m *apigw.BasePathMapping, op patch.Op, _ patch.Params) error {
		bp, err := parseBasePath(op.Value)
		m.BasePath = bp
		return err
	}},
	patch.Rule[*apigw.BasePathMapping]{Path: "/restapiId", Ops: replaceOp, Set: patch.String(func(m *apigw.BasePathMapping) *string { return &m.RestAPIID })},
	patch.Rule[*apigw.BasePathMapping]{Path: "/stage", Ops: replaceOp, Set: patch.String(func(m *apigw.BasePathMapping) *string { return &m.Stage })},
)

// UpdateBasePathMapping applies patch operations to one mapping: a new
// base path must be free, a new API or stage must exist.
func (s *Service) UpdateBasePathMapping(ctx context.Context, domain, basePath string, ops []patch.Op) (*apigw.BasePathMapping, error) {
	var m apigw.BasePathMapping
	err := s.update(ctx, func(tx store.Tx) error {
		d, i, err := domainMapping(ctx, tx, domain, basePath)
		if err != nil {
			return err
		}
		m = d.Mappings[i]
		if err := mappingPatch.ApplyAll(&m, ops); err != nil {
			return FromPatch(err)
		}
		if err := checkMapping(ctx, tx, m); err != nil {
			return err
		}
		d.Mappings = slices.Delete(d.Mappings, i, i+1)
		if err := addMapping(d, m); err != nil {
			return err
		}
		// Keep the mapping's place in the list.
		d.Mappings = slices.Insert(d.Mappings[:len(d.Mappings)-1], i, m)
		return tx.UpdateDomainName(ctx, d)
	})
	if err != nil {
		return nil, err
	}
	return &m, nil
}
