package proxy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// selfSigned returns a self-signed client certificate and its x509 form.
func selfSigned(t *testing.T, cn string) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf
}

// TestForwardClientCert checks that a Target's ClientCert is presented to
// an upstream that requires and verifies one, that the upstream is still
// verified, and that a call without it (or with another certificate) is
// refused by the upstream's handshake.
func TestForwardClientCert(t *testing.T) {
	good, goodLeaf := selfSigned(t, "good")
	other, _ := selfSigned(t, "other")
	clientCAs := x509.NewCertPool()
	clientCAs.AddCert(goodLeaf)
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	up.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCAs}
	up.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes log
	up.StartTLS()
	t.Cleanup(up.Close)
	roots := x509.NewCertPool()
	roots.AddCert(up.Certificate())

	tests := []struct {
		name     string
		opts     Options
		cert     *ClientCert
		insecure bool
		wantErr  error
		wantCN   string
	}{
		{name: "the required certificate", opts: Options{TLSClientConfig: &tls.Config{RootCAs: roots}}, cert: NewClientCert(good), wantCN: "good"},
		{name: "with insecureSkipVerification", cert: NewClientCert(good), insecure: true, wantCN: "good"},
		{name: "no certificate", opts: Options{TLSClientConfig: &tls.Config{RootCAs: roots}}, wantErr: ErrUpstream},
		{name: "another certificate", opts: Options{TLSClientConfig: &tls.Config{RootCAs: roots}}, cert: NewClientCert(other), wantErr: ErrUpstream},
		{name: "the upstream is still verified", cert: NewClientCert(good), wantErr: ErrUpstream},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := New(tt.opts)
			t.Cleanup(p.Close)
			if tt.cert != nil {
				t.Cleanup(tt.cert.Close)
			}
			for range 2 { // the second call reuses the certificate's Transport
				w := httptest.NewRecorder()
				r := httptest.NewRequest("GET", "http://gw.example/stage/x", nil)
				_, err := p.Forward(w, r, Target{URL: up.URL + "/mtls", ClientCert: tt.cert, InsecureSkipVerify: tt.insecure})
				if tt.wantErr != nil {
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("Forward error %v, want %v", err, tt.wantErr)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if got := w.Body.String(); got != tt.wantCN {
					t.Errorf("upstream saw client certificate %q, want %q", got, tt.wantCN)
				}
			}
		})
	}
}
