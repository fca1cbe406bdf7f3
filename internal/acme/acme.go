package acme

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/control"
	legoacme "github.com/go-acme/lego/v5/acme"
	"github.com/go-acme/lego/v5/certcrypto"
	"github.com/go-acme/lego/v5/certificate"
	"github.com/go-acme/lego/v5/challenge/http01"
	"github.com/go-acme/lego/v5/challenge/tlsalpn01"
	"github.com/go-acme/lego/v5/lego"
	"github.com/go-acme/lego/v5/registration"
)

// Defaults.
const (
	// DefaultDirectory is Let's Encrypt's production directory.
	DefaultDirectory = lego.DirectoryURLLetsEncrypt
	// RenewBefore: a certificate is renewed when less than this (or a
	// third of its lifetime, when shorter) is left.
	RenewBefore = 30 * 24 * time.Hour
	// DefaultInterval is how often the manager looks for work.
	DefaultInterval = time.Minute
	// RetryAfter is how long a failed issuance or renewal waits.
	RetryAfter = time.Hour
	// leaseFor is how long a node holds a domain while it talks to the CA
	// (more than lego's own time limits, so a lease never runs out under a
	// running order).
	leaseFor = 10 * time.Minute
	// ALPNProtocol is TLS-ALPN-01's protocol name (RFC 8737).
	ALPNProtocol = tlsalpn01.ACMETLS1Protocol
)

// Config configures a Manager.
type Config struct {
	Email     string // the ACME account's contact
	Directory string // the CA's directory URL ("": DefaultDirectory)
	// RootsFile, when set, is a PEM file of the roots the CA's own HTTPS
	// endpoint is verified against instead of the system's (a private or
	// test CA such as Pebble).
	RootsFile string
	// TLS is true when the data listener serves HTTPS: challenges are
	// answered by TLS-ALPN-01 there; otherwise by HTTP-01 on plain HTTP.
	TLS bool
	// AccountFile keeps the ACME account's key, sealed with Seal (and
	// read with Open), so that a restart reuses the account ("": a new
	// account per process).
	AccountFile string
	Seal        func(label, value string) []byte
	Open        func(label string, sealed []byte) (string, error)
	// Holder names this node in leases ("": host name and process id).
	Holder   string
	Interval time.Duration // 0: DefaultInterval
	Logger   *slog.Logger
	Now      func() time.Time
}

// Manager obtains and renews the certificates of ACME domain names.
type Manager struct {
	ctl   *control.Service
	cfg   Config
	roots *x509.CertPool
	log   *slog.Logger
	kick  chan struct{}

	clientMu sync.Mutex
	client   *lego.Client // registered on first use

	mu     sync.Mutex // the challenge answers
	alpn   map[string]*tls.Certificate
	tokens map[string]string // HTTP-01 token -> key authorization
}

// New checks cfg (the roots file loads, the directory is an https URL) and
// returns a Manager; it does not contact the CA until there is work.
func New(ctl *control.Service, cfg Config) (*Manager, error) {
	if cfg.Email == "" {
		return nil, errors.New("--acme-email is required for ACME")
	}
	if cfg.Directory == "" {
		cfg.Directory = DefaultDirectory
	}
	if !strings.HasPrefix(cfg.Directory, "https://") {
		return nil, fmt.Errorf("--acme-ca %q: the ACME directory must be an https:// URL", cfg.Directory)
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Holder == "" {
		host, _ := os.Hostname()
		cfg.Holder = fmt.Sprintf("%s/%d", host, os.Getpid())
	}
	m := &Manager{ctl: ctl, cfg: cfg, log: cfg.Logger, kick: make(chan struct{}, 1),
		alpn: map[string]*tls.Certificate{}, tokens: map[string]string{}}
	if cfg.AccountFile != "" && (cfg.Seal == nil || cfg.Open == nil) {
		return nil, errors.New("acme: AccountFile needs Seal and Open")
	}
	if cfg.RootsFile != "" {
		pem, err := os.ReadFile(cfg.RootsFile)
		if err != nil {
			return nil, fmt.Errorf("--acme-ca-root: %w", err)
		}
		m.roots = x509.NewCertPool()
		if !m.roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--acme-ca-root %s: no PEM certificate in the file", cfg.RootsFile)
		}
	}
	return m, nil
}

