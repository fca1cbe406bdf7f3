package e2e

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestTLSReloadOnSIGHUP: `gatehouse serve --tls-cert --tls-key` serves
// HTTPS; after the files are replaced and the process gets SIGHUP, new
// connections get the new certificate while a connection kept alive from
// before goes on working, and the node keeps running.
func TestTLSReloadOnSIGHUP(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the gatehouse binary")
	}
	bin := buildGatehouse(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	ca := newE2ECA(t)
	ca.issue(t, 1, certFile, keyFile)
	n := startNode(t, bin, filepath.Join(dir, "data"), "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(n.dataURL, "https://") {
		t.Fatalf("data URL %q is not https", n.dataURL)
	}
	addr := strings.TrimPrefix(n.dataURL, "https://")
	const path = "/restapis/nope/prod/_user_request_/x"

	dial := func() *tls.Conn {
		t.Helper()
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.pool, ServerName: "localhost", NextProtos: []string{"http/1.1"}})
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	serial := func(c *tls.Conn) int64 { return c.ConnectionState().PeerCertificates[0].SerialNumber.Int64() }
	old := dial()
	br := bufio.NewReader(old)
	get := func() int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, "https://localhost"+path, nil)
		if err := req.Write(old); err != nil {
			t.Fatalf("write on the kept-alive connection: %v", err)
		}
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			t.Fatalf("read on the kept-alive connection: %v", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	status := get()

	ca.issue(t, 2, certFile, keyFile)
	if err := n.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	// The signal is handled asynchronously: new connections get serial 1
	// until the node has reloaded, then serial 2.
	deadline := time.Now().Add(crashStartTimeout)
	for {
		c := dial()
		s := serial(c)
		c.Close()
		if s == 2 {
			break
		}
		select {
		case <-n.exited:
			t.Fatalf("the node exited on SIGHUP (%v):\n%s", n.waitErr, n.out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("new connections still get serial %d %v after SIGHUP:\n%s", s, crashStartTimeout, n.out)
		}
	}
	if got := get(); got != status || serial(old) != 1 {
		t.Fatalf("the kept-alive connection after the reload: %d on serial %d, want %d on serial 1", got, serial(old), status)
	}
	if !strings.Contains(n.out.String(), "SIGHUP: TLS certificates reloaded") {
		t.Errorf("the node did not log the reload:\n%s", n.out)
	}
	n.stop(t)
}

// e2eCA issues certificates for 127.0.0.1 and localhost.
type e2eCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newE2ECA(t *testing.T) *e2eCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1000), Subject: pkix.Name{CommonName: "gatehouse e2e CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &e2eCA{cert: cert, key: key, pool: pool}
}

// issue writes a leaf certificate with the serial number, and its key.
func (ca *e2eCA) issue(t *testing.T, serial int64, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// The key first: a reload between the two writes fails (mismatched
	// pair) and keeps the old certificate, as it should.
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
