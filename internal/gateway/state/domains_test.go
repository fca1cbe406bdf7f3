package state

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/secret"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// selfSigned returns a PEM certificate for name and its PEM key.
func selfSigned(t *testing.T, name string) (certPEM, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}))
}

// TestDomains: a domain written to the store is applied (with its
// certificate opened under the server secret and its mappings longest
// first), found by Host in any of its spellings, and gone once deleted; a
// key sealed for another domain is not served.
func TestDomains(t *testing.T) {
	db := openStore(t)
	keys, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	s := New(db, testLogger(t))
	s.SetKeyOpener(keys.Open)
	if err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.Domain("api.example.com") != nil {
		t.Fatal("a domain before any was stored")
	}
	db.Listen(func(c []store.Change) {
		if err := s.Apply(context.Background(), c); err != nil {
			t.Errorf("Apply: %v", err)
		}
	})
	cert, key := selfSigned(t, "api.example.com")
	wcert, wkey := selfSigned(t, "*.example.org")
	ctx := context.Background()
	err = db.Update(ctx, func(tx store.Tx) error {
		if err := tx.CreateDomainName(ctx, &apigw.DomainName{Name: "api.example.com", CertificateBody: cert,
			SealedPrivateKey: keys.Seal(apigw.DomainKeyLabel("api.example.com"), key),
			Mappings:         []apigw.BasePathMapping{{BasePath: "v1", RestAPIID: "a"}, {BasePath: "v1/beta", RestAPIID: "b"}, {BasePath: "orders", RestAPIID: "c"}}}); err != nil {
			return err
		}
		return tx.CreateDomainName(ctx, &apigw.DomainName{Name: "*.example.org", CertificateBody: wcert,
			// Sealed for another domain: it must not open as this one's.
			SealedPrivateKey: keys.Seal(apigw.DomainKeyLabel("api.example.com"), wkey)})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ host, want string }{
		{"api.example.com", "api.example.com"},
		{"API.example.COM:8443", "api.example.com"},
		{"api.example.com.", "api.example.com"},
		{"shop.example.org", "*.example.org"},
		{"a.shop.example.org", ""},
		{"example.org", ""},
		{"[::1]:8080", ""},
		{"", ""},
	} {
		d := s.Domain(tc.host)
		if got := ""; d != nil {
			got = d.Name
			if got != tc.want {
				t.Errorf("Domain(%q) = %s, want %q", tc.host, got, tc.want)
			}
		} else if tc.want != "" {
			t.Errorf("Domain(%q) = nil, want %s", tc.host, tc.want)
		}
	}
	d := s.Domain("api.example.com")
	if d.Cert == nil || d.Cert.Leaf.Subject.CommonName != "api.example.com" {
		t.Errorf("api.example.com's certificate = %v, want its own", d.Cert)
	}
	var order []string
	for _, m := range d.Mappings {
		order = append(order, m.BasePath)
	}
	if want := []string{"v1/beta", "orders", "v1"}; !slices.Equal(order, want) {
		t.Errorf("mappings in order %v, want the longest first %v", order, want)
	}
	if m, rest, ok := d.Match("/v1/beta/x"); !ok || m.RestAPIID != "b" || rest != "/x" {
		t.Errorf("Match(/v1/beta/x) = %v %q %v, want b /x", m, rest, ok)
	}
	if w := s.Domain("x.example.org"); w.Cert != nil {
		t.Error("a key sealed for another domain was opened")
	}
	if n := testing.AllocsPerRun(100, func() { s.Domain("api.example.com:8443") }); n != 0 {
		t.Errorf("Domain allocates %v times for a lower-case host", n)
	}

	if err := db.Update(ctx, func(tx store.Tx) error { return tx.DeleteDomainName(ctx, "api.example.com") }); err != nil {
		t.Fatal(err)
	}
	if s.Domain("api.example.com") != nil {
		t.Error("a deleted domain is still served")
	}
	if got := len(s.Domains()); got != 1 {
		t.Errorf("%d domains after the delete, want 1", got)
	}
}