// Kick makes the manager look for work now (a domain name was created).
func (m *Manager) Kick() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// Run looks for work at once, then every Interval and on Kick, until ctx
// is done.
func (m *Manager) Run(ctx context.Context) {
	t := time.NewTicker(m.cfg.Interval)
	defer t.Stop()
	for {
		m.RunOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-m.kick:
		}
	}
}

// due reports whether d needs a certificate now: none yet, or less than
// RenewBefore left, or less than a third of its lifetime (from its
// issuance, CertificateUploadDate) for a CA issuing short-lived
// certificates; not before a failed attempt's retry time.
func due(d *apigw.DomainName, now time.Time) bool {
	if now.Before(d.ACMENextAttempt) {
		return false
	}
	if d.CertificateBody == "" {
		return true
	}
	before := RenewBefore
	if life := d.CertificateNotAfter.Sub(d.CertificateUploadDate); life > 0 && life/3 < before {
		before = life / 3
	}
	return d.CertificateNotAfter.Sub(now) < before
}

// RunOnce obtains or renews every due certificate whose lease this node
// gets, one at a time.
func (m *Manager) RunOnce(ctx context.Context) {
	domains, err := m.ctl.ACMEDomains(ctx)
	if err != nil {
		m.log.Error("acme: list domain names", "err", err)
		return
	}
	for _, d := range domains {
		if ctx.Err() != nil {
			return
		}
		now := m.cfg.Now()
		if !due(d, now) {
			continue
		}
		ok, err := m.ctl.TakeACMELease(ctx, d.Name, m.cfg.Holder, now.Add(leaseFor))
		if err != nil || !ok {
			if err != nil {
				m.log.Error("acme: take lease", "domain", d.Name, "err", err)
			}
			continue
		}
		m.obtain(ctx, d.Name)
	}
}

// obtain runs one order for domain and records the outcome.
func (m *Manager) obtain(ctx context.Context, domain string) {
	m.log.Info("acme: obtaining certificate", "domain", domain, "ca", m.cfg.Directory)
	res, err := m.order(ctx, domain)
	if err != nil {
		msg := "ACME (" + m.cfg.Directory + ") could not issue a certificate: " + err.Error()
		m.log.Warn("acme: certificate not obtained", "domain", domain, "err", err)
		if ferr := m.ctl.ACMEFailed(context.WithoutCancel(ctx), domain, m.cfg.Holder, msg, m.cfg.Now().Add(RetryAfter)); ferr != nil {
			m.log.Error("acme: record failure", "domain", domain, "err", ferr)
		}
		return
	}
	if err := m.ctl.ACMEIssued(context.WithoutCancel(ctx), domain, m.cfg.Holder, string(res.Certificate), string(res.IssuerCertificate), string(res.PrivateKey)); err != nil {
		m.log.Error("acme: store certificate", "domain", domain, "err", err)
		return
	}
	m.log.Info("acme: certificate obtained", "domain", domain)
}

func (m *Manager) order(ctx context.Context, domain string) (*certificate.Resource, error) {
	client, err := m.legoClient(ctx)
	if err != nil {
		return nil, err
	}
	return client.Certificate.Obtain(ctx, certificate.ObtainRequest{
		Domains: []string{domain},
		KeyType: certcrypto.EC256,
		Bundle:  false, // leaf in Certificate, intermediates in IssuerCertificate
	})
}

// legoClient returns the registered client, registering an account (a new
// key, per process) the first time.
func (m *Manager) legoClient(ctx context.Context) (*lego.Client, error) {
	m.clientMu.Lock()
	defer m.clientMu.Unlock()
	if m.client != nil {
		return m.client, nil
	}
	key, err := m.accountKey()
	if err != nil {
		return nil, err
	}
	u := &user{email: m.cfg.Email, key: key}
	cfg := lego.NewConfig(u)
	cfg.CADirURL = m.cfg.Directory
	cfg.UserAgent = "gatehouse"
	if m.roots != nil {
		cfg.HTTPClient.Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: m.roots, MinVersion: tls.VersionTLS12}
	}
	client, err := lego.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("ACME directory %s: %w", m.cfg.Directory, err)
	}
	if m.cfg.TLS {
		err = client.Challenge.SetTLSALPN01Provider(alpnProvider{m})
	} else {
		err = client.Challenge.SetHTTP01Provider(httpProvider{m})
	}
	if err != nil {
		return nil, err
	}
	// A known key gets its existing account back (RFC 8555 7.3.1).
	reg, err := client.Registration.Register(ctx, registration.RegisterOptions{TermsOfServiceAgreed: true})
	if err != nil {
		return nil, fmt.Errorf("ACME account registration: %w", err)
	}
	u.reg = reg
	m.client = client
	return client, nil
}

