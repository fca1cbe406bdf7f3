package control

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
	"github.com/gatehouse-dev/gatehouse/internal/secret"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

const (
	// msgClientCertNotFound is the NotFound text for an unknown client
	// certificate id.
	msgClientCertNotFound = "Invalid Client Certificate identifier specified"
	clientCertIDLen       = 6
	// clientCertValidity is how long a generated certificate is valid
	// (AWS: 365 days).
	clientCertValidity = 365 * 24 * time.Hour
	// tagOnClientCert is the tag target kind of client certificates.
	tagOnClientCert = "clientcertificates"
)

// GenerateClientCertificate makes a self-signed certificate and its
// private key (ECDSA P-256), keeps the key sealed under the server secret
// and returns the certificate (never the key).
func (s *Service) GenerateClientCertificate(ctx context.Context, description string, tags map[string]string) (*apigw.ClientCertificate, error) {
	if err := validateTagsOn(tagOnClientCert, tags); err != nil {
		return nil, err
	}
	now := s.timestamp()
	id := newID(clientCertIDLen)
	certPEM, keyPEM, err := newClientCertificate(id, now, now.Add(clientCertValidity))
	if err != nil {
		return nil, err
	}
	c := &apigw.ClientCertificate{
		ID:                    id,
		Description:           description,
		PEMEncodedCertificate: certPEM,
		SealedPrivateKey:      s.keys.Seal(apigw.ClientCertificateSealID(id), keyPEM),
		CreatedDate:           now,
		ExpirationDate:        now.Add(clientCertValidity),
		Tags:                  nilIfNoTags(tags),
	}
	if err := s.update(ctx, func(tx store.Tx) error { return tx.CreateClientCertificate(ctx, c) }); err != nil {
		return nil, err
	}
	return c, nil
}

// newClientCertificate returns a self-signed client certificate for
// clientAuth and its private key, both PEM.
func newClientCertificate(id string, notBefore, notAfter time.Time) (certPEM, keyPEM string, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", fmt.Errorf("client certificate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return "", "", fmt.Errorf("client certificate serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: id, Organization: []string{"Gatehouse client certificate"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		// A CA of itself, so that a backend can put it in its client CA
		// pool and verify it (as with AWS's generated certificates).
		IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", fmt.Errorf("client certificate: %w", err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", fmt.Errorf("client certificate key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})), nil
}

// OpenClientCertificate unseals a stored client certificate's private key
// under keys and returns the certificate ready for a TLS client.
func OpenClientCertificate(keys *secret.Keys, c *apigw.ClientCertificate) (tls.Certificate, error) {
	keyPEM, err := keys.Open(apigw.ClientCertificateSealID(c.ID), c.SealedPrivateKey)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("client certificate %s: %w", c.ID, err)
	}
	cert, err := tls.X509KeyPair([]byte(c.PEMEncodedCertificate), []byte(keyPEM))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("client certificate %s: %w", c.ID, err)
	}
	return cert, nil
}

// GetClientCertificate returns a client certificate.
func (s *Service) GetClientCertificate(ctx context.Context, id string) (*apigw.ClientCertificate, error) {
	var c *apigw.ClientCertificate
	err := s.view(ctx, func(r store.Reader) error {
		var err error
		c, err = r.GetClientCertificate(ctx, id)
		return notFound(err, msgClientCertNotFound)
	})
	return c, err
}

// ListClientCertificates lists client certificates, oldest first.
func (s *Service) ListClientCertificates(ctx context.Context, p store.Page) ([]*apigw.ClientCertificate, string, error) {
	var (
		items []*apigw.ClientCertificate
		next  string
	)
	err := s.view(ctx, func(r store.Reader) error {
		var err error
		items, next, err = r.ListClientCertificates(ctx, p)
		return pageError(err, p)
	})
	return items, next, err
}

// clientCertPatch is UpdateClientCertificate's paths.
var clientCertPatch = patch.NewTable(patch.Options{},
	patch.Rule[*apigw.ClientCertificate]{Path: "/description", Ops: replaceOp, Set: patch.String(func(c *apigw.ClientCertificate) *string { return &c.Description })},
)

// UpdateClientCertificate applies patch operations (/description).
func (s *Service) UpdateClientCertificate(ctx context.Context, id string, ops []patch.Op) (*apigw.ClientCertificate, error) {
	var c *apigw.ClientCertificate
	err := s.update(ctx, func(tx store.Tx) error {
		var err error
		if c, err = tx.GetClientCertificate(ctx, id); err != nil {
			return notFound(err, msgClientCertNotFound)
		}
		if err := clientCertPatch.ApplyAll(c, ops); err != nil {
			return FromPatch(err)
		}
		return tx.UpdateClientCertificate(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// DeleteClientCertificate deletes a client certificate no stage uses.
func (s *Service) DeleteClientCertificate(ctx context.Context, id string) error {
	return s.update(ctx, func(tx store.Tx) error {
		if _, err := tx.GetClientCertificate(ctx, id); err != nil {
			return notFound(err, msgClientCertNotFound)
		}
		stages, err := tx.ListStages(ctx, "")
		if err != nil {
			return err
		}
		for _, st := range stages {
			if st.ClientCertificateID == id {
				return BadRequestf("Cannot delete Client Certificate %s: it is in use by stage %s of API %s; remove it from the stage first (patch /clientCertificateId)", id, st.Name, st.APIID)
			}
		}
		return notFound(tx.DeleteClientCertificate(ctx, id), msgClientCertNotFound)
	})
}

// checkStageClientCert refuses a stage whose clientCertificateId names no
// client certificate ("" is none).
func checkStageClientCert(ctx context.Context, r store.Reader, st *apigw.Stage) error {
	if st.ClientCertificateID == "" {
		return nil
	}
	_, err := r.GetClientCertificate(ctx, st.ClientCertificateID)
	if isNotFound(err) {
		return BadRequestf("Invalid clientCertificateId specified: there is no client certificate %s", st.ClientCertificateID)
	}
	return err
}
