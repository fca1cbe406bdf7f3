package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// TLSFiles name a listener's certificate (PEM, leaf first, then any
// intermediates) and private key (PEM).
type TLSFiles struct {
	CertFile, KeyFile string
	// Flags name the files' command line flags in messages (for example
	// "--tls-cert/--tls-key"; "": "certificate/key").
	Flags string
}

// certificate is a listener's certificate, replaced whole by a reload;
// handshakes in flight keep the one they read.
type certificate struct {
	files TLSFiles
	cur   atomic.Pointer[tls.Certificate]
}

// loadCertificate loads files; the error names the flags and files.
func loadCertificate(files TLSFiles) (*certificate, error) {
	c := &certificate{files: files}
	if _, err := c.reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// reload reads the files again and, when they hold a valid pair, serves
// it to every new handshake; otherwise the current certificate stays.
func (c *certificate) reload() (*x509.Certificate, error) {
	pair, err := tls.LoadX509KeyPair(c.files.CertFile, c.files.KeyFile)
	if err != nil {
		flags := c.files.Flags
		if flags == "" {
			flags = "certificate/key"
		}
		return nil, fmt.Errorf("%s %s / %s: %w", flags, c.files.CertFile, c.files.KeyFile, err)
	}
	c.cur.Store(&pair)
	return pair.Leaf, nil
}

func (c *certificate) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return c.cur.Load(), nil
}

// tlsConfig is every TLS listener's configuration: TLS 1.2 and 1.3 only;
// for TLS 1.2 only forward-secret AEAD suites (ECDHE with AES-GCM or
// ChaCha20-Poly1305: no CBC, no RSA key exchange, no 3DES or RC4; TLS
// 1.3's suites are all of that kind); HTTP/2 and HTTP/1.1 by ALPN.
//
// byName, when not nil, chooses the certificate by SNI (the data
// listener's custom domain names); a client that sends no server name, or
// one byName has no certificate for, gets the listener's own certificate.
func (c *certificate) tlsConfig(byName func(serverName string) *tls.Certificate) *tls.Config {
	get := c.get
	if byName != nil {
		get = func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			if hello.ServerName != "" {
				if cert := byName(hello.ServerName); cert != nil {
					return cert, nil
				}
			}
			return c.get(hello)
		}
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, // HTTP/2 requires it
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
		NextProtos:     []string{"h2", "http/1.1"},
		GetCertificate: get,
	}
}

// logCertificate says which certificate a listener serves from now on,
// and warns when it is outside its validity period.
func logCertificate(log *slog.Logger, listener string, leaf *x509.Certificate, now time.Time) {
	if leaf == nil {
		return
	}
	attrs := []any{"listener", listener, "subject", leaf.Subject.String(), "serial", leaf.SerialNumber.String(),
		"notAfter", leaf.NotAfter.UTC().Format(time.RFC3339)}
	switch {
	case now.After(leaf.NotAfter):
		log.Warn("TLS certificate has expired; clients will refuse it", attrs...)
	case now.Before(leaf.NotBefore):
		log.Warn("TLS certificate is not valid yet; clients will refuse it", attrs...)
	default:
		log.Info("TLS certificate loaded", attrs...)
	}
}

// ReloadTLS reads every listener's certificate and key files again (the
// CLI calls it on SIGHUP). New connections get the new certificate;
// established ones keep theirs and are not interrupted. A listener whose
// files do not load keeps its current certificate; the error says which.
func (s *Server) ReloadTLS() error {
	var errs []error
	for _, l := range []struct {
		name string
		cert *certificate
	}{{"data", s.dataCert}, {"admin", s.adminCert}} {
		if l.cert == nil {
			continue
		}
		leaf, err := l.cert.reload()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s listener keeps its certificate: %w", l.name, err))
			continue
		}
		logCertificate(s.log, l.name, leaf, time.Now())
	}
	return errors.Join(errs...)
}

// DataTLS reports whether the data plane listener serves HTTPS.
func (s *Server) DataTLS() bool { return s.dataCert != nil }

// AdminTLS reports whether the admin listener serves HTTPS.
func (s *Server) AdminTLS() bool { return s.adminCert != nil }

// domainCertificate is the certificate of the custom domain name a TLS
// client asks for by SNI (nil: none, or the domain's could not be opened).
// It reads the data plane's compiled domain table, never the store.
func (s *Server) domainCertificate(serverName string) *tls.Certificate {
	if d := s.State.Domain(serverName); d != nil {
		return d.Cert
	}
	return nil
}