// accountLabel is what the account key is sealed to.
const accountLabel = "acme-account"

// accountKey reads the account key from AccountFile, or makes one (and,
// with AccountFile, keeps it there sealed, written atomically, mode 0600).
func (m *Manager) accountKey() (*ecdsa.PrivateKey, error) {
	if m.cfg.AccountFile != "" {
		sealed, err := os.ReadFile(m.cfg.AccountFile)
		switch {
		case err == nil:
			text, err := m.cfg.Open(accountLabel, sealed)
			if err != nil {
				return nil, fmt.Errorf("ACME account key %s: %w", m.cfg.AccountFile, err)
			}
			block, _ := pem.Decode([]byte(text))
			if block == nil {
				return nil, fmt.Errorf("ACME account key %s: not PEM", m.cfg.AccountFile)
			}
			return x509.ParseECPrivateKey(block.Bytes)
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("ACME account key: %w", err)
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil || m.cfg.AccountFile == "" {
		return key, err
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	text := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	tmp := m.cfg.AccountFile + ".tmp"
	if err := os.WriteFile(tmp, m.cfg.Seal(accountLabel, string(text)), 0o600); err != nil {
		return nil, fmt.Errorf("ACME account key: %w", err)
	}
	if err := os.Rename(tmp, m.cfg.AccountFile); err != nil {
		return nil, fmt.Errorf("ACME account key: %w", err)
	}
	return key, nil
}

// user is the ACME account.
type user struct {
	email string
	key   crypto.Signer
	reg   *legoacme.ExtendedAccount
}

func (u *user) GetEmail() string                           { return u.email }
func (u *user) GetRegistration() *legoacme.ExtendedAccount { return u.reg }
func (u *user) GetPrivateKey() crypto.Signer               { return u.key }

// ChallengeConfig answers a TLS-ALPN-01 validation handshake (a client
// offering only acme-tls/1) for a domain this node has an order running
// for; nil otherwise (the listener's usual config applies).
func (m *Manager) ChallengeConfig(hello *tls.ClientHelloInfo) *tls.Config {
	if !slices.Contains(hello.SupportedProtos, ALPNProtocol) {
		return nil
	}
	m.mu.Lock()
	cert := m.alpn[apigw.NormalizeDomainName(hello.ServerName)]
	m.mu.Unlock()
	if cert == nil {
		return nil
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: []string{ALPNProtocol}, Certificates: []tls.Certificate{*cert}}
}

// ServeChallenge answers an HTTP-01 validation request
// (/.well-known/acme-challenge/{token}) for a token of an order this node
// runs, and reports whether it did; other requests are the caller's.
func (m *Manager) ServeChallenge(w http.ResponseWriter, r *http.Request) bool {
	token, ok := strings.CutPrefix(r.URL.Path, http01.PathPrefix)
	if !ok || r.Method != http.MethodGet {
		return false
	}
	m.mu.Lock()
	keyAuth, ok := m.tokens[token]
	m.mu.Unlock()
	if !ok {
		return false
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte(keyAuth))
	return true
}

type alpnProvider struct{ m *Manager }

func (p alpnProvider) Present(_ context.Context, domain, _, keyAuth string) error {
	cert, err := tlsalpn01.ChallengeCert(domain, keyAuth)
	if err != nil {
		return err
	}
	p.m.mu.Lock()
	p.m.alpn[apigw.NormalizeDomainName(domain)] = cert
	p.m.mu.Unlock()
	return nil
}

func (p alpnProvider) CleanUp(_ context.Context, domain, _, _ string) error {
	p.m.mu.Lock()
	delete(p.m.alpn, apigw.NormalizeDomainName(domain))
	p.m.mu.Unlock()
	return nil
}

type httpProvider struct{ m *Manager }

func (p httpProvider) Present(_ context.Context, _, token, keyAuth string) error {
	p.m.mu.Lock()
	p.m.tokens[token] = keyAuth
	p.m.mu.Unlock()
	return nil
}

func (p httpProvider) CleanUp(_ context.Context, _, token, _ string) error {
	p.m.mu.Lock()
	delete(p.m.tokens, token)
	p.m.mu.Unlock()
	return nil
}
